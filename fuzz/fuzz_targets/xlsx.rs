//! Workbooks (Mercado Livre Vendas and Sponsored Products as XLSX): calamine, the sheet reader and both parsers. Any bytes give a result or a clean error, never a panic.
#![no_main]

use kpiseal::ingest::IngestContext;
use kpiseal::ingest::amazon_ads;
use kpiseal::ingest::mercadolivre;
use kpiseal::ingest::table::{self, TextFormat};
use kpiseal::period::Period;
use libfuzzer_sys::fuzz_target;

/// October 2026, the demo's period, each market in its own time zone.
fn context() -> IngestContext {
    IngestContext::new("2026-10".parse::<Period>().expect("a period"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut workbook) = table::Workbook::open("export.xlsx", data) else {
        return;
    };
    for sheet in workbook.sheet_names() {
        if let Ok(t) = workbook.read(&sheet, mercadolivre::is_header) {
            let _ = mercadolivre::parse(&t, &context());
        }
        if let Ok(t) = workbook.read(&sheet, amazon_ads::is_header) {
            let _ = amazon_ads::parse(&t, &context());
        }
    }
});
