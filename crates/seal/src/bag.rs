//! The evidence bundle: a BagIt 1.0 bag (RFC 8493) per statement, and a
//! reproducible zip of it to attach to a dispute case.
//!
//! A bag written here is a folder
//!
//! ```text
//! <name>/bagit.txt                BagIt-Version: 1.0, UTF-8
//! <name>/bag-info.txt             Source-Organization, External-Identifier (statement number),
//!                                 Bagging-Date (the statement's issue date, never the clock),
//!                                 Payload-Oxum, Bag-Software-Agent
//! <name>/manifest-sha256.txt      one line per payload file: `<hex>  data/<path>`, sorted by path
//! <name>/manifest-sha512.txt
//! <name>/tagmanifest-sha256.txt   the four files above, sorted
//! <name>/tagmanifest-sha512.txt
//! <name>/data/…                   the payload
//! ```
//!
//! The same payload and [`BagInfo`] give byte-identical files; `bagit.py
//! --validate` accepts the bag, and [`validate_bag`] checks it in Rust.

mod validate;
mod write;
mod zipfile;

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256, Sha512};
use thiserror::Error;

pub use validate::validate_bag;
pub use write::{BagSummary, write_bag};
pub(crate) use zipfile::{COMPRESS_CHUNK, deflate_level};
pub use zipfile::{write_zip, zip_bag};

/// The hash algorithms of every bag written here, with their manifest names.
const ALGORITHMS: [&str; 2] = ["sha256", "sha512"];

/// What `bag-info.txt` says besides Payload-Oxum (which is computed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagInfo {
    /// `Source-Organization`: the provider's legal name.
    pub source_organization: String,
    /// `External-Identifier`: the statement number.
    pub external_identifier: String,
    /// `Bagging-Date`, `YYYY-MM-DD`: the statement's issue date, so a re-run
    /// gives the same bag. The zip's timestamps are this date at 00:00.
    pub bagging_date: String,
    /// `Bag-Software-Agent`, e.g. `kpiseal 0.1.0`.
    pub software_agent: String,
}

/// Whether writing a bag or zip waits for the disk.
///
/// `Fsync` (the safe choice) fsyncs every file and folder before the rename,
/// so a bag that is visible after a crash is complete. It costs one disk
/// flush per file: about 70 ms for a 13-file bag on the development VM,
/// against about 1.5 ms unsynced. `NoFsync` is for callers that make the
/// result durable themselves (e.g. one `syncfs` after a whole batch) or can
/// redo it: bags are deterministic, so a re-run writes the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Fsync,
    NoFsync,
}

/// Where a payload file's bytes come from.
#[derive(Debug, Clone, Copy)]
pub enum PayloadSource<'a> {
    Bytes(&'a [u8]),
    /// Copied from this file (streamed, never read whole).
    File(&'a Path),
    /// These bytes, which the caller has written to the file at the path:
    /// the payload file is made a hard link to that file (one copy on
    /// disk, none written), or written from the bytes where the filesystem
    /// refuses a hard link. The manifests list the bytes' hashes; a file at
    /// the path of another size is refused ([`BagError::LinkedDiffers`]).
    Linked(&'a [u8], &'a Path),
}

/// One payload file: its name under `data/` (relative, `/`-separated) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct PayloadFile<'a> {
    pub name: &'a str,
    pub source: PayloadSource<'a>,
}

impl<'a> PayloadFile<'a> {
    pub fn bytes(name: &'a str, data: &'a [u8]) -> Self {
        PayloadFile { name, source: PayloadSource::Bytes(data) }
    }

    pub fn file(name: &'a str, path: &'a Path) -> Self {
        PayloadFile { name, source: PayloadSource::File(path) }
    }

    /// A payload file that is the file at `path`, which holds `data`
    /// (see [`PayloadSource::Linked`]).
    pub fn linked(name: &'a str, data: &'a [u8], path: &'a Path) -> Self {
        PayloadFile { name, source: PayloadSource::Linked(data, path) }
    }
}

#[derive(Debug, Error)]
pub enum BagError {
    #[error("{path}: {action}: {source}")]
    Io { path: PathBuf, action: &'static str, source: io::Error },
    #[error("{path}: already exists; a bag is written only into a new folder")]
    Exists { path: PathBuf },
    #[error("{path}: expected a folder path with a parent and a name")]
    BadTarget { path: PathBuf },
    #[error("payload file name {name:?}: {problem}")]
    BadName { name: String, problem: String },
    #[error("bag-info field {field} = {value:?}: {problem}")]
    BadInfo { field: &'static str, value: String, problem: &'static str },
    #[error("{path}: not a bag written by kpiseal: {problem}")]
    NotABag { path: PathBuf, problem: String },
    #[error("{path}: holds {found} bytes, not the {expected} the bag was to list for it")]
    LinkedDiffers { path: PathBuf, expected: u64, found: u64 },
    #[error("{path}: cannot write the zip: {source}")]
    Zip { path: PathBuf, source: ::zip::result::ZipError },
}

/// One payload file's name under `data/` and its hashes, as the tag files list it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PayloadDigest<'a> {
    pub name: &'a str,
    pub sha256: &'a str,
    pub sha512: &'a str,
    pub bytes: u64,
}

const BAGIT_TXT: &[u8] = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/// `<total payload bytes>.<payload file count>`.
pub(crate) fn payload_oxum(payload: &[PayloadDigest<'_>]) -> String {
    let total: u64 = payload.iter().map(|p| p.bytes).sum();
    format!("{total}.{}", payload.len())
}

/// Every tag file of the bag holding `payload` (sorted by name) with
/// `info`, by name, exactly as [`write_bag`] writes them: `bag-info.txt`,
/// `bagit.txt`, the two payload manifests, then the two tag manifests. The
/// writer and `verify` both use this, so a bag verifies only if its tag
/// files are byte for byte what its payload and signed manifest imply.
pub(crate) fn tag_files(payload: &[PayloadDigest<'_>], info: &BagInfo) -> Vec<(String, Vec<u8>)> {
    let bag_info = format!(
        "Source-Organization: {}\nExternal-Identifier: {}\nBagging-Date: {}\nPayload-Oxum: {}\nBag-Software-Agent: {}\n",
        info.source_organization,
        info.external_identifier,
        info.bagging_date,
        payload_oxum(payload),
        info.software_agent
    );
    let manifest = |pick: for<'p> fn(&PayloadDigest<'p>) -> &'p str| {
        payload.iter().map(|p| format!("{}  data/{}\n", pick(p), encode_manifest_path(p.name))).collect::<String>()
    };
    let payload_manifests = [manifest(|p| p.sha256), manifest(|p| p.sha512)];
    let mut tags: Vec<(String, Vec<u8>)> =
        vec![("bag-info.txt".to_string(), bag_info.into_bytes()), ("bagit.txt".to_string(), BAGIT_TXT.to_vec())];
    for (alg, text) in ALGORITHMS.iter().zip(payload_manifests) {
        tags.push((format!("manifest-{alg}.txt"), text.into_bytes()));
    }
    tags.sort();
    let sha256: String = tags.iter().map(|(n, b)| format!("{}  {n}\n", hex::encode(Sha256::digest(b)))).collect();
    let sha512: String = tags.iter().map(|(n, b)| format!("{}  {n}\n", hex::encode(Sha512::digest(b)))).collect();
    tags.push(("tagmanifest-sha256.txt".to_string(), sha256.into_bytes()));
    tags.push(("tagmanifest-sha512.txt".to_string(), sha512.into_bytes()));
    tags
}

fn io_error<'p>(path: &'p Path, action: &'static str) -> impl FnOnce(io::Error) -> BagError + 'p {
    move |source| BagError::Io { path: path.to_path_buf(), action, source }
}

/// A path as written in a BagIt manifest: `%` → `%25` (RFC 8493 §2.1.3; CR
/// and LF, the other characters it encodes, are refused in names).
fn encode_manifest_path(path: &str) -> String {
    path.replace('%', "%25")
}

/// The inverse of [`encode_manifest_path`], also decoding `%0A` and `%0D`.
fn decode_manifest_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3).map(str::to_ascii_uppercase);
        match code.as_deref() {
            Some("25") => out.push('%'),
            Some("0A") => out.push('\n'),
            Some("0D") => out.push('\r'),
            _ => {
                out.push('%');
                rest = &rest[at + 1..];
                continue;
            }
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    out
}

/// True when `date` is `YYYY-MM-DD` with a month 01–12 and a day 01–31.
fn is_iso_date(date: &str) -> bool {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return false;
    }
    let month = (b[5] - b'0') * 10 + (b[6] - b'0');
    let day = (b[8] - b'0') * 10 + (b[9] - b'0');
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_round_trip_percent_and_line_breaks() {
        assert_eq!(encode_manifest_path("data/100%.txt"), "data/100%25.txt");
        assert_eq!(decode_manifest_path("data/100%25.txt"), "data/100%.txt");
        assert_eq!(decode_manifest_path("a%0ab%0Dc%zz%"), "a\nb\rc%zz%");
    }

    #[test]
    fn iso_dates_are_checked_for_shape_and_range() {
        assert!(is_iso_date("2026-11-01"));
        for bad in ["2026-13-01", "2026-11-00", "2026-1-01", "20261101", "2026-11-01T00", "２０２６-11-01"] {
            assert!(!is_iso_date(bad), "{bad}");
        }
    }
}
