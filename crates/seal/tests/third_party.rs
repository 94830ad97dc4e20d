//! The third-party tools a seller or reviewer uses, run on what this crate
//! writes: `minisign`, `ssh-keygen`, `bagit.py` (bagit-python) and `unzip`.
//! Each test fails with a message naming the tool when it is not installed
//! (`.ci/run` installs them). Run with `--nocapture` to see what they print.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kpiseal_seal::bag::{BagInfo, Durability, PayloadFile, write_bag, write_zip};
use kpiseal_seal::manifest::to_canonical_json;
use kpiseal_seal::{minisign, sshsig};

use common::{key_id, key_id_text, require_tool, sample_manifest, signing_key};

/// Runs `program args…` in `dir` (stdin from `stdin` if given), prints the
/// command and what it printed, and returns (success, stdout + stderr).
fn run(dir: &Path, program: &Path, args: &[&str], stdin: Option<&Path>) -> (bool, String) {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.stdin(match stdin {
        Some(path) => Stdio::from(fs::File::open(dir.join(path)).expect("stdin file")),
        None => Stdio::null(),
    });
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let redirect = stdin.map(|p| format!(" < {}", p.display())).unwrap_or_default();
    let name = program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    eprintln!("$ {name} {}{redirect}\n{}[exit {}]\n", args.join(" "), text, output.status.code().unwrap_or(-1));
    (output.status.success(), text)
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = fs::read(path).expect("read");
    bytes[at] ^= 0x01;
    fs::write(path, bytes).expect("write");
}

/// A statement folder with manifest.json and both detached signatures.
struct Signed {
    dir: tempfile::TempDir,
    key_id_text: String,
}

fn signed_manifest(seed: u8) -> Signed {
    let key = signing_key(seed);
    let public = key.verifying_key();
    let id = key_id(&public);
    let manifest = to_canonical_json(&sample_manifest(&public)).expect("canonical");
    let dir = tempfile::tempdir().expect("tempdir");
    let comment = minisign::trusted_comment("KPI-2026-10-acme-home", "2026-10", id);
    let put = |name: &str, contents: &[u8]| fs::write(dir.path().join(name), contents).expect("write");
    put("manifest.json", &manifest);
    put("manifest.json.minisig", minisign::sign(&key, id, &manifest, &comment).expect("minisign").as_bytes());
    put("provider.minisign.pub", minisign::public_key_file(&public, id).as_bytes());
    put("manifest.json.sig", sshsig::sign(&key, &manifest).expect("sshsig").as_bytes());
    put("allowed_signers", format!("{}\n", sshsig::allowed_signers_line(&public, id)).as_bytes());
    Signed { dir, key_id_text: key_id_text(&public) }
}

const MINISIGN_INSTALL: &str = "apt-get install -y --no-install-recommends minisign";
const SSH_KEYGEN_INSTALL: &str = "apt-get install -y --no-install-recommends openssh-client";
const BAGIT_INSTALL: &str = "pip install bagit";
const UNZIP_INSTALL: &str = "apt-get install -y --no-install-recommends unzip";

#[test]
fn minisign_cli_accepts_our_signature_and_public_key() {
    let minisign = require_tool("minisign", MINISIGN_INSTALL);
    let s = signed_manifest(1);
    let args = ["-Vm", "manifest.json", "-x", "manifest.json.minisig", "-p", "provider.minisign.pub"];
    let (ok, out) = run(s.dir.path(), &minisign, &args, None);
    assert!(ok, "{out}");
    assert!(out.contains("Signature and comment signature verified"), "{out}");
    assert!(out.contains(&format!("Trusted comment: kpiseal KPI-2026-10-acme-home 2026-10 key {}", s.key_id_text)));
    // -H: only prehashed signatures (what we write) are acceptable.
    let (ok, out) = run(s.dir.path(), &minisign, &["-H", "-Vm", "manifest.json", "-p", "provider.minisign.pub"], None);
    assert!(ok, "{out}");
}

#[test]
fn minisign_cli_rejects_a_flipped_manifest_or_signature_byte() {
    let minisign = require_tool("minisign", MINISIGN_INSTALL);
    let s = signed_manifest(1);
    let args = ["-Vm", "manifest.json", "-p", "provider.minisign.pub"];
    flip_byte(&s.dir.path().join("manifest.json"), 40);
    let (ok, out) = run(s.dir.path(), &minisign, &args, None);
    assert!(!ok, "tampered manifest accepted: {out}");
    assert!(out.contains("Signature verification failed"), "{out}");

    let s = signed_manifest(1);
    let sig = s.dir.path().join("manifest.json.minisig");
    let text = fs::read_to_string(&sig).expect("read");
    // A byte inside the base64 signature (line 2), then one in the trusted comment.
    let line2 = text.find('\n').expect("line 1") + 30;
    flip_byte(&sig, line2);
    let (ok, out) = run(s.dir.path(), &minisign, &args, None);
    assert!(!ok, "tampered signature accepted: {out}");
    fs::write(&sig, text.replace("2026-10 key", "2026-11 key")).expect("write");
    let (ok, out) = run(s.dir.path(), &minisign, &args, None);
    assert!(!ok, "edited trusted comment accepted: {out}");
    assert!(out.contains("Comment signature verification failed"), "{out}");
}

#[test]
fn minisign_cli_prints_key_ids_as_kpiseal_does() {
    let minisign = require_tool("minisign", MINISIGN_INSTALL);
    let signer = signed_manifest(1);
    let other = signing_key(2).verifying_key();
    let other_pub = minisign::public_key_file(&other, key_id(&other));
    fs::write(signer.dir.path().join("other.pub"), other_pub).expect("write");
    let (ok, out) = run(signer.dir.path(), &minisign, &["-Vm", "manifest.json", "-p", "other.pub"], None);
    assert!(!ok, "{out}");
    // minisign prints key numbers without leading zeros.
    let shown = |hex: &str| hex.trim_start_matches('0').to_string();
    assert!(out.contains(&format!("is {}", shown(&signer.key_id_text))), "{out}");
    assert!(out.contains(&format!("public key is {}", shown(&key_id_text(&other)))), "{out}");
}

#[test]
fn ssh_keygen_accepts_our_sshsig_with_the_allowed_signers_line() {
    let ssh_keygen = require_tool("ssh-keygen", SSH_KEYGEN_INSTALL);
    let s = signed_manifest(1);
    let identity = format!("kpiseal:{}", s.key_id_text);
    let args =
        ["-Y", "verify", "-f", "allowed_signers", "-I", &identity, "-n", sshsig::NAMESPACE, "-s", "manifest.json.sig"];
    let (ok, out) = run(s.dir.path(), &ssh_keygen, &args, Some(Path::new("manifest.json")));
    assert!(ok, "{out}");
    assert!(out.contains(&format!("Good \"{}\" signature for {identity}", sshsig::NAMESPACE)), "{out}");
}

#[test]
fn ssh_keygen_rejects_a_flipped_byte_or_another_namespace() {
    let ssh_keygen = require_tool("ssh-keygen", SSH_KEYGEN_INSTALL);
    let s = signed_manifest(1);
    let identity = format!("kpiseal:{}", s.key_id_text);
    let verify = |namespace: &str| {
        let args =
            ["-Y", "verify", "-f", "allowed_signers", "-I", &identity, "-n", namespace, "-s", "manifest.json.sig"];
        run(s.dir.path(), &ssh_keygen, &args, Some(Path::new("manifest.json")))
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
    let ssh_keygen = require_tool("ssh-keygen", SSH_KEYGEN_INSTALL);
    let s = signed_manifest(1);
    let key = signing_key(1);
    let private = ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from(&key));
    let pem = private.to_openssh(ssh_key::LineEnding::LF).expect("openssh key");
    let key_path = s.dir.path().join("id_ed25519");
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&key_path).expect("key");
    file.write_all(pem.as_bytes()).expect("write key");
    fs::copy(s.dir.path().join("manifest.json"), s.dir.path().join("copy.json")).expect("copy");
    let args = ["-Y", "sign", "-f", "id_ed25519", "-n", sshsig::NAMESPACE, "copy.json"];
    let (ok, out) = run(s.dir.path(), &ssh_keygen, &args, None);
    assert!(ok, "{out}");
    let theirs = fs::read_to_string(s.dir.path().join("copy.json.sig")).expect("ssh-keygen's signature");
    let manifest = fs::read(s.dir.path().join("manifest.json")).expect("manifest");
    sshsig::verify(&manifest, &theirs, &key.verifying_key()).expect("ssh-keygen's signature verifies in Rust");
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
    let bagit = require_tool("bagit.py", BAGIT_INSTALL);
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path());
    let (ok, out) = run(root.path(), &bagit, &["--validate", "KPI-2026-10-acme-home"], None);
    assert!(ok, "{out}");
    assert!(out.contains("is valid"), "{out}");

    flip_byte(&dir.join("data/statement.pdf"), 1234);
    let (ok, out) = run(root.path(), &bagit, &["--validate", "KPI-2026-10-acme-home"], None);
    assert!(!ok, "tampered bag accepted: {out}");
    assert!(out.contains("data/statement.pdf"), "{out}");
}

#[test]
fn bagit_python_rejects_an_added_payload_file() {
    let bagit = require_tool("bagit.py", BAGIT_INSTALL);
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path());
    fs::write(dir.join("data/extra.txt"), "not in the manifest").expect("write");
    let (ok, out) = run(root.path(), &bagit, &["--validate", "KPI-2026-10-acme-home"], None);
    assert!(!ok, "bag with an extra file accepted: {out}");
}

#[test]
fn unzip_tests_our_zip_and_unpacks_a_valid_bag() {
    let unzip = require_tool("unzip", UNZIP_INSTALL);
    let bagit = require_tool("bagit.py", BAGIT_INSTALL);
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path());
    write_zip(&dir, &root.path().join("bag.zip"), Durability::Fsync).expect("zip");
    let (ok, out) = run(root.path(), &unzip, &["-t", "bag.zip"], None);
    assert!(ok, "{out}");
    assert!(out.contains("No errors detected"), "{out}");

    let unpacked = root.path().join("unpacked");
    fs::create_dir(&unpacked).expect("mkdir");
    let (ok, out) = run(&unpacked, &unzip, &["-q", "../bag.zip"], None);
    assert!(ok, "{out}");
    let (ok, out) = run(&unpacked, &bagit, &["--validate", "KPI-2026-10-acme-home"], None);
    assert!(ok, "{out}");
    let original = fs::read(dir.join("data/statement.pdf")).expect("original");
    assert_eq!(fs::read(unpacked.join("KPI-2026-10-acme-home/data/statement.pdf")).expect("unpacked"), original);
}
