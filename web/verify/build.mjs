// Builds dist/verify.html: one self-contained page from src/ and i18n/.
// The output depends only on those files (no time, no environment), so a
// fresh build equals the committed copy byte for byte; `--check` says
// whether it does (exit 1 when not), which a test runs.
//
//   node build.mjs          write dist/verify.html
//   node build.mjs --check  compare a fresh build with dist/verify.html

import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';

const root = fileURLToPath(new URL('.', import.meta.url));
const read = (path) => readFileSync(root + path, 'utf8');
const LANGUAGES = ['zh-CN', 'en', 'pt-BR'];
const ENTRY = 'ui.js';
const IMPORT = /^import \{[^}]*\} from '\.\/([a-z0-9_]+\.js)';$/;

/** The modules `entry` needs, each after the modules it imports (depth first, in import order). */
export function moduleOrder(entry, readSource = (name) => read(`src/${name}`)) {
  const order = [];
  const visiting = new Set();
  const visit = (name) => {
    if (order.includes(name)) return;
    if (visiting.has(name)) throw new Error(`import cycle through src/${name}`);
    visiting.add(name);
    for (const line of readSource(name).split('\n')) {
      if (line.startsWith('import ')) {
        const match = IMPORT.exec(line);
        if (!match) throw new Error(`src/${name}: imports must be one line, import { … } from './x.js'; found: ${line}`);
        visit(match[1]);
      }
    }
    visiting.delete(name);
    order.push(name);
  };
  visit(entry);
  return order;
}

/** One module's code for the shared scope: imports removed, `export ` dropped. */
export function inlineModule(name, source) {
  const out = [];
  for (const line of source.split('\n')) {
    if (line.startsWith('import ')) continue;
    if (/^export (default|\{)/.test(line)) throw new Error(`src/${name}: only export function/const/class is allowed: ${line}`);
    out.push(line.startsWith('export ') ? line.slice(7) : line);
  }
  return `// ---- src/${name} ----\n${out.join('\n').trim()}\n`;
}

/** Every dotted key of a parsed catalog, sorted. */
export function catalogKeys(table, prefix = '') {
  return Object.entries(table)
    .flatMap(([key, value]) => (typeof value === 'object' ? catalogKeys(value, `${prefix}${key}.`) : [`${prefix}${key}`]))
    .sort();
}

/** The three catalogs, refused unless they have exactly the same keys. */
export function loadCatalogs() {
  const catalogs = Object.fromEntries(LANGUAGES.map((tag) => [tag, parseToml(read(`i18n/${tag}.toml`))]));
  const reference = catalogKeys(catalogs.en);
  for (const tag of LANGUAGES) {
    const keys = catalogKeys(catalogs[tag]);
    const missing = reference.filter((k) => !keys.includes(k));
    const extra = keys.filter((k) => !reference.includes(k));
    if (missing.length || extra.length) {
      throw new Error(`i18n/${tag}.toml differs from en.toml: missing ${missing.join(', ') || 'none'}; extra ${extra.join(', ') || 'none'}`);
    }
  }
  return catalogs;
}

/** JSON safe inside a <script> element. */
const scriptJson = (value) => JSON.stringify(value).replace(/</g, '\\u003c');

/** The whole page, as a string. */
export function buildPage() {
  const catalogs = loadCatalogs();
  const code = moduleOrder(ENTRY).map((name) => inlineModule(name, read(`src/${name}`))).join('\n');
  return `<!doctype html>
<!-- kpiseal verify.html: checks kpiseal statements offline. Built from web/verify/ by build.mjs; do not edit. -->
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${catalogs.en.page.title}</title>
<style>
${read('src/page.css').trim()}
</style>
</head>
<body>
${read('src/page.html').trim()}
<script type="application/json" id="kpiseal-catalog">${scriptJson(catalogs)}</script>
<script type="application/json" id="kpiseal-pinned-key">null</script>
<script>
(() => {
'use strict';
${code}
})();
</script>
</body>
</html>
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const page = buildPage();
  const target = `${root}dist/verify.html`;
  if (process.argv.includes('--check')) {
    const committed = readFileSync(target, 'utf8');
    if (committed !== page) {
      console.error('dist/verify.html differs from a fresh build of web/verify: run `node build.mjs` and commit it');
      process.exit(1);
    }
    console.log(`dist/verify.html equals a fresh build (${Buffer.byteLength(page)} bytes)`);
  } else {
    writeFileSync(`${target}.tmp`, page);
    renameSync(`${target}.tmp`, target);
    console.log(`wrote dist/verify.html (${Buffer.byteLength(page)} bytes)`);
  }
}
