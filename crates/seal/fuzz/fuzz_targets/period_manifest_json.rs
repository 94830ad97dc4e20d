//! The period manifest reader: any bytes parse or are refused (the Merkle
//! root is recomputed on every read), and a parsed one canonicalises.
#![no_main]

use kpiseal_seal::period_manifest::{PeriodManifest, is_canonical};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = is_canonical(data);
    if let Ok(manifest) = PeriodManifest::from_json(data) {
        let canonical = manifest.to_canonical_json().expect("a parsed period manifest canonicalises");
        assert_eq!(PeriodManifest::from_json(&canonical).expect("canonical JSON parses"), manifest);
    }
});
