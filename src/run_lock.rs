//! One writer per period folder at a time.
//!
//! Two runs of one period on one output folder would race: both would take
//! the same statements for first issues, both would append them to the
//! register, and each would sweep the other's temporary folders. So `run`
//! holds an advisory lock (`flock`) for as long as it writes, on hidden
//! files in the output folder:
//!
//! - `.kpiseal-<period>.lock`: exclusive for an unsharded run, shared by
//!   the shards of a sharded one (they write disjoint sellers);
//! - `.kpiseal-<period>-shard-<i>-of-<n>.lock`: exclusive per shard, so one
//!   shard cannot run twice at once.
//!
//! Drafts use the same names under `drafts-`. A second run is refused at
//! once, naming the lock; it never waits. The operating system drops a lock
//! when its process ends, killed or not, so no lock outlives a crash.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::shard::ShardSpec;

/// The locks of a running batch; released when dropped.
#[derive(Debug)]
pub struct RunLock {
    _files: Vec<File>,
}

/// Takes the locks for writing `period` (drafts or finals, one shard or
/// all) into `out`.
///
/// # Errors
/// [`Error::Config`] naming the lock file when another run holds it;
/// [`Error::Io`] when the output folder or a lock file cannot be made.
pub fn acquire(out: &Path, period: &str, draft: bool, shard: Option<ShardSpec>) -> Result<RunLock, Error> {
    fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let kind = if draft { "drafts-" } else { "" };
    let period_lock = out.join(format!(".kpiseal-{kind}{period}.lock"));
    let mut files = vec![lock(&period_lock, shard.is_some(), period, shard)?];
    if let Some(spec) = shard {
        let shard_lock = out.join(format!(".kpiseal-{kind}{period}-shard-{}-of-{}.lock", spec.index(), spec.count()));
        files.push(lock(&shard_lock, false, period, shard)?);
    }
    Ok(RunLock { _files: files })
}

fn lock(path: &PathBuf, shared: bool, period: &str, shard: Option<ShardSpec>) -> Result<File, Error> {
    let file =
        OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(|e| Error::io(path, e))?;
    let taken = if shared { file.try_lock_shared() } else { file.try_lock() };
    match taken {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => {
            let what = shard.map_or_else(|| "all sellers".to_string(), |s| format!("shard {s}"));
            Err(Error::config(
                path.display().to_string(),
                "(lock)",
                format!(
                    "another kpiseal run is writing period {period} into this output folder; this run ({what}) \
                     was refused before writing anything. Wait for the other run to end (its lock goes with its \
                     process, even if it is killed), then run again"
                ),
            ))
        }
        Err(TryLockError::Error(e)) => Err(Error::io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_of_a_period_is_refused_while_the_first_holds_its_lock() {
        let out = tempfile::tempdir().unwrap();
        let first = acquire(out.path(), "2026-10", false, None).unwrap();
        let err = acquire(out.path(), "2026-10", false, None).unwrap_err().to_string();
        assert!(err.contains(".kpiseal-2026-10.lock") && err.contains("another kpiseal run"), "{err}");
        assert!(acquire(out.path(), "2026-11", false, None).is_ok(), "another period is another lock");
        assert!(acquire(out.path(), "2026-10", true, None).is_ok(), "drafts are another lock");
        drop(first);
        assert!(acquire(out.path(), "2026-10", false, None).is_ok(), "released with the first run");
    }

    #[test]
    fn shards_run_together_but_not_twice_and_never_beside_an_unsharded_run() {
        let out = tempfile::tempdir().unwrap();
        let spec = |i| ShardSpec::new(i, 3).unwrap();
        let zero = acquire(out.path(), "2026-10", false, Some(spec(0))).unwrap();
        let one = acquire(out.path(), "2026-10", false, Some(spec(1))).unwrap();
        assert!(acquire(out.path(), "2026-10", false, Some(spec(0))).is_err(), "shard 0 twice");
        assert!(acquire(out.path(), "2026-10", false, None).is_err(), "unsharded beside shards");
        drop((zero, one));
        let all = acquire(out.path(), "2026-10", false, None).unwrap();
        assert!(acquire(out.path(), "2026-10", false, Some(spec(2))).is_err(), "a shard beside an unsharded run");
        drop(all);
    }
}
