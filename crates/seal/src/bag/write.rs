//! Writing a bag: into a temporary folder beside the target, fsynced, then renamed into place.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256, Sha512};

use super::{
    BagError, BagInfo, Durability, PayloadDigest, PayloadFile, PayloadSource, io_error, is_iso_date, payload_oxum,
    tag_files,
};
use crate::{chunks, relpath};

/// What a written bag holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagSummary {
    /// `<total payload bytes>.<payload file count>`, as in bag-info.txt.
    pub payload_oxum: String,
    /// Payload names under `data/`, sorted.
    pub files: Vec<String>,
}

/// One payload file as written: its name and hashes.
struct Written {
    name: String,
    sha256: String,
    sha512: String,
    bytes: u64,
}

/// Writes a BagIt 1.0 bag at `dir` (which must not exist yet) holding
/// `files` under `data/`, with bag-info.txt from `info`.
///
/// Payload names are relative `/`-separated paths (no `..`, no control
/// characters) and must be unique. Files are written and listed in sorted
/// order, so the same payload and `info` give byte-identical tag files. The
/// bag is built in `.<name>.tmp-<pid>` beside `dir`, fsynced (with
/// [`Durability::Fsync`]) and renamed into place: `dir` appears complete or
/// not at all. Nothing reads the clock.
pub fn write_bag(
    dir: &Path,
    files: &[PayloadFile<'_>],
    info: &BagInfo,
    durability: Durability,
) -> Result<BagSummary, BagError> {
    check_info(info)?;
    let mut sorted: Vec<&PayloadFile<'_>> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(b.name));
    check_names(&sorted)?;
    let (parent, name) = match (dir.parent(), dir.file_name()) {
        (Some(parent), Some(name)) => (if parent.as_os_str().is_empty() { Path::new(".") } else { parent }, name),
        _ => return Err(BagError::BadTarget { path: dir.to_path_buf() }),
    };
    if dir.symlink_metadata().is_ok() {
        return Err(BagError::Exists { path: dir.to_path_buf() });
    }
    let tmp = parent.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    if tmp.symlink_metadata().is_ok() {
        fs::remove_dir_all(&tmp).map_err(io_error(&tmp, "remove a leftover temporary bag"))?;
    }
    let result = fill(&tmp, &sorted, info, durability).and_then(|summary| {
        fs::rename(&tmp, dir).map_err(io_error(dir, "rename the finished bag into place"))?;
        if durability == Durability::Fsync {
            sync_dir(parent)?;
        }
        Ok(summary)
    });
    if result.is_err() {
        // Best effort: the error being returned says what went wrong.
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn check_info(info: &BagInfo) -> Result<(), BagError> {
    let fields = [
        ("Source-Organization", &info.source_organization),
        ("External-Identifier", &info.external_identifier),
        ("Bagging-Date", &info.bagging_date),
        ("Bag-Software-Agent", &info.software_agent),
    ];
    for (field, value) in fields {
        let problem = if value.trim().is_empty() {
            Some("expected a non-empty value")
        } else if value.chars().any(char::is_control) {
            Some("expected a single line without control characters")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(BagError::BadInfo { field, value: value.clone(), problem });
        }
    }
    if !is_iso_date(&info.bagging_date) {
        let value = info.bagging_date.clone();
        return Err(BagError::BadInfo { field: "Bagging-Date", value, problem: "expected YYYY-MM-DD" });
    }
    Ok(())
}

fn check_names(sorted: &[&PayloadFile<'_>]) -> Result<(), BagError> {
    let names: BTreeSet<&str> = sorted.iter().map(|f| f.name).collect();
    for (i, file) in sorted.iter().enumerate() {
        let bad = |problem: &str| BagError::BadName { name: file.name.to_string(), problem: problem.to_string() };
        if let Some(problem) = relpath::problem(file.name) {
            return Err(bad(problem));
        }
        if i > 0 && sorted[i - 1].name == file.name {
            return Err(bad("given twice"));
        }
        // "a" and "a/b" cannot both be files.
        if file.name.match_indices('/').any(|(at, _)| names.contains(&file.name[..at])) {
            return Err(bad("lies inside a folder that is also given as a file"));
        }
    }
    Ok(())
}

/// Writes the whole bag into `tmp`: payload, then tag files, then (with
/// [`Durability::Fsync`]) fsyncs every file and folder.
fn fill(
    tmp: &Path,
    sorted: &[&PayloadFile<'_>],
    info: &BagInfo,
    durability: Durability,
) -> Result<BagSummary, BagError> {
    let data = tmp.join("data");
    fs::create_dir_all(&data).map_err(io_error(&data, "create folder"))?;
    let mut folders: BTreeSet<PathBuf> = [tmp.to_path_buf(), data.clone()].into();
    let mut written = Vec::with_capacity(sorted.len());
    // Every file written, still open, to be fsynced once all are written.
    let mut open_files: Vec<(File, PathBuf)> = Vec::with_capacity(sorted.len() + 6);
    for file in sorted {
        let target = relpath::join(&data, file.name);
        if let Some(folder) = target.parent().filter(|f| !folders.contains(*f)) {
            fs::create_dir_all(folder).map_err(io_error(folder, "create folder"))?;
            folders.extend(folder.ancestors().take_while(|a| a.starts_with(&data)).map(Path::to_path_buf));
        }
        let (out, hashes) = write_payload(&target, file)?;
        open_files.push((out, target));
        written.push(hashes);
    }
    let digests: Vec<PayloadDigest<'_>> = written
        .iter()
        .map(|w| PayloadDigest { name: &w.name, sha256: &w.sha256, sha512: &w.sha512, bytes: w.bytes })
        .collect();
    let payload_oxum = payload_oxum(&digests);
    let tags = tag_files(&digests, info);
    for (name, contents) in &tags {
        open_files.push(write_tag(tmp, name, contents)?);
    }
    if durability == Durability::NoFsync {
        return Ok(BagSummary { payload_oxum, files: written.into_iter().map(|w| w.name).collect() });
    }
    for (file, path) in &open_files {
        file.sync_all().map_err(io_error(path, "fsync file"))?;
    }
    // Deepest folders first, the bag's own folder last.
    let mut folders: Vec<PathBuf> = folders.into_iter().collect();
    folders.sort_by_key(|f| std::cmp::Reverse(f.components().count()));
    for folder in &folders {
        sync_dir(folder)?;
    }
    Ok(BagSummary { payload_oxum, files: written.into_iter().map(|w| w.name).collect() })
}

/// Writes one payload file, hashing it with both algorithms as it goes;
/// returns it still open, and its hashes.
fn write_payload(target: &Path, file: &PayloadFile<'_>) -> Result<(File, Written), BagError> {
    if let PayloadSource::Linked(data, source) = file.source
        && let Some(linked) = link_payload(target, file.name, data, source)?
    {
        return Ok(linked);
    }
    let mut out = File::create(target).map_err(io_error(target, "create file"))?;
    let (mut sha256, mut sha512) = (Sha256::new(), Sha512::new());
    let mut bytes = 0u64;
    let mut consume = |chunk: &[u8]| -> Result<(), BagError> {
        sha256.update(chunk);
        sha512.update(chunk);
        bytes += chunk.len() as u64;
        out.write_all(chunk).map_err(io_error(target, "write file"))
    };
    match file.source {
        PayloadSource::Bytes(data) | PayloadSource::Linked(data, _) => consume(data)?,
        PayloadSource::File(source) => {
            let mut input = File::open(source).map_err(io_error(source, "open payload source"))?;
            let mut buf = vec![0u8; chunks::CHUNK];
            loop {
                match input.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => consume(&buf[..n])?,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(io_error(source, "read payload source")(e)),
                }
            }
        }
    }
    let hashes = Written {
        name: file.name.to_string(),
        sha256: hex::encode(sha256.finalize()),
        sha512: hex::encode(sha512.finalize()),
        bytes,
    };
    Ok((out, hashes))
}

/// Makes `target` (the payload file `name`) a hard link to `source`,
/// which the caller wrote `data` to, and returns it open with the hashes
/// of `data`; `None` when the filesystem refuses the link (nothing made:
/// the caller writes a copy).
///
/// # Errors
/// [`BagError::LinkedDiffers`] when `source` is not `data`'s size (the
/// link is removed); [`BagError::Io`] when the link cannot be opened.
fn link_payload(target: &Path, name: &str, data: &[u8], source: &Path) -> Result<Option<(File, Written)>, BagError> {
    if fs::hard_link(source, target).is_err() {
        return Ok(None);
    }
    let out = File::open(target).map_err(io_error(target, "open file"))?;
    let found = out.metadata().map_err(io_error(target, "read the size of"))?.len();
    let expected = data.len() as u64;
    if found != expected {
        drop(out);
        let _ = fs::remove_file(target);
        return Err(BagError::LinkedDiffers { path: source.to_path_buf(), expected, found });
    }
    let hashes = Written {
        name: name.to_string(),
        sha256: hex::encode(Sha256::digest(data)),
        sha512: hex::encode(Sha512::digest(data)),
        bytes: expected,
    };
    Ok(Some((out, hashes)))
}

/// Writes one tag file and returns it open, with its path, for the final fsync.
fn write_tag(dir: &Path, name: &str, contents: &[u8]) -> Result<(File, PathBuf), BagError> {
    let path: PathBuf = dir.join(name);
    let mut file = File::create(&path).map_err(io_error(&path, "create file"))?;
    file.write_all(contents).map_err(io_error(&path, "write file"))?;
    Ok((file, path))
}

fn sync_dir(dir: &Path) -> Result<(), BagError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error(dir, "fsync folder"))
}
