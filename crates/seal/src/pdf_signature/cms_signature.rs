//! The CMS SignedData inside `/Contents`: CAdES detached (ETSI EN 319 122),
//! SHA-512 message digest, ESS signing-certificate-v2, Ed25519 as RFC 8419
//! and ISO 32002 define it (the signature is over the DER of the signed
//! attributes themselves, no pre-hash).

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use const_oid::db::{rfc5911, rfc5912, rfc8410};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Reader, Sequence};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256, Sha512};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, Attributes};

use crate::keys::ProviderKey;

/// ESS `SigningCertificateV2` (RFC 5035 §3); the optional policies are
/// never written, and ignored when read.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// ESS `ESSCertIDv2`. The hash algorithm is `DEFAULT sha256`: absent
/// (`None`) means SHA-256, which is the one written (and so, as DER
/// requires, left out).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

fn sha512_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: rfc5912::ID_SHA_512, parameters: None }
}

fn attribute(oid: ObjectIdentifier, value: &impl Encode) -> der::Result<Attribute> {
    Ok(Attribute { oid, values: SetOfVec::try_from(vec![Any::from_der(&value.to_der()?)?])? })
}

/// The DER `ContentInfo` holding a SignedData over content whose SHA-512 is
/// `content_digest`, signed by `key` and carrying its certificate. Depends
/// only on its arguments (Ed25519 is deterministic; nothing else varies).
pub(crate) fn sign_detached(content_digest: &[u8], key: &ProviderKey) -> der::Result<Vec<u8>> {
    let certificate = Certificate::from_der(key.certificate().der())?;
    let cert_hash = Sha256::digest(key.certificate().der());
    let signing_certificate = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(cert_hash.as_slice())?,
            issuer_serial: None,
        }],
    };
    let signed_attributes: Attributes = SetOfVec::try_from(vec![
        attribute(rfc5911::ID_CONTENT_TYPE, &rfc5911::ID_DATA)?,
        attribute(rfc5911::ID_MESSAGE_DIGEST, &OctetString::new(content_digest)?)?,
        attribute(rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2, &signing_certificate)?,
    ])?;
    // RFC 5652 §5.4: the signature covers the DER of the attributes with
    // the SET OF tag, not the [0] IMPLICIT tag they carry in SignerInfo.
    let signature = key.sign(&signed_attributes.to_der()?);
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: certificate.tbs_certificate.issuer.clone(),
            serial_number: certificate.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha512_algorithm(),
        signed_attrs: Some(signed_attributes),
        signature_algorithm: AlgorithmIdentifierOwned { oid: rfc8410::ID_ED_25519, parameters: None },
        signature: OctetString::new(signature.to_bytes().as_slice())?,
        unsigned_attrs: None,
    };
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha512_algorithm()])?,
        encap_content_info: EncapsulatedContentInfo { econtent_type: rfc5911::ID_DATA, econtent: None },
        certificates: Some(CertificateSet(SetOfVec::try_from(vec![CertificateChoices::Certificate(certificate)])?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    ContentInfo { content_type: rfc5911::ID_SIGNED_DATA, content: Any::encode_from(&signed_data)? }.to_der()
}

/// What checking a CMS signature found. Each `Result` is `Err(reason)`
/// when that check failed or could not be made.
pub(crate) struct CmsFindings {
    /// The signer's certificate and key, when they could be found.
    pub signer: Option<(Certificate, VerifyingKey)>,
    pub structure: Result<(), String>,
    pub message_digest: Result<(), String>,
    pub signature: Result<(), String>,
    pub signing_certificate: Result<(), String>,
}

/// Checks a DER SignedData (followed by zero padding, as in `/Contents`)
/// against the SHA-512 of the signed content. Never panics.
pub(crate) fn verify_detached(cms_bytes: &[u8], signed_ranges: [&[u8]; 2]) -> CmsFindings {
    let not_checked = || Err("not checked: the CMS structure is unusable".to_owned());
    let mut findings = CmsFindings {
        signer: None,
        structure: Ok(()),
        message_digest: not_checked(),
        signature: not_checked(),
        signing_certificate: not_checked(),
    };
    let parsed = match parse(cms_bytes) {
        Ok(parsed) => parsed,
        Err(reason) => {
            findings.structure = Err(reason);
            return findings;
        }
    };
    let digest = Sha512::new().chain_update(signed_ranges[0]).chain_update(signed_ranges[1]).finalize();
    findings.message_digest = match &parsed.message_digest {
        Some(stated) if stated.as_slice() == digest.as_slice() => Ok(()),
        Some(_) => Err("the SHA-512 of the signed byte ranges differs from the signed message-digest attribute".into()),
        None => Err("no message-digest attribute".into()),
    };
    findings.signature = match (&parsed.signer, Signature::from_slice(&parsed.signature)) {
        (Some((_, key)), Ok(signature)) => key
            .verify_strict(&parsed.signed_attributes_der, &signature)
            .map_err(|_| "the Ed25519 signature over the signed attributes does not verify".to_owned()),
        (None, _) => Err("the signer's certificate is not in the signature".into()),
        (_, Err(_)) => Err("the signature value is not 64 bytes".into()),
    };
    findings.signing_certificate = match (&parsed.signer, &parsed.signing_certificate) {
        (Some((certificate, _)), Some(ess)) => check_signing_certificate(certificate, ess),
        (None, _) => Err("the signer's certificate is not in the signature".into()),
        (_, None) => Err("no ESS signing-certificate-v2 attribute".into()),
    };
    findings.signer = parsed.signer;
    findings
}

struct ParsedSignature {
    signer: Option<(Certificate, VerifyingKey)>,
    signed_attributes_der: Vec<u8>,
    signature: Vec<u8>,
    message_digest: Option<Vec<u8>>,
    signing_certificate: Option<SigningCertificateV2>,
}

/// Decodes the SignedData and checks its shape: detached id-data content,
/// one signer, SHA-512, Ed25519, signed attributes with content-type id-data.
fn parse(cms_bytes: &[u8]) -> Result<ParsedSignature, String> {
    let mut reader = der::SliceReader::new(cms_bytes).map_err(|error| format!("not DER: {error}"))?;
    let content_info = ContentInfo::decode(&mut reader).map_err(|error| format!("not a CMS ContentInfo: {error}"))?;
    let trailing = usize::try_from(u32::from(reader.remaining_len())).map_err(|_| "length overflow".to_owned())?;
    if cms_bytes[cms_bytes.len().saturating_sub(trailing)..].iter().any(|&byte| byte != 0) {
        return Err("non-zero bytes follow the CMS structure in /Contents".into());
    }
    if content_info.content_type != rfc5911::ID_SIGNED_DATA {
        return Err(format!("content type {} is not signedData", content_info.content_type));
    }
    let signed_data: SignedData =
        content_info.content.decode_as().map_err(|error| format!("not a CMS SignedData: {error}"))?;
    if signed_data.encap_content_info.econtent_type != rfc5911::ID_DATA
        || signed_data.encap_content_info.econtent.is_some()
    {
        return Err("the signed content is not detached id-data".into());
    }
    let signer_info = match signed_data.signer_infos.0.as_slice() {
        [one] => one,
        other => return Err(format!("{} signers; expected exactly one", other.len())),
    };
    if signer_info.digest_alg.oid != rfc5912::ID_SHA_512 {
        return Err(format!("digest algorithm {} is not SHA-512", signer_info.digest_alg.oid));
    }
    if signer_info.signature_algorithm.oid != rfc8410::ID_ED_25519 {
        return Err(format!("signature algorithm {} is not Ed25519", signer_info.signature_algorithm.oid));
    }
    let attributes = signer_info.signed_attrs.as_ref().ok_or("no signed attributes")?;
    let single = |oid: ObjectIdentifier| -> Result<Option<&Any>, String> {
        match attributes.iter().filter(|attribute| attribute.oid == oid).collect::<Vec<_>>().as_slice() {
            [] => Ok(None),
            [attribute] => match attribute.values.as_slice() {
                [value] => Ok(Some(value)),
                _ => Err(format!("attribute {oid} must have exactly one value")),
            },
            _ => Err(format!("attribute {oid} appears more than once")),
        }
    };
    let content_type = single(rfc5911::ID_CONTENT_TYPE)?
        .and_then(|value| value.decode_as::<ObjectIdentifier>().ok())
        .ok_or("no content-type attribute")?;
    if content_type != rfc5911::ID_DATA {
        return Err("the content-type attribute is not id-data".into());
    }
    let message_digest = single(rfc5911::ID_MESSAGE_DIGEST)?
        .map(|value| value.decode_as::<OctetString>().map(OctetString::into_bytes))
        .transpose()
        .map_err(|error| format!("bad message-digest attribute: {error}"))?;
    let signing_certificate = single(rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2)?
        .map(|value| value.decode_as::<SigningCertificateV2>())
        .transpose()
        .map_err(|error| format!("bad signing-certificate-v2 attribute: {error}"))?;
    let signed_attributes_der =
        attributes.to_der().map_err(|error| format!("cannot encode signed attributes: {error}"))?;
    Ok(ParsedSignature {
        signer: find_signer(&signed_data, &signer_info.sid),
        signed_attributes_der,
        signature: signer_info.signature.as_bytes().to_vec(),
        message_digest,
        signing_certificate,
    })
}

/// The certificate `sid` names among those in the SignedData, with its
/// Ed25519 key.
fn find_signer(signed_data: &SignedData, sid: &SignerIdentifier) -> Option<(Certificate, VerifyingKey)> {
    let certificates = signed_data.certificates.as_ref()?;
    certificates.0.iter().find_map(|choice| {
        let CertificateChoices::Certificate(certificate) = choice else { return None };
        let matches = match sid {
            SignerIdentifier::IssuerAndSerialNumber(issuer_and_serial) => {
                issuer_and_serial.issuer == certificate.tbs_certificate.issuer
                    && issuer_and_serial.serial_number == certificate.tbs_certificate.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(_) => false,
        };
        let key = crate::keys::certified_key(certificate).ok()?;
        matches.then(|| (certificate.clone(), key))
    })
}

fn check_signing_certificate(certificate: &Certificate, ess: &SigningCertificateV2) -> Result<(), String> {
    let first = ess.certs.first().ok_or("the signing-certificate-v2 attribute lists no certificate")?;
    let der = certificate.to_der().map_err(|error| format!("cannot encode the certificate: {error}"))?;
    let hash_algorithm = first.hash_algorithm.as_ref().map_or(rfc5912::ID_SHA_256, |algorithm| algorithm.oid);
    let hash = match hash_algorithm {
        oid if oid == rfc5912::ID_SHA_256 => Sha256::digest(&der).to_vec(),
        oid if oid == rfc5912::ID_SHA_512 => Sha512::digest(&der).to_vec(),
        oid => return Err(format!("signing-certificate-v2 uses hash algorithm {oid}; expected SHA-256 or SHA-512")),
    };
    if hash.as_slice() == first.cert_hash.as_bytes() {
        Ok(())
    } else {
        Err("the signing-certificate-v2 hash does not match the embedded certificate".into())
    }
}
