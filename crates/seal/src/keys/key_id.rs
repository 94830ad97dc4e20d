//! The provider key's short identifier, printed on every statement.

use std::fmt;

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

/// Eight bytes naming an Ed25519 public key.
///
/// The key id is the first 8 bytes of SHA-256 over the 32-byte raw Ed25519
/// public key (the bytes a `VerifyingKey` encodes to, not any DER wrapping).
/// It is shown as 16 upper-case hexadecimal digits, bytes in order, e.g.
/// `3FA2…`. Statements, the certificate (as its serial number), the
/// OpenSSH comment (`kpiseal:<KEYID>`) and the minisign public key's
/// comment all carry the same id.
///
/// The same 8 bytes, reversed, are the minisign "key number" (see
/// [`KeyId::minisign_keynum`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The key id of `key`: SHA-256 of its 32 raw bytes, first 8 bytes.
    pub fn of(key: &VerifyingKey) -> KeyId {
        let digest = Sha256::digest(key.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }

    /// Wraps 8 bytes read from elsewhere (e.g. a minisign key number).
    pub fn from_bytes(bytes: [u8; 8]) -> KeyId {
        KeyId(bytes)
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

    /// The id as minisign prints it for [`KeyId::minisign_keynum`]: upper-case
    /// hex without leading zeros.
    pub fn minisign_display(&self) -> String {
        format!("{:X}", u64::from_le_bytes(self.minisign_keynum()))
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
    fn minisign_prints_the_key_id_less_leading_zeros() {
        let id = KeyId::from_bytes([0, 2, 3, 4, 5, 6, 7, 0xAB]);
        assert_eq!(id.to_string(), "00020304050607AB");
        assert_eq!(id.minisign_keynum(), [0xAB, 7, 6, 5, 4, 3, 2, 0]);
        assert_eq!(id.minisign_display(), "20304050607AB");
    }
}
