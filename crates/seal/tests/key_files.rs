//! Key files: every published form reads back to the same key id, the
//! private key is protected, and the third-party tools accept the files.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use base64ct::{Base64, Encoding};
use common::{key_from_seed, run_tool, test_key};
use kpiseal_seal::keys::{
    self, KeyError, KeyFiles, ProviderKey, PublicKeyFormat, load_certificate, load_public_key, load_signing_key,
    load_signing_key_allowing, save_key_files,
};
use kpiseal_seal::{minisign, sshsig};

fn saved() -> (tempfile::TempDir, ProviderKey, KeyFiles) {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = test_key();
    let files = save_key_files(dir.path(), &key).expect("save key files");
    (dir, key, files)
}

#[test]
fn every_public_key_form_reads_back_to_the_same_key_id() {
    let (_dir, key, files) = saved();
    let forms = [
        (&files.spki_public_key, PublicKeyFormat::SpkiPem),
        (&files.minisign_public_key, PublicKeyFormat::Minisign),
        (&files.ssh_public_key, PublicKeyFormat::OpenSsh),
        (&files.certificate, PublicKeyFormat::Certificate),
    ];
    for (path, format) in forms {
        let public = load_public_key(path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(public.format, format, "{}", path.display());
        assert_eq!(public.key_id, key.key_id(), "{}", path.display());
        assert_eq!(public.verifying_key, key.verifying_key(), "{}", path.display());
    }
    let certificate = load_certificate(&files.certificate).expect("certificate");
    assert_eq!(certificate.key_id(), key.key_id());
    assert_eq!(certificate.der(), key.certificate().der());
}

#[test]
fn the_p256_certificate_keygen_writes_is_the_derived_pdf_signer_and_is_refused_as_a_pin_with_a_pointer() {
    let (_dir, key, files) = saved();
    let written = fs::read_to_string(&files.pades_certificate).expect("P-256 certificate");
    assert_eq!(written, key.pades_key().certificate_pem().expect("PEM"));
    // Loading the same private key again derives the same P-256 key.
    let loaded = ProviderKey::load(&files.private_key, &files.certificate).expect("load provider key");
    assert_eq!(loaded.pades_key().certificate_der(), key.pades_key().certificate_der());
    assert_ne!(key_from_seed(2).pades_key().certificate_der(), key.pades_key().certificate_der());
    let message = load_public_key(&files.pades_certificate).expect_err("not the provider key").to_string();
    assert!(message.contains("the PDF signer's certificate") && message.contains("provider.minisign.pub"), "{message}");
}

#[test]
fn private_key_round_trips_and_pairs_with_its_certificate() {
    let (_dir, key, files) = saved();
    let private = load_signing_key(&files.private_key).expect("private key");
    assert_eq!(private.key_id(), key.key_id());
    assert_eq!(private.sign(b"m"), key.sign(b"m"));
    let loaded = ProviderKey::load(&files.private_key, &files.certificate).expect("load provider key");
    assert_eq!(loaded.key_id(), key.key_id());
}

#[test]
fn certificate_of_another_key_is_refused_naming_both_files() {
    let (dir, _key, files) = saved();
    let other_dir = dir.path().join("other");
    fs::create_dir(&other_dir).expect("mkdir");
    let other = save_key_files(&other_dir, &key_from_seed(2)).expect("save other");
    let error = ProviderKey::load(&files.private_key, &other.certificate).expect_err("mismatch must fail");
    let message = error.to_string();
    assert!(matches!(error, KeyError::CertificateFileForAnotherKey { .. }), "{message}");
    assert!(message.contains("other/provider.cert.pem") && message.contains("provider.key"), "{message}");
}

#[test]
fn private_key_file_is_created_with_mode_0600() {
    let (_dir, _key, files) = saved();
    let mode = fs::metadata(&files.private_key).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn private_key_readable_by_group_or_others_is_refused_naming_file_and_mode() {
    let (_dir, _key, files) = saved();
    for mode in [0o644, 0o640, 0o604, 0o620, 0o601] {
        fs::set_permissions(&files.private_key, fs::Permissions::from_mode(mode)).expect("chmod");
        let error = load_signing_key(&files.private_key).expect_err("open key must be refused");
        let message = error.to_string();
        assert!(matches!(error, KeyError::PrivateKeyTooOpen { .. }), "{message}");
        assert!(message.contains("provider.key") && message.contains(&format!("{mode:04o}")), "{message}");
    }
    fs::set_permissions(&files.private_key, fs::Permissions::from_mode(0o400)).expect("chmod");
    load_signing_key(&files.private_key).expect("0400 is fine");
}

#[test]
fn an_open_key_file_is_accepted_only_when_it_holds_a_published_key() {
    let (_dir, key, files) = saved();
    fs::set_permissions(&files.private_key, fs::Permissions::from_mode(0o644)).expect("chmod");
    let published = [key_from_seed(9).key_id(), key.key_id()];
    let loaded = load_signing_key_allowing(&files.private_key, &published).expect("published key");
    assert_eq!(loaded.key_id(), key.key_id());
    let loaded = ProviderKey::load_allowing(&files.private_key, &files.certificate, &published).expect("provider key");
    assert_eq!(loaded.key_id(), key.key_id());

    let error = load_signing_key_allowing(&files.private_key, &[key_from_seed(9).key_id()]).expect_err("not published");
    let message = error.to_string();
    assert!(matches!(error, KeyError::PrivateKeyTooOpen { mode: 0o644, .. }), "{message}");
    assert!(message.contains("provider.key") && message.contains("0644"), "{message}");
}

#[test]
fn saving_over_existing_key_files_is_refused() {
    let (dir, _key, _files) = saved();
    let error = save_key_files(dir.path(), &key_from_seed(3)).expect_err("must not overwrite");
    assert!(matches!(error, KeyError::WouldOverwrite { .. }), "{error}");
    assert_eq!(load_signing_key(&dir.path().join("provider.key")).expect("old key").key_id(), test_key().key_id());
}

#[test]
fn debug_output_and_errors_never_show_key_bytes() {
    let key = test_key();
    let secret_hex = hex::encode([1u8; 32]);
    let shown = format!("{key:?} {:?} {:?}", key.private_key(), key.certificate());
    assert!(!shown.contains(&secret_hex) && !shown.contains("0101010101"), "{shown}");
    assert!(shown.contains(&key.key_id().to_string()), "{shown}");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("provider.key");
    let mut pem = fs::read_to_string(saved().2.private_key).expect("read");
    pem.insert(40, 'A');
    fs::write(&path, &pem).expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    let message = load_signing_key(&path).expect_err("corrupt key").to_string();
    assert!(message.contains("provider.key") && message.contains("PKCS#8"), "{message}");
    let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
    assert!(!message.contains(&body[..20]), "{message}");
}

#[test]
fn generated_keys_differ_and_carry_their_certificate() {
    let date = common::issue_date();
    let a = keys::generate(&mut keys::OsRng, "P", date).expect("key a");
    let b = keys::generate(&mut keys::OsRng, "P", date).expect("key b");
    assert_ne!(a.key_id(), b.key_id());
    assert_eq!(a.certificate().key_id(), a.key_id());
}

#[test]
fn unknown_public_key_file_is_refused_naming_the_formats() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("key.txt");
    fs::write(&path, "hello").expect("write");
    let message = load_public_key(&path).expect_err("not a key").to_string();
    assert!(
        message.contains("key.txt") && message.contains("minisign") && message.contains("ssh-ed25519"),
        "{message}"
    );
}

#[test]
fn public_key_files_are_what_the_signature_modules_write() {
    let (_dir, key, files) = saved();
    let read = |path| fs::read_to_string(path).expect("read");
    assert_eq!(read(&files.minisign_public_key), minisign::public_key_file(&key.verifying_key()));
    assert_eq!(read(&files.ssh_public_key), format!("{}\n", sshsig::openssh_public_key_line(&key.verifying_key())));
}

#[test]
fn minisign_public_key_whose_key_number_is_not_its_key_id_is_refused() {
    let (_dir, key, files) = saved();
    let text = fs::read_to_string(&files.minisign_public_key).expect("read");
    let (comment, line) = text.split_once('\n').expect("two lines");
    let mut bin = Base64::decode_vec(line.trim()).expect("base64");
    bin[2] ^= 0x01;
    let line = Base64::encode_string(&bin);
    fs::write(&files.minisign_public_key, format!("{comment}\n{line}\n")).expect("write");
    let message = load_public_key(&files.minisign_public_key).expect_err("foreign key number").to_string();
    assert!(message.contains("provider.minisign.pub") && message.contains(&key.key_id().to_string()), "{message}");
}

#[test]
fn ssh_keygen_reads_the_openssh_public_key() {
    if !common::tools_present(&["ssh-keygen"]) {
        return;
    }
    let (dir, key, _files) = saved();
    let output = run_tool(dir.path(), "ssh-keygen", &["-l", "-f", "provider.ssh.pub"], None);
    assert!(output.success, "{}", output.text());
    assert!(output.stdout.starts_with("256 SHA256:"), "{}", output.text());
    let expected = format!("kpiseal:{}", key.key_id());
    assert!(output.stdout.contains(&expected) && output.stdout.contains("(ED25519)"), "{}", output.text());
}

#[test]
fn minisign_verifies_with_the_saved_minisign_public_key_file() {
    if !common::tools_present(&["minisign"]) {
        return;
    }
    let (dir, key, _files) = saved();
    fs::write(dir.path().join("message.txt"), b"statement").expect("write");
    let signature = minisign::sign(key.private_key(), b"statement", "test").expect("sign");
    fs::write(dir.path().join("message.txt.minisig"), signature).expect("write");
    let args = ["-V", "-p", "provider.minisign.pub", "-m", "message.txt"];
    let output = run_tool(dir.path(), "minisign", &args, None);
    assert!(output.success, "{}", output.text());
}
