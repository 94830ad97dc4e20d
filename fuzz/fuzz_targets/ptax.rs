//! The Banco Central do Brasil PTAX file. Any bytes give a result or a clean error, never a panic.
#![no_main]

use kpiseal::fx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fx::parse_ptax("ptax.csv", data);
});
