// The PDF's embedded signature, a CAdES-detached CMS SignedData (RFC 5652)
// exactly as kpiseal writes it: one ECDSA P-256 / SHA-256 signer (the key
// PDF viewers check), countersigned (RFC 5652 §11.4) by the provider's
// Ed25519 key over SHA-512 (the key sellers pin). The checks and their
// order are those of `kpiseal verify` (crates/seal/src/pdf_signature).

import { bytesEqual } from './bytes.js';
import { DER_TAG, OID, derExpect, derOid, derRead } from './der.js';
import { ecdsaP256Verify, ed25519Verify, sha256, sha512 } from './crypto.js';

/** An X.509 certificate's parts the checks need. */
function parseCertificate(node) {
  const [tbs] = derExpect(node, DER_TAG.SEQUENCE, 'certificate').children();
  const fields = derExpect(tbs, DER_TAG.SEQUENCE, 'tbsCertificate').children();
  const at = fields[0] && fields[0].tag === DER_TAG.CONTEXT_0 ? 1 : 0;
  const serial = derExpect(fields[at], DER_TAG.INTEGER, 'certificate serial number');
  const issuer = derExpect(fields[at + 2], DER_TAG.SEQUENCE, 'certificate issuer');
  const subject = derExpect(fields[at + 4], DER_TAG.SEQUENCE, 'certificate subject');
  const spki = derExpect(fields[at + 5], DER_TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const [algorithm, bits] = spki.children();
  const [keyOid, parameters] = derExpect(algorithm, DER_TAG.SEQUENCE, 'key algorithm').children();
  const key = derExpect(bits, DER_TAG.BIT_STRING, 'public key').content;
  if (key[0] !== 0) throw new Error('the public key bit string has unused bits');
  return {
    raw: node.raw,
    serial: serial.raw,
    issuer: issuer.raw,
    subject: subject.raw,
    spki: spki.raw,
    keyAlgorithm: derOid(keyOid),
    curve: parameters && parameters.tag === DER_TAG.OID ? derOid(parameters) : null,
    publicKey: key.subarray(1),
  };
}

/** The signed attributes of a SignerInfo: their DER as signed (a SET) and the values kpiseal uses. */
function parseAttributes(node, who) {
  const asSigned = node.raw.slice();
  asSigned[0] = DER_TAG.SET; // [0] IMPLICIT SET OF is signed with the SET tag (RFC 5652 §5.4)
  const values = new Map();
  for (const attribute of node.children()) {
    const [oidNode, set] = derExpect(attribute, DER_TAG.SEQUENCE, `${who}: attribute`).children();
    const oid = derOid(oidNode);
    if (values.has(oid)) throw new Error(`${who}: attribute ${oid} appears more than once`);
    const inner = derExpect(set, DER_TAG.SET, `${who}: attribute values`).children();
    if (inner.length !== 1) throw new Error(`${who}: attribute ${oid} must have exactly one value`);
    values.set(oid, inner[0]);
  }
  return { asSigned, values };
}

/** The certificate hashes an ESS signing-certificate-v2 value lists (SHA-256 unless it says otherwise). */
function essCertificateHashes(node, who) {
  const [certs] = derExpect(node, DER_TAG.SEQUENCE, `${who}: signing-certificate-v2`).children();
  return derExpect(certs, DER_TAG.SEQUENCE, `${who}: signing-certificate-v2 certs`).children().map((id) => {
    const parts = derExpect(id, DER_TAG.SEQUENCE, `${who}: ESSCertIDv2`).children();
    let at = 0;
    let algorithm = OID.sha256;
    if (parts[0] && parts[0].tag === DER_TAG.SEQUENCE) {
      algorithm = derOid(parts[0].children()[0]);
      at = 1;
    }
    return { algorithm, hash: derExpect(parts[at], DER_TAG.OCTET_STRING, `${who}: certHash`).content };
  });
}

/** A SignerInfo's parts: who (issuer and serial), algorithms, attributes, signature. */
function parseSignerInfo(node, who) {
  const parts = derExpect(node, DER_TAG.SEQUENCE, `${who}: SignerInfo`).children();
  const sid = derExpect(parts[1], DER_TAG.SEQUENCE, `${who}: issuerAndSerialNumber`).children();
  const digestAlgorithm = derOid(derExpect(parts[2], DER_TAG.SEQUENCE, `${who}: digest algorithm`).children()[0]);
  if (!parts[3] || parts[3].tag !== DER_TAG.CONTEXT_0) throw new Error(`${who} has no signed attributes`);
  const attributes = parseAttributes(parts[3], who);
  const signatureAlgorithm = derOid(derExpect(parts[4], DER_TAG.SEQUENCE, `${who}: signature algorithm`).children()[0]);
  const signature = derExpect(parts[5], DER_TAG.OCTET_STRING, `${who}: signature`).content;
  const unsigned = parts[6] && parts[6].tag === DER_TAG.CONTEXT_1 ? parts[6] : null;
  if (parts.length > (unsigned ? 7 : 6)) throw new Error(`${who}: unexpected fields after the signature`);
  return {
    issuer: sid[0].raw,
    serial: sid[1].raw,
    digestAlgorithm,
    signatureAlgorithm,
    attributes,
    signature,
    unsigned,
  };
}

/** The whole signature's parts, or throws why it is not kpiseal's CMS structure. */
function parseSignedData(cms) {
  const top = derRead(cms, 0);
  if (top.end < cms.length && cms.subarray(top.end).some((b) => b !== 0)) {
    throw new Error('non-zero bytes follow the CMS structure in /Contents');
  }
  const [contentType, explicit] = derExpect(top, DER_TAG.SEQUENCE, 'ContentInfo').children();
  if (derOid(contentType) !== OID.signedData) throw new Error('the content type is not signedData');
  const [signedData] = derExpect(explicit, DER_TAG.CONTEXT_0, 'ContentInfo content').children();
  const fields = derExpect(signedData, DER_TAG.SEQUENCE, 'SignedData').children();
  const encap = derExpect(fields[2], DER_TAG.SEQUENCE, 'encapContentInfo').children();
  if (derOid(encap[0]) !== OID.data || encap.length !== 1) throw new Error('the signed content is not detached id-data');
  let at = 3;
  const certificates = [];
  if (fields[at] && fields[at].tag === DER_TAG.CONTEXT_0) {
    for (const c of fields[at].children()) certificates.push(parseCertificate(c));
    at += 1;
  }
  if (fields[at] && fields[at].tag === DER_TAG.CONTEXT_1) at += 1;
  const signers = derExpect(fields[at], DER_TAG.SET, 'signerInfos').children();
  if (signers.length !== 1) throw new Error(`${signers.length} signers; expected exactly one`);
  const primary = parseSignerInfo(signers[0], 'the signer');
  if (primary.signatureAlgorithm === OID.ed25519) {
    throw new Error('the signer signed with Ed25519 alone, as kpiseal did before 2026-12-05; this page checks an ECDSA P-256 signature countersigned with Ed25519');
  }
  if (primary.digestAlgorithm !== OID.sha256) throw new Error(`digest algorithm ${primary.digestAlgorithm} is not SHA-256`);
  if (primary.signatureAlgorithm !== OID.ecdsaWithSha256) {
    throw new Error(`signature algorithm ${primary.signatureAlgorithm} is not ecdsa-with-SHA256`);
  }
  const type = primary.attributes.values.get(OID.contentType);
  if (!type || derOid(type) !== OID.data) throw new Error('no content-type attribute naming id-data');
  if (!primary.unsigned) throw new Error('no Ed25519 countersignature (no unsigned attributes)');
  const unsigned = primary.unsigned.children();
  if (unsigned.length !== 1) throw new Error('the unsigned attributes must be exactly one countersignature');
  const [counterOid, counterSet] = unsigned[0].children();
  if (derOid(counterOid) !== OID.countersignature) throw new Error('the unsigned attributes must be exactly one countersignature');
  const counterValues = counterSet.children();
  if (counterValues.length !== 1) throw new Error('the countersignature attribute must have exactly one value');
  const counter = parseSignerInfo(counterValues[0], 'the countersignature');
  if (counter.digestAlgorithm !== OID.sha512) throw new Error(`countersignature digest algorithm ${counter.digestAlgorithm} is not SHA-512`);
  if (counter.signatureAlgorithm !== OID.ed25519) throw new Error(`countersignature algorithm ${counter.signatureAlgorithm} is not Ed25519`);
  if (counter.unsigned) throw new Error('the countersignature has unsigned attributes');
  if (counter.attributes.values.has(OID.contentType)) throw new Error('the countersignature has a content-type attribute');
  const find = (signer) =>
    certificates.find((c) => bytesEqual(c.issuer, signer.issuer) && bytesEqual(c.serial, signer.serial)) || null;
  const p256 = find(primary);
  const ed25519 = find(counter);
  return {
    primary,
    counter,
    p256: p256 && p256.keyAlgorithm === OID.ecPublicKey && p256.curve === OID.prime256v1 ? p256 : null,
    ed25519: ed25519 && ed25519.keyAlgorithm === OID.ed25519 && ed25519.publicKey.length === 32 ? ed25519 : null,
  };
}

/** `Ok` or `Fail` outcome of one check: `{ passed, detail }`. */
function outcome(passed, detail) {
  return { passed, detail };
}

async function namesCertificate(id, certificate) {
  if (id.algorithm === OID.sha256) return bytesEqual(id.hash, await sha256(certificate.raw));
  if (id.algorithm === OID.sha512) return bytesEqual(id.hash, await sha512(certificate.raw));
  throw new Error(`signing-certificate-v2 uses hash algorithm ${id.algorithm}; expected SHA-256 or SHA-512`);
}

async function settle(check) {
  try {
    return await check();
  } catch (e) {
    return outcome(false, e.message);
  }
}

/**
 * Checks the CMS signature `cms` (the DER from /Contents, zero padding
 * allowed) over `signedRanges` (the two byte ranges /ByteRange names).
 * Returns `{ checks: { structure, messageDigest, signature,
 * signingCertificate, countersignature, countersigningCertificate },
 * ed25519Key }`, each check `{ passed, detail }`; `ed25519Key` is the
 * countersigner's raw key when its certificate was found. Never throws.
 */
export async function verifyCms(cms, signedRanges) {
  const notChecked = outcome(false, 'not checked: the CMS structure is unusable');
  const checks = {
    structure: outcome(true, 'CAdES detached SignedData: ECDSA P-256 with SHA-256, countersigned with Ed25519 over SHA-512'),
    messageDigest: notChecked,
    signature: notChecked,
    signingCertificate: notChecked,
    countersignature: notChecked,
    countersigningCertificate: notChecked,
  };
  let parsed;
  try {
    parsed = parseSignedData(cms);
  } catch (e) {
    checks.structure = outcome(false, e.message);
    return { checks, ed25519Key: null };
  }
  const { primary, counter, p256, ed25519 } = parsed;
  const noP256 = outcome(false, "the P-256 signer's certificate is not in the signature");
  const noEd25519 = outcome(false, "the Ed25519 countersigner's certificate is not in the signature");

  checks.messageDigest = await settle(async () => {
    const stated = primary.attributes.values.get(OID.messageDigest);
    if (!stated) return outcome(false, 'no message-digest attribute');
    const digest = await sha256(...signedRanges);
    return bytesEqual(derExpect(stated, DER_TAG.OCTET_STRING, 'message-digest').content, digest)
      ? outcome(true, 'matches the SHA-256 of the signed ranges')
      : outcome(false, 'the SHA-256 of the signed byte ranges differs from the signed message-digest attribute');
  });
  checks.signature = await settle(async () => {
    if (!p256) return noP256;
    return (await ecdsaP256Verify(p256.spki, primary.signature, primary.attributes.asSigned))
      ? outcome(true, 'ECDSA P-256 signature verifies')
      : outcome(false, 'the ECDSA P-256 signature over the signed attributes does not verify');
  });
  checks.signingCertificate = await settle(async () => {
    if (!p256) return noP256;
    const ess = primary.attributes.values.get(OID.signingCertificateV2);
    if (!ess) return outcome(false, 'no ESS signing-certificate-v2 attribute');
    const [first] = essCertificateHashes(ess, 'the signer');
    if (!first) return outcome(false, 'the signing-certificate-v2 attribute lists no certificate');
    return (await namesCertificate(first, p256))
      ? outcome(true, 'names the embedded P-256 certificate')
      : outcome(false, 'the signing-certificate-v2 hash does not match the embedded certificate');
  });
  checks.countersignature = await settle(async () => {
    const stated = counter.attributes.values.get(OID.messageDigest);
    const digest = await sha512(primary.signature);
    if (!stated || !bytesEqual(derExpect(stated, DER_TAG.OCTET_STRING, 'message-digest').content, digest)) {
      return outcome(false, "the countersignature's message-digest is not the SHA-512 of the ECDSA signature");
    }
    if (!ed25519) return noEd25519;
    if (counter.signature.length !== 64) return outcome(false, 'the countersignature value is not 64 bytes');
    return (await ed25519Verify(ed25519.publicKey, counter.signature, counter.attributes.asSigned))
      ? outcome(true, 'Ed25519 countersignature over the ECDSA signature verifies')
      : outcome(false, 'the Ed25519 countersignature does not verify');
  });
  checks.countersigningCertificate = await settle(async () => {
    if (!ed25519) return noEd25519;
    if (!p256) return noP256;
    const ess = counter.attributes.values.get(OID.signingCertificateV2);
    if (!ess) return outcome(false, 'the countersignature has no ESS signing-certificate-v2 attribute');
    const ids = essCertificateHashes(ess, 'the countersignature');
    if (ids.length !== 2) {
      return outcome(false, `the countersignature's signing-certificate-v2 lists ${ids.length} certificates; expected the Ed25519 and the P-256 certificate`);
    }
    if (!(await namesCertificate(ids[0], ed25519))) {
      return outcome(false, "the countersignature's signing-certificate-v2 does not name the Ed25519 certificate");
    }
    if (!(await namesCertificate(ids[1], p256))) {
      return outcome(false, "the countersignature's signing-certificate-v2 does not name the P-256 certificate that signed");
    }
    if (!bytesEqual(ed25519.subject, p256.subject)) {
      return outcome(false, 'the P-256 certificate and the Ed25519 certificate name different subjects');
    }
    return outcome(true, 'names the Ed25519 certificate and the P-256 certificate that signed, one subject');
  });
  return { checks, ed25519Key: ed25519 ? ed25519.publicKey : null };
}
