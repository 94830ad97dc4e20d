// BLAKE2b (RFC 7693), unkeyed, for minisign's prehashed signatures
// (minisign signs BLAKE2b-512 of the file). WebCrypto has no BLAKE2, so it
// is written here.
//
// Arithmetic: BLAKE2b works on 64-bit words. JavaScript numbers hold exact
// integers only up to 2^53, and BigInt is slow, so every 64-bit word is kept
// as a pair of unsigned 32-bit halves in a Uint32Array: word i is
// (low = arr[2i], high = arr[2i + 1]). The helpers below add, xor and rotate
// such pairs in place. About 10 ms for 200 KB in Node; the inputs here are
// a few KB.

/** The eight 64-bit initialisation words (RFC 7693 §2.6, the SHA-512 IV), as [low, high] pairs. */
const BLAKE2B_IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85,
  0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c,
  0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

/** The message word schedule SIGMA (RFC 7693 §2.7); rounds 10 and 11 reuse rows 0 and 1. */
const BLAKE2B_SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/** Bytes per block. */
const BLAKE2B_BLOCK_BYTES = 128;

/** words[a] += words[b] (mod 2^64), both indices of 64-bit words in a pair array. */
function blake2bAddWords(words, a, b) {
  const lo = words[2 * a] + words[2 * b];
  // The low sum is at most 2^33 - 2, so the carry is 0 or 1.
  const carry = lo >= 0x100000000 ? 1 : 0;
  words[2 * a] = lo;
  words[2 * a + 1] = words[2 * a + 1] + words[2 * b + 1] + carry;
}

/** words[a] += (hi:lo) (mod 2^64), a message word given as its two halves. */
function blake2bAddPair(words, a, lo, hi) {
  const sum = words[2 * a] + lo;
  const carry = sum >= 0x100000000 ? 1 : 0;
  words[2 * a] = sum;
  words[2 * a + 1] = words[2 * a + 1] + hi + carry;
}

/** words[a] = rotr64(words[a] ^ words[b], n) for n = 16, 24, 32 or 63 (the only distances BLAKE2b uses). */
function blake2bXorRotate(words, a, b, n) {
  const lo = words[2 * a] ^ words[2 * b];
  const hi = words[2 * a + 1] ^ words[2 * b + 1];
  if (n === 32) {
    words[2 * a] = hi;
    words[2 * a + 1] = lo;
  } else if (n < 32) {
    // Rotating right by n < 32: each half takes the other's low n bits on top.
    words[2 * a] = (lo >>> n) | (hi << (32 - n));
    words[2 * a + 1] = (hi >>> n) | (lo << (32 - n));
  } else {
    // Right by n > 32 is swapping the halves, then right by n - 32.
    const m = n - 32;
    words[2 * a] = (hi >>> m) | (lo << (32 - m));
    words[2 * a + 1] = (lo >>> m) | (hi << (32 - m));
  }
}

/**
 * The mixing function G (RFC 7693 §3.1) on work vector words a, b, c, d with
 * message words x and y (given as indices into the message pair array `m`).
 */
function blake2bMix(v, a, b, c, d, m, x, y) {
  blake2bAddWords(v, a, b);
  blake2bAddPair(v, a, m[2 * x], m[2 * x + 1]);
  blake2bXorRotate(v, d, a, 32);
  blake2bAddWords(v, c, d);
  blake2bXorRotate(v, b, c, 24);
  blake2bAddWords(v, a, b);
  blake2bAddPair(v, a, m[2 * y], m[2 * y + 1]);
  blake2bXorRotate(v, d, a, 16);
  blake2bAddWords(v, c, d);
  blake2bXorRotate(v, b, c, 63);
}

/**
 * The compression function F (RFC 7693 §3.2): folds one 128-byte block
 * (`block`, already zero-padded) into the state `h` (8 words as pairs).
 * `counter` is the number of message bytes hashed so far including this
 * block; `last` marks the final block.
 */
function blake2bCompress(h, block, counter, last) {
  // Message words, little-endian, as pairs.
  const m = new Uint32Array(32);
  for (let i = 0; i < 32; i++) {
    const at = 4 * i;
    m[i] = block[at] | (block[at + 1] << 8) | (block[at + 2] << 16) | (block[at + 3] << 24);
  }
  // Work vector: the state, then the IV with the counter and final flag mixed in.
  const v = new Uint32Array(32);
  v.set(h, 0);
  v.set(BLAKE2B_IV, 16);
  // The counter is 128 bits; inputs here are far below 2^53 bytes, so the
  // upper 64 bits (word 13) stay as the IV and word 12 takes the count.
  v[24] ^= counter >>> 0;
  v[25] ^= Math.floor(counter / 0x100000000) >>> 0;
  if (last) {
    v[28] = ~v[28];
    v[29] = ~v[29];
  }
  for (let round = 0; round < 12; round++) {
    const s = BLAKE2B_SIGMA[round % 10];
    // Columns, then diagonals.
    blake2bMix(v, 0, 4, 8, 12, m, s[0], s[1]);
    blake2bMix(v, 1, 5, 9, 13, m, s[2], s[3]);
    blake2bMix(v, 2, 6, 10, 14, m, s[4], s[5]);
    blake2bMix(v, 3, 7, 11, 15, m, s[6], s[7]);
    blake2bMix(v, 0, 5, 10, 15, m, s[8], s[9]);
    blake2bMix(v, 1, 6, 11, 12, m, s[10], s[11]);
    blake2bMix(v, 2, 7, 8, 13, m, s[12], s[13]);
    blake2bMix(v, 3, 4, 9, 14, m, s[14], s[15]);
  }
  for (let i = 0; i < 16; i++) h[i] ^= v[i] ^ v[i + 16];
}

/**
 * BLAKE2b of `data` (unkeyed), `outLength` bytes long (1 to 64; 64 gives
 * BLAKE2b-512, what minisign uses). As RFC 7693 defines it, the output
 * length is part of the parameter block, so a shorter digest is not a
 * prefix of a longer one. Throws a RangeError for any other `outLength`
 * and a TypeError when `data` is not a Uint8Array; otherwise never throws.
 */
export function blake2b(data, outLength = 64) {
  if (!(data instanceof Uint8Array)) throw new TypeError('blake2b: data must be a Uint8Array');
  if (!Number.isInteger(outLength) || outLength < 1 || outLength > 64) {
    throw new RangeError('blake2b: outLength must be an integer from 1 to 64');
  }
  const h = new Uint32Array(BLAKE2B_IV);
  // Parameter block word 0: digest length, key length 0, fanout 1, depth 1.
  h[0] ^= 0x01010000 ^ outLength;

  // Every full block but the last goes through as is; the last block
  // (possibly partial, or empty for an empty input) is zero-padded and
  // flagged final. An input that ends on a block boundary has its own last
  // block as the final one, not an extra empty block.
  let offset = 0;
  while (data.length - offset > BLAKE2B_BLOCK_BYTES) {
    blake2bCompress(h, data.subarray(offset, offset + BLAKE2B_BLOCK_BYTES), offset + BLAKE2B_BLOCK_BYTES, false);
    offset += BLAKE2B_BLOCK_BYTES;
  }
  const lastBlock = new Uint8Array(BLAKE2B_BLOCK_BYTES);
  lastBlock.set(data.subarray(offset));
  blake2bCompress(h, lastBlock, data.length, true);

  // The state words, little-endian, truncated to outLength bytes.
  const out = new Uint8Array(outLength);
  for (let i = 0; i < outLength; i++) out[i] = (h[i >> 2] >>> (8 * (i & 3))) & 0xff;
  return out;
}
