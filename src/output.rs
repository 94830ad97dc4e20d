//! Writing a seller's outputs so that they appear all together or not at
//! all: everything is written into a temporary folder beside the final one,
//! fsynced once (every file and folder, concurrently), then the folder is
//! renamed into place.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Error;

/// Writes `files` (name, bytes) as the folder `dir`, replacing any previous
/// one only once every new file is durably written. A crash leaves either the
/// old folder or the new one, plus at most a hidden temporary folder.
///
/// # Errors
/// [`Error::Io`] naming the path that failed; `dir` is then untouched.
pub fn write_folder_atomically(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), Error> {
    write_tree_atomically(dir, |tmp| {
        for (file, bytes) in files {
            let path = tmp.join(file);
            let mut f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            f.write_all(bytes).map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    })
}

/// Makes the folder `dir` from what `fill` writes into the empty temporary
/// folder it is given (files and sub-folders, e.g. a BagIt bag, written
/// without fsync), then fsyncs every file and folder under it once (many at
/// a time), renames it to `dir` (replacing any previous `dir` only then)
/// and fsyncs the parent. A crash leaves either the old folder or the complete new one,
/// plus at most a hidden temporary folder. Returns what `fill` returned.
///
/// # Errors
/// `fill`'s error (of any type an [`Error`] converts into), or [`Error::Io`]
/// naming the path that failed; `dir` is then untouched and the temporary
/// folder removed.
pub fn write_tree_atomically<T, E: From<Error>>(dir: &Path, fill: impl FnOnce(&Path) -> Result<T, E>) -> Result<T, E> {
    replace_tree(dir, None, fill)
}

/// As [`write_tree_atomically`], but a previous `dir` is kept: it is moved
/// to `archive` (its parent created) after the new folder is durable and
/// just before the new one is renamed into place. A crash leaves the old
/// folder in place or in `archive`, and the new folder complete or absent.
///
/// # Errors
/// As [`write_tree_atomically`]; also when `archive` already exists.
pub fn write_tree_archiving_previous<T, E: From<Error>>(
    dir: &Path,
    archive: &Path,
    fill: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    replace_tree(dir, Some(archive), fill)
}

fn replace_tree<T, E: From<Error>>(
    dir: &Path,
    archive: Option<&Path>,
    fill: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let result = (|| {
        let value = fill(&tmp)?;
        sync_tree(&tmp)?;
        let old: Option<PathBuf> = match (dir.exists(), archive) {
            (false, _) => None,
            (true, Some(archive)) => {
                if archive.exists() {
                    return Err(Error::io(
                        archive,
                        std::io::Error::new(std::io::ErrorKind::AlreadyExists, "the archive folder already exists"),
                    )
                    .into());
                }
                let archive_parent = archive.parent().unwrap_or(Path::new("."));
                fs::create_dir_all(archive_parent).map_err(|e| Error::io(archive_parent, e))?;
                fs::rename(dir, archive).map_err(|e| Error::io(dir, e))?;
                sync_dir(archive_parent)?;
                None
            }
            (true, None) => {
                let old = parent.join(format!(".{name}.old-{}", std::process::id()));
                fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
                Some(old)
            }
        };
        fs::rename(&tmp, dir).map_err(|e| Error::io(dir, e))?;
        sync_dir(parent)?;
        if let Some(old) = old {
            fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        Ok(value)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

/// Removes from `parent` what a crashed [`write_tree_atomically`] or
/// [`write_file_atomically`] of any of `names` (entries of `parent`) may
/// have left: any process's `.<name>.tmp-<pid>` and `.<name>.old-<pid>`
/// folders or files. The entries themselves are untouched; `parent` is
/// listed once. Call only when no other process is writing those entries.
///
/// # Errors
/// [`Error::Io`] naming the folder that could not be listed or removed.
pub fn remove_stale_temporaries<S: AsRef<str>>(parent: &Path, names: &[S]) -> Result<(), Error> {
    let names: std::collections::BTreeSet<&str> = names.iter().map(AsRef::as_ref).collect();
    let entries = match fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(parent, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(parent, e))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(hidden) = file.strip_prefix('.') else { continue };
        let stale = [".tmp-", ".old-"].iter().any(|marker| {
            hidden.rsplit_once(marker).is_some_and(|(name, pid)| {
                names.contains(name) && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())
            })
        });
        if stale {
            let path = entry.path();
            let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            removed.map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

/// Fsyncs every file and folder under `dir`, and `dir` itself, returning
/// once all of them are durable.
///
/// The fsyncs are issued from several threads at once: each one alone
/// waits for its own journal commit, while concurrent ones are committed
/// together, so a statement folder (~27 entries) costs about one commit
/// instead of one per entry. Nothing is renamed until this returns, so the
/// folder still appears complete or not at all.
fn sync_tree(dir: &Path) -> Result<(), Error> {
    let mut entries = Vec::new();
    collect_tree(dir, &mut entries, &mut std::collections::HashSet::new())?;
    let next = AtomicUsize::new(0);
    let threads = entries.len().min(SYNC_THREADS);
    let sync_next = || -> Result<(), Error> {
        while let Some(path) = entries.get(next.fetch_add(1, Ordering::Relaxed)) {
            File::open(path).and_then(|f| f.sync_all()).map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(sync_next)).collect();
        let mut result = sync_next();
        for helper in helpers {
            let helped = helper.join().unwrap_or_else(|_| Err(Error::Internal("an fsync thread panicked".into())));
            result = result.and(helped);
        }
        result
    })
}

/// How many fsyncs [`sync_tree`] keeps in flight.
const SYNC_THREADS: usize = 8;

/// Every file and folder under `dir`, and `dir` itself; a file that is a
/// hard link to one listed already (its inode in `files`) only once: one
/// fsync makes every name of it durable.
fn collect_tree(dir: &Path, out: &mut Vec<PathBuf>, files: &mut std::collections::HashSet<u64>) -> Result<(), Error> {
    use std::os::unix::fs::DirEntryExt;
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if kind.is_dir() {
            collect_tree(&path, out, files)?;
        } else if kind.is_file() && files.insert(entry.ino()) {
            out.push(path);
        }
    }
    out.push(dir.to_path_buf());
    Ok(())
}

/// Writes one file atomically: temporary file in the same folder, fsync, rename.
///
/// # Errors
/// [`Error::Io`] naming the path that failed.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    sync_dir(parent)
}

fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_a_folder_leaves_only_the_new_files() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("2026-10").join("acme");
        write_folder_atomically(&dir, &[("a.json", b"1"), ("old.txt", b"x")]).unwrap();
        write_folder_atomically(&dir, &[("a.json", b"2")]).unwrap();
        assert_eq!(fs::read(dir.join("a.json")).unwrap(), b"2");
        assert!(!dir.join("old.txt").exists());
        let names: Vec<_> = fs::read_dir(dir.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("acme")]);
    }

    #[test]
    fn a_tree_appears_whole_and_a_failed_fill_leaves_the_old_folder_and_no_temporary() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("acme");
        write_tree_atomically(&dir, |tmp| {
            fs::create_dir_all(tmp.join("evidence/data")).unwrap();
            fs::write(tmp.join("evidence/data/a.txt"), b"a").unwrap();
            fs::write(tmp.join("top.txt"), b"t").unwrap();
            Ok::<(), Error>(())
        })
        .unwrap();
        assert_eq!(fs::read(dir.join("evidence/data/a.txt")).unwrap(), b"a");
        let failed: Result<(), Error> = write_tree_atomically(&dir, |tmp| {
            fs::write(tmp.join("half.txt"), b"h").unwrap();
            Err(Error::Internal("stop".into()))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(dir.join("top.txt")).unwrap(), b"t");
        assert!(!dir.join("half.txt").exists());
        let names: Vec<_> = fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("acme")]);
    }

    #[test]
    fn archiving_moves_the_previous_folder_aside_whole() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("2026-10").join("acme");
        let archive = root.path().join("superseded").join("2026-10").join("N-1");
        write_folder_atomically(&dir, &[("a.json", b"1")]).unwrap();
        write_tree_archiving_previous(&dir, &archive, |tmp| {
            fs::write(tmp.join("a.json"), b"2").unwrap();
            Ok::<(), Error>(())
        })
        .unwrap();
        assert_eq!(fs::read(dir.join("a.json")).unwrap(), b"2");
        assert_eq!(fs::read(archive.join("a.json")).unwrap(), b"1");
        let again = write_tree_archiving_previous(&dir, &archive, |tmp| {
            fs::write(tmp.join("a.json"), b"3").unwrap();
            Ok::<(), Error>(())
        });
        assert!(again.is_err(), "an existing archive is never overwritten");
        assert_eq!(fs::read(dir.join("a.json")).unwrap(), b"2");
    }

    #[test]
    fn every_file_and_folder_is_listed_for_fsync_and_a_hard_linked_file_once() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("tree");
        fs::create_dir_all(dir.join("bag/data")).unwrap();
        fs::write(dir.join("statement.pdf"), b"%PDF").unwrap();
        fs::write(dir.join("bag/bagit.txt"), b"BagIt").unwrap();
        fs::hard_link(dir.join("statement.pdf"), dir.join("bag/data/statement.pdf")).unwrap();
        let mut listed = Vec::new();
        collect_tree(&dir, &mut listed, &mut std::collections::HashSet::new()).unwrap();
        let mut names: Vec<String> =
            listed.iter().map(|p| p.strip_prefix(&dir).unwrap().display().to_string()).collect();
        names.sort();
        let pdf = names.iter().filter(|n| n.ends_with("statement.pdf")).count();
        names.retain(|n| !n.ends_with("statement.pdf"));
        assert_eq!(pdf, 1, "one name of the linked file");
        assert_eq!(names, ["", "bag", "bag/bagit.txt", "bag/data"]);
    }

    #[test]
    fn stale_temporaries_of_a_crashed_write_are_removed_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("acme");
        write_folder_atomically(&dir, &[("a.json", b"1")]).unwrap();
        for stale in [".acme.tmp-123", ".acme.old-9", ".acme-home.tmp-5", ".acme.tmp-x"] {
            fs::create_dir(root.path().join(stale)).unwrap();
        }
        fs::write(root.path().join(".acme.tmp-77"), b"half a summary").unwrap();
        remove_stale_temporaries(root.path(), &["acme"]).unwrap();
        let mut names: Vec<_> =
            fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, [".acme-home.tmp-5", ".acme.tmp-x", "acme"]);
    }
}
