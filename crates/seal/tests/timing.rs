//! Prints how long signing and verifying a ~100 KB statement take; a
//! measurement for the notes, not a timed assertion. Meaningful in release
//! builds: `cargo test --release -p kpiseal-seal --test timing -- --nocapture`.

mod common;

use std::time::Instant;

use chrono::{TimeZone, Utc};
use common::{test_key, test_pdf};
use kpiseal_seal::pdf_signature::{sign_pdf, verify_pdf};

#[test]
fn timing_of_sign_and_verify_on_a_100_kb_pdf() {
    let mut pages = 1;
    let mut pdf = test_pdf(pages);
    while pdf.len() < 100_000 {
        pages += 1;
        pdf = test_pdf(pages);
    }
    let key = test_key();
    let time = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).single().expect("valid time");
    // A few rounds only in debug builds, where the figure means little.
    let rounds = if cfg!(debug_assertions) { 2 } else { 50 };

    let started = Instant::now();
    let mut signed = Vec::new();
    for _ in 0..rounds {
        signed = sign_pdf(&pdf, &key, time, "Month-end statement", "Shenzhen").expect("sign");
    }
    let sign_time = started.elapsed() / rounds;

    let started = Instant::now();
    for _ in 0..rounds {
        assert!(verify_pdf(&signed, Some(&key.verifying_key())).expect("signature").is_valid());
    }
    let verify_time = started.elapsed() / rounds;

    println!(
        "PDF of {} bytes ({pages} pages): sign_pdf {sign_time:?}, verify_pdf {verify_time:?} (mean of {rounds})",
        pdf.len()
    );
}
