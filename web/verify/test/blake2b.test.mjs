// BLAKE2b against vectors from independent implementations: RFC 7693
// Appendix A, and Python's hashlib.blake2b (computed offline, written here
// as literals) for the empty input, block boundaries, multi-block inputs and
// shorter digests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { blake2b } from '../src/blake2b.js';
import { toHex, utf8 } from '../src/bytes.js';

/** n bytes 0, 1, 2, … 250, 0, 1, … (Python: bytes(i % 251 for i in range(n))). */
function pattern(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 251;
  return out;
}

test('RFC 7693 Appendix A: BLAKE2b-512("abc")', () => {
  assert.equal(
    toHex(blake2b(utf8('abc'))),
    'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
  );
});

test('empty input', () => {
  assert.equal(
    toHex(blake2b(new Uint8Array(0))),
    '786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce',
  );
});

// hashlib.blake2b(bytes(i % 251 for i in range(n))).hexdigest()
const PATTERN_VECTORS = {
  1: '2fa3f686df876995167e7c2e5d74c4c7b6e48f8068fe0e44208344d480f7904c36963e44115fe3eb2a3ac8694c28bcb4f5a0f3276f2e79487d8219057a506e4b',
  111: 'bf23c0c25c8060e4f6995f1623a3bebecaa96e308680000a8aa3cd56bb1a6da099e10d9231b37f4519b2efd2c24de72f31a5f19535241b4a59fa3c03ceb790e7',
  112: '877fd652c05281009c0a5250e7a3a671f8b18c108817fe4a874de22da8e45db11958a600c5f62e67d36cbf84474cf244a9c2b03a9fb9dc711cd1a2cab6f3fae0',
  127: 'b6292669ccd38d5f01caae96ba272c76a879a45743afa0725d83b9ebb26665b731f1848c52f11972b6644f554c064fa90780dbbbf3a89d4fc31f67df3e5857ef',
  128: '2319e3789c47e2daa5fe807f61bec2a1a6537fa03f19ff32e87eecbfd64b7e0e8ccff439ac333b040f19b0c4ddd11a61e24ac1fe0f10a039806c5dcc0da3d115',
  129: 'f59711d44a031d5f97a9413c065d1e614c417ede998590325f49bad2fd444d3e4418be19aec4e11449ac1a57207898bc57d76a1bcf3566292c20c683a5c4648f',
  200: 'fb3c1f0f56a56f8e316fdf5d853c8c872c39635d083634c3904fc3ac07d1b578e85ff0e480e92d44ade33b62e893ee32343e79ddf6ef292e89b582d312502314',
  255: 'fe2c02da499516b0e9fb2dd70c49eb3629039f632e20a880946fb7bc97a7ab09deb7d48774d7f0648141c9d9ede19ae6e0dbf07863a128cf4b00195f0f179f74',
  256: '93463ac058b6163eb43be3f5bb32b28541498f4e3366f1effe253ad44e1e076e41c3616046027c82a7124f8f4746668ad10b12e8e25a95ac8f3151df01cd5a93',
  257: '9ca40e2ddee9436dbbd08efc65dbaf4870059f5eb3d76efd20241ae5bf13c60f250b882ea5c564838257a3fc95c496819ace2c6490b55b268535208dfc31822c',
  1000: 'c11e1c0340bd7e5a1b275f1230c962fad215ecb1391486e74e31b960a2f2996381a5fad092da06841d5f26e38f6ecfeaf441acbcd1c2de61aef121e7927175f5',
};

test('block boundaries: exactly 128 and 129 bytes', () => {
  assert.equal(toHex(blake2b(pattern(128))), PATTERN_VECTORS[128]);
  assert.equal(toHex(blake2b(pattern(129))), PATTERN_VECTORS[129]);
});

test('lengths around one and two blocks match hashlib', () => {
  for (const [n, expected] of Object.entries(PATTERN_VECTORS)) {
    assert.equal(toHex(blake2b(pattern(Number(n)))), expected, `length ${n}`);
  }
});

test('1,000,000 bytes of "a" match hashlib', () => {
  const input = new Uint8Array(1000000).fill(0x61);
  assert.equal(
    toHex(blake2b(input)),
    '98fb3efb7206fd19ebf69b6f312cf7b64e3b94dbe1a17107913975a793f177e1d077609d7fba363cbba00d05f7aa4e4fa8715d6428104c0a75643b0ff3fd3eaf',
  );
});

test('shorter digests carry their length in the parameter block (hashlib digest_size)', () => {
  // hashlib.blake2b(bytes(i % 251 for i in range(200)), digest_size=n).hexdigest()
  const expected = {
    1: '5f',
    20: 'b83a5733ce63f2dd8266ea8ec93333d7935142cf',
    32: '63c3d97a9f8894d5e043a707b0fee7f7ec4c049a23bbf1079df20b4165f9e22d',
    48: 'c3fb89d604f306fc6ee2aafebefbf69d26b21dbbdc055166858d527a4501ff479894b533398334379c182ad6747bd1af',
    63: '07757495872687192c2be9b3c255dedfeec4035f29171d4a382f57a6dfd64e019ee8da8914ba78c0be5e54b1c9b90d2c71b28dae6af4c4d81b250aa2edaaac',
  };
  for (const [n, hex] of Object.entries(expected)) {
    assert.equal(toHex(blake2b(pattern(200), Number(n))), hex, `outLength ${n}`);
  }
  assert.equal(
    toHex(blake2b(utf8('abc'), 32)),
    'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
  );
});

test('the demo manifest hashes as b2sum and hashlib hash it', () => {
  const manifest = readFileSync(new URL('./fixtures/acme-home/manifest.json', import.meta.url));
  assert.equal(
    toHex(blake2b(new Uint8Array(manifest))),
    '5eb7ecd5c02f32552edeaa786d8640cddf3ac8d32af7d46cf634859a3d402e131a5fdb7642d4e771d5144b9658fb8fbe226a3ef78118cfa493da9895f3439960',
  );
});

test('a subarray is hashed as its own bytes, not its buffer', () => {
  const big = pattern(400);
  assert.equal(toHex(blake2b(big.subarray(0, 200))), PATTERN_VECTORS[200]);
  const shifted = new Uint8Array(210);
  shifted.set(pattern(200), 10);
  assert.equal(toHex(blake2b(shifted.subarray(10))), PATTERN_VECTORS[200]);
});

test('bad arguments are refused', () => {
  for (const n of [0, 65, 1.5, -1, NaN, '64']) {
    assert.throws(() => blake2b(new Uint8Array(1), n), RangeError, `outLength ${n}`);
  }
  assert.throws(() => blake2b('abc'), TypeError);
  assert.throws(() => blake2b([1, 2, 3]), TypeError);
});

test('200 KB hashes in well under 100 ms', () => {
  const input = pattern(200 * 1024);
  blake2b(input); // warm up the JIT
  const start = performance.now();
  blake2b(input);
  const elapsed = performance.now() - start;
  assert.ok(elapsed < 100, `took ${elapsed.toFixed(1)} ms`);
});
