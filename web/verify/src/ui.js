// The page itself: language choice, the pinned key, reading dropped or
// picked files and folders, and showing a verification. Every word shown
// comes from the catalog (i18n/*.toml); this file holds none.

import { readPinnedKey, verifyFiles } from './verify.js';

const LANGUAGES = ['zh-CN', 'en', 'pt-BR'];

/** The language to start in: the first of the browser's languages the catalog has, else English. */
export function chooseLanguage(preferred) {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('pt')) return 'pt-BR';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/** `template` with each `{name}` replaced by `values[name]`. */
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function startPage() {
  const catalogs = JSON.parse(document.getElementById('kpiseal-catalog').textContent);
  const embeddedKey = JSON.parse(document.getElementById('kpiseal-pinned-key').textContent);
  const state = { language: chooseLanguage(navigator.languages || [navigator.language || 'en']), result: null, pinned: null };
  const $ = (id) => document.getElementById(id);
  const t = (key, values = {}) => {
    const found = key.split('.').reduce((node, part) => (node ? node[part] : undefined), catalogs[state.language]);
    return typeof found === 'string' ? fill(found, values) : key;
  };

  const select = $('language');
  for (const tag of LANGUAGES) {
    const option = document.createElement('option');
    option.value = tag;
    option.textContent = catalogs[tag].locale.name;
    select.append(option);
  }
  select.addEventListener('change', () => {
    state.language = select.value;
    translate();
  });

  function translate() {
    select.value = state.language;
    document.documentElement.lang = state.language;
    document.title = t('page.title');
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
    if (state.pinned && state.pinned.embedded) $('key-embedded').textContent = t('page.key_embedded', { key_id: state.pinned.keyId });
    if (state.result) show(state.result);
  }

  async function setKey(text, embedded) {
    $('key-error').hidden = true;
    if (!text.trim()) {
      state.pinned = null;
      return;
    }
    try {
      state.pinned = { ...(await readPinnedKey(text)), embedded };
    } catch (e) {
      state.pinned = null;
      $('key-error').textContent = t('page.key_bad', { reason: e.message });
      $('key-error').hidden = false;
    }
  }

  const keyBox = $('pinned-key');
  keyBox.addEventListener('change', () => setKey(keyBox.value, false));
  keyBox.addEventListener('drop', async (event) => {
    event.preventDefault();
    event.stopPropagation();
    const [file] = event.dataTransfer.files;
    if (file) {
      keyBox.value = await file.text();
      await setKey(keyBox.value, false);
    }
  });

  async function check(files) {
    if (files.length === 0) return;
    if (!state.pinned || !state.pinned.embedded) await setKey(keyBox.value, false);
    $('status').textContent = t('page.checking');
    const started = performance.now();
    const result = await verifyFiles(files, state.pinned);
    result.milliseconds = performance.now() - started;
    state.result = result;
    $('status').textContent = '';
    show(result);
  }

  function row(table, cells) {
    const tr = document.createElement('tr');
    for (const [tag, content, className] of cells) {
      const cell = document.createElement(tag);
      if (className) cell.className = className;
      if (content instanceof Node) cell.append(content);
      else cell.textContent = content;
      tr.append(cell);
    }
    table.append(tr);
    return tr;
  }

  function lines(...parts) {
    const box = document.createElement('div');
    for (const [text, className] of parts) {
      const line = document.createElement('div');
      line.textContent = text;
      if (className) line.className = className;
      box.append(line);
    }
    return box;
  }

  function show(result) {
    const section = $('result');
    section.hidden = false;
    section.dataset.verdict = result.verdict;
    section.dataset.run = String(Number(section.dataset.run || 0) + (result === state.shown ? 0 : 1));
    state.shown = result;
    section.dataset.milliseconds = String(Math.round(result.milliseconds || 0));
    const verdict = $('verdict');
    verdict.className = result.verdict;
    $('verdict-word').textContent = t(`verdict.${result.verdict.replace('-', '_')}`);
    const failed = result.checks.filter((c) => !c.passed);
    $('verdict-help').textContent =
      result.verdict === 'not-valid'
        ? t('verdict.not_valid_help', { failed: failed.length, total: result.checks.length, first: failed.length ? `${failed[0].name} (${failed[0].at}): ${t(`check.${failed[0].key}.fail`)}` : '' })
        : t(`verdict.${result.verdict}_help`);
    $('demo-warning').hidden = !result.demo;

    const summary = $('summary');
    summary.replaceChildren();
    const s = result.summary;
    row(summary, [['th', t('summary.kind')], ['td', t(`kinds.${result.kind}`)]]);
    if (s.statementNumber) row(summary, [['th', t('summary.statement_number')], ['td', s.statementNumber]]);
    if (s.seller) row(summary, [['th', t('summary.seller')], ['td', s.seller]]);
    if (s.period) row(summary, [['th', t('summary.period')], ['td', s.period]]);
    // A figure from files that failed a check is not shown: it may be the altered part.
    if (s.amountDue && result.verdict !== 'not-valid') row(summary, [['th', t('summary.amount_due')], ['td', s.amountDue, 'amount']]);
    if (s.issueDate) row(summary, [['th', t('summary.issue_date')], ['td', s.issueDate]]);
    if (s.statements !== null) row(summary, [['th', t('summary.statements')], ['td', String(s.statements)]]);
    if (result.key.keyId) row(summary, [['th', t('summary.signer_key')], ['td', result.key.keyId]]);
    const pin = result.key.pin.replace('-', '_');
    // A PDF on its own is checked against the key in its own certificate, not a delivered key file.
    const pinHelp = pin === 'not_pinned' && result.kind === 'pdf' ? 'pin.not_pinned_pdf_help' : `pin.${pin}_help`;
    row(summary, [
      ['th', t('summary.pin')],
      ['td', lines([t(`pin.${pin}`), `pin-${result.key.pin}`], [t(pinHelp, { key_id: result.key.keyId || '?', pinned: result.key.pinnedKeyId || '' })])],
    ]);

    const checks = $('checks').querySelector('tbody');
    checks.replaceChildren();
    for (const c of result.checks) {
      const tr = row(checks, [
        ['td', t(c.passed ? 'page.pass' : 'page.fail'), `tag ${c.passed ? 'pass' : 'fail'}`],
        ['td', lines([t(`check.${c.key}.${c.passed ? 'pass' : 'fail'}`)], [`${c.name}: ${c.detail || ''}`, 'tech'])],
        ['td', c.at, 'tech'],
      ]);
      tr.dataset.check = c.name;
      tr.dataset.passed = String(c.passed);
    }
    const files = $('files').querySelector('tbody');
    files.replaceChildren();
    for (const f of result.files) row(files, [['td', f.path], ['td', f.sha256], ['td', String(f.bytes)]]);
  }

  async function readEntry(entry, prefix, out) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ path: prefix + entry.name, bytes: new Uint8Array(await file.arrayBuffer()) });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await readEntry(child, `${prefix}${entry.name}/`, out);
      }
    }
  }

  async function fromFileList(list) {
    const out = [];
    for (const file of list) out.push({ path: file.webkitRelativePath || file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
    return out;
  }

  const drop = $('drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry()).filter(Boolean);
    const files = [];
    if (entries.length > 0) for (const entry of entries) await readEntry(entry, '', files);
    else files.push(...(await fromFileList(event.dataTransfer.files)));
    await check(files);
  });
  for (const id of ['pick-files', 'pick-folder']) {
    $(id).addEventListener('change', async (event) => {
      await check(await fromFileList(event.target.files));
      event.target.value = '';
    });
  }

  if (embeddedKey) {
    keyBox.value = embeddedKey;
    keyBox.readOnly = true;
    $('key-embedded').hidden = false;
    setKey(embeddedKey, true).then(translate);
  }
  translate();
}

if (typeof document !== 'undefined' && document.getElementById('kpiseal-catalog')) startPage();
