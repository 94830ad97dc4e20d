//! The provider's self-signed X.509 v3 certificate, embedded in each PDF
//! signature so that PDF validators can name the signer.

use chrono::{Datelike, Months, NaiveDate};
use const_oid::ObjectIdentifier;
use const_oid::db::{rfc4519, rfc5280, rfc5912, rfc8410};
use der::asn1::{BitString, OctetString, SetOfVec, UtcTime, Utf8StringRef};
use der::{Any, DateTime, Decode, Encode};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

use super::KeyId;

/// How long a certificate is valid: 20 years from its first day.
pub const VALIDITY_MONTHS: u32 = 20 * 12;

/// The AlgorithmIdentifier of Ed25519 (RFC 8410): OID 1.3.101.112, no parameters.
pub(crate) fn ed25519_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: rfc8410::ID_ED_25519, parameters: None }
}

/// Why a certificate could not be built or read (without any file name;
/// the callers add it).
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("cannot encode the certificate: {0}")]
    Encode(der::Error),
    #[error("validity date {0} is outside what an X.509 certificate can state (1950..9999)")]
    DateOutOfRange(NaiveDate),
    #[error("the certificate's key is not Ed25519 (algorithm {0})")]
    NotEd25519(const_oid::ObjectIdentifier),
    #[error("the certificate's Ed25519 public key is not a valid curve point")]
    BadPublicKey,
    #[error(
        "the certificate's key is ECDSA, as in provider.p256.cert.pem, the PDF signer's certificate; the \
         provider's key is the Ed25519 one it vouches for: give provider.minisign.pub, provider.ssh.pub, \
         provider.pub.pem or provider.cert.pem"
    )]
    EcdsaNotTheProviderKey,
    #[error("the certificate's key is not ECDSA P-256 (algorithm {0})")]
    NotP256(const_oid::ObjectIdentifier),
    #[error("the certificate's P-256 public key is not a valid curve point")]
    BadP256PublicKey,
    #[error("cannot encode the P-256 public key: {0}")]
    EncodeP256(String),
}

/// Builds the provider's self-signed certificate for `key`.
///
/// Subject and issuer are `CN=<provider_name>, O=<provider_name>`, the
/// serial number is the key id, validity runs from `not_before` 00:00:00 UTC
/// to the same day 20 years later, key usage is digitalSignature + nonRepudiation (critical), basic
/// constraints say it is not a CA, and the subject key identifier is the
/// first 20 bytes of SHA-256 over the raw public key (RFC 7093 method 1).
/// The result depends only on its arguments.
pub fn self_signed(
    key: &SigningKey,
    provider_name: &str,
    not_before: NaiveDate,
) -> Result<Certificate, CertificateError> {
    let verifying = key.verifying_key();
    let key_id = KeyId::of(&verifying);
    let name = provider_name_dn(provider_name)?;
    let not_after = not_before
        .checked_add_months(Months::new(VALIDITY_MONTHS))
        .ok_or(CertificateError::DateOutOfRange(not_before))?;
    let validity = Validity { not_before: x509_time(not_before)?, not_after: x509_time(not_after)? };

    let tbs_certificate = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(key_id.as_bytes()).map_err(CertificateError::Encode)?,
        signature: ed25519_algorithm(),
        issuer: name.clone(),
        validity,
        subject: name,
        subject_public_key_info: subject_public_key_info(&verifying).map_err(CertificateError::Encode)?,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions(verifying.as_bytes()).map_err(CertificateError::Encode)?),
    };
    let tbs_der = tbs_certificate.to_der().map_err(CertificateError::Encode)?;
    let signature = key.sign(&tbs_der);
    Ok(Certificate {
        tbs_certificate,
        signature_algorithm: ed25519_algorithm(),
        signature: BitString::from_bytes(&signature.to_bytes()).map_err(CertificateError::Encode)?,
    })
}

/// The Ed25519 public key a certificate certifies (its signature is not
/// checked: the certificate is a carrier for the key, trusted or not by the
/// key itself).
pub fn certified_key(certificate: &Certificate) -> Result<VerifyingKey, CertificateError> {
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid == rfc5912::ID_EC_PUBLIC_KEY {
        return Err(CertificateError::EcdsaNotTheProviderKey);
    }
    if spki.algorithm.oid != rfc8410::ID_ED_25519 {
        return Err(CertificateError::NotEd25519(spki.algorithm.oid));
    }
    let raw: [u8; 32] =
        spki.subject_public_key.as_bytes().and_then(|b| b.try_into().ok()).ok_or(CertificateError::BadPublicKey)?;
    VerifyingKey::from_bytes(&raw).map_err(|_| CertificateError::BadPublicKey)
}

/// Builds the self-signed certificate of the provider's P-256 key (see
/// [`super::PadesKey`]) with the `subject` and `validity` of the provider's
/// Ed25519 certificate, so that both name the same signer for the same
/// time. The serial number is the first 8 bytes of SHA-256 over the key's
/// uncompressed SEC1 point, the signature ecdsa-with-SHA256 (RFC 6979,
/// deterministic); extensions as in [`self_signed`]. The result depends
/// only on its arguments.
pub(crate) fn p256_self_signed(
    key: &p256::ecdsa::SigningKey,
    subject: &Name,
    validity: Validity,
) -> Result<Certificate, CertificateError> {
    let point = key.verifying_key().to_encoded_point(false);
    let spki_der = p256::PublicKey::from(key.verifying_key())
        .to_public_key_der()
        .map_err(|error| CertificateError::EncodeP256(error.to_string()))?;
    let subject_public_key_info =
        SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).map_err(CertificateError::Encode)?;
    let tbs_certificate = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&Sha256::digest(point.as_bytes())[..8]).map_err(CertificateError::Encode)?,
        signature: ecdsa_with_sha256(),
        issuer: subject.clone(),
        validity,
        subject: subject.clone(),
        subject_public_key_info,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(p256_extensions(point.as_bytes()).map_err(CertificateError::Encode)?),
    };
    let tbs_der = tbs_certificate.to_der().map_err(CertificateError::Encode)?;
    let signature: p256::ecdsa::Signature = key.sign(&tbs_der);
    Ok(Certificate {
        tbs_certificate,
        signature_algorithm: ecdsa_with_sha256(),
        signature: BitString::from_bytes(signature.to_der().as_bytes()).map_err(CertificateError::Encode)?,
    })
}

/// The extensions of [`self_signed`], and an authority key identifier
/// naming the certificate's own key. The P-256 and the Ed25519 certificate
/// share a subject, and both travel in the PDF's signature: without the
/// identifier a path builder may take the Ed25519 certificate for the
/// P-256 one's issuer (pyHanko's does, and fails on it).
fn p256_extensions(raw_public_key: &[u8]) -> der::Result<Vec<Extension>> {
    let mut extensions = extensions(raw_public_key)?;
    let authority_key_id = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(&Sha256::digest(raw_public_key)[..20])?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    extensions.push(Extension {
        extn_id: rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
        critical: false,
        extn_value: OctetString::new(authority_key_id.to_der()?)?,
    });
    Ok(extensions)
}

/// The AlgorithmIdentifier of ecdsa-with-SHA256 (RFC 5758): no parameters.
pub(crate) fn ecdsa_with_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: rfc5912::ECDSA_WITH_SHA_256, parameters: None }
}

/// The P-256 public key a certificate certifies (id-ecPublicKey on
/// secp256r1); its signature is not checked, as for [`certified_key`].
pub(crate) fn certified_p256_key(certificate: &Certificate) -> Result<p256::ecdsa::VerifyingKey, CertificateError> {
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    let curve =
        spki.algorithm.parameters.as_ref().and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok());
    if spki.algorithm.oid != rfc5912::ID_EC_PUBLIC_KEY || curve != Some(rfc5912::SECP_256_R_1) {
        return Err(CertificateError::NotP256(curve.unwrap_or(spki.algorithm.oid)));
    }
    let point = spki.subject_public_key.as_bytes().ok_or(CertificateError::BadP256PublicKey)?;
    p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| CertificateError::BadP256PublicKey)
}

fn subject_public_key_info(key: &VerifyingKey) -> der::Result<SubjectPublicKeyInfoOwned> {
    Ok(SubjectPublicKeyInfoOwned {
        algorithm: ed25519_algorithm(),
        subject_public_key: BitString::from_bytes(key.as_bytes())?,
    })
}

/// `O=<name>` then `CN=<name>` in the RDNSequence, which RFC 4514 prints as
/// `CN=<name>,O=<name>`.
fn provider_name_dn(provider_name: &str) -> Result<Name, CertificateError> {
    let rdn = |oid| -> der::Result<RelativeDistinguishedName> {
        let value = Any::encode_from(&Utf8StringRef::new(provider_name)?)?;
        Ok(RelativeDistinguishedName(SetOfVec::try_from(vec![AttributeTypeAndValue { oid, value }])?))
    };
    let rdns =
        vec![rdn(rfc4519::O).map_err(CertificateError::Encode)?, rdn(rfc4519::CN).map_err(CertificateError::Encode)?];
    Ok(RdnSequence(rdns))
}

/// Midnight UTC of `date`, as UTCTime up to 2049 and GeneralizedTime from
/// 2050 on (RFC 5280 §4.1.2.5).
fn x509_time(date: NaiveDate) -> Result<Time, CertificateError> {
    let out_of_range = |_| CertificateError::DateOutOfRange(date);
    let year = u16::try_from(date.year()).map_err(|_| CertificateError::DateOutOfRange(date))?;
    // `month()`/`day()` are 1..=12 / 1..=31, so the narrowing cannot fail.
    let month = u8::try_from(date.month()).map_err(|_| CertificateError::DateOutOfRange(date))?;
    let day = u8::try_from(date.day()).map_err(|_| CertificateError::DateOutOfRange(date))?;
    let date_time = DateTime::new(year, month, day, 0, 0, 0).map_err(out_of_range)?;
    if year < 2050 {
        Ok(Time::UtcTime(UtcTime::from_date_time(date_time).map_err(out_of_range)?))
    } else {
        Ok(Time::GeneralTime(der::asn1::GeneralizedTime::from_date_time(date_time)))
    }
}

/// The extensions of both provider certificates; `raw_public_key` is what
/// the subject key identifier hashes (the Ed25519 key's 32 bytes, the
/// P-256 key's uncompressed SEC1 point).
fn extensions(raw_public_key: &[u8]) -> der::Result<Vec<Extension>> {
    let key_usage = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation);
    let basic_constraints = BasicConstraints { ca: false, path_len_constraint: None };
    let subject_key_id = SubjectKeyIdentifier(OctetString::new(&Sha256::digest(raw_public_key)[..20])?);
    Ok(vec![
        Extension {
            extn_id: rfc5280::ID_CE_BASIC_CONSTRAINTS,
            critical: true,
            extn_value: OctetString::new(basic_constraints.to_der()?)?,
        },
        Extension {
            extn_id: rfc5280::ID_CE_KEY_USAGE,
            critical: true,
            extn_value: OctetString::new(key_usage.to_der()?)?,
        },
        Extension {
            extn_id: rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
            critical: false,
            extn_value: OctetString::new(subject_key_id.to_der()?)?,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[42u8; 32])
    }

    #[test]
    fn certificate_is_self_signed_with_the_key_and_names_the_provider() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let cert = self_signed(&key(), "Acme Services Ltd", date).unwrap();
        let tbs_der = cert.tbs_certificate.to_der().unwrap();
        let signature = ed25519_dalek::Signature::from_slice(cert.signature.raw_bytes()).unwrap();
        key().verifying_key().verify(&tbs_der, &signature).unwrap();
        assert_eq!(cert.tbs_certificate.subject.to_string(), "CN=Acme Services Ltd,O=Acme Services Ltd");
        assert_eq!(cert.tbs_certificate.issuer, cert.tbs_certificate.subject);
        assert_eq!(certified_key(&cert).unwrap(), key().verifying_key());
        assert_eq!(cert.tbs_certificate.validity.not_after.to_string(), "2046-11-01T00:00:00Z");
    }

    #[test]
    fn certificate_round_trips_through_der_unchanged() {
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let cert = self_signed(&key(), "P", date).unwrap();
        let der = cert.to_der().unwrap();
        assert_eq!(Certificate::from_der(&der).unwrap().to_der().unwrap(), der);
        assert_eq!(cert.tbs_certificate.validity.not_after.to_string(), "2044-02-29T00:00:00Z");
    }

    #[test]
    fn validity_after_2049_uses_generalized_time() {
        let date = NaiveDate::from_ymd_opt(2040, 1, 1).unwrap();
        let cert = self_signed(&key(), "P", date).unwrap();
        assert!(matches!(cert.tbs_certificate.validity.not_after, Time::GeneralTime(_)));
        assert!(matches!(cert.tbs_certificate.validity.not_before, Time::UtcTime(_)));
    }

    #[test]
    fn building_twice_gives_identical_bytes() {
        let date = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let a = self_signed(&key(), "P", date).unwrap().to_der().unwrap();
        let b = self_signed(&key(), "P", date).unwrap().to_der().unwrap();
        assert_eq!(a, b);
    }
}
