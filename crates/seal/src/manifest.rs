//! The evidence manifest: which inputs produced which outputs, under which key.
//!
//! `manifest.json` is written in RFC 8785 (JSON Canonicalization Scheme)
//! form, so its bytes follow from its content alone and the detached
//! signatures (`minisign`, `sshsig`) sign exactly those bytes. Hashes are
//! lowercase hex SHA-256; sizes are byte counts; every path is relative
//! (to the workspace for inputs, to the statement's folder for outputs) with
//! `/` separators.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::check::Check;
use crate::chunks;
use crate::keys::KeyId;
use crate::{minisign, relpath, sshsig};

/// The value of [`Manifest::schema`] this crate writes and reads.
pub const MANIFEST_SCHEMA: &str = "kpiseal.manifest/2";

/// What a draft's statement number ends with; a final statement's never does.
pub const DRAFT_SUFFIX: &str = "-DRAFT";

/// Largest integer JSON (and so RFC 8785, which writes numbers as IEEE
/// doubles) carries exactly: 2^53 − 1.
pub const MAX_EXACT_INTEGER: u64 = (1 << 53) - 1;

/// The evidence record of one statement. Field types are plain so that the
/// caller fills it from its own model; [`to_canonical_json`] checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`MANIFEST_SCHEMA`].
    pub schema: String,
    /// A final statement, or a draft that is not a statement.
    pub status: Status,
    /// Who issues the statement (`[provider]` of `kpiseal.toml`).
    pub provider: Provider,
    pub seller: Seller,
    /// The statement's month, `YYYY-MM`.
    pub period: String,
    pub statement_number: String,
    /// `YYYY-MM-DD`.
    pub issue_date: String,
    pub tool: Tool,
    /// The signing key's id; in JSON, its 16 uppercase hex digits (any
    /// other spelling is refused when reading).
    pub key_id: KeyId,
    pub figures: Figures,
    /// Every marketplace export and cost ledger read, relative to the workspace.
    pub inputs: Vec<InputFile>,
    pub contract: FileEntry,
    /// The FX tables read, relative to the workspace.
    pub fx: Vec<FileEntry>,
    /// The statement's own files, relative to the statement's folder:
    /// `statement.pdf`, `statement.json` and the five public key files (certificates included)
    /// delivered with them. (The manifest's two signatures, the evidence bag
    /// and its zip are checked by other means: see `verify`.)
    pub outputs: Vec<OutputFile>,
    /// The statement this one replaces, if any; omitted from the JSON when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Supersedes>,
}

/// Whether a manifest seals a final statement or a draft. A draft is signed
/// so that it can be checked, but under its own SSHSIG namespace and
/// trusted comment, and with a number ending in [`DRAFT_SUFFIX`], so that
/// it can never pass for a final statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Final,
    Draft,
}

/// The statement's issuer, as in the period manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub name: String,
    pub legal_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seller {
    pub id: String,
    pub legal_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// The statement's key figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    /// A decimal string, e.g. `"12345.67"`.
    pub amount_due: String,
    /// ISO 4217 code.
    pub currency: String,
}

/// One input export as read: its hash, size, detected format and rows used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    pub format: String,
    pub rows: u64,
}

/// A file identified by path, hash and size (the contract, an FX table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// One of the statement's own files, named relative to the statement's folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputFile {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

/// The earlier final statement a corrected one replaces (`run --supersede`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supersedes {
    /// The superseded statement's number.
    pub statement_number: String,
    /// SHA-256 of the superseded statement's manifest.json (which lists the
    /// hashes of its PDF and JSON).
    pub manifest_sha256: String,
    /// SHA-256 of the superseded statement.pdf as delivered (signed).
    pub statement_pdf_sha256: String,
    /// Why it was superseded, as finance gave it.
    pub reason: String,
}

#[derive(Debug, Error)]
pub enum ManifestError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("manifest field {field}: {problem} (got {value:?})")]
    Invalid { field: String, value: String, problem: String },
    #[error("manifest is not valid {MANIFEST_SCHEMA} JSON: {0}")]
    Parse(serde_json::Error),
    #[error("manifest cannot be canonicalized: {0}")]
    Canonical(serde_json::Error),
}

/// SHA-256 (lowercase hex) and size of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub sha256: String,
    pub bytes: u64,
}

impl FileDigest {
    /// `sha256 <hex>, <n> bytes`: how checks print a file's identity.
    pub fn describe(&self) -> String {
        describe(&self.sha256, self.bytes)
    }
}

fn describe(sha256: &str, bytes: u64) -> String {
    format!("sha256 {sha256}, {bytes} bytes")
}

/// SHA-256 and size of the file at `path`, read in 64 KiB pieces, never holding it whole in memory.
pub fn hash_file(path: &Path) -> Result<FileDigest, ManifestError> {
    let read_error = |source| ManifestError::Read { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(read_error)?;
    let mut hasher = Sha256::new();
    let bytes = chunks::for_each_chunk(file, |chunk| hasher.update(chunk)).map_err(read_error)?;
    Ok(FileDigest { sha256: hex::encode(hasher.finalize()), bytes })
}

/// SHA-256 (lowercase hex) and size of bytes in memory.
pub fn hash_bytes(data: &[u8]) -> FileDigest {
    FileDigest { sha256: hex::encode(Sha256::digest(data)), bytes: data.len() as u64 }
}

impl Manifest {
    /// Checks what the JSON form and the verifiers rely on: the schema,
    /// safe relative paths, 64-digit lowercase hex hashes, and sizes JSON
    /// carries exactly. (The key id is a [`KeyId`], valid by its type.)
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.schema != MANIFEST_SCHEMA {
            return Err(invalid("schema", &self.schema, format!("expected {MANIFEST_SCHEMA:?}")));
        }
        let draft_number = self.statement_number.ends_with(DRAFT_SUFFIX);
        match self.status {
            Status::Draft if !draft_number => {
                return Err(invalid(
                    "statement_number",
                    &self.statement_number,
                    format!("a draft's number ends with {DRAFT_SUFFIX}"),
                ));
            }
            Status::Final if draft_number => {
                return Err(invalid(
                    "statement_number",
                    &self.statement_number,
                    format!("only a draft's number ends with {DRAFT_SUFFIX}"),
                ));
            }
            _ => {}
        }
        for (i, input) in self.inputs.iter().enumerate() {
            let at = format!("inputs[{i}]");
            check_entry(&at, &input.path, &input.sha256, input.bytes)?;
            check_integer(&format!("{at}.rows"), input.rows)?;
        }
        check_entry("contract", &self.contract.path, &self.contract.sha256, self.contract.bytes)?;
        for (i, fx) in self.fx.iter().enumerate() {
            check_entry(&format!("fx[{i}]"), &fx.path, &fx.sha256, fx.bytes)?;
        }
        for (i, output) in self.outputs.iter().enumerate() {
            check_entry(&format!("outputs[{i}]"), &output.name, &output.sha256, output.bytes)?;
        }
        if let Some(s) = &self.supersedes {
            check_sha256("supersedes.manifest_sha256", &s.manifest_sha256)?;
            check_sha256("supersedes.statement_pdf_sha256", &s.statement_pdf_sha256)?;
        }
        Ok(())
    }

    /// The SSHSIG namespace this manifest's `manifest.json.sig` is made in:
    /// [`sshsig::NAMESPACE`] for a final statement, [`sshsig::DRAFT_NAMESPACE`] for a draft.
    pub fn sshsig_namespace(&self) -> &'static str {
        match self.status {
            Status::Final => sshsig::NAMESPACE,
            Status::Draft => sshsig::DRAFT_NAMESPACE,
        }
    }

    /// The minisign trusted comment (signed) of this manifest's signature:
    /// [`minisign::trusted_comment`], prefixed `DRAFT NOT A STATEMENT: ` for a draft.
    pub fn trusted_comment(&self) -> String {
        let comment = minisign::trusted_comment(&self.statement_number, &self.period, self.key_id);
        match self.status {
            Status::Final => comment,
            Status::Draft => format!("DRAFT NOT A STATEMENT: {comment}"),
        }
    }

    /// Reads a manifest (any JSON formatting), refusing unknown fields and
    /// anything [`Manifest::validate`] refuses.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(ManifestError::Parse)?;
        manifest.validate()?;
        Ok(manifest)
    }
}

fn invalid(field: &str, value: &str, problem: String) -> ManifestError {
    ManifestError::Invalid { field: field.to_string(), value: value.to_string(), problem }
}

fn check_entry(at: &str, path: &str, sha256: &str, bytes: u64) -> Result<(), ManifestError> {
    if let Some(problem) = relpath::problem(path) {
        return Err(invalid(&format!("{at}.path"), path, format!("{problem}; expected a relative path with /")));
    }
    check_sha256(&format!("{at}.sha256"), sha256)?;
    check_integer(&format!("{at}.bytes"), bytes)
}

fn check_sha256(field: &str, value: &str) -> Result<(), ManifestError> {
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(invalid(field, value, "expected 64 lowercase hex digits".into()))
    }
}

fn check_integer(field: &str, value: u64) -> Result<(), ManifestError> {
    if value <= MAX_EXACT_INTEGER {
        Ok(())
    } else {
        Err(invalid(field, &value.to_string(), format!("expected at most {MAX_EXACT_INTEGER}")))
    }
}

/// The manifest as RFC 8785 canonical JSON (UTF-8, no whitespace, keys
/// sorted by UTF-16 code units, ECMAScript number form): equal manifests
/// give identical bytes, whatever order the caller filled them in. Fails
/// when [`Manifest::validate`] does.
pub fn to_canonical_json(manifest: &Manifest) -> Result<Vec<u8>, ManifestError> {
    manifest.validate()?;
    serde_jcs::to_vec(manifest).map_err(ManifestError::Canonical)
}

/// True when `bytes` is a manifest written exactly as [`to_canonical_json`] writes it.
pub fn is_canonical(bytes: &[u8]) -> bool {
    Manifest::from_json(bytes).ok().and_then(|m| to_canonical_json(&m).ok()).is_some_and(|c| c == bytes)
}

/// Re-hashes every output under `statement_dir` (the folder holding
/// `statement.pdf` and `statement.json`) and compares each with the manifest.
/// One check per output, named `output`; a missing file fails naming it.
pub fn check_outputs(manifest: &Manifest, statement_dir: &Path) -> Vec<Check> {
    manifest.outputs.iter().map(|o| check_file("output", statement_dir, &o.name, &o.sha256, o.bytes)).collect()
}

/// Re-hashes every input, the contract and every FX table under `workspace`
/// and compares each with the manifest; checks named `input`, `contract`, `fx`.
pub fn check_inputs(manifest: &Manifest, workspace: &Path) -> Vec<Check> {
    let inputs = manifest.inputs.iter().map(|i| check_file("input", workspace, &i.path, &i.sha256, i.bytes));
    let contract = std::iter::once(check_file(
        "contract",
        workspace,
        &manifest.contract.path,
        &manifest.contract.sha256,
        manifest.contract.bytes,
    ));
    let fx = manifest.fx.iter().map(|f| check_file("fx", workspace, &f.path, &f.sha256, f.bytes));
    inputs.chain(contract).chain(fx).collect()
}

fn check_file(name: &str, base: &Path, path: &str, sha256: &str, bytes: u64) -> Check {
    let expected = describe(sha256, bytes);
    if let Some(problem) = relpath::problem(path) {
        return Check::fail(name, path, expected, format!("not checked: {problem}"));
    }
    match hash_file(&relpath::join(base, path)) {
        Ok(found) => Check::compare(name, path, expected, found.describe()),
        Err(ManifestError::Read { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            Check::fail(name, path, expected, "missing")
        }
        Err(ManifestError::Read { source, .. }) => Check::fail(name, path, expected, format!("unreadable: {source}")),
        Err(other) => Check::fail(name, path, expected, format!("unreadable: {other}")),
    }
}
