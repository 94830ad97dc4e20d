// Reading an evidence zip strictly, as `kpiseal verify` does
// (crates/seal/src/verify/zip_read.rs): a zip is accepted only in the one
// shape kpiseal writes (crates/seal/src/bag/zipfile.rs), where every zip
// reader agrees on what it holds.
//
// - every byte is accounted for: local entries back to back from byte 0,
//   then the central directory, then its end record with no comment at the
//   very end (no prefix, no gap, no trailing data);
// - the central directory lists exactly the local entries, in order, with
//   the same name, method, flags, time, CRC and sizes;
// - every header field is what kpiseal writes: files deflated and folders
//   stored, no encryption, data descriptor, zip64, extra field or comment,
//   one midnight timestamp for all entries, mode 0644 for files and 0755 for
//   folders, the UTF-8 flag exactly for non-ASCII names, entries sorted by
//   name with every folder listed;
// - names are relative, without `.`/`..`, unique also ignoring case and
//   Unicode normalisation;
// - every file inflates to exactly its stated size and CRC-32, with nothing
//   after its deflate stream, within ZIP_LIMITS (checked before inflating).
//
// One check of the Rust reader is not made here: that re-compressing each
// file at kpiseal's deflate level gives back exactly its compressed bytes.
// The page has no deflate encoder that matches zlib-rs byte for byte, so a
// zip whose files were re-compressed differently (same contents) passes here
// and fails `kpiseal verify`.

import { fromUtf8, bytesEqual } from './bytes.js';

/**
 * The bounds `readZip` keeps to unless its caller passes others: as
 * crates/seal/src/verify/limits.rs for the entry count, the central
 * directory and the compression ratio. The per-entry and total sizes are
 * lower than the Rust verifier's (4 GiB a file, 16 GiB in all) because the
 * page holds every inflated file in memory.
 */
export const ZIP_LIMITS = Object.freeze({
  /** Most entries (files and folders). */
  maxEntries: 10000,
  /** Largest central directory, in bytes. */
  maxCentralDirectory: 16 << 20,
  /** Largest inflated size of one file, in bytes. */
  maxEntryBytes: 512 << 20,
  /** Most bytes all files together may inflate to. */
  maxTotalBytes: 1024 << 20,
  /** Highest inflated ÷ compressed ratio for a file inflating to more than `ratioFloor` bytes. */
  maxRatio: 100,
  /** Files inflating to at most this many bytes are exempt from `maxRatio`. */
  ratioFloor: 1 << 20,
});

const ZIP_LOCAL_SIG = 0x04034b50;
const ZIP_CENTRAL_SIG = 0x02014b50;
const ZIP_END_SIG = 0x06054b50;
const ZIP_END_LEN = 22;
const ZIP_LOCAL_LEN = 30;
const ZIP_CENTRAL_LEN = 46;
const ZIP_STORED = 0;
const ZIP_DEFLATED = 8;
/** "Version made by": Unix (3), zip 2.0; and "version needed": 2.0. */
const ZIP_MADE_BY = (3 << 8) | 20;
const ZIP_NEEDED = 20;
const ZIP_UTF8_FLAG = 0x0800;
const ZIP_FILE_MODE = 0o100644 * 0x10000;
const ZIP_FOLDER_MODE = 0o040755 * 0x10000;

const ZIP_CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32 (ISO-HDLC, as zip, gzip and PNG use it) of `bytes`, as an
 * unsigned 32-bit number: crc32(utf8('123456789')) === 0xcbf43926.
 */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = ZIP_CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function zipU16(b, at) {
  return b[at] | (b[at + 1] << 8);
}

function zipU32(b, at) {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function zipHex32(n) {
  return n.toString(16).padStart(8, '0');
}

function zipIsAscii(raw) {
  for (const b of raw) if (b >= 0x80) return false;
  return true;
}

/** -1, 0 or 1 as `a` sorts before, with or after `b` by their bytes. */
function zipCompareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * Why `path` cannot be a relative path inside the bag, or null: as
 * crates/seal/src/relpath.rs (empty, absolute, backslash, control
 * character, drive prefix, empty / `.` / `..` component).
 */
function zipPathProblem(path) {
  if (path === '') return 'empty path';
  if (path.startsWith('/')) return 'absolute path';
  if (path.includes('\\')) return 'backslash in path (use /)';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) return 'control character in path';
  const first = path.split('/')[0];
  if ([...first].length === 2 && first.endsWith(':')) return 'drive prefix in path';
  for (const component of path.split('/')) {
    if (component === '') return 'empty path component (// or trailing /)';
    if (component === '.' || component === '..') return '`.` or `..` component in path';
  }
  return null;
}

/** The end record, which must be the last 22 bytes: { cdOffset, cdSize, count }. */
function zipEndRecord(bytes, limits) {
  const len = bytes.length;
  if (len < ZIP_END_LEN) {
    return zipFail(`${len} bytes is too short to be a zip (truncated, or not a zip)`);
  }
  const end = len - ZIP_END_LEN;
  if (zipU32(bytes, end) !== ZIP_END_SIG || zipU16(bytes, end + 20) !== 0) {
    const from = Math.max(0, len - ZIP_END_LEN - 0xffff);
    let found = -1;
    for (let at = end; at >= from; at--) {
      if (zipU32(bytes, at) === ZIP_END_SIG) {
        found = at;
        break;
      }
    }
    if (found < 0) return zipFail('no zip end record at the end of the file (truncated, or not a zip)');
    const after = len - found - ZIP_END_LEN;
    const comment = zipU16(bytes, found + 20);
    if (comment === after) return zipFail(`it has a ${comment}-byte zip comment; kpiseal writes none`);
    return zipFail(
      `${Math.max(0, after - comment)} bytes follow the end of the zip (its end record is at byte ${found}); ` +
        'kpiseal writes nothing after it',
    );
  }
  const disk = zipU16(bytes, end + 4);
  const cdDisk = zipU16(bytes, end + 6);
  const here = zipU16(bytes, end + 8);
  const count = zipU16(bytes, end + 10);
  const cdSize = zipU32(bytes, end + 12);
  const cdOffset = zipU32(bytes, end + 16);
  if (disk !== 0 || cdDisk !== 0 || here !== count) {
    return zipFail('a multi-part zip; kpiseal writes one file');
  }
  if (cdSize > limits.maxCentralDirectory || count > limits.maxEntries) {
    return zipFail(
      `more than ${limits.maxEntries} entries or a central directory over ${limits.maxCentralDirectory} bytes`,
    );
  }
  if (cdOffset + cdSize !== end) {
    return zipFail(
      `its central directory (bytes ${cdOffset}..${cdOffset + cdSize}) does not end where its end record ` +
        `begins (byte ${end}): truncated, or bytes added or removed`,
    );
  }
  return { cdOffset, cdSize, count };
}

function zipFail(problem) {
  throw new Error(`evidence zip refused: ${problem}`);
}

function zipEntryFail(name, problem) {
  throw new Error(`evidence zip refused: entry ${JSON.stringify(name)}: ${problem}`);
}

/** Every central directory record, checked on its own and against the others. */
function zipCentralDirectory(bytes, cdOffset, cdSize, count) {
  const cd = bytes.subarray(cdOffset, cdOffset + cdSize);
  const entries = [];
  const folded = new Map();
  const folders = new Set();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + ZIP_CENTRAL_LEN > cd.length) {
      zipFail(`the central directory ends early, in record ${i} (byte ${cdOffset + at})`);
    }
    if (zipU32(cd, at) !== ZIP_CENTRAL_SIG) {
      zipFail(`central directory record ${i} (byte ${cdOffset + at}) is malformed`);
    }
    const madeBy = zipU16(cd, at + 4);
    const needed = zipU16(cd, at + 6);
    const flags = zipU16(cd, at + 8);
    const method = zipU16(cd, at + 10);
    const time = zipU16(cd, at + 12);
    const date = zipU16(cd, at + 14);
    const crc = zipU32(cd, at + 16);
    const compressed = zipU32(cd, at + 20);
    const size = zipU32(cd, at + 24);
    const nameLen = zipU16(cd, at + 28);
    const extraLen = zipU16(cd, at + 30);
    const commentLen = zipU16(cd, at + 32);
    const diskStart = zipU16(cd, at + 34);
    const internal = zipU16(cd, at + 36);
    const external = zipU32(cd, at + 38);
    const offset = zipU32(cd, at + 42);
    const next = at + ZIP_CENTRAL_LEN + nameLen + extraLen + commentLen;
    if (next > cd.length) {
      zipFail(`the central directory ends early, in record ${i} (byte ${cdOffset + at})`);
    }
    const raw = cd.subarray(at + ZIP_CENTRAL_LEN, at + ZIP_CENTRAL_LEN + nameLen);
    let name;
    try {
      name = fromUtf8(raw);
    } catch {
      zipFail(`entry ${i} (central directory record at byte ${cdOffset + at}): its name is not UTF-8`);
    }
    at = next;
    const folder = name.endsWith('/');
    const plain = folder ? name.slice(0, -1) : name;
    const pathProblem = zipPathProblem(plain);
    if (pathProblem) zipEntryFail(name, `${pathProblem}: it would be written outside the bag`);
    if (madeBy >>> 8 === 3 && ((external >>> 16) & 0o170000) === 0o120000) zipEntryFail(name, 'a link');
    if (flags & 0x0001) zipEntryFail(name, 'encrypted; kpiseal never encrypts');
    if (flags & 0x0008) zipEntryFail(name, 'has a data descriptor (sizes after the data); kpiseal writes none');
    const expectedMethod = folder ? ZIP_STORED : ZIP_DEFLATED;
    if (method !== expectedMethod) {
      zipEntryFail(name, `compression method ${method}; kpiseal deflates files (8) and stores folders (0)`);
    }
    const first = entries.length > 0 ? entries[0] : { time, date };
    const canonical =
      madeBy === ZIP_MADE_BY &&
      needed === ZIP_NEEDED &&
      flags === (zipIsAscii(raw) ? 0 : ZIP_UTF8_FLAG) &&
      time === first.time &&
      date === first.date &&
      time === 0 &&
      extraLen === 0 &&
      commentLen === 0 &&
      diskStart === 0 &&
      internal === 0 &&
      external === (folder ? ZIP_FOLDER_MODE : ZIP_FILE_MODE) &&
      (!folder || (size === 0 && crc === 0 && compressed === 0));
    if (!canonical) {
      zipEntryFail(
        name,
        'its header is not as kpiseal writes it (version, flags, time, mode, sizes, extra field or comment)',
      );
    }
    const key = plain.normalize('NFC').toLowerCase();
    const other = folded.get(key);
    if (other !== undefined) {
      zipEntryFail(
        name,
        other === name
          ? 'appears twice; readers disagree on which copy they extract'
          : `and ${JSON.stringify(other)} are one name to readers that ignore case or Unicode normalisation`,
      );
    }
    folded.set(key, name);
    if (entries.length > 0) {
      const previous = entries[entries.length - 1];
      if (zipCompareBytes(previous.raw, raw) >= 0) {
        zipEntryFail(name, `comes after ${JSON.stringify(previous.name)}: kpiseal sorts entries by name`);
      }
    }
    const slash = plain.lastIndexOf('/');
    if (slash >= 0 && !folders.has(plain.slice(0, slash))) {
      zipEntryFail(name, `its folder ${plain.slice(0, slash)}/ has no entry of its own; kpiseal lists every folder`);
    }
    if (folder) folders.add(plain);
    entries.push({ name, raw, flags, method, time, date, crc, compressed, size, offset, folder });
  }
  if (at !== cd.length) {
    zipFail(`${cd.length - at} bytes in the central directory after its last record`);
  }
  return entries;
}

/** Checks `entry`'s local header against its central record; returns where its data begins. */
function zipLocalHeader(bytes, entry, cdOffset) {
  const h = entry.offset;
  if (h + ZIP_LOCAL_LEN > cdOffset) zipEntryFail(entry.name, `local header at byte ${h} cut short`);
  if (zipU32(bytes, h) !== ZIP_LOCAL_SIG) {
    zipEntryFail(entry.name, `no local header at byte ${h}, where the central directory points`);
  }
  const mismatch = (what) =>
    zipEntryFail(entry.name, `its local header (byte ${h}) and the central directory differ (${what})`);
  if (zipU16(bytes, h + 6) !== entry.flags || zipU16(bytes, h + 8) !== entry.method) mismatch('flags or method');
  if (zipU16(bytes, h + 10) !== entry.time || zipU16(bytes, h + 12) !== entry.date) mismatch('time');
  if (
    zipU32(bytes, h + 14) !== entry.crc ||
    zipU32(bytes, h + 18) !== entry.compressed ||
    zipU32(bytes, h + 22) !== entry.size
  ) {
    mismatch('CRC or sizes');
  }
  if (zipU16(bytes, h + 4) !== ZIP_NEEDED) mismatch('version needed');
  const nameLen = zipU16(bytes, h + 26);
  const extraLen = zipU16(bytes, h + 28);
  if (extraLen !== 0) zipEntryFail(entry.name, `an extra field in its local header (byte ${h}); kpiseal writes none`);
  const nameStart = h + ZIP_LOCAL_LEN;
  if (nameStart + nameLen > cdOffset) zipEntryFail(entry.name, `local header at byte ${h} cut short`);
  const name = bytes.subarray(nameStart, nameStart + nameLen);
  if (!bytesEqual(name, entry.raw)) {
    let shown;
    try {
      shown = JSON.stringify(fromUtf8(name));
    } catch {
      shown = 'that is not UTF-8';
    }
    mismatch(`name ${shown}`);
  }
  return nameStart + nameLen;
}

let zipJunkCheckedNatively = null;

/**
 * Whether this platform's DecompressionStream refuses bytes after the end
 * of a deflate stream (Chromium does; Node 20 ignores them).
 */
function zipRefusesTrailingJunk() {
  if (zipJunkCheckedNatively === null) {
    // 03 00: an empty final fixed-Huffman block; then one junk byte.
    zipJunkCheckedNatively = zipInflateRaw(new Uint8Array([0x03, 0x00, 0x00]), 0, true).then(
      () => false,
      () => true,
    );
  }
  return zipJunkCheckedNatively;
}

/**
 * Inflates the raw deflate stream `compressed`, reading at most `limit + 1`
 * bytes of output (so that a stream inflating to more is seen, without
 * inflating all of it); with `discard`, only counts them (the result is
 * then empty). Throws the platform's error for a malformed stream.
 */
async function zipInflateRaw(compressed, limit, discard = false) {
  const stream = new DecompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const writing = writer.write(compressed).then(() => writer.close());
  writing.catch(() => {});
  const out = new Uint8Array(discard ? 0 : limit + 1);
  let length = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const taken = Math.min(value.length, limit + 1 - length);
    if (!discard) out.set(value.subarray(0, taken), length);
    length += taken;
    if (length > limit) {
      reader.cancel().catch(() => {});
      writer.abort().catch(() => {});
      return discard ? out : out.subarray(0, length);
    }
  }
  await writing;
  return out.subarray(0, length);
}

/** The inflated bytes of file `entry`, exactly its stated size and CRC-32. */
async function zipInflateEntry(bytes, entry, dataStart) {
  const compressed = bytes.subarray(dataStart, dataStart + entry.compressed);
  const expected = `${entry.size} bytes with CRC ${zipHex32(entry.crc)}`;
  let data;
  try {
    data = await zipInflateRaw(compressed, entry.size);
  } catch (e) {
    const span = `bytes ${dataStart}..${dataStart + entry.compressed}`;
    zipEntryFail(entry.name, `cannot inflate its data (${span}): ${e.message}`);
  }
  if (data.length > entry.size) {
    zipEntryFail(entry.name, `inflates to more than its stated ${entry.size} bytes (the compressed data was changed)`);
  }
  const crc = crc32(data);
  if (data.length !== entry.size || crc !== entry.crc) {
    zipEntryFail(
      entry.name,
      `inflates to ${data.length} bytes with CRC ${zipHex32(crc)}; its headers say ${expected} ` +
        '(CRC mismatch: the compressed data was changed)',
    );
  }
  // The deflate stream must use every compressed byte. Where the platform
  // does not refuse trailing bytes itself, the stream without its last byte
  // must fail to inflate: if it still inflates, that byte was not part of it.
  if (compressed.length > 0 && !(await zipRefusesTrailingJunk())) {
    let shorter = true;
    try {
      await zipInflateRaw(compressed.subarray(0, compressed.length - 1), entry.size, true);
    } catch {
      shorter = false;
    }
    if (shorter) zipEntryFail(entry.name, 'hidden bytes after the end of its deflate stream');
  }
  return data;
}

/**
 * Reads an evidence zip as kpiseal writes it, refusing any other shape.
 *
 * `bytes` is the whole zip (a Uint8Array); `limits` (optional) overrides
 * fields of ZIP_LIMITS. Resolves to `{ entries, dosDate }`: `entries` in
 * the zip's order, each `{ name, folder, data }` where `name` is the entry
 * name exactly as stored (folders end in `/`), `folder` is true for folders
 * and `data` is null for folders, else the file's inflated bytes, which
 * match the size and CRC-32 both headers state; `dosDate` is the MS-DOS date
 * field every entry carries (the bag's Bagging-Date), or 0 for no entries.
 *
 * Rejects with an Error whose English message begins "evidence zip
 * refused:" and names the entry or byte offset at fault: a truncated file,
 * bytes after the end record, a zip comment, a gap or overlap between
 * entries, local and central headers that disagree, a method other than
 * deflate for files / stored for folders, encryption, a data descriptor,
 * an extra field, a header field kpiseal does not write, a name that is not
 * UTF-8, absolute, or has a `..` component, two names that are one ignoring
 * case or Unicode normalisation, unsorted entries, a folder without its own
 * entry, a file over a size or ratio limit (checked before inflating), data
 * that does not inflate, inflates to another size or CRC-32, or has bytes
 * after its deflate stream. It does not check that the data is compressed
 * exactly as kpiseal compresses (see the top of this file).
 */
export async function readZip(bytes, limits) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('readZip: expected the zip as a Uint8Array');
  const bounds = { ...ZIP_LIMITS, ...(limits || {}) };
  const { cdOffset, cdSize, count } = zipEndRecord(bytes, bounds);
  const records = zipCentralDirectory(bytes, cdOffset, cdSize, count);
  const entries = [];
  let at = 0;
  let total = 0;
  for (const entry of records) {
    if (entry.offset !== at) {
      zipEntryFail(
        entry.name,
        `starts at byte ${entry.offset} but the previous entry ends at byte ${at}: ` +
          `${Math.abs(entry.offset - at)} bytes are in no entry, or entries overlap`,
      );
    }
    const dataStart = zipLocalHeader(bytes, entry, cdOffset);
    const dataEnd = dataStart + entry.compressed;
    if (dataEnd > cdOffset) {
      zipEntryFail(
        entry.name,
        `its ${entry.compressed} compressed bytes from byte ${dataStart} run past the start of the central ` +
          `directory (byte ${cdOffset}): cut short`,
      );
    }
    at = dataEnd;
    if (entry.folder) {
      entries.push({ name: entry.name, folder: true, data: null });
      continue;
    }
    if (entry.size > bounds.maxEntryBytes) {
      zipEntryFail(entry.name, `inflates to ${entry.size} bytes, over the ${bounds.maxEntryBytes} this page reads`);
    }
    total += entry.size;
    if (total > bounds.maxTotalBytes) {
      zipFail(`its entries inflate to more than the ${bounds.maxTotalBytes} bytes this page reads`);
    }
    if (entry.size > bounds.ratioFloor && entry.size > entry.compressed * bounds.maxRatio) {
      zipEntryFail(
        entry.name,
        `${entry.compressed} bytes inflating to ${entry.size}, a compression ratio over ${bounds.maxRatio}:1: ` +
          'a zip bomb?',
      );
    }
    const data = await zipInflateEntry(bytes, entry, dataStart);
    entries.push({ name: entry.name, folder: false, data });
  }
  if (at !== cdOffset) {
    zipFail(
      `${cdOffset - at} bytes between the last entry (ending at byte ${at}) and the central directory ` +
        'belong to no entry',
    );
  }
  return { entries, dosDate: records.length > 0 ? records[0].date : 0 };
}
