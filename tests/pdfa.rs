//! The statement PDF against PDF/A-3b, checked by an independent validator
//! (page-validation from PyPI, through `scripts/pdfa-check.py`; `.ci/run`
//! installs it): the signed statements of the demo in each language, a
//! draft, a statement that supersedes another, and a long multi-page one.

mod common;
use common::{copy_dir, demo};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kpiseal::contract::Language;
use kpiseal::render::fonts::Fonts;
use kpiseal::render::{RenderOptions, render_pdf};
use kpiseal::statement::Statement;

const PERIOD: &str = "2026-10";

/// Whether python3 and page-validation are installed (SKIPPED, or a failure
/// under `KPISEAL_REQUIRE_TOOLS=1`, when not).
fn validator_present() -> bool {
    common::python_module_present("page", "page-validation")
}

/// Runs the validator on `pdfs`; fails the test with its report unless every file is compliant.
fn assert_pdfa_3b(pdfs: &[PathBuf]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pdfa-check.py");
    let output = Command::new("python3").arg(script).args(pdfs).output().expect("python3 runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "not PDF/A-3b:\n{report}");
    assert_eq!(report.lines().filter(|l| l.starts_with("OK ")).count(), pdfs.len(), "{report}");
}

/// `kpiseal run --workspace ws --period 2026-10 <args>`, which must succeed.
fn run(ws: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["run", "--workspace"])
        .arg(ws)
        .args(["--period", PERIOD, "--quiet"])
        .args(args)
        .output()
        .expect("kpiseal runs");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn demo_copy() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    ws
}

#[test]
fn signed_statements_in_every_language_are_pdfa_3b() {
    if !validator_present() {
        return;
    }
    let ws = demo_copy();
    run(ws.path(), &[]);
    // The demo's sellers read zh-CN (acme-home), pt-BR (rio-casa) and en (sunny-gadgets).
    let pdfs: Vec<PathBuf> = ["acme-home", "rio-casa", "sunny-gadgets"]
        .iter()
        .map(|seller| ws.path().join("out").join(PERIOD).join(seller).join("statement.pdf"))
        .collect();
    for pdf in &pdfs {
        assert!(fs::read(pdf).unwrap().starts_with(b"%PDF-1.7"), "{}", pdf.display());
    }
    assert_pdfa_3b(&pdfs);
}

#[test]
fn drafts_and_superseding_statements_are_pdfa_3b() {
    if !validator_present() {
        return;
    }
    let ws = demo_copy();
    run(ws.path(), &["--draft", "--seller", "acme-home"]);
    let draft = ws.path().join("out/drafts").join(PERIOD).join("acme-home/statement.pdf");

    run(ws.path(), &["--seller", "rio-casa"]);
    let contract = ws.path().join("contracts/rio-casa.toml");
    let mut amended = fs::read_to_string(&contract).unwrap();
    amended.push_str("# amended after issue\n");
    fs::write(&contract, amended).unwrap();
    run(ws.path(), &["--seller", "rio-casa", "--supersede", "contrato corrigido"]);
    let superseding = ws.path().join("out").join(PERIOD).join("rio-casa/statement.pdf");
    let json = Statement::from_json(&fs::read(superseding.with_file_name("statement.json")).unwrap()).unwrap();
    assert!(json.supersedes.is_some(), "the second statement supersedes the first");

    assert_pdfa_3b(&[draft, superseding]);
}

#[test]
fn a_statement_of_many_pages_is_pdfa_3b() {
    if !validator_present() {
        return;
    }
    let ws = demo_copy();
    run(ws.path(), &["--seller", "sunny-gadgets"]);
    let json = fs::read(ws.path().join("out").join(PERIOD).join("sunny-gadgets/statement.json")).unwrap();
    let statement = common::with_pass_through_lines(Statement::from_json(&json).unwrap(), 400);
    for language in [Language::ZhCn, Language::En, Language::PtBr] {
        let options = RenderOptions { language, draft: false, fonts: Fonts::builtin().unwrap() };
        let pdf = render_pdf(&statement, &statement.to_json(), &options).unwrap();
        let path = ws.path().join(format!("long-{language:?}.pdf"));
        fs::write(&path, pdf).unwrap();
        assert_pdfa_3b(&[path]);
    }
}

#[test]
fn statements_with_their_trend_charts_are_pdfa_3b() {
    if !validator_present() {
        return;
    }
    // September issued first, so October's statements carry a trend.
    let ws = common::issued_months(2);
    let pdfs: Vec<PathBuf> = ["acme-home", "rio-casa", "sunny-gadgets"]
        .iter()
        .map(|seller| ws.path().join("out").join(PERIOD).join(seller).join("statement.pdf"))
        .collect();
    let json = fs::read_to_string(ws.path().join("out").join(PERIOD).join("acme-home/statement.json")).unwrap();
    assert!(json.contains("\"trend\""), "the statement has a trend to draw");
    assert_pdfa_3b(&pdfs);
}
