//! The `kpiseal-verify` binary on a signed PDF: VALID with the provider's
//! key pinned, NOT VALID naming the check when a byte changes, refused
//! (exit 2) when the path or the key cannot be used. `kpiseal verify` runs
//! the same `run`, so what holds here holds there (tests/verify.rs covers
//! folders, bags, zips and period folders through it).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use kpiseal_seal::keys::{PrivateKey, ProviderKey};
use kpiseal_seal::minisign;
use kpiseal_seal::pdf_signature::{sign_pdf, signature_reason};

fn key(seed: u8) -> ProviderKey {
    let private = PrivateKey::new(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]));
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    ProviderKey::with_new_certificate(private, "Acme Cross-Border Services Ltd", date).expect("certificate")
}

/// A one-page PDF as lopdf writes it (classic xref table).
fn unsigned_pdf() -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut document = Document::with_version("1.7");
    document.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    let pages_id = document.new_object_id();
    let content =
        document.add_object(Stream::new(dictionary! {}, b"BT /F1 12 Tf 50 800 Td (Statement) Tj ET".to_vec()));
    let font = document.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    let page = document.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
    );
    let catalog = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    document.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    document.save_to(&mut bytes).expect("PDF");
    bytes
}

/// A folder with `statement.pdf` signed by `key(1)` and the provider's
/// minisign public key.
fn signed_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let provider = key(1);
    let time = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("time");
    let reason = signature_reason("KPI-2026-10-acme-home", kpiseal_seal::manifest::Status::Final);
    let signed = sign_pdf(&unsigned_pdf(), &provider, time, &reason, "Acme").expect("sign");
    fs::write(dir.path().join("statement.pdf"), signed).expect("write PDF");
    let public = minisign::public_key_file(&provider.verifying_key());
    fs::write(dir.path().join("provider.minisign.pub"), public).expect("write key");
    fs::write(dir.path().join("other.minisign.pub"), minisign::public_key_file(&key(2).verifying_key()))
        .expect("write key");
    fs::write(dir.path().join("provider.p256.cert.pem"), provider.pades_key().certificate_pem().expect("PEM"))
        .expect("write certificate");
    dir
}

fn verify(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let Output { status, stdout, stderr } =
        Command::new(env!("CARGO_BIN_EXE_kpiseal-verify")).current_dir(dir).args(args).output().expect("runs");
    (status.code(), String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned())
}

#[test]
fn a_signed_pdf_is_valid_with_the_providers_key_pinned() {
    let dir = signed_folder();
    let (code, out, _) = verify(dir.path(), &["statement.pdf", "--key", "provider.minisign.pub"]);
    assert_eq!(code, Some(0), "{out}");
    for expected in [
        "statement.pdf (PDF)",
        "PASS  pdf-signature signature  statement.pdf  ECDSA P-256 signature verifies",
        "PASS  pdf-signature countersignature",
        "PASS  pdf-signature pinned-key",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(out.trim_end().lines().last().is_some_and(|l| l.starts_with("  VALID")), "{out}");
}

#[test]
fn a_changed_byte_is_not_valid_and_names_the_check() {
    let dir = signed_folder();
    let path = dir.path().join("statement.pdf");
    let mut bytes = fs::read(&path).expect("PDF");
    bytes[200] ^= 0x01;
    fs::write(&path, bytes).expect("write");
    let (code, out, _) = verify(dir.path(), &["statement.pdf", "--key", "provider.minisign.pub"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL  pdf-signature message-digest"), "{out}");
    assert!(out.trim_end().lines().last().is_some_and(|l| l.starts_with("  NOT VALID")), "{out}");
}

#[test]
fn another_providers_key_pinned_is_not_valid() {
    let dir = signed_folder();
    let (code, out, _) = verify(dir.path(), &["statement.pdf", "--key", "other.minisign.pub"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL  pdf-signature pinned-key"), "{out}");
}

#[test]
fn a_missing_path_or_the_pdf_signers_certificate_as_key_is_refused_with_exit_2() {
    let dir = signed_folder();
    let (code, out, err) = verify(dir.path(), &["nowhere.pdf"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.contains("REFUSED"), "{out}");
    let (code, _, err) = verify(dir.path(), &["statement.pdf", "--key", "provider.p256.cert.pem"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the PDF signer's certificate"), "{err}");
}
