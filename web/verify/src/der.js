// A strict DER reader (X.690): enough of it to walk a CMS SignedData and
// the X.509 certificates it carries. Every read is bounds-checked; anything
// that is not definite-length, minimally encoded DER is refused with an
// Error naming the offset, so a hostile signature cannot make the page
// read past its input or loop.

/** One DER value: its tag byte and where its parts lie in `bytes`. */
export class DerNode {
  constructor(bytes, tag, start, contentStart, end) {
    /** The whole input the node was read from. */
    this.bytes = bytes;
    /** The identifier octet (single-byte tags only). */
    this.tag = tag;
    /** Offset of the identifier octet. */
    this.start = start;
    /** Offset of the first content octet. */
    this.contentStart = contentStart;
    /** Offset just past the last content octet. */
    this.end = end;
  }

  /** The whole encoding: tag, length and content. */
  get raw() {
    return this.bytes.subarray(this.start, this.end);
  }

  /** The content octets. */
  get content() {
    return this.bytes.subarray(this.contentStart, this.end);
  }

  /** True for a constructed value (SEQUENCE, SET, explicit tags, …). */
  get constructed() {
    return (this.tag & 0x20) !== 0;
  }

  /** The values inside a constructed value, in order. */
  children() {
    if (!this.constructed) throw new Error(`DER value at byte ${this.start} is not constructed`);
    const out = [];
    let at = this.contentStart;
    while (at < this.end) {
      const child = derRead(this.bytes, at, this.end);
      out.push(child);
      at = child.end;
    }
    return out;
  }
}

/** DER tags used by CMS and X.509. */
export const DER_TAG = Object.freeze({
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
  CONTEXT_1: 0xa1,
  IMPLICIT_PRIMITIVE_0: 0x80,
});

/**
 * Reads the DER value starting at `offset`, which must end by `limit`
 * (default: the end of `bytes`). Throws when the header is malformed, the
 * length is not minimal, or the value runs past `limit`.
 */
export function derRead(bytes, offset, limit = bytes.length) {
  if (offset + 2 > limit) throw new Error(`DER value at byte ${offset} is cut short`);
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new Error(`DER value at byte ${offset} uses a multi-byte tag`);
  const first = bytes[offset + 1];
  let length;
  let contentStart;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new Error(`DER value at byte ${offset} has an indefinite length (BER, not DER)`);
    if (count > 4) throw new Error(`DER value at byte ${offset} has a ${count}-byte length`);
    if (offset + 2 + count > limit) throw new Error(`DER value at byte ${offset} is cut short`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i];
    if (bytes[offset + 2] === 0 || length < 0x80) {
      throw new Error(`DER value at byte ${offset} does not write its length in the fewest bytes`);
    }
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error(`DER value at byte ${offset} claims ${length} bytes, past the end of its container`);
  return new DerNode(bytes, tag, offset, contentStart, end);
}

/** `node`'s children, requiring `node` to have `tag`; `what` names it in errors. */
export function derExpect(node, tag, what) {
  if (!node || node.tag !== tag) {
    const found = node ? `tag 0x${node.tag.toString(16)}` : 'nothing';
    throw new Error(`${what}: expected tag 0x${tag.toString(16)}, found ${found}`);
  }
  return node;
}

/** The dotted form of an OBJECT IDENTIFIER node (e.g. `1.2.840.113549.1.7.2`). */
export function derOid(node) {
  derExpect(node, DER_TAG.OID, 'object identifier');
  const content = node.content;
  if (content.length === 0 || content[content.length - 1] & 0x80) throw new Error(`malformed OID at byte ${node.start}`);
  const arcs = [];
  let value = 0;
  for (const byte of content) {
    if (value === 0 && byte === 0x80) throw new Error(`OID at byte ${node.start} is not minimally encoded`);
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new Error(`OID at byte ${node.start} has an arc too large`);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

/** The object identifiers kpiseal's signatures use, by name. */
export const OID = Object.freeze({
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  countersignature: '1.2.840.113549.1.9.6',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha512: '2.16.840.1.101.3.4.2.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  ed25519: '1.3.101.112',
});
