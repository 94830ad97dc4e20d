//! The statement manifest reader: any bytes parse or are refused, and a
//! manifest that parses survives RFC 8785 canonicalisation unchanged.
#![no_main]

use kpiseal_seal::manifest::{Manifest, is_canonical, to_canonical_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = is_canonical(data);
    if let Ok(manifest) = Manifest::from_json(data) {
        let canonical = to_canonical_json(&manifest).expect("a parsed manifest canonicalises");
        assert_eq!(Manifest::from_json(&canonical).expect("canonical JSON parses"), manifest);
        assert!(is_canonical(&canonical));
    }
});
