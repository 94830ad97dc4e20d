//! The SSHSIG armor and blob reader: any text is a verdict, never a panic,
//! in every namespace kpiseal uses.
#![no_main]

use kpiseal_seal::sshsig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let text = String::from_utf8_lossy(data);
    for namespace in [sshsig::NAMESPACE, sshsig::DRAFT_NAMESPACE, sshsig::PERIOD_NAMESPACE] {
        let _ = sshsig::verify_in(b"kpiseal fuzz message", &text, &key, namespace);
    }
});
