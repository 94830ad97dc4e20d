//! The FX table (`date,pair,rate,source`). Any bytes give a result or a clean error, never a panic.
#![no_main]

use kpiseal::fx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fx::parse_fx_csv("fx.csv", data);
});
