//! The Sponsored Products advertised-product report as CSV. Any bytes give a result or a clean error, never a panic.
#![no_main]

use kpiseal::ingest::IngestContext;
use kpiseal::ingest::amazon_ads;
use kpiseal::ingest::table::{self, TextFormat};
use kpiseal::money::DecimalStyle;
use kpiseal::period::Period;
use libfuzzer_sys::fuzz_target;

/// October 2026, the demo's period, each market in its own time zone.
fn context() -> IngestContext {
    IngestContext::new("2026-10".parse::<Period>().expect("a period"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(t) = table::read_text(
        "ads.csv",
        data,
        TextFormat { delimiter: b',', quoting: true, style: DecimalStyle::Point },
        amazon_ads::is_header,
    ) else {
        return;
    };
    let _ = amazon_ads::parse(&t, &context());
});
