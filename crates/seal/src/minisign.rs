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
//! **Key id.** The key number in public keys and signatures is
//! [`KeyId::minisign_keynum`] of the key's [`KeyId`] (the key id reversed,
//! so that minisign prints the key id as kpiseal does, less any leading
//! zeros); it is always derived from the key, never passed separately.

use base64ct::{Base64, Encoding};
use blake2::{Blake2b512, Digest};
use ed25519_dalek::VerifyingKey;
use thiserror::Error;

use crate::keys::{KeyId, PrivateKey};

/// Prehashed Ed25519 (BLAKE2b-512 of the message), minisign's default.
const ALG_PREHASHED: [u8; 2] = *b"ED";
/// Key algorithm in a public key file.
const ALG_KEY: [u8; 2] = *b"Ed";
/// Longest trusted comment accepted: minisign reads shorter lines than this
/// comfortably (its limit is 8 KiB for the whole line).
pub const MAX_TRUSTED_COMMENT: usize = 1024;
const TRUSTED_PREFIX: &str = "trusted comment: ";
const PUBLIC_KEY_COMMENT: &str = "untrusted comment:";

#[derive(Debug, Error)]
pub enum MinisignError {
    #[error("minisign trusted comment {comment:?}: {problem}")]
    BadComment { comment: String, problem: &'static str },
    #[error("minisign {what} is malformed: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("minisign signature was made by key {found}, expected key {expected}")]
    WrongKey { expected: KeyId, found: KeyId },
    #[error("minisign signature does not match the manifest or its trusted comment: {0}")]
    Invalid(String),
}

/// The trusted comment kpiseal signs with each manifest:
/// `kpiseal <statement_number> <period> key <KEYID>`.
pub fn trusted_comment(statement_number: &str, period: &str, key_id: KeyId) -> String {
    format!("kpiseal {statement_number} {period} key {key_id}")
}

/// `provider.minisign.pub`: `untrusted comment: minisign public key <KEYID>`
/// and base64(`Ed` ‖ keynum ‖ public key), each line ending in `\n`. The only
/// writer of this format in kpiseal (`keys::save_key_files` calls it).
pub fn public_key_file(key: &VerifyingKey) -> String {
    format!("{PUBLIC_KEY_COMMENT} minisign public key {}\n{}\n", KeyId::of(key), public_key_base64(key))
}

/// The base64 public key line alone, as `minisign -P` takes it.
fn public_key_base64(key: &VerifyingKey) -> String {
    let mut bin = Vec::with_capacity(42);
    bin.extend_from_slice(&ALG_KEY);
    bin.extend_from_slice(&KeyId::of(key).minisign_keynum());
    bin.extend_from_slice(key.as_bytes());
    Base64::encode_string(&bin)
}

/// Reads a minisign public key file (an optional untrusted comment line,
/// then the base64 line), or the bare line `minisign -P` takes. The key
/// number must be the key's [`KeyId::minisign_keynum`], as in every file
/// [`public_key_file`] writes: with another number, minisign would refuse
/// kpiseal's signatures under this file.
pub(crate) fn read_public_key(text: &str) -> Result<VerifyingKey, MinisignError> {
    let malformed = |detail: String| MinisignError::Malformed { what: "public key", detail };
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
    let mut line = lines.next().unwrap_or_default();
    if line.starts_with(PUBLIC_KEY_COMMENT) {
        line = lines.next().ok_or_else(|| malformed("no key line after the untrusted comment".into()))?;
    }
    let bin = Base64::decode_vec(line).map_err(|_| malformed("the key line is not base64".into()))?;
    if bin.len() != 42 {
        return Err(malformed(format!("the key is {} bytes long; expected 42 (Ed, key number, key)", bin.len())));
    }
    if bin[..2] != ALG_KEY {
        return Err(malformed("the key algorithm is not Ed".into()));
    }
    let (mut keynum, mut raw) = ([0u8; 8], [0u8; 32]);
    keynum.copy_from_slice(&bin[2..10]);
    raw.copy_from_slice(&bin[10..]);
    let key = VerifyingKey::from_bytes(&raw).map_err(|_| malformed("not a valid Ed25519 public key".into()))?;
    let claimed = KeyId::from_minisign_keynum(keynum);
    if claimed != KeyId::of(&key) {
        return Err(malformed(format!(
            "its key number names key {claimed}, but the key it holds is {}",
            KeyId::of(&key)
        )));
    }
    Ok(key)
}

/// Signs `message` (the manifest bytes) and returns the `.minisig` file text,
/// its key number that of `key`'s key id. `trusted_comment` must be one line
/// of at most [`MAX_TRUSTED_COMMENT`] bytes.
pub fn sign(key: &PrivateKey, message: &[u8], trusted_comment: &str) -> Result<String, MinisignError> {
    if trusted_comment.contains(['\n', '\r']) {
        return Err(bad_comment(trusted_comment, "must be a single line"));
    }
    if trusted_comment.len() > MAX_TRUSTED_COMMENT {
        return Err(bad_comment(trusted_comment, "longer than 1024 bytes"));
    }
    let signature = key.sign(&Blake2b512::digest(message)).to_bytes();
    let mut first = Vec::with_capacity(74);
    first.extend_from_slice(&ALG_PREHASHED);
    first.extend_from_slice(&key.key_id().minisign_keynum());
    first.extend_from_slice(&signature);
    let mut global = Vec::with_capacity(64 + trusted_comment.len());
    global.extend_from_slice(&signature);
    global.extend_from_slice(trusted_comment.as_bytes());
    let global_signature = key.sign(&global).to_bytes();
    Ok(format!(
        "{}\n{}\n{TRUSTED_PREFIX}{trusted_comment}\n{}\n",
        untrusted_comment(key.key_id()),
        Base64::encode_string(&first),
        Base64::encode_string(&global_signature),
    ))
}

/// The first line kpiseal writes in every `.minisig`: minisign's
/// `untrusted comment: ` prefix (minisign refuses a file without it) and the
/// signing key's id.
fn untrusted_comment(key: KeyId) -> String {
    format!("untrusted comment: signature from kpiseal key {key}")
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
/// number must be `key`'s, and the prehashed signature and the
/// trusted-comment signature must both verify; the file must be laid out
/// canonically (four lines, canonical base64). Legacy `Ed` signatures are
/// refused. The untrusted comment (first line) is, as in minisign, not
/// covered by any signature, so it must be exactly the line kpiseal writes.
pub fn verify(message: &[u8], signature_file: &str, key: &VerifyingKey) -> Result<Verified, MinisignError> {
    let found = check_layout(signature_file)?;
    let expected = KeyId::of(key);
    if found != expected {
        return Err(MinisignError::WrongKey { expected, found });
    }
    let public = minisign_verify::PublicKey::from_base64(&public_key_base64(key))
        .map_err(|e| MinisignError::Malformed { what: "public key", detail: e.to_string() })?;
    let signature = minisign_verify::Signature::decode(signature_file)
        .map_err(|e| MinisignError::Malformed { what: "signature file", detail: e.to_string() })?;
    public
        .verify(message, &signature, false)
        .map_err(|e| MinisignError::Invalid(e.to_string()))
        .map(|()| Verified { trusted_comment: signature.trusted_comment().to_string() })
}

/// Refuses signature files that differ from the canonical layout in ways a
/// lenient reader would ignore: exactly four lines (`\n` or `\r\n`, the last
/// line end optional), the two base64 lines in canonical padded base64
/// (no stray bits in the padding), and the untrusted comment exactly as
/// kpiseal writes it for the key the signature names. No signature covers
/// that first line, so without this a changed byte in it (even one that
/// makes minisign refuse the file) would still verify. Returns the key id
/// the signature's key number names.
fn check_layout(signature_file: &str) -> Result<KeyId, MinisignError> {
    let text = signature_file.replace("\r\n", "\n");
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let lines: Vec<&str> = text.split('\n').collect();
    let malformed = |detail: String| MinisignError::Malformed { what: "signature file", detail };
    if lines.len() != 4 {
        return Err(malformed(format!("expected 4 lines, found {}", lines.len())));
    }
    let mut keynum = [0u8; 8];
    for (n, expected_len) in [(1, 74), (3, 64)] {
        let decoded = Base64::decode_vec(lines[n])
            .map_err(|_| malformed(format!("line {}: expected canonical base64", n + 1)))?;
        if decoded.len() != expected_len || Base64::encode_string(&decoded) != lines[n] {
            return Err(malformed(format!("line {}: expected canonical base64 of {expected_len} bytes", n + 1)));
        }
        if n == 1 {
            keynum.copy_from_slice(&decoded[2..10]);
        }
    }
    let key = KeyId::from_minisign_keynum(keynum);
    if lines[0] != untrusted_comment(key) {
        return Err(malformed(format!("line 1: expected {:?}", untrusted_comment(key))));
    }
    Ok(key)
}
