//! Writing a seller's outputs so that they appear all together or not at
//! all: each file is written into a temporary folder beside the final one and
//! fsynced, then the folder is renamed into place.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Writes `files` (name, bytes) as the folder `dir`, replacing any previous
/// one only once every new file is durably written. A crash leaves either the
/// old folder or the new one, plus at most a hidden temporary folder.
///
/// # Errors
/// [`Error::Io`] naming the path that failed; `dir` is then untouched.
pub fn write_folder_atomically(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), Error> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let result = (|| {
        for (file, bytes) in files {
            let path = tmp.join(file);
            let mut f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            f.write_all(bytes).map_err(|e| Error::io(&path, e))?;
            f.sync_all().map_err(|e| Error::io(&path, e))?;
        }
        sync_dir(&tmp)?;
        let old: Option<PathBuf> = if dir.exists() {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
            Some(old)
        } else {
            None
        };
        fs::rename(&tmp, dir).map_err(|e| Error::io(dir, e))?;
        sync_dir(parent)?;
        if let Some(old) = old {
            fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
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
}
