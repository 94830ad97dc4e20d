//! A seller's sealed file set, made from the [`Statement`], its JSON, its
//! rendered PDF and the provider key (README, "Output layout"):
//!
//! ```text
//! statement.pdf            the rendered PDF with its embedded signature (incremental update)
//! statement.json           the statement's data, as attached to the PDF
//! provenance.csv           which input lines make each figure, and which were left out and why
//! manifest.json            RFC 8785: inputs, outputs, figures, key id
//! manifest.json.minisig    minisign signature of manifest.json
//! manifest.json.sig        SSHSIG of manifest.json, namespace kpiseal-manifest@v1
//! provider.minisign.pub    the public key for minisign
//! provider.ssh.pub         the public key as an OpenSSH line
//! allowed_signers          the line ssh-keygen -Y verify -f takes
//! provider.cert.pem        the Ed25519 key's self-signed certificate
//! provider.p256.cert.pem   the P-256 key's certificate, the PDF signer's (pyhanko --trust)
//! evidence/                BagIt bag: data/ holds all of the above (and inputs/ on request)
//! evidence.zip             reproducible zip of evidence/
//! ```
//!
//! [`seal`] makes the files in memory; [`write_sealed`] writes them, the bag
//! and the zip into a folder without fsync (the caller makes the folder
//! durable once, see `output::write_tree_atomically`). Nothing reads the
//! clock: the signing time and the Bagging-Date are the issue date, so the
//! same statement, key and binary give byte-identical files.

use std::path::Path;

use chrono::NaiveTime;
use kpiseal_seal::bag::{BagError, BagInfo, Durability, PayloadFile, write_bag, write_zip};
use kpiseal_seal::keys::{KeyError, ProviderKey};
use kpiseal_seal::manifest::{
    self, Figures, FileEntry, InputFile, MANIFEST_SCHEMA, Manifest, ManifestError, OutputFile, Provider, Seller,
    Status, Tool,
};
use kpiseal_seal::minisign::{self, MinisignError};
use kpiseal_seal::pdf_signature::{SealError, sign_pdf, signature_reason};
use kpiseal_seal::sshsig::{self, SshsigError};

use crate::ingest::Format;
use crate::statement::{InputRecord, Statement};

/// The file names of a statement folder: one list, shared with `kpiseal
/// verify`, which checks that a folder holds exactly these.
pub use kpiseal_seal::verify::{
    ALLOWED_SIGNERS, BAG_INPUTS, CERTIFICATE, DELIVERED_PUBLIC_KEY as MINISIGN_PUBLIC_KEY, EVIDENCE_BAG, EVIDENCE_ZIP,
    MANIFEST as MANIFEST_JSON, MANIFEST_MINISIG, MANIFEST_SSHSIG, PADES_CERTIFICATE, PROVENANCE as PROVENANCE_CSV,
    SSH_PUBLIC_KEY, STATEMENT_JSON, STATEMENT_PDF,
};
pub use kpiseal_seal::verify_page::{VERIFY_PAGE, verify_page};

/// Why a statement could not be sealed; each names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum SealingError {
    #[error("statement.json names key {statement}, but the run signs with key {key}")]
    KeyMismatch { statement: String, key: String },
    #[error("provenance.csv: the statement has no provenance table (it was read back, not computed)")]
    NoProvenance,
    #[error("statement.pdf: cannot sign: {0}")]
    SignPdf(#[from] SealError),
    #[error("manifest.json: {0}")]
    Manifest(#[from] ManifestError),
    #[error("manifest.json: the statement lists {count} contract inputs, expected exactly 1")]
    Contract { count: usize },
    #[error("manifest.json.minisig: {0}")]
    Minisign(#[from] MinisignError),
    #[error("manifest.json.sig: {0}")]
    Sshsig(#[from] SshsigError),
    #[error("provider.cert.pem: {0}")]
    Certificate(#[from] KeyError),
    #[error("evidence: {0}")]
    Bag(#[from] BagError),
    #[error(
        "{path}: changed while the run read it: the statement lists sha256 {expected}, \
         the copy in the evidence bag is sha256 {found}; re-run"
    )]
    InputChanged { path: String, expected: String, found: String },
    #[error("evidence/data/{BAG_INPUTS}/{path}: cannot re-hash the copied input: {source}")]
    InputCopy { path: String, source: ManifestError },
    #[error("{path}: cannot write: {source}")]
    Write { path: String, source: std::io::Error },
}

/// The sealed files of one statement, in memory: every file of the seller's
/// folder except the bag and its zip, in [`SealedFiles::files`] order.
#[derive(Debug, Clone)]
pub struct SealedFiles {
    /// (file name, bytes): statement.pdf (signed), statement.json,
    /// provenance.csv, manifest.json, its two
    /// signatures, the five public key files and the verifier page.
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// The manifest as signed.
    pub manifest: Manifest,
}

impl SealedFiles {
    /// The bytes of the file called `name`, if it is one of the sealed files.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.iter().find(|(n, _)| *n == name).map(|(_, b)| b.as_slice())
    }
}

/// Signs the rendered `pdf` (signing time = the issue date at 00:00 UTC,
/// reason [`signature_reason`], location = the provider's name), writes
/// the manifest of `statement`'s inputs, of the signed PDF, `json`, the
/// provenance table, the five public key
/// files and the offline verifier page (unpinned: a key pinned by a page
/// delivered with the files would prove nothing), signs it with minisign
/// and SSHSIG, and adds the provenance table, the public key files and
/// the page. A draft
/// (`status`) is signed as one: its number ends
/// in `-DRAFT`, its SSHSIG namespace, trusted comment, `allowed_signers`
/// line and PDF reason say draft, so that it never verifies as a statement.
/// Deterministic: the same arguments give the same bytes.
///
/// # Errors
/// [`SealingError::KeyMismatch`] when the statement names another key than
/// `key`; [`SealingError::NoProvenance`] for a statement without its
/// provenance table; [`SealingError::Manifest`] when the statement number does not
/// match `status`; otherwise whichever signing or encoding step failed.
pub fn seal(
    statement: &Statement,
    json: &[u8],
    pdf: &[u8],
    key: &ProviderKey,
    status: Status,
) -> Result<SealedFiles, SealingError> {
    let key_id = key.key_id();
    if statement.signing.key_id != key_id.to_string() {
        return Err(SealingError::KeyMismatch { statement: statement.signing.key_id.clone(), key: key_id.to_string() });
    }
    let provenance = statement.provenance.as_ref().ok_or(SealingError::NoProvenance)?.csv();
    let signing_time = statement.issue_date.and_time(NaiveTime::MIN).and_utc();
    let reason = signature_reason(&statement.statement_number, status);
    let signed_pdf = sign_pdf(pdf, key, signing_time, &reason, &statement.provider.name)?;
    let public = key.verifying_key();
    let line = |text: String| format!("{text}\n").into_bytes();
    let namespace = match status {
        Status::Final => sshsig::NAMESPACE,
        Status::Draft => sshsig::DRAFT_NAMESPACE,
    };
    let key_files = [
        (MINISIGN_PUBLIC_KEY, minisign::public_key_file(&public).into_bytes()),
        (SSH_PUBLIC_KEY, line(sshsig::openssh_public_key_line(&public))),
        (ALLOWED_SIGNERS, line(sshsig::allowed_signers_line_in(&public, namespace))),
        (CERTIFICATE, key.certificate().to_pem()?.into_bytes()),
        (PADES_CERTIFICATE, key.pades_key().certificate_pem()?.into_bytes()),
        (VERIFY_PAGE, verify_page(None).into_bytes()),
    ];
    let mut outputs = vec![
        output_entry(STATEMENT_PDF, &signed_pdf),
        output_entry(STATEMENT_JSON, json),
        output_entry(PROVENANCE_CSV, provenance),
    ];
    outputs.extend(key_files.iter().map(|(name, bytes)| output_entry(name, bytes)));
    let manifest = manifest_of(statement, key, status, outputs)?;
    let manifest_json = manifest::to_canonical_json(&manifest)?;
    let minisig = minisign::sign(key.private_key(), &manifest_json, &manifest.trusted_comment())?;
    let sshsig = sshsig::sign_in(key.private_key(), &manifest_json, manifest.sshsig_namespace())?;
    let mut files =
        vec![(STATEMENT_PDF, signed_pdf), (STATEMENT_JSON, json.to_vec()), (PROVENANCE_CSV, provenance.to_vec())];
    files.extend([
        (MANIFEST_JSON, manifest_json),
        (MANIFEST_MINISIG, minisig.into_bytes()),
        (MANIFEST_SSHSIG, sshsig.into_bytes()),
    ]);
    files.extend(key_files);
    Ok(SealedFiles { files, manifest })
}

fn output_entry(name: &str, bytes: &[u8]) -> OutputFile {
    let digest = manifest::hash_bytes(bytes);
    OutputFile { name: name.to_string(), sha256: digest.sha256, bytes: digest.bytes }
}

/// The evidence manifest of `statement`: its status and provider, every
/// input record (the contract and FX tables also in their own fields),
/// `outputs`, the amount due, the tool and the key id.
///
/// # Errors
/// [`SealingError::Contract`] unless exactly one input is the contract.
pub fn manifest_of(
    statement: &Statement,
    key: &ProviderKey,
    status: Status,
    outputs: Vec<OutputFile>,
) -> Result<Manifest, SealingError> {
    let entry = |r: &InputRecord| FileEntry { path: r.path.clone(), sha256: r.sha256.clone(), bytes: r.bytes };
    let contracts: Vec<&InputRecord> = statement.inputs.iter().filter(|r| r.format == Format::Contract).collect();
    let [contract] = contracts.as_slice() else {
        return Err(SealingError::Contract { count: contracts.len() });
    };
    Ok(Manifest {
        schema: MANIFEST_SCHEMA.to_string(),
        status,
        provider: Provider { name: statement.provider.name.clone(), legal_name: statement.provider.legal_name.clone() },
        seller: Seller { id: statement.seller.id.clone(), legal_name: statement.seller.legal_name.clone() },
        period: statement.period.id.to_string(),
        statement_number: statement.statement_number.clone(),
        issue_date: statement.issue_date.to_string(),
        tool: Tool { name: statement.generator.name.clone(), version: statement.generator.version.clone() },
        key_id: key.key_id(),
        figures: Figures {
            amount_due: statement.totals.amount_due.to_string(),
            currency: statement.totals.currency.code().to_string(),
        },
        inputs: statement
            .inputs
            .iter()
            .map(|r| InputFile {
                path: r.path.clone(),
                sha256: r.sha256.clone(),
                bytes: r.bytes,
                format: r.format.id().to_string(),
                rows: r.rows as u64,
            })
            .collect(),
        contract: entry(contract),
        fx: statement
            .inputs
            .iter()
            .filter(|r| matches!(r.format, Format::FxTable | Format::FxPtax))
            .map(entry)
            .collect(),
        outputs,
        supersedes: statement.supersedes.clone(),
    })
}

/// Writes `sealed`'s files into `dir` (an existing folder), then the BagIt
/// bag `evidence/` holding them under `data/` as hard links to those files
/// (one copy on disk; a copy where the filesystem has no hard links) and,
/// when `inputs_from` is the workspace root, a copy of every input under
/// `data/inputs/<path>`, each checked against the hash the statement
/// lists; then `evidence.zip`. Bagging-Date and zip times are the issue
/// date. Nothing is fsynced here.
///
/// # Errors
/// [`SealingError::Write`] or [`SealingError::Bag`] naming the path;
/// [`SealingError::InputChanged`] when an input's copy differs from what
/// the statement was computed from.
pub fn write_sealed(
    dir: &Path,
    statement: &Statement,
    sealed: &SealedFiles,
    inputs_from: Option<&Path>,
) -> Result<(), SealingError> {
    for (name, bytes) in &sealed.files {
        let path = dir.join(name);
        std::fs::write(&path, bytes)
            .map_err(|source| SealingError::Write { path: path.display().to_string(), source })?;
    }
    let input_names: Vec<(String, std::path::PathBuf)> = match inputs_from {
        Some(root) => {
            statement.inputs.iter().map(|r| (format!("{BAG_INPUTS}/{}", r.path), root.join(&r.path))).collect()
        }
        None => Vec::new(),
    };
    let paths: Vec<std::path::PathBuf> = sealed.files.iter().map(|(name, _)| dir.join(name)).collect();
    let mut payload: Vec<PayloadFile<'_>> =
        sealed.files.iter().zip(&paths).map(|((name, bytes), path)| PayloadFile::linked(name, bytes, path)).collect();
    payload.extend(input_names.iter().map(|(name, path)| PayloadFile::file(name, path)));
    let info = BagInfo {
        source_organization: statement.provider.legal_name.clone(),
        external_identifier: statement.statement_number.clone(),
        bagging_date: statement.issue_date.to_string(),
        software_agent: format!("{} {}", statement.generator.name, statement.generator.version),
    };
    let bag = dir.join(EVIDENCE_BAG);
    write_bag(&bag, &payload, &info, Durability::NoFsync)?;
    for (record, (name, _)) in statement.inputs.iter().zip(&input_names) {
        let copied = manifest::hash_file(&bag.join("data").join(name))
            .map_err(|source| SealingError::InputCopy { path: record.path.clone(), source })?;
        if copied.sha256 != record.sha256 {
            return Err(SealingError::InputChanged {
                path: record.path.clone(),
                expected: record.sha256.clone(),
                found: copied.sha256,
            });
        }
    }
    write_zip(&bag, &dir.join(EVIDENCE_ZIP), Durability::NoFsync)?;
    Ok(())
}
