//! The embedded PDF signature: it verifies, pins the signer, is
//! deterministic, leaves the original as a prefix, and any change fails it.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::{key_from_seed, test_key, test_pdf};
use kpiseal_seal::pdf_signature::{PdfSignatureReport, PdfVerifyError, SealError, sign_pdf, verify_pdf};
use proptest::prelude::*;
use std::sync::LazyLock;

fn signing_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).single().expect("valid time")
}

fn sign(pdf: &[u8]) -> Vec<u8> {
    sign_pdf(pdf, &test_key(), signing_time(), "Month-end statement 2026-10", "São Paulo").expect("sign")
}

static ORIGINAL: LazyLock<Vec<u8>> = LazyLock::new(|| test_pdf(1));
static SIGNED: LazyLock<Vec<u8>> = LazyLock::new(|| sign(&ORIGINAL));
static GAP: LazyLock<(usize, usize)> = LazyLock::new(|| contents_gap(&SIGNED));

/// The offsets of the `/Contents` hex string of the (only) signature.
fn contents_gap(signed: &[u8]) -> (usize, usize) {
    let report = verify_pdf(signed, None).expect("signature");
    let detail = &named(&report, "byte-range").detail;
    let range = detail.rsplit("bytes ").next().expect("offsets").trim_end_matches(')');
    let (start, end) = range.split_once("..").expect("start..end");
    (start.parse().expect("start"), end.parse().expect("end"))
}

/// The check called `name`.
fn named<'r>(report: &'r PdfSignatureReport, name: &str) -> &'r kpiseal_seal::pdf_signature::PdfCheck {
    report.checks.iter().find(|check| check.name == name).expect("a check of that name")
}

fn failed_checks(report: &PdfSignatureReport) -> Vec<&'static str> {
    report.failures().map(|check| check.name).collect()
}

#[test]
fn signed_pdf_verifies_pinned_to_the_signing_key() {
    let key = test_key();
    let report = verify_pdf(&SIGNED, Some(&key.verifying_key())).expect("signature found");
    assert!(report.is_valid(), "{report:#?}");
    assert!(report.signer_pinned);
    assert_eq!(report.key_id, Some(key.key_id()));
    assert_eq!(report.signing_time, Some(signing_time()));
    assert_eq!(report.signer.as_deref(), Some("CN=Acme Cross-Border Services Ltd,O=Acme Cross-Border Services Ltd"));
    let names: Vec<_> = report.checks.iter().map(|check| check.name).collect();
    assert_eq!(
        names,
        [
            "header",
            "byte-range",
            "contents-encoding",
            "cms-structure",
            "message-digest",
            "signature",
            "signing-certificate",
            "countersignature",
            "countersigning-certificate",
            "pinned-key"
        ]
    );
}

#[test]
fn without_a_trusted_key_the_signature_is_valid_but_unpinned() {
    let report = verify_pdf(&SIGNED, None).expect("signature found");
    assert!(report.is_valid(), "{report:#?}");
    assert!(!report.signer_pinned);
    assert!(report.checks.iter().all(|check| check.name != "pinned-key"));
}

#[test]
fn wrong_pinned_key_fails_naming_both_keys() {
    let other = key_from_seed(9);
    let report = verify_pdf(&SIGNED, Some(&other.verifying_key())).expect("signature found");
    assert!(!report.is_valid());
    assert!(!report.signer_pinned);
    assert_eq!(failed_checks(&report), ["pinned-key"]);
    let detail = &named(&report, "pinned-key").detail;
    assert!(
        detail.contains(&test_key().key_id().to_string()) && detail.contains(&other.key_id().to_string()),
        "{detail}"
    );
}

#[test]
fn original_bytes_are_a_prefix_of_the_signed_file() {
    assert!(SIGNED.starts_with(&ORIGINAL));
    assert!(SIGNED.len() > ORIGINAL.len());
    assert!(SIGNED.ends_with(b"%%EOF\n"));
}

#[test]
fn signing_twice_is_byte_identical() {
    assert_eq!(sign(&ORIGINAL), *SIGNED);
}

#[test]
fn signed_file_reads_back_with_lopdf_with_an_invisible_signature_field() {
    let document = lopdf::Document::load_mem(&SIGNED).expect("lopdf reads the signed file");
    let catalog = document.catalog().expect("catalog");
    let form = catalog.get(b"AcroForm").and_then(lopdf::Object::as_dict).expect("AcroForm");
    assert_eq!(form.get(b"SigFlags").and_then(lopdf::Object::as_i64).ok(), Some(3));
    let field_id =
        form.get(b"Fields").and_then(lopdf::Object::as_array).expect("Fields")[0].as_reference().expect("ref");
    let field = document.get_dictionary(field_id).expect("field");
    assert_eq!(field.get(b"FT").and_then(lopdf::Object::as_name).ok(), Some(&b"Sig"[..]));
    assert_eq!(field.get(b"F").and_then(lopdf::Object::as_i64).ok(), Some(132));
    let page_id = document.page_iter().next().expect("page 1");
    let annotations = document.get_dictionary(page_id).and_then(|page| page.get(b"Annots")).expect("Annots");
    assert_eq!(annotations.as_array().expect("array"), &vec![lopdf::Object::Reference(field_id)]);
    let signature = field.get(b"V").and_then(lopdf::Object::as_reference).expect("V");
    let signature = document.get_dictionary(signature).expect("signature dictionary");
    assert_eq!(signature.get(b"SubFilter").and_then(lopdf::Object::as_name).ok(), Some(&b"ETSI.CAdES.detached"[..]));
}

#[test]
fn signing_a_signed_pdf_again_adds_a_second_signature_that_verifies() {
    let twice = sign_pdf(&SIGNED, &key_from_seed(4), signing_time(), "Countersigned", "Shenzhen").expect("sign again");
    assert!(twice.starts_with(&SIGNED));
    let report = verify_pdf(&twice, Some(&key_from_seed(4).verifying_key())).expect("signature");
    assert!(report.is_valid(), "{report:#?}");
    assert_eq!(report.key_id, Some(key_from_seed(4).key_id()));
}

#[test]
fn bytes_appended_after_the_signature_fail_the_byte_range_check() {
    let mut extended = SIGNED.clone();
    extended.extend_from_slice(b"1 0 obj\n(changed)\nendobj\n");
    let report = verify_pdf(&extended, None).expect("signature found");
    assert_eq!(failed_checks(&report)[0], "byte-range");
    assert!(named(&report, "byte-range").detail.contains("not covered"), "{:?}", report.checks);
}

#[test]
fn truncated_file_fails() {
    for cut in [1, 10, 100, SIGNED.len() - ORIGINAL.len() - 1] {
        let truncated = &SIGNED[..SIGNED.len() - cut];
        let valid = verify_pdf(truncated, None).is_ok_and(|report| report.is_valid());
        assert!(!valid, "cutting {cut} bytes");
    }
}

#[test]
fn truncated_cms_signature_fails() {
    let (start, _end) = contents_gap(&SIGNED);
    let hex_end = start + 1 + SIGNED[start + 1..].iter().take_while(|&&byte| byte != b'>').count();
    let used = SIGNED[start + 1..hex_end].iter().rposition(|&byte| byte != b'0').expect("signature hex") + 1;
    for keep in [0, 2, used / 2, used - 2] {
        let mut truncated = SIGNED.clone();
        truncated[start + 1 + keep..hex_end].fill(b'0');
        let report = verify_pdf(&truncated, None).expect("signature found");
        assert!(!report.is_valid(), "keeping {keep} hex digits");
        if keep < used / 2 {
            assert!(failed_checks(&report).contains(&"cms-structure"), "{report:#?}");
        }
    }
}

#[test]
fn non_zero_padding_after_the_cms_fails() {
    let (_start, end) = contents_gap(&SIGNED);
    let mut padded = SIGNED.clone();
    padded[end - 2] = b'1';
    let report = verify_pdf(&padded, None).expect("signature found");
    assert_eq!(
        failed_checks(&report),
        [
            "contents-encoding",
            "cms-structure",
            "message-digest",
            "signature",
            "signing-certificate",
            "countersignature",
            "countersigning-certificate"
        ]
    );
}

#[test]
fn the_same_signature_spelled_in_lowercase_hex_is_another_file_and_fails() {
    let (start, end) = contents_gap(&SIGNED);
    let mut recased = SIGNED.clone();
    recased[start + 1..end - 1].make_ascii_lowercase();
    assert_ne!(recased, *SIGNED, "the signature has hex letters to re-case");
    let report = verify_pdf(&recased, None).expect("signature found");
    assert_eq!(failed_checks(&report), ["contents-encoding"]);
}

#[test]
fn bytes_before_the_header_fail_the_header_check() {
    let mut prefixed = b"junk".to_vec();
    prefixed.extend_from_slice(&SIGNED);
    let report = verify_pdf(&prefixed, None).expect("signature found");
    assert!(failed_checks(&report).contains(&"header"), "{report:#?}");
}

#[test]
fn the_reason_says_final_or_draft_and_round_trips() {
    use kpiseal_seal::manifest::Status;
    use kpiseal_seal::pdf_signature::{parse_reason, signature_reason};
    for status in [Status::Final, Status::Draft] {
        let reason = signature_reason("LX-2026-10-acme", status);
        assert_eq!(parse_reason(&reason), Some((status, "LX-2026-10-acme".to_string())));
    }
    assert_eq!(signature_reason("N-DRAFT", Status::Draft), "kpiseal draft N-DRAFT: not a statement");
    for other in ["Month-end statement 2026-10", "kpiseal statement ", "kpiseal draft N", "kpiseal statement a b"] {
        assert_eq!(parse_reason(other), None, "{other}");
    }
    let report = verify_pdf(&SIGNED, None).expect("signature found");
    assert_eq!(report.reason.as_deref(), Some("Month-end statement 2026-10"));
}

#[test]
fn pdf_without_signature_is_reported_as_unsigned() {
    assert_eq!(verify_pdf(&ORIGINAL, None), Err(PdfVerifyError::NoSignature));
    assert_eq!(verify_pdf(b"", None), Err(PdfVerifyError::NoSignature));
}

#[test]
fn signing_something_that_is_not_a_pdf_fails_clearly() {
    let error = sign_pdf(b"hello", &test_key(), signing_time(), "r", "l").expect_err("not a PDF");
    assert!(matches!(error, SealError::NotAPdf { .. }), "{error}");
    let half = &ORIGINAL[..ORIGINAL.len() / 2];
    assert!(sign_pdf(half, &test_key(), signing_time(), "r", "l").is_err());
}

#[test]
fn pdf_with_a_cross_reference_stream_is_refused_clearly() {
    let pdf = common::test_pdf_with_xref(1, lopdf::xref::XrefType::CrossReferenceStream);
    let error = sign_pdf(&pdf, &test_key(), signing_time(), "r", "l").expect_err("xref stream");
    assert!(error.to_string().contains("cross-reference stream"), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn flipping_any_byte_in_the_signed_ranges_fails(position in 0usize..1_000_000, flip in 1u8..=255) {
        let (start, end) = *GAP;
        let signed_len = SIGNED.len() - (end - start);
        let mut index = position % signed_len;
        if index >= start {
            index += end - start;
        }
        let mut tampered = SIGNED.clone();
        tampered[index] ^= flip;
        let valid = verify_pdf(&tampered, Some(&test_key().verifying_key())).is_ok_and(|report| report.is_valid());
        prop_assert!(!valid, "flipping byte {} by {:#04x} went unnoticed", index, flip);
    }

    #[test]
    fn flipping_a_byte_in_the_added_update_fails(offset in 0usize..100_000, flip in 1u8..=255) {
        // Concentrates on the appended update, where the signature's own
        // structure is; the gap itself is skipped as in the test above.
        let (start, end) = *GAP;
        let update_len = SIGNED.len() - ORIGINAL.len() - (end - start);
        let mut index = ORIGINAL.len() + offset % update_len;
        if index >= start {
            index += end - start;
        }
        let mut tampered = SIGNED.clone();
        tampered[index] ^= flip;
        let valid = verify_pdf(&tampered, None).is_ok_and(|report| report.is_valid());
        prop_assert!(!valid, "flipping byte {} by {:#04x} went unnoticed", index, flip);
    }

    #[test]
    fn verify_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = verify_pdf(&bytes, None);
    }

    #[test]
    fn verify_never_panics_on_a_damaged_signed_file(
        cut_at in 0usize..1_000_000,
        splice in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let at = cut_at % SIGNED.len();
        let mut damaged = SIGNED[..at].to_vec();
        damaged.extend_from_slice(&splice);
        damaged.extend_from_slice(&SIGNED[(at + splice.len()).min(SIGNED.len())..]);
        let _ = verify_pdf(&damaged, None);
        let _ = verify_pdf(&SIGNED[..at], None);
    }
}
