// minisign.js against the demo outputs of kpiseal's Rust code
// (test/fixtures/acme-home: manifest.json, manifest.json.minisig,
// provider.minisign.pub), against files made here with Node's own Ed25519,
// and, when it is installed, against the real `minisign` command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign as nodeSign, randomBytes } from 'node:crypto';
import {
  parseMinisignPublicKey,
  parseMinisignSignature,
  verifyMinisign,
  keyIdFromKeyNum,
  isEd25519PublicKey,
} from '../src/minisign.js';
import { ed25519Verify, keyIdOfEd25519 } from '../src/crypto.js';
import { blake2b } from '../src/blake2b.js';
import { utf8, toBase64, fromBase64, concatBytes } from '../src/bytes.js';

const FIXTURES = new URL('./fixtures/acme-home/', import.meta.url);
const fixtureBytes = (name) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const fixtureText = (name) => readFileSync(new URL(name, FIXTURES), 'utf8');

const MANIFEST = fixtureBytes('manifest.json');
const MINISIG = fixtureText('manifest.json.minisig');
const PUBLIC_KEY_FILE = fixtureText('provider.minisign.pub');
const MANIFEST_JSON = JSON.parse(new TextDecoder().decode(MANIFEST));
const KEY_ID = '20E9D2E54F7831FB';

/** The demo key's 32 raw bytes. */
async function demoKey() {
  return (await parseMinisignPublicKey(PUBLIC_KEY_FILE)).publicKey;
}

/** The signature file with line `n` (0-based) replaced by `f(line)`. */
function editLine(text, n, f) {
  const lines = text.split('\n');
  lines[n] = f(lines[n]);
  return lines.join('\n');
}

// --- Files made here, with Node's Ed25519 (independent of WebCrypto's use in minisign.js) ---

/** A fresh Ed25519 key: Node's private key, the 32 raw public bytes and kpiseal's key id. */
function newKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url'));
  const id = createHash('sha256').update(raw).digest('hex').slice(0, 16).toUpperCase();
  return { privateKey, raw, id };
}

/** The minisign key number of a key id: its 8 bytes reversed. */
function keyNumOfId(id) {
  return Uint8Array.from(Buffer.from(id, 'hex')).reverse();
}

/** A `.minisig` laid out as kpiseal writes it. `algorithm` "Ed" signs the raw message (legacy). */
function makeMinisig(key, message, comment, { algorithm = 'ED', id = key.id } = {}) {
  const signed = algorithm === 'ED' ? blake2b(message) : message;
  const signature = new Uint8Array(nodeSign(null, signed, key.privateKey));
  const first = concatBytes(utf8(algorithm), keyNumOfId(id), signature);
  const global = new Uint8Array(nodeSign(null, concatBytes(signature, utf8(comment)), key.privateKey));
  return `untrusted comment: signature from kpiseal key ${id}\n${toBase64(first)}\ntrusted comment: ${comment}\n${toBase64(global)}\n`;
}

/** A minisign public key file as kpiseal writes it (key number = key id reversed unless `id` says otherwise). */
function makePublicKeyFile(key, id = key.id) {
  return `untrusted comment: minisign public key ${key.id}\n${toBase64(concatBytes(utf8('Ed'), keyNumOfId(id), key.raw))}\n`;
}

// --- The demo files ---

test('the demo public key file reads as key 20E9D2E54F7831FB', async () => {
  const key = await parseMinisignPublicKey(PUBLIC_KEY_FILE);
  assert.equal(key.keyId, KEY_ID);
  assert.equal(key.publicKey.length, 32);
  assert.deepEqual([...key.keyNum], [...Buffer.from(KEY_ID, 'hex')].reverse());
  // The key id is SHA-256 of the raw key (computed here with node:crypto), first 8 bytes.
  assert.equal(createHash('sha256').update(key.publicKey).digest('hex').slice(0, 16).toUpperCase(), KEY_ID);
  assert.equal(await keyIdOfEd25519(key.publicKey), KEY_ID);
  assert.equal(keyIdFromKeyNum(key.keyNum), KEY_ID);
  // The same key as the OpenSSH line's.
  const sshBlob = fromBase64(fixtureText('provider.ssh.pub').split(' ')[1]);
  assert.deepEqual([...sshBlob.subarray(19)], [...key.publicKey]);
});

test('the demo signature file parses into its parts', () => {
  const sig = parseMinisignSignature(MINISIG);
  assert.equal(sig.untrustedComment, `untrusted comment: signature from kpiseal key ${KEY_ID}`);
  assert.equal(sig.algorithm, 'ED');
  assert.equal(sig.keyId, KEY_ID);
  assert.equal(sig.keyNum.length, 8);
  assert.equal(sig.signature.length, 64);
  assert.equal(sig.globalSignature.length, 64);
  assert.equal(sig.trustedComment, `kpiseal LX-2026-017-202610-acme-home 2026-10 key ${KEY_ID}`);
});

test('the demo manifest signature verifies, with the trusted comment kpiseal writes', async () => {
  const result = await verifyMinisign(MANIFEST, MINISIG, await demoKey());
  assert.equal(result.ok, true, result.reason);
  assert.equal(result.keyId, KEY_ID);
  assert.equal(
    result.trustedComment,
    `kpiseal ${MANIFEST_JSON.statement_number} ${MANIFEST_JSON.period} key ${MANIFEST_JSON.key_id}`,
  );
  // The same from the file's bytes, with \r\n line ends, and without the last line end.
  assert.equal((await verifyMinisign(MANIFEST, utf8(MINISIG), await demoKey())).ok, true);
  assert.equal((await verifyMinisign(MANIFEST, MINISIG.replaceAll('\n', '\r\n'), await demoKey())).ok, true);
  assert.equal((await verifyMinisign(MANIFEST, MINISIG.slice(0, -1), await demoKey())).ok, true);
});

test('one byte of the manifest changed: not ok', async () => {
  const key = await demoKey();
  for (const at of [0, 1000, MANIFEST.length - 1]) {
    const changed = MANIFEST.slice();
    changed[at] ^= 0x01;
    const result = await verifyMinisign(changed, MINISIG, key);
    assert.equal(result.ok, false, `byte ${at}`);
    assert.match(result.reason, /does not match the signed file/);
    assert.equal(result.trustedComment, undefined);
  }
  const result = await verifyMinisign(MANIFEST.subarray(0, -1), MINISIG, key);
  assert.equal(result.ok, false);
  assert.equal((await verifyMinisign(concatBytes(MANIFEST, utf8('\n')), MINISIG, key)).ok, false);
});

test('the trusted comment edited: not ok', async () => {
  const key = await demoKey();
  for (const edit of [
    (line) => line.replace('2026-10 key', '2026-11 key'),
    (line) => line.replace('acme-home', 'acme-hom3'),
    (line) => `${line} `,
    (line) => line.slice(0, -1),
  ]) {
    const result = await verifyMinisign(MANIFEST, editLine(MINISIG, 2, edit), key);
    assert.equal(result.ok, false);
    assert.match(result.reason, /trusted comment does not match/);
    assert.equal(result.trustedComment, undefined);
  }
});

test('another key: not ok, naming both keys', async () => {
  const other = newKey();
  const result = await verifyMinisign(MANIFEST, MINISIG, other.raw);
  assert.equal(result.ok, false);
  assert.equal(result.reason, `minisign signature was made by key ${KEY_ID}, expected key ${other.id}`);
  // The demo signature relabelled with the other key's number (and first line): the key
  // numbers now agree, but the Ed25519 signatures do not.
  const sig = parseMinisignSignature(MINISIG);
  const relabelled = [
    `untrusted comment: signature from kpiseal key ${other.id}`,
    toBase64(concatBytes(utf8('ED'), keyNumOfId(other.id), sig.signature)),
    `trusted comment: ${sig.trustedComment}`,
    toBase64(sig.globalSignature),
    '',
  ].join('\n');
  const forged = await verifyMinisign(MANIFEST, relabelled, other.raw);
  assert.equal(forged.ok, false);
  assert.match(forged.reason, /does not match the signed file/);
});

test('truncated or garbled files: not ok, with a reason', async () => {
  const key = await demoKey();
  const cases = {
    empty: ['', /expected 4 lines, found 1/],
    'three lines': [MINISIG.split('\n').slice(0, 3).join('\n'), /expected 4 lines, found 3/],
    'cut in the last line': [MINISIG.slice(0, -20), /line 4: expected canonical base64/],
    'cut in the second line': [editLine(MINISIG, 1, (l) => l.slice(0, 60)), /line 2: expected canonical base64/],
    'a fifth line': [`${MINISIG}extra\n`, /expected 4 lines, found 5/],
    'a blank line at the end': [`${MINISIG}\n`, /expected 4 lines, found 5/],
    'a blank line inside': [editLine(MINISIG, 1, (l) => `${l}\n`), /expected 4 lines, found 5/],
    'trailing space after base64': [editLine(MINISIG, 3, (l) => `${l} `), /line 4: expected canonical base64/],
    'another untrusted comment': [editLine(MINISIG, 0, () => 'untrusted comment: hello'), /line 1: expected "untrusted comment: signature from kpiseal key 20E9D2E54F7831FB"/],
    'untrusted comment in lowercase hex': [editLine(MINISIG, 0, (l) => l.toLowerCase()), /line 1: expected/],
    'no trusted comment prefix': [editLine(MINISIG, 2, (l) => l.replace('trusted comment: ', 'trusted comment:')), /line 3: expected it to begin "trusted comment: "/],
    'lines swapped': [MINISIG.split('\n').map((l, i, a) => a[[0, 3, 2, 1, 4][i]]).join('\n'), /line 2: expected canonical base64 of 74 bytes/],
    'random bytes': [randomBytes(300).toString('base64'), /expected 4 lines/],
    'a byte order mark': [`\uFEFF${MINISIG}`, /line 1: expected/],
    'not a string': [42, /expected text or bytes/],
  };
  for (const [name, [text, reason]] of Object.entries(cases)) {
    const result = await verifyMinisign(MANIFEST, text, key);
    assert.equal(result.ok, false, name);
    assert.match(result.reason, reason, name);
    assert.throws(() => parseMinisignSignature(text), name);
  }
  // Bytes that are not UTF-8, and a byte order mark in bytes (which must not vanish in decoding).
  const latin = concatBytes(utf8(MINISIG).subarray(0, 30), Uint8Array.of(0xff), utf8(MINISIG).subarray(30));
  assert.match((await verifyMinisign(MANIFEST, latin, key)).reason, /not UTF-8/);
  const bom = concatBytes(Uint8Array.of(0xef, 0xbb, 0xbf), utf8(MINISIG));
  assert.match((await verifyMinisign(MANIFEST, bom, key)).reason, /line 1: expected/);
});

test('non-canonical base64 is refused although it decodes to the same bytes', async () => {
  const key = await demoKey();
  const lines = MINISIG.split('\n');
  // Line 2 is 74 bytes: its last character before "=" carries 2 unused bits; line 4 (64
  // bytes) ends in two characters and "==", the second with 4 unused bits. Setting an
  // unused bit keeps the bytes and changes the spelling.
  const bump = (line, padding) => {
    const at = line.length - padding - 1;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    return line.slice(0, at) + alphabet[alphabet.indexOf(line[at]) | 1] + line.slice(at + 1);
  };
  const line2 = bump(lines[1], 1);
  const line4 = bump(lines[3], 2);
  assert.notEqual(line2, lines[1]);
  assert.notEqual(line4, lines[3]);
  // atob reads them as the same bytes: only the canonical check refuses them.
  assert.equal(Buffer.from(line2, 'base64').toString('hex'), Buffer.from(lines[1], 'base64').toString('hex'));
  assert.equal(Buffer.from(line4, 'base64').toString('hex'), Buffer.from(lines[3], 'base64').toString('hex'));
  for (const [n, line] of [[1, line2], [3, line4]]) {
    const text = editLine(MINISIG, n, () => line);
    const result = await verifyMinisign(MANIFEST, text, key);
    assert.equal(result.ok, false);
    assert.match(result.reason, new RegExp(`line ${n + 1}: expected canonical base64`));
  }
  // Unpadded, URL-safe and wrapped spellings are refused too.
  for (const edit of [(l) => l.replace(/=+$/, ''), (l) => l.replaceAll('+', '-').replaceAll('/', '_'), (l) => `${l.slice(0, 40)}\n${l.slice(40)}`]) {
    const text = editLine(MINISIG, 3, edit);
    assert.equal((await verifyMinisign(MANIFEST, text, key)).ok, false);
  }
});

test('the legacy Ed algorithm and unknown algorithms are refused', async () => {
  const key = newKey();
  const message = utf8('a manifest');
  const legacy = makeMinisig(key, message, 'legacy', { algorithm: 'Ed' });
  const result = await verifyMinisign(message, legacy, key.raw);
  assert.equal(result.ok, false);
  assert.match(result.reason, /legacy Ed algorithm/);
  // The legacy signature itself is good: Ed25519 over the raw message.
  const parts = fromBase64(legacy.split('\n')[1]);
  assert.equal(await ed25519Verify(key.raw, parts.subarray(10), message), true);

  const unknown = makeMinisig(key, message, 'x', { algorithm: 'EC' });
  assert.match((await verifyMinisign(message, unknown, key.raw)).reason, /algorithm is "EC"; expected ED/);
});

test('signatures made here with Node verify, including a UTF-8 trusted comment', async () => {
  const key = newKey();
  const message = randomBytes(5000);
  const comment = `kpiseal 对账单-ção 2026-10 key ${key.id}`;
  const text = makeMinisig(key, new Uint8Array(message), comment);
  const result = await verifyMinisign(new Uint8Array(message), text, key.raw);
  assert.deepEqual(result, { ok: true, reason: 'valid', trustedComment: comment, keyId: key.id });
  const parsed = await parseMinisignPublicKey(makePublicKeyFile(key));
  assert.deepEqual([...parsed.publicKey], [...key.raw]);
  assert.equal(parsed.keyId, key.id);
  // An empty message signs and verifies too.
  assert.equal((await verifyMinisign(new Uint8Array(0), makeMinisig(key, new Uint8Array(0), 'empty'), key.raw)).ok, true);
});

test('public key files: the forms Rust reads, and the ones it refuses', async () => {
  const key = newKey();
  const file = makePublicKeyFile(key);
  const bare = file.split('\n')[1];
  for (const text of [file, bare, `${bare}\n`, `\uFEFF${file}`, file.replaceAll('\n', '\r\n'), `\n\n  ${file.replace('\n', '\n\n   ')}  \n`]) {
    assert.equal((await parseMinisignPublicKey(text)).keyId, key.id, JSON.stringify(text));
  }
  assert.equal((await parseMinisignPublicKey(utf8(file))).keyId, key.id);
  const refused = {
    'a key number that is not the key id reversed': [makePublicKeyFile(key, 'ABCDEF0123456789'), /its key number names key ABCDEF0123456789, but the key it holds is /],
    'the key id not reversed': [makePublicKeyFile(key, Buffer.from(keyNumOfId(key.id)).toString('hex').toUpperCase()), /its key number names key/],
    'only the comment': ['untrusted comment: minisign public key\n', /no key line after the untrusted comment/],
    empty: ['', /the key is 0 bytes long; expected 42/],
    'not base64': ['untrusted comment: x\nRWT*\n', /the key line is not base64/],
    'too short': [`untrusted comment: x\n${toBase64(new Uint8Array(41))}\n`, /41 bytes long; expected 42/],
    'prehashed algorithm': [`${toBase64(concatBytes(utf8('ED'), keyNumOfId(key.id), key.raw))}\n`, /the key algorithm is not Ed/],
  };
  // (A public key line is 42 bytes, 56 base64 characters with no padding and no unused
  // bits, so it has no non-canonical spelling of the same bytes.)
  for (const [name, [text, reason]] of Object.entries(refused)) {
    await assert.rejects(parseMinisignPublicKey(text), reason, name);
  }
  // A 32-byte string that is not a curve point, with a consistent key number.
  const notPoint = notAPoint();
  const id = createHash('sha256').update(notPoint).digest('hex').slice(0, 16).toUpperCase();
  const text = toBase64(concatBytes(utf8('Ed'), keyNumOfId(id), notPoint));
  await assert.rejects(parseMinisignPublicKey(text), /not a valid Ed25519 public key/);
});

// --- Ed25519 point decoding, against an independent decoder (RFC 8032 §5.1.3) ---

const P = (1n << 255n) - 19n;
const pow = (b, e) => {
  let r = 1n;
  b %= P;
  for (; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
};
const D = (-121665n * pow(121666n, P - 2n) % P + P) % P;
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/** RFC 8032's decoding, without its two refusals that ed25519-dalek does not make (y ≥ p, x = 0 with the sign bit set). */
function rfc8032Decodes(bytes) {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(bytes[i]);
  y &= (1n << 255n) - 1n;
  y %= P;
  const u = (y * y - 1n + P) % P;
  const v = (D * y * y + 1n) % P;
  let x = (u * pow(v, 3n) % P) * pow(u * pow(v, 7n), (P - 5n) / 8n) % P;
  const vxx = (v * x * x) % P;
  if (vxx === u) return true;
  if (vxx === (P - u) % P) {
    x = (x * SQRT_M1) % P;
    return true;
  }
  return false;
}

/** 32 bytes that are not an Ed25519 point. */
function notAPoint() {
  for (;;) {
    const candidate = new Uint8Array(randomBytes(32));
    if (!rfc8032Decodes(candidate)) return candidate;
  }
}

test('isEd25519PublicKey agrees with RFC 8032 decoding and accepts real keys', () => {
  let valid = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = new Uint8Array(randomBytes(32));
    const expected = rfc8032Decodes(bytes);
    valid += expected ? 1 : 0;
    assert.equal(isEd25519PublicKey(bytes), expected, Buffer.from(bytes).toString('hex'));
  }
  assert.ok(valid > 50 && valid < 250, `${valid} of 300 random strings decode`); // about half do
  for (let i = 0; i < 20; i++) assert.equal(isEd25519PublicKey(newKey().raw), true);
  const identity = new Uint8Array(32);
  identity[0] = 1; // y = 1, x = 0
  assert.equal(isEd25519PublicKey(identity), true);
  assert.equal(isEd25519PublicKey(new Uint8Array(31)), false);
  assert.equal(isEd25519PublicKey('not bytes'), false);
});

test('verifyMinisign never throws, whatever it is given', async () => {
  const key = await demoKey();
  for (const args of [[], [null, null, null], [MANIFEST, MINISIG, null], [MANIFEST, MINISIG, new Uint8Array(31)], ['text', MINISIG, key], [MANIFEST, {}, key], [MANIFEST, undefined, key]]) {
    const result = await verifyMinisign(...args);
    assert.equal(result.ok, false);
    assert.equal(typeof result.reason, 'string');
    assert.ok(result.reason.length > 0);
  }
  // A key that is not a curve point, named correctly by a signature's key number.
  const bad = notAPoint();
  const id = createHash('sha256').update(bad).digest('hex').slice(0, 16).toUpperCase();
  const sig = parseMinisignSignature(MINISIG);
  const text = [
    `untrusted comment: signature from kpiseal key ${id}`,
    toBase64(concatBytes(utf8('ED'), keyNumOfId(id), sig.signature)),
    `trusted comment: ${sig.trustedComment}`,
    toBase64(sig.globalSignature),
  ].join('\n');
  const result = await verifyMinisign(MANIFEST, text, bad);
  assert.equal(result.ok, false);
  assert.match(result.reason, /not a valid Ed25519 key/);
});

// --- The real minisign, when installed ---

const MINISIGN = spawnSync('minisign', ['-v'], { encoding: 'utf8' });
const noMinisign = MINISIGN.error ? 'the minisign command is not installed' : false;

/** Whether `minisign -V` accepts `signature` of `message` under the public key file `pub`. */
function minisignAccepts(message, signature, pub) {
  const dir = mkdtempSync(join(tmpdir(), 'kpiseal-minisign-'));
  try {
    writeFileSync(join(dir, 'file'), message);
    writeFileSync(join(dir, 'file.minisig'), signature);
    writeFileSync(join(dir, 'key.pub'), pub);
    const run = spawnSync('minisign', ['-Vm', join(dir, 'file'), '-p', join(dir, 'key.pub')], { encoding: 'utf8' });
    return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('cross-check with the minisign command: demo files', { skip: noMinisign }, async () => {
  const key = await demoKey();
  const changed = MANIFEST.slice();
  changed[10] ^= 0x20;
  const cases = [
    ['valid', MANIFEST, MINISIG, true],
    ['manifest changed', changed, MINISIG, false],
    ['trusted comment changed', MANIFEST, editLine(MINISIG, 2, (l) => l.replace('2026-10', '2026-09')), false],
  ];
  for (const [name, message, signature, expected] of cases) {
    const theirs = minisignAccepts(message, signature, PUBLIC_KEY_FILE);
    const ours = await verifyMinisign(message, signature, key);
    assert.equal(theirs.ok, expected, `minisign, ${name}: ${theirs.output}`);
    assert.equal(ours.ok, expected, `verifyMinisign, ${name}: ${ours.reason}`);
    if (expected) assert.match(theirs.output, new RegExp(`Trusted comment: ${ours.trustedComment}`));
  }
});

test('cross-check with the minisign command: files made here', { skip: noMinisign }, async () => {
  const key = newKey();
  const other = newKey();
  const message = new Uint8Array(randomBytes(3000));
  const good = makeMinisig(key, message, `kpiseal S-1 2026-10 key ${key.id}`);
  // minisign agrees that the files this test makes are valid (so the cases above
  // built with them test what they claim), and that another key's are not.
  assert.equal(minisignAccepts(message, good, makePublicKeyFile(key)).ok, true);
  assert.equal((await verifyMinisign(message, good, key.raw)).ok, true);
  assert.equal(minisignAccepts(message, good, makePublicKeyFile(other)).ok, false);
  assert.equal((await verifyMinisign(message, good, other.raw)).ok, false);
  const forged = makeMinisig(other, message, 'x', { id: key.id });
  assert.equal(minisignAccepts(message, forged, makePublicKeyFile(key)).ok, false);
  assert.equal((await verifyMinisign(message, forged, key.raw)).ok, false);
});

test('a browser without Ed25519 gets a reason that says so, not "does not match"', async () => {
  const key = await demoKey();
  const original = crypto.subtle.importKey;
  crypto.subtle.importKey = async () => {
    throw new DOMException('Unrecognized algorithm name', 'NotSupportedError');
  };
  try {
    const result = await verifyMinisign(MANIFEST, MINISIG, key);
    assert.equal(result.ok, false);
    assert.match(result.reason, /cannot check Ed25519 signatures/);
  } finally {
    crypto.subtle.importKey = original;
  }
  assert.equal((await verifyMinisign(MANIFEST, MINISIG, key)).ok, true);
});
