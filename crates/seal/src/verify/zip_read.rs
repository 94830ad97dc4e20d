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
//! - no encryption, no data descriptors, no zip64, only stored or deflated;
//! - names are UTF-8, relative, without `..`, unique also ignoring case and
//!   Unicode normalisation; no entry is a link or a special file;
//! - every entry read inflates to exactly its stated size and CRC, within
//!   the [`super::limits`] on size and compression ratio, checked before
//!   inflating.
//!
//! The archive is read once, front to back, never held in memory.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::read::DeflateDecoder;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::limits::{MAX_CENTRAL_DIRECTORY, MAX_ENTRIES, MAX_HASHED_FILE, MAX_PARSED_FILE, MAX_RATIO, MAX_ZIP_TOTAL, RATIO_FLOOR};
use super::tree::{Contents, Node, Plan, Tree, Want, digest, open_regular, size};
use crate::check::Check;
use crate::relpath;

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
const END_LEN: u64 = 22;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// A zip read: its entries as a [`Tree`], and the archive's own SHA-256 and size.
#[derive(Debug)]
pub(crate) struct ZipRead {
    pub tree: Tree,
    pub sha256: String,
    pub bytes: u64,
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
    Ok(ZipRead { tree, sha256: hex::encode(reader.hasher.finalize()), bytes: len })
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
        if !raw.is_ascii() && flags & 0x0800 == 0 {
            return Err(refuse("a non-ASCII name not marked UTF-8 (readers would decode it differently)"));
        }
        if flags & 0x0001 != 0 {
            return Err(refuse("encrypted"));
        }
        if flags & 0x0008 != 0 {
            return Err(refuse("sizes in a data descriptor; kpiseal writes them in the header"));
        }
        if method != STORED && method != DEFLATED {
            return Err(refuse(&format!("compression method {method}; kpiseal writes stored or deflated only")));
        }
        if comment_len != 0 {
            return Err(refuse("has a comment; kpiseal writes none"));
        }
        if compressed == 0xFFFF_FFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            return Err(refuse("zip64 sizes; kpiseal writes none"));
        }
        let folder = name.ends_with('/');
        let plain = name.strip_suffix('/').unwrap_or(&name);
        if let Some(problem) = relpath::problem(plain) {
            return Err(refuse(&format!("{problem}: it would be written outside the bag")));
        }
        if made_by >> 8 == 3 {
            let kind = (external >> 16) & 0o170_000;
            let expected = if folder { 0o040_000 } else { 0o100_000 };
            if kind == 0o120_000 {
                return Err(refuse("a link"));
            }
            if kind != 0 && kind != expected {
                return Err(refuse("neither a plain file nor a folder"));
            }
        }
        if folder && (size != 0 || compressed != 0) {
            return Err(refuse("a folder entry with contents"));
        }
        let folded: String = plain.nfc().collect::<String>().to_lowercase();
        if let Some(other) = seen.insert(folded, name.clone()) {
            return Err(if other == name {
                refuse("appears twice; readers disagree on which copy they extract")
            } else {
                refuse(&format!("and {other:?} are one name to readers that ignore case or Unicode normalisation"))
            });
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
    let mismatch = |what: &str| format!("entry {:?}: its local header and the central directory differ ({what})", entry.name);
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
    let (name_len, extra_len) = (usize::from(u16_at(&header, 26)), u64::from(u16_at(&header, 28)));
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
    } else if entry.method == STORED && entry.compressed != entry.size {
        Some(("equal stored and inflated sizes".into(), format!("{} and {}", entry.compressed, entry.size)))
    } else if entry.size > RATIO_FLOOR && entry.size > entry.compressed.saturating_mul(MAX_RATIO) {
        Some((
            format!("a compression ratio of at most {MAX_RATIO}:1"),
            format!("{}:1 ({} bytes inflating to {}): a zip bomb?", entry.size / entry.compressed.max(1), entry.compressed, entry.size),
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
    let (inflated, crc) = inflate(&mut data, entry, keep);
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
    if left != 0 {
        tree.problems.push(Check::fail("zip entry", plain, "nothing after the compressed data", format!("{left} hidden bytes")));
        return Ok(());
    }
    tree.files.insert(plain, Node { bytes, contents: Some(contents) });
    Ok(())
}

/// Inflates (or copies, when stored) at most `entry.size + 1` bytes of
/// `data`, hashing them; returns what [`digest`] returned and the CRC-32.
fn inflate(data: &mut impl Read, entry: &Entry, keep: bool) -> (io::Result<(Contents, u64)>, u32) {
    let source: Box<dyn Read + '_> =
        if entry.method == DEFLATED { Box::new(DeflateDecoder::new(data)) } else { Box::new(data) };
    let mut checked = Crc { inner: source.take(entry.size + 1), crc: crc32fast::Hasher::new() };
    let inflated = digest(&mut checked, keep, entry.size);
    (inflated, checked.crc.finalize())
}

fn skip(data: &mut impl Read, entry: &Entry) -> Result<(), String> {
    let skipped = io::copy(data, &mut io::sink()).map_err(|e| e.to_string())?;
    if skipped == entry.compressed { Ok(()) } else { Err(format!("entry {:?}: cut short", entry.name)) }
}

/// Checks a CRC-32 as the data passes; a mismatch is an error at the end.
struct Crc<R> {
    inner: R,
    crc: crc32fast::Hasher,
}

impl<R: Read> Read for Crc<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}
