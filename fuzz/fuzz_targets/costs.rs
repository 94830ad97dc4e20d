//! A cost ledger (pass-through costs the provider paid). Any bytes give a result or a clean error, never a panic.
#![no_main]

use kpiseal::ingest::costs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = costs::read_costs("costs.csv", data);
});
