//! The PDF signature reader (`/ByteRange`, `/Contents`, the CMS/DER
//! SignedData, the certificate), with and without a pinned key: any bytes
//! give a report or an error, never a panic.
#![no_main]

use kpiseal_seal::pdf_signature::verify_pdf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let _ = verify_pdf(data, None);
    let _ = verify_pdf(data, Some(&key));
});
