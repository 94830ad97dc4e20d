//! `verify` on any bytes saved as `evidence.zip`: kind sniffing, the strict
//! zip reader (headers, central directory, re-compression), the bag and
//! statement checks on what it holds. Never a panic, never VALID unless the
//! bytes are a genuine sealed bag (the seeds are; a mutation never is).
#![no_main]

use kpiseal_seal::verify::{Options, Verdict, verify_path};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("evidence.zip");
    std::fs::write(&path, data).expect("write");
    if let Ok(v) = verify_path(&path, &Options::default()) {
        let _ = v.verdict() == Verdict::Valid;
    }
});
