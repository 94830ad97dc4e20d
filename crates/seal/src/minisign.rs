//! Detached minisign signatures of the manifest, checkable without kpiseal:
//!
//! ```sh
//! minisign -Vm manifest.json -x manifest.json.minisig -p provider.minisign.pub
//! ```
//!
//! The format (minisign's own documentation) is written here directly with
//! ed25519-dalek, since the `minisign` crate signs only with its own secret
//! key files and with random nonces. A signature file is four lines:
//!
//! ```text
//! untrusted comment: <free text, not signed>
//! base64( "ED" ‖ keynum (8 bytes) ‖ Ed25519(BLAKE2b-512(message)) )
//! trusted comment: <text, signed>
//! base64( Ed25519(signature ‖ trusted comment text) )
//! ```
//!
//! `ED` is the prehashed algorithm that minisign ≥ 0.8 writes by default and
//! that `minisign -V -H` insists on; the legacy `Ed` (raw message) is neither
//! written nor accepted here. Ed25519 signing is deterministic, so the same
//! manifest, comment and key give the same file.
//!
//! **Key id.** minisign shows a key number as the 8 bytes read as a
//! little-endian integer, printed in uppercase hex without leading zeros
//! (`untrusted comment: minisign public key 54F82388AAC7BD45`, and in its
//! key-mismatch error). The keynum written here is therefore kpiseal's key id
//! in reverse byte order, so that minisign prints the key id as kpiseal does
//! (less any leading zeros).

use base64ct::{Base64, Encoding};
use blake2::{Blake2b512, Digest};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use thiserror::Error;

/// Prehashed Ed25519 (BLAKE2b-512 of the message), minisign's default.
const ALG_PREHASHED: [u8; 2] = *b"ED";
/// Key algorithm in a public key file.
const ALG_KEY: [u8; 2] = *b"Ed";
/// Longest trusted comment accepted: minisign reads shorter lines than this
/// comfortably (its limit is 8 KiB for the whole line).
pub const MAX_TRUSTED_COMMENT: usize = 1024;
const TRUSTED_PREFIX: &str = "trusted comment: ";

#[derive(Debug, Error)]
pub enum MinisignError {
    #[error("minisign trusted comment {comment:?}: {problem}")]
    BadComment { comment: String, problem: &'static str },
    #[error("minisign {what} is malformed: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("minisign signature was made by key {found}, expected key {expected}")]
    WrongKey { expected: String, found: String },
    #[error("minisign signature does not match the manifest or its trusted comment: {0}")]
    Invalid(String),
}

/// The key number minisign stores for kpiseal key id `key_id` (see the module docs).
pub fn keynum(key_id: [u8; 8]) -> [u8; 8] {
    let mut n = key_id;
    n.reverse();
    n
}

/// kpiseal's key id as text: 16 uppercase hex digits.
fn key_id_text(key_id: [u8; 8]) -> String {
    hex::encode_upper(key_id)
}

/// The trusted comment kpiseal signs with each manifest:
/// `kpiseal <statement_number> <period> key <KEYID>`.
pub fn trusted_comment(statement_number: &str, period: &str, key_id: [u8; 8]) -> String {
    format!("kpiseal {statement_number} {period} key {}", key_id_text(key_id))
}

/// `provider.minisign.pub`: `untrusted comment: minisign public key <KEYID>`
/// and base64(`Ed` ‖ keynum ‖ public key), each line ending in `\n`.
pub fn public_key_file(key: &VerifyingKey, key_id: [u8; 8]) -> String {
    format!("untrusted comment: minisign public key {}\n{}\n", key_id_text(key_id), public_key_base64(key, key_id))
}

/// The base64 public key alone, as `minisign -P` takes it.
pub fn public_key_base64(key: &VerifyingKey, key_id: [u8; 8]) -> String {
    let mut bin = Vec::with_capacity(42);
    bin.extend_from_slice(&ALG_KEY);
    bin.extend_from_slice(&keynum(key_id));
    bin.extend_from_slice(key.as_bytes());
    Base64::encode_string(&bin)
}

/// Signs `message` (the manifest bytes) and returns the `.minisig` file text.
/// `trusted_comment` must be one line of at most [`MAX_TRUSTED_COMMENT`] bytes.
pub fn sign(key: &SigningKey, key_id: [u8; 8], message: &[u8], trusted_comment: &str) -> Result<String, MinisignError> {
    if trusted_comment.contains(['\n', '\r']) {
        return Err(bad_comment(trusted_comment, "must be a single line"));
    }
    if trusted_comment.len() > MAX_TRUSTED_COMMENT {
        return Err(bad_comment(trusted_comment, "longer than 1024 bytes"));
    }
    let signature = key.sign(&Blake2b512::digest(message)).to_bytes();
    let mut first = Vec::with_capacity(74);
    first.extend_from_slice(&ALG_PREHASHED);
    first.extend_from_slice(&keynum(key_id));
    first.extend_from_slice(&signature);
    let mut global = Vec::with_capacity(64 + trusted_comment.len());
    global.extend_from_slice(&signature);
    global.extend_from_slice(trusted_comment.as_bytes());
    let global_signature = key.sign(&global).to_bytes();
    Ok(format!(
        "untrusted comment: signature from kpiseal key {}\n{}\n{TRUSTED_PREFIX}{trusted_comment}\n{}\n",
        key_id_text(key_id),
        Base64::encode_string(&first),
        Base64::encode_string(&global_signature),
    ))
}

fn bad_comment(comment: &str, problem: &'static str) -> MinisignError {
    MinisignError::BadComment { comment: comment.chars().take(80).collect(), problem }
}

/// What a valid signature told: its trusted comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub trusted_comment: String,
}

/// Checks a `.minisig` text against `message` and the pinned key: the key
/// number, the prehashed signature and the trusted-comment signature must
/// all match, and the file must be laid out canonically (four lines,
/// canonical base64). Legacy `Ed` signatures are refused. The untrusted
/// comment (first line) is, as in minisign, not covered by any signature.
pub fn verify(
    message: &[u8],
    signature_file: &str,
    key: &VerifyingKey,
    key_id: [u8; 8],
) -> Result<Verified, MinisignError> {
    let public = minisign_verify::PublicKey::from_base64(&public_key_base64(key, key_id))
        .map_err(|e| MinisignError::Malformed { what: "public key", detail: e.to_string() })?;
    verify_with(message, signature_file, &public, key_id_text(key_id))
}

/// Like [`verify`], with the key read from a `minisign.pub` file's text.
pub fn verify_with_public_key_file(
    message: &[u8],
    signature_file: &str,
    public_key_file: &str,
) -> Result<Verified, MinisignError> {
    let public = minisign_verify::PublicKey::decode(public_key_file)
        .map_err(|e| MinisignError::Malformed { what: "public key file", detail: e.to_string() })?;
    let expected = public_key_file.lines().nth(1).map(keynum_text_of_base64).unwrap_or_default();
    verify_with(message, signature_file, &public, expected)
}

fn verify_with(
    message: &[u8],
    signature_file: &str,
    public: &minisign_verify::PublicKey,
    expected_key: String,
) -> Result<Verified, MinisignError> {
    check_layout(signature_file)?;
    let signature = minisign_verify::Signature::decode(signature_file)
        .map_err(|e| MinisignError::Malformed { what: "signature file", detail: e.to_string() })?;
    match public.verify(message, &signature, false) {
        Ok(()) => Ok(Verified { trusted_comment: signature.trusted_comment().to_string() }),
        Err(minisign_verify::Error::UnexpectedKeyId) => Err(MinisignError::WrongKey {
            expected: expected_key,
            found: signature_file.lines().nth(1).map(keynum_text_of_base64).unwrap_or_default(),
        }),
        Err(e) => Err(MinisignError::Invalid(e.to_string())),
    }
}

/// Refuses signature files that differ from the canonical layout in ways a
/// lenient reader would ignore: exactly four lines (`\n` or `\r\n`, the last
/// line end optional), and the two base64 lines in canonical padded base64
/// (no stray bits in the padding), so that changing any byte after the
/// untrusted comment makes verification fail.
fn check_layout(signature_file: &str) -> Result<(), MinisignError> {
    let text = signature_file.replace("\r\n", "\n");
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let lines: Vec<&str> = text.split('\n').collect();
    let malformed = |detail: String| MinisignError::Malformed { what: "signature file", detail };
    if lines.len() != 4 {
        return Err(malformed(format!("expected 4 lines, found {}", lines.len())));
    }
    for (n, expected_len) in [(1, 74), (3, 64)] {
        let decoded = Base64::decode_vec(lines[n])
            .map_err(|_| malformed(format!("line {}: expected canonical base64", n + 1)))?;
        if decoded.len() != expected_len || Base64::encode_string(&decoded) != lines[n] {
            return Err(malformed(format!("line {}: expected canonical base64 of {expected_len} bytes", n + 1)));
        }
    }
    Ok(())
}

/// The kpiseal-style key id of a base64 minisign key or signature line
/// (bytes 2..10 reversed, as hex), or `?` when it does not decode.
fn keynum_text_of_base64(line: &str) -> String {
    match Base64::decode_vec(line.trim()) {
        Ok(bin) if bin.len() >= 10 => {
            let mut id = [0u8; 8];
            id.copy_from_slice(&bin[2..10]);
            key_id_text(keynum(id))
        }
        _ => "?".to_string(),
    }
}
