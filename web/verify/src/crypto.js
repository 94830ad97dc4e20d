// The page's cryptography, all of it through the browser's WebCrypto
// (SHA-256, SHA-512, ECDSA P-256, Ed25519); BLAKE2b, which WebCrypto lacks,
// is in blake2b.js.

import { toHex } from './bytes.js';

/** SHA-256 of `parts` concatenated. */
export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joinParts(parts)));
}

/** SHA-512 of `bytes`. */
export async function sha512(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-512', bytes));
}

/** Lowercase hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes) {
  return toHex(await sha256(bytes));
}

/**
 * kpiseal's key id of a raw 32-byte Ed25519 key: the first 8 bytes of its
 * SHA-256, uppercase hex (keys/key_id.rs). Rejects (TypeError) anything
 * but 32 bytes.
 */
export async function keyIdOfEd25519(publicKey) {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new TypeError('a key id needs a 32-byte Ed25519 public key');
  }
  return toHex((await sha256(publicKey)).subarray(0, 8)).toUpperCase();
}

/** True when the Ed25519 `signature` over `message` verifies with the raw 32-byte `publicKey`. */
export async function ed25519Verify(publicKey, signature, message) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  let key;
  try {
    key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  } catch (e) {
    if (e && e.name === 'NotSupportedError') throw new Error('this browser cannot check Ed25519 signatures');
    return false;
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
}

/**
 * True when the ECDSA P-256 / SHA-256 signature `derSignature` (a DER
 * SEQUENCE of r and s) over `message` verifies with the key in `spki` (a
 * DER SubjectPublicKeyInfo).
 */
export async function ecdsaP256Verify(spki, derSignature, message) {
  const raw = ecdsaDerToRaw(derSignature);
  if (!raw) return false;
  let key;
  try {
    key = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  } catch {
    return false;
  }
  return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, raw, message);
}

/**
 * The 64-byte r ‖ s form WebCrypto takes, from a DER ECDSA-Sig-Value; null
 * when the DER is not exactly two positive, minimally encoded integers of
 * at most 32 bytes.
 */
export function ecdsaDerToRaw(der) {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2 || der[1] >= 0x80) return null;
  const out = new Uint8Array(64);
  let at = 2;
  for (let part = 0; part < 2; part++) {
    if (der[at] !== 0x02) return null;
    const length = der[at + 1];
    let value = der.subarray(at + 2, at + 2 + length);
    if (length === 0 || value.length !== length || value[0] & 0x80) return null;
    if (value[0] === 0 && (length === 1 || !(value[1] & 0x80))) return null;
    if (value[0] === 0) value = value.subarray(1);
    if (value.length > 32) return null;
    out.set(value, part * 32 + 32 - value.length);
    at += 2 + length;
  }
  return at === der.length ? out : null;
}

function joinParts(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
