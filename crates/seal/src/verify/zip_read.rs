//! Reading an evidence zip strictly, so that what `verify` checks is what
//! every other zip reader would extract.
//!
//! Zip readers disagree on malformed archives: some read the central
//! directory, some walk the local headers, some take the first of two
//! entries with one name and some the last. So a zip is accepted only in
//! the one shape kpiseal writes, where all of them agree:
//!
//! - every byte is accounted for: local entries back to back from byte 0,
//!   then the central directory, then its end record with no comment at the
//!   very end of the file (no prefix, no gap, no trailing data);
//! - the central directory lists exactly the local entries, in order, with
//!   the same name, method, flags, times, CRC and sizes;
//! - every header field is what `bag::zip_bag` writes: files deflated and
//!   folders stored, no encryption, data descriptor, zip64, extra field or
//!   comment, one
//!   midnight timestamp for all entries, mode 0644 for files and 0755 for
//!   folders (never a link or special file), UTF-8 flag exactly for
//!   non-ASCII names, entries sorted by name with every folder listed;
//! - names are relative, without `..`, unique also ignoring case and
//!   Unicode normalisation;
//! - every entry read inflates to exactly its stated size and CRC, within
//!   the [`super::limits`] on size and compression ratio (checked before
//!   inflating), and re-compressed at `bag::deflate_level` of its name gives back
//!   exactly its compressed bytes (deflate has many encodings of one
//!   content; only kpiseal's is accepted).
//!
//! So a single changed byte anywhere in the archive is refused or shows in
//! a checked file. The archive is read once, front to back, never held in
//! memory.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;

use super::limits::{
    MAX_CENTRAL_DIRECTORY, MAX_ENTRIES, MAX_HASHED_FILE, MAX_PARSED_FILE, MAX_RATIO, MAX_ZIP_TOTAL, RATIO_FLOOR,
};
use super::tree::{Contents, Node, Plan, Tree, Want, digest, open_regular, size};
use crate::bag::COMPRESS_CHUNK;
use crate::check::Check;
use crate::relpath;

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
const END_LEN: u64 = 22;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// "Version made by": Unix, zip 2.0; and "version needed": 2.0.
const MADE_BY: u16 = (3 << 8) | 20;
const NEEDED: u16 = 20;
const UTF8_FLAG: u16 = 0x0800;
const FILE_MODE: u32 = 0o100_644 << 16;
const FOLDER_MODE: u32 = 0o040_755 << 16;

/// A zip read: its entries as a [`Tree`], the archive's own SHA-256 and
/// size, and the MS-DOS date every entry carries.
#[derive(Debug)]
pub(crate) struct ZipRead {
    pub tree: Tree,
    pub sha256: String,
    pub bytes: u64,
    pub dos_date: u16,
}

/// The MS-DOS date field of `YYYY-MM-DD` (years 1980–2107), as zip headers carry it.
pub(crate) fn dos_date(iso: &str) -> Option<u16> {
    let year: u16 = iso.get(0..4)?.parse().ok()?;
    let month: u16 = iso.get(5..7)?.parse().ok()?;
    let day: u16 = iso.get(8..10)?.parse().ok()?;
    (1980..=2107).contains(&year).then_some(((year - 1980) << 9) | (month << 5) | day)
}

/// One central directory record, as far as the checks need it.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    flags: u16,
    method: u16,
    time: u16,
    date: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
    folder: bool,
}

/// Reads the zip at `path` as `plan` says. `Err` names why the archive as a
/// whole is refused (not a zip kpiseal writes, or over a limit); problems
/// with single entries are failed checks in the tree.
pub(crate) fn read_zip(path: &Path, plan: Plan<'_>) -> Result<ZipRead, String> {
    let (mut file, len) = open_regular(path).map_err(|e| e.to_string())?;
    let (cd_offset, cd_size, count) = end_record(&mut file, len)?;
    file.seek(SeekFrom::Start(cd_offset)).map_err(|e| e.to_string())?;
    let mut cd = vec![0u8; usize::try_from(cd_size).map_err(|_| "central directory too large")?];
    file.read_exact(&mut cd).map_err(|e| format!("cannot read the central directory: {e}"))?;
    let entries = central_directory(&cd, count)?;
    let dos_date = entries.first().map_or(0, |e| e.date);
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut reader = Hashing { inner: BufReader::with_capacity(256 * 1024, file), hasher: Sha256::new(), at: 0 };
    let mut tree = Tree::default();
    let mut total = 0u64;
    for entry in &entries {
        if reader.at != entry.offset {
            return Err(format!(
                "entry {:?} starts at byte {} but the previous entry ends at byte {}: {} bytes are in no entry, \
                 or entries overlap",
                entry.name,
                entry.offset,
                reader.at,
                entry.offset.abs_diff(reader.at)
            ));
        }
        local_header(&mut reader, entry)?;
        total = total.saturating_add(entry.size);
        if total > MAX_ZIP_TOTAL {
            return Err(format!("its entries inflate to more than the {} verify reads", size(MAX_ZIP_TOTAL)));
        }
        read_entry(&mut reader, entry, plan, &mut tree)?;
    }
    if reader.at != cd_offset {
        return Err(format!(
            "{} bytes between the last entry and the central directory belong to no entry",
            cd_offset.saturating_sub(reader.at)
        ));
    }
    io::copy(&mut reader, &mut io::sink()).map_err(|e| e.to_string())?;
    if reader.at != len {
        return Err("the file changed while it was read".into());
    }
    Ok(ZipRead { tree, sha256: hex::encode(reader.hasher.finalize()), bytes: len, dos_date })
}

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    at: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.at += n as u64;
        Ok(n)
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The end record, which must be the file's last 22 bytes: (central
/// directory offset, its size, the entry count).
fn end_record(file: &mut std::fs::File, len: u64) -> Result<(u64, u64, usize), String> {
    if len < END_LEN {
        return Err("too short to be a zip".into());
    }
    let tail_len = len.min(END_LEN + 0xFFFF);
    file.seek(SeekFrom::Start(len - tail_len)).map_err(|e| e.to_string())?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail).map_err(|e| e.to_string())?;
    let end = &tail[tail.len() - END_LEN as usize..];
    if u32_at(end, 0) != END || u16_at(end, 20) != 0 {
        let found = (0..=tail.len() - END_LEN as usize).rev().find(|&at| u32_at(&tail, at) == END);
        return Err(match found {
            Some(at) => {
                let after = tail.len() - at - END_LEN as usize;
                let comment = usize::from(u16_at(&tail, at + 20));
                if comment == after {
                    format!("it has a {comment}-byte zip comment; kpiseal writes none")
                } else {
                    format!("{} bytes follow the end of the zip", after.saturating_sub(comment))
                }
            }
            None => "no zip end record (truncated, or not a zip)".into(),
        });
    }
    let (disk, cd_disk) = (u16_at(end, 4), u16_at(end, 6));
    let (here, count) = (u16_at(end, 8), u16_at(end, 10));
    let (cd_size, cd_offset) = (u64::from(u32_at(end, 12)), u64::from(u32_at(end, 16)));
    if disk != 0 || cd_disk != 0 || here != count {
        return Err("a multi-part zip; kpiseal writes one file".into());
    }
    if count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
        return Err("a zip64 archive; kpiseal writes none".into());
    }
    if cd_size > MAX_CENTRAL_DIRECTORY || usize::from(count) > MAX_ENTRIES {
        return Err(format!("more than {MAX_ENTRIES} entries"));
    }
    if cd_offset.checked_add(cd_size) != Some(len - END_LEN) {
        return Err(format!(
            "its central directory (bytes {cd_offset}..{}) does not end where its end record begins (byte {})",
            cd_offset.saturating_add(cd_size),
            len - END_LEN
        ));
    }
    Ok((cd_offset, cd_size, usize::from(count)))
}

/// Every central directory record, checked on its own and against the others.
fn central_directory(cd: &[u8], count: usize) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::with_capacity(count);
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut at = 0usize;
    for i in 0..count {
        let record = cd.get(at..at + 46).ok_or("the central directory ends early")?;
        if u32_at(record, 0) != CENTRAL {
            return Err(format!("central directory record {i} is malformed"));
        }
        let (made_by, flags, method) = (u16_at(record, 4), u16_at(record, 8), u16_at(record, 10));
        let (time, date, crc) = (u16_at(record, 12), u16_at(record, 14), u32_at(record, 16));
        let (compressed, size) = (u64::from(u32_at(record, 20)), u64::from(u32_at(record, 24)));
        let (name_len, extra_len, comment_len) =
            (usize::from(u16_at(record, 28)), usize::from(u16_at(record, 30)), usize::from(u16_at(record, 32)));
        let (external, offset) = (u32_at(record, 38), u64::from(u32_at(record, 42)));
        let raw = cd.get(at + 46..at + 46 + name_len).ok_or("the central directory ends early")?;
        at += 46 + name_len + extra_len + comment_len;
        if at > cd.len() {
            return Err("the central directory ends early".into());
        }
        let name = std::str::from_utf8(raw).map_err(|_| format!("entry {i}: its name is not UTF-8"))?.to_string();
        let refuse = |problem: &str| format!("entry {name:?}: {problem}");
        let folder = name.ends_with('/');
        let plain = name.strip_suffix('/').unwrap_or(&name);
        if let Some(problem) = relpath::problem(plain) {
            return Err(refuse(&format!("{problem}: it would be written outside the bag")));
        }
        if made_by >> 8 == 3 && (external >> 16) & 0o170_000 == 0o120_000 {
            return Err(refuse("a link"));
        }
        let expected_method = if folder { STORED } else { DEFLATED };
        if method != expected_method {
            return Err(refuse(&format!(
                "compression method {method}; kpiseal deflates files (8) and stores folders (0)"
            )));
        }
        let utf8 = if raw.is_ascii() { 0 } else { UTF8_FLAG };
        let mode = if folder { FOLDER_MODE } else { FILE_MODE };
        let first = entries.first().map_or((0, date), |e: &Entry| (e.time, e.date));
        let canonical = made_by == MADE_BY
            && u16_at(record, 6) == NEEDED
            && flags == utf8
            && (time, date) == first
            && time == 0
            && extra_len == 0
            && comment_len == 0
            && u16_at(record, 34) == 0
            && u16_at(record, 36) == 0
            && external == mode
            && (!folder || (size == 0 && crc == 0));
        if !canonical {
            return Err(refuse(
                "its header is not as kpiseal writes it (version, flags, time, mode, extra field or comment)",
            ));
        }
        let folded: String = plain.nfc().collect::<String>().to_lowercase();
        if let Some(other) = seen.insert(folded, name.clone()) {
            return Err(if other == name {
                refuse("appears twice; readers disagree on which copy they extract")
            } else {
                refuse(&format!("and {other:?} are one name to readers that ignore case or Unicode normalisation"))
            });
        }
        if let Some(previous) = entries.last().map(|e: &Entry| e.name.as_str())
            && previous.as_bytes() >= name.as_bytes()
        {
            return Err(refuse(&format!("comes after {previous:?}: kpiseal sorts entries by name")));
        }
        if let Some((parent, _)) = plain.rsplit_once('/')
            && !entries.iter().any(|e: &Entry| e.folder && e.name.strip_suffix('/') == Some(parent))
        {
            return Err(refuse(&format!("its folder {parent}/ has no entry of its own; kpiseal lists every folder")));
        }
        entries.push(Entry { name, flags, method, time, date, crc, compressed, size, offset, folder });
    }
    if at != cd.len() {
        return Err(format!("{} bytes in the central directory after its last record", cd.len() - at));
    }
    Ok(entries)
}

/// Reads the local header of `entry` and checks it says what the central
/// directory says.
fn local_header(reader: &mut impl Read, entry: &Entry) -> Result<(), String> {
    let mut header = [0u8; 30];
    reader.read_exact(&mut header).map_err(|_| format!("entry {:?}: local header cut short", entry.name))?;
    let mismatch =
        |what: &str| format!("entry {:?}: its local header and the central directory differ ({what})", entry.name);
    if u32_at(&header, 0) != LOCAL {
        return Err(format!("entry {:?}: no local header where the central directory points", entry.name));
    }
    if u16_at(&header, 6) != entry.flags || u16_at(&header, 8) != entry.method {
        return Err(mismatch("flags or method"));
    }
    if u16_at(&header, 10) != entry.time || u16_at(&header, 12) != entry.date {
        return Err(mismatch("time"));
    }
    if u32_at(&header, 14) != entry.crc
        || u64::from(u32_at(&header, 18)) != entry.compressed
        || u64::from(u32_at(&header, 22)) != entry.size
    {
        return Err(mismatch("CRC or sizes"));
    }
    if u16_at(&header, 4) != NEEDED {
        return Err(mismatch("version needed"));
    }
    let (name_len, extra_len) = (usize::from(u16_at(&header, 26)), u64::from(u16_at(&header, 28)));
    if extra_len != 0 {
        return Err(format!("entry {:?}: an extra field in its local header; kpiseal writes none", entry.name));
    }
    let mut name = vec![0u8; name_len];
    reader.read_exact(&mut name).map_err(|_| format!("entry {:?}: local header cut short", entry.name))?;
    if name != entry.name.as_bytes() {
        return Err(mismatch(&format!("name {:?}", String::from_utf8_lossy(&name))));
    }
    let skipped = io::copy(&mut reader.take(extra_len), &mut io::sink()).map_err(|e| e.to_string())?;
    if skipped != extra_len {
        return Err(format!("entry {:?}: local header cut short", entry.name));
    }
    Ok(())
}

/// Reads (or skips) `entry`'s data as `plan` says, adding it to `tree`.
fn read_entry(reader: &mut impl Read, entry: &Entry, plan: Plan<'_>, tree: &mut Tree) -> Result<(), String> {
    let plain = entry.name.strip_suffix('/').unwrap_or(&entry.name).to_string();
    let mut data = reader.take(entry.compressed);
    let want = plan(&plain, entry.folder);
    if entry.folder {
        tree.folders.insert(plain);
        return Ok(());
    }
    for (at, _) in plain.match_indices('/') {
        tree.folders.insert(plain[..at].to_string());
    }
    let limit = match want {
        Want::Keep => MAX_PARSED_FILE,
        Want::Hash => MAX_HASHED_FILE,
        Want::List | Want::Descend => {
            skip(&mut data, entry)?;
            tree.files.insert(plain, Node { bytes: entry.size, contents: None });
            return Ok(());
        }
    };
    let problem = if entry.size > limit {
        Some((format!("at most {}", size(limit)), format!("{} bytes", entry.size)))
    } else if entry.size > RATIO_FLOOR && entry.size > entry.compressed.saturating_mul(MAX_RATIO) {
        Some((
            format!("a compression ratio of at most {MAX_RATIO}:1"),
            format!(
                "{}:1 ({} bytes inflating to {}): a zip bomb?",
                entry.size / entry.compressed.max(1),
                entry.compressed,
                entry.size
            ),
        ))
    } else {
        None
    };
    if let Some((expected, actual)) = problem {
        skip(&mut data, entry)?;
        tree.problems.push(Check::fail("zip entry", plain, expected, actual));
        return Ok(());
    }
    let keep = want == Want::Keep;
    let Inflated { read: inflated, crc, canonical } = inflate(&mut data, entry, keep);
    let left = io::copy(&mut data, &mut io::sink()).map_err(|e| e.to_string())?;
    let expected = format!("{} bytes, CRC {:08x}", entry.size, entry.crc);
    let (contents, bytes): (Contents, u64) = match inflated {
        Ok(found) => found,
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
            tree.problems.push(Check::fail("zip entry", plain, expected, "inflates to more than its stated size"));
            return Ok(());
        }
        Err(e) => {
            tree.problems.push(Check::fail("zip entry", plain, expected, format!("cannot inflate: {e}")));
            return Ok(());
        }
    };
    if bytes != entry.size || crc != entry.crc {
        tree.problems.push(Check::fail("zip entry", plain, expected, format!("{bytes} bytes, CRC {crc:08x}")));
        return Ok(());
    }
    if !canonical {
        tree.problems.push(Check::fail(
            "zip entry",
            plain,
            "compressed exactly as kpiseal compresses it",
            "the same contents compressed differently: another file than kpiseal wrote",
        ));
        return Ok(());
    }
    if left != 0 {
        tree.problems.push(Check::fail(
            "zip entry",
            plain,
            "nothing after the stored data",
            format!("{left} hidden bytes"),
        ));
        return Ok(());
    }
    tree.files.insert(plain, Node { bytes, contents: Some(contents) });
    Ok(())
}

/// What inflating one entry found: the inflated contents and size (or the
/// error), the CRC-32 of what was inflated, and whether re-compressing it
/// gave back exactly the compressed bytes.
struct Inflated {
    read: io::Result<(Contents, u64)>,
    crc: u32,
    canonical: bool,
}

/// Inflates at most `entry.size + 1` bytes from `data` (the entry's
/// compressed bytes), hashing them, and re-compresses them as they come
/// at `bag::deflate_level` of its name, comparing the SHA-256 of that with the SHA-256
/// of the compressed bytes read.
fn inflate(data: &mut impl Read, entry: &Entry, keep: bool) -> Inflated {
    let mut compressed = HashRead { inner: data, hasher: Sha256::new() };
    let level = u32::try_from(crate::bag::deflate_level(&entry.name)).unwrap_or(1);
    let mut again = Pieces {
        encoder: DeflateEncoder::new(HashWrite(Sha256::new()), Compression::new(level)),
        pending: Vec::with_capacity(COMPRESS_CHUNK),
    };
    let mut checked = Crc {
        inner: DeflateDecoder::new(&mut compressed).take(entry.size + 1),
        crc: crc32fast::Hasher::new(),
        tee: Some(&mut again),
    };
    let read = digest(&mut checked, keep, entry.size);
    let crc = checked.crc.clone().finalize();
    drop(checked);
    let recompressed = again.finish();
    let canonical = recompressed.is_ok_and(|h| h == <[u8; 32]>::from(compressed.hasher.finalize()));
    Inflated { read, crc, canonical }
}

/// Feeds a compressor in pieces of exactly `COMPRESS_CHUNK` bytes (the last
/// one shorter), as `bag::zip_bag` does: deflate's output depends on how
/// its input arrives.
struct Pieces {
    encoder: DeflateEncoder<HashWrite>,
    pending: Vec<u8>,
}

impl Pieces {
    /// The SHA-256 of everything compressed.
    fn finish(mut self) -> io::Result<[u8; 32]> {
        use io::Write;
        if !self.pending.is_empty() {
            self.encoder.write_all(&self.pending)?;
        }
        Ok(self.encoder.finish()?.0.finalize().into())
    }
}

impl io::Write for Pieces {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let taken = buf.len();
        while !buf.is_empty() {
            let room = COMPRESS_CHUNK - self.pending.len();
            let (now, later) = buf.split_at(room.min(buf.len()));
            self.pending.extend_from_slice(now);
            buf = later;
            if self.pending.len() == COMPRESS_CHUNK {
                self.encoder.write_all(&self.pending)?;
                self.pending.clear();
            }
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Hashes what is read through it.
struct HashRead<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A writer that only hashes.
struct HashWrite(Sha256);

impl io::Write for HashWrite {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn skip(data: &mut impl Read, entry: &Entry) -> Result<(), String> {
    let skipped = io::copy(data, &mut io::sink()).map_err(|e| e.to_string())?;
    if skipped == entry.compressed { Ok(()) } else { Err(format!("entry {:?}: cut short", entry.name)) }
}

/// Computes a CRC-32 of the data passing, and copies it to `tee`.
struct Crc<'t, R> {
    inner: R,
    crc: crc32fast::Hasher,
    tee: Option<&'t mut dyn io::Write>,
}

impl<R: Read> Read for Crc<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        if let Some(tee) = &mut self.tee {
            tee.write_all(&buf[..n])?;
        }
        Ok(n)
    }
}
