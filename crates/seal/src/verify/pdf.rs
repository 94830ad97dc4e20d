//! A statement PDF: its embedded signature, on its own or as one of a
//! statement's files.

use std::path::Path;

use ed25519_dalek::VerifyingKey;

use super::limits::MAX_PARSED_FILE;
use super::tree::{digest, open_regular};
use super::{FileSeen, KeyUsed, Kind, Options, Verification};
use crate::check::Check;
use crate::manifest::{Manifest, Status};
use crate::pdf_signature::{parse_reason, signature_reason, verify_pdf};

/// The PDF at `path`, on its own: its bytes' SHA-256 and its embedded
/// signature. Nothing beside it is read: tying it to a statement number
/// needs the statement's manifest (verify the folder, bag or zip).
///
/// # Errors
/// Why the file could not be read (over [`MAX_PARSED_FILE`], unreadable).
pub(crate) fn verify_pdf_file(path: &Path, options: &Options<'_>) -> Result<Verification, String> {
    let (file, _) = open_regular(path).map_err(|e| e.to_string())?;
    let (contents, bytes) = digest(file, true, MAX_PARSED_FILE).map_err(|e| e.to_string())?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let mut v = Verification::new(path, Kind::Pdf);
    v.files.push(FileSeen { path: name.clone(), sha256: contents.sha256.clone(), bytes });
    let data = contents.data.unwrap_or_default();
    if let Some(key) = options.key {
        v.key = KeyUsed::Pinned(key.key_id);
    }
    pdf_checks(&mut v, &name, &data, options.key.map(|k| &k.verifying_key), None);
    Ok(v)
}

/// The checks of the PDF signature in `pdf` (shown as `shown`), with the
/// key the signer must have when one is known (pinned, or the manifest's
/// signer). With the statement's `manifest`, the signature's `/Reason`
/// must name that statement; without, it says final or draft on its own.
pub(crate) fn pdf_checks(
    v: &mut Verification,
    shown: &str,
    pdf: &[u8],
    signer: Option<&VerifyingKey>,
    manifest: Option<&Manifest>,
) {
    let report = match verify_pdf(pdf, signer) {
        Ok(report) => report,
        Err(e) => {
            v.checks.push(Check::fail("pdf-signature", shown, "an embedded signature", e.to_string()));
            return;
        }
    };
    if v.key == KeyUsed::Unknown
        && let Some(key_id) = report.key_id
    {
        v.key = KeyUsed::Embedded(key_id);
    }
    for c in &report.checks {
        let name = if c.name == "pinned-key" && manifest.is_some() {
            "pdf-signature same-key-as-manifest".to_string()
        } else {
            format!("pdf-signature {}", c.name)
        };
        v.checks.push(if c.passed {
            Check::pass(name, shown, &c.detail)
        } else {
            Check::fail(name, shown, "valid", &c.detail)
        });
    }
    let said = report.reason.as_deref().and_then(parse_reason);
    match manifest {
        Some(m) => {
            let expected = signature_reason(&m.statement_number, m.status);
            let found = report.reason.clone().unwrap_or_else(|| "no readable /Reason".into());
            v.checks.push(Check::compare("pdf-signature reason", shown, expected, found));
        }
        None => match said {
            Some((status, number)) => {
                let what = match status {
                    Status::Final => format!("names final statement {number}"),
                    Status::Draft => format!("names draft {number}: not a statement"),
                };
                v.checks.push(Check::pass("pdf-signature reason", shown, what));
                v.status = Some(status);
            }
            None => v.checks.push(Check::fail(
                "pdf-signature reason",
                shown,
                "kpiseal statement <number> or kpiseal draft <number>",
                report.reason.unwrap_or_else(|| "no readable /Reason".into()),
            )),
        },
    }
}
