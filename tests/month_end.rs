//! The month-end run over the bundled demo workspace, end to end: golden
//! statements, determinism, isolation of a bad seller, exit codes.

mod common;
use common::{copy_dir, demo};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use kpiseal::batch::{BatchOptions, OutcomeStatus, Silent, run_batch};
use kpiseal::seal_config::Signer;
use kpiseal::workspace::Workspace;

const PERIOD: &str = "2026-10";
const DEMO_SELLERS: [&str; 4] = ["acme-home", "loja-mix", "rio-casa", "sunny-gadgets"];

fn run(workspace: &Path, out: &Path, strict: bool) -> kpiseal::batch::BatchSummary {
    let ws = Workspace::open(workspace).unwrap();
    let mut opts = BatchOptions::new(PERIOD.parse().unwrap(), out);
    opts.strict = strict;
    let signer = Signer::load(&ws).unwrap();
    run_batch(&ws, &opts, &signer, &Silent).unwrap()
}

fn statement(out: &Path, seller: &str) -> Vec<u8> {
    fs::read(out.join(PERIOD).join(seller).join("statement.json")).unwrap()
}

#[test]
fn demo_statements_match_their_golden_files() {
    let out = tempfile::tempdir().unwrap();
    let summary = run(&demo(), out.path(), false);
    assert_eq!(summary.failed, 0, "{:#?}", summary.sellers);
    for seller in DEMO_SELLERS {
        let json = String::from_utf8(statement(out.path(), seller)).unwrap();
        insta::assert_snapshot!(format!("{seller}.statement.json"), json);
    }
}

#[test]
fn same_inputs_give_byte_identical_statements() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    run(&demo(), a.path(), false);
    run(&demo(), b.path(), false);
    for seller in DEMO_SELLERS {
        assert_eq!(statement(a.path(), seller), statement(b.path(), seller), "{seller}");
    }
}

#[test]
fn acme_home_is_driven_by_the_domain_example_contract_unchanged() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        fs::read(demo().join("contracts/acme-home.toml")).unwrap(),
        fs::read(root.join("fixtures/contracts/domain-example.toml")).unwrap()
    );
}

/// The first Amazon settlement export of `seller`, by name.
fn first_settlement(ws: &Path, seller: &str) -> PathBuf {
    let dir = ws.join("exports").join(PERIOD).join(seller);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .find(|p| fs::read(p).map(|b| b.starts_with(b"settlement-id\t")).unwrap_or(false))
        .expect("a settlement export")
}

#[test]
fn one_bad_seller_fails_alone_with_file_line_and_column() {
    let clean = tempfile::tempdir().unwrap();
    run(&demo(), clean.path(), false);

    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let bad = first_settlement(ws.path(), "acme-home");
    let text = fs::read_to_string(&bad).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split('\t').collect();
    let amount_col = header.iter().position(|h| *h == "amount").unwrap();
    let mut cells: Vec<String> = lines[5].split('\t').map(str::to_string).collect();
    cells[amount_col] = "12,34.5".to_string();
    lines[5] = cells.join("\t");
    fs::write(&bad, lines.join("\n") + "\n").unwrap();

    let out = tempfile::tempdir().unwrap();
    let summary = run(ws.path(), out.path(), false);
    let acme = summary.sellers.iter().find(|s| s.seller == "acme-home").unwrap();
    assert_eq!(acme.status, OutcomeStatus::Failed);
    let rel = bad.strip_prefix(ws.path()).unwrap().to_string_lossy().into_owned();
    assert_eq!(
        acme.error.as_deref().unwrap(),
        format!("{rel}:6: column \"amount\": \"12,34.5\" is not a number (expected e.g. 1,234.56)")
    );
    assert!(!out.path().join(PERIOD).join("acme-home").exists(), "nothing is written for a failed seller");
    for seller in ["rio-casa", "sunny-gadgets"] {
        assert_eq!(statement(out.path(), seller), statement(clean.path(), seller), "{seller} is untouched");
    }
}

#[test]
fn the_binary_exits_1_when_a_seller_fails_and_0_when_all_are_written() {
    let out = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_kpiseal");
    let ok = Command::new(bin)
        .args(["run", "--workspace"])
        .arg(demo())
        .args(["--period", PERIOD, "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join(PERIOD).join("batch-summary.json")).unwrap()).unwrap();
    assert_eq!(summary["written"], 4);

    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    fs::write(ws.path().join("contracts/broken.toml"), "[seller]\nid = \"broken\"\n").unwrap();
    let failed = Command::new(bin)
        .args(["run", "--workspace"])
        .arg(ws.path())
        .args(["--period", PERIOD, "--quiet"])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("FAILED     broken") && stderr.contains("contracts/broken.toml"), "{stderr}");

    let usage = Command::new(bin).args(["run", "--workspace", "/nonexistent", "--period", PERIOD]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn a_missing_exchange_rate_names_the_pair_and_date() {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let fx = ws.path().join("fx").join(format!("{PERIOD}.csv"));
    let kept: Vec<String> =
        fs::read_to_string(&fx).unwrap().lines().filter(|l| !l.contains("CNY")).map(str::to_string).collect();
    fs::write(&fx, kept.join("\n") + "\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let summary = run(ws.path(), out.path(), false);
    let acme = summary.sellers.iter().find(|s| s.seller == "acme-home").unwrap();
    let err = acme.error.as_deref().unwrap();
    assert!(err.contains("USD/CNY") && err.contains("2026-10-31"), "{err}");
}

#[test]
fn strict_makes_a_reconciliation_mismatch_fatal() {
    let out = tempfile::tempdir().unwrap();
    let lenient = run(&demo(), out.path(), false);
    let warned: Vec<&str> =
        lenient.sellers.iter().filter(|s| !s.warnings.is_empty()).map(|s| s.seller.as_str()).collect();
    assert_eq!(
        warned,
        vec!["loja-mix", "rio-casa"],
        "the demo carries one deliberate 0.01 glitch in rio-casa's Vendas export; loja-mix carries data notes on its store orders"
    );
    let out = tempfile::tempdir().unwrap();
    let strict = run(&demo(), out.path(), true);
    let rio = strict.sellers.iter().find(|s| s.seller == "rio-casa").unwrap();
    assert_eq!(rio.status, OutcomeStatus::Failed);
    assert!(rio.error.as_deref().unwrap().starts_with("reconciliation failed"), "{:?}", rio.error);
}
