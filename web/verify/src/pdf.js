// A statement PDF on its own: where its signature is, what the signature
// covers, its /Reason, and the statement.json attached to it. Works on the
// raw bytes (as `kpiseal verify` does), so a damaged or hostile file gets a
// report, not a crash.

import { fromHex, fromUtf8, latin1, toHex } from './bytes.js';
import { verifyCms } from './cms.js';
import { derRead } from './der.js';
import { keyIdOfEd25519 } from './crypto.js';

/** The width kpiseal reserves for /Contents: 8192 hex digits. */
export const CONTENTS_HEX_DIGITS = 8192;

/** The checks of a PDF signature, in the order `kpiseal verify` reports them. */
export const PDF_CHECKS = Object.freeze([
  'header',
  'byte-range',
  'contents-encoding',
  'cms-structure',
  'message-digest',
  'signature',
  'signing-certificate',
  'countersignature',
  'countersigning-certificate',
]);

const isWhite = (c) => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\f' || c === '\0';

/** The last `/ByteRange [a b c d]`: `{ range, keyAt }`, `{ error, keyAt }`, or null when there is none. */
function lastByteRange(text) {
  const keyAt = text.lastIndexOf('/ByteRange');
  if (keyAt < 0) return null;
  const match = /^\s*\[\s*(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s*\]/.exec(text.slice(keyAt + 10, keyAt + 100));
  if (!match) return { error: '/ByteRange is not an array of four non-negative integers', keyAt };
  return { range: match.slice(1, 5).map(Number), keyAt };
}

/** The offsets of the /Contents hex string the range leaves out, or an Error's message. */
function excludedContents(bytes, text, [firstStart, gapStart, gapEnd, secondLength]) {
  if (firstStart !== 0) throw new Error(`the signed range starts at byte ${firstStart}, not at the start of the file`);
  if (gapEnd <= gapStart || gapEnd > bytes.length) {
    throw new Error(`/ByteRange [${firstStart}, ${gapStart}, ${gapEnd}, ${secondLength}] does not fit a file of ${bytes.length} bytes`);
  }
  const signedEnd = gapEnd + secondLength;
  if (signedEnd < bytes.length) throw new Error(`${bytes.length - signedEnd} bytes after the signed range are not covered by the signature`);
  if (signedEnd > bytes.length) throw new Error(`the signed range ends at byte ${signedEnd}, past the end of the ${bytes.length}-byte file`);
  const gap = text.slice(gapStart, gapEnd);
  if (!/^<[0-9A-Fa-f]*>$/.test(gap) || gap.length % 2 !== 0) throw new Error('the unsigned gap is not exactly one hex string');
  if (!text.slice(0, gapStart).trimEnd().endsWith('/Contents')) throw new Error('the unsigned gap is not the value of /Contents');
  return [gapStart, gapEnd];
}

/** The signature dictionary's text around the /ByteRange at `keyAt` (between `obj` and `endobj`). */
function signatureObject(text, keyAt) {
  const start = Math.max(0, text.lastIndexOf('obj', keyAt));
  const end = text.indexOf('endobj', keyAt);
  return text.slice(start, end < 0 ? text.length : end);
}

/** The /Reason of the signature dictionary: a literal string or a UTF-16BE hex string; null when unreadable. */
export function signatureReason(object) {
  const at = object.indexOf('/Reason');
  if (at < 0) return null;
  let rest = object.slice(at + 7);
  while (rest && isWhite(rest[0])) rest = rest.slice(1);
  try {
    if (rest[0] === '(') {
      const bytes = [];
      for (let i = 1; i < rest.length; i++) {
        const c = rest.charCodeAt(i);
        if (c === 0x29) return fromUtf8(new Uint8Array(bytes));
        if (c === 0x5c) i += 1;
        if (i >= rest.length) return null;
        bytes.push(rest.charCodeAt(i));
      }
      return null;
    }
    if (rest[0] === '<') {
      const raw = fromHex(rest.slice(1, rest.indexOf('>')));
      if (!raw || raw[0] !== 0xfe || raw[1] !== 0xff || raw.length % 2) return null;
      return new TextDecoder('utf-16be', { fatal: true }).decode(raw.subarray(2));
    }
  } catch {
    return null;
  }
  return null;
}

/** What a /Reason kpiseal writes says: `{ status: 'final'|'draft', number }`, or null. */
export function parseReason(reason) {
  if (!reason) return null;
  let m = /^kpiseal draft (\S+): not a statement$/.exec(reason);
  if (m) return { status: 'draft', number: m[1] };
  m = /^kpiseal statement (\S+)$/.exec(reason);
  return m ? { status: 'final', number: m[1] } : null;
}

/** The /Reason kpiseal writes for a statement (final) or a draft. */
export function expectedReason(number, status) {
  return status === 'draft' ? `kpiseal draft ${number}: not a statement` : `kpiseal statement ${number}`;
}

/** /Contents must be as kpiseal writes it: the DER in uppercase hex, zero-padded to the reserved width. */
function canonicalContents(hexDigits, cms) {
  let derLength;
  try {
    derLength = derRead(cms, 0).end;
  } catch {
    throw new Error('the signature in /Contents is not one DER value');
  }
  const expected = toHex(cms.subarray(0, derLength)).toUpperCase();
  if (hexDigits.length !== CONTENTS_HEX_DIGITS || !hexDigits.startsWith(expected) || /[^0]/.test(hexDigits.slice(expected.length))) {
    throw new Error(`/Contents is not written as kpiseal writes it (uppercase hex, zero-padded to ${CONTENTS_HEX_DIGITS} digits): the same signature spelled differently makes another file`);
  }
  return `${derLength}-byte signature in uppercase hex, zero-padded to ${CONTENTS_HEX_DIGITS} digits`;
}

/**
 * Checks the last signature in the PDF `bytes`. Returns `{ signed, checks:
 * [{ name, passed, detail }] in PDF_CHECKS order, keyId, ed25519Key,
 * reason }`; `signed` is false (and `checks` empty) when the file has no
 * /ByteRange at all. Never throws.
 */
export async function verifyPdfSignature(bytes) {
  const text = latin1(bytes);
  const located = lastByteRange(text);
  if (!located) return { signed: false, checks: [], keyId: null, ed25519Key: null, reason: null };
  const checks = [];
  const push = (name, passed, detail) => checks.push({ name, passed, detail });
  push(
    'header',
    text.startsWith('%PDF-'),
    text.startsWith('%PDF-') ? 'the file begins with %PDF-' : 'the file does not begin with %PDF-',
  );
  const reason = signatureReason(signatureObject(text, located.keyAt));
  let gap;
  try {
    if (located.error) throw new Error(located.error);
    gap = excludedContents(bytes, text, located.range);
  } catch (e) {
    push('byte-range', false, e.message);
    for (const name of PDF_CHECKS.slice(2)) push(name, false, 'not checked: no usable /ByteRange');
    return { signed: true, checks, keyId: null, ed25519Key: null, reason };
  }
  const [gapStart, gapEnd] = gap;
  push('byte-range', true, `covers the whole file except /Contents (bytes ${gapStart}..${gapEnd})`);
  const hexDigits = text.slice(gapStart + 1, gapEnd - 1);
  const cms = fromHex(hexDigits) || new Uint8Array(0);
  try {
    push('contents-encoding', true, canonicalContents(hexDigits, cms));
  } catch (e) {
    push('contents-encoding', false, e.message);
  }
  const found = await verifyCms(cms, [bytes.subarray(0, gapStart), bytes.subarray(gapEnd)]);
  const order = [
    ['cms-structure', 'structure'],
    ['message-digest', 'messageDigest'],
    ['signature', 'signature'],
    ['signing-certificate', 'signingCertificate'],
    ['countersignature', 'countersignature'],
    ['countersigning-certificate', 'countersigningCertificate'],
  ];
  for (const [name, key] of order) push(name, found.checks[key].passed, found.checks[key].detail);
  const keyId = found.ed25519Key ? await keyIdOfEd25519(found.ed25519Key) : null;
  return { signed: true, checks, keyId, ed25519Key: found.ed25519Key, reason };
}

/**
 * The file attached to the PDF under `name` (statement.json), inflated:
 * found through the catalog's /EmbeddedFiles name tree entry `(name) N 0 R`
 * and object N's /EF stream. Null when there is none or it cannot be read.
 */
export async function attachedFile(bytes, name) {
  const text = latin1(bytes);
  const entry = new RegExp(`/EmbeddedFiles\\s*<<\\s*/Names\\s*\\[\\s*\\(${name.replace(/[.]/g, '\\.')}\\)\\s*(\\d+)\\s+0\\s+R`).exec(text);
  if (!entry) return null;
  const spec = objectText(text, Number(entry[1]));
  const ef = spec && /\/EF\s*<<\s*\/F\s+(\d+)\s+0\s+R/.exec(spec);
  if (!ef) return null;
  const object = lastObjectHeader(text, Number(ef[1]));
  if (!object) return null;
  const dictionaryStart = object.index + object[0].length;
  const streamAt = text.indexOf('stream', dictionaryStart);
  if (streamAt < 0) return null;
  const dictionary = text.slice(dictionaryStart, streamAt);
  const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dictionary);
  if (!length) return null;
  let dataStart = streamAt + 6;
  if (text[dataStart] === '\r') dataStart += 1;
  if (text[dataStart] !== '\n') return null;
  dataStart += 1;
  const raw = bytes.subarray(dataStart, dataStart + Number(length[1]));
  if (!/\/Filter\s*\/FlateDecode/.test(dictionary)) return raw.slice();
  try {
    return await inflate(raw, 'deflate');
  } catch {
    return null;
  }
}

/** The match of the last `number 0 obj` header in `text` (a later definition overrides), or null. */
function lastObjectHeader(text, number) {
  const header = new RegExp(`(?:^|[\\r\\n])${number} 0 obj\\s*`, 'g');
  let match;
  let last = null;
  while ((match = header.exec(text))) last = match;
  return last;
}

/** The text of the last definition of object `number` (up to its `endobj`). */
function objectText(text, number) {
  const last = lastObjectHeader(text, number);
  if (!last) return null;
  const end = text.indexOf('endobj', last.index);
  return text.slice(last.index, end < 0 ? text.length : end);
}

/** `data` decompressed with the platform's DecompressionStream (`deflate` = zlib, `deflate-raw`). */
export async function inflate(data, format) {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
