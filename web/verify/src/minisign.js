// minisign signatures of the manifest (`manifest.json.minisig`) and the
// provider's minisign public key (`provider.minisign.pub`), read and checked
// exactly as kpiseal's Rust verifier does (crates/seal/src/minisign.rs and
// keys/key_id.rs). Also the Ed25519 point check that sshsig.js uses.
//
// A signature file is four lines:
//
//   untrusted comment: signature from kpiseal key <KEYID>
//   base64( "ED" ‖ keynum (8 bytes) ‖ Ed25519(BLAKE2b-512(message)) )
//   trusted comment: <text, signed>
//   base64( Ed25519(signature ‖ trusted comment text) )
//
// The key id is the first 8 bytes of SHA-256 of the 32 raw key bytes, as 16
// uppercase hex digits; the minisign key number is those 8 bytes reversed.
// Ed25519 and SHA-256 come from WebCrypto through crypto.js, BLAKE2b from
// blake2b.js.

import { utf8, toHex, fromBase64, concatBytes } from './bytes.js';
import { blake2b } from './blake2b.js';
import { ed25519Verify, keyIdOfEd25519 } from './crypto.js';

/** The prefix of a signature's third line; the trusted comment is what follows it. */
const MINISIGN_TRUSTED_PREFIX = 'trusted comment: ';
/** How a public key file's optional first line begins. */
const MINISIGN_KEY_COMMENT_PREFIX = 'untrusted comment:';

/** The field prime of Curve25519, 2^255 - 19. */
const ED25519_P = (1n << 255n) - 19n;

/** base^exponent mod ED25519_P, by square-and-multiply (base and exponent non-negative). */
function ed25519PowMod(base, exponent) {
  let result = 1n;
  let b = base % ED25519_P;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % ED25519_P;
    b = (b * b) % ED25519_P;
    e >>= 1n;
  }
  return result;
}

/** The Edwards curve constant d = -121665 / 121666 mod p (RFC 8032 §5.1). */
const ED25519_D = (ED25519_P - ((121665n * ed25519PowMod(121666n, ED25519_P - 2n)) % ED25519_P)) % ED25519_P;

/**
 * True when `bytes` are 32 bytes that decode to a point of the Ed25519
 * curve, as ed25519-dalek's `VerifyingKey::from_bytes` decides (the check
 * kpiseal's Rust side makes when it reads a public key file): y is the
 * little-endian number with the top bit cleared (not reduced further, not
 * refused when ≥ p), and the point exists when (y² − 1) / (d·y² + 1) is a
 * square mod p (zero included). Like dalek, the sign bit is not checked
 * against x = 0. Never throws.
 */
export function isEd25519PublicKey(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) return false;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? bytes[i] & 0x7f : bytes[i]);
  y %= ED25519_P;
  const yy = (y * y) % ED25519_P;
  const u = (yy - 1n + ED25519_P) % ED25519_P;
  const v = (ED25519_D * yy + 1n) % ED25519_P;
  // u / v is a square exactly when u·v is (v is never 0): Euler's criterion.
  const chi = ed25519PowMod((u * v) % ED25519_P, (ED25519_P - 1n) / 2n);
  return chi === 0n || chi === 1n;
}

/**
 * The key id a minisign key number names: the 8 bytes reversed, as 16
 * uppercase hex digits (`KeyId::from_minisign_keynum`). Never throws for
 * an 8-byte array.
 */
export function keyIdFromKeyNum(keyNum) {
  return toHex(Uint8Array.from(keyNum).reverse()).toUpperCase();
}

/** Strict UTF-8 decoding that keeps a leading U+FEFF (unlike bytes.js's fromUtf8). */
const minisignUtf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A minisign file's text: a string as is, or UTF-8 bytes decoded strictly.
 * A byte order mark is kept (as U+FEFF), so that it fails the same layout
 * checks it fails in Rust instead of vanishing in decoding. Throws on
 * malformed UTF-8 or another type.
 */
function minisignText(input, what) {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array) {
    try {
      return minisignUtf8Decoder.decode(input);
    } catch {
      throw new Error(`minisign ${what} is malformed: not UTF-8 text`);
    }
  }
  throw new TypeError(`minisign ${what}: expected text or bytes`);
}

/**
 * `text` without leading and trailing whitespace as Rust's `str::trim`
 * defines it (Unicode White_Space), which differs from JavaScript's trim in
 * U+0085 (trimmed in Rust) and U+FEFF (not trimmed in Rust).
 */
function minisignRustTrim(text) {
  const ws = '[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]';
  return text.replace(new RegExp(`^${ws}+|${ws}+$`, 'g'), '');
}

/**
 * Reads a minisign public key file, as kpiseal does (`read_public_key`
 * behind `parse_public_key`): leading byte order marks are dropped, lines
 * are trimmed and blank lines skipped; an optional `untrusted comment:`
 * line comes first, then base64 (canonical, padded) of "Ed" ‖ key number
 * (8 bytes) ‖ key (32 bytes); the bare base64 line (what `minisign -P`
 * takes) is read too. The key must be a valid Ed25519 point and its key
 * number must be its key id reversed (what kpiseal writes; minisign would
 * refuse kpiseal's signatures under any other number).
 *
 * Resolves to `{ keyNum, publicKey, keyId }` (Uint8Array(8), Uint8Array(32),
 * the 16-hex-digit key id). Rejects with an Error whose message says what is
 * wrong, in the words of the Rust verifier.
 */
export async function parseMinisignPublicKey(text) {
  const malformed = (detail) => new Error(`minisign public key is malformed: ${detail}`);
  const source = minisignText(text, 'public key').replace(/^\uFEFF+/, '');
  const lines = source.split('\n').map(minisignRustTrim).filter((line) => line !== '');
  let at = 0;
  let line = lines[at] ?? '';
  if (line.startsWith(MINISIGN_KEY_COMMENT_PREFIX)) {
    at += 1;
    if (at >= lines.length) throw malformed('no key line after the untrusted comment');
    line = lines[at];
  }
  const bin = fromBase64(line);
  if (bin === null) throw malformed('the key line is not base64');
  if (bin.length !== 42) {
    throw malformed(`the key is ${bin.length} bytes long; expected 42 (Ed, key number, key)`);
  }
  if (bin[0] !== 0x45 || bin[1] !== 0x64) throw malformed('the key algorithm is not Ed');
  const keyNum = bin.slice(2, 10);
  const publicKey = bin.slice(10, 42);
  if (!isEd25519PublicKey(publicKey)) throw malformed('not a valid Ed25519 public key');
  const claimed = keyIdFromKeyNum(keyNum);
  const keyId = await keyIdOfEd25519(publicKey);
  if (claimed !== keyId) {
    throw malformed(`its key number names key ${claimed}, but the key it holds is ${keyId}`);
  }
  return { keyNum, publicKey, keyId };
}

/**
 * Reads a `.minisig` file (text, or its UTF-8 bytes) and refuses every
 * layout the Rust verifier refuses (`check_layout` and
 * `minisign_verify::Signature::decode`):
 * - exactly four lines, ended by `\n` or `\r\n`, the last line end optional;
 * - lines 2 and 4 canonical padded base64 of 74 and 64 bytes;
 * - line 1 exactly `untrusted comment: signature from kpiseal key <KEYID>`
 *   for the key id the key number names (no signature covers that line, so
 *   it must be exactly what kpiseal writes);
 * - line 3 beginning `trusted comment: `;
 * - the algorithm "ED" (BLAKE2b-512 prehashed); legacy "Ed" is refused.
 *
 * Returns `{ untrustedComment, algorithm, keyNum, keyId, signature,
 * trustedComment, globalSignature }`: `untrustedComment` the whole first
 * line, `keyId` the key id the key number names, `trustedComment` the text
 * after the prefix. Nothing is verified here. Throws an Error with a clear
 * message otherwise.
 */
export function parseMinisignSignature(text) {
  const malformed = (detail) => new Error(`minisign signature file is malformed: ${detail}`);
  let source = minisignText(text, 'signature file').replaceAll('\r\n', '\n');
  if (source.endsWith('\n')) source = source.slice(0, -1);
  const lines = source.split('\n');
  if (lines.length !== 4) throw malformed(`expected 4 lines, found ${lines.length}`);

  const decoded = [];
  for (const [n, expectedLength] of [[1, 74], [3, 64]]) {
    const bin = fromBase64(lines[n]);
    if (bin === null) throw malformed(`line ${n + 1}: expected canonical base64`);
    if (bin.length !== expectedLength) {
      throw malformed(`line ${n + 1}: expected canonical base64 of ${expectedLength} bytes`);
    }
    decoded.push(bin);
  }
  const [first, globalSignature] = decoded;
  const keyNum = first.slice(2, 10);
  const keyId = keyIdFromKeyNum(keyNum);
  const expectedFirstLine = `untrusted comment: signature from kpiseal key ${keyId}`;
  if (lines[0] !== expectedFirstLine) throw malformed(`line 1: expected ${JSON.stringify(expectedFirstLine)}`);
  if (!lines[2].startsWith(MINISIGN_TRUSTED_PREFIX)) {
    throw malformed(`line 3: expected it to begin ${JSON.stringify(MINISIGN_TRUSTED_PREFIX)}`);
  }
  const algorithm = String.fromCharCode(first[0], first[1]);
  if (algorithm === 'Ed') {
    throw new Error('minisign signature uses the legacy Ed algorithm (not prehashed), which kpiseal refuses; expected ED');
  }
  if (algorithm !== 'ED') {
    throw new Error(`minisign signature algorithm is ${JSON.stringify(algorithm)}; expected ED (Ed25519 over BLAKE2b-512)`);
  }
  return {
    untrustedComment: lines[0],
    algorithm,
    keyNum,
    keyId,
    signature: first.slice(10, 74),
    trustedComment: lines[2].slice(MINISIGN_TRUSTED_PREFIX.length),
    globalSignature: globalSignature.slice(),
  };
}

/**
 * Checks a `.minisig` file (text or UTF-8 bytes) against `message`
 * (Uint8Array, the manifest bytes) and the pinned raw Ed25519 key
 * `publicKey32`, as the Rust `minisign::verify` does: the layout of
 * `parseMinisignSignature`, the signature's key number equal to the key's,
 * Ed25519 over BLAKE2b-512(message), and Ed25519 over signature ‖ trusted
 * comment (the comment's UTF-8 bytes).
 *
 * Resolves to `{ ok: true, reason: 'valid', trustedComment, keyId }` (the
 * trusted comment is only reported once it is verified), or to
 * `{ ok: false, reason, keyId? }` with an English reason; `keyId` is the
 * key id the signature names whenever the file could be read. Never rejects
 * (a browser without Ed25519 gives ok: false, saying so).
 */
export async function verifyMinisign(message, signatureText, publicKey32) {
  try {
    if (!(message instanceof Uint8Array)) return { ok: false, reason: 'the signed file is missing' };
    if (!(publicKey32 instanceof Uint8Array) || publicKey32.length !== 32) {
      return { ok: false, reason: 'the public key is not 32 bytes' };
    }
    let parsed;
    try {
      parsed = parseMinisignSignature(signatureText);
    } catch (error) {
      return { ok: false, reason: error.message };
    }
    const keyId = parsed.keyId;
    const expected = await keyIdOfEd25519(publicKey32);
    if (keyId !== expected) {
      return { ok: false, reason: `minisign signature was made by key ${keyId}, expected key ${expected}`, keyId };
    }
    if (!isEd25519PublicKey(publicKey32)) {
      return { ok: false, reason: 'the public key is not a valid Ed25519 key', keyId };
    }
    if (!(await ed25519Verify(publicKey32, parsed.signature, blake2b(message, 64)))) {
      return { ok: false, reason: 'minisign signature does not match the signed file', keyId };
    }
    const global = concatBytes(parsed.signature, utf8(parsed.trustedComment));
    if (!(await ed25519Verify(publicKey32, parsed.globalSignature, global))) {
      return { ok: false, reason: 'minisign trusted comment does not match its signature (it was altered)', keyId };
    }
    return { ok: true, reason: 'valid', trustedComment: parsed.trustedComment, keyId };
  } catch (error) {
    return { ok: false, reason: `minisign signature could not be checked: ${error && error.message}` };
  }
}

