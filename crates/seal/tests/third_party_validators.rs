//! pyHanko and qpdf, run for real on a PDF these tests sign: what a seller
//! or an arbitrator would use instead of kpiseal.

mod common;

use std::fs;
use std::path::Path;

use chrono::{TimeZone, Utc};
use common::{key_from_seed, output_text, run_tool, test_key, test_pdf};
use kpiseal_seal::keys::ProviderKey;
use kpiseal_seal::pdf_signature::sign_pdf;

const PYHANKO_HINT: &str = "pip install pyhanko pyhanko-cli";

/// Signs a fresh test PDF and writes it with `key`'s certificate into `dir`.
fn signed_files(dir: &Path) -> (String, String) {
    let time = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).single().expect("valid time");
    let signed = sign_pdf(&test_pdf(2), &test_key(), time, "Month-end statement 2026-10", "São Paulo").expect("sign");
    let pdf = dir.join("statement.pdf");
    fs::write(&pdf, signed).expect("write PDF");
    (pdf.to_str().expect("utf-8").to_owned(), write_certificate(dir, "provider.cert.pem", &test_key()))
}

fn write_certificate(dir: &Path, name: &str, key: &ProviderKey) -> String {
    let path = dir.join(name);
    fs::write(&path, key.certificate().to_pem().expect("PEM")).expect("write certificate");
    path.to_str().expect("utf-8").to_owned()
}

/// `pyhanko sign validate`, trusting only `certificate`.
fn pyhanko_validate(certificate: &str, pdf: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["sign", "validate", "--trust-replace", "--trust", certificate];
    args.extend_from_slice(extra);
    args.push(pdf);
    run_tool("pyhanko", &args, None, PYHANKO_HINT)
}

#[test]
fn pyhanko_reports_the_signature_intact_trusted_and_covering_the_whole_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (pdf, certificate) = signed_files(dir.path());
    let output = pyhanko_validate(&certificate, &pdf, &[]);
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    // One line per signature: `<field>:<cert sha256>:INTACT:TRUSTED,UNTOUCHED`.
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.trim().starts_with("Signature1:") && summary.trim().ends_with(":INTACT:TRUSTED,UNTOUCHED"),
        "{text}"
    );

    let output = pyhanko_validate(&certificate, &pdf, &["--pretty-print"]);
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    for expected in [
        "The signature is cryptographically sound.",
        "The digest algorithm used was 'sha512'.",
        "The signature mechanism used was 'ed25519'.",
        "Signing time as reported by signer: 2026-11-01T08:00:00+00:00",
        "The signature covers the entire file.",
        "The signature is judged VALID.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn pyhanko_rejects_a_file_with_one_changed_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (pdf, certificate) = signed_files(dir.path());
    let mut bytes = fs::read(&pdf).expect("read");
    bytes[600] ^= 0x01;
    fs::write(&pdf, bytes).expect("write");
    let output = pyhanko_validate(&certificate, &pdf, &[]);
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(String::from_utf8_lossy(&output.stdout).contains(":INVALID"), "{text}");
}

#[test]
fn pyhanko_does_not_trust_the_signature_under_another_providers_certificate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (pdf, _certificate) = signed_files(dir.path());
    let other = write_certificate(dir.path(), "other.cert.pem", &key_from_seed(5));
    let output = pyhanko_validate(&other, &pdf, &[]);
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(String::from_utf8_lossy(&output.stdout).contains(":INTACT:UNTRUSTED"), "{text}");
}

#[test]
fn qpdf_check_finds_no_errors_in_the_signed_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (pdf, _certificate) = signed_files(dir.path());
    let output = run_tool("qpdf", &["--check", &pdf], None, "Debian package qpdf");
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("No syntax or stream encoding errors found"), "{text}");
    assert!(text.contains("PDF Version: 2.0"), "{text}");
}
