//! The register of issued statements: `statements.log` in the output folder
//! (`<workspace>/out/statements.log` by default), one JSON object per line,
//! appended to and never rewritten. It is the authority on which final
//! statement is current for a seller and period: a re-run compares what it
//! would issue with the register's latest entry, and `--supersede` names the
//! entry it replaces.
//!
//! Appends are one `write` of a whole line on a file opened for appending,
//! under an exclusive lock on the file, followed by `fdatasync`, so
//! concurrent processes (shards on one shared folder) never interleave
//! within a line. A crash can leave at most a last line without its
//! newline; reading ignores such a torn line (it names no statement that
//! was ever reported issued) and the next append starts on a fresh line.
//!
//! The lines form a hash chain: each entry's `prev` is the SHA-256 of the
//! previous entry's line (64 zeros for the first), so a line edited,
//! removed or moved by hand is found, named and refused on the next read.
//! Lines cut off the end leave the chain whole; the statements they named
//! are still in their folders, which `batch` refuses to take over without
//! `--resume` (see `LifecycleError::Unregistered`).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use kpiseal_seal::manifest::Supersedes;

/// The register's file name inside the output folder.
pub const REGISTER_FILE: &str = "statements.log";

/// One issued final statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    pub statement_number: String,
    pub seller: String,
    pub period: String,
    pub issue_date: String,
    pub currency: String,
    pub amount_due: String,
    /// SHA-256 of the statement's manifest.json (the statement's identity:
    /// it lists the hashes of the PDF, the JSON and every input).
    pub manifest_sha256: String,
    /// SHA-256 of statement.pdf as delivered.
    pub statement_pdf_sha256: String,
    pub key_id: String,
    /// Where the statement's folder is, relative to the output folder.
    pub folder: String,
    /// The statement this one corrects, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Supersedes>,
    /// SHA-256 of the previous entry's line ([`GENESIS`] for the first),
    /// set by [`Register::append`]; absent only in registers written before
    /// the chain existed (a prefix of such lines is accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

/// The `prev` of a register's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The register as read at the start of a run, plus appends made since.
#[derive(Debug)]
pub struct Register {
    path: PathBuf,
    /// The latest entry per (seller, period), by file order.
    latest: Mutex<BTreeMap<(String, String), Issued>>,
    /// Serialises this process's appends.
    append: Mutex<()>,
}

impl Register {
    /// Reads `<out>/statements.log` (an absent file is an empty register).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; [`Error::Config`] naming
    /// the line when a complete line is not a register entry.
    pub fn open(out: &Path) -> Result<Register, Error> {
        let path = out.join(REGISTER_FILE);
        let text = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut latest = BTreeMap::new();
        for entry in parse_lines(&path, &text)? {
            latest.insert((entry.seller.clone(), entry.period.clone()), entry);
        }
        Ok(Register { path, latest: Mutex::new(latest), append: Mutex::new(()) })
    }

    /// The register's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current final statement of `seller` for `period`, if one was issued.
    pub fn latest(&self, seller: &str, period: &str) -> Option<Issued> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.get(&(seller.to_string(), period.to_string())).cloned()
    }

    /// The statements in force for `seller`: the latest entry of each of its
    /// periods, by period.
    pub fn in_force(&self, seller: &str) -> Vec<Issued> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest
            .range((seller.to_string(), String::new())..)
            .take_while(|((s, _), _)| s == seller)
            .map(|(_, entry)| entry.clone())
            .collect()
    }

    /// Appends `entry` as one line and makes it durable; it becomes the
    /// seller's latest entry.
    ///
    /// # Errors
    /// [`Error::Io`] naming the register.
    pub fn append(&self, entry: &Issued) -> Result<(), Error> {
        let io = |e| Error::io(&self.path, e);
        let mut entry = entry.clone();
        {
            let _guard = self.append.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(parent) = self.path.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            let mut file = OpenOptions::new().create(true).read(true).append(true).open(&self.path).map_err(io)?;
            // Other processes (shards) append too: the chain needs the
            // previous line as it is when this one is written.
            file.lock().map_err(io)?;
            let (prev, torn) = last_entry_hash(&mut file).map_err(io)?;
            entry.prev = Some(prev);
            let mut line = serde_json::to_vec(&entry).map_err(|e| Error::Internal(e.to_string()))?;
            line.push(b'\n');
            if torn {
                line.insert(0, b'\n');
            }
            file.write_all(&line).and_then(|()| file.sync_data()).map_err(io)?;
        }
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.insert((entry.seller.clone(), entry.period.clone()), entry);
        Ok(())
    }
}

/// The SHA-256 of the last complete entry line of `file` ([`GENESIS`] when
/// there is none), and whether the file ends in a torn line (its last byte
/// is not a newline). Reads backwards from the end, a block at a time.
fn last_entry_hash(file: &mut File) -> io::Result<(String, bool)> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    let mut tail: Vec<u8> = Vec::new();
    let mut start = len;
    loop {
        let complete = match tail.iter().rposition(|&b| b == b'\n') {
            Some(end) => &tail[..end],
            None => &[][..],
        };
        // The last complete line that is JSON (torn fragments are not).
        let mut lines = complete.rsplit(|&b| b == b'\n').peekable();
        while let Some(line) = lines.next() {
            if lines.peek().is_none() && start > 0 {
                break; // may be cut by the block boundary: read more first
            }
            if !line.iter().all(u8::is_ascii_whitespace) && serde_json::from_slice::<serde_json::Value>(line).is_ok() {
                let torn = tail.last().is_some_and(|&b| b != b'\n');
                return Ok((hex::encode(Sha256::digest(line)), torn));
            }
        }
        if start == 0 {
            let torn = tail.last().is_some_and(|&b| b != b'\n');
            return Ok((GENESIS.to_string(), torn));
        }
        let block = start.min(64 * 1024);
        start -= block;
        let mut chunk = vec![0u8; usize::try_from(block).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
    }
}

/// The register's lines as entries, in file order. A line that is not
/// complete JSON is the remains of an append torn by a crash (a last line
/// without its newline, or such a fragment followed by later appends) and is
/// skipped; a complete JSON value that is not an entry is an error.
fn parse_lines(path: &Path, bytes: &[u8]) -> Result<Vec<Issued>, Error> {
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => &bytes[..=end],
        None => &[][..],
    };
    let mut entries = Vec::new();
    // The hash and line number of the last entry read.
    let mut previous: Option<(String, usize)> = None;
    for (i, line) in complete.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        let at = || (path.display().to_string(), format!("line {}", i + 1));
        let entry: Issued = serde_json::from_value(value).map_err(|e| {
            let (file, key) = at();
            Error::config(file, key, format!("is not a register entry: {e}"))
        })?;
        let expected = previous.as_ref().map_or(GENESIS, |(hash, _)| hash.as_str());
        match &entry.prev {
            Some(prev) if prev != expected => {
                let (file, key) = at();
                let culprit = match &previous {
                    Some((_, line)) => format!("line {line} or line {} was edited, or a line between them", i + 1),
                    None => "lines before it were".to_string(),
                };
                return Err(Error::config(
                    file,
                    key,
                    format!(
                        "breaks the register's hash chain (its prev is {prev}, the entry before it hashes to \
                         {expected}): {culprit} removed or moved, by hand. Restore statements.log from a backup; \
                         kpiseal never rewrites it"
                    ),
                ));
            }
            None if previous.is_some() && entries.iter().any(|e: &Issued| e.prev.is_some()) => {
                let (file, key) = at();
                return Err(Error::config(file, key, "has no prev hash after chained lines: it was added by hand"));
            }
            _ => {}
        }
        previous = Some((hex::encode(Sha256::digest(line)), i + 1));
        entries.push(entry);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seller: &str, number: &str) -> Issued {
        Issued {
            statement_number: number.into(),
            seller: seller.into(),
            period: "2026-10".into(),
            issue_date: "2026-11-01".into(),
            currency: "USD".into(),
            amount_due: "12.34".into(),
            manifest_sha256: "a".repeat(64),
            statement_pdf_sha256: "b".repeat(64),
            key_id: "20E9D2E54F7831FB".into(),
            folder: format!("2026-10/{seller}"),
            supersedes: None,
            prev: None,
        }
    }

    #[test]
    fn an_absent_register_is_empty_and_appends_become_the_latest_entry() {
        let dir = tempfile::tempdir().unwrap();
        let register = Register::open(dir.path()).unwrap();
        assert_eq!(register.latest("acme", "2026-10"), None);
        register.append(&entry("acme", "C-202610-acme")).unwrap();
        register.append(&entry("acme", "C-202610-acme-R1")).unwrap();
        assert_eq!(register.latest("acme", "2026-10").unwrap().statement_number, "C-202610-acme-R1");
        let reread = Register::open(dir.path()).unwrap();
        assert_eq!(reread.latest("acme", "2026-10").unwrap().statement_number, "C-202610-acme-R1");
        assert_eq!(reread.latest("acme", "2026-11"), None);

        let text = fs::read_to_string(dir.path().join(REGISTER_FILE)).unwrap();
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn the_statements_in_force_are_the_latest_of_each_period_of_that_seller_only() {
        let dir = tempfile::tempdir().unwrap();
        let register = Register::open(dir.path()).unwrap();
        register.append(&entry("acme", "C-202610-acme")).unwrap();
        register.append(&Issued { period: "2026-09".into(), ..entry("acme", "C-202609-acme") }).unwrap();
        register.append(&entry("acme-home", "C-202610-acme-home")).unwrap();
        register.append(&entry("acme", "C-202610-acme-R1")).unwrap();
        let numbers: Vec<String> = register.in_force("acme").into_iter().map(|e| e.statement_number).collect();
        assert_eq!(numbers, ["C-202609-acme", "C-202610-acme-R1"]);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_the_next_append_starts_a_fresh_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = serde_json::to_vec(&entry("acme", "C-202610-acme")).unwrap();
        first.push(b'\n');
        first.extend_from_slice(br#"{"statement_number":"C-202610-ri"#);
        fs::write(dir.path().join(REGISTER_FILE), &first).unwrap();
        let register = Register::open(dir.path()).unwrap();
        assert!(register.latest("acme", "2026-10").is_some());
        assert_eq!(register.latest("rio", "2026-10"), None);
        register.append(&entry("rio", "C-202610-rio")).unwrap();
        let reread = Register::open(dir.path()).unwrap();
        assert_eq!(reread.latest("rio", "2026-10").unwrap().statement_number, "C-202610-rio");
        let text = fs::read_to_string(dir.path().join(REGISTER_FILE)).unwrap();
        assert!(text.lines().last().unwrap().starts_with(r#"{"statement_number":"C-202610-rio","#), "{text}");
    }

    #[test]
    fn each_append_chains_to_the_line_before_and_an_edited_or_removed_line_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let register = Register::open(dir.path()).unwrap();
        for seller in ["acme", "rio", "sunny"] {
            register.append(&entry(seller, &format!("C-202610-{seller}"))).unwrap();
        }
        let path = dir.path().join(REGISTER_FILE);
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains(&format!(r#""prev":"{GENESIS}""#)), "{text}");
        assert!(lines[1].contains(&hex::encode(Sha256::digest(lines[0].as_bytes()))), "{text}");
        assert!(Register::open(dir.path()).is_ok());

        let edited = text.replacen("12.34", "99.99", 1);
        fs::write(&path, edited).unwrap();
        let err = Register::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("line 1 or line 2 was edited") && err.contains("hash chain"), "{err}");

        let removed = format!("{}\n{}\n", lines[0], lines[2]);
        fs::write(&path, removed).unwrap();
        let err = Register::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("hash chain"), "{err}");
    }

    #[test]
    fn a_corrupt_complete_line_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = serde_json::to_vec(&entry("acme", "C-202610-acme")).unwrap();
        text.extend_from_slice(b"\n{\"statement_number\":42}\n");
        fs::write(dir.path().join(REGISTER_FILE), &text).unwrap();
        let err = Register::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("statements.log") && err.contains("line 2"), "{err}");
    }
}
