// RFC 8785 (JCS) serialization, on kpiseal's own manifests and on the
// RFC's examples.
//
// The manifests are fixtures written by kpiseal's Rust code (serde_jcs):
// fixtures/period/<seller>/manifest.json are byte for byte the demo's
// out/2026-10/<seller>/manifest.json, fixtures/zip/evidence/data/manifest.json
// is acme-home's copy inside its evidence bag, and
// fixtures/period/period-manifest.json is `kpiseal merge`'s.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { canonicalJson, isCanonicalJson } from '../src/canonical_json.js';
import { utf8, concatBytes } from '../src/bytes.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const MANIFESTS = [
  'period/acme-home/manifest.json',
  'period/rio-casa/manifest.json',
  'period/sunny-gadgets/manifest.json',
  'period/period-manifest.json',
  'zip/evidence/data/manifest.json',
];
const read = (path) => new Uint8Array(readFileSync(fixtures + path));

test("kpiseal's manifests are canonical, and canonicalJson gives back their exact bytes", () => {
  for (const path of MANIFESTS) {
    const bytes = read(path);
    assert.equal(isCanonicalJson(bytes), true, path);
    assert.deepEqual(utf8(canonicalJson(JSON.parse(new TextDecoder().decode(bytes)))), bytes, path);
  }
});

test('the same manifests with a space inserted are not canonical', () => {
  for (const path of MANIFESTS) {
    const text = new TextDecoder().decode(read(path));
    const afterColon = text.indexOf(':') + 1;
    const variants = [
      ' ' + text,
      text + '\n',
      text.slice(0, 1) + ' ' + text.slice(1),
      text.slice(0, afterColon) + ' ' + text.slice(afterColon),
      JSON.stringify(JSON.parse(text), null, 2),
    ];
    for (const variant of variants) {
      assert.deepEqual(JSON.parse(variant), JSON.parse(text));
      assert.equal(isCanonicalJson(utf8(variant)), false, `${path}: ${JSON.stringify(variant.slice(0, 30))}`);
    }
  }
});

test('the same manifests with keys reordered are not canonical', () => {
  const reversed = (value) => {
    if (Array.isArray(value)) return value.map(reversed);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.keys(value).reverse().map((k) => [k, reversed(value[k])]));
  };
  for (const path of MANIFESTS) {
    const value = JSON.parse(new TextDecoder().decode(read(path)));
    const text = JSON.stringify(reversed(value));
    assert.equal(isCanonicalJson(utf8(text)), false, path);
    // Canonicalizing puts them back.
    assert.deepEqual(utf8(canonicalJson(JSON.parse(text))), read(path), path);
  }
  assert.equal(isCanonicalJson(utf8('{"b":1,"a":2}')), false);
  assert.equal(isCanonicalJson(utf8('{"a":2,"b":1}')), true);
});

test('control characters are escaped as \\u00xx in lowercase, with the five short escapes', () => {
  assert.equal(canonicalJson('\u0000\u0001\u001f'), '"\\u0000\\u0001\\u001f"');
  assert.equal(canonicalJson('\u000b\u000e\u001b'), '"\\u000b\\u000e\\u001b"');
  assert.equal(canonicalJson('\b\t\n\f\r'), '"\\b\\t\\n\\f\\r"');
  assert.equal(canonicalJson('"\\'), '"\\"\\\\"');
  assert.equal(isCanonicalJson(utf8('"\\u001f"')), true);
  assert.equal(isCanonicalJson(utf8('"\\u001F"')), false);
  assert.equal(isCanonicalJson(utf8('"\\u000a"')), false);
  assert.equal(isCanonicalJson(utf8('"\\n"')), true);
});

test('U+2028, U+2029, DEL, / and non-ASCII are kept literal', () => {
  assert.equal(canonicalJson('\u2028\u2029'), '"\u2028\u2029"');
  assert.equal(canonicalJson('\u007f/'), '"\u007f/"');
  assert.equal(canonicalJson('深圳 é € 😀'), '"深圳 é € 😀"');
  assert.equal(isCanonicalJson(utf8('"\u2028"')), true);
  assert.equal(isCanonicalJson(utf8('"\\u2028"')), false);
  assert.equal(isCanonicalJson(utf8('"\\u00e9"')), false);
  assert.equal(isCanonicalJson(utf8('"é"')), true);
  assert.equal(isCanonicalJson(utf8('"\\/"')), false);
  assert.equal(isCanonicalJson(utf8('"\\ud83d\\ude00"')), false);
});

test("RFC 8785 section 3.2.2.2's string example", () => {
  // Input "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/" serializes as "€$\u000f\nA'B\"\\\\\"/".
  const input = String.raw`"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"`;
  assert.equal(canonicalJson(JSON.parse(input)), String.raw`"€$\u000f\nA'B\"\\\\\"/"`);
});

test("RFC 8785 section 3.2.3's member order (UTF-16 code units)", () => {
  const input = String.raw`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`;
  const out = canonicalJson(JSON.parse(input));
  // Read the order from the text: JS objects enumerate integer-like names ("1") first.
  const order = [...out.matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(order, [
    'Carriage Return',
    'One',
    'Control',
    'Latin Small Letter O With Diaeresis',
    'Euro Sign',
    'Emoji: Grinning Face',
    'Hebrew Letter Dalet With Dagesh',
  ]);
  assert.equal(out.startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"'), true);
});

test('values of every JSON type, nested, without whitespace', () => {
  assert.equal(canonicalJson({ b: [1, true, null, false, {}, []], a: { d: -3, c: 'x' } }), '{"a":{"c":"x","d":-3},"b":[1,true,null,false,{},[]]}');
  assert.equal(canonicalJson(9007199254740991), '9007199254740991');
  assert.equal(canonicalJson(-0), '0');
  assert.equal(canonicalJson(JSON.parse('{"__proto__":1}')), '{"__proto__":1}');
});

test('non-integers, unsafe integers, lone surrogates and non-JSON values are refused', () => {
  assert.throws(() => canonicalJson({ a: [1.5] }), /\$\.a\[0\] is 1\.5; only integers/);
  assert.throws(() => canonicalJson(2 ** 53), /only integers of magnitude at most 2\^53 - 1/);
  assert.throws(() => canonicalJson(-(2 ** 53)), /only integers/);
  assert.throws(() => canonicalJson(NaN), /only integers/);
  assert.throws(() => canonicalJson(Infinity), /only integers/);
  assert.throws(() => canonicalJson('\ud800'), /lone UTF-16 surrogate/);
  assert.throws(() => canonicalJson({ '\udc00': 1 }), /lone UTF-16 surrogate/);
  assert.throws(() => canonicalJson(undefined), /not a JSON value/);
  assert.throws(() => canonicalJson({ a: () => 1 }), /\$\.a is a function/);
  assert.throws(() => canonicalJson(10n), /bigint/);
  assert.throws(() => canonicalJson(new Date(0)), /not a plain JSON object/);
});

test('isCanonicalJson refuses other spellings and malformed input without throwing', () => {
  const cases = [
    ['1.0', false],
    ['1e2', false],
    ['100', true],
    ['-0', false],
    ['0', true],
    ['9007199254740993', false],
    ['0.5', false],
    ['{"a":1,"a":1}', false],
    ['"\\ud800"', false],
    ['{"a":1', false],
    ['', false],
    ['null', true],
    ['[1,2]', true],
    ['[1, 2]', false],
  ];
  for (const [text, expected] of cases) assert.equal(isCanonicalJson(utf8(text)), expected, text);
  assert.equal(isCanonicalJson(concatBytes(new Uint8Array([0xef, 0xbb, 0xbf]), utf8('{}'))), false, 'byte order mark');
  assert.equal(isCanonicalJson(new Uint8Array([0x22, 0xff, 0x22])), false, 'not UTF-8');
  assert.equal(isCanonicalJson(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22])), false, 'UTF-8 encoded surrogate');
});
