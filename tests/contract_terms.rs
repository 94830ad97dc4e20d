//! The contract-term classes of issue 10 through the binary, each on a copy
//! of the demo workspace with one change: what the minimum and maximum fee
//! bound (the handling markup outside them unless
//! `fees.bounds_include_markup`), that key's validation, rates from a source
//! the contract's `fx.source` does not name, and a contract time zone that
//! cannot apply to rows dated without a time of day. (That every contract
//! key takes effect is `tests/contract_keys.rs`.) The PDF text is read with
//! poppler's pdftotext, as in `tests/pdf_statement.rs`.

mod common;
use common::{copy_dir, demo};

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const PERIOD: &str = "2026-10";

/// A copy of the demo workspace with `edit` applied to `seller`'s contract.
fn workspace(seller: &str, edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let path = ws.path().join(format!("contracts/{seller}.toml"));
    let text = fs::read_to_string(&path).unwrap();
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit changed nothing");
    fs::write(&path, edited).unwrap();
    ws
}

fn run(ws: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["run", "--workspace"])
        .arg(ws)
        .args(["--period", PERIOD, "--out"])
        .arg(out)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn summary(out: &Path) -> Value {
    serde_json::from_slice(&fs::read(out.join(PERIOD).join("batch-summary.json")).unwrap()).unwrap()
}

fn seller_row<'a>(summary: &'a Value, seller: &str) -> &'a Value {
    summary["sellers"].as_array().unwrap().iter().find(|s| s["seller"] == seller).unwrap()
}

fn statement(out: &Path, seller: &str) -> Value {
    serde_json::from_slice(&fs::read(out.join(PERIOD).join(seller).join("statement.json")).unwrap()).unwrap()
}

/// The PDF's text, one line per printed line, runs of spaces collapsed.
fn pdf_text(out: &Path, seller: &str) -> String {
    let pdf = out.join(PERIOD).join(seller).join("statement.pdf");
    let o = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("cannot run pdftotext ({e}): install poppler-utils (.ci/run does)"));
    assert!(o.status.success(), "pdftotext: {}", String::from_utf8_lossy(&o.stderr));
    // Paragraphs wrap: join the lines so a sentence can be searched whole.
    String::from_utf8(o.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn lines(statement: &Value) -> Vec<(String, String)> {
    statement["service_fees"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["kind"].as_str().unwrap().to_string(), l["amount"].as_str().unwrap().to_string()))
        .collect()
}

fn kinds_and_amounts(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, a)| (k.to_string(), a.to_string())).collect()
}

/// The demo's amounts due that a change to another seller must not move.
const ACME_DUE: &str = "249114.47";
const RIO_DUE: &str = "164175.20";
const SUNNY_DUE: &str = "49214.09";

#[test]
fn the_handling_markup_does_not_fill_the_minimum_and_every_statement_says_what_its_limits_bound() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let out = tempfile::tempdir().unwrap();
    let o = run(ws.path(), out.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // sunny-gadgets: 600.00 + 965.83 + 48.29 = 1,614.12 is raised to the 1,800.00 minimum (185.88)
    // although the 2,257.81 markup would have covered it before.
    let sunny = statement(out.path(), "sunny-gadgets");
    assert_eq!(
        lines(&sunny),
        kinds_and_amounts(&[
            ("base_fee", "600.00"),
            ("commission", "965.83"),
            ("bonus", "48.29"),
            ("minimum_adjustment", "185.88"),
            ("handling_markup", "2257.81"),
        ])
    );
    let fees = &sunny["service_fees"];
    assert_eq!(fees["bounds"]["bounded"], serde_json::json!(["base_fee", "commission", "bonus", "penalty"]));
    assert_eq!(fees["bounds"]["outside"], serde_json::json!(["handling_markup"]));
    assert_eq!(fees["bounds"]["bounded_sum"], "1614.12");
    assert_eq!(fees["subtotal"], "4057.81");
    assert_eq!(sunny["totals"]["amount_due"], SUNNY_DUE);
    assert_eq!(seller_row(&summary(out.path()), "sunny-gadgets")["amount_due"], SUNNY_DUE);
    assert!(!sunny["notes"].as_array().unwrap().iter().any(|n| n["code"] == "markup_inside_fee_limits"));
    let pdf = pdf_text(out.path(), "sunny-gadgets");
    let sentence = "Monthly fee limits (minimum USD 1,800.00) apply to the sum of the base fee, commission and KPI \
                    bonuses/penalties (USD 1,614.12 before any adjustment). The handling markup on pass-through costs \
                    is charged outside these limits.";
    assert!(pdf.contains(sentence), "{pdf}");

    // The other two print their limits in their languages; their figures do not move.
    let acme = statement(out.path(), "acme-home");
    assert_eq!(acme["totals"]["amount_due"], ACME_DUE);
    assert_eq!(acme["service_fees"]["bounds"]["outside"], serde_json::json!([]));
    let zh = pdf_text(out.path(), "acme-home");
    assert!(
        zh.contains("月度收费限额（最低 CNY 10,000.00）适用于月度基础服务费、提成及 KPI 奖励/扣罚之和（调整前为 CNY 44,431.80）。"),
        "{zh}"
    );
    let rio = statement(out.path(), "rio-casa");
    assert_eq!(rio["totals"]["amount_due"], RIO_DUE);
    let pt = pdf_text(out.path(), "rio-casa");
    assert!(
        pt.contains(
            "Limites mensais da taxa (máximo BRL 4.000,00) aplicam-se à soma da taxa mensal fixa, da comissão e dos \
             bônus e multas por KPI (BRL 4.249,02 antes de qualquer ajuste)."
        ),
        "{pt}"
    );
}

#[test]
fn bounds_include_markup_lets_the_markup_count_towards_the_minimum_and_the_statement_says_so() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    let ws = workspace("sunny-gadgets", |t| {
        t.replace("minimum = \"1800.00\"\n", "minimum = \"1800.00\"\nbounds_include_markup = true\n")
    });
    let out = tempfile::tempdir().unwrap();
    let o = run(ws.path(), out.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let sunny = statement(out.path(), "sunny-gadgets");
    assert_eq!(
        lines(&sunny),
        kinds_and_amounts(&[
            ("base_fee", "600.00"),
            ("commission", "965.83"),
            ("bonus", "48.29"),
            ("handling_markup", "2257.81"),
        ])
    );
    assert_eq!(sunny["service_fees"]["bounds"]["outside"], serde_json::json!([]));
    assert_eq!(sunny["service_fees"]["bounds"]["bounded_sum"], "3871.93");
    assert_eq!(sunny["totals"]["amount_due"], "49028.21");
    let pdf = pdf_text(out.path(), "sunny-gadgets");
    assert!(
        pdf.contains(
            "Monthly fee limits (minimum USD 1,800.00) apply to the sum of the base fee, commission, KPI \
             bonuses/penalties and the handling markup on pass-through costs (USD 3,871.93 before any adjustment)."
        ),
        "{pdf}"
    );
    assert!(!pdf.contains("charged outside these limits"), "{pdf}");
    // The contract's choice is a note of the statement (class choice), in the PDF's Data notes too.
    let notes = sunny["notes"].as_array().unwrap();
    let choice = notes.iter().find(|n| n["code"] == "markup_inside_fee_limits").expect("the choice note");
    assert_eq!(choice["class"], "choice");
    assert_eq!(choice["markup"], "USD 2,257.81");
    assert_eq!(choice["at"], serde_json::json!(["contracts/sunny-gadgets.toml"]));
    let note = "By the contract (fees.bounds_include_markup = true), the handling markup on pass-through costs \
                (USD 2,257.81) counts towards the monthly minimum and maximum fee.";
    assert_eq!(choice["text"], note);
    assert!(pdf.contains(note), "{pdf}");
    let all = summary(out.path());
    assert_eq!(seller_row(&all, "acme-home")["amount_due"], ACME_DUE);
    assert_eq!(seller_row(&all, "rio-casa")["amount_due"], RIO_DUE);
}

#[test]
fn bounds_include_markup_without_a_markup_to_include_is_refused_naming_the_key() {
    // acme-home has a minimum but no pass_through_markup.
    let ws = workspace("acme-home", |t| {
        t.replace("minimum = \"10000.00\"\n", "minimum = \"10000.00\"\nbounds_include_markup = true\n")
    });
    let out = tempfile::tempdir().unwrap();
    let o = run(ws.path(), out.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let all = summary(out.path());
    let acme = seller_row(&all, "acme-home");
    assert_eq!(acme["status"], "failed");
    assert_eq!(
        acme["error"],
        "contracts/acme-home.toml: fees.bounds_include_markup: is true but the contract has no \
         fees.pass_through_markup to include"
    );
    assert!(!out.path().join(PERIOD).join("acme-home").exists());
    assert_eq!(seller_row(&all, "rio-casa")["amount_due"], RIO_DUE);
    assert_eq!(seller_row(&all, "sunny-gadgets")["amount_due"], SUNNY_DUE);
}

#[test]
fn a_rate_from_a_source_the_contract_does_not_name_is_a_data_note_naming_the_rate() {
    let ws = workspace("sunny-gadgets", |t| {
        t.replace("source = \"PBoC central parity\"", "source = \"ECB euro foreign exchange reference rates\"")
    });
    let out = tempfile::tempdir().unwrap();
    let o = run(ws.path(), out.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let all = summary(out.path());
    let sunny = seller_row(&all, "sunny-gadgets");
    assert_eq!(sunny["status"], "written");
    assert_eq!(sunny["amount_due"], SUNNY_DUE, "the same rates give the same amount");
    assert_eq!(
        sunny["warnings"],
        serde_json::json!([
            "The contract agrees on rates from \"ECB euro foreign exchange reference rates\" (fx.source), but these \
             rates used come from a source it does not name: USD/CNY 7.1159 (2026-10-30, \"PBoC central parity\"). \
             (contracts/sunny-gadgets.toml)"
        ])
    );
    assert_eq!(seller_row(&all, "acme-home")["amount_due"], ACME_DUE);
    assert_eq!(seller_row(&all, "rio-casa")["amount_due"], RIO_DUE);
}

#[test]
fn the_contracts_fx_terms_are_printed_with_the_rates() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let out = tempfile::tempdir().unwrap();
    assert_eq!(run(ws.path(), out.path()).status.code(), Some(0));
    let rio = statement(out.path(), "rio-casa");
    assert_eq!(
        rio["contract"]["fx"],
        serde_json::json!({
            "source": "BCB PTAX; CNY crossed through USD (PBoC central parity)", "rate_date": "period_average",
            "max_age_days": 7
        })
    );
    let pt = pdf_text(out.path(), "rio-casa");
    assert!(
        pt.contains(
            "Taxas conforme o contrato: BCB PTAX; CNY crossed through USD (PBoC central parity); a média das taxas \
             publicadas dentro do período."
        ),
        "{pt}"
    );
    let en = pdf_text(out.path(), "sunny-gadgets");
    assert!(
        en.contains(
            "Rates as the contract agrees: PBoC central parity; the latest rate published on or before the period's \
             last day."
        ),
        "{en}"
    );
}

#[test]
fn a_contract_time_zone_cannot_move_rows_dated_without_a_time_of_day_and_the_statement_says_which() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    // sunny-gadgets' V1 settlement has posted-date only; its V2 settlements carry posted-date-time.
    let ws = workspace("sunny-gadgets", |t| {
        t.replace("markets = [\"amazon_us\"]\n", "markets = [\"amazon_us\"]\ntime_zones = { amazon_us = \"UTC\" }\n")
    });
    let out = tempfile::tempdir().unwrap();
    let o = run(ws.path(), out.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let sunny = statement(out.path(), "sunny-gadgets");
    let notes = sunny["notes"].as_array().unwrap();
    let is_settlement = |n: &&serde_json::Value| n["at"][0].as_str().is_some_and(|at| at.contains("/flat-file-v1-"));
    let note = notes
        .iter()
        .find(|n| n["code"] == "time_zone_not_applied" && is_settlement(n))
        .expect("the time zone note of the V1 settlement");
    // The seller Feedback report's dates have no time of day either: a note of its own.
    assert!(notes.iter().any(
        |n| n["code"] == "time_zone_not_applied" && n["at"][0].as_str().is_some_and(|at| at.contains("/Feedback_"))
    ));
    assert_eq!(note["class"], "data");
    assert_eq!(note["market"], "amazon_us");
    assert_eq!(note["zone"], "UTC");
    assert_eq!(note["rows"], "111");
    assert_eq!(
        note["at"],
        serde_json::json!(["exports/2026-10/sunny-gadgets/flat-file-v1-settlement-18154489766.txt:348-458"])
    );
    let sentence = "111 Amazon US rows on or next to the first or last day of the month carry a date without a time \
                    of day, so the contract's time zone UTC cannot be applied to them: they count on the date the \
                    marketplace printed.";
    assert_eq!(note["text"], sentence);
    assert!(pdf_text(out.path(), "sunny-gadgets").contains(sentence));
    assert!(seller_row(&summary(out.path()), "sunny-gadgets")["warnings"].to_string().contains("time zone UTC"));

    // The V1 file's rows stay where they were; the V2 files' rows are dated in UTC.
    let demo_out = tempfile::tempdir().unwrap();
    let clean = tempfile::tempdir().unwrap();
    copy_dir(&demo(), clean.path());
    assert_eq!(run(clean.path(), demo_out.path()).status.code(), Some(0));
    let before = statement(demo_out.path(), "sunny-gadgets");
    let rows = |s: &Value, name: &str| -> u64 {
        s["inputs"].as_array().unwrap().iter().find(|i| i["path"].as_str().unwrap().contains(name)).unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(rows(&sunny, "flat-file-v1-settlement"), rows(&before, "flat-file-v1-settlement"));
    assert_ne!(rows(&sunny, "settlement_18158755684"), rows(&before, "settlement_18158755684"));
    assert!(!before["notes"].as_array().unwrap().iter().any(|n| n["code"] == "time_zone_not_applied"));
    let all = summary(out.path());
    assert_eq!(seller_row(&all, "acme-home")["amount_due"], ACME_DUE);
    assert_eq!(seller_row(&all, "rio-casa")["amount_due"], RIO_DUE);
}
