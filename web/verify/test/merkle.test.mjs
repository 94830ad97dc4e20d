// RFC 6962 Merkle hashes and the period manifest check.
//
// fixtures/period/ was made by the project's Rust code: `kpiseal run
// --workspace <copy of fixtures/demo> --period 2026-10`, then `kpiseal merge`
// over the same workspace and period; it holds period-manifest.json, its
// two signatures and key files, and the three sellers' manifest.json.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import {
  merkleLeafHash,
  merkleNodeHash,
  merkleRoot,
  checkPeriodManifest,
  PERIOD_LEAF_RULE,
  PERIOD_MANIFEST_SCHEMA,
} from '../src/merkle.js';
import { utf8, toHex, fromHex } from '../src/bytes.js';

const fixtures = fileURLToPath(new URL('./fixtures/period/', import.meta.url));
const periodText = readFileSync(fixtures + 'period-manifest.json', 'utf8');
const SELLERS = ['acme-home', 'rio-casa', 'sunny-gadgets'];
const sellerManifests = () => new Map(SELLERS.map((s) => [s, new Uint8Array(readFileSync(`${fixtures}${s}/manifest.json`))]));

// Expected values computed independently with Python's hashlib, from RFC
// 6962 section 2.1 as written (not from kpiseal's code):
//
//   import hashlib
//   def leaf(d): return hashlib.sha256(b"\x00" + d).digest()
//   def node(l, r): return hashlib.sha256(b"\x01" + l + r).digest()
//   def mth(ds):
//       if len(ds) == 1: return leaf(ds[0])
//       k = 1
//       while k * 2 < len(ds): k *= 2
//       return node(mth(ds[:k]), mth(ds[k:]))
//   leaves = [bytes([c]) for c in b"abcdefg"]
//   for n in (1, 2, 3, 5, 7): print(n, mth(leaves[:n]).hex())
//
// (1, 2, 3 and 5 agree with the hand-computed roots in crates/seal/src/merkle.rs.)
const ROOTS_OF_A_TO_G = [
  [1, '022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c'],
  [2, 'b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb'],
  [3, '36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1'],
  [5, 'fe14a5426fbd70c0fa73f52342afed0da0bd23c4838662ccf6b88a3070ead97b'],
  [7, '4ae191939f548d9934740b88dea2c5cb89bb8870fc4505cd79dec6bbfaaee9cb'],
];

test('leaf hashes are SHA-256(0x00 ‖ data)', async () => {
  assert.equal(toHex(await merkleLeafHash(utf8('a'))), '022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c');
  // RFC 6962's empty leaf, the first root of the Certificate Transparency reference tree.
  assert.equal(toHex(await merkleLeafHash(new Uint8Array(0))), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
});

test('roots of 1, 2, 3, 5 and 7 leaves equal the independently computed ones', async () => {
  const leaves = [...'abcdefg'].map((c) => utf8(c));
  for (const [n, expected] of ROOTS_OF_A_TO_G) {
    assert.equal(toHex(await merkleRoot(leaves.slice(0, n))), expected, `${n} leaves`);
  }
  // Three leaves: the left subtree holds two.
  const l = await Promise.all(leaves.slice(0, 3).map((d) => merkleLeafHash(d)));
  assert.deepEqual(await merkleRoot(leaves.slice(0, 3)), await merkleNodeHash(await merkleNodeHash(l[0], l[1]), l[2]));
});

test('the Certificate Transparency reference tree has its published roots', async () => {
  const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);
  const roots = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];
  for (let n = 1; n <= 8; n++) assert.equal(toHex(await merkleRoot(leaves.slice(0, n))), roots[n - 1], `${n} leaves`);
});

test('an empty tree has no root', async () => {
  await assert.rejects(merkleRoot([]), /at least one leaf/);
});

test("the real period manifest's root recomputes and every seller manifest is its leaf", async () => {
  const manifest = JSON.parse(periodText);
  assert.equal(manifest.leaf_rule, PERIOD_LEAF_RULE);
  assert.equal(manifest.schema, PERIOD_MANIFEST_SCHEMA);
  const result = await checkPeriodManifest(periodText, sellerManifests());
  assert.deepEqual(result, {
    ok: true,
    reason: null,
    root: '4700e0c0e12c4f6afbc2ac68aeafd0ab63c22392d9e7f12a2e93e448797e9ebd',
    canonical: true,
    leaves: [
      { seller: 'acme-home', statement_number: 'LX-2026-017-202610-acme-home', ok: true },
      { seller: 'rio-casa', statement_number: 'LX-2026-024-202610-rio-casa', ok: true },
      { seller: 'sunny-gadgets', statement_number: 'LX-2026-021-202610-sunny-gadgets', ok: true },
    ],
  });
  assert.equal(result.root, manifest.merkle_root);
});

test('without seller manifests the root still recomputes and leaves are unchecked', async () => {
  for (const given of [new Map(), undefined]) {
    const result = await checkPeriodManifest(periodText, given);
    assert.equal(result.ok, true, result.reason);
    assert.deepEqual(result.leaves.map((l) => l.ok), [null, null, null]);
  }
});

test('a changed seller manifest fails, naming that seller', async () => {
  const given = sellerManifests();
  const changed = given.get('rio-casa').slice();
  changed[changed.length - 2] ^= 1;
  given.set('rio-casa', changed);
  const result = await checkPeriodManifest(periodText, given);
  assert.equal(result.ok, false);
  assert.match(result.reason, /seller "rio-casa" \(leaves\[1\], statement LX-2026-024-202610-rio-casa\): its manifest\.json has SHA-256 [0-9a-f]{64}, the period manifest lists d1aa5ee5/);
  assert.doesNotMatch(result.reason, /acme-home|sunny-gadgets/);
  assert.deepEqual(result.leaves.map((l) => l.ok), [true, false, true]);
  assert.equal(result.root, '4700e0c0e12c4f6afbc2ac68aeafd0ab63c22392d9e7f12a2e93e448797e9ebd');
});

test('a reordered leaf list fails: not sorted, and another root', async () => {
  const manifest = JSON.parse(periodText);
  [manifest.leaves[0], manifest.leaves[1]] = [manifest.leaves[1], manifest.leaves[0]];
  const result = await checkPeriodManifest(JSON.stringify(manifest), sellerManifests());
  assert.equal(result.ok, false);
  assert.match(result.reason, /leaves\[1\]\.seller "acme-home" is not after "rio-casa": leaves must be sorted/);
  assert.match(result.reason, /merkle_root is "4700e0c0[0-9a-f]{56}" but the leaves give [0-9a-f]{64}/);
  assert.notEqual(result.root, manifest.merkle_root);
  // Each seller's manifest still hashes to its own leaf.
  assert.deepEqual(result.leaves.map((l) => [l.seller, l.ok]), [['rio-casa', true], ['acme-home', true], ['sunny-gadgets', true]]);
});

test('leaves are sorted by UTF-8 bytes, not UTF-16 code units', async () => {
  // U+FF21 sorts after U+1F600 in UTF-16 (0xFF21 > 0xD83D) but before it in UTF-8 (EF… < F0…).
  const hash = (c) => c.repeat(64);
  const leaves = [
    { manifest_sha256: hash('1'), seller: '\uff21', statement_number: 'A' },
    { manifest_sha256: hash('2'), seller: '\u{1f600}', statement_number: 'B' },
  ];
  const root = toHex(await merkleRoot(leaves.map((l) => fromHex(l.manifest_sha256))));
  const manifest = { ...JSON.parse(periodText), leaves, count: 2, merkle_root: root };
  const result = await checkPeriodManifest(JSON.stringify(manifest), new Map());
  assert.equal(result.ok, true, result.reason);
  const swapped = { ...manifest, leaves: [leaves[1], leaves[0]] };
  assert.match((await checkPeriodManifest(JSON.stringify(swapped))).reason, /not after/);
});

test('a changed root, count, rule, schema, hash or field is refused, naming it', async () => {
  const base = JSON.parse(periodText);
  const cases = [
    [{ merkle_root: '0'.repeat(64) }, /merkle_root is "0{64}" but the leaves give 4700e0c0/],
    [{ count: 2 }, /count is 2, expected 3/],
    [{ leaf_rule: base.leaf_rule + '.' }, /leaf_rule is not the rule/],
    [{ schema: 'kpiseal-period-manifest/2' }, /schema is "kpiseal-period-manifest\/2"/],
    [{ key_id: '20e9d2e54f7831fb' }, /key_id "20e9d2e54f7831fb" is not 16 uppercase hex digits/],
    [{ extra: 1 }, /unknown field "extra"/],
    [{ leaves: [] , count: 0 }, /leaves is empty/],
    [{ leaves: [{ ...base.leaves[0], manifest_sha256: base.leaves[0].manifest_sha256.toUpperCase() }], count: 1 }, /leaves\[0\]\.manifest_sha256 of "acme-home" is not 64 lowercase hex/],
    [{ leaves: [{ ...base.leaves[0], seller: '../acme-home' }], count: 1 }, /leaves\[0\]\.seller "\.\.\/acme-home": a seller id must be a plain folder name/],
    [{ leaves: [base.leaves[0], base.leaves[0]], count: 2 }, /leaves\[1\]\.seller "acme-home" is not after "acme-home"/],
    [{ leaves: [{ ...base.leaves[0], note: 'x' }] }, /leaves\[0\] has unknown field "note"/],
    [{ provider: { name: 'x' } }, /provider has no field "legal_name"/],
  ];
  for (const [change, message] of cases) {
    const result = await checkPeriodManifest(JSON.stringify({ ...base, ...change }), new Map());
    assert.equal(result.ok, false, JSON.stringify(change));
    assert.match(result.reason, message, JSON.stringify(change));
  }
  const missing = { ...base };
  delete missing.count;
  assert.match((await checkPeriodManifest(JSON.stringify(missing))).reason, /no field "count"/);
  assert.match((await checkPeriodManifest('{')).reason, /not JSON/);
  assert.match((await checkPeriodManifest('[]')).reason, /not a JSON object/);
});

test('a seller manifest given for a seller without a leaf is refused', async () => {
  const given = sellerManifests();
  given.set('other-seller', utf8('{}'));
  const result = await checkPeriodManifest(periodText, given);
  assert.equal(result.ok, false);
  assert.match(result.reason, /seller "other-seller": a manifest\.json was given, but the period manifest has no leaf for it/);
});

test('canonical form is reported apart from ok', async () => {
  const spaced = JSON.stringify(JSON.parse(periodText), null, 1);
  const result = await checkPeriodManifest(spaced, sellerManifests());
  assert.equal(result.ok, true, result.reason);
  assert.equal(result.canonical, false);
});
