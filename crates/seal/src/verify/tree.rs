//! The files of a delivered statement, each read exactly once.
//!
//! Every check `verify` makes works on a [`Tree`]: the paths found in a
//! folder or a zip, each file's size, and for the files a check needs, its
//! SHA-256 and SHA-512 and (for files that are parsed) its bytes, all from
//! one read. What is hashed is what is parsed is what is reported, even if
//! the file changes on disk meanwhile.
//!
//! Reading a folder never follows a link and never opens anything but a
//! regular file (no FIFO, device or socket can block it); files nobody
//! asked for are listed by name and size, not read; [`super::limits`]
//! bound sizes, counts and depth. Whatever is refused becomes a failed
//! check naming the path, not an error: the rest is still checked.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256, Sha512};

use super::limits::{MAX_DEPTH, MAX_ENTRIES, MAX_HASHED_FILE, MAX_PARSED_FILE};
use crate::check::Check;

/// What a check needs of one path, as a [`Plan`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// A file to parse: hashed and kept in memory (at most [`MAX_PARSED_FILE`]).
    Keep,
    /// A file to compare by hash only (at most [`MAX_HASHED_FILE`]).
    Hash,
    /// A folder to read into.
    Descend,
    /// Something nobody asked for: listed by name (and size), never read.
    List,
}

/// Says, for a path relative to the root (`/`-separated; folders without a
/// trailing `/`) and whether it is a folder, what to do with it.
pub(crate) type Plan<'a> = &'a dyn Fn(&str, bool) -> Want;

/// A file's identity: its hashes, and its bytes when it was kept.
#[derive(Debug, Clone)]
pub(crate) struct Contents {
    pub sha256: String,
    pub sha512: String,
    pub data: Option<Vec<u8>>,
}

/// One file found.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub bytes: u64,
    /// `None` for a file only listed.
    pub contents: Option<Contents>,
}

/// What was found under one root.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub files: BTreeMap<String, Node>,
    /// Every folder found, read or only listed.
    pub folders: BTreeSet<String>,
    /// Paths that could not be read as asked (links, special files, over a
    /// limit, unreadable): one failed check each.
    pub problems: Vec<Check>,
}

impl Tree {
    /// The bytes of the kept file at `path`.
    pub fn data(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path)?.contents.as_ref()?.data.as_deref()
    }

    /// Moves everything under `prefix/` into a tree of its own, with paths
    /// relative to `prefix`.
    pub fn split_off(&mut self, prefix: &str) -> Tree {
        let under = format!("{prefix}/");
        let mut sub = Tree::default();
        let files = std::mem::take(&mut self.files);
        for (path, node) in files {
            match path.strip_prefix(&under) {
                Some(rest) => {
                    sub.files.insert(rest.to_string(), node);
                }
                None => {
                    self.files.insert(path, node);
                }
            }
        }
        let folders = std::mem::take(&mut self.folders);
        for folder in folders {
            match folder.strip_prefix(&under) {
                Some(rest) => {
                    sub.folders.insert(rest.to_string());
                }
                None if folder == prefix => {}
                None => {
                    self.folders.insert(folder);
                }
            }
        }
        let problems = std::mem::take(&mut self.problems);
        for problem in problems {
            match problem.path.strip_prefix(&under) {
                Some(rest) => sub.problems.push(Check { path: rest.to_string(), ..problem }),
                None => self.problems.push(problem),
            }
        }
        sub
    }

    /// The top-level names (files and folders) of the tree.
    pub fn top_level(&self) -> BTreeSet<String> {
        let top = |p: &String| p.split('/').next().unwrap_or_default().to_string();
        self.files.keys().map(top).chain(self.folders.iter().map(top)).collect()
    }
}

/// Opens `path` for reading only if it is a regular file, without following
/// a link (`O_NOFOLLOW`) and without blocking on a FIFO (`O_NONBLOCK`);
/// returns the file and its size.
pub(crate) fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::other("a link (not followed)"));
    }
    let file = options.open(path).map_err(|e| {
        if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            io::Error::other("a link (not followed)")
        } else {
            e
        }
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok((file, meta.len()))
}

/// Hashes everything `reader` yields with SHA-256 and SHA-512, keeping the
/// bytes when `keep`; fails ([`io::ErrorKind::FileTooLarge`]) past `limit` bytes. Returns the contents and the size.
pub(crate) fn digest(mut reader: impl Read, keep: bool, limit: u64) -> io::Result<(Contents, u64)> {
    let (mut sha256, mut sha512) = (Sha256::new(), Sha512::new());
    let mut data = keep.then(Vec::new);
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if total > limit {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, format!("larger than {}", size(limit))));
        }
        sha256.update(&buf[..n]);
        sha512.update(&buf[..n]);
        if let Some(data) = &mut data {
            data.extend_from_slice(&buf[..n]);
        }
    }
    let contents = Contents { sha256: hex::encode(sha256.finalize()), sha512: hex::encode(sha512.finalize()), data };
    Ok((contents, total))
}

/// `64 MiB`, `4 GiB`: a limit as README states it.
pub(crate) fn size(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

/// Reads the folder `root` as `plan` says. Never fails: what cannot be read
/// is a problem in the tree.
pub(crate) fn read_folder(root: &Path, plan: Plan<'_>) -> Tree {
    let mut tree = Tree::default();
    let mut entries = 0usize;
    let mut pending = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = pending.pop() {
        let listing = match fs::read_dir(&dir) {
            Ok(listing) => listing,
            Err(e) => {
                let shown = if prefix.is_empty() { ".".to_string() } else { prefix.clone() };
                tree.problems.push(Check::fail("read", shown, "a readable folder", e.to_string()));
                continue;
            }
        };
        let mut names: Vec<(String, fs::DirEntry)> = Vec::new();
        for entry in listing.flatten() {
            entries += 1;
            if entries > MAX_ENTRIES {
                tree.problems.push(Check::fail(
                    "read",
                    if prefix.is_empty() { "." } else { prefix.as_str() },
                    format!("at most {MAX_ENTRIES} files and folders"),
                    "more: the rest was not read",
                ));
                return tree;
            }
            match entry.file_name().into_string() {
                Ok(name) => names.push((name, entry)),
                Err(raw) => tree.problems.push(Check::fail(
                    "read",
                    format!("{prefix}{}", raw.to_string_lossy()),
                    "a UTF-8 file name",
                    "a name that is not UTF-8",
                )),
            }
        }
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, entry) in names {
            let path = format!("{prefix}{name}");
            let Ok(meta) = fs::symlink_metadata(entry.path()) else {
                tree.problems.push(Check::fail("read", &path, "readable", "vanished while being read"));
                continue;
            };
            let kind = meta.file_type();
            if kind.is_symlink() {
                tree.problems.push(Check::fail("read", &path, "a regular file or folder", "a link (not followed)"));
            } else if kind.is_dir() {
                tree.folders.insert(path.clone());
                if plan(&path, true) == Want::Descend {
                    if depth + 1 >= MAX_DEPTH {
                        tree.problems.push(Check::fail(
                            "read",
                            &path,
                            format!("folders at most {MAX_DEPTH} deep"),
                            "deeper",
                        ));
                    } else {
                        pending.push((entry.path(), format!("{path}/"), depth + 1));
                    }
                }
            } else if !kind.is_file() {
                tree.problems.push(Check::fail(
                    "read",
                    &path,
                    "a regular file or folder",
                    "a special file (FIFO, socket or device): not read",
                ));
            } else {
                read_file(&mut tree, &entry.path(), path, meta.len(), plan);
            }
        }
    }
    tree
}

fn read_file(tree: &mut Tree, on_disk: &Path, path: String, listed_size: u64, plan: Plan<'_>) {
    let want = plan(&path, false);
    let limit = match want {
        Want::Keep => MAX_PARSED_FILE,
        Want::Hash => MAX_HASHED_FILE,
        Want::List | Want::Descend => {
            tree.files.insert(path, Node { bytes: listed_size, contents: None });
            return;
        }
    };
    if listed_size > limit {
        let limit = size(limit);
        tree.problems.push(Check::fail("read", &path, format!("at most {limit}"), format!("{listed_size} bytes")));
        return;
    }
    match open_regular(on_disk).and_then(|(file, _)| digest(file, want == Want::Keep, limit)) {
        Ok((contents, bytes)) => {
            tree.files.insert(path, Node { bytes, contents: Some(contents) });
        }
        Err(e) => tree.problems.push(Check::fail("read", &path, "a readable regular file", e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keep_all(_: &str, dir: bool) -> Want {
        if dir { Want::Descend } else { Want::Keep }
    }

    #[test]
    fn a_folder_is_read_with_hashes_and_bytes_and_split_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("evidence/data")).unwrap();
        fs::write(dir.path().join("a.txt"), b"abc").unwrap();
        fs::write(dir.path().join("evidence/data/b.txt"), b"b").unwrap();
        let mut tree = read_folder(dir.path(), &keep_all);
        assert!(tree.problems.is_empty(), "{:?}", tree.problems);
        assert_eq!(tree.data("a.txt"), Some(&b"abc"[..]));
        assert_eq!(
            tree.files["a.txt"].contents.as_ref().unwrap().sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let bag = tree.split_off("evidence");
        assert_eq!(bag.data("data/b.txt"), Some(&b"b"[..]));
        assert!(bag.folders.contains("data"));
        assert_eq!(tree.top_level(), ["a.txt".to_string()].into());
    }

    #[cfg(unix)]
    #[test]
    fn links_and_fifos_are_problems_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("statement.pdf")).unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let tree = read_folder(dir.path(), &keep_all);
        let found: Vec<(&str, &str)> = tree.problems.iter().map(|c| (c.path.as_str(), c.actual.as_str())).collect();
        assert_eq!(
            found,
            [("fifo", "a special file (FIFO, socket or device): not read"), ("statement.pdf", "a link (not followed)")]
        );
        assert!(open_regular(&dir.path().join("statement.pdf")).unwrap_err().to_string().contains("link"));
        assert!(open_regular(&fifo).unwrap_err().to_string().contains("not a regular file"));
    }

    #[test]
    fn files_nobody_asked_for_are_listed_not_read() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("extra.pdf"), b"%PDF-").unwrap();
        let tree = read_folder(dir.path(), &|_, _| Want::List);
        assert_eq!(tree.files["extra.pdf"].bytes, 5);
        assert!(tree.files["extra.pdf"].contents.is_none());
    }

    #[test]
    fn reading_stops_past_the_limit() {
        let err = digest(&[0u8; 100][..], true, 10).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
    }
}
