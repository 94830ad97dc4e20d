//! Every public key form `--key` and a delivered statement accept (SPKI
//! PEM, minisign, OpenSSH line, certificate PEM), read from a file.
#![no_main]

use kpiseal_seal::keys::load_public_key;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("provider.pub");
    std::fs::write(&path, data).expect("write");
    let _ = load_public_key(&path);
});
