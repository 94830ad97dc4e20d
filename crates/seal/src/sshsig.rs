//! Detached SSH signatures (OpenSSH's PROTOCOL.sshsig) of the manifest,
//! checkable with `ssh-keygen` alone:
//!
//! ```sh
//! ssh-keygen -Y verify -f allowed_signers -I kpiseal:<KEYID> \
//!     -n kpiseal-manifest@v1 -s manifest.json.sig < manifest.json
//! ```
//!
//! The signature is armored (`-----BEGIN SSH SIGNATURE-----`), Ed25519 over
//! the SHA-512 of the message, in the fixed namespace [`NAMESPACE`]. The
//! namespace is part of what is signed, so a kpiseal manifest signature can
//! never be passed off as a signature for another purpose (a git commit, a
//! file signed with `-n file`), nor the reverse.

use base64ct::{Base64, Encoding};
use ed25519_dalek::VerifyingKey;
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::public::{Ed25519PublicKey, KeyData};
use ssh_key::{HashAlg, LineEnding, PublicKey, SshSig};
use thiserror::Error;

use crate::keys::{KeyId, PrivateKey};

/// The SSHSIG namespace of every final statement's manifest signature.
/// Versioned so that a future manifest format can use another without ambiguity.
pub const NAMESPACE: &str = "kpiseal-manifest@v1";

/// The SSHSIG namespace of a draft's manifest signature: a draft's
/// signature can never be checked as a final statement's.
pub const DRAFT_NAMESPACE: &str = "kpiseal-draft-manifest@v1";

/// The SSHSIG namespace of a period manifest's signature
/// (`period-manifest.json.sig`, see [`crate::period_manifest`]): distinct
/// from [`NAMESPACE`], so that neither signature can stand for the other.
pub const PERIOD_NAMESPACE: &str = "kpiseal-period-manifest@v1";

#[derive(Debug, Error)]
pub enum SshsigError {
    #[error("cannot make the SSH signature: {0}")]
    Sign(ssh_key::Error),
    #[error("SSH signature is malformed (expected an armored -----BEGIN SSH SIGNATURE----- block): {0}")]
    Malformed(ssh_key::Error),
    #[error("SSH signature format version is {found}, expected 1")]
    WrongVersion { found: u32 },
    #[error("SSH signature namespace is {found:?}, expected {expected:?}")]
    WrongNamespace { found: String, expected: String },
    #[error("SSH signature hash algorithm is {found}, expected sha512")]
    WrongHash { found: String },
    /// `found` is the signer's key id, or its algorithm when not Ed25519.
    #[error("SSH signature was made by another key ({found}), expected key {expected}")]
    WrongKey { expected: KeyId, found: String },
    #[error("SSH signature is not in canonical form (it decodes, but re-encodes differently): refused")]
    NotCanonical,
    #[error("SSH signature does not match the manifest: {0}")]
    Invalid(ssh_key::Error),
}

/// The signer identity used in `allowed_signers`, `ssh-keygen -Y verify -I`
/// and as the OpenSSH key's comment: `kpiseal:<KEYID>`.
pub fn identity(key_id: KeyId) -> String {
    format!("kpiseal:{key_id}")
}

/// The signer of a signature, for [`SshsigError::WrongKey`]: `key <KEYID>`
/// for an Ed25519 key, `a <algorithm> key` otherwise.
fn describe_signer(data: &KeyData) -> String {
    match data.ed25519() {
        Some(ed) => format!("key {}", KeyId::of_raw(&ed.0)),
        None => format!("a {} key", data.algorithm()),
    }
}

/// base64 of the SSH wire form of an Ed25519 public key (RFC 8709):
/// string "ssh-ed25519" ‖ string(32-byte key), each string prefixed with its
/// length as a big-endian u32.
fn ssh_ed25519_base64(key: &VerifyingKey) -> String {
    const ALG: &[u8; 11] = b"ssh-ed25519";
    let mut wire = Vec::with_capacity(4 + ALG.len() + 4 + 32);
    wire.extend_from_slice(&11u32.to_be_bytes());
    wire.extend_from_slice(ALG);
    wire.extend_from_slice(&32u32.to_be_bytes());
    wire.extend_from_slice(key.as_bytes());
    Base64::encode_string(&wire)
}

/// The OpenSSH public key line `ssh-ed25519 AAAA… kpiseal:<KEYID>` (no
/// newline): the content of `provider.ssh.pub`, which `keys::save_key_files`
/// writes with this function.
pub fn openssh_public_key_line(key: &VerifyingKey) -> String {
    format!("ssh-ed25519 {} {}", ssh_ed25519_base64(key), identity(KeyId::of(key)))
}

/// One `allowed_signers` line trusting this key for kpiseal manifests only:
/// `kpiseal:<KEYID> namespaces="kpiseal-manifest@v1" ssh-ed25519 AAAA…`.
pub fn allowed_signers_line(key: &VerifyingKey) -> String {
    allowed_signers_line_in(key, NAMESPACE)
}

/// One `allowed_signers` line trusting this key in `namespace` only:
/// `kpiseal:<KEYID> namespaces="<namespace>" ssh-ed25519 AAAA…`.
pub fn allowed_signers_line_in(key: &VerifyingKey, namespace: &str) -> String {
    format!("{} namespaces=\"{namespace}\" ssh-ed25519 {}", identity(KeyId::of(key)), ssh_ed25519_base64(key))
}

/// Signs `message` (the manifest bytes) in namespace [`NAMESPACE`] with
/// SHA-512; returns the armored signature with `\n` line ends. Deterministic.
pub fn sign(key: &PrivateKey, message: &[u8]) -> Result<String, SshsigError> {
    sign_in(key, message, NAMESPACE)
}

/// Signs `message` in `namespace` with SHA-512; returns the armored
/// signature with `\n` line ends. Deterministic.
pub fn sign_in(key: &PrivateKey, message: &[u8], namespace: &str) -> Result<String, SshsigError> {
    let keypair = KeypairData::Ed25519(Ed25519Keypair::from(key.signing_key()));
    let private = ssh_key::PrivateKey::new(keypair, "").map_err(SshsigError::Sign)?;
    let signature = private.sign(namespace, HashAlg::Sha512, message).map_err(SshsigError::Sign)?;
    let mut armored = signature.to_pem(LineEnding::LF).map_err(SshsigError::Sign)?;
    if !armored.ends_with('\n') {
        armored.push('\n');
    }
    Ok(armored)
}

/// Checks an armored SSH signature of `message` against the pinned key:
/// format version 1, namespace [`NAMESPACE`], SHA-512, the signer's key equal to `key`, and the
/// Ed25519 signature over the message.
///
/// The armored text must also be canonical (what [`sign`] and `ssh-keygen -Y
/// sign` write; `\r\n` line ends and a missing final line end are allowed): ssh-key 0.6 decodes some altered
/// encodings to the same signature (e.g. a wrong length before the embedded
/// key), and a verifier for evidence should not accept a file that differs
/// from what was signed in any byte.
pub fn verify(message: &[u8], armored: &str, key: &VerifyingKey) -> Result<(), SshsigError> {
    verify_in(message, armored, key, NAMESPACE)
}

/// [`verify`] in `namespace` instead of [`NAMESPACE`].
pub fn verify_in(message: &[u8], armored: &str, key: &VerifyingKey, namespace: &str) -> Result<(), SshsigError> {
    let signature = SshSig::from_pem(armored).map_err(SshsigError::Malformed)?;
    let canonical = signature.to_pem(LineEnding::LF).map_err(SshsigError::Malformed)?;
    let given = armored.replace("\r\n", "\n");
    if canonical.strip_suffix('\n').unwrap_or(&canonical) != given.strip_suffix('\n').unwrap_or(&given) {
        return Err(SshsigError::NotCanonical);
    }
    if signature.version() != SshSig::VERSION {
        return Err(SshsigError::WrongVersion { found: signature.version() });
    }
    if signature.namespace() != namespace {
        return Err(SshsigError::WrongNamespace {
            found: signature.namespace().to_string(),
            expected: namespace.to_string(),
        });
    }
    if signature.hash_alg() != HashAlg::Sha512 {
        return Err(SshsigError::WrongHash { found: signature.hash_alg().to_string() });
    }
    let expected = PublicKey::new(KeyData::Ed25519(Ed25519PublicKey::from(key)), "");
    if expected.key_data() != signature.public_key() {
        return Err(SshsigError::WrongKey { expected: KeyId::of(key), found: describe_signer(signature.public_key()) });
    }
    expected.verify(namespace, message, &signature).map_err(SshsigError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    /// The hand-written wire encoding agrees with the ssh-key crate's.
    #[test]
    fn public_key_line_is_what_ssh_key_writes() {
        let key = SigningKey::from_bytes(&[5u8; 32]).verifying_key();
        let comment = identity(KeyId::of(&key));
        let theirs = PublicKey::new(KeyData::Ed25519(Ed25519PublicKey::from(&key)), comment).to_openssh().unwrap();
        assert_eq!(openssh_public_key_line(&key), theirs);
    }
}
