//! The minisign signature file reader (untrusted comment, base64 signature,
//! trusted comment, global signature): any text is a verdict, never a panic.
#![no_main]

use kpiseal_seal::minisign;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let text = String::from_utf8_lossy(data);
    let _ = minisign::verify(b"kpiseal fuzz message", &text, &key);
});
