//! One statement's stages, timed apart on a generated seller of realistic
//! size (5,000 orders per market): reading and hashing its inputs
//! (`read_and_hash`), the same and parsing them (`ingest`), the
//! per-market figures and KPIs (`kpis`), the fees and totals (`fees`), the
//! PDF (`render`), the signatures, manifest and key files in memory (`seal`)
//! and writing the sealed folder without fsync (`write_unsynced`).
//!
//! `cargo bench --bench pipeline`. The workspace is generated once into a
//! temporary folder when the benchmarks start (seed 7, like
//! scripts/bench-batch.sh); each of its four sellers has its own profile:
//! acme-home (Amazon settlements + Vendas CSV, zh-CN), sunny-gadgets
//! (Amazon settlements + ads XLSX, en), rio-casa (Vendas XLSX, pt-BR),
//! loja-mix (Amazon.com.br settlements, Shopee workbook, Shopify CSVs, zh-CN).

use std::path::Path;
use std::sync::OnceLock;

use divan::Bencher;
use kpiseal::pipeline::{RunOptions, SellerInputs, assemble_statement, compute_fees, compute_kpis, read_seller_inputs};
use kpiseal::render::fonts::Fonts;
use kpiseal::render::{RenderOptions, render_pdf};
use kpiseal::seal_config::Signer;
use kpiseal::sealing::{seal, write_sealed};
use kpiseal::statement::Statement;
use kpiseal::workspace::Workspace;
use kpiseal_generate::{GenerateOptions, generate_workspace};
use kpiseal_seal::manifest::Status;

const SELLERS: [&str; 4] = ["acme-home", "sunny-gadgets", "rio-casa", "loja-mix"];
const ORDERS: usize = 5000;

fn main() {
    divan::main();
}

/// The generated workspace, its signer and the run options, made once.
struct Setup {
    _dir: tempfile::TempDir,
    ws: Workspace,
    signer: Signer,
    run: RunOptions,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let opts = GenerateOptions { seed: 7, sellers: 4, orders: ORDERS, ..GenerateOptions::default() };
        generate_workspace(dir.path(), &opts).expect("the generated workspace");
        let ws = Workspace::open(dir.path()).expect("the workspace opens");
        let signer = Signer::load(&ws).expect("the demo key");
        Setup { run: RunOptions::new(opts.period), _dir: dir, ws, signer }
    })
}

fn inputs(seller: &str) -> SellerInputs {
    let s = setup();
    read_seller_inputs(&s.ws, seller, &s.run).expect("the seller's inputs")
}

fn statement(seller: &str) -> Statement {
    let s = setup();
    let inputs = inputs(seller);
    let kpis = compute_kpis(&inputs).expect("KPIs");
    let fees = compute_fees(&inputs, kpis).expect("fees");
    assemble_statement(&s.ws, inputs, fees, &s.run, s.signer.block()).expect("the statement")
}

fn pdf(st: &Statement, json: &[u8]) -> Vec<u8> {
    let options = RenderOptions { language: st.seller.language, draft: false, fonts: Fonts::builtin().expect("fonts") };
    render_pdf(st, json, &options).expect("the PDF")
}

/// Reading every export file of the seller and its contract and cost
/// ledger into memory, hashing each as it is read (SHA-256, as the
/// manifest lists them): the part of `ingest` that is not parsing.
#[divan::bench(args = SELLERS, sample_count = 10, sample_size = 1)]
fn read_and_hash(bencher: Bencher, seller: &str) {
    let s = setup();
    let mut files: Vec<String> =
        s.ws.export_files(s.run.period, seller).expect("the export files").into_iter().map(|(f, _)| f).collect();
    files.push(Workspace::contract_path(seller));
    files.extend(s.ws.cost_file(s.run.period, seller));
    bencher.bench(|| {
        files.iter().map(|f| s.ws.read(divan::black_box(f)).expect("the file").sha256_hex().len()).sum::<usize>()
    });
}

/// Reading, hashing and parsing every input file of the seller.
#[divan::bench(args = SELLERS, sample_count = 10, sample_size = 1)]
fn ingest(bencher: Bencher, seller: &str) {
    let s = setup();
    bencher.bench(|| read_seller_inputs(&s.ws, divan::black_box(seller), &s.run).expect("inputs"));
}

/// Per-market figures (the polars aggregation) and every KPI.
#[divan::bench(args = SELLERS, sample_count = 20)]
fn kpis(bencher: Bencher, seller: &str) {
    let inputs = inputs(seller);
    bencher.bench_local(|| compute_kpis(divan::black_box(&inputs)).expect("KPIs"));
}

/// Commission base, pass-through costs, service fees and totals.
#[divan::bench(args = SELLERS, sample_count = 100)]
fn fees(bencher: Bencher, seller: &str) {
    let inputs = inputs(seller);
    let kpis = compute_kpis(&inputs).expect("KPIs");
    bencher.bench_local(|| compute_fees(divan::black_box(&inputs), kpis.clone()).expect("fees"));
}

/// The finished, unsigned PDF.
#[divan::bench(args = SELLERS, sample_count = 50)]
fn render(bencher: Bencher, seller: &str) {
    let st = statement(seller);
    let json = st.to_json();
    bencher.bench_local(|| pdf(divan::black_box(&st), &json));
}

/// Signing the PDF, the manifest (minisign and SSHSIG) and the key files, in memory.
#[divan::bench(args = SELLERS, sample_count = 50)]
fn seal_in_memory(bencher: Bencher, seller: &str) {
    let st = statement(seller);
    let json = st.to_json();
    let pdf = pdf(&st, &json);
    let key = setup().signer.key();
    bencher.bench_local(|| seal(divan::black_box(&st), &json, &pdf, key, Status::Final).expect("sealed"));
}

/// The sealed folder (files, BagIt bag, zip) written into a fresh temporary
/// folder, without fsync.
#[divan::bench(args = SELLERS, sample_count = 50)]
fn write_unsynced(bencher: Bencher, seller: &str) {
    let st = statement(seller);
    let json = st.to_json();
    let pdf = pdf(&st, &json);
    let sealed = seal(&st, &json, &pdf, setup().signer.key(), Status::Final).expect("sealed");
    bencher
        .with_inputs(|| tempfile::tempdir().expect("a temporary folder"))
        .bench_local_refs(|dir| write_sealed(Path::new(dir.path()), &st, &sealed, None).expect("written"));
}
