// SSH signatures (OpenSSH's PROTOCOL.sshsig) of the manifest
// (`manifest.json.sig`) and period manifest, the OpenSSH public key line
// (`provider.ssh.pub`) and `allowed_signers` lines, read and checked as
// kpiseal's Rust verifier does (crates/seal/src/sshsig.rs, with the ssh-key
// crate). Only Ed25519 keys and signatures are supported: kpiseal makes no
// others.
//
// An armored signature is `-----BEGIN SSH SIGNATURE-----`, base64 wrapped at
// 70 columns, `-----END SSH SIGNATURE-----`. The blob is, in SSH wire form
// (uint32 big-endian; string = uint32 length ‖ bytes):
//
//   "SSHSIG" ‖ uint32 version (1) ‖ string publickey ‖ string namespace
//   ‖ string reserved ‖ string hash_algorithm ‖ string signature
//
// and what the key signs is
//
//   "SSHSIG" ‖ string namespace ‖ string reserved ‖ string hash_algorithm
//   ‖ string H(message)

import { utf8, fromBase64, toBase64, bytesEqual, concatBytes } from './bytes.js';
import { isEd25519PublicKey } from './minisign.js';
import { ed25519Verify, keyIdOfEd25519, sha512 } from './crypto.js';

/** The SSHSIG namespace of every final statement's manifest signature (`sshsig::NAMESPACE`). */
export const SSHSIG_MANIFEST_NAMESPACE = 'kpiseal-manifest@v1';
/** The SSHSIG namespace of a draft's manifest signature (`sshsig::DRAFT_NAMESPACE`). */
export const SSHSIG_DRAFT_NAMESPACE = 'kpiseal-draft-manifest@v1';
/** The SSHSIG namespace of a period manifest's signature (`sshsig::PERIOD_NAMESPACE`). */
export const SSHSIG_PERIOD_NAMESPACE = 'kpiseal-period-manifest@v1';

const SSHSIG_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const SSHSIG_END = '-----END SSH SIGNATURE-----';
/** Base64 characters per line in the armor ssh-keygen and ssh-key write. */
const SSHSIG_LINE_WIDTH = 70;
const SSHSIG_MAGIC = utf8('SSHSIG');
const SSHSIG_ED25519 = 'ssh-ed25519';
/** One or more whitespace characters as Rust's `char::is_whitespace` defines them (Unicode White_Space). */
const SSHSIG_RUST_WHITESPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]+';

/** Strict UTF-8 decoding that keeps a leading U+FEFF (unlike bytes.js's fromUtf8), for exact strings. */
const sshsigUtf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A reader of SSH wire data in `bytes`. Its methods throw an Error naming
 * `what` when the data runs short or a string is not UTF-8.
 */
function sshsigReader(bytes, what) {
  let at = 0;
  const short = () => new Error(`${what} is truncated`);
  const reader = {
    /** The next n raw bytes. */
    raw(n) {
      if (bytes.length - at < n) throw short();
      const out = bytes.subarray(at, at + n);
      at += n;
      return out;
    },
    /** The next big-endian uint32. */
    u32() {
      const b = reader.raw(4);
      return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    },
    /** The next length-prefixed string, as bytes. */
    bytes() {
      return reader.raw(reader.u32());
    },
    /** The next length-prefixed string, as UTF-8 text. */
    text(field) {
      try {
        return sshsigUtf8Decoder.decode(reader.bytes());
      } catch (error) {
        if (error instanceof TypeError) throw new Error(`${what}: ${field} is not UTF-8`);
        throw error;
      }
    },
    /** Throws unless every byte was read. */
    end() {
      if (at !== bytes.length) throw new Error(`${what} has ${bytes.length - at} unexpected bytes at its end`);
    },
  };
  return reader;
}

/** `parts` (byte arrays) each as an SSH string: uint32 length ‖ bytes. */
function sshsigStrings(...parts) {
  const framed = [];
  for (const p of parts) {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, p.length);
    framed.push(length, p);
  }
  return concatBytes(...framed);
}

/**
 * The 32 key bytes of an SSH `ssh-ed25519` public key blob (RFC 8709:
 * string "ssh-ed25519" ‖ string key), with nothing after them. Throws an
 * Error naming `what` for another key type, a key of another length, or
 * trailing bytes.
 */
function sshsigEd25519FromBlob(blob, what) {
  const reader = sshsigReader(blob, what);
  const type = reader.text('the key type');
  if (type !== SSHSIG_ED25519) throw new Error(`${what} is a ${type} key; only ssh-ed25519 is supported`);
  const key = reader.bytes();
  if (key.length !== 32) throw new Error(`${what} is ${key.length} bytes long; expected 32`);
  reader.end();
  return key.slice();
}

/**
 * Reads an armored SSH signature (text, or its UTF-8 bytes) and refuses what
 * the Rust verifier refuses before checking any key or namespace:
 * - anything but the canonical armor kpiseal and ssh-keygen write (BEGIN
 *   line, canonical base64 in lines of 70 characters, END line; `\r\n` line
 *   ends and a missing final line end are allowed): the Rust side re-encodes
 *   the signature and refuses it when any byte differs;
 * - a blob that is not exactly magic "SSHSIG", version 1, an ssh-ed25519
 *   public key, a non-empty UTF-8 namespace, the reserved string, hash
 *   algorithm "sha256" or "sha512", and an ssh-ed25519 signature of 64
 *   bytes, with nothing after it.
 *
 * Returns `{ version, publicKey, namespace, reserved, hashAlgorithm,
 * signature }` (publicKey 32 bytes, reserved bytes, signature 64 bytes).
 * The namespace and hash algorithm are returned as found, not checked
 * against what kpiseal uses (verifySshsig does that). Throws an Error with
 * a clear message otherwise.
 */
export function parseSshSignature(armored) {
  const malformed = (detail) => new Error(`SSH signature is malformed: ${detail}`);
  let text;
  if (typeof armored === 'string') text = armored;
  else if (armored instanceof Uint8Array) {
    try {
      text = sshsigUtf8Decoder.decode(armored);
    } catch {
      throw malformed('not UTF-8 text');
    }
  } else throw new TypeError('parseSshSignature: expected text or bytes');

  text = text.replaceAll('\r\n', '\n');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const lines = text.split('\n');
  if (lines[0] !== SSHSIG_BEGIN || lines.length < 3 || lines[lines.length - 1] !== SSHSIG_END) {
    throw malformed(`expected an armored ${SSHSIG_BEGIN} … ${SSHSIG_END} block`);
  }
  const blob = fromBase64(lines.slice(1, -1).join(''));
  if (blob === null) throw malformed('the armored body is not canonical base64');

  const reader = sshsigReader(blob, 'SSH signature');
  if (!bytesEqual(reader.raw(SSHSIG_MAGIC.length), SSHSIG_MAGIC)) throw malformed('it does not begin with SSHSIG');
  const version = reader.u32();
  if (version !== 1) throw new Error(`SSH signature format version is ${version}, expected 1`);
  const publicKey = sshsigEd25519FromBlob(reader.bytes(), 'the signing key');
  const namespace = reader.text('the namespace');
  if (namespace === '') throw malformed('the namespace is empty');
  const reserved = reader.bytes().slice();
  const hashAlgorithm = reader.text('the hash algorithm');
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') {
    throw malformed(`unknown hash algorithm ${JSON.stringify(hashAlgorithm)}`);
  }
  const signatureReader = sshsigReader(reader.bytes(), 'the Ed25519 signature');
  const signatureType = signatureReader.text('the signature type');
  if (signatureType !== SSHSIG_ED25519) {
    throw malformed(`the signature is of type ${JSON.stringify(signatureType)}, expected ssh-ed25519`);
  }
  const signature = signatureReader.bytes().slice();
  if (signature.length !== 64) throw malformed(`the Ed25519 signature is ${signature.length} bytes long, expected 64`);
  signatureReader.end();
  reader.end();

  // The canonical armor of these bytes; any other spelling is refused.
  const body = toBase64(blob);
  const canonical = [SSHSIG_BEGIN];
  for (let i = 0; i < body.length; i += SSHSIG_LINE_WIDTH) canonical.push(body.slice(i, i + SSHSIG_LINE_WIDTH));
  canonical.push(SSHSIG_END);
  if (canonical.join('\n') !== text) {
    throw new Error('SSH signature is not in canonical form (it decodes, but re-encodes differently): refused');
  }
  return { version, publicKey, namespace, reserved, hashAlgorithm, signature };
}

/**
 * The two leading space-separated fields of an OpenSSH key line and the
 * rest, as ssh-key's `SshFormat::decode` splits them: each field is one or
 * more of `A-Z a-z 0-9 + - / = @ .` ended by one space (or the end); the
 * rest, with trailing whitespace removed, is the comment. Throws on any
 * other character in the fields or an empty field.
 */
function sshsigSplitKeyLine(line, what) {
  const match = /^([A-Za-z0-9+\-/=@.]*)(?: ([A-Za-z0-9+\-/=@.]*)(?: ([\s\S]*))?)?$/.exec(line);
  if (match === null || !match[1] || !match[2]) {
    throw new Error(`${what} is malformed: expected "ssh-ed25519 <base64> [comment]"`);
  }
  const comment = (match[3] ?? '').replace(new RegExp(`${SSHSIG_RUST_WHITESPACE}$`), '');
  return { keyType: match[1], base64: match[2], comment };
}

/**
 * The Ed25519 key of an OpenSSH key type and base64 blob: the blob must be
 * canonical base64 of an ssh-ed25519 key blob whose type is `keyType`, and a
 * valid Ed25519 point. Throws an Error naming `what` otherwise.
 */
function sshsigKeyFromFields(keyType, base64, what) {
  if (keyType !== SSHSIG_ED25519) throw new Error(`${what}: key type ${keyType} is not ssh-ed25519`);
  const blob = fromBase64(base64);
  if (blob === null) throw new Error(`${what} is malformed: the key is not canonical base64`);
  const publicKey = sshsigEd25519FromBlob(blob, what);
  if (!isEd25519PublicKey(publicKey)) throw new Error(`${what}: not a valid Ed25519 public key`);
  return publicKey;
}

/**
 * Reads an OpenSSH public key line, `ssh-ed25519 AAAA… [comment]` (kpiseal's
 * `provider.ssh.pub`, comment `kpiseal:<KEYID>`), as the Rust side reads it:
 * leading byte order marks and surrounding whitespace are dropped and only
 * the first line is read; the fields are separated by single spaces; the
 * base64 is canonical; the type named in the text is the blob's; the key is
 * a valid Ed25519 point. Other key types are refused.
 *
 * Returns `{ keyType: 'ssh-ed25519', publicKey (32 bytes), comment }`.
 * Throws an Error with a clear message otherwise.
 */
export function parseSshPublicKey(line) {
  if (typeof line !== 'string') throw new TypeError('parseSshPublicKey: expected text');
  const trimmed = line.replace(/^\uFEFF+/, '').replace(new RegExp(`^${SSHSIG_RUST_WHITESPACE}`), '');
  const first = trimmed.split('\n')[0].replace(new RegExp(`${SSHSIG_RUST_WHITESPACE}$`), '');
  const fields = sshsigSplitKeyLine(first, 'OpenSSH public key');
  const publicKey = sshsigKeyFromFields(fields.keyType, fields.base64, 'OpenSSH public key');
  return { keyType: fields.keyType, publicKey, comment: fields.comment };
}

/**
 * Reads an `allowed_signers` file (OpenSSH ssh-keygen(1) "ALLOWED SIGNERS"):
 * one entry a line, blank lines and `#` comments skipped; each line is
 * principals (comma-separated), optional options (comma-separated, values in
 * double quotes), then the key as in a public key line. kpiseal writes one
 * line: `kpiseal:<KEYID> namespaces="kpiseal-manifest@v1" ssh-ed25519 AAAA…`
 * (the period folder's uses the period namespace).
 *
 * Returns an array of `{ line, principals, namespaces, options, keyType,
 * publicKey, comment }`: `line` the 1-based line number, `namespaces` the
 * list from `namespaces="…"` or null when the line has none (any namespace),
 * `options` every option by name (a value, or true for a flag such as
 * `cert-authority`), `publicKey` 32 bytes. Throws an Error naming the line
 * when a line is malformed or its key is not a valid ssh-ed25519 key.
 */
export function parseAllowedSigners(text) {
  if (typeof text !== 'string') throw new TypeError('parseAllowedSigners: expected text');
  const entries = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let n = 0; n < lines.length; n++) {
    const what = `allowed_signers line ${n + 1}`;
    const line = lines[n].replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    // Principals, then options, split at unquoted whitespace.
    const words = sshsigSplitWords(line, what);
    if (words.length < 3) throw new Error(`${what} is malformed: expected principals, [options,] key type and key`);
    const principals = sshsigUnquote(words[0].text).split(',');
    if (principals.some((p) => p === '')) throw new Error(`${what} is malformed: an empty principal`);
    let next = 1;
    let options = {};
    if (!/^(ssh-|ecdsa-|sk-)/.test(words[1].text)) {
      options = sshsigParseOptions(words[1].text, what);
      next = 2;
    }
    if (words.length < next + 2) throw new Error(`${what} is malformed: no key after the options`);
    const keyType = words[next].text;
    const publicKey = sshsigKeyFromFields(keyType, words[next + 1].text, what);
    const comment = words.length > next + 2 ? line.slice(words[next + 2].start) : '';
    const namespaces = typeof options.namespaces === 'string' ? options.namespaces.split(',') : null;
    entries.push({ line: n + 1, principals, namespaces, options, keyType, publicKey, comment });
  }
  return entries;
}

/**
 * `line` split at whitespace outside double quotes, each word with its start
 * offset. Throws on an unclosed quote.
 */
function sshsigSplitWords(line, what) {
  const words = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    const start = i;
    let quoted = false;
    while (i < line.length && (quoted || !/\s/.test(line[i]))) {
      if (line[i] === '"') quoted = !quoted;
      i++;
    }
    if (quoted) throw new Error(`${what} is malformed: an unclosed quote`);
    words.push({ text: line.slice(start, i), start });
  }
  return words;
}

/** `word` without surrounding double quotes, if it has them. */
function sshsigUnquote(word) {
  return word.length >= 2 && word.startsWith('"') && word.endsWith('"') ? word.slice(1, -1) : word;
}

/**
 * The options field of an allowed_signers line: comma-separated `name` or
 * `name="value"` (commas inside quotes belong to the value). Returns them by
 * lowercase name; throws on an empty option or a repeated one.
 */
function sshsigParseOptions(field, what) {
  const options = {};
  let i = 0;
  while (i < field.length) {
    const start = i;
    let quoted = false;
    while (i < field.length && (quoted || field[i] !== ',')) {
      if (field[i] === '"') quoted = !quoted;
      i++;
    }
    const option = field.slice(start, i);
    i++; // the comma
    const eq = option.indexOf('=');
    const name = (eq < 0 ? option : option.slice(0, eq)).toLowerCase();
    if (name === '') throw new Error(`${what} is malformed: an empty option`);
    if (Object.hasOwn(options, name)) throw new Error(`${what} is malformed: option ${name} given twice`);
    options[name] = eq < 0 ? true : sshsigUnquote(option.slice(eq + 1));
  }
  return options;
}

/**
 * Checks an armored SSH signature (text or UTF-8 bytes) of `message`
 * (Uint8Array) against the pinned raw Ed25519 key `publicKey32` in
 * `namespace` (one of the SSHSIG_*_NAMESPACE constants), as the Rust
 * `sshsig::verify_in` does: the layout of parseSshSignature, the namespace
 * equal to `namespace`, hash algorithm sha512, the signer's key equal to
 * `publicKey32`, and Ed25519 over "SSHSIG" ‖ string(namespace) ‖
 * string(reserved) ‖ string("sha512") ‖ string(SHA-512(message)).
 * (`reserved` is the signature's own reserved field, empty in everything
 * kpiseal and ssh-keygen write; the Rust side signs over it too.)
 *
 * Resolves to `{ ok: true, reason: 'valid' }` or `{ ok: false, reason }`
 * with an English reason. Never rejects (a browser without Ed25519 gives
 * ok: false, saying so).
 */
export async function verifySshsig(message, armored, publicKey32, namespace) {
  try {
    if (!(message instanceof Uint8Array)) return { ok: false, reason: 'the signed file is missing' };
    if (!(publicKey32 instanceof Uint8Array) || publicKey32.length !== 32) {
      return { ok: false, reason: 'the public key is not 32 bytes' };
    }
    if (typeof namespace !== 'string' || namespace === '') {
      return { ok: false, reason: 'no SSH signature namespace was given to check against' };
    }
    let parsed;
    try {
      parsed = parseSshSignature(armored);
    } catch (error) {
      return { ok: false, reason: error.message };
    }
    if (parsed.namespace !== namespace) {
      return {
        ok: false,
        reason: `SSH signature namespace is ${JSON.stringify(parsed.namespace)}, expected ${JSON.stringify(namespace)}`,
      };
    }
    if (parsed.hashAlgorithm !== 'sha512') {
      return { ok: false, reason: `SSH signature hash algorithm is ${parsed.hashAlgorithm}, expected sha512` };
    }
    if (!bytesEqual(parsed.publicKey, publicKey32)) {
      const [found, expected] = [await keyIdOfEd25519(parsed.publicKey), await keyIdOfEd25519(publicKey32)];
      return { ok: false, reason: `SSH signature was made by another key (key ${found}), expected key ${expected}` };
    }
    const hash = await sha512(message);
    const signedData = concatBytes(
      SSHSIG_MAGIC,
      sshsigStrings(utf8(parsed.namespace), parsed.reserved, utf8(parsed.hashAlgorithm), hash),
    );
    if (!(await ed25519Verify(publicKey32, parsed.signature, signedData))) {
      return { ok: false, reason: 'SSH signature does not match the signed file' };
    }
    return { ok: true, reason: 'valid' };
  } catch (error) {
    return { ok: false, reason: `SSH signature could not be checked: ${error && error.message}` };
  }
}

/**
 * The signer identity kpiseal puts in `allowed_signers`, in `ssh-keygen -Y
 * verify -I` and as the OpenSSH key's comment: `kpiseal:<KEYID>`.
 */
export function sshsigIdentity(keyId) {
  return `kpiseal:${keyId}`;
}

