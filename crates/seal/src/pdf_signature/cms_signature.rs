//! The CMS SignedData inside `/Contents`: CAdES detached (ETSI EN 319 122),
//! one signer with the provider's P-256 key (SHA-256 message digest, ESS
//! signing-certificate-v2, ecdsa-with-SHA256), whose signature value the
//! provider's Ed25519 key countersigns (RFC 5652 §11.4; SHA-512, Ed25519 as
//! RFC 8419 defines it: over the DER of the signed attributes themselves,
//! no pre-hash). Viewers check the ECDSA signature; `kpiseal verify` checks
//! both, and pins the Ed25519 key.

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

use p256::ecdsa::signature::Verifier;

use crate::keys::{ProviderKey, ecdsa_with_sha256};

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

fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: rfc5912::ID_SHA_256, parameters: None }
}

fn sha512_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: rfc5912::ID_SHA_512, parameters: None }
}

fn attribute(oid: ObjectIdentifier, value: &impl Encode) -> der::Result<Attribute> {
    Ok(Attribute { oid, values: SetOfVec::try_from(vec![Any::from_der(&value.to_der()?)?])? })
}

/// An `ESSCertIDv2` with the default hash (SHA-256) of `certificate_der`.
fn ess_cert_id(certificate_der: &[u8]) -> der::Result<EssCertIdV2> {
    Ok(EssCertIdV2 {
        hash_algorithm: None,
        cert_hash: OctetString::new(Sha256::digest(certificate_der).as_slice())?,
        issuer_serial: None,
    })
}

fn issuer_and_serial(certificate: &Certificate) -> SignerIdentifier {
    SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: certificate.tbs_certificate.issuer.clone(),
        serial_number: certificate.tbs_certificate.serial_number.clone(),
    })
}

/// The DER `ContentInfo` of the PDF's signature over `signed_ranges`: one
/// SignedData, one signer, the provider's P-256 key ([`crate::keys::PadesKey`]):
///
/// - signed attributes: content-type id-data, message-digest = SHA-256 of
///   the ranges, ESS signing-certificate-v2 naming the P-256 certificate;
/// - signature: ecdsa-with-SHA256 over their DER (RFC 6979, deterministic);
/// - one unsigned attribute, a countersignature (RFC 5652 §11.4) by the
///   provider's Ed25519 key: signed attributes message-digest = SHA-512 of
///   the ECDSA signature value and signing-certificate-v2 naming the
///   Ed25519 certificate, then the P-256 certificate (so the Ed25519 key
///   vouches for exactly that certificate); Ed25519 over their DER (RFC 8419);
/// - both certificates in the SignedData.
///
/// Depends only on its arguments.
pub(crate) fn sign_detached(signed_ranges: [&[u8]; 2], key: &ProviderKey) -> der::Result<Vec<u8>> {
    let pades = key.pades_key();
    let pades_certificate = pades.certificate().clone();
    let ed25519_certificate = Certificate::from_der(key.certificate().der())?;
    let signed_attributes = signer_attributes(&content_digest(signed_ranges), pades.certificate_der())?;
    // RFC 5652 §5.4: the signature covers the DER of the attributes with
    // the SET OF tag, not the [0] IMPLICIT tag they carry in SignerInfo.
    let ecdsa_signature = pades.sign(&signed_attributes.to_der()?).to_der();
    let countersignature = countersign(ecdsa_signature.as_bytes(), key, &ed25519_certificate)?;
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: issuer_and_serial(&pades_certificate),
        digest_alg: sha256_algorithm(),
        signed_attrs: Some(signed_attributes),
        signature_algorithm: ecdsa_with_sha256(),
        signature: OctetString::new(ecdsa_signature.as_bytes())?,
        unsigned_attrs: Some(SetOfVec::try_from(vec![attribute(rfc5911::ID_COUNTERSIGNATURE, &countersignature)?])?),
    };
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()])?,
        encap_content_info: EncapsulatedContentInfo { econtent_type: rfc5911::ID_DATA, econtent: None },
        certificates: Some(CertificateSet(SetOfVec::try_from(vec![
            CertificateChoices::Certificate(pades_certificate),
            CertificateChoices::Certificate(ed25519_certificate),
        ])?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    content_info_der(&signed_data)
}

/// The SHA-256 of the signed byte ranges, which the signer's message-digest
/// attribute states.
fn content_digest(signed_ranges: [&[u8]; 2]) -> [u8; 32] {
    Sha256::new().chain_update(signed_ranges[0]).chain_update(signed_ranges[1]).finalize().into()
}

/// The signer's signed attributes: content-type id-data, message-digest
/// `content_digest`, ESS signing-certificate-v2 naming `certificate_der`.
fn signer_attributes(content_digest: &[u8], certificate_der: &[u8]) -> der::Result<Attributes> {
    SetOfVec::try_from(vec![
        attribute(rfc5911::ID_CONTENT_TYPE, &rfc5911::ID_DATA)?,
        attribute(rfc5911::ID_MESSAGE_DIGEST, &OctetString::new(content_digest)?)?,
        attribute(
            rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
            &SigningCertificateV2 { certs: vec![ess_cert_id(certificate_der)?] },
        )?,
    ])
}

/// `signed_data` wrapped in its ContentInfo, DER.
fn content_info_der(signed_data: &SignedData) -> der::Result<Vec<u8>> {
    ContentInfo { content_type: rfc5911::ID_SIGNED_DATA, content: Any::encode_from(signed_data)? }.to_der()
}

/// The Ed25519 countersignature of `ecdsa_signature` (see [`sign_detached`]).
fn countersign(
    ecdsa_signature: &[u8],
    key: &ProviderKey,
    ed25519_certificate: &Certificate,
) -> der::Result<SignerInfo> {
    let signed_attributes: Attributes = SetOfVec::try_from(vec![
        attribute(rfc5911::ID_MESSAGE_DIGEST, &OctetString::new(Sha512::digest(ecdsa_signature).as_slice())?)?,
        attribute(
            rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
            &SigningCertificateV2 {
                certs: vec![ess_cert_id(key.certificate().der())?, ess_cert_id(key.pades_key().certificate_der())?],
            },
        )?,
    ])?;
    let signature = key.sign(&signed_attributes.to_der()?);
    Ok(SignerInfo {
        version: CmsVersion::V1,
        sid: issuer_and_serial(ed25519_certificate),
        digest_alg: sha512_algorithm(),
        signed_attrs: Some(signed_attributes),
        signature_algorithm: AlgorithmIdentifierOwned { oid: rfc8410::ID_ED_25519, parameters: None },
        signature: OctetString::new(signature.to_bytes().as_slice())?,
        unsigned_attrs: None,
    })
}

/// What checking a CMS signature found. Each `Result` is `Err(reason)`
/// when that check failed or could not be made.
pub(crate) struct CmsFindings {
    /// The provider: the Ed25519 countersigner's certificate and key, when
    /// they could be found.
    pub signer: Option<(Certificate, VerifyingKey)>,
    pub structure: Result<(), String>,
    /// The P-256 signer's message-digest against the signed ranges.
    pub message_digest: Result<(), String>,
    /// The ECDSA P-256 signature over the signed attributes.
    pub signature: Result<(), String>,
    /// The P-256 signer's signing-certificate-v2 against its certificate.
    pub signing_certificate: Result<(), String>,
    /// The Ed25519 countersignature over the ECDSA signature value.
    pub countersignature: Result<(), String>,
    /// The countersigner's signing-certificate-v2: the Ed25519 certificate,
    /// then the P-256 certificate, both with the same subject.
    pub countersigning_certificate: Result<(), String>,
}

/// Checks a DER SignedData as [`sign_detached`] writes it (followed by zero
/// padding, as in `/Contents`) against the signed content. Never panics.
pub(crate) fn verify_detached(cms_bytes: &[u8], signed_ranges: [&[u8]; 2]) -> CmsFindings {
    let not_checked = || Err("not checked: the CMS structure is unusable".to_owned());
    let mut findings = CmsFindings {
        signer: None,
        structure: Ok(()),
        message_digest: not_checked(),
        signature: not_checked(),
        signing_certificate: not_checked(),
        countersignature: not_checked(),
        countersigning_certificate: not_checked(),
    };
    let parsed = match parse(cms_bytes) {
        Ok(parsed) => parsed,
        Err(reason) => {
            findings.structure = Err(reason);
            return findings;
        }
    };
    let digest = content_digest(signed_ranges);
    findings.message_digest = match &parsed.primary.message_digest {
        Some(stated) if stated.as_slice() == digest.as_slice() => Ok(()),
        Some(_) => Err("the SHA-256 of the signed byte ranges differs from the signed message-digest attribute".into()),
        None => Err("no message-digest attribute".into()),
    };
    findings.signature = match (&parsed.pades_signer, p256::ecdsa::Signature::from_der(&parsed.primary.signature)) {
        (Some((_, key)), Ok(signature)) => key
            .verify(&parsed.primary.signed_attributes_der, &signature)
            .map_err(|_| "the ECDSA P-256 signature over the signed attributes does not verify".to_owned()),
        (None, _) => Err("the P-256 signer's certificate is not in the signature".into()),
        (_, Err(_)) => Err("the signature value is not a DER ECDSA signature".into()),
    };
    findings.signing_certificate = match (&parsed.pades_signer, &parsed.primary.signing_certificate) {
        (Some((certificate, _)), Some(ess)) => check_signing_certificate(certificate, ess),
        (None, _) => Err("the P-256 signer's certificate is not in the signature".into()),
        (_, None) => Err("no ESS signing-certificate-v2 attribute".into()),
    };
    let counter_digest = Sha512::digest(&parsed.primary.signature);
    findings.countersignature = match (&parsed.signer, Signature::from_slice(&parsed.counter.signature)) {
        _ if parsed.counter.message_digest.as_deref() != Some(counter_digest.as_slice()) => {
            Err("the countersignature's message-digest is not the SHA-512 of the ECDSA signature".into())
        }
        (Some((_, key)), Ok(signature)) => key
            .verify_strict(&parsed.counter.signed_attributes_der, &signature)
            .map_err(|_| "the Ed25519 countersignature does not verify".to_owned()),
        (None, _) => Err("the Ed25519 countersigner's certificate is not in the signature".into()),
        (_, Err(_)) => Err("the countersignature value is not 64 bytes".into()),
    };
    findings.countersigning_certificate =
        match (&parsed.signer, &parsed.pades_signer, &parsed.counter.signing_certificate) {
            (Some((ed25519, _)), Some((pades, _)), Some(ess)) => check_countersigning_certificates(ed25519, pades, ess),
            (None, _, _) => Err("the Ed25519 countersigner's certificate is not in the signature".into()),
            (_, None, _) => Err("the P-256 signer's certificate is not in the signature".into()),
            (_, _, None) => Err("the countersignature has no ESS signing-certificate-v2 attribute".into()),
        };
    findings.signer = parsed.signer;
    findings
}

/// One SignerInfo's parts that the checks need.
struct ParsedSigner {
    signed_attributes_der: Vec<u8>,
    signature: Vec<u8>,
    message_digest: Option<Vec<u8>>,
    signing_certificate: Option<SigningCertificateV2>,
}

struct ParsedSignature {
    /// The Ed25519 countersigner.
    signer: Option<(Certificate, VerifyingKey)>,
    /// The P-256 signer.
    pades_signer: Option<(Certificate, p256::ecdsa::VerifyingKey)>,
    primary: ParsedSigner,
    counter: ParsedSigner,
}

/// Decodes the SignedData and checks its shape: detached id-data content;
/// one signer, SHA-256 and ecdsa-with-SHA256, with content-type id-data;
/// one unsigned attribute, one countersignature, SHA-512 and Ed25519,
/// without content-type.
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
    if signer_info.signature_algorithm.oid == rfc8410::ID_ED_25519 {
        return Err("the signer signed with Ed25519 alone, as kpiseal did before 2026-12-05; this version \
                    checks an ECDSA P-256 signature countersigned with Ed25519"
            .into());
    }
    if signer_info.digest_alg.oid != rfc5912::ID_SHA_256 {
        return Err(format!("digest algorithm {} is not SHA-256", signer_info.digest_alg.oid));
    }
    if signer_info.signature_algorithm != ecdsa_with_sha256() {
        return Err(format!("signature algorithm {} is not ecdsa-with-SHA256", signer_info.signature_algorithm.oid));
    }
    let primary = parse_signer(signer_info, "the signer")?;
    let content_type = single(signer_info.signed_attrs.as_ref(), rfc5911::ID_CONTENT_TYPE)?
        .and_then(|value| value.decode_as::<ObjectIdentifier>().ok())
        .ok_or("no content-type attribute")?;
    if content_type != rfc5911::ID_DATA {
        return Err("the content-type attribute is not id-data".into());
    }
    let unsigned = signer_info.unsigned_attrs.as_ref().ok_or("no Ed25519 countersignature (no unsigned attributes)")?;
    let countersigner: SignerInfo = match unsigned.as_slice() {
        [attribute] if attribute.oid == rfc5911::ID_COUNTERSIGNATURE => match attribute.values.as_slice() {
            [value] => value.decode_as().map_err(|error| format!("bad countersignature: {error}"))?,
            _ => return Err("the countersignature attribute must have exactly one value".into()),
        },
        _ => return Err("the unsigned attributes must be exactly one countersignature".into()),
    };
    if countersigner.digest_alg.oid != rfc5912::ID_SHA_512 {
        return Err(format!("countersignature digest algorithm {} is not SHA-512", countersigner.digest_alg.oid));
    }
    if countersigner.signature_algorithm.oid != rfc8410::ID_ED_25519 {
        return Err(format!("countersignature algorithm {} is not Ed25519", countersigner.signature_algorithm.oid));
    }
    if countersigner.unsigned_attrs.is_some() {
        return Err("the countersignature has unsigned attributes".into());
    }
    // RFC 5652 §11.4: a countersignature has no content-type attribute.
    if single(countersigner.signed_attrs.as_ref(), rfc5911::ID_CONTENT_TYPE)?.is_some() {
        return Err("the countersignature has a content-type attribute".into());
    }
    let counter = parse_signer(&countersigner, "the countersignature")?;
    Ok(ParsedSignature {
        signer: find_certificate(&signed_data, &countersigner.sid)
            .and_then(|certificate| Some((certificate.clone(), crate::keys::certified_key(certificate).ok()?))),
        pades_signer: find_certificate(&signed_data, &signer_info.sid)
            .and_then(|certificate| Some((certificate.clone(), crate::keys::certified_p256_key(certificate).ok()?))),
        primary,
        counter,
    })
}

/// The signed attributes of `signer_info` (`who` names it in errors).
fn parse_signer(signer_info: &SignerInfo, who: &str) -> Result<ParsedSigner, String> {
    let attributes = signer_info.signed_attrs.as_ref().ok_or_else(|| format!("{who} has no signed attributes"))?;
    let message_digest = single(Some(attributes), rfc5911::ID_MESSAGE_DIGEST)?
        .map(|value| value.decode_as::<OctetString>().map(OctetString::into_bytes))
        .transpose()
        .map_err(|error| format!("{who}: bad message-digest attribute: {error}"))?;
    let signing_certificate = single(Some(attributes), rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2)?
        .map(|value| value.decode_as::<SigningCertificateV2>())
        .transpose()
        .map_err(|error| format!("{who}: bad signing-certificate-v2 attribute: {error}"))?;
    let signed_attributes_der =
        attributes.to_der().map_err(|error| format!("{who}: cannot encode signed attributes: {error}"))?;
    Ok(ParsedSigner {
        signed_attributes_der,
        signature: signer_info.signature.as_bytes().to_vec(),
        message_digest,
        signing_certificate,
    })
}

/// The one value of the attribute `oid`, `None` when it is absent; an
/// error when it appears twice or has other than one value.
fn single(attributes: Option<&Attributes>, oid: ObjectIdentifier) -> Result<Option<&Any>, String> {
    let found: Vec<&Attribute> =
        attributes.into_iter().flat_map(|set| set.iter()).filter(|attribute| attribute.oid == oid).collect();
    match found.as_slice() {
        [] => Ok(None),
        [attribute] => match attribute.values.as_slice() {
            [value] => Ok(Some(value)),
            _ => Err(format!("attribute {oid} must have exactly one value")),
        },
        _ => Err(format!("attribute {oid} appears more than once")),
    }
}

/// The certificate `sid` names among those in the SignedData.
fn find_certificate<'a>(signed_data: &'a SignedData, sid: &SignerIdentifier) -> Option<&'a Certificate> {
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
        matches.then_some(certificate)
    })
}

/// The SHA-256 or SHA-512 (as `id` says) of `certificate`'s DER, compared with `id`.
fn names_certificate(id: &EssCertIdV2, certificate: &Certificate) -> Result<bool, String> {
    let der = certificate.to_der().map_err(|error| format!("cannot encode the certificate: {error}"))?;
    let hash_algorithm = id.hash_algorithm.as_ref().map_or(rfc5912::ID_SHA_256, |algorithm| algorithm.oid);
    let hash = match hash_algorithm {
        oid if oid == rfc5912::ID_SHA_256 => Sha256::digest(&der).to_vec(),
        oid if oid == rfc5912::ID_SHA_512 => Sha512::digest(&der).to_vec(),
        oid => return Err(format!("signing-certificate-v2 uses hash algorithm {oid}; expected SHA-256 or SHA-512")),
    };
    Ok(hash.as_slice() == id.cert_hash.as_bytes())
}

fn check_signing_certificate(certificate: &Certificate, ess: &SigningCertificateV2) -> Result<(), String> {
    let first = ess.certs.first().ok_or("the signing-certificate-v2 attribute lists no certificate")?;
    if names_certificate(first, certificate)? {
        Ok(())
    } else {
        Err("the signing-certificate-v2 hash does not match the embedded certificate".into())
    }
}

/// The countersigner's signing-certificate-v2 must list exactly the
/// Ed25519 certificate, then the P-256 certificate: that is what binds the
/// P-256 key to the provider's Ed25519 key. Both must name the same subject.
fn check_countersigning_certificates(
    ed25519: &Certificate,
    pades: &Certificate,
    ess: &SigningCertificateV2,
) -> Result<(), String> {
    let [first, second] = ess.certs.as_slice() else {
        return Err(format!(
            "the countersignature's signing-certificate-v2 lists {} certificates; expected the Ed25519 and the \
             P-256 certificate",
            ess.certs.len()
        ));
    };
    if !names_certificate(first, ed25519)? {
        return Err("the countersignature's signing-certificate-v2 does not name the Ed25519 certificate".into());
    }
    if !names_certificate(second, pades)? {
        return Err(
            "the countersignature's signing-certificate-v2 does not name the P-256 certificate that signed".into()
        );
    }
    if ed25519.tbs_certificate.subject != pades.tbs_certificate.subject {
        return Err(format!(
            "the P-256 certificate names {}, the Ed25519 certificate {}",
            pades.tbs_certificate.subject, ed25519.tbs_certificate.subject
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{PrivateKey, ProviderKey};

    fn key(seed: u8) -> ProviderKey {
        let private = PrivateKey::new(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]));
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        ProviderKey::with_new_certificate(private, "Acme Ltd", date).unwrap()
    }

    const RANGES: [&[u8]; 2] = [b"%PDF-1.7 before", b"after %%EOF"];

    /// `cms` with its one SignerInfo and its SignedData changed by `edit`.
    fn edited(cms: &[u8], edit: impl FnOnce(&mut SignedData, &mut SignerInfo)) -> Vec<u8> {
        let mut signed_data: SignedData = ContentInfo::from_der(cms).unwrap().content.decode_as().unwrap();
        let mut signer_info = signed_data.signer_infos.0.as_slice()[0].clone();
        edit(&mut signed_data, &mut signer_info);
        signed_data.signer_infos = SignerInfos(SetOfVec::try_from(vec![signer_info]).unwrap());
        content_info_der(&signed_data).unwrap()
    }

    fn findings(cms: &[u8]) -> Vec<(&'static str, bool)> {
        let found = verify_detached(cms, RANGES);
        vec![
            ("structure", found.structure.is_ok()),
            ("message-digest", found.message_digest.is_ok()),
            ("signature", found.signature.is_ok()),
            ("signing-certificate", found.signing_certificate.is_ok()),
            ("countersignature", found.countersignature.is_ok()),
            ("countersigning-certificate", found.countersigning_certificate.is_ok()),
        ]
    }

    #[test]
    fn the_signature_as_written_passes_every_check_and_names_the_ed25519_signer() {
        let key = key(1);
        let cms = sign_detached(RANGES, &key).unwrap();
        assert!(findings(&cms).iter().all(|(_, passed)| *passed), "{:?}", findings(&cms));
        let signer = verify_detached(&cms, RANGES).signer.unwrap();
        assert_eq!(signer.1, key.verifying_key());
    }

    /// The P-256 signature redone with another provider's P-256 key (its
    /// certificate swapped in, signed attributes naming it) verifies on its
    /// own: only the Ed25519 countersignature tells that the provider did
    /// not make it, and only its certificate list tells which P-256 key the
    /// provider vouches for.
    #[test]
    fn another_p256_signer_under_the_providers_countersignature_is_refused() {
        let (provider, intruder) = (key(1), key(2));
        let cms = sign_detached(RANGES, &provider).unwrap();
        let forged = edited(&cms, |signed_data, signer_info| {
            let intruder_key = intruder.pades_key();
            let attributes = signer_attributes(&content_digest(RANGES), intruder_key.certificate_der()).unwrap();
            let signature = intruder_key.sign(&attributes.to_der().unwrap()).to_der();
            signer_info.sid = issuer_and_serial(intruder_key.certificate());
            signer_info.signed_attrs = Some(attributes);
            signer_info.signature = OctetString::new(signature.as_bytes()).unwrap();
            let ed25519_certificate = Certificate::from_der(provider.certificate().der()).unwrap();
            signed_data.certificates = Some(CertificateSet(
                SetOfVec::try_from(vec![
                    CertificateChoices::Certificate(intruder_key.certificate().clone()),
                    CertificateChoices::Certificate(ed25519_certificate),
                ])
                .unwrap(),
            ));
        });
        assert_eq!(
            findings(&forged),
            [
                ("structure", true),
                ("message-digest", true),
                ("signature", true),
                ("signing-certificate", true),
                ("countersignature", false),
                ("countersigning-certificate", false),
            ]
        );
    }

    #[test]
    fn an_ed25519_signer_as_earlier_versions_wrote_is_named_as_such() {
        let cms = sign_detached(RANGES, &key(1)).unwrap();
        let legacy = edited(&cms, |_, signer_info| {
            signer_info.signature_algorithm = AlgorithmIdentifierOwned { oid: rfc8410::ID_ED_25519, parameters: None };
            signer_info.digest_alg = sha512_algorithm();
        });
        let reason = verify_detached(&legacy, RANGES).structure.unwrap_err();
        assert!(reason.contains("Ed25519 alone, as kpiseal did before 2026-12-05"), "{reason}");
    }

    #[test]
    fn a_signature_without_its_countersignature_is_refused_as_a_structure() {
        let cms = sign_detached(RANGES, &key(1)).unwrap();
        let stripped = edited(&cms, |_, signer_info| signer_info.unsigned_attrs = None);
        let found = verify_detached(&stripped, RANGES);
        assert_eq!(found.structure.unwrap_err(), "no Ed25519 countersignature (no unsigned attributes)");
    }
}
