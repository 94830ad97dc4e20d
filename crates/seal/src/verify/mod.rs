//! `kpiseal verify`: everything a seller, marketplace or arbitrator can
//! check about a delivered statement, from exactly the bytes they name.
//!
//! What is given decides what is checked, and nothing else is looked up in
//! its place:
//!
//! - a **PDF**: its embedded signature over the whole file; on its own it
//!   cannot be tied to a statement number (that needs the manifest);
//! - a **statement folder** (it holds `manifest.json`): the manifest's two
//!   signatures, every file the manifest lists, the evidence bag and zip
//!   beside them, and that nothing else is there;
//! - an **evidence bag** (it holds `bagit.txt`) or its **zip**: the
//!   statement files in `data/` as for a folder, the input copies, and the
//!   tag files, which must be byte for byte what the signed manifest and
//!   the payload imply (so `bag-info.txt` is covered too);
//! - a **period folder** (it holds `period-manifest.json`): the period
//!   manifest's signatures and every seller folder found beside it,
//!   verified in full against its leaf.
//!
//! A folder holding the marks of two kinds, a file carrying the marks of
//! both a PDF and a zip, a link, a FIFO or a device is refused
//! ([`VerifyError::Refused`]). Reading is bounded by [`limits`]. Every file
//! read is hashed once and reported with its SHA-256, so a reader can
//! compare the report with what they were sent.
//!
//! Without a pinned key the signatures are checked against the public key
//! delivered with the statement: that proves the files agree with each
//! other and were not altered since that key signed them, not who holds the
//! key. [`KeyUsed`] says which.

mod bag;
pub mod limits;
mod pdf;
mod period;
mod sniff;
mod statement;
mod tree;
mod zip_read;

use std::fs;
use std::path::{Path, PathBuf};

use crate::check::{Check, all_passed};
use crate::keys::{KeyId, PublicKey};
use crate::manifest::{Manifest, Status};
use crate::period_manifest::{PERIOD_MANIFEST, PeriodManifest};

/// The files of a statement folder, by name.
pub const STATEMENT_PDF: &str = "statement.pdf";
pub const STATEMENT_JSON: &str = "statement.json";
pub const MANIFEST: &str = "manifest.json";
pub const MANIFEST_MINISIG: &str = "manifest.json.minisig";
pub const MANIFEST_SSHSIG: &str = "manifest.json.sig";
/// The public key `verify` falls back to (unpinned) without `--key`.
pub const DELIVERED_PUBLIC_KEY: &str = "provider.minisign.pub";
pub const SSH_PUBLIC_KEY: &str = "provider.ssh.pub";
pub const ALLOWED_SIGNERS: &str = "allowed_signers";
pub const CERTIFICATE: &str = "provider.cert.pem";
/// The certificate of the P-256 key that makes the PDF's signature (what
/// `pyhanko --trust` and a PDF viewer's trust list take).
pub const PADES_CERTIFICATE: &str = "provider.p256.cert.pem";
/// The evidence bag's folder and its zip, beside the statement's files.
pub const EVIDENCE_BAG: &str = "evidence";
pub const EVIDENCE_ZIP: &str = "evidence.zip";
/// Which input lines make each figure of the statement, and which were left
/// out and why (kpiseal's `provenance` module).
pub const PROVENANCE: &str = "provenance.csv";
/// Where `--include-inputs` copies the inputs inside the bag's `data/`.
pub const BAG_INPUTS: &str = "inputs";

/// The files every statement manifest lists in `outputs`: the statement
/// itself, its provenance table, the public key files delivered with it,
/// and the offline verifier page.
pub const DELIVERED_OUTPUTS: [&str; 9] = [
    STATEMENT_PDF,
    STATEMENT_JSON,
    PROVENANCE,
    DELIVERED_PUBLIC_KEY,
    SSH_PUBLIC_KEY,
    ALLOWED_SIGNERS,
    CERTIFICATE,
    PADES_CERTIFICATE,
    crate::verify_page::VERIFY_PAGE,
];

/// What statements sealed before provenance.csv was sealed with every
/// statement (2026-12-06) list: [`DELIVERED_OUTPUTS`] without it. They
/// still verify, and the report says which list they have.
pub const DELIVERED_OUTPUTS_WITHOUT_TABLE: [&str; 8] = [
    STATEMENT_PDF,
    STATEMENT_JSON,
    DELIVERED_PUBLIC_KEY,
    SSH_PUBLIC_KEY,
    ALLOWED_SIGNERS,
    CERTIFICATE,
    PADES_CERTIFICATE,
    crate::verify_page::VERIFY_PAGE,
];

/// What statements sealed before `verify.html` was delivered (2026-12-06)
/// list: [`DELIVERED_OUTPUTS_WITHOUT_TABLE`] without the page. They still verify, and the
/// report says which list they have.
pub const DELIVERED_OUTPUTS_WITHOUT_PAGE: [&str; 7] = [
    STATEMENT_PDF,
    STATEMENT_JSON,
    DELIVERED_PUBLIC_KEY,
    SSH_PUBLIC_KEY,
    ALLOWED_SIGNERS,
    CERTIFICATE,
    PADES_CERTIFICATE,
];

/// What was given to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    StatementFolder,
    Bag,
    Zip,
    /// A period folder (or the `period-manifest.json` in it).
    PeriodFolder,
}

/// How `verify` runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// The provider's public key, when the verifier has it from elsewhere.
    pub key: Option<&'a PublicKey>,
    /// The workspace, to re-hash the inputs the manifest lists.
    pub workspace: Option<&'a Path>,
    /// List files that no signature covers instead of failing on them.
    pub allow_extra: bool,
}

/// Which key the signatures were checked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUsed {
    /// The key given with `--key`.
    Pinned(KeyId),
    /// The key delivered with the statement, in this file.
    Delivered { key_id: KeyId, file: String },
    /// The key in the PDF's own embedded certificate.
    Embedded(KeyId),
    /// No key could be read.
    Unknown,
}

impl KeyUsed {
    /// The key's id, when one was used.
    pub fn key_id(&self) -> Option<KeyId> {
        match self {
            KeyUsed::Pinned(k) | KeyUsed::Delivered { key_id: k, .. } | KeyUsed::Embedded(k) => Some(*k),
            KeyUsed::Unknown => None,
        }
    }
}

/// One file read, as the report lists it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSeen {
    /// Relative to what was given (the file's own name for a file).
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// What a period folder's statements came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statements {
    /// Leaves in the period manifest.
    pub listed: usize,
    /// Seller folders found and verified.
    pub checked: usize,
    /// Of those, the ones that verified against their leaf.
    pub valid: usize,
    /// Sellers whose folder is not beside the period manifest.
    pub not_found: Vec<String>,
}

/// The outcome of verifying one path.
#[derive(Debug, Clone)]
pub struct Verification {
    pub path: PathBuf,
    pub kind: Kind,
    /// Every file read, with its SHA-256: the given file, or each file of
    /// the folder, bag or zip.
    pub files: Vec<FileSeen>,
    pub key: KeyUsed,
    /// Final statement or draft, when the signed files say.
    pub status: Option<Status>,
    /// The manifest, when one was read (seller, period, amount due).
    pub manifest: Option<Manifest>,
    /// The bytes of that manifest's outputs that were read whole (the
    /// statement's JSON, its provenance table, …), exactly as checked
    /// against the manifest: from the folder, bag or zip named.
    pub outputs: std::collections::BTreeMap<String, Vec<u8>>,
    /// The period manifest, when one was read.
    pub period_manifest: Option<PeriodManifest>,
    /// For a period folder, what its statements came to.
    pub statements: Option<Statements>,
    /// Files no signature covers (failing checks too, unless `allow_extra`).
    pub extras: Vec<String>,
    /// Run records beside a period's statements (`batch-summary*`): no
    /// signature covers them, by design; listed, never failing.
    pub records: Vec<String>,
    pub checks: Vec<Check>,
}

/// What a verification comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed and the files are a final statement.
    Valid,
    /// Every check passed, but the files are a draft: not a statement.
    Draft,
    /// Some check failed.
    NotValid,
}

impl Verification {
    fn new(path: &Path, kind: Kind) -> Verification {
        Verification {
            path: path.to_owned(),
            kind,
            files: Vec::new(),
            key: KeyUsed::Unknown,
            status: None,
            manifest: None,
            outputs: std::collections::BTreeMap::new(),
            period_manifest: None,
            statements: None,
            extras: Vec::new(),
            records: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Every check ran and passed.
    pub fn is_valid(&self) -> bool {
        all_passed(&self.checks)
    }

    /// VALID only for a final statement whose every check passed.
    pub fn verdict(&self) -> Verdict {
        match (self.is_valid(), self.status) {
            (false, _) => Verdict::NotValid,
            (true, Some(Status::Draft)) => Verdict::Draft,
            (true, _) => Verdict::Valid,
        }
    }

    /// Records files found that no signature covers: a failed check each,
    /// or only listed with `allow_extra`.
    fn extras(&mut self, names: impl IntoIterator<Item = String>, options: &Options<'_>) {
        for name in names {
            if !options.allow_extra {
                self.checks.push(Check::fail(
                    "extra",
                    &name,
                    "only files a signature covers",
                    "a file no signature covers",
                ));
            }
            self.extras.push(name);
        }
    }
}

/// Why a path could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: refused: {reason}", path.display())]
    Refused { path: PathBuf, reason: String },
    #[error(
        "{}: not a PDF, a statement folder, an evidence bag or its zip, or a period folder",
        path.display()
    )]
    UnknownKind { path: PathBuf },
}

fn refused(path: &Path, reason: impl Into<String>) -> VerifyError {
    VerifyError::Refused { path: path.to_owned(), reason: reason.into() }
}

/// Verifies `path`: a statement PDF, a statement folder, an evidence bag or
/// its zip, or a period folder (naming its `manifest.json` or
/// `period-manifest.json` is naming its folder).
///
/// # Errors
/// [`VerifyError`] when nothing could be checked: a missing path, a link, a
/// special file, a file of no kind or of two kinds, a folder of two kinds,
/// a zip not in the form kpiseal writes. A failed check is a
/// [`Verification`] whose verdict is [`Verdict::NotValid`].
pub fn verify_path(path: &Path, options: &Options<'_>) -> Result<Verification, VerifyError> {
    let meta = fs::symlink_metadata(path).map_err(|source| VerifyError::Io { path: path.to_owned(), source })?;
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Err(refused(path, "a link; verify never follows links: name the file or folder itself"));
    }
    if kind.is_dir() {
        return verify_folder(path, path, options);
    }
    if !kind.is_file() {
        return Err(refused(path, "not a regular file (a FIFO, socket or device)"));
    }
    match sniff::sniff(path).map_err(|reason| refused(path, reason))? {
        sniff::FileKind::Pdf => pdf::verify_pdf_file(path, options).map_err(|reason| refused(path, reason)),
        sniff::FileKind::Zip => bag::verify_zip_file(path, options).map_err(|reason| refused(path, reason)),
        sniff::FileKind::Json => {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            if name == MANIFEST || name == PERIOD_MANIFEST {
                verify_folder(parent, path, options)
            } else {
                Err(refused(
                    path,
                    format!(
                        "a manifest is verified in its folder under its own name ({MANIFEST} or {PERIOD_MANIFEST}); \
                         name that folder"
                    ),
                ))
            }
        }
    }
}

/// A folder: a statement folder, a bag or a period folder, decided by the
/// one marker file it holds.
fn verify_folder(dir: &Path, subject: &Path, options: &Options<'_>) -> Result<Verification, VerifyError> {
    let holds = |name: &str| fs::symlink_metadata(dir.join(name)).is_ok();
    let marks = [(MANIFEST, Kind::StatementFolder), ("bagit.txt", Kind::Bag), (PERIOD_MANIFEST, Kind::PeriodFolder)];
    let found: Vec<&(&str, Kind)> = marks.iter().filter(|(name, _)| holds(name)).collect();
    match found.as_slice() {
        [] => Err(VerifyError::UnknownKind { path: subject.to_owned() }),
        [(_, Kind::StatementFolder)] => Ok(statement::verify_statement_folder(dir, subject, options)),
        [(_, Kind::Bag)] => Ok(bag::verify_bag_folder(dir, subject, options)),
        [(_, _)] => Ok(period::verify_period_folder(dir, subject, options)),
        several => {
            let names: Vec<&str> = several.iter().map(|(name, _)| *name).collect();
            Err(refused(
                subject,
                format!(
                    "ambiguous: it holds {} together, the marks of different kinds (a statement folder holds \
                     manifest.json, a bag bagit.txt, a period folder period-manifest.json)",
                    names.join(" and ")
                ),
            ))
        }
    }
}
