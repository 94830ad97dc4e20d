//! The provider's ECDSA P-256 key: the key of the PDF's PAdES signature,
//! the one PDF viewers check.
//!
//! poppler (Evince, Okular, `pdfsig`) verifies through NSS, which has no
//! Ed25519 in CMS, and Acrobat lists no EdDSA: an Ed25519-only PDF
//! signature shows as broken there. So the PDF is signed with ECDSA P-256
//! (SHA-256), which every viewer checks, and the Ed25519 key countersigns
//! that signature (see `pdf_signature`). Ed25519 stays the provider's
//! identity: it is the key sellers pin, and it signs the manifests.
//!
//! The P-256 key is derived from the Ed25519 key's seed with HKDF-SHA-256
//! (RFC 5869; salt `kpiseal`, info [`DERIVATION_INFO`] and a counter byte,
//! the first output that is a valid scalar), so `provider.key` stays the
//! one secret the provider keeps, backs up and rotates: no second private
//! key file can be lost, mixed up with another provider's, or left behind
//! by a rotation. Its certificate is self-signed with the subject and the
//! validity of the Ed25519 certificate.

use std::fmt;

use der::{Encode, EncodePem};
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::Sha256;
use spki::der::pem::LineEnding;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use super::certificate;
use super::{KeyError, ProviderCertificate};

/// The HKDF info string of the P-256 key's derivation; a counter byte
/// follows it (0 first).
pub const DERIVATION_INFO: &[u8] = b"kpiseal PAdES ECDSA P-256 signing key v1";

/// The provider's P-256 signing key with its self-signed certificate.
pub struct PadesKey {
    signing: SigningKey,
    certificate: Certificate,
    der: Vec<u8>,
}

impl PadesKey {
    /// Derives the P-256 key from the Ed25519 `seed` and certifies it with
    /// the subject and validity of `ed25519_certificate`. Deterministic.
    pub(crate) fn derive(seed: &[u8; 32], ed25519_certificate: &ProviderCertificate) -> Result<PadesKey, KeyError> {
        let signing = derive_signing_key(seed)
            .ok_or(KeyError::Encode { what: "P-256 key", reason: "no valid scalar in 256 HKDF outputs".into() })?;
        let tbs = &ed25519_certificate.certificate().tbs_certificate;
        let certificate = certificate::p256_self_signed(&signing, &tbs.subject, tbs.validity)
            .map_err(|source| KeyError::BuildCertificate { provider_name: tbs.subject.to_string(), source })?;
        let der = certificate
            .to_der()
            .map_err(|error| KeyError::Encode { what: "P-256 certificate", reason: error.to_string() })?;
        Ok(PadesKey { signing, certificate, der })
    }

    /// A deterministic (RFC 6979) ECDSA P-256 signature over the SHA-256 of `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        *self.signing.verifying_key()
    }

    /// The self-signed certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certificate's DER encoding.
    pub fn certificate_der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as PEM, LF line ends (for `pyhanko --trust` and a
    /// viewer's list of trusted certificates).
    pub fn certificate_pem(&self) -> Result<String, KeyError> {
        self.certificate
            .to_pem(LineEnding::LF)
            .map_err(|error| KeyError::Encode { what: "P-256 certificate", reason: error.to_string() })
    }
}

impl fmt::Debug for PadesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PadesKey({})", self.certificate.tbs_certificate.subject)
    }
}

/// The first HKDF-SHA-256 output (counter 0, 1, …) that is a valid P-256
/// scalar (non-zero, below the group order); `None` only if 256 in a row
/// are not, which has probability about 2^-8192.
fn derive_signing_key(seed: &[u8; 32]) -> Option<SigningKey> {
    let hkdf = Hkdf::<Sha256>::new(Some(b"kpiseal"), seed);
    (0..=u8::MAX).find_map(|counter| {
        let mut scalar = Zeroizing::new([0u8; 32]);
        hkdf.expand_multi_info(&[DERIVATION_INFO, &[counter]], scalar.as_mut()).ok()?;
        SigningKey::from_slice(scalar.as_ref()).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn derivation_is_deterministic_and_separates_seeds() {
        let a = derive_signing_key(&[7; 32]).unwrap();
        let again = derive_signing_key(&[7; 32]).unwrap();
        let b = derive_signing_key(&[8; 32]).unwrap();
        assert_eq!(a.to_bytes(), again.to_bytes());
        assert_ne!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn derivation_matches_rfc_5869_hkdf_sha256_with_counter_zero() {
        // HKDF-Extract(salt "kpiseal", seed) then Expand(info ‖ 0x00, 32),
        // computed here by HMAC by hand: the derivation is the documented one.
        use hmac::{Hmac, Mac};
        let seed = [1u8; 32];
        let mut extract = Hmac::<Sha256>::new_from_slice(b"kpiseal").unwrap();
        extract.update(&seed);
        let prk = extract.finalize().into_bytes();
        let mut expand = Hmac::<Sha256>::new_from_slice(&prk).unwrap();
        expand.update(DERIVATION_INFO);
        expand.update(&[0, 1]);
        let okm = expand.finalize().into_bytes();
        assert_eq!(derive_signing_key(&seed).unwrap().to_bytes().as_slice(), okm.as_slice());
    }

    #[test]
    fn certificate_is_self_signed_by_the_p256_key() {
        let seed = [3; 32];
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let ed25519 = certificate::self_signed(&ed25519_dalek::SigningKey::from_bytes(&seed), "P Ltd", date).unwrap();
        let ed25519 = ProviderCertificate::new(ed25519).unwrap();
        let key = PadesKey::derive(&seed, &ed25519).unwrap();
        let certificate = key.certificate();
        let tbs = certificate.tbs_certificate.to_der().unwrap();
        let signature = Signature::from_der(certificate.signature.raw_bytes()).unwrap();
        key.verifying_key().verify(&tbs, &signature).unwrap();
        assert_eq!(certificate::certified_p256_key(certificate).unwrap(), key.verifying_key());
        let ed25519_tbs = &ed25519.certificate().tbs_certificate;
        assert_eq!(certificate.tbs_certificate.subject, ed25519_tbs.subject);
        assert_eq!(certificate.tbs_certificate.issuer, ed25519_tbs.subject);
        assert_eq!(certificate.tbs_certificate.validity, ed25519_tbs.validity);
    }
}
