import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadCatalogs } from '../build.mjs';

const source = readFileSync(new URL('../src/verify.js', import.meta.url), 'utf8');

test('every check verify.js can report has plain words to pass and fail in each language', () => {
  const keys = new Set();
  for (const m of source.matchAll(/run\.(?:check|pass|fail)\(\s*'([^']+)'/g)) keys.add(m[1].replace(/[ -]/g, '_'));
  for (const m of source.matchAll(/'((?:period|manifest)_[a-z_]+)'\)/g)) keys.add(m[1]);
  keys.add('pdf_signature_pinned_key');
  keys.add('pdf_signature_same_key_as_manifest');
  for (const name of ['header', 'byte-range', 'contents-encoding', 'cms-structure', 'message-digest', 'signature', 'signing-certificate', 'countersignature', 'countersigning-certificate', 'reason']) {
    keys.add(`pdf_signature_${name.replace(/-/g, '_')}`);
  }
  assert.ok(keys.size > 30, `found only ${keys.size} checks`);
  for (const [language, catalog] of Object.entries(loadCatalogs())) {
    for (const key of keys) {
      for (const outcome of ['pass', 'fail']) {
        assert.equal(typeof catalog.check[key]?.[outcome], 'string', `${language}: check.${key}.${outcome}`);
      }
    }
  }
});

test('the three catalogs have the same keys (the build refuses them otherwise)', () => {
  assert.deepEqual(Object.keys(loadCatalogs()), ['zh-CN', 'en', 'pt-BR']);
});
