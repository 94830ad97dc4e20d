//! The contract loader (TOML: terms, fees, tiers, KPI targets). Any bytes give a result or a clean error, never a panic.
#![no_main]

use kpiseal::contract::Contract;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Contract::parse("contracts/fuzz.toml", text);
});
