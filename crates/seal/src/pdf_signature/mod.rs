//! The PDF's embedded signature: a CAdES-detached CMS SignedData by the
//! provider's P-256 key (which PDF viewers check) carrying a countersignature
//! by its Ed25519 key (which sellers pin), added to the rendered statement
//! as an incremental update, and the check of such a signature.
//!
//! Signing is deterministic: the same PDF, key, time, reason and location
//! give the same bytes. The signature dictionary carries the signing time
//! in `/M` only; the CMS has no signing-time attribute (PAdES baseline
//! signatures keep the claimed time in the dictionary).

mod cms_signature;
mod incremental_update;
mod pdf_syntax;
mod signature_location;

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;

use crate::keys::{KeyId, ProviderKey};
use crate::manifest::Status;
pub use incremental_update::CONTENTS_HEX_DIGITS;
use incremental_update::SignatureFields;

/// Why a PDF could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the PDF to sign cannot be read: {reason}")]
    NotAPdf { reason: String },
    #[error("the PDF to sign is {what}, which kpiseal cannot sign")]
    Unsupported { what: &'static str },
    #[error("the CMS signature is {bytes} bytes, more than the {reserved} bytes reserved in /Contents")]
    SignatureTooLarge { bytes: usize, reserved: usize },
    #[error("cannot encode the CMS signature: {0}")]
    Encode(#[from] der::Error),
}

/// Signs `pdf` with `key`: appends an incremental update (the input stays a
/// byte-exact prefix of the result) that adds an invisible signature field
/// on page 1, `/AcroForm /SigFlags 3` on the catalog, and a signature
/// dictionary (`/Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached`,
/// `/M` = `signing_time`, `/Reason`, `/Location`) whose `/Contents` holds a
/// CMS SignedData over the SHA-256 of every byte but `/Contents` itself,
/// signed with the key's P-256 half and countersigned with its Ed25519 key.
/// The input must have a classic xref table and no encryption.
pub fn sign_pdf(
    pdf: &[u8],
    key: &ProviderKey,
    signing_time: DateTime<Utc>,
    reason: &str,
    location: &str,
) -> Result<Vec<u8>, SealError> {
    let mut prepared = incremental_update::prepare(pdf, &SignatureFields { signing_time, reason, location })?;
    let cms = cms_signature::sign_detached(prepared.signed_ranges(), key)?;
    prepared.insert_signature(&cms)?;
    Ok(prepared.bytes)
}

/// The `/Reason` of a statement's signature: `kpiseal statement <number>`
/// for a final statement, `kpiseal draft <number>: not a statement` for a
/// draft. It is inside the signed bytes, so a PDF on its own says which.
pub fn signature_reason(statement_number: &str, status: Status) -> String {
    match status {
        Status::Final => format!("kpiseal statement {statement_number}"),
        Status::Draft => format!("kpiseal draft {statement_number}: not a statement"),
    }
}

/// What a `/Reason` written by [`signature_reason`] says: the status and
/// the statement number; `None` for any other reason.
pub fn parse_reason(reason: &str) -> Option<(Status, String)> {
    if let Some(rest) = reason.strip_prefix("kpiseal draft ") {
        let number = rest.strip_suffix(": not a statement")?;
        return (!number.is_empty() && !number.contains(' ')).then(|| (Status::Draft, number.to_string()));
    }
    let number = reason.strip_prefix("kpiseal statement ")?;
    (!number.is_empty() && !number.contains(' ')).then(|| (Status::Final, number.to_string()))
}

/// The checks [`verify_pdf`] makes once the `/ByteRange` is usable, in order
/// (all reported as not checked when it is not).
const CHECKS_AFTER_BYTE_RANGE: [&str; 7] = [
    "contents-encoding",
    "cms-structure",
    "message-digest",
    "signature",
    "signing-certificate",
    "countersignature",
    "countersigning-certificate",
];

/// Why a PDF's signature could not be checked at all (as opposed to being
/// checked and found invalid, which [`PdfSignatureReport`] says).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PdfVerifyError {
    #[error("the file has no PDF signature (no /ByteRange)")]
    NoSignature,
}

/// One check made on a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfCheck {
    /// A short stable name, e.g. `byte-range`.
    pub name: &'static str,
    pub passed: bool,
    /// What was found; for a failure, what was wrong.
    pub detail: String,
}

/// What [`verify_pdf`] found about the last signature in a PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfSignatureReport {
    /// The key id of the signer's certificate, when one was found.
    pub key_id: Option<KeyId>,
    /// The certificate subject, e.g. `CN=Acme,O=Acme`.
    pub signer: Option<String>,
    /// The claimed signing time (`/M`), when readable.
    pub signing_time: Option<DateTime<Utc>>,
    /// The signature's `/Reason`, when readable.
    pub reason: Option<String>,
    /// True only when a trusted key was given and the signer's key is that
    /// key. Without one, a valid signature proves integrity, not who signed.
    pub signer_pinned: bool,
    /// Every check, in order: `header`, `byte-range`, `contents-encoding`, `cms-structure`,
    /// `message-digest`, `signature`, `signing-certificate`, and
    /// `pinned-key` when a trusted key was given.
    pub checks: Vec<PdfCheck>,
}

impl PdfSignatureReport {
    /// True when every check passed.
    pub fn is_valid(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &PdfCheck> {
        self.checks.iter().filter(|check| !check.passed)
    }
}

/// Checks the last signature in `pdf`: that its `/ByteRange` covers the
/// whole file except exactly the `/Contents` hex string, that the CMS is a
/// detached SHA-512/Ed25519 SignedData whose message-digest is the digest
/// of those ranges, that the Ed25519 signature over the signed attributes
/// verifies with the embedded certificate's key, that the ESS
/// signing-certificate-v2 names that certificate, and, with `trusted`, that
/// the certificate's key is `trusted`. Never panics, whatever the input.
pub fn verify_pdf(pdf: &[u8], trusted: Option<&VerifyingKey>) -> Result<PdfSignatureReport, PdfVerifyError> {
    let located = signature_location::last_signature(pdf).ok_or(PdfVerifyError::NoSignature)?;
    let mut report = PdfSignatureReport {
        key_id: None,
        signer: None,
        signing_time: None,
        reason: None,
        signer_pinned: false,
        checks: Vec::new(),
    };
    report.push(
        "header",
        if pdf.starts_with(b"%PDF-") {
            Ok("the file begins with %PDF-".into())
        } else {
            Err("the file does not begin with %PDF-".into())
        },
    );
    let gap = located.and_then(|found| {
        report.signing_time = signature_location::signing_time(pdf, found.key_at);
        report.reason = signature_location::reason(pdf, found.key_at);
        signature_location::excluded_contents(pdf, found.byte_range)
    });
    let (gap_start, gap_end) = match gap {
        Ok(gap) => gap,
        Err(reason) => {
            report.push("byte-range", Err(reason));
            let not_checked = || Err("not checked: no usable /ByteRange".to_owned());
            for name in CHECKS_AFTER_BYTE_RANGE {
                report.push(name, not_checked());
            }
            if trusted.is_some() {
                report.push("pinned-key", not_checked());
            }
            return Ok(report);
        }
    };
    report.push("byte-range", Ok(format!("covers the whole file except /Contents (bytes {gap_start}..{gap_end})")));

    // The gap is `<hex>` with an even number of hex digits, checked above.
    let hex_digits = &pdf[gap_start + 1..gap_end - 1];
    let cms_bytes = hex::decode(hex_digits).unwrap_or_default();
    report.push("contents-encoding", canonical_contents(hex_digits, &cms_bytes));
    let findings = cms_signature::verify_detached(&cms_bytes, [&pdf[..gap_start], &pdf[gap_end..]]);
    report.push(
        "cms-structure",
        findings.structure.map(|()| {
            "CAdES detached SignedData: ECDSA P-256 with SHA-256, countersigned with Ed25519 over SHA-512".into()
        }),
    );
    report.push("message-digest", findings.message_digest.map(|()| "matches the SHA-256 of the signed ranges".into()));
    report.push("signature", findings.signature.map(|()| "ECDSA P-256 signature verifies".into()));
    report.push(
        "signing-certificate",
        findings.signing_certificate.map(|()| "names the embedded P-256 certificate".into()),
    );
    report.push(
        "countersignature",
        findings.countersignature.map(|()| "Ed25519 countersignature over the ECDSA signature verifies".into()),
    );
    report.push(
        "countersigning-certificate",
        findings
            .countersigning_certificate
            .map(|()| "names the Ed25519 certificate and the P-256 certificate that signed, one subject".into()),
    );
    if let Some((certificate, key)) = &findings.signer {
        report.key_id = Some(KeyId::of(key));
        report.signer = Some(certificate.tbs_certificate.subject.to_string());
    }
    if let Some(trusted) = trusted {
        let pinned = match &findings.signer {
            Some((_, key)) if key == trusted => Ok(format!("signer key {} is the trusted key", KeyId::of(key))),
            Some((_, key)) => {
                Err(format!("signer key {} is not the trusted key {}", KeyId::of(key), KeyId::of(trusted)))
            }
            None => Err("no signer certificate to compare with the trusted key".into()),
        };
        report.signer_pinned = pinned.is_ok() && report.is_valid();
        report.push("pinned-key", pinned);
    }
    Ok(report)
}

/// `/Contents` must be written exactly as [`sign_pdf`] writes it: the DER
/// signature in uppercase hex, then zeros to the reserved width. Any other
/// spelling decodes to the same signature but gives the file another
/// SHA-256, so it is refused.
fn canonical_contents(hex_digits: &[u8], decoded: &[u8]) -> Result<String, String> {
    let der_len = der_length(decoded).ok_or("the signature in /Contents is not one DER value")?;
    let expected_hex = hex::encode_upper(&decoded[..der_len]);
    let canonical = hex_digits.len() == CONTENTS_HEX_DIGITS
        && hex_digits.starts_with(expected_hex.as_bytes())
        && hex_digits[expected_hex.len()..].iter().all(|&b| b == b'0');
    if canonical {
        Ok(format!("{der_len}-byte signature in uppercase hex, zero-padded to {CONTENTS_HEX_DIGITS} digits"))
    } else {
        Err(format!(
            "/Contents is not written as kpiseal writes it (uppercase hex, zero-padded to {CONTENTS_HEX_DIGITS} \
             digits): the same signature spelled differently makes another file"
        ))
    }
}

/// The length of the DER value (tag, length, contents) at the start of `bytes`.
fn der_length(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.get(1)?;
    let (header, len) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let len = bytes.get(2..2 + count)?.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (2 + count, len)
    };
    let total = header.checked_add(len)?;
    (total <= bytes.len()).then_some(total)
}

impl PdfSignatureReport {
    fn push(&mut self, name: &'static str, outcome: Result<String, String>) {
        let (passed, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        self.checks.push(PdfCheck { name, passed, detail });
    }
}
