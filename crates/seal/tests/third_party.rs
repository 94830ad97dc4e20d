//! The third-party tools a seller or reviewer uses, run on what this crate
//! writes: `pyhanko`, poppler's `pdfsig` (what Evince and Okular show) and
//! `qpdf` on the signed PDF, `minisign` and
//! `ssh-keygen` on the manifest's signatures, `bagit.py` (bagit-python) and
//! `unzip` on the evidence bag. Each test fails with a message naming the
//! tool when it is not installed (`.ci/run` installs them). Run with
//! `--nocapture` to see what they print.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use kpiseal_seal::bag::{BagInfo, Durability, PayloadFile, write_bag, write_zip};
use kpiseal_seal::keys::ProviderKey;
use kpiseal_seal::manifest::to_canonical_json;
use kpiseal_seal::pdf_signature::sign_pdf;
use kpiseal_seal::{minisign, sshsig};

use common::{ToolRun, flip_byte, key_from_seed, run_tool, sample_manifest, test_key, test_pdf};

/// Runs a tool (see [`common::run_tool`]); returns whether it succeeded and
/// everything it printed.
fn run(dir: &Path, program: &str, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let ToolRun { success, stdout, stderr } = run_tool(dir, program, args, stdin.map(Path::new));
    (success, format!("{stdout}{stderr}"))
}

/// A statement folder with manifest.json, both detached signatures and the
/// public key files to check them.
struct Signed {
    dir: tempfile::TempDir,
    key: ProviderKey,
}

fn signed_manifest(seed: u8) -> Signed {
    let key = key_from_seed(seed);
    let public = key.verifying_key();
    let manifest = to_canonical_json(&sample_manifest(key.key_id())).expect("canonical");
    let dir = tempfile::tempdir().expect("tempdir");
    let comment = minisign::trusted_comment("KPI-2026-10-acme-home", "2026-10", key.key_id());
    let put = |name: &str, contents: &[u8]| fs::write(dir.path().join(name), contents).expect("write");
    put("manifest.json", &manifest);
    put("manifest.json.minisig", minisign::sign(key.private_key(), &manifest, &comment).expect("minisign").as_bytes());
    put("provider.minisign.pub", minisign::public_key_file(&public).as_bytes());
    put("manifest.json.sig", sshsig::sign(key.private_key(), &manifest).expect("sshsig").as_bytes());
    put("allowed_signers", format!("{}\n", sshsig::allowed_signers_line(&public)).as_bytes());
    Signed { dir, key }
}

#[test]
fn minisign_cli_accepts_our_signature_and_public_key() {
    if !common::tools_present(&["minisign"]) {
        return;
    }
    let s = signed_manifest(1);
    let args = ["-Vm", "manifest.json", "-x", "manifest.json.minisig", "-p", "provider.minisign.pub"];
    let (ok, out) = run(s.dir.path(), "minisign", &args, None);
    assert!(ok, "{out}");
    assert!(out.contains("Signature and comment signature verified"), "{out}");
    assert!(out.contains(&format!("Trusted comment: kpiseal KPI-2026-10-acme-home 2026-10 key {}", s.key.key_id())));
    // -H: only prehashed signatures (what we write) are acceptable.
    let (ok, out) = run(s.dir.path(), "minisign", &["-H", "-Vm", "manifest.json", "-p", "provider.minisign.pub"], None);
    assert!(ok, "{out}");
}

#[test]
fn minisign_cli_rejects_a_flipped_manifest_or_signature_byte() {
    if !common::tools_present(&["minisign"]) {
        return;
    }
    let s = signed_manifest(1);
    let args = ["-Vm", "manifest.json", "-p", "provider.minisign.pub"];
    flip_byte(&s.dir.path().join("manifest.json"), 40);
    let (ok, out) = run(s.dir.path(), "minisign", &args, None);
    assert!(!ok, "tampered manifest accepted: {out}");
    assert!(out.contains("Signature verification failed"), "{out}");

    let s = signed_manifest(1);
    let sig = s.dir.path().join("manifest.json.minisig");
    let text = fs::read_to_string(&sig).expect("read");
    // A byte inside the base64 signature (line 2), then one in the trusted comment.
    let line2 = text.find('\n').expect("line 1") + 30;
    flip_byte(&sig, line2);
    let (ok, out) = run(s.dir.path(), "minisign", &args, None);
    assert!(!ok, "tampered signature accepted: {out}");
    fs::write(&sig, text.replace("2026-10 key", "2026-11 key")).expect("write");
    let (ok, out) = run(s.dir.path(), "minisign", &args, None);
    assert!(!ok, "edited trusted comment accepted: {out}");
    assert!(out.contains("Comment signature verification failed"), "{out}");
}

#[test]
fn minisign_cli_prints_key_ids_as_kpiseal_does() {
    if !common::tools_present(&["minisign"]) {
        return;
    }
    let signer = signed_manifest(1);
    let other = key_from_seed(2);
    let other_pub = minisign::public_key_file(&other.verifying_key());
    fs::write(signer.dir.path().join("other.pub"), other_pub).expect("write");
    let (ok, out) = run(signer.dir.path(), "minisign", &["-Vm", "manifest.json", "-p", "other.pub"], None);
    assert!(!ok, "{out}");
    // minisign prints key numbers without leading zeros.
    let shown = |hex: &str| hex.trim_start_matches('0').to_string();
    assert!(out.contains(&format!("is {}", shown(&signer.key.key_id().to_string()))), "{out}");
    assert!(out.contains(&format!("public key is {}", shown(&other.key_id().to_string()))), "{out}");
}

#[test]
fn ssh_keygen_accepts_our_sshsig_with_the_allowed_signers_line() {
    if !common::tools_present(&["ssh-keygen"]) {
        return;
    }
    let s = signed_manifest(1);
    let identity = format!("kpiseal:{}", s.key.key_id());
    let args =
        ["-Y", "verify", "-f", "allowed_signers", "-I", &identity, "-n", sshsig::NAMESPACE, "-s", "manifest.json.sig"];
    let (ok, out) = run(s.dir.path(), "ssh-keygen", &args, Some("manifest.json"));
    assert!(ok, "{out}");
    assert!(out.contains(&format!("Good \"{}\" signature for {identity}", sshsig::NAMESPACE)), "{out}");
}

#[test]
fn ssh_keygen_rejects_a_flipped_byte_or_another_namespace() {
    if !common::tools_present(&["ssh-keygen"]) {
        return;
    }
    let s = signed_manifest(1);
    let identity = format!("kpiseal:{}", s.key.key_id());
    let verify = |namespace: &str| {
        let args =
            ["-Y", "verify", "-f", "allowed_signers", "-I", &identity, "-n", namespace, "-s", "manifest.json.sig"];
        run(s.dir.path(), "ssh-keygen", &args, Some("manifest.json"))
    };
    let (ok, out) = verify("file");
    assert!(!ok, "another namespace accepted: {out}");

    let manifest = s.dir.path().join("manifest.json");
    flip_byte(&manifest, 10);
    let (ok, out) = verify(sshsig::NAMESPACE);
    assert!(!ok, "tampered manifest accepted: {out}");
    flip_byte(&manifest, 10);

    let sig = s.dir.path().join("manifest.json.sig");
    let text = fs::read_to_string(&sig).expect("read");
    let in_signature = text.rfind("-----END").expect("armor") - 20;
    flip_byte(&sig, in_signature);
    let (ok, out) = verify(sshsig::NAMESPACE);
    assert!(!ok, "tampered signature accepted: {out}");
}

#[test]
fn ssh_keygen_signs_the_same_bytes_as_we_do_and_we_verify_its_signature() {
    if !common::tools_present(&["ssh-keygen"]) {
        return;
    }
    let s = signed_manifest(1);
    // The secret of `key_from_seed(1)`, as an OpenSSH private key file.
    let seed = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    let private = ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from(&seed));
    let pem = private.to_openssh(ssh_key::LineEnding::LF).expect("openssh key");
    let key_path = s.dir.path().join("id_ed25519");
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&key_path).expect("key");
    file.write_all(pem.as_bytes()).expect("write key");
    fs::copy(s.dir.path().join("manifest.json"), s.dir.path().join("copy.json")).expect("copy");
    let args = ["-Y", "sign", "-f", "id_ed25519", "-n", sshsig::NAMESPACE, "copy.json"];
    let (ok, out) = run(s.dir.path(), "ssh-keygen", &args, None);
    assert!(ok, "{out}");
    let theirs = fs::read_to_string(s.dir.path().join("copy.json.sig")).expect("ssh-keygen's signature");
    let manifest = fs::read(s.dir.path().join("manifest.json")).expect("manifest");
    sshsig::verify(&manifest, &theirs, &s.key.verifying_key()).expect("ssh-keygen's signature verifies in Rust");
    assert_eq!(theirs, fs::read_to_string(s.dir.path().join("manifest.json.sig")).expect("ours"));
}

fn bag_info() -> BagInfo {
    BagInfo {
        source_organization: "Ponte Cross-Border Services Ltda.".into(),
        external_identifier: "KPI-2026-10-acme-home".into(),
        bagging_date: "2026-11-01".into(),
        software_agent: "kpiseal 0.1.0".into(),
    }
}

/// A bag of a signed statement folder's files plus one copied input.
fn sample_bag(root: &Path) -> PathBuf {
    let s = signed_manifest(1);
    let names = ["manifest.json", "manifest.json.minisig", "manifest.json.sig", "provider.minisign.pub"];
    let paths: Vec<PathBuf> = names.iter().map(|n| s.dir.path().join(n)).collect();
    let pdf: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
    let mut files: Vec<PayloadFile<'_>> = names.iter().zip(&paths).map(|(n, p)| PayloadFile::file(n, p)).collect();
    files.push(PayloadFile::bytes("statement.pdf", &pdf));
    files.push(PayloadFile::bytes("inputs/exports/2026-10/acme-home/settlement 1.txt", b"settlement-id\ttotal\n"));
    let dir = root.join("KPI-2026-10-acme-home");
    write_bag(&dir, &files, &bag_info(), Durability::Fsync).expect("bag");
    dir
}

#[test]
fn bagit_python_validates_our_bag_and_rejects_a_changed_payload_byte() {
    if !common::tools_present(&["bagit.py"]) {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path());
    let (ok, out) = run(root.path(), "bagit.py", &["--validate", "KPI-2026-10-acme-home"], None);
    assert!(ok, "{out}");
    assert!(out.contains("is valid"), "{out}");

    flip_byte(&dir.join("data/statement.pdf"), 1234);
    let (ok, out) = run(root.path(), "bagit.py", &["--validate", "KPI-2026-10-acme-home"], None);
    assert!(!ok, "tampered bag accepted: {out}");
    assert!(out.contains("data/statement.pdf"), "{out}");
}

#[test]
fn bagit_python_rejects_an_added_payload_file() {
    if !common::tools_present(&["bagit.py"]) {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path());
    fs::write(dir.join("data/extra.txt"), "not in the manifest").expect("write");
    let (ok, out) = run(root.path(), "bagit.py", &["--validate", "KPI-2026-10-acme-home"], None);
    assert!(!ok, "bag with an extra file accepted: {out}");
}

#[test]
fn unzip_tests_our_zip_and_unpacks_a_valid_bag() {
    if !common::tools_present(&["unzip", "bagit.py"]) {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path());
    write_zip(&dir, &root.path().join("bag.zip"), Durability::Fsync).expect("zip");
    let (ok, out) = run(root.path(), "unzip", &["-t", "bag.zip"], None);
    assert!(ok, "{out}");
    assert!(out.contains("No errors detected"), "{out}");

    let unpacked = root.path().join("unpacked");
    fs::create_dir(&unpacked).expect("mkdir");
    let (ok, out) = run(&unpacked, "unzip", &["-q", "../bag.zip"], None);
    assert!(ok, "{out}");
    let (ok, out) = run(&unpacked, "bagit.py", &["--validate", "KPI-2026-10-acme-home"], None);
    assert!(ok, "{out}");
    let original = fs::read(dir.join("data/statement.pdf")).expect("original");
    assert_eq!(fs::read(unpacked.join("KPI-2026-10-acme-home/data/statement.pdf")).expect("unpacked"), original);
}

/// Signs a fresh test PDF with `test_key()` and writes it and the
/// certificate of the key that makes the PDF signature (the P-256 one)
/// into `dir`.
fn signed_pdf(dir: &Path) {
    let time = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).single().expect("valid time");
    let signed = sign_pdf(&test_pdf(2), &test_key(), time, "Month-end statement 2026-10", "São Paulo").expect("sign");
    fs::write(dir.join("statement.pdf"), signed).expect("write PDF");
    write_certificate(dir, "provider.p256.cert.pem", &test_key());
}

fn write_certificate(dir: &Path, name: &str, key: &ProviderKey) {
    fs::write(dir.join(name), key.pades_key().certificate_pem().expect("PEM")).expect("write certificate");
}

/// `pyhanko sign validate` of `statement.pdf` in `dir`, trusting only `certificate`.
fn pyhanko_validate(dir: &Path, certificate: &str, extra: &[&str]) -> ToolRun {
    let mut args = vec!["sign", "validate", "--trust-replace", "--trust", certificate];
    args.extend_from_slice(extra);
    args.push("statement.pdf");
    run_tool(dir, "pyhanko", &args, None)
}

#[test]
fn pyhanko_reports_the_signature_intact_trusted_and_covering_the_whole_file() {
    if !common::tools_present(&["pyhanko"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    signed_pdf(dir.path());
    let output = pyhanko_validate(dir.path(), "provider.p256.cert.pem", &[]);
    assert!(output.success, "{}", output.text());
    // One line per signature: `<field>:<cert sha256>:INTACT:TRUSTED,UNTOUCHED`.
    let summary = output.stdout.trim();
    assert!(summary.starts_with("Signature1:") && summary.ends_with(":INTACT:TRUSTED,UNTOUCHED"), "{}", output.text());

    let output = pyhanko_validate(dir.path(), "provider.p256.cert.pem", &["--pretty-print"]);
    let text = output.text();
    assert!(output.success, "{text}");
    for expected in [
        "The signature is cryptographically sound.",
        "The digest algorithm used was 'sha256'.",
        "The signature mechanism used was 'sha256_ecdsa'.",
        "Signing time as reported by signer: 2026-11-01T08:00:00+00:00",
        "The signature covers the entire file.",
        "The signature is judged VALID.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn pyhanko_rejects_a_file_with_one_changed_byte() {
    if !common::tools_present(&["pyhanko"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    signed_pdf(dir.path());
    flip_byte(&dir.path().join("statement.pdf"), 600);
    let output = pyhanko_validate(dir.path(), "provider.p256.cert.pem", &[]);
    assert!(!output.success, "{}", output.text());
    assert!(output.stdout.contains(":INVALID"), "{}", output.text());
}

#[test]
fn pyhanko_does_not_trust_the_signature_under_another_providers_certificate() {
    if !common::tools_present(&["pyhanko"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    signed_pdf(dir.path());
    write_certificate(dir.path(), "other.cert.pem", &key_from_seed(5));
    let output = pyhanko_validate(dir.path(), "other.cert.pem", &[]);
    assert!(!output.success, "{}", output.text());
    assert!(output.stdout.contains(":INTACT:UNTRUSTED"), "{}", output.text());
}

/// `pdfsig statement.pdf` in `dir`: what poppler's viewers (Evince,
/// Okular) show in their signature panel.
fn pdfsig(dir: &Path) -> ToolRun {
    run_tool(dir, "pdfsig", &["statement.pdf"], None)
}

#[test]
fn pdfsig_reports_the_signature_valid_over_the_whole_document() {
    if !common::tools_present(&["pdfsig"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    signed_pdf(dir.path());
    let output = pdfsig(dir.path());
    let text = output.text();
    assert!(output.success, "{text}");
    for expected in [
        "Signature #1:",
        "Signer full Distinguished Name: CN=Acme Cross-Border Services Ltd,O=Acme Cross-Border Services Ltd",
        "Signing Hash Algorithm: SHA-256",
        "Signature Type: ETSI.CAdES.detached",
        "Total document signed",
        "Signature Validation: Signature is Valid.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // A self-signed certificate nobody imported: the identity is untrusted, as expected.
    assert!(text.contains("Certificate Validation: Certificate issuer is unknown."), "{text}");
    assert!(!text.contains("Signature #2"), "{text}");
}

#[test]
fn pdfsig_reports_a_changed_byte_as_a_digest_mismatch() {
    if !common::tools_present(&["pdfsig"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    signed_pdf(dir.path());
    flip_byte(&dir.path().join("statement.pdf"), 600);
    let text = pdfsig(dir.path()).text();
    assert!(text.contains("Signature Validation: Digest Mismatch."), "{text}");
}

#[test]
fn qpdf_check_finds_no_errors_in_the_signed_file() {
    if !common::tools_present(&["qpdf"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    signed_pdf(dir.path());
    let output = run_tool(dir.path(), "qpdf", &["--check", "statement.pdf"], None);
    let text = output.text();
    assert!(output.success, "{text}");
    assert!(text.contains("No syntax or stream encoding errors found"), "{text}");
    assert!(text.contains("PDF Version: 2.0"), "{text}");
}
