// sshsig.js against the demo outputs of kpiseal's Rust code
// (test/fixtures/acme-home: manifest.json, manifest.json.sig,
// provider.ssh.pub, allowed_signers), against signatures made here with
// Node's own Ed25519, and, when it is installed, against `ssh-keygen -Y`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign as nodeSign, randomBytes } from 'node:crypto';
import {
  SSHSIG_MANIFEST_NAMESPACE,
  SSHSIG_DRAFT_NAMESPACE,
  SSHSIG_PERIOD_NAMESPACE,
  parseSshSignature,
  parseSshPublicKey,
  parseAllowedSigners,
  verifySshsig,
  sshsigIdentity,
} from '../src/sshsig.js';
import { parseMinisignPublicKey } from '../src/minisign.js';
import { utf8, toBase64, fromBase64, concatBytes } from '../src/bytes.js';

const FIXTURES = new URL('./fixtures/acme-home/', import.meta.url);
const fixtureBytes = (name) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const fixtureText = (name) => readFileSync(new URL(name, FIXTURES), 'utf8');

const MANIFEST = fixtureBytes('manifest.json');
const SIG = fixtureText('manifest.json.sig');
const SSH_PUB = fixtureText('provider.ssh.pub');
const ALLOWED = fixtureText('allowed_signers');
const KEY_ID = '20E9D2E54F7831FB';
const DEMO_KEY = parseSshPublicKey(SSH_PUB).publicKey;

// --- Signatures made here, with Node's Ed25519 and SHA-2 ---

/** A fresh Ed25519 key: Node's private key, the 32 raw public bytes and kpiseal's key id. */
function newKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url'));
  const id = createHash('sha256').update(raw).digest('hex').slice(0, 16).toUpperCase();
  return { privateKey, raw, id };
}

/** Each part as an SSH string (uint32 big-endian length ‖ bytes). */
function str(...parts) {
  return concatBytes(...parts.flatMap((p) => {
    const bytes = typeof p === 'string' ? utf8(p) : p;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return [new Uint8Array(length), bytes];
  }));
}

function u32(n) {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return new Uint8Array(out);
}

/** `blob` in the armor ssh-keygen writes, lines of `width` characters. */
function armor(blob, width = 70) {
  const body = toBase64(blob);
  const lines = ['-----BEGIN SSH SIGNATURE-----'];
  for (let i = 0; i < body.length; i += width) lines.push(body.slice(i, i + width));
  lines.push('-----END SSH SIGNATURE-----', '');
  return lines.join('\n');
}

/**
 * An SSHSIG of `message` by `key` in `namespace`, as PROTOCOL.sshsig lays it
 * out; the options make the odd ones the tests need. `signedReserved` is the
 * reserved field that is signed, `reserved` the one written in the blob.
 */
function makeSshsig(key, message, namespace, options = {}) {
  const { hash = 'sha512', version = 1, reserved = new Uint8Array(0), signedReserved = reserved, embedded = key.raw, signatureType = 'ssh-ed25519', tail = new Uint8Array(0), width = 70 } = options;
  const digest = new Uint8Array(createHash(hash).update(message).digest());
  const signed = concatBytes(utf8('SSHSIG'), str(namespace, signedReserved, hash, digest));
  const signature = new Uint8Array(nodeSign(null, signed, key.privateKey));
  const blob = concatBytes(
    utf8('SSHSIG'),
    u32(version),
    str(str('ssh-ed25519', embedded), namespace, reserved, hash, str(signatureType, signature)),
    tail,
  );
  return armor(blob, width);
}

/** The OpenSSH public key line of `key`, as kpiseal writes it. */
function publicKeyLine(key) {
  return `ssh-ed25519 ${toBase64(str('ssh-ed25519', key.raw))} kpiseal:${key.id}`;
}

/** The armored text with base64 body `f(body)`, re-wrapped at 70. */
function editBody(armored, f) {
  const lines = armored.trim().split('\n');
  return armor(f(fromBase64(lines.slice(1, -1).join(''))));
}

// --- The demo files ---

test('the namespaces are those of sshsig.rs', () => {
  assert.equal(SSHSIG_MANIFEST_NAMESPACE, 'kpiseal-manifest@v1');
  assert.equal(SSHSIG_DRAFT_NAMESPACE, 'kpiseal-draft-manifest@v1');
  assert.equal(SSHSIG_PERIOD_NAMESPACE, 'kpiseal-period-manifest@v1');
  assert.equal(sshsigIdentity(KEY_ID), `kpiseal:${KEY_ID}`);
});

test('the demo key files read as the same key as the minisign one', async () => {
  const line = parseSshPublicKey(SSH_PUB);
  assert.equal(line.keyType, 'ssh-ed25519');
  assert.equal(line.comment, `kpiseal:${KEY_ID}`);
  const minisignKey = await parseMinisignPublicKey(fixtureText('provider.minisign.pub'));
  assert.deepEqual([...line.publicKey], [...minisignKey.publicKey]);
  const [entry, ...rest] = parseAllowedSigners(ALLOWED);
  assert.equal(rest.length, 0);
  assert.deepEqual(entry.principals, [`kpiseal:${KEY_ID}`]);
  assert.deepEqual(entry.namespaces, [SSHSIG_MANIFEST_NAMESPACE]);
  assert.deepEqual(entry.options, { namespaces: SSHSIG_MANIFEST_NAMESPACE });
  assert.equal(entry.keyType, 'ssh-ed25519');
  assert.deepEqual([...entry.publicKey], [...line.publicKey]);
  assert.equal(entry.line, 1);
});

test('the demo signature parses into its parts', () => {
  const sig = parseSshSignature(SIG);
  assert.equal(sig.version, 1);
  assert.equal(sig.namespace, SSHSIG_MANIFEST_NAMESPACE);
  assert.equal(sig.hashAlgorithm, 'sha512');
  assert.equal(sig.reserved.length, 0);
  assert.equal(sig.signature.length, 64);
  assert.deepEqual([...sig.publicKey], [...DEMO_KEY]);
  assert.deepEqual(parseSshSignature(utf8(SIG)), sig);
});

test('the demo manifest signature verifies', async () => {
  assert.deepEqual(await verifySshsig(MANIFEST, SIG, DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE), { ok: true, reason: 'valid' });
  assert.equal((await verifySshsig(MANIFEST, utf8(SIG), DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE)).ok, true);
  // \r\n line ends and a missing final line end are allowed, as in Rust.
  assert.equal((await verifySshsig(MANIFEST, SIG.replaceAll('\n', '\r\n'), DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE)).ok, true);
  assert.equal((await verifySshsig(MANIFEST, SIG.slice(0, -1), DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE)).ok, true);
});

test('a tampered message: not ok', async () => {
  for (const at of [0, 1700, MANIFEST.length - 1]) {
    const changed = MANIFEST.slice();
    changed[at] ^= 0x04;
    const result = await verifySshsig(changed, SIG, DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE);
    assert.deepEqual(result, { ok: false, reason: 'SSH signature does not match the signed file' }, `byte ${at}`);
  }
  assert.equal((await verifySshsig(MANIFEST.subarray(1), SIG, DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE)).ok, false);
});

test('the wrong namespace: not ok', async () => {
  for (const namespace of [SSHSIG_PERIOD_NAMESPACE, SSHSIG_DRAFT_NAMESPACE, 'file', 'git']) {
    const result = await verifySshsig(MANIFEST, SIG, DEMO_KEY, namespace);
    assert.equal(result.ok, false);
    assert.equal(result.reason, `SSH signature namespace is "kpiseal-manifest@v1", expected ${JSON.stringify(namespace)}`);
  }
  assert.match((await verifySshsig(MANIFEST, SIG, DEMO_KEY)).reason, /no SSH signature namespace/);
  // A good signature of the same bytes and key in another namespace is refused too.
  const key = newKey();
  const message = utf8('{"a":1}');
  const inPeriod = makeSshsig(key, message, SSHSIG_PERIOD_NAMESPACE);
  assert.equal((await verifySshsig(message, inPeriod, key.raw, SSHSIG_PERIOD_NAMESPACE)).ok, true);
  assert.equal((await verifySshsig(message, inPeriod, key.raw, SSHSIG_MANIFEST_NAMESPACE)).ok, false);
  // The namespace is signed: relabelling it in the blob breaks the signature.
  const blob = fromBase64(inPeriod.split('\n').slice(1, -2).join(''));
  const text = Buffer.from(blob).toString('latin1').replace('kpiseal-period-manifest@v1', 'kpiseal-period-manifesT@v1');
  const edited = armor(new Uint8Array(Buffer.from(text, 'latin1')));
  const result = await verifySshsig(message, edited, key.raw, 'kpiseal-period-manifesT@v1');
  assert.deepEqual(result, { ok: false, reason: 'SSH signature does not match the signed file' });
});

test('another key: not ok', async () => {
  const other = newKey();
  const result = await verifySshsig(MANIFEST, SIG, other.raw, SSHSIG_MANIFEST_NAMESPACE);
  assert.equal(result.ok, false);
  assert.equal(result.reason, `SSH signature was made by another key (key ${KEY_ID}), expected key ${other.id}`);
  // Signed by another key but claiming the demo key: the signature does not verify.
  const claimed = makeSshsig(other, MANIFEST, SSHSIG_MANIFEST_NAMESPACE, { embedded: DEMO_KEY });
  assert.deepEqual(await verifySshsig(MANIFEST, claimed, DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE), {
    ok: false,
    reason: 'SSH signature does not match the signed file',
  });
  // Good for its own key, which is not the pinned one.
  const own = makeSshsig(other, MANIFEST, SSHSIG_MANIFEST_NAMESPACE);
  assert.equal((await verifySshsig(MANIFEST, own, other.raw, SSHSIG_MANIFEST_NAMESPACE)).ok, true);
  assert.match((await verifySshsig(MANIFEST, own, DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE)).reason, /made by another key/);
});

test('garbled armor: not ok, with a reason', async () => {
  const lines = SIG.split('\n');
  const cases = {
    empty: ['', /expected an armored -----BEGIN SSH SIGNATURE-----/],
    'no END line': [lines.slice(0, -2).join('\n'), /expected an armored/],
    'no BEGIN line': [lines.slice(1).join('\n'), /expected an armored/],
    'another label': [SIG.replaceAll('SSH SIGNATURE', 'SSH SIGNATURES'), /expected an armored/],
    'a body line dropped': [[...lines.slice(0, 2), ...lines.slice(3)].join('\n'), /not canonical base64|truncated/],
    'the last body line cut': [[...lines.slice(0, 4), lines[4].slice(0, -4), ...lines.slice(5)].join('\n'), /truncated/],
    'a character changed to a non-base64 one': [SIG.replace('U1NIU0lH', 'U1NIU0l*'), /not canonical base64/],
    'text after the END line': [`${SIG}trailing\n`, /expected an armored/],
    'a blank line before END': [SIG.replace('\n-----END', '\n\n-----END'), /not in canonical form/],
    'wrapped at 64 columns': [armor(fromBase64(lines.slice(1, -2).join('')), 64), /not in canonical form/],
    'indented body': [SIG.replace('\nU1NI', '\n U1NI'), /not canonical base64/],
    'leading blank line': [`\n${SIG}`, /expected an armored/],
    'a byte order mark': [`\uFEFF${SIG}`, /expected an armored/],
    'random base64 body': [armor(new Uint8Array(randomBytes(200))), /does not begin with SSHSIG/],
    'not text': [42, /expected text or bytes/],
  };
  for (const [name, [text, reason]] of Object.entries(cases)) {
    const result = await verifySshsig(MANIFEST, text, DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE);
    assert.equal(result.ok, false, name);
    assert.match(result.reason, reason, name);
    assert.throws(() => parseSshSignature(text), name);
  }
  const notUtf8 = concatBytes(utf8(SIG).subarray(0, 40), Uint8Array.of(0xc3), utf8(SIG).subarray(40));
  assert.match((await verifySshsig(MANIFEST, notUtf8, DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE)).reason, /not UTF-8/);
});

test('blobs Rust refuses: wrong version, hash, lengths, trailing bytes', async () => {
  const key = newKey();
  const message = utf8('manifest');
  const ns = SSHSIG_MANIFEST_NAMESPACE;
  const check = async (options, reason) => {
    const text = makeSshsig(key, message, ns, options);
    const result = await verifySshsig(message, text, key.raw, ns);
    assert.equal(result.ok, false, JSON.stringify(options));
    assert.match(result.reason, reason);
  };
  await check({ version: 0 }, /format version is 0, expected 1/);
  await check({ version: 2 }, /format version is 2, expected 1/);
  await check({ hash: 'sha256' }, /hash algorithm is sha256, expected sha512/);
  await check({ hash: 'sha1' }, /unknown hash algorithm "sha1"/);
  await check({ tail: Uint8Array.of(0) }, /1 unexpected bytes at its end/);
  await check({ embedded: key.raw.subarray(0, 31) }, /the signing key is 31 bytes long; expected 32/);
  await check({ signatureType: 'ssh-rsa' }, /signature is of type "ssh-rsa", expected ssh-ed25519/);
  const empty = makeSshsig(key, message, '');
  assert.match((await verifySshsig(message, empty, key.raw, ns)).reason, /the namespace is empty/);
  // A signature string of 63 bytes, and an RSA-typed signing key.
  const short = editBody(makeSshsig(key, message, ns), (blob) => {
    const cut = blob.slice(0, -1);
    // Shrink the outer and inner lengths of the signature string by one.
    const view = new DataView(cut.buffer);
    view.setUint32(cut.length - 4 - 63 - 4 - 11 - 4, 4 + 11 + 4 + 63);
    view.setUint32(cut.length - 4 - 63, 63);
    return cut;
  });
  assert.match((await verifySshsig(message, short, key.raw, ns)).reason, /63 bytes long, expected 64/);
  const rsa = editBody(makeSshsig(key, message, ns), (blob) => {
    const text = Buffer.from(blob).toString('latin1').replace('ssh-ed25519', 'ssh-rsa-xyz');
    return new Uint8Array(Buffer.from(text, 'latin1'));
  });
  assert.match((await verifySshsig(message, rsa, key.raw, ns)).reason, /the signing key is a ssh-rsa-xyz key; only ssh-ed25519/);
});

test('signatures made here verify; the reserved field is signed as Rust (ssh-key) signs it', async () => {
  const key = newKey();
  const message = new Uint8Array(randomBytes(4096));
  for (const ns of [SSHSIG_MANIFEST_NAMESPACE, SSHSIG_PERIOD_NAMESPACE, 'a namespace with ünïcode']) {
    assert.deepEqual(await verifySshsig(message, makeSshsig(key, message, ns), key.raw, ns), { ok: true, reason: 'valid' });
  }
  assert.equal((await verifySshsig(new Uint8Array(0), makeSshsig(key, new Uint8Array(0), 'x'), key.raw, 'x')).ok, true);
  // ssh-key (and so kpiseal's Rust verifier) signs over the blob's reserved field.
  const reserved = utf8('future');
  assert.equal((await verifySshsig(message, makeSshsig(key, message, 'x', { reserved }), key.raw, 'x')).ok, true);
  const unsignedReserved = makeSshsig(key, message, 'x', { reserved, signedReserved: new Uint8Array(0) });
  assert.equal((await verifySshsig(message, unsignedReserved, key.raw, 'x')).ok, false);
});

test('OpenSSH public key lines: the forms Rust reads, and the ones it refuses', () => {
  const key = newKey();
  const line = publicKeyLine(key);
  const [type, b64] = line.split(' ');
  for (const text of [line, `${line}\n`, `${line}\r\n`, `\uFEFF  ${line}  \n\nsecond line`, `${type} ${b64}`, `${type} ${b64} `]) {
    assert.deepEqual([...parseSshPublicKey(text).publicKey], [...key.raw], JSON.stringify(text));
  }
  assert.equal(parseSshPublicKey(line).comment, `kpiseal:${key.id}`);
  assert.equal(parseSshPublicKey(`${type} ${b64}`).comment, '');
  assert.equal(parseSshPublicKey(`${type} ${b64} two words  \t`).comment, 'two words');
  const notPoint = (() => {
    for (;;) {
      const candidate = new Uint8Array(randomBytes(32));
      const text = `${type} ${toBase64(str('ssh-ed25519', candidate))}`;
      try {
        parseSshPublicKey(text);
      } catch {
        return text;
      }
    }
  })();
  const refused = {
    'another key type': [`ssh-rsa ${toBase64(str('ssh-rsa', u32(65537)))} x`, /key type ssh-rsa is not ssh-ed25519/],
    'text type and blob type differ': [`ssh-ed25519 ${toBase64(str('ssh-ed25519x', key.raw))}`, /is a ssh-ed25519x key/],
    'two spaces': [`${type}  ${b64}`, /expected "ssh-ed25519 <base64> \[comment\]"/],
    'a tab': [`${type}\t${b64}`, /expected "ssh-ed25519/],
    'no key': [type, /expected "ssh-ed25519/],
    'cut base64': [`${type} ${b64.slice(0, -4)}`, /truncated/],
    'bad base64': [`${type} ${b64.slice(0, -1)}`, /not canonical base64/],
    'a 31-byte key': [`${type} ${toBase64(str('ssh-ed25519', key.raw.subarray(1)))}`, /31 bytes long; expected 32/],
    'trailing bytes': [`${type} ${toBase64(concatBytes(str('ssh-ed25519', key.raw), u32(0)))}`, /unexpected bytes/],
    'not a curve point': [notPoint, /not a valid Ed25519 public key/],
    empty: ['', /expected "ssh-ed25519/],
  };
  for (const [name, [text, reason]] of Object.entries(refused)) {
    assert.throws(() => parseSshPublicKey(text), reason, name);
  }
});

test('allowed_signers: several lines, comments, options', () => {
  const [a, b] = [newKey(), newKey()];
  const b64 = (key) => toBase64(str('ssh-ed25519', key.raw));
  const text = [
    '# trusted signers',
    '',
    `kpiseal:${a.id} namespaces="${SSHSIG_MANIFEST_NAMESPACE},${SSHSIG_PERIOD_NAMESPACE}" ssh-ed25519 ${b64(a)} a comment`,
    `   alice@example.com,"bob@example.com" ssh-ed25519 ${b64(b)}\r`,
    `ca@example.com cert-authority,valid-after="20260101",namespaces="file" ssh-ed25519 ${b64(a)}`,
  ].join('\n');
  const entries = parseAllowedSigners(text);
  assert.equal(entries.length, 3);
  assert.deepEqual(entries.map((e) => e.line), [3, 4, 5]);
  assert.deepEqual(entries[0].namespaces, [SSHSIG_MANIFEST_NAMESPACE, SSHSIG_PERIOD_NAMESPACE]);
  assert.equal(entries[0].comment, 'a comment');
  assert.deepEqual([...entries[0].publicKey], [...a.raw]);
  assert.deepEqual(entries[1].principals, ['alice@example.com', '"bob@example.com"']);
  assert.equal(entries[1].namespaces, null);
  assert.deepEqual([...entries[1].publicKey], [...b.raw]);
  assert.deepEqual(entries[2].options, { 'cert-authority': true, 'valid-after': '20260101', namespaces: 'file' });
  assert.deepEqual(parseAllowedSigners('\n# nothing\n'), []);
  for (const [bad, reason] of [
    [`kpiseal:X ssh-ed25519`, /line 1 is malformed/],
    [`kpiseal:X namespaces="a ssh-ed25519 ${b64(a)}`, /unclosed quote/],
    [`kpiseal:X namespaces="a" ssh-ed25519 AAAA`, /line 1/],
    [`# ok\nkpiseal:X namespaces="a",namespaces="b" ssh-ed25519 ${b64(a)}`, /line 2 is malformed: option namespaces given twice/],
    [`kpiseal:X namespaces="a" ssh-rsa ${b64(a)}`, /key type ssh-rsa is not ssh-ed25519/],
  ]) {
    assert.throws(() => parseAllowedSigners(bad), reason, bad);
  }
});

test('verifySshsig never throws, whatever it is given', async () => {
  for (const args of [[], [null, null, null, null], [MANIFEST, SIG, null, 'x'], [MANIFEST, SIG, new Uint8Array(33), 'x'], ['text', SIG, DEMO_KEY, 'x'], [MANIFEST, {}, DEMO_KEY, 'x'], [MANIFEST, SIG, DEMO_KEY, 7]]) {
    const result = await verifySshsig(...args);
    assert.equal(result.ok, false);
    assert.equal(typeof result.reason, 'string');
    assert.ok(result.reason.length > 0);
  }
});

// --- ssh-keygen, when installed ---

const SSH_KEYGEN = spawnSync('ssh-keygen', ['-Y', 'sign'], { input: '', encoding: 'utf8' });
const noSshKeygen = SSH_KEYGEN.error ? 'ssh-keygen is not installed' : false;

/**
 * What `ssh-keygen -Y verify` says of `armored` over `message` for the
 * allowed_signers text `allowed` and `identity`, in `namespace`; with no
 * `allowed`, `ssh-keygen -Y check-novalidate` (signature only).
 */
function sshKeygenAccepts(message, armored, namespace, allowed, identity) {
  const dir = mkdtempSync(join(tmpdir(), 'kpiseal-sshsig-'));
  try {
    writeFileSync(join(dir, 'sig'), armored);
    const args = allowed === undefined
      ? ['-Y', 'check-novalidate', '-n', namespace, '-s', join(dir, 'sig')]
      : ['-Y', 'verify', '-f', join(dir, 'allowed'), '-I', identity, '-n', namespace, '-s', join(dir, 'sig')];
    if (allowed !== undefined) writeFileSync(join(dir, 'allowed'), allowed);
    const run = spawnSync('ssh-keygen', args, { input: message, encoding: 'utf8' });
    return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('cross-check with ssh-keygen -Y verify: demo files', { skip: noSshKeygen }, async () => {
  const changed = MANIFEST.slice();
  changed[100] ^= 0x01;
  const identity = `kpiseal:${KEY_ID}`;
  const cases = [
    ['valid', MANIFEST, SIG, SSHSIG_MANIFEST_NAMESPACE, true],
    ['tampered', changed, SIG, SSHSIG_MANIFEST_NAMESPACE, false],
    ['wrong namespace', MANIFEST, SIG, SSHSIG_PERIOD_NAMESPACE, false],
  ];
  for (const [name, message, armored, namespace, expected] of cases) {
    const theirs = sshKeygenAccepts(message, armored, namespace, ALLOWED, identity);
    const ours = await verifySshsig(message, armored, DEMO_KEY, namespace);
    assert.equal(theirs.ok, expected, `ssh-keygen, ${name}: ${theirs.output}`);
    assert.equal(ours.ok, expected, `verifySshsig, ${name}: ${ours.reason}`);
  }
  // Another key in allowed_signers: both refuse.
  const other = newKey();
  const otherAllowed = `${identity} namespaces="${SSHSIG_MANIFEST_NAMESPACE}" ssh-ed25519 ${toBase64(str('ssh-ed25519', other.raw))}\n`;
  assert.equal(sshKeygenAccepts(MANIFEST, SIG, SSHSIG_MANIFEST_NAMESPACE, otherAllowed, identity).ok, false);
  assert.equal((await verifySshsig(MANIFEST, SIG, other.raw, SSHSIG_MANIFEST_NAMESPACE)).ok, false);
});

test('cross-check with ssh-keygen: signatures made here', { skip: noSshKeygen }, async () => {
  const key = newKey();
  const message = new Uint8Array(randomBytes(2000));
  const ns = SSHSIG_PERIOD_NAMESPACE;
  const good = makeSshsig(key, message, ns);
  const allowed = `kpiseal:${key.id} namespaces="${ns}" ssh-ed25519 ${toBase64(str('ssh-ed25519', key.raw))}\n`;
  // ssh-keygen agrees that what this test makes is a valid signature (so the cases built
  // with makeSshsig test what they claim) and with our verdicts on tampering.
  assert.equal(sshKeygenAccepts(message, good, ns, allowed, `kpiseal:${key.id}`).ok, true);
  assert.equal((await verifySshsig(message, good, key.raw, ns)).ok, true);
  const changed = message.slice();
  changed[0] ^= 1;
  assert.equal(sshKeygenAccepts(changed, good, ns).ok, false);
  assert.equal((await verifySshsig(changed, good, key.raw, ns)).ok, false);
  const claimed = makeSshsig(newKey(), message, ns, { embedded: key.raw });
  assert.equal(sshKeygenAccepts(message, claimed, ns).ok, false);
  assert.equal((await verifySshsig(message, claimed, key.raw, ns)).ok, false);
  // A SHA-256 signature is valid SSHSIG, which ssh-keygen accepts; kpiseal (Rust and
  // here) insists on SHA-512, what it signs with.
  const sha256 = makeSshsig(key, message, ns, { hash: 'sha256' });
  assert.equal(sshKeygenAccepts(message, sha256, ns).ok, true);
  assert.match((await verifySshsig(message, sha256, key.raw, ns)).reason, /expected sha512/);
  // A non-empty reserved field: OpenSSH signs over an empty one whatever the blob holds,
  // ssh-key (kpiseal's Rust verifier) and verifySshsig over the blob's. So the two
  // accept opposite files; neither kind is ever written by kpiseal or ssh-keygen.
  const reserved = utf8('x');
  const overBlob = makeSshsig(key, message, ns, { reserved });
  const overEmpty = makeSshsig(key, message, ns, { reserved, signedReserved: new Uint8Array(0) });
  assert.equal(sshKeygenAccepts(message, overBlob, ns).ok, false);
  assert.equal((await verifySshsig(message, overBlob, key.raw, ns)).ok, true);
  assert.equal(sshKeygenAccepts(message, overEmpty, ns).ok, true);
  assert.equal((await verifySshsig(message, overEmpty, key.raw, ns)).ok, false);
});

test('a browser without Ed25519 gets a reason that says so, not "does not match"', async () => {
  const original = crypto.subtle.importKey;
  crypto.subtle.importKey = async () => {
    throw new DOMException('Unrecognized algorithm name', 'NotSupportedError');
  };
  try {
    const result = await verifySshsig(MANIFEST, SIG, DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE);
    assert.equal(result.ok, false);
    assert.match(result.reason, /cannot check Ed25519 signatures/);
  } finally {
    crypto.subtle.importKey = original;
  }
  assert.equal((await verifySshsig(MANIFEST, SIG, DEMO_KEY, SSHSIG_MANIFEST_NAMESPACE)).ok, true);
});
