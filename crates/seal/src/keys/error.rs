//! What can go wrong making, saving and reading key files.

use std::io;
use std::path::PathBuf;

use super::{CertificateError, KeyId};

/// An error about key material. Every variant names the file involved and
/// what was expected; none carries key bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    #[error(
        "{}: private key file has mode {mode:04o}, which grants access to group or others; \
         expected 0600 or 0400 (run `chmod 600` on it)",
        path.display()
    )]
    PrivateKeyTooOpen { path: PathBuf, mode: u32 },

    #[error("{}: not an Ed25519 private key in PKCS#8 PEM form (-----BEGIN PRIVATE KEY-----): {reason}", path.display())]
    NotAPrivateKey { path: PathBuf, reason: String },

    #[error("{}: not an Ed25519 X.509 certificate in PEM form (-----BEGIN CERTIFICATE-----): {reason}", path.display())]
    NotACertificate { path: PathBuf, reason: String },

    #[error("{}: bad {format}: {reason}", path.display())]
    BadPublicKey { path: PathBuf, format: &'static str, reason: String },

    #[error(
        "{}: not a public key kpiseal can read; expected an SPKI PEM (-----BEGIN PUBLIC KEY-----), \
         a minisign public key, an OpenSSH `ssh-ed25519 ...` line or a certificate PEM",
        path.display()
    )]
    UnknownPublicKeyFormat { path: PathBuf },

    #[error("the certificate is for key {certificate_key_id}, but the private key is {key_id}")]
    CertificateForAnotherKey { certificate_key_id: KeyId, key_id: KeyId },

    #[error(
        "{}: the certificate is for key {certificate_key_id}, but {} holds key {key_id}",
        certificate_path.display(),
        key_path.display()
    )]
    CertificateFileForAnotherKey {
        certificate_path: PathBuf,
        certificate_key_id: KeyId,
        key_path: PathBuf,
        key_id: KeyId,
    },

    #[error("cannot make the certificate for provider {provider_name:?}: {source}")]
    BuildCertificate { provider_name: String, source: CertificateError },

    #[error("{}: already exists; refusing to overwrite key files (move them away first)", path.display())]
    WouldOverwrite { path: PathBuf },

    #[error("cannot encode the {what}: {reason}")]
    Encode { what: &'static str, reason: String },
}
