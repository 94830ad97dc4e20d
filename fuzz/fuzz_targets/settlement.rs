//! Amazon settlement flat files (V2 and V1, tab-separated, no quoting): the table reader and the settlement parser. Any bytes give a result or a clean error, never a panic.
#![no_main]

use kpiseal::ingest::IngestContext;
use kpiseal::ingest::amazon_settlement;
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
        "settlement.txt",
        data,
        TextFormat { delimiter: b'\t', quoting: false, style: DecimalStyle::Point },
        amazon_settlement::is_header,
    ) else {
        return;
    };
    let _ = amazon_settlement::layout(&t);
    let _ = amazon_settlement::parse(&t, &context());
});
