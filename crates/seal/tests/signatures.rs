mod common;

use base64ct::{Base64, Encoding};
use kpiseal_seal::manifest::to_canonical_json;
use kpiseal_seal::minisign::{self, MinisignError};
use kpiseal_seal::sshsig::{self, NAMESPACE, SshsigError};
use proptest::prelude::*;

use common::{key_from_seed, sample_manifest};

fn manifest_bytes(seed: u8) -> Vec<u8> {
    to_canonical_json(&sample_manifest(key_from_seed(seed).key_id())).expect("canonical")
}

fn minisig(seed: u8, message: &[u8]) -> String {
    let key = key_from_seed(seed);
    let comment = minisign::trusted_comment("KPI-2026-10-acme-home", "2026-10", key.key_id());
    minisign::sign(key.private_key(), message, &comment).expect("sign")
}

#[test]
fn minisign_signature_has_the_documented_four_lines() {
    let key = key_from_seed(1);
    let text = minisig(1, &manifest_bytes(1));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], format!("untrusted comment: signature from kpiseal key {}", key.key_id()));
    let first = Base64::decode_vec(lines[1]).expect("base64");
    assert_eq!(&first[..2], b"ED", "prehashed algorithm");
    assert_eq!(first[2..10], key.key_id().minisign_keynum());
    assert_eq!(first.len(), 74);
    assert_eq!(lines[2], format!("trusted comment: kpiseal KPI-2026-10-acme-home 2026-10 key {}", key.key_id()));
    assert_eq!(Base64::decode_vec(lines[3]).expect("base64").len(), 64);
    assert!(text.ends_with('\n'));
}

#[test]
fn minisign_public_key_file_names_the_key_id() {
    let key = key_from_seed(1);
    let text = minisign::public_key_file(&key.verifying_key());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("untrusted comment: minisign public key {}", key.key_id()));
    let bin = Base64::decode_vec(lines[1]).expect("base64");
    let keynum = key.key_id().minisign_keynum();
    assert_eq!((&bin[..2], &bin[2..10], &bin[10..]), (&b"Ed"[..], &keynum[..], &key.verifying_key().as_bytes()[..]));
}

#[test]
fn minisign_signing_is_deterministic_and_verifies_in_rust() {
    let message = manifest_bytes(1);
    let (a, b) = (minisig(1, &message), minisig(1, &message));
    assert_eq!(a, b);
    let key = key_from_seed(1);
    let verified = minisign::verify(&message, &a, &key.verifying_key()).expect("valid");
    assert_eq!(verified.trusted_comment, format!("kpiseal KPI-2026-10-acme-home 2026-10 key {}", key.key_id()));
}

#[test]
fn minisign_refuses_a_multi_line_or_overlong_trusted_comment() {
    let key = key_from_seed(1);
    assert!(matches!(minisign::sign(key.private_key(), b"m", "a\nb"), Err(MinisignError::BadComment { .. })));
    let long = "x".repeat(minisign::MAX_TRUSTED_COMMENT + 1);
    assert!(matches!(minisign::sign(key.private_key(), b"m", &long), Err(MinisignError::BadComment { .. })));
}

#[test]
fn minisign_rejects_the_wrong_key_naming_both_key_ids() {
    let message = manifest_bytes(1);
    let signature = minisig(1, &message);
    let other = key_from_seed(2);
    match minisign::verify(&message, &signature, &other.verifying_key()) {
        Err(error @ MinisignError::WrongKey { expected, found }) => {
            assert_eq!((expected, found), (other.key_id(), key_from_seed(1).key_id()));
            let text = error.to_string();
            assert!(text.contains(&other.key_id().to_string()), "{text}");
        }
        other => panic!("expected WrongKey, got {other:?}"),
    }
}

#[test]
fn minisign_rejects_an_edited_trusted_comment_or_truncated_signature() {
    let message = manifest_bytes(1);
    let signature = minisig(1, &message);
    let key = key_from_seed(1).verifying_key();
    let edited = signature.replace("2026-10 key", "2026-11 key");
    assert!(matches!(minisign::verify(&message, &edited, &key), Err(MinisignError::Invalid(_))));
    let truncated: String = signature.lines().take(3).map(|l| format!("{l}\n")).collect();
    assert!(matches!(minisign::verify(&message, &truncated, &key), Err(MinisignError::Malformed { .. })));
    assert!(minisign::verify(&message, &signature[..signature.len() - 10], &key).is_err());
}

#[test]
fn minisign_refuses_any_change_to_the_unsigned_first_line() {
    // No signature covers the untrusted comment: verify requires it to be
    // exactly the line kpiseal writes, so no byte of the file can change
    // unnoticed (minisign itself refuses a file without the prefix).
    let message = manifest_bytes(1);
    let signature = minisig(1, &message);
    let key = key_from_seed(1).verifying_key();
    let first_line_len = signature.find('\n').expect("four lines");
    for at in 0..first_line_len {
        let mut bytes = signature.clone().into_bytes();
        bytes[at] ^= 1;
        let changed = String::from_utf8(bytes).expect("still ASCII");
        assert!(
            matches!(minisign::verify(&message, &changed, &key), Err(MinisignError::Malformed { .. })),
            "byte {at} of the untrusted comment changed and the signature still verified"
        );
    }
}

#[test]
fn minisign_refuses_legacy_unhashed_signatures() {
    let message = manifest_bytes(1);
    let signature = minisig(1, &message);
    let mut lines: Vec<String> = signature.lines().map(String::from).collect();
    let mut first = Base64::decode_vec(&lines[1]).expect("base64");
    first[1] = b'd';
    lines[1] = Base64::encode_string(&first);
    let legacy = lines.join("\n");
    assert!(minisign::verify(&message, &legacy, &key_from_seed(1).verifying_key()).is_err());
}

#[test]
fn sshsig_is_armored_deterministic_and_verifies_in_rust() {
    let message = manifest_bytes(1);
    let key = key_from_seed(1);
    let a = sshsig::sign(key.private_key(), &message).expect("sign");
    assert_eq!(a, sshsig::sign(key.private_key(), &message).expect("sign"));
    assert!(a.starts_with("-----BEGIN SSH SIGNATURE-----\n"), "{a}");
    assert!(a.ends_with("-----END SSH SIGNATURE-----\n"), "{a}");
    sshsig::verify(&message, &a, &key.verifying_key()).expect("valid");
}

#[test]
fn sshsig_public_key_lines_name_the_identity_and_namespace() {
    let key = key_from_seed(1);
    let line = sshsig::openssh_public_key_line(&key.verifying_key());
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], "ssh-ed25519");
    assert!(parts[1].starts_with("AAAAC3NzaC1lZDI1NTE5AAAAI"), "{line}");
    assert_eq!(parts[2], format!("kpiseal:{}", key.key_id()));
    assert_eq!(sshsig::identity(key.key_id()), parts[2]);
    let allowed = sshsig::allowed_signers_line(&key.verifying_key());
    assert_eq!(allowed, format!("{} namespaces=\"{NAMESPACE}\" ssh-ed25519 {}", parts[2], parts[1]));
}

#[test]
fn sshsig_rejects_another_key_naming_it_and_another_namespace() {
    let message = manifest_bytes(1);
    let signer = key_from_seed(1);
    let signature = sshsig::sign(signer.private_key(), &message).expect("sign");
    let other = key_from_seed(2);
    match sshsig::verify(&message, &signature, &other.verifying_key()) {
        Err(SshsigError::WrongKey { expected, found }) => {
            assert_eq!((expected, found), (other.key_id(), format!("key {}", signer.key_id())));
        }
        other => panic!("expected WrongKey, got {other:?}"),
    }

    let seed = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    let private = ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from(&seed));
    let foreign = private.sign("file", ssh_key::HashAlg::Sha512, &message).expect("sign");
    let foreign = foreign.to_pem(ssh_key::LineEnding::LF).expect("pem");
    match sshsig::verify(&message, &foreign, &signer.verifying_key()) {
        Err(SshsigError::WrongNamespace { found, .. }) => assert_eq!(found, "file"),
        other => panic!("expected WrongNamespace, got {other:?}"),
    }
}

#[test]
fn sshsig_rejects_a_truncated_signature() {
    let message = manifest_bytes(1);
    let key = key_from_seed(1);
    let signature = sshsig::sign(key.private_key(), &message).expect("sign");
    let cut = signature.replacen("\n", "\nAAAA", 1);
    assert!(sshsig::verify(&message, &cut, &key.verifying_key()).is_err());
    let lines: Vec<&str> = signature.lines().collect();
    let short = format!("{}\n{}\n", lines[..lines.len() - 2].join("\n"), lines[lines.len() - 1]);
    assert!(matches!(sshsig::verify(&message, &short, &key.verifying_key()), Err(SshsigError::Malformed(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any single flipped bit of the manifest makes both Rust verifiers fail.
    #[test]
    fn any_flipped_manifest_byte_fails_every_verifier(at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let message = manifest_bytes(3);
        let key = key_from_seed(3);
        let public = key.verifying_key();
        let mini = minisig(3, &message);
        let ssh = sshsig::sign(key.private_key(), &message).expect("sign");
        let mut tampered = message.clone();
        let i = at.index(tampered.len());
        tampered[i] ^= 1 << bit;
        prop_assert!(minisign::verify(&tampered, &mini, &public).is_err());
        prop_assert!(sshsig::verify(&tampered, &ssh, &public).is_err());
    }
}

/// Every single-bit change of `text` from byte `from` on (each byte, each of
/// the 7 ASCII bits) makes `accepts` false. Covers base64 padding bits and
/// line ends, which lenient decoders would ignore.
fn assert_every_flipped_bit_is_rejected(name: &str, text: &str, from: usize, accepts: impl Fn(&str) -> bool) {
    for i in from..text.len() {
        for bit in 0..7 {
            let mut bytes = text.as_bytes().to_vec();
            bytes[i] ^= 1 << bit;
            let tampered = String::from_utf8(bytes).expect("ASCII stays UTF-8");
            assert!(!accepts(&tampered), "{name}: byte {i} bit {bit} changed and still accepted");
        }
    }
}

/// Except in the untrusted comment, which minisign does not sign.
#[test]
fn every_flipped_minisign_signature_bit_fails_verification() {
    let message = manifest_bytes(3);
    let public = key_from_seed(3).verifying_key();
    let mini = minisig(3, &message);
    let signed_from = mini.find('\n').expect("first line") + 1;
    assert_every_flipped_bit_is_rejected("minisign", &mini, signed_from, |t| {
        minisign::verify(&message, t, &public).is_ok()
    });
}

#[test]
fn every_flipped_sshsig_bit_fails_verification() {
    let message = manifest_bytes(3);
    let key = key_from_seed(3);
    let ssh = sshsig::sign(key.private_key(), &message).expect("sign");
    assert_every_flipped_bit_is_rejected("sshsig", &ssh, 0, |t| {
        sshsig::verify(&message, t, &key.verifying_key()).is_ok()
    });
}
