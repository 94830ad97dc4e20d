//! The provider's Ed25519 signing key, its key id, its self-signed
//! certificate, and the files they are kept in.
//!
//! One key signs everything kpiseal issues: it countersigns the PDF's
//! embedded CMS signature, and signs the manifest's minisign and SSHSIG
//! signatures. The PDF signature itself is made with a P-256 key derived
//! from it ([`PadesKey`]), which PDF viewers can check. Its public half
//! is published in four forms a seller can use with other tools (SPKI PEM,
//! minisign, OpenSSH, X.509 certificate); all of them carry the same
//! [`KeyId`].

mod certificate;
mod error;
mod files;
mod key_id;
mod pades_key;
mod public_key;

use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRngCore;

pub use certificate::{CertificateError, VALIDITY_MONTHS};
pub(crate) use certificate::{certified_key, certified_p256_key, ecdsa_with_sha256};
pub use error::KeyError;
pub use files::{
    CERTIFICATE_FILE, KeyFiles, MINISIGN_PUBLIC_KEY_FILE, PADES_CERTIFICATE_FILE, PRIVATE_KEY_FILE,
    SPKI_PUBLIC_KEY_FILE, SSH_PUBLIC_KEY_FILE, load_certificate, load_public_key, load_signing_key,
    load_signing_key_allowing, save_key_files,
};
pub use key_id::{KeyId, KeyIdParseError};
pub use pades_key::{DERIVATION_INFO, PadesKey};
pub(crate) use public_key::parse_public_key;
pub use public_key::{ProviderCertificate, PublicKey, PublicKeyFormat};
/// The key id of the public demo key in kpiseal's `fixtures/demo/keys/`.
/// Its private half is published, so whatever it signs proves nothing:
/// `kpiseal` marks such statements DEMO KEY — NOT A VALID STATEMENT and
/// `verify` says so in red.
pub const DEMO_KEY_ID: &str = "20E9D2E54F7831FB";

/// The operating system's random number generator, of the `rand_core`
/// version [`generate`] takes.
pub use rand_core::OsRng;

/// The provider's private key, as read from `provider.key`.
///
/// Its `Debug` shows only the key id; nothing in this crate prints, logs or
/// puts into an error the secret bytes.
pub struct PrivateKey {
    signing: SigningKey,
    key_id: KeyId,
}

impl PrivateKey {
    /// Wraps an Ed25519 signing key.
    pub fn new(signing: SigningKey) -> PrivateKey {
        let key_id = KeyId::of(&signing.verifying_key());
        PrivateKey { signing, key_id }
    }

    /// The key id of the public half.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// A plain (pure, not pre-hashed) Ed25519 signature over `message`;
    /// deterministic, as Ed25519 is.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.signing
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({})", self.key_id)
    }
}

/// The private key together with its certificate: everything needed to
/// sign a statement.
pub struct ProviderKey {
    private: PrivateKey,
    certificate: ProviderCertificate,
    pades: PadesKey,
}

/// Makes a new provider key from `rng` (use [`OsRng`] outside tests) and
/// its self-signed certificate for `provider_name`, valid from `not_before`
/// for 20 years (subject `CN=<provider_name>,O=<provider_name>`, serial
/// number = key id, key usage digitalSignature + nonRepudiation). Same as
/// [`ProviderKey::generate`].
pub fn generate<R: CryptoRngCore + ?Sized>(
    rng: &mut R,
    provider_name: &str,
    not_before: NaiveDate,
) -> Result<ProviderKey, KeyError> {
    ProviderKey::generate(rng, provider_name, not_before)
}

impl ProviderKey {
    /// Makes a new key from `rng` and its certificate (see [`generate`]).
    pub fn generate<R: CryptoRngCore + ?Sized>(
        rng: &mut R,
        provider_name: &str,
        not_before: NaiveDate,
    ) -> Result<ProviderKey, KeyError> {
        ProviderKey::with_new_certificate(PrivateKey::new(SigningKey::generate(rng)), provider_name, not_before)
    }

    /// Makes the self-signed certificate for an existing key (see
    /// [`generate`] for its contents). The certificate depends only on the
    /// arguments, so this is deterministic.
    pub fn with_new_certificate(
        private: PrivateKey,
        provider_name: &str,
        not_before: NaiveDate,
    ) -> Result<ProviderKey, KeyError> {
        let certificate = certificate::self_signed(private.signing_key(), provider_name, not_before)
            .map_err(|source| KeyError::BuildCertificate { provider_name: provider_name.to_owned(), source })?;
        let certificate = ProviderCertificate::new(certificate)
            .map_err(|source| KeyError::BuildCertificate { provider_name: provider_name.to_owned(), source })?;
        ProviderKey::from_parts(private, certificate)
    }

    /// Pairs a private key with its certificate, and derives the P-256
    /// key and its certificate from them ([`PadesKey`]); fails if the
    /// certificate is for another key.
    pub fn from_parts(private: PrivateKey, certificate: ProviderCertificate) -> Result<ProviderKey, KeyError> {
        if certificate.key_id() != private.key_id() {
            return Err(KeyError::CertificateForAnotherKey {
                certificate_key_id: certificate.key_id(),
                key_id: private.key_id(),
            });
        }
        let seed = zeroize::Zeroizing::new(private.signing_key().to_bytes());
        let pades = PadesKey::derive(&seed, &certificate)?;
        Ok(ProviderKey { private, certificate, pades })
    }

    /// Reads `provider.key` (refusing it if group or others may access it)
    /// and `provider.cert.pem`, and checks that they belong together.
    pub fn load(private_key_path: &Path, certificate_path: &Path) -> Result<ProviderKey, KeyError> {
        ProviderKey::load_allowing(private_key_path, certificate_path, &[])
    }

    /// Like [`ProviderKey::load`], but accepts a private key file open to
    /// group or others when it holds one of the `published` keys (see
    /// [`load_signing_key_allowing`]).
    pub fn load_allowing(
        private_key_path: &Path,
        certificate_path: &Path,
        published: &[KeyId],
    ) -> Result<ProviderKey, KeyError> {
        let private = load_signing_key_allowing(private_key_path, published)?;
        let certificate = load_certificate(certificate_path)?;
        ProviderKey::from_parts(private, certificate).map_err(|error| match error {
            KeyError::CertificateForAnotherKey { certificate_key_id, key_id } => {
                KeyError::CertificateFileForAnotherKey {
                    certificate_path: certificate_path.to_owned(),
                    certificate_key_id,
                    key_path: private_key_path.to_owned(),
                    key_id,
                }
            }
            other => other,
        })
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.private.key_id()
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.private.verifying_key()
    }

    /// The private half.
    pub fn private_key(&self) -> &PrivateKey {
        &self.private
    }

    /// The self-signed certificate.
    pub fn certificate(&self) -> &ProviderCertificate {
        &self.certificate
    }

    /// The P-256 key of the PDF signature, derived from this key.
    pub fn pades_key(&self) -> &PadesKey {
        &self.pades
    }

    /// The public key as its certificate publishes it, to verify what this
    /// key signed (e.g. before a re-run keeps an earlier statement).
    pub fn public_key(&self) -> PublicKey {
        PublicKey::new(self.verifying_key(), PublicKeyFormat::Certificate)
    }

    /// A plain Ed25519 signature over `message` (see [`PrivateKey::sign`]).
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.private.sign(message)
    }
}

impl fmt::Debug for ProviderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderKey({})", self.key_id())
    }
}
