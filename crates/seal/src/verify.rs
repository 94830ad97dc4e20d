//! `kpiseal verify`: everything a seller, marketplace or arbitrator can
//! check about a delivered statement, from a PDF, a statement folder (its
//! `manifest.json`), an evidence bag or the bag's zip.
//!
//! The statement folder `run` writes holds `statement.pdf`,
//! `statement.json`, `manifest.json`, `manifest.json.minisig`,
//! `manifest.json.sig`, `provider.minisign.pub`, `provider.ssh.pub`,
//! `allowed_signers`, `provider.cert.pem`, `evidence/` (a BagIt bag whose
//! `data/` holds the same files) and `evidence.zip`.
//!
//! Without a pinned key the signatures are checked against the public key
//! delivered with the statement: that proves the files agree with each
//! other and were not altered since that key signed them, not who holds the
//! key. [`Verification::pinned`] says which.
//!
//! A period manifest (`period-manifest.json`, written by `kpiseal merge`
//! beside the seller folders, or the period folder holding it) is checked
//! for its two signatures and its Merkle root, recomputed from the seller
//! folders' `manifest.json` next to it; each seller folder is checked on
//! its own by verifying it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::bag::validate_bag;
use crate::check::{Check, all_passed};
use crate::keys::{KeyId, PublicKey, load_public_key};
use crate::manifest::{Manifest, check_inputs, check_outputs, is_canonical};
use crate::pdf_signature::verify_pdf;
use crate::period_manifest::{
    self, PERIOD_MANIFEST, PERIOD_MANIFEST_MINISIG, PERIOD_MANIFEST_SSHSIG, PeriodManifest, check_leaves,
    looks_like_period_manifest,
};
use crate::{minisign, sshsig};

/// The files of a statement folder, by name.
pub const STATEMENT_PDF: &str = "statement.pdf";
pub const MANIFEST: &str = "manifest.json";
pub const MANIFEST_MINISIG: &str = "manifest.json.minisig";
pub const MANIFEST_SSHSIG: &str = "manifest.json.sig";
/// The public key `verify` falls back to (unpinned) without `--key`.
pub const DELIVERED_PUBLIC_KEY: &str = "provider.minisign.pub";

/// What was given to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    StatementFolder,
    Bag,
    Zip,
    /// A period manifest, or the period folder holding one.
    PeriodManifest,
}

/// The outcome of verifying one path.
#[derive(Debug, Clone)]
pub struct Verification {
    pub path: PathBuf,
    pub kind: Kind,
    /// The key the signatures were made with, when one was found.
    pub signer: Option<KeyId>,
    /// Whether the signer was checked against a key the verifier supplied.
    pub pinned: bool,
    /// The manifest, when one was read (seller, period, amount due).
    pub manifest: Option<Manifest>,
    /// The period manifest, when one was read.
    pub period_manifest: Option<PeriodManifest>,
    pub checks: Vec<Check>,
}

impl Verification {
    /// Every check ran and passed.
    pub fn is_valid(&self) -> bool {
        all_passed(&self.checks)
    }
}

/// Why a path could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{}: not a PDF, a statement folder, manifest.json, an evidence bag or its zip, or a period manifest",
        path.display()
    )]
    UnknownKind { path: PathBuf },
    #[error("{}: cannot unpack the zip: {message}", path.display())]
    Zip { path: PathBuf, message: String },
}

/// Verifies `path`: a `statement.pdf`, a statement folder or its
/// `manifest.json`, an evidence bag folder, an evidence `.zip`, or a
/// `period-manifest.json` or the period folder holding it. With
/// `key`, every signature must be by that key; with `workspace`, the input
/// files the manifest lists are re-hashed there too.
///
/// # Errors
/// [`VerifyError`] only when nothing could be checked (a missing path, an
/// unknown kind of file, an unreadable zip). A failed check is a
/// [`Verification`] with `is_valid() == false`.
pub fn verify_path(
    path: &Path,
    key: Option<&PublicKey>,
    workspace: Option<&Path>,
) -> Result<Verification, VerifyError> {
    let io = |source| VerifyError::Io { path: path.to_owned(), source };
    let meta = fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        if path.join("bagit.txt").is_file() {
            return Ok(verify_bag(path, path, Kind::Bag, key, workspace));
        }
        if path.join(MANIFEST).is_file() {
            return Ok(verify_folder(path, path, Kind::StatementFolder, key, workspace));
        }
        if path.join(PERIOD_MANIFEST).is_file() {
            return Ok(verify_period(path, path, key));
        }
        return Err(VerifyError::UnknownKind { path: path.to_owned() });
    }
    let bytes = fs::read(path).map_err(io)?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if bytes.starts_with(b"%PDF-") {
        if parent.join(MANIFEST).is_file() {
            // A delivered PDF: the whole folder vouches for it.
            return Ok(verify_folder(parent, path, Kind::Pdf, key, workspace));
        }
        return Ok(verify_lone_pdf(path, &bytes, key));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return verify_zip(path, &bytes, key, workspace);
    }
    if path.file_name().is_some_and(|n| n == PERIOD_MANIFEST) || looks_like_period_manifest(&bytes) {
        return Ok(verify_period(parent, path, key));
    }
    if path.file_name().is_some_and(|n| n == MANIFEST) {
        return Ok(verify_folder(parent, path, Kind::StatementFolder, key, workspace));
    }
    Err(VerifyError::UnknownKind { path: path.to_owned() })
}

/// A PDF with no manifest beside it: its embedded signature only.
fn verify_lone_pdf(path: &Path, bytes: &[u8], key: Option<&PublicKey>) -> Verification {
    let mut v = Verification {
        path: path.to_owned(),
        kind: Kind::Pdf,
        signer: None,
        pinned: false,
        manifest: None,
        period_manifest: None,
        checks: Vec::new(),
    };
    pdf_checks(&mut v, path, bytes, key.map(|k| &k.verifying_key));
    v.pinned = key.is_some() && v.is_valid();
    v
}

fn pdf_checks(v: &mut Verification, path: &Path, bytes: &[u8], trusted: Option<&ed25519_dalek::VerifyingKey>) {
    let shown = display_name(path);
    match verify_pdf(bytes, trusted) {
        Ok(report) => {
            v.signer = v.signer.or(report.key_id);
            for c in &report.checks {
                // Checked against the key delivered with the statement, the
                // "pinned-key" check only shows the PDF and manifest agree.
                let unpinned = c.name == "pinned-key" && !v.pinned;
                let name = if unpinned {
                    "pdf-signature same-key-as-delivered".to_string()
                } else {
                    format!("pdf-signature {}", c.name)
                };
                let detail = if unpinned && c.passed {
                    format!("the PDF's signer is the key delivered with the statement ({})", DELIVERED_PUBLIC_KEY)
                } else {
                    c.detail.clone()
                };
                v.checks.push(if c.passed {
                    Check::pass(name, &shown, &detail)
                } else {
                    Check::fail(name, &shown, "valid", &detail)
                });
            }
        }
        Err(e) => v.checks.push(Check::fail("pdf-signature", &shown, "an embedded signature", e.to_string())),
    }
}

/// A statement folder: the manifest's two signatures, the output hashes,
/// the PDF's own signature, and the inputs when a workspace is given.
fn verify_folder(
    dir: &Path,
    subject: &Path,
    kind: Kind,
    key: Option<&PublicKey>,
    workspace: Option<&Path>,
) -> Verification {
    let mut v = Verification {
        path: subject.to_owned(),
        kind,
        signer: None,
        pinned: key.is_some(),
        manifest: None,
        period_manifest: None,
        checks: Vec::new(),
    };
    let manifest_path = dir.join(MANIFEST);
    let manifest_bytes = match fs::read(&manifest_path) {
        Ok(b) => b,
        Err(e) => {
            v.checks.push(Check::fail("manifest", MANIFEST, "readable", e.to_string()));
            return v;
        }
    };
    let public = signing_key(&mut v, dir, key);
    let public = public.as_ref();
    v.signer = public.map(|k| k.key_id);
    // The signatures are over the bytes, so they are checked even when the
    // manifest no longer parses.
    if let Some(public) = public {
        signature_checks(&mut v, dir, &manifest_bytes, public);
    }
    let manifest = match Manifest::from_json(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            v.checks.push(Check::fail("manifest", MANIFEST, "a kpiseal manifest", e.to_string()));
            return v;
        }
    };
    v.signer = Some(manifest.key_id);
    v.checks.push(if is_canonical(&manifest_bytes) {
        Check::pass("manifest", MANIFEST, "RFC 8785 canonical JSON")
    } else {
        Check::fail("manifest", MANIFEST, "RFC 8785 canonical JSON", "not canonical")
    });
    if let Some(public) = public {
        v.checks.push(Check::compare(
            "manifest key-id",
            MANIFEST,
            public.key_id.to_string(),
            manifest.key_id.to_string(),
        ));
        trusted_comment_check(&mut v, dir, &manifest, public);
    }
    v.checks.extend(check_outputs(&manifest, dir));
    match fs::read(dir.join(STATEMENT_PDF)) {
        Ok(pdf) => {
            pdf_checks(&mut v, &dir.join(STATEMENT_PDF), &pdf, public.map(|k| &k.verifying_key));
        }
        Err(e) => v.checks.push(Check::fail("pdf-signature", STATEMENT_PDF, "readable", e.to_string())),
    }
    if let Some(ws) = workspace {
        v.checks.extend(check_inputs(&manifest, ws));
    }
    v.manifest = Some(manifest);
    v
}

/// The manifest's minisign and SSHSIG signatures over its bytes.
fn signature_checks(v: &mut Verification, dir: &Path, message: &[u8], key: &PublicKey) {
    let files = SignatureFiles { minisig: MANIFEST_MINISIG, sshsig: MANIFEST_SSHSIG, namespace: sshsig::NAMESPACE };
    detached_signature_checks(v, dir, message, key, &files);
}

/// Where a signed record's two detached signatures are, and the SSHSIG namespace.
struct SignatureFiles {
    minisig: &'static str,
    sshsig: &'static str,
    namespace: &'static str,
}

/// The minisign and SSHSIG signatures `files` names, over `message`.
fn detached_signature_checks(
    v: &mut Verification,
    dir: &Path,
    message: &[u8],
    key: &PublicKey,
    files: &SignatureFiles,
) {
    let read = |name: &str| fs::read_to_string(dir.join(name));
    match read(files.minisig) {
        Ok(sig) => match minisign::verify(message, &sig, &key.verifying_key) {
            Ok(_) => v.checks.push(Check::pass("minisign", files.minisig, format!("signed by key {}", key.key_id))),
            Err(e) => v.checks.push(Check::fail("minisign", files.minisig, "a valid signature", e.to_string())),
        },
        Err(e) => v.checks.push(Check::fail("minisign", files.minisig, "present", e.to_string())),
    }
    match read(files.sshsig) {
        Ok(sig) => match sshsig::verify_in(message, &sig, &key.verifying_key, files.namespace) {
            Ok(()) => v.checks.push(Check::pass(
                "sshsig",
                files.sshsig,
                format!("namespace {}, key {}", files.namespace, key.key_id),
            )),
            Err(e) => v.checks.push(Check::fail("sshsig", files.sshsig, "a valid signature", e.to_string())),
        },
        Err(e) => v.checks.push(Check::fail("sshsig", files.sshsig, "present", e.to_string())),
    }
}

/// The public key to check `dir`'s signatures with: the pinned one, else
/// the one delivered in `dir` (a failed `public-key` check when unreadable).
fn signing_key(v: &mut Verification, dir: &Path, key: Option<&PublicKey>) -> Option<PublicKey> {
    match key {
        Some(k) => Some(k.clone()),
        None => match load_public_key(&dir.join(DELIVERED_PUBLIC_KEY)) {
            Ok(k) => Some(k),
            Err(e) => {
                v.checks.push(Check::fail(
                    "public-key",
                    DELIVERED_PUBLIC_KEY,
                    "the provider's public key",
                    e.to_string(),
                ));
                None
            }
        },
    }
}

/// A period manifest in `dir`: its two signatures (SSHSIG in namespace
/// `kpiseal-period-manifest@v1`), its form, its key id and trusted comment,
/// and every leaf re-hashed from `dir/<seller>/manifest.json` with the
/// Merkle root recomputed from them.
fn verify_period(dir: &Path, subject: &Path, key: Option<&PublicKey>) -> Verification {
    let mut v = Verification {
        path: subject.to_owned(),
        kind: Kind::PeriodManifest,
        signer: None,
        pinned: key.is_some(),
        manifest: None,
        period_manifest: None,
        checks: Vec::new(),
    };
    let bytes = match fs::read(dir.join(PERIOD_MANIFEST)) {
        Ok(b) => b,
        Err(e) => {
            v.checks.push(Check::fail("period-manifest", PERIOD_MANIFEST, "readable", e.to_string()));
            return v;
        }
    };
    let public = signing_key(&mut v, dir, key);
    v.signer = public.as_ref().map(|k| k.key_id);
    let files = SignatureFiles {
        minisig: PERIOD_MANIFEST_MINISIG,
        sshsig: PERIOD_MANIFEST_SSHSIG,
        namespace: sshsig::PERIOD_NAMESPACE,
    };
    if let Some(public) = &public {
        detached_signature_checks(&mut v, dir, &bytes, public, &files);
    }
    let manifest = match PeriodManifest::from_json(&bytes) {
        Ok(m) => m,
        Err(e) => {
            v.checks.push(Check::fail("period-manifest", PERIOD_MANIFEST, "a kpiseal period manifest", e.to_string()));
            return v;
        }
    };
    v.signer = Some(manifest.key_id);
    v.checks.push(if period_manifest::is_canonical(&bytes) {
        Check::pass("period-manifest", PERIOD_MANIFEST, "RFC 8785 canonical JSON")
    } else {
        Check::fail("period-manifest", PERIOD_MANIFEST, "RFC 8785 canonical JSON", "not canonical")
    });
    if let Some(public) = &public {
        v.checks.push(Check::compare(
            "period-manifest key-id",
            PERIOD_MANIFEST,
            public.key_id.to_string(),
            manifest.key_id.to_string(),
        ));
        if let Ok(sig) = fs::read_to_string(dir.join(PERIOD_MANIFEST_MINISIG))
            && let Ok(verified) = minisign::verify(&bytes, &sig, &public.verifying_key)
        {
            let expected = period_manifest::trusted_comment(&manifest.period, &manifest.merkle_root, manifest.key_id);
            v.checks.push(Check::compare(
                "minisign trusted-comment",
                PERIOD_MANIFEST_MINISIG,
                expected,
                verified.trusted_comment,
            ));
        }
    }
    v.checks.extend(check_leaves(&manifest, dir));
    v.period_manifest = Some(manifest);
    v
}

/// The minisign trusted comment (signed too) must name this manifest's
/// statement, so a signature cannot be moved to another statement unnoticed.
fn trusted_comment_check(v: &mut Verification, dir: &Path, manifest: &Manifest, key: &PublicKey) {
    let Ok(sig) = fs::read_to_string(dir.join(MANIFEST_MINISIG)) else { return };
    let Ok(manifest_bytes) = fs::read(dir.join(MANIFEST)) else { return };
    if let Ok(verified) = minisign::verify(&manifest_bytes, &sig, &key.verifying_key) {
        let expected = minisign::trusted_comment(&manifest.statement_number, &manifest.period, manifest.key_id);
        v.checks.push(Check::compare("minisign trusted-comment", MANIFEST_MINISIG, expected, verified.trusted_comment));
    }
}

/// A BagIt bag: the bag itself, then the statement folder in its `data/`.
fn verify_bag(
    bag: &Path,
    subject: &Path,
    kind: Kind,
    key: Option<&PublicKey>,
    workspace: Option<&Path>,
) -> Verification {
    let bag_checks = validate_bag(bag);
    let mut v = verify_folder(&bag.join("data"), subject, kind, key, workspace);
    let mut checks = bag_checks;
    checks.append(&mut v.checks);
    v.checks = checks;
    v
}

/// An evidence zip: unpacked into a temporary folder and checked as a bag.
fn verify_zip(
    path: &Path,
    bytes: &[u8],
    key: Option<&PublicKey>,
    workspace: Option<&Path>,
) -> Result<Verification, VerifyError> {
    let zip_error = |message: String| VerifyError::Zip { path: path.to_owned(), message };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| zip_error(e.to_string()))?;
    let temp = tempfile::tempdir().map_err(|source| VerifyError::Io { path: path.to_owned(), source })?;
    unpack(&mut archive, temp.path()).map_err(zip_error)?;
    let entries: Vec<PathBuf> = fs::read_dir(temp.path())
        .map_err(|source| VerifyError::Io { path: path.to_owned(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    match entries.as_slice() {
        [top] if top.join("bagit.txt").is_file() => Ok(verify_bag(top, path, Kind::Zip, key, workspace)),
        _ => Err(zip_error("expected one bag folder at the top of the zip".into())),
    }
}

/// Writes every entry of `archive` under `dir`: one `create_dir_all` per
/// folder and one write per file. (`ZipArchive::extract` opens every path
/// component of every entry, ~150 opens for one evidence zip, which made
/// verifying a zip 15× slower than verifying its unpacked bag.) An entry
/// whose name would leave `dir` is refused.
fn unpack<R: std::io::Read + std::io::Seek>(archive: &mut zip::ZipArchive<R>, dir: &Path) -> Result<(), String> {
    use std::io::Read;
    let mut made = std::collections::BTreeSet::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| e.to_string())?;
        let name = entry.name().map_or_else(|_| format!("entry {i}"), |n| n.into_owned());
        let rel = entry.enclosed_name().ok_or_else(|| format!("entry {name:?} would be written outside the bag"))?;
        let target = dir.join(rel);
        let folder = if entry.is_dir() { Some(target.as_path()) } else { target.parent() };
        if let Some(folder) = folder
            && made.insert(folder.to_path_buf())
        {
            fs::create_dir_all(folder).map_err(|e| format!("{name}: {e}"))?;
        }
        if !entry.is_dir() {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(|e| format!("{name}: {e}"))?;
            fs::write(&target, bytes).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    Ok(())
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
