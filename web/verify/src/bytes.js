// Byte helpers shared by every module of the page: text, hex, base64 and
// comparisons on Uint8Array. Pure functions, no DOM, no WebCrypto.

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The UTF-8 bytes of `text`. */
export function utf8(text) {
  return utf8Encoder.encode(text);
}

/** `bytes` read as UTF-8; throws on malformed UTF-8. */
export function fromUtf8(bytes) {
  return utf8Decoder.decode(bytes);
}

/** `bytes` read as Latin-1 (one character per byte), for PDF syntax. */
export function latin1(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return out;
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** The bytes of an even-length hex string (either case); null when it is not hex. */
export function fromHex(text) {
  if (text.length % 2 !== 0 || /[^0-9a-fA-F]/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

/** The bytes of standard base64 (with padding); null when it is not canonical base64. */
export function fromBase64(text) {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return null;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  // Stray bits in the last character's padding make another spelling of the same bytes.
  if (toBase64(out) !== text) return null;
  return out;
}

/** Standard base64 (with padding) of `bytes`. */
export function toBase64(bytes) {
  return btoa(latin1(bytes));
}

/** True when `a` and `b` hold the same bytes. */
export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Orders two strings by their UTF-8 bytes (as Rust orders `str`): negative, zero or positive. */
export function compareUtf8(a, b) {
  const x = utf8(a);
  const y = utf8(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** `parts` joined into one array. */
export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
