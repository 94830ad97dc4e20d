//! Rendering one statement to its finished PDF (layout, fonts, PDF/A
//! structure, attachment), per demo seller: `cargo bench --bench render`.

use std::path::Path;

use kpiseal::pipeline::{RunOptions, build_statement};
use kpiseal::render::fonts::Fonts;
use kpiseal::render::{RenderOptions, render_pdf};
use kpiseal::seal_config::DEMO_KEY_ID;
use kpiseal::statement::{SigningBlock, Statement};
use kpiseal::workspace::Workspace;

fn main() {
    divan::main();
}

fn demo_statement(seller: &str) -> Statement {
    let ws = Workspace::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")).unwrap();
    let signing = SigningBlock { key_id: DEMO_KEY_ID.to_string(), demo: true };
    build_statement(&ws, seller, &RunOptions::new("2026-10".parse().unwrap()), signing).unwrap()
}

/// The four demo statements: zh-CN with two markets (acme-home), en with
/// one (sunny-gadgets), pt-BR with one (rio-casa), zh-CN with three
/// (loja-mix: Amazon.com.br, Shopee, a Shopify store).
#[divan::bench(args = ["acme-home", "sunny-gadgets", "rio-casa", "loja-mix"], sample_count = 200)]
fn render_statement(bencher: divan::Bencher, seller: &str) {
    let statement = demo_statement(seller);
    let json = statement.to_json();
    let options = RenderOptions { language: statement.seller.language, draft: false, fonts: Fonts::builtin().unwrap() };
    bencher.bench_local(|| render_pdf(divan::black_box(&statement), &json, &options).unwrap());
}
