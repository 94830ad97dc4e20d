//! The provider key's short identifier, printed on every statement.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Eight bytes naming an Ed25519 public key.
///
/// The key id is the first 8 bytes of SHA-256 over the 32-byte raw Ed25519
/// public key (the bytes a `VerifyingKey` encodes to, not any DER wrapping).
/// It is shown as 16 upper-case hexadecimal digits, bytes in order, e.g.
/// `3FA2…`. Statements, the manifest's `key_id`, the certificate (as its
/// serial number), the OpenSSH comment and SSHSIG identity
/// (`kpiseal:<KEYID>`), the minisign public key's comment and the minisign
/// trusted comment all carry the same id.
///
/// The same 8 bytes, reversed, are the minisign "key number" (see
/// [`KeyId::minisign_keynum`]); this type is the only place that reversal
/// is made.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The key id of `key`: SHA-256 of its 32 raw bytes, first 8 bytes.
    pub fn of(key: &VerifyingKey) -> KeyId {
        KeyId::of_raw(key.as_bytes())
    }

    /// The key id of 32 raw Ed25519 public key bytes, whether or not they
    /// are a valid curve point (e.g. a key named in a foreign signature).
    pub(crate) fn of_raw(key: &[u8; 32]) -> KeyId {
        let digest = Sha256::digest(key);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }

    /// The 8 bytes, in the order they are displayed.
    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// The 8-byte minisign key number: the key id bytes in reverse order.
    ///
    /// minisign stores the key number as raw bytes in the public key and in
    /// each signature, and prints it (in its key comment and its "key id
    /// mismatch" message) as a little-endian 64-bit integer in hex without
    /// leading zeros. Reversing the bytes makes minisign print the key id as
    /// kpiseal does (less any leading zeros). Public key files and
    /// signatures must both use this number, or `minisign -V` refuses them.
    pub fn minisign_keynum(&self) -> [u8; 8] {
        let mut keynum = self.0;
        keynum.reverse();
        keynum
    }

    /// The key id whose [`KeyId::minisign_keynum`] is `keynum` (as read from
    /// a minisign signature or public key).
    pub fn from_minisign_keynum(keynum: [u8; 8]) -> KeyId {
        let mut id = keynum;
        id.reverse();
        KeyId(id)
    }
}

/// Why a text is not a key id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key id {text:?}: expected 16 uppercase hexadecimal digits")]
pub struct KeyIdParseError {
    text: String,
}

impl FromStr for KeyId {
    type Err = KeyIdParseError;

    /// Reads the displayed form: exactly 16 digits `0-9A-F` (lowercase is
    /// refused, so a key id has one spelling in signed records).
    fn from_str(text: &str) -> Result<KeyId, KeyIdParseError> {
        let error = || KeyIdParseError { text: text.chars().take(40).collect() };
        if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)) {
            return Err(error());
        }
        let mut id = [0u8; 8];
        hex::decode_to_slice(text, &mut id).map_err(|_| error())?;
        Ok(KeyId(id))
    }
}

/// Serialized as its displayed form, a string of 16 uppercase hex digits.
impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read as [`KeyId::from_str`] reads it.
impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KeyId, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    #[test]
    fn key_id_is_first_8_bytes_of_sha256_of_raw_public_key() {
        let key = SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        let digest = Sha256::digest(key.as_bytes());
        let id = KeyId::of(&key);
        assert_eq!(id.as_bytes()[..], digest[..8]);
        assert_eq!(id.to_string(), hex::encode_upper(&digest[..8]));
        assert_eq!(id.to_string().len(), 16);
    }

    #[test]
    fn minisign_keynum_is_the_key_id_reversed_so_minisign_prints_it_less_leading_zeros() {
        let id = KeyId([0, 2, 3, 4, 5, 6, 7, 0xAB]);
        assert_eq!(id.to_string(), "00020304050607AB");
        assert_eq!(id.minisign_keynum(), [0xAB, 7, 6, 5, 4, 3, 2, 0]);
        // minisign prints u64::from_le_bytes(keynum) in hex.
        assert_eq!(format!("{:X}", u64::from_le_bytes(id.minisign_keynum())), "20304050607AB");
        assert_eq!(KeyId::from_minisign_keynum(id.minisign_keynum()), id);
    }

    #[test]
    fn key_id_text_round_trips_and_only_its_displayed_form_is_read() {
        let id = KeyId([0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]);
        assert_eq!("0123456789ABCDEF".parse::<KeyId>(), Ok(id));
        for bad in
            ["0123456789abcdef", "0123456789ABCDE", "0123456789ABCDEF0", "0123456789ABCDEG", "", "+123456789ABCDEF"]
        {
            assert!(bad.parse::<KeyId>().is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0123456789ABCDEF\"");
        assert_eq!(serde_json::from_str::<KeyId>(&json).unwrap(), id);
        let error = serde_json::from_str::<KeyId>("\"0123456789abcdef\"").unwrap_err().to_string();
        assert!(error.contains("key id \"0123456789abcdef\": expected 16 uppercase"), "{error}");
    }
}
