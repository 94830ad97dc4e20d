//! The PDF statement, checked with real third-party tools (poppler's
//! pdftotext/pdfdetach/pdffonts and qpdf; `.ci/run` installs them): the
//! text a reader sees, the attached data, the file's structure, pagination,
//! languages and determinism.

mod common;
use common::demo;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use kpiseal::batch::{BatchOptions, Silent, run_batch};
use kpiseal::contract::Language;
use kpiseal::i18n::Catalog;
use kpiseal::kpi::{Kpi, Unit};
use kpiseal::kpi_id::KpiId;
use kpiseal::lifecycle::IssueMode;
use kpiseal::render::fonts::Fonts;
use kpiseal::render::{RenderOptions, render_pdf};
use kpiseal::seal_config::Signer;
use kpiseal::statement::Statement;
use kpiseal::workspace::Workspace;

const PERIOD: &str = "2026-10";
const DEMO_SELLERS: [&str; 4] = ["acme-home", "loja-mix", "rio-casa", "sunny-gadgets"];

/// Runs the demo month end into `out`.
fn run_demo(out: &Path, language: Option<Language>, draft: bool) {
    let ws = Workspace::open(&demo()).unwrap();
    let mut opts = BatchOptions::new(PERIOD.parse().unwrap(), out);
    opts.language = language;
    if draft {
        opts.mode = IssueMode::Draft;
    }
    let signer = Signer::load(&ws).unwrap();
    let summary = run_batch(&ws, &opts, &signer, &Silent).unwrap();
    assert_eq!(summary.failed, 0, "{:#?}", summary.sellers);
}

fn seller_dir(out: &Path, seller: &str) -> PathBuf {
    out.join(PERIOD).join(seller)
}

/// Runs a third-party tool, failing the test with a clear message when it
/// is not installed.
fn tool(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): install poppler-utils and qpdf (.ci/run does)"))
}

/// The PDF's text as pdftotext extracts it, pages `first..=last` (all when None).
fn pdf_text(pdf: &Path, pages: Option<(usize, usize)>) -> String {
    let mut args: Vec<String> = Vec::new();
    if let Some((first, last)) = pages {
        args.extend(["-f".into(), first.to_string(), "-l".into(), last.to_string()]);
    }
    args.extend([pdf.display().to_string(), "-".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = tool("pdftotext", &args);
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn page_count(pdf: &Path) -> usize {
    let out = tool("pdfinfo", &[&pdf.display().to_string()]);
    let info = String::from_utf8(out.stdout).unwrap();
    info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

/// `text` without any whitespace, so wrapped lines still match.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A KPI value as the statement prints it in `c`'s language.
fn printed_value(c: &Catalog, k: &Kpi) -> Option<String> {
    let v = k.value?;
    Some(match k.unit {
        Unit::Money(_) => c.money(v),
        Unit::Count => c.number(v),
        Unit::Ratio if k.id == KpiId::Roas => c.number(v),
        Unit::Ratio => c.percent(v),
        Unit::Days => c.fill("values.days", &[("days", &c.number(v))]).unwrap(),
    })
}

#[test]
fn the_text_shows_the_amount_due_the_sellers_legal_name_and_every_kpi_value() {
    if !common::tools_present(&["pdftotext", "qpdf"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), None, false);
    for seller in DEMO_SELLERS {
        let dir = seller_dir(out.path(), seller);
        let statement = Statement::from_json(&fs::read(dir.join("statement.json")).unwrap()).unwrap();
        let text = squash(&pdf_text(&dir.join("statement.pdf"), None));
        let c = Catalog::get(statement.seller.language).unwrap();
        let due = format!("{}{}", statement.totals.currency.code(), c.money(statement.totals.amount_due));
        assert!(text.contains(&squash(&due)), "{seller}: amount due {due} not in the PDF text");
        assert!(text.contains(&squash(&statement.seller.legal_name)), "{seller}: legal name missing");
        assert!(text.contains(&squash(c.text("amount_due.title").unwrap())), "{seller}: label missing");
        for k in &statement.kpis {
            if let Some(value) = printed_value(c, k) {
                assert!(text.contains(&squash(&value)), "{seller}: {} {:?} = {value} not in the PDF", k.id, k.market);
            }
        }
    }
}

#[test]
fn a_single_market_seller_gets_one_scorecard_and_a_two_market_seller_one_per_market_and_overall() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), Some(Language::En), false);
    let c = Catalog::get(Language::En).unwrap();
    let all = c.text("scopes.all").unwrap();
    let text = |seller: &str| pdf_text(&seller_dir(out.path(), seller).join("statement.pdf"), None);
    let lines = |text: &str, line: &str| text.lines().filter(|l| l.trim() == line).count();
    let sunny = text("sunny-gadgets");
    assert_eq!(sunny.matches("Refund rate [").count(), 1, "the one market's KPIs once: {sunny}");
    assert_eq!(lines(&sunny, &format!("{all} (USD)")), 0, "{sunny}");
    assert!(sunny.contains("alert at 4.00%"), "the overall figure's target is printed: {sunny}");
    let acme = text("acme-home");
    assert_eq!(acme.matches("Refund rate [").count(), 3, "Amazon US, Mercado Livre BR and all markets: {acme}");
    assert_eq!(lines(&acme, &format!("{all} (CNY)")), 1, "{acme}");
}

#[test]
fn each_language_prints_its_own_labels_numbers_and_dates() {
    if !common::tools_present(&["pdftotext", "qpdf"]) {
        return;
    }
    for (language, label, number, date) in [
        (Language::ZhCn, "应付金额", "249,114.47", "2026年10月31日"),
        (Language::En, "Amount due", "249,114.47", "2026-10-31"),
        (Language::PtBr, "Valor devido", "249.114,47", "31/10/2026"),
    ] {
        let out = tempfile::tempdir().unwrap();
        run_demo(out.path(), Some(language), false);
        let text = squash(&pdf_text(&seller_dir(out.path(), "acme-home").join("statement.pdf"), None));
        for expected in [label, number, date] {
            assert!(text.contains(&squash(expected)), "{}: {expected} not in the PDF", language.tag());
        }
    }
}

#[test]
fn qpdf_finds_no_structural_problem() {
    if !common::tools_present(&["qpdf"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), None, false);
    for seller in DEMO_SELLERS {
        let pdf = seller_dir(out.path(), seller).join("statement.pdf");
        let check = tool("qpdf", &["--check", &pdf.display().to_string()]);
        let report = String::from_utf8_lossy(&check.stdout).to_string() + &String::from_utf8_lossy(&check.stderr);
        assert!(check.status.success(), "{seller}: qpdf --check failed:\n{report}");
        assert!(!report.to_lowercase().contains("warning"), "{seller}: qpdf warns:\n{report}");
        assert!(report.contains("No syntax or stream encoding errors"), "{seller}: {report}");
    }
}

#[test]
fn the_attached_statement_json_is_byte_identical_to_the_one_beside_it() {
    if !common::tools_present(&["pdfdetach", "qpdf"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), None, false);
    for seller in DEMO_SELLERS {
        let dir = seller_dir(out.path(), seller);
        let pdf = dir.join("statement.pdf").display().to_string();
        let list = String::from_utf8(tool("pdfdetach", &["-list", &pdf]).stdout).unwrap();
        assert!(list.contains("statement.json"), "{seller}: {list}");
        let extracted = out.path().join(format!("{seller}-extracted.json"));
        let save = tool("pdfdetach", &["-save", "1", "-o", &extracted.display().to_string(), &pdf]);
        assert!(save.status.success(), "{}", String::from_utf8_lossy(&save.stderr));
        assert_eq!(fs::read(&extracted).unwrap(), fs::read(dir.join("statement.json")).unwrap(), "{seller}");
    }
}

#[test]
fn every_font_is_embedded_as_a_subset() {
    if !common::tools_present(&["pdffonts", "qpdf"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), None, false);
    let pdf = seller_dir(out.path(), "acme-home").join("statement.pdf");
    let fonts = String::from_utf8(tool("pdffonts", &[&pdf.display().to_string()]).stdout).unwrap();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(rows.len() >= 2, "{fonts}");
    for row in rows {
        // name type encoding emb sub uni object ID
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "not embedded+subset+unicode: {row}");
    }
}

#[test]
fn rendering_is_deterministic_and_render_reproduces_run_before_signing() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    run_demo(a.path(), None, false);
    run_demo(b.path(), None, false);
    for seller in DEMO_SELLERS {
        let pdf_a = fs::read(seller_dir(a.path(), seller).join("statement.pdf")).unwrap();
        let pdf_b = fs::read(seller_dir(b.path(), seller).join("statement.pdf")).unwrap();
        assert!(pdf_a == pdf_b, "{seller}: two runs differ");

        let rerendered = a.path().join(format!("{seller}.pdf"));
        let status = Command::new(env!("CARGO_BIN_EXE_kpiseal"))
            .args(["render", "--json"])
            .arg(seller_dir(a.path(), seller).join("statement.json"))
            .arg("--out")
            .arg(&rerendered)
            .status()
            .unwrap();
        assert!(status.success());
        // run signs the rendered PDF by appending an incremental update, so
        // what render writes is exactly the signed file's first bytes.
        let unsigned = fs::read(&rerendered).unwrap();
        assert!(
            unsigned.len() < pdf_a.len() && pdf_a.starts_with(&unsigned),
            "{seller}: render --json differs from run's PDF before its signature"
        );
    }
}

#[test]
fn drafts_carry_a_watermark_on_every_page_in_the_readers_language() {
    if !common::tools_present(&["pdfinfo", "qpdf"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), None, true);
    for (seller, word) in [("acme-home", "草稿"), ("sunny-gadgets", "DRAFT"), ("rio-casa", "RASCUNHO")] {
        let pdf = seller_dir(&out.path().join("drafts"), seller).join("statement.pdf");
        for page in 1..=page_count(&pdf) {
            let text = pdf_text(&pdf, Some((page, page)));
            assert!(text.contains(word), "{seller} page {page}: no {word}");
        }
    }
    let finals = tempfile::tempdir().unwrap();
    run_demo(finals.path(), None, false);
    let text = pdf_text(&seller_dir(finals.path(), "sunny-gadgets").join("statement.pdf"), None);
    assert!(!text.contains("DRAFT"));
}

/// The demo's sunny-gadgets statement with its pass-through lines repeated to `n`.
fn statement_with_pass_through_lines(n: usize) -> Statement {
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), None, false);
    let json = fs::read(seller_dir(out.path(), "sunny-gadgets").join("statement.json")).unwrap();
    common::with_pass_through_lines(Statement::from_json(&json).unwrap(), n)
}

#[test]
fn six_hundred_pass_through_lines_paginate_with_the_header_repeated() {
    if !common::tools_present(&["pdfinfo", "qpdf"]) {
        return;
    }
    let s = statement_with_pass_through_lines(600);
    let options = RenderOptions { language: Language::En, draft: false, fonts: Fonts::builtin().unwrap() };
    let pdf = render_pdf(&s, &s.to_json(), &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.pdf");
    fs::write(&path, &pdf).unwrap();
    let pages = page_count(&path);
    assert!(pages >= 12, "{pages} pages");
    let mut pages_with_lines = 0;
    let mut seen = 0;
    for page in 1..=pages {
        let text = pdf_text(&path, Some((page, page)));
        let on_page = (0..600).filter(|i| text.contains(&format!("INV-{i:04}"))).count();
        if on_page > 0 {
            pages_with_lines += 1;
            assert!(text.contains("Invoice no."), "page {page}: pass-through rows without their header");
            if seen > 0 {
                assert!(text.contains("Pass-through costs (continued)"), "page {page}: no continuation title");
            }
        }
        seen += on_page;
        assert!(text.contains(&format!("{page} / {pages}")), "page {page}: no page number");
    }
    assert_eq!(seen, 600, "every line printed exactly once");
    assert!(pages_with_lines >= 10);
}

#[test]
fn every_language_prints_the_data_notes_section_with_each_note_and_where_it_comes_from() {
    if !common::tools_present(&["pdftotext", "qpdf"]) {
        return;
    }
    for language in [Language::ZhCn, Language::En, Language::PtBr] {
        let out = tempfile::tempdir().unwrap();
        run_demo(out.path(), Some(language), false);
        let c = Catalog::get(language).unwrap();
        for seller in DEMO_SELLERS {
            let dir = seller_dir(out.path(), seller);
            let statement = Statement::from_json(&fs::read(dir.join("statement.json")).unwrap()).unwrap();
            // A note may run on over a page break: the footer and page number between are not part of it.
            let number = &statement.statement_number;
            let raw = pdf_text(&dir.join("statement.pdf"), None);
            let body: Vec<&str> = raw
                .lines()
                .filter(|l| !l.contains(number.as_str()))
                .filter(|l| {
                    !l.trim().split('/').all(|n| !n.trim().is_empty() && n.trim().bytes().all(|b| b.is_ascii_digit()))
                })
                .collect();
            let text = squash(&body.join("\n"));
            let tag = language.tag();
            assert!(text.contains(&squash(c.text("sections.data_notes").unwrap())), "{tag} {seller}: no section");
            if statement.notes.is_empty() {
                assert!(text.contains(&squash(c.text("data_notes.none").unwrap())), "{tag} {seller}: no 'none'");
            }
            for note in &statement.notes {
                let printed = squash(&c.data_note(&note.kind).unwrap());
                assert!(text.contains(&printed), "{tag} {seller}: note {printed} not in the PDF");
                for at in &note.at {
                    assert!(text.contains(&squash(at)), "{tag} {seller}: {at} not in the PDF");
                }
            }
        }
    }
}
