//! Checking a bag in Rust, as `kpiseal verify` does on a bag folder.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256, Sha512};

use super::{ALGORITHMS, decode_manifest_path};
use crate::check::Check;
use crate::{chunks, relpath};

/// A file's hashes by both algorithms, and its size.
struct Hashes {
    sha256: String,
    sha512: String,
    bytes: u64,
}

impl Hashes {
    fn of(&self, alg: &str) -> &str {
        if alg == "sha256" { &self.sha256 } else { &self.sha512 }
    }
}

/// Hashes computed so far (each file is read once), or why a file could not be read.
#[derive(Default)]
struct HashCache(BTreeMap<PathBuf, Result<Hashes, String>>);

impl HashCache {
    fn get(&mut self, path: &Path) -> &Result<Hashes, String> {
        self.0.entry(path.to_path_buf()).or_insert_with(|| hash_both(path))
    }
}

fn hash_both(path: &Path) -> Result<Hashes, String> {
    let file = File::open(path).map_err(|e| describe_io(&e))?;
    let (mut sha256, mut sha512) = (Sha256::new(), Sha512::new());
    let bytes = chunks::for_each_chunk(file, |chunk| {
        sha256.update(chunk);
        sha512.update(chunk);
    })
    .map_err(|e| describe_io(&e))?;
    Ok(Hashes { sha256: hex::encode(sha256.finalize()), sha512: hex::encode(sha512.finalize()), bytes })
}

fn describe_io(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::NotFound { "missing".to_string() } else { format!("unreadable: {e}") }
}

/// Checks the bag at `dir` as kpiseal writes it, returning every check:
///
/// - `bagit.txt` declares BagIt-Version 1.0 and UTF-8;
/// - there is at least one payload manifest and one tag manifest, each
///   `sha256` or `sha512` (others are reported as not checkable);
/// - every payload file listed in each payload manifest exists under `data/`
///   with that hash (`payload sha256` / `payload sha512`), and every file
///   under `data/` is listed in each (completeness);
/// - bag-info.txt's Payload-Oxum equals the payload's total bytes and count;
/// - every file listed in each tag manifest has that hash (`tag sha256` / `tag sha512`).
///
/// A manifest line naming a path outside the bag, or a payload path outside
/// `data/`, fails. Links and other special files under `data/` fail.
pub fn validate_bag(dir: &Path) -> Vec<Check> {
    let mut checks = vec![check_bagit_txt(dir)];
    let mut cache = HashCache::default();
    let payload = match payload_files(dir) {
        Ok((files, odd)) => {
            checks.extend(odd);
            files
        }
        Err(problem) => {
            checks.push(Check::fail("bag payload", "data/", "a folder of payload files", problem));
            BTreeMap::new()
        }
    };
    let (manifests, tag_manifests) = list_manifests(dir, &mut checks);
    if manifests.is_empty() {
        checks.push(Check::fail("bag manifest", "manifest-<alg>.txt", "a payload manifest", "none"));
    }
    if tag_manifests.is_empty() {
        checks.push(Check::fail("bag manifest", "tagmanifest-<alg>.txt", "a tag manifest", "none"));
    }
    for alg in &manifests {
        check_payload_manifest(dir, alg, &payload, &mut cache, &mut checks);
    }
    checks.push(check_oxum(dir, &payload, &mut cache));
    for alg in &tag_manifests {
        check_tag_manifest(dir, alg, &mut cache, &mut checks);
    }
    checks
}

fn check_bagit_txt(dir: &Path) -> Check {
    let expected = "BagIt-Version: 1.0, Tag-File-Character-Encoding: UTF-8";
    let text = match fs::read_to_string(dir.join("bagit.txt")) {
        Ok(text) => text,
        Err(e) => return Check::fail("bagit.txt", "bagit.txt", expected, describe_io(&e)),
    };
    let value = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::trim).unwrap_or("(absent)");
    let (version, encoding) = (value("BagIt-Version:"), value("Tag-File-Character-Encoding:"));
    let actual = format!("BagIt-Version: {version}, Tag-File-Character-Encoding: {encoding}");
    if version == "1.0" && encoding.eq_ignore_ascii_case("UTF-8") {
        Check::pass("bagit.txt", "bagit.txt", expected)
    } else {
        Check::fail("bagit.txt", "bagit.txt", expected, actual)
    }
}

/// Every plain file under `data/` by its bag path (`data/…`), plus a failed
/// check for each link or special file found there.
type Payload = BTreeMap<String, PathBuf>;

fn payload_files(dir: &Path) -> Result<(Payload, Vec<Check>), String> {
    let mut files = BTreeMap::new();
    let mut odd = Vec::new();
    let mut pending = vec![(dir.join("data"), "data".to_string())];
    while let Some((folder, prefix)) = pending.pop() {
        let listing = fs::read_dir(&folder).map_err(|e| describe_io(&e))?;
        for entry in listing {
            let entry = entry.map_err(|e| describe_io(&e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let bag_path = format!("{prefix}/{name}");
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push((entry.path(), bag_path)),
                Ok(kind) if kind.is_file() => {
                    files.insert(bag_path, entry.path());
                }
                _ => odd.push(Check::fail("bag payload", bag_path, "a plain file", "a link or special file")),
            }
        }
    }
    Ok((files, odd))
}

/// The algorithms of the payload and tag manifests present, sorted; a
/// failed check for each manifest of an algorithm kpiseal does not check.
fn list_manifests(dir: &Path, checks: &mut Vec<Check>) -> (Vec<String>, Vec<String>) {
    let (mut payload, mut tag) = (Vec::new(), Vec::new());
    let Ok(listing) = fs::read_dir(dir) else {
        return (payload, tag);
    };
    for entry in listing.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let (list, alg) = if let Some(alg) = name.strip_prefix("tagmanifest-").and_then(|r| r.strip_suffix(".txt")) {
            (&mut tag, alg)
        } else if let Some(alg) = name.strip_prefix("manifest-").and_then(|r| r.strip_suffix(".txt")) {
            (&mut payload, alg)
        } else {
            continue;
        };
        if ALGORITHMS.contains(&alg) {
            list.push(alg.to_string());
        } else {
            checks.push(Check::fail("bag manifest", name.as_str(), "sha256 or sha512", format!("{alg} (not checked)")));
        }
    }
    payload.sort();
    tag.sort();
    (payload, tag)
}

/// The entries of a manifest file: (line number, bag path, lowercase hex), or
/// a failed check for each line that is not `<hex> <path>`.
fn read_manifest(dir: &Path, file: &str, checks: &mut Vec<Check>) -> Vec<(usize, String, String)> {
    let text = match fs::read_to_string(dir.join(file)) {
        Ok(text) => text,
        Err(e) => {
            checks.push(Check::fail("bag manifest", file, "a readable UTF-8 manifest", describe_io(&e)));
            return Vec::new();
        }
    };
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match line.split_once([' ', '\t']) {
            Some((hash, path)) if !path.trim().is_empty() => {
                entries.push((i + 1, decode_manifest_path(path.trim_start()), hash.to_ascii_lowercase()));
            }
            _ => checks.push(Check::fail("bag manifest", format!("{file}:{}", i + 1), "<checksum> <path>", line)),
        }
    }
    entries
}

fn check_payload_manifest(dir: &Path, alg: &str, payload: &Payload, cache: &mut HashCache, checks: &mut Vec<Check>) {
    let file = format!("manifest-{alg}.txt");
    let name = format!("payload {alg}");
    let mut listed = BTreeSet::new();
    for (line, path, hash) in read_manifest(dir, &file, checks) {
        let expected = format!("{alg} {hash}");
        if let Some(problem) = relpath::problem(&path).or((!path.starts_with("data/")).then_some("not under data/")) {
            checks.push(Check::fail(&name, &path, expected, format!("not checked ({file}:{line}): {problem}")));
            continue;
        }
        listed.insert(path.clone());
        checks.push(compare_hash(&name, &path, alg, expected, cache.get(&relpath::join(dir, &path))));
    }
    for path in payload.keys().filter(|p| !listed.contains(*p)) {
        checks.push(Check::fail(&name, path.as_str(), format!("listed in {file}"), "not listed"));
    }
}

fn compare_hash(name: &str, path: &str, alg: &str, expected: String, found: &Result<Hashes, String>) -> Check {
    match found {
        Ok(hashes) => Check::compare(name, path, expected, format!("{alg} {}", hashes.of(alg))),
        Err(problem) => Check::fail(name, path, expected, problem.as_str()),
    }
}

fn check_oxum(dir: &Path, payload: &Payload, cache: &mut HashCache) -> Check {
    let declared = fs::read_to_string(dir.join("bag-info.txt"))
        .map(|text| text.lines().find_map(|l| l.strip_prefix("Payload-Oxum:")).map(|v| v.trim().to_string()));
    let mut bytes = 0u64;
    for path in payload.values() {
        match cache.get(path) {
            Ok(h) => bytes += h.bytes,
            Err(problem) => return Check::fail("Payload-Oxum", "bag-info.txt", "readable payload", problem.as_str()),
        }
    }
    let actual = format!("{bytes}.{}", payload.len());
    match declared {
        Ok(Some(declared)) => Check::compare("Payload-Oxum", "bag-info.txt", declared, actual),
        Ok(None) => Check::fail("Payload-Oxum", "bag-info.txt", "a Payload-Oxum line", "none"),
        Err(e) => Check::fail("Payload-Oxum", "bag-info.txt", "a Payload-Oxum line", describe_io(&e)),
    }
}

fn check_tag_manifest(dir: &Path, alg: &str, cache: &mut HashCache, checks: &mut Vec<Check>) {
    let file = format!("tagmanifest-{alg}.txt");
    let name = format!("tag {alg}");
    for (line, path, hash) in read_manifest(dir, &file, checks) {
        let expected = format!("{alg} {hash}");
        match relpath::problem(&path) {
            Some(problem) => {
                checks.push(Check::fail(&name, &path, expected, format!("not checked ({file}:{line}): {problem}")))
            }
            None => checks.push(compare_hash(&name, &path, alg, expected, cache.get(&relpath::join(dir, &path)))),
        }
    }
}
