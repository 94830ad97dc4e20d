// What the page checks, given the files a person dropped: a statement PDF
// on its own, a statement folder's files, an evidence bag or its zip, or a
// period manifest. The checks, their names and their order are those of
// `kpiseal verify` (crates/seal/src/verify), so the page and the command
// give the same verdict on the same bytes; DOM-free, so Node tests it.

import { bytesEqual, fromUtf8 } from './bytes.js';
import { keyIdOfEd25519, sha256Hex } from './crypto.js';
import { attachedFile, expectedReason, parseReason, verifyPdfSignature } from './pdf.js';
import { expectedTagFiles } from './bag.js';
import { parseMinisignPublicKey, verifyMinisign } from './minisign.js';
import { SSHSIG_DRAFT_NAMESPACE, SSHSIG_MANIFEST_NAMESPACE, SSHSIG_PERIOD_NAMESPACE, parseAllowedSigners, verifySshsig } from './sshsig.js';
import { isCanonicalJson } from './canonical_json.js';
import { readZip } from './zip.js';
import { checkPeriodManifest } from './merkle.js';

/** The key id of kpiseal's public demo key (fixtures/demo/keys): its statements are not valid statements. */
export const DEMO_KEY_ID = '20E9D2E54F7831FB';

export const PROVENANCE = 'provenance.csv';

/** The files every statement manifest lists in `outputs` (crates/seal/src/verify/mod.rs). */
export const DELIVERED_OUTPUTS = Object.freeze([
  'statement.pdf',
  'statement.json',
  PROVENANCE,
  'provider.minisign.pub',
  'provider.ssh.pub',
  'allowed_signers',
  'provider.cert.pem',
  'provider.p256.cert.pem',
  'verify.html',
]);

const STATEMENT_FILES = new Set(['manifest.json', 'manifest.json.minisig', 'manifest.json.sig', ...DELIVERED_OUTPUTS]);
const TAG_FILES = new Set([
  'bagit.txt',
  'bag-info.txt',
  'manifest-sha256.txt',
  'manifest-sha512.txt',
  'tagmanifest-sha256.txt',
  'tagmanifest-sha512.txt',
]);

/** One check: `name` as `kpiseal verify` prints it, where (`at`), passed, and what was found. */
function makeCheck(name, at, passed, detail, key = name.replace(/[ -]/g, '_')) {
  return { name, key, at, passed, detail };
}

/** A run's state: the checks so far, the files read, the key in use. */
class Run {
  constructor(pinned) {
    this.checks = [];
    this.files = [];
    this.pinned = pinned;
    this.signerKeyId = null;
    this.manifest = null;
    this.statement = null;
    this.periodManifest = null;
    this.status = null;
  }

  pass(name, at, detail, key) {
    this.checks.push(makeCheck(name, at, true, detail, key));
  }

  fail(name, at, detail, key) {
    this.checks.push(makeCheck(name, at, false, detail, key));
  }

  /** A check named `name` as `kpiseal verify` names it; `key` picks its words in the catalog when they differ. */
  check(name, at, passed, passDetail, failDetail, key) {
    this.checks.push(makeCheck(name, at, passed, passed ? passDetail : failDetail, key));
  }
}

/**
 * Reads a pinned key given as the text of `provider.minisign.pub` (or its
 * base64 line alone): `{ publicKey, keyId }`. Throws why it is not one.
 */
export async function readPinnedKey(text) {
  const parsed = await parseMinisignPublicKey(text.trim().includes('\n') ? text : `untrusted comment: pinned key\n${text.trim()}\n`);
  return { publicKey: parsed.publicKey, keyId: await keyIdOfEd25519(parsed.publicKey) };
}

/**
 * Verifies `files` (an array of `{ path, bytes }`, paths relative to what
 * was dropped, `/`-separated) with the `pinned` key (from
 * [`readPinnedKey`]) or none. Returns `{ kind, verdict: 'valid' | 'draft' |
 * 'not-valid', key: { keyId, pin: 'pinned' | 'not-pinned' | 'different' },
 * demo, summary, checks, files }`. Never throws.
 */
export async function verifyFiles(files, pinned = null) {
  const run = new Run(pinned);
  let kind = 'unknown';
  try {
    const byPath = new Map(files.map((f) => [stripCommonFolder(f.path, files), f.bytes]));
    for (const [path, bytes] of byPath) run.files.push({ path, sha256: await sha256Hex(bytes), bytes: bytes.length });
    kind = classify(byPath);
    if (kind === 'pdf') {
      const [[path, bytes]] = [...byPath].filter(([p]) => p.toLowerCase().endsWith('.pdf'));
      await checkLonePdf(run, path, bytes);
    } else if (kind === 'zip') {
      const [[path, bytes]] = [...byPath];
      await checkZip(run, path, bytes, null);
    } else if (kind === 'statement') {
      await checkStatementFolder(run, byPath);
    } else if (kind === 'bag') {
      await checkBag(run, byPath, '');
    } else if (kind === 'period') {
      await checkPeriod(run, byPath);
    } else {
      run.fail('input', '', 'drop a statement.pdf, evidence.zip, the files of a statement folder, or period-manifest.json with its signatures');
    }
  } catch (e) {
    run.fail('input', '', e && e.message ? e.message : String(e));
  }
  return result(run, kind);
}

function result(run, kind) {
  const passed = run.checks.length > 0 && run.checks.every((c) => c.passed);
  const verdict = !passed ? 'not-valid' : run.status === 'draft' ? 'draft' : 'valid';
  let pin = 'not-pinned';
  if (run.pinned) pin = run.signerKeyId && run.signerKeyId !== run.pinned.keyId ? 'different' : passed ? 'pinned' : 'not-pinned';
  const m = run.manifest;
  const s = run.statement;
  const p = run.periodManifest;
  const summary = {
    statementNumber: (m && m.statement_number) || (s && s.statement_number) || null,
    seller: m ? `${m.seller.legal_name} (${m.seller.id})` : s && s.seller ? `${s.seller.legal_name} (${s.seller.id})` : null,
    period: (m && m.period) || (s && s.period && s.period.id) || (p && p.period) || null,
    amountDue: m && m.figures ? `${m.figures.currency} ${m.figures.amount_due}` : s && s.totals ? `${s.totals.currency} ${s.totals.amount_due}` : null,
    issueDate: (m && m.issue_date) || (s && s.issue_date) || null,
    statements: p && p.leaves ? p.leaves.length : null,
    status: run.status,
  };
  return {
    kind,
    verdict,
    key: { keyId: run.signerKeyId, pin, pinnedKeyId: run.pinned ? run.pinned.keyId : null },
    demo: run.signerKeyId === DEMO_KEY_ID,
    summary,
    checks: run.checks,
    files: run.files,
  };
}

/** Paths with the one folder they all share removed (a dropped statement folder arrives as `acme-home/…`). */
function stripCommonFolder(path, files) {
  const first = files[0].path.split('/')[0];
  const shared = files.every((f) => f.path.includes('/') && f.path.split('/')[0] === first);
  return shared ? path.slice(first.length + 1) : path;
}

/** What the dropped files are. */
function classify(byPath) {
  const names = [...byPath.keys()];
  if (names.includes('period-manifest.json')) return 'period';
  if (names.includes('manifest.json')) return 'statement';
  if (names.includes('bagit.txt')) return 'bag';
  if (names.length === 1 && names[0].toLowerCase().endsWith('.zip')) return 'zip';
  if (names.length === 1 && names[0].toLowerCase().endsWith('.pdf')) return 'pdf';
  return 'unknown';
}

/** A PDF on its own: its signature, its /Reason, and the statement.json attached under it. */
async function checkLonePdf(run, path, bytes) {
  await pdfChecks(run, path, bytes, null);
  const reason = run.lastPdf && parseReason(run.lastPdf.reason);
  if (reason) run.status = reason.status;
  const attached = await attachedFile(bytes, 'statement.json');
  if (!attached) {
    run.fail('pdf-attachment', path, 'no statement.json attached to the PDF');
    return;
  }
  try {
    run.statement = JSON.parse(fromUtf8(attached));
  } catch (e) {
    run.fail('pdf-attachment', path, `the attached statement.json is not JSON: ${e.message}`);
    return;
  }
  const number = run.statement.statement_number;
  run.check(
    'pdf-attachment',
    path,
    reason !== null && number === reason.number,
    `statement.json attached, statement ${number}`,
    `the attached statement.json names statement ${number}, the signature ${reason ? reason.number : 'none'}`,
  );
}

/**
 * The PDF signature checks on `bytes`, each named `pdf-signature <check>`;
 * with the statement's `manifest`, the signer must be the manifest's key
 * and /Reason must name its statement.
 */
async function pdfChecks(run, at, bytes, manifest) {
  const report = await verifyPdfSignature(bytes);
  run.lastPdf = report;
  if (!report.signed) {
    run.fail('pdf-signature', at, 'the file has no PDF signature (no /ByteRange)');
    return;
  }
  for (const c of report.checks) run.check(`pdf-signature ${c.name}`, at, c.passed, c.detail, c.detail);
  if (!run.signerKeyId && report.keyId) run.signerKeyId = report.keyId;
  const expectedKey = manifest ? run.keyInUse : run.pinned;
  if (expectedKey) {
    const name = manifest ? 'pdf-signature same-key-as-manifest' : 'pdf-signature pinned-key';
    if (!report.keyId) run.fail(name, at, 'no signer certificate to compare with the trusted key');
    else {
      run.check(
        name,
        at,
        report.keyId === expectedKey.keyId,
        `signer key ${report.keyId} is the trusted key`,
        `signer key ${report.keyId} is not the trusted key ${expectedKey.keyId}`,
      );
    }
  }
  if (manifest) {
    const expected = expectedReason(manifest.statement_number, manifest.status);
    run.check('pdf-signature reason', at, report.reason === expected, report.reason, `expected ${expected}, found ${report.reason || 'no readable /Reason'}`);
  } else {
    const said = parseReason(report.reason);
    run.check(
      'pdf-signature reason',
      at,
      said !== null,
      said && (said.status === 'final' ? `names final statement ${said.number}` : `names draft ${said.number}: not a statement`),
      `expected kpiseal statement <number> or kpiseal draft <number>, found ${report.reason || 'no readable /Reason'}`,
    );
  }
}

/**
 * A statement's own files (`files`: name → bytes, at the top of a folder or
 * in a bag's `data/`, shown with `at` before each name): the manifest's two
 * signatures, its form and key id, the trusted comment, that it lists
 * exactly the delivered outputs and each has its SHA-256, the delivered
 * keys, the PDF's signature, and nothing else. Returns the manifest and its
 * SHA-256, or null.
 */
async function checkStatementFiles(run, files, at, allowedBeside) {
  const manifestBytes = files.get('manifest.json');
  if (!manifestBytes) {
    run.fail('manifest', `${at}manifest.json`, 'missing');
    return null;
  }
  let key = run.pinned;
  if (!key) {
    const delivered = files.get('provider.minisign.pub');
    try {
      if (!delivered) throw new Error('missing, and no key was pinned');
      key = await readPinnedKey(fromUtf8(delivered));
    } catch (e) {
      run.fail('key', `${at}provider.minisign.pub`, e.message);
      return null;
    }
  }
  run.keyInUse = key;

  let manifest;
  try {
    manifest = JSON.parse(fromUtf8(manifestBytes));
  } catch (e) {
    run.fail('manifest', `${at}manifest.json`, `not JSON: ${e.message}`);
    return null;
  }
  if (!run.signerKeyId) run.signerKeyId = (await deliveredKeyId(files)) || manifest.key_id || key.keyId;
  const namespace = manifest.status === 'draft' ? SSHSIG_DRAFT_NAMESPACE : SSHSIG_MANIFEST_NAMESPACE;
  const minisig = files.get('manifest.json.minisig');
  let trustedComment = null;
  if (!minisig) run.fail('minisign', `${at}manifest.json.minisig`, 'missing');
  else {
    const verified = await verifyMinisign(manifestBytes, minisig, key.publicKey);
    trustedComment = verified.ok ? verified.trustedComment : null;
    run.check('minisign', `${at}manifest.json.minisig`, verified.ok, `signed by key ${key.keyId}`, verified.reason);
  }
  const sshsig = files.get('manifest.json.sig');
  if (!sshsig) run.fail('sshsig', `${at}manifest.json.sig`, 'missing');
  else {
    const verified = await verifySshsig(manifestBytes, sshsig, key.publicKey, namespace);
    run.check('sshsig', `${at}manifest.json.sig`, verified.ok, `namespace ${namespace}, key ${key.keyId}`, verified.reason);
  }
  run.check('manifest', `${at}manifest.json`, isCanonicalJson(manifestBytes), 'RFC 8785 canonical JSON', 'not RFC 8785 canonical JSON');
  if (!run.manifest) run.manifest = manifest;
  run.status = manifest.status === 'draft' ? 'draft' : run.status === 'draft' ? 'draft' : 'final';
  run.check('manifest key-id', `${at}manifest.json`, manifest.key_id === key.keyId, key.keyId, `the manifest names key ${manifest.key_id}, signed by ${key.keyId}`);
  const finalComment = `kpiseal ${manifest.statement_number} ${manifest.period} key ${key.keyId}`;
  const comment = manifest.status === 'draft' ? `DRAFT NOT A STATEMENT: ${finalComment}` : finalComment;
  if (trustedComment !== null) {
    run.check('minisign trusted-comment', `${at}manifest.json.minisig`, trustedComment === comment, comment, `expected ${comment}, found ${trustedComment}`);
  }
  const outputs = Array.isArray(manifest.outputs) ? manifest.outputs : [];
  const listed = outputs.map((o) => o.name).sort();
  const expected = [...DELIVERED_OUTPUTS].sort();
  const withoutTable = expected.filter((name) => name !== PROVENANCE);
  const accepted = [
    [withoutTable, 'sealed before provenance.csv'],
    [withoutTable.filter((name) => name !== 'verify.html'), 'sealed before verify.html was delivered'],
  ].find(([names]) => names.join(',') === listed.join(','));
  if (accepted) {
    run.pass('manifest outputs', `${at}manifest.json`, `${listed.join(', ')} (${accepted[1]})`);
  } else {
    run.check('manifest outputs', `${at}manifest.json`, listed.join(',') === expected.join(','), listed.join(', '), `lists ${listed.join(', ')}; expected ${expected.join(', ')}`);
  }
  for (const output of outputs) {
    const bytes = files.get(output.name);
    if (!bytes) {
      run.fail('output', `${at}${output.name}`, 'missing');
      continue;
    }
    const sha = await sha256Hex(bytes);
    run.check('output', `${at}${output.name}`, sha === output.sha256 && bytes.length === output.bytes, `sha256 ${sha}, ${bytes.length} bytes`, `sha256 ${sha}, ${bytes.length} bytes; the manifest lists sha256 ${output.sha256}, ${output.bytes} bytes`);
  }
  await deliveredKeyChecks(run, files, at, key);
  const pdf = files.get('statement.pdf');
  if (pdf) {
    await pdfChecks(run, `${at}statement.pdf`, pdf, manifest);
    const attached = await attachedFile(pdf, 'statement.json');
    const listedJson = outputs.find((o) => o.name === 'statement.json');
    const attachedSha = attached ? await sha256Hex(attached) : null;
    run.check('pdf-attachment', `${at}statement.pdf`, attachedSha !== null && listedJson && attachedSha === listedJson.sha256, `the attached statement.json is the one the manifest lists (sha256 ${attachedSha})`, attached ? `the attached statement.json has sha256 ${attachedSha}, the manifest lists ${listedJson && listedJson.sha256}` : 'no statement.json attached to the PDF');
  }
  const statementJson = files.get('statement.json');
  if (statementJson && !run.statement) {
    try {
      run.statement = JSON.parse(fromUtf8(statementJson));
    } catch {
      // the output check above already failed if it is not the listed file
    }
  }
  for (const name of files.keys()) {
    const listedHere = name !== 'verify.html' || listed.includes(name);
    if ((!STATEMENT_FILES.has(name) || !listedHere) && !allowedBeside(name)) run.fail('extra', `${at}${name}`, 'no signature covers this file');
  }
  return { manifest, manifestSha256: await sha256Hex(manifestBytes) };
}

/** The key id of the provider.minisign.pub among `files`, or null when there is none or it cannot be read. */
async function deliveredKeyId(files) {
  const delivered = files.get('provider.minisign.pub');
  if (!delivered) return null;
  try {
    return (await readPinnedKey(fromUtf8(delivered))).keyId;
  } catch {
    return null;
  }
}

async function deliveredKeyChecks(run, files, at, key) {
  const minisignPub = files.get('provider.minisign.pub');
  if (minisignPub) {
    try {
      const delivered = await readPinnedKey(fromUtf8(minisignPub));
      run.check('delivered-key', `${at}provider.minisign.pub`, bytesEqual(delivered.publicKey, key.publicKey), delivered.keyId, `key ${delivered.keyId}, not the signer ${key.keyId}`);
    } catch (e) {
      run.fail('delivered-key', `${at}provider.minisign.pub`, e.message);
    }
  }
  const allowed = files.get('allowed_signers');
  if (allowed) {
    try {
      const signers = parseAllowedSigners(fromUtf8(allowed));
      const ok = signers.length > 0 && signers.every((s) => bytesEqual(s.publicKey, key.publicKey));
      run.check('delivered-key', `${at}allowed_signers`, ok, key.keyId, `allowed_signers names another key than the signer ${key.keyId}`);
    } catch (e) {
      run.fail('delivered-key', `${at}allowed_signers`, e.message);
    }
  }
}

/** A statement folder's files: the statement at the top, then the bag folder and the zip beside it. */
async function checkStatementFolder(run, byPath) {
  // Paths are relative to the statement folder.
  const top = new Map([...byPath].filter(([p]) => !p.includes('/')));
  const bagFiles = new Map([...byPath].filter(([p]) => p.startsWith('evidence/')).map(([p, b]) => [p.slice(9), b]));
  const others = [...byPath.keys()].filter((p) => p.includes('/') && !p.startsWith('evidence/'));
  for (const p of others) run.fail('extra', p, 'no signature covers this file');
  const found = await checkStatementFiles(run, top, '', (name) => name === 'evidence.zip');
  if (bagFiles.size > 0) {
    const inBag = await checkBag(run, bagFiles, 'evidence/');
    sameStatement(run, 'evidence/data/manifest.json', found, inBag);
  }
  if (top.has('evidence.zip')) await checkZip(run, 'evidence.zip', top.get('evidence.zip'), found);
}

function sameStatement(run, at, folder, inner) {
  const expected = folder ? `manifest sha256 ${folder.manifestSha256}` : "the folder's statement";
  const found = inner ? `manifest sha256 ${inner.manifestSha256}` : 'no readable statement';
  run.check('same-statement', at, expected === found, found, `expected ${expected}, found ${found}`);
}

/** The evidence zip: read (strictly) and checked as a bag; with `folder`, it must hold that statement. */
async function checkZip(run, at, bytes, folder) {
  let entries;
  try {
    ({ entries } = await readZip(bytes));
  } catch (e) {
    run.fail('zip', at, e.message);
    return null;
  }
  const files = entries.filter((e) => !e.folder);
  const tops = new Set(files.map((e) => e.name.split('/')[0]));
  if (tops.size !== 1 || files.some((e) => !e.name.includes('/'))) {
    run.fail('zip', at, 'the zip must hold one folder, the evidence bag');
    return null;
  }
  const [topName] = tops;
  const bag = new Map(files.map((e) => [e.name.slice(topName.length + 1), e.data]));
  for (const [path, data] of bag) run.files.push({ path: `${at}:${topName}/${path}`, sha256: await sha256Hex(data), bytes: data.length });
  const found = await checkBag(run, bag, `${at}:${topName}/`);
  if (folder) sameStatement(run, `${at}:${topName}/data/manifest.json`, folder, found);
  return found;
}

/** An evidence bag (`bag`: path under the bag → bytes): the statement in `data/`, input copies, tag files. */
async function checkBag(run, bag, at) {
  const data = new Map([...bag].filter(([p]) => p.startsWith('data/')).map(([p, b]) => [p.slice(5), b]));
  if (data.size === 0) {
    run.fail('bag payload', `${at}data/`, 'missing');
    return null;
  }
  const statementFiles = new Map([...data].filter(([p]) => !p.includes('/')));
  const found = await checkStatementFiles(run, statementFiles, `${at}data/`, () => false);
  for (const [path, bytes] of data) {
    if (!path.includes('/')) continue;
    const input = found && path.startsWith('inputs/') ? (found.manifest.inputs || []).find((i) => i.path === path.slice(7)) : null;
    if (!input) {
      run.fail('extra', `${at}data/${path}`, 'no signature covers this file');
      continue;
    }
    const sha = await sha256Hex(bytes);
    run.check('input copy', `${at}data/${path}`, sha === input.sha256, `sha256 ${sha}`, `sha256 ${sha}; the manifest lists ${input.sha256}`);
  }
  if (found) {
    const expected = await expectedTagFiles(data, found.manifest);
    for (const [name, bytes] of expected) {
      const actual = bag.get(name);
      if (!actual) run.fail('bag tag-file', `${at}${name}`, 'missing');
      else run.check('bag tag-file', `${at}${name}`, bytesEqual(actual, bytes), 'as the signed manifest and the payload imply', 'differs from what the signed manifest and the payload imply');
    }
  }
  for (const path of bag.keys()) {
    if (!path.startsWith('data/') && !TAG_FILES.has(path)) run.fail('extra', `${at}${path}`, 'no signature covers this file');
  }
  return found;
}

/** The files of a period folder besides the seller folders (crates/seal/src/verify/period.rs). */
const PERIOD_FILES = new Set([
  'period-manifest.json',
  'period-manifest.json.minisig',
  'period-manifest.json.sig',
  'provider.minisign.pub',
  'period-manifest.allowed_signers',
]);

/**
 * A period folder: the period manifest's form and two signatures, the
 * delivered keys, its Merkle root, and each seller folder given verified in
 * full with the period's key and tied to its leaf, as `kpiseal verify`
 * does; batch summaries are records (no signature covers them, by design),
 * anything else an extra.
 */
async function checkPeriod(run, byPath) {
  const text = byPath.get('period-manifest.json');
  let key = run.pinned;
  if (!key) {
    const delivered = byPath.get('provider.minisign.pub');
    try {
      if (!delivered) throw new Error('missing, and no key was pinned');
      key = await readPinnedKey(fromUtf8(delivered));
    } catch (e) {
      run.fail('key', 'provider.minisign.pub', e.message);
      return;
    }
  }
  let manifest;
  try {
    manifest = JSON.parse(fromUtf8(text));
  } catch (e) {
    run.fail('period-manifest', 'period-manifest.json', `not JSON: ${e.message}`);
    return;
  }
  run.periodManifest = manifest;
  run.signerKeyId = (await deliveredKeyId(byPath)) || manifest.key_id || key.keyId;
  run.check('period-manifest', 'period-manifest.json', isCanonicalJson(text), 'RFC 8785 canonical JSON', 'not RFC 8785 canonical JSON');
  run.check('period-manifest key-id', 'period-manifest.json', manifest.key_id === key.keyId, key.keyId, `the period manifest names key ${manifest.key_id}, checked with ${key.keyId}`);
  const minisig = byPath.get('period-manifest.json.minisig');
  if (!minisig) run.fail('minisign', 'period-manifest.json.minisig', 'missing', 'period_minisign');
  else {
    const verified = await verifyMinisign(text, minisig, key.publicKey);
    run.check('minisign', 'period-manifest.json.minisig', verified.ok, `signed by key ${key.keyId}`, verified.reason, 'period_minisign');
    if (verified.ok) {
      const comment = `kpiseal period ${manifest.period} root ${manifest.merkle_root} key ${manifest.key_id}`;
      run.check('minisign trusted-comment', 'period-manifest.json.minisig', verified.trustedComment === comment, comment, `expected ${comment}, found ${verified.trustedComment}`, 'period_trusted_comment');
    }
  }
  const sshsig = byPath.get('period-manifest.json.sig');
  if (!sshsig) run.fail('sshsig', 'period-manifest.json.sig', 'missing', 'period_sshsig');
  else {
    const verified = await verifySshsig(text, sshsig, key.publicKey, SSHSIG_PERIOD_NAMESPACE);
    run.check('sshsig', 'period-manifest.json.sig', verified.ok, `namespace ${SSHSIG_PERIOD_NAMESPACE}, key ${key.keyId}`, verified.reason, 'period_sshsig');
  }
  for (const name of ['provider.minisign.pub', 'period-manifest.allowed_signers']) {
    const bytes = byPath.get(name);
    if (!bytes) {
      run.fail('delivered-key', name, 'missing');
      continue;
    }
    let found = null;
    try {
      found = name.endsWith('.pub') ? (await readPinnedKey(fromUtf8(bytes))).publicKey : parseAllowedSigners(fromUtf8(bytes))[0].publicKey;
    } catch {
      found = null;
    }
    run.check('delivered-key', name, found !== null && bytesEqual(found, key.publicKey), `key ${key.keyId}`, `another key than ${key.keyId}, or another form`);
  }
  const merkle = await checkPeriodManifest(fromUtf8(text), new Map());
  run.check('merkle-root', 'period-manifest.json', merkle.ok, `root ${merkle.root}`, merkle.reason);

  const leaves = Array.isArray(manifest.leaves) ? manifest.leaves : [];
  const sellers = new Set(leaves.map((l) => l.seller));
  const folders = new Map();
  for (const [path, bytes] of byPath) {
    const slash = path.indexOf('/');
    if (slash < 0) {
      if (!PERIOD_FILES.has(path) && !path.startsWith('batch-summary')) run.fail('extra', path, 'no signature covers this file');
      continue;
    }
    const seller = path.slice(0, slash);
    if (!sellers.has(seller)) {
      run.fail('extra', path, 'no signature covers this file');
      continue;
    }
    if (!folders.has(seller)) folders.set(seller, new Map());
    folders.get(seller).set(path.slice(slash + 1), bytes);
  }
  for (const leaf of leaves) {
    const files = folders.get(leaf.seller);
    if (!files) continue;
    const sub = new Run({ ...key });
    await checkStatementFolder(sub, files);
    const manifestSha = files.has('manifest.json') ? await sha256Hex(files.get('manifest.json')) : 'missing';
    const number = sub.manifest ? sub.manifest.statement_number : '?';
    const expected = `${leaf.statement_number} sha256 ${leaf.manifest_sha256}`;
    const found = `${number} sha256 ${manifestSha}`;
    run.check('leaf', `${leaf.seller}/manifest.json`, expected === found, found, `expected ${expected}, found ${found}`);
    const valid = sub.checks.length > 0 && sub.checks.every((c) => c.passed);
    if (expected === found && valid && sub.status !== 'draft') {
      run.pass('statement', `${leaf.seller}/`, `VALID: ${sub.checks.length} checks passed, ${files.size} files`);
    } else {
      for (const c of sub.checks.filter((c) => !c.passed)) run.checks.push({ ...c, at: `${leaf.seller}/${c.at}` });
      if (valid && sub.status === 'draft') run.fail('statement', `${leaf.seller}/`, 'a draft, not a final statement');
    }
  }
  run.sellersChecked = folders.size;
}
