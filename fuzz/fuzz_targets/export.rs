//! Any export, as `run` reads it: format detected from the content, then parsed. Any bytes give a result or a clean error, never a panic.
#![no_main]

use kpiseal::ingest::IngestContext;
use kpiseal::ingest::read_export;
use kpiseal::period::Period;
use libfuzzer_sys::fuzz_target;

/// October 2026, the demo's period, each market in its own time zone.
fn context() -> IngestContext {
    IngestContext::new("2026-10".parse::<Period>().expect("a period"))
}

fuzz_target!(|data: &[u8]| {
    let _ = read_export("export", data, &context());
});
