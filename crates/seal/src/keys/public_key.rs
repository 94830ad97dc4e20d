//! The four published forms of the provider's public key: SPKI PEM,
//! minisign public key, OpenSSH `ssh-ed25519` line, X.509 certificate.
//! The minisign and OpenSSH forms are written by [`crate::minisign`] and
//! [`crate::sshsig`], which own those formats; this module writes the SPKI
//! PEM and reads all four.

use der::{Decode, Encode, EncodePem};
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::{DecodePublicKey, EncodePublicKey};
use spki::der::pem::LineEnding;
use x509_cert::Certificate;

use super::certificate::{self, CertificateError};
use super::{KeyError, KeyId};

/// Which form a public key was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicKeyFormat {
    SpkiPem,
    Minisign,
    OpenSsh,
    Certificate,
}

/// A public key read from one of the published forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub verifying_key: VerifyingKey,
    pub key_id: KeyId,
    pub format: PublicKeyFormat,
}

impl PublicKey {
    pub(crate) fn new(verifying_key: VerifyingKey, format: PublicKeyFormat) -> PublicKey {
        PublicKey { verifying_key, key_id: KeyId::of(&verifying_key), format }
    }
}

/// The provider's certificate with the key it certifies.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderCertificate {
    certificate: Certificate,
    der: Vec<u8>,
    verifying_key: VerifyingKey,
    key_id: KeyId,
}

impl ProviderCertificate {
    /// Wraps a certificate whose subject key is Ed25519.
    pub(crate) fn new(certificate: Certificate) -> Result<ProviderCertificate, CertificateError> {
        let verifying_key = certificate::certified_key(&certificate)?;
        let der = certificate.to_der().map_err(CertificateError::Encode)?;
        Ok(ProviderCertificate { certificate, der, verifying_key, key_id: KeyId::of(&verifying_key) })
    }

    /// The certificate itself.
    pub(crate) fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certified key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.verifying_key
    }

    /// The certified key's id.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The certificate's DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`), LF line ends.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.certificate
            .to_pem(LineEnding::LF)
            .map_err(|error| KeyError::Encode { what: "certificate", reason: error.to_string() })
    }

    /// Parses a certificate PEM; the error says what is wrong without a file name.
    ///
    /// The base64 is decoded whole before the DER is read: der 0.7's
    /// streaming PEM reader never returns on a header whose length runs past
    /// the data (found by fuzzing `public_key`; see the regression test).
    pub(crate) fn from_pem(text: &str) -> Result<ProviderCertificate, String> {
        let (label, der) = der::pem::decode_vec(text.as_bytes()).map_err(|error| error.to_string())?;
        if label != "CERTIFICATE" {
            return Err(format!("a PEM block labelled {label}, not CERTIFICATE"));
        }
        let certificate = Certificate::from_der(&der).map_err(|error| error.to_string())?;
        ProviderCertificate::new(certificate).map_err(|error| error.to_string())
    }
}

impl std::fmt::Debug for ProviderCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProviderCertificate({})", self.key_id)
    }
}

/// The SPKI PEM (`-----BEGIN PUBLIC KEY-----`) of `key`.
pub(crate) fn spki_pem(key: &VerifyingKey) -> Result<String, KeyError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|error| KeyError::Encode { what: "SPKI public key", reason: error.to_string() })
}

/// Recognises which published form `text` is in, by content, and reads it.
/// `Ok(None)` means no form was recognised; `Err((format, reason))` means the
/// form was recognised but the content is bad.
pub(crate) fn parse_public_key(text: &str) -> Result<Option<PublicKey>, (&'static str, String)> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.contains("-----BEGIN CERTIFICATE-----") {
        let certificate = ProviderCertificate::from_pem(trimmed).map_err(|reason| ("certificate", reason))?;
        return Ok(Some(PublicKey::new(certificate.verifying_key(), PublicKeyFormat::Certificate)));
    }
    if trimmed.contains("-----BEGIN PUBLIC KEY-----") {
        let key = VerifyingKey::from_public_key_pem(trimmed).map_err(|error| ("SPKI public key", error.to_string()))?;
        return Ok(Some(PublicKey::new(key, PublicKeyFormat::SpkiPem)));
    }
    if trimmed.starts_with("ssh-") {
        return parse_openssh(trimmed).map(Some).map_err(|reason| ("OpenSSH public key", reason));
    }
    if trimmed.starts_with("untrusted comment:") || trimmed.starts_with("RW") {
        return parse_minisign(trimmed).map(Some).map_err(|reason| ("minisign public key", reason));
    }
    Ok(None)
}

fn parse_openssh(line: &str) -> Result<PublicKey, String> {
    let first_line = line.lines().next().unwrap_or_default();
    let key = ssh_key::PublicKey::from_openssh(first_line).map_err(|error| error.to_string())?;
    let raw = key.key_data().ed25519().ok_or_else(|| format!("key type {} is not ssh-ed25519", key.algorithm()))?;
    let verifying_key = VerifyingKey::from_bytes(&raw.0).map_err(|_| "not a valid Ed25519 public key".to_owned())?;
    Ok(PublicKey::new(verifying_key, PublicKeyFormat::OpenSsh))
}

/// Reads a minisign public key file (comment line then base64), or the bare
/// base64 line minisign's `-P` option takes; [`crate::minisign`] owns the format.
fn parse_minisign(text: &str) -> Result<PublicKey, String> {
    let verifying_key = crate::minisign::read_public_key(text).map_err(|error| match error {
        crate::minisign::MinisignError::Malformed { detail, .. } => detail,
        other => other.to_string(),
    })?;
    Ok(PublicKey::new(verifying_key, PublicKeyFormat::Minisign))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: a certificate whose outer length (0x59070900) runs
    /// far past its 5 bytes of DER hung the reader forever.
    #[test]
    fn a_certificate_whose_length_runs_past_its_data_is_refused_at_once() {
        let text = "-----BEGIN CERTIFICATE-----\nMIRZBwk=\n-----END CERTIFICATE-----\n";
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || sender.send(parse_public_key(text).map(|_| ())));
        let outcome = receiver.recv_timeout(std::time::Duration::from_secs(20)).expect("parsing returned");
        let (format, _reason) = outcome.expect_err("a 5-byte certificate is refused");
        assert_eq!(format, "certificate");
    }

    #[test]
    fn a_pem_block_with_another_label_is_not_taken_for_a_certificate() {
        let reason = ProviderCertificate::from_pem("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
            .expect_err("empty");
        assert!(!reason.is_empty());
        let other = "-----BEGIN PRIVACY-----\nMAA=\n-----END PRIVACY-----\n";
        assert_eq!(ProviderCertificate::from_pem(other).unwrap_err(), "a PEM block labelled PRIVACY, not CERTIFICATE");
    }
}
