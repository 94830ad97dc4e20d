//! `kpiseal check --as-of`: the period counted to a day from the exports
//! downloaded so far, GMV targets pro-rated by days elapsed, and alerts
//! raised once per period (`alerts.json`), printed as JSON lines.

mod common;
use common::{copy_dir, demo};
use kpiseal::market::Market;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use chrono::NaiveDate;
use kpiseal::kpi::Scope;
use kpiseal::kpi_id::KpiId;
use kpiseal::pipeline::{RunOptions, build_statement};
use kpiseal::statement::{SigningBlock, Statement};
use kpiseal::workspace::Workspace;
use serde_json::Value;

const PERIOD: &str = "2026-10";
/// The demo's Amazon-only seller: every report it has is daily or dated by
/// row, so it can be counted to any day (the Mercado Livre Product Ads
/// report of the other two sums the whole month and is refused as of a day
/// inside it).
const SUNNY: &str = "sunny-gadgets";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, d).unwrap()
}

fn statement_as_of(ws: &Path, as_of: Option<NaiveDate>) -> Statement {
    let ws = Workspace::open(ws).unwrap();
    let mut opts = RunOptions::new(PERIOD.parse().unwrap());
    opts.as_of = as_of;
    build_statement(&ws, SUNNY, &opts, SigningBlock { key_id: "0000000000000000".into(), demo: true }).unwrap()
}

fn value(st: &Statement, id: KpiId) -> rust_decimal::Decimal {
    st.kpis.iter().find(|k| k.id == id && k.market == Scope::Market(Market::AMAZON_US)).unwrap().value.unwrap()
}

fn check(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["check", "--workspace"])
        .arg(ws)
        .args(["--period", PERIOD, "--seller", SUNNY])
        .args(args)
        .output()
        .unwrap()
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn as_of_the_last_day_is_the_months_statement_and_earlier_days_count_less() {
    let month = statement_as_of(&demo(), None);
    let last = statement_as_of(&demo(), Some(day(31)));
    assert_eq!(serde_json::to_string(&last).unwrap(), serde_json::to_string(&month).unwrap());

    let mid = statement_as_of(&demo(), Some(day(15)));
    let first = statement_as_of(&demo(), Some(day(1)));
    for id in [KpiId::Orders, KpiId::Units, KpiId::Gmv] {
        let (a, b, c) = (value(&first, id), value(&mid, id), value(&month, id));
        assert!(a <= b && b < c, "{id}: day 1 {a}, day 15 {b}, month {c}");
    }
    // Pass-through costs count to the date too: only those dated by then.
    assert!(mid.pass_through.lines.iter().all(|l| l.date <= day(15)));
    assert!(mid.pass_through.lines.len() < month.pass_through.lines.len(), "the ledger has costs after the 15th");
    // A counted day has all of its facts, whatever report they come from:
    // the Business Report and Inventory Ledger need only the days counted.
    assert!(value(&first, KpiId::ConversionRate) > rust_decimal::Decimal::ZERO);
    assert!(value(&mid, KpiId::InventoryTurnoverDays) > rust_decimal::Decimal::ZERO);
    let note = mid.notes.iter().find(|n| n.kind.code() == "as_of").unwrap();
    let note = serde_json::to_value(note).unwrap();
    // 15000.00 × 15 / 31 = 7258.0645 → 7258.06 (half-up, minor unit).
    assert_eq!(note["prorated"], serde_json::json!(["gmv amazon_us min 15000.00 → 7258.06"]));
    assert_eq!((&note["counted_days"], &note["term_days"]), (&Value::from(15), &Value::from(31)));
    assert_eq!(note["class"], "choice");
    assert!(!statement_as_of(&demo(), None).notes.iter().any(|n| n.kind.code() == "as_of"));
    let target =
        mid.kpis.iter().find(|k| k.id == KpiId::Gmv && k.market == Scope::Market(Market::AMAZON_US)).unwrap().target;
    assert_eq!(serde_json::to_value(target).unwrap()["value"], "7258.06");
    let attainment = value(&mid, KpiId::GmvAttainment);
    let expected = value(&mid, KpiId::Gmv) / rust_decimal::Decimal::new(725806, 2);
    assert!((attainment - expected).abs() < rust_decimal::Decimal::new(5, 5), "{attainment} vs {expected}");
}

#[test]
fn a_contract_curve_sets_how_much_of_the_gmv_target_is_due_by_the_date() {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let contract = ws.path().join("contracts/sunny-gadgets.toml");
    let text = fs::read_to_string(&contract).unwrap();
    // 30 % of the month's GMV by the 15th (a slow first half), then straight to 100 %.
    let with_curve = text.replacen("[kpi]\n", "[kpi]\ngmv_curve = [{ day = 15, share = \"0.3\" }]\n", 1);
    assert_ne!(with_curve, text);
    fs::write(&contract, with_curve).unwrap();
    let mid = statement_as_of(ws.path(), Some(day(15)));
    let target =
        mid.kpis.iter().find(|k| k.id == KpiId::Gmv && k.market == Scope::Market(Market::AMAZON_US)).unwrap().target;
    // 15000.00 × 0.3 = 4500.00; on the 20th, 0.3 + 0.7 × 5/16 = 0.51875 → 7781.25.
    assert_eq!(serde_json::to_value(target).unwrap()["value"], "4500.00");
    let later = statement_as_of(ws.path(), Some(day(20)));
    let target =
        later.kpis.iter().find(|k| k.id == KpiId::Gmv && k.market == Scope::Market(Market::AMAZON_US)).unwrap().target;
    assert_eq!(serde_json::to_value(target).unwrap()["value"], "7781.25");
    // The month's statement is not pro-rated at all.
    let month = statement_as_of(ws.path(), None);
    let target =
        month.kpis.iter().find(|k| k.id == KpiId::Gmv && k.market == Scope::Market(Market::AMAZON_US)).unwrap().target;
    assert_eq!(serde_json::to_value(target).unwrap()["value"], "15000.00");
}

#[test]
fn an_as_of_date_outside_the_period_stops_the_check_naming_it() {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let o = check(ws.path(), &["--as-of", "2026-11-02"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--as-of 2026-11-02 is not a day of period 2026-10"), "{err}");
    assert!(!ws.path().join("out").exists(), "nothing written");
}

#[test]
fn a_seller_whose_reports_cannot_be_cut_at_the_date_is_refused_and_the_check_exits_3() {
    // rio-casa's Product Ads report sums the whole month: as of the 15th it
    // would count ads of days not yet counted.
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let o = Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["check", "--workspace"])
        .arg(ws.path())
        .args(["--period", PERIOD, "--seller", "rio-casa", "--as-of", "2026-10-15", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty(), "stdout holds alerts only");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rio-casa:") && err.contains("download it for Desde 2026-10-01, Até 2026-10-15"), "{err}");
}

#[test]
fn an_alert_is_raised_once_per_period_and_again_only_when_it_turns_into_a_breach() {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let out = ws.path().join("out");
    let first = check(ws.path(), &["--as-of", "2026-10-15", "--json"]);
    assert_eq!(first.status.code(), Some(1), "{}", String::from_utf8_lossy(&first.stderr));
    let raised = lines(&first);
    assert_eq!(raised.len(), 1, "{raised:?}");
    let a = &raised[0];
    assert_eq!(
        (&a["seller"], &a["kpi"], &a["kind"], &a["limit"]),
        (&Value::from(SUNNY), &Value::from("refund_rate"), &Value::from("alert"), &Value::from("max"))
    );
    assert_eq!(
        (&a["value"], &a["threshold"], &a["as_of"]),
        (&Value::from("0.0405"), &Value::from("0.04"), &Value::from("2026-10-15"))
    );
    assert_eq!(a["definition_key"], "refund_rate.count");
    let log: Value = serde_json::from_slice(&fs::read(out.join(PERIOD).join("alerts.json")).unwrap()).unwrap();
    assert_eq!(log["raised"], Value::Array(raised.clone()));

    // The same day again, and a later day with the alert still standing: nothing new.
    for as_of in ["2026-10-15", "2026-10-16"] {
        let again = check(ws.path(), &["--as-of", as_of, "--json"]);
        assert_eq!(again.status.code(), Some(0), "{as_of}");
        assert!(lines(&again).is_empty(), "{as_of}");
    }
    let table = check(ws.path(), &["--as-of", "2026-10-15"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("AS OF 2026-10-15: NOT A STATEMENT"), "{text}");
    assert!(text.contains("ALERT  all refund_rate 0.0405 ≥ alert 0.04 (raised before)"), "{text}");

    // The limit lowered under the value: the alert turns into a breach, raised again.
    let contract = ws.path().join("contracts/sunny-gadgets.toml");
    let text = fs::read_to_string(&contract).unwrap();
    let lowered = "max = \"0.04\"\nalert = \"0.03\"\nstep = \"0.005\"";
    fs::write(&contract, text.replace("max = \"0.05\"\nalert = \"0.04\"", lowered)).unwrap();
    let breach = check(ws.path(), &["--as-of", "2026-10-15", "--json"]);
    assert_eq!(breach.status.code(), Some(1));
    let raised = lines(&breach);
    assert_eq!(
        (raised.len(), &raised[0]["kind"], &raised[0]["threshold"]),
        (1, &Value::from("breach"), &Value::from("0.04"))
    );
    assert_eq!(raised[0]["step"], "0.005", "the target's step travels with the record");
    let log: Value = serde_json::from_slice(&fs::read(out.join(PERIOD).join("alerts.json")).unwrap()).unwrap();
    assert_eq!(log["raised"].as_array().unwrap().len(), 2);
}

#[test]
fn a_draft_as_of_a_day_counts_to_it_says_so_and_a_final_run_cannot_be_as_of() {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kpiseal"))
            .args(["run", "--quiet", "--workspace"])
            .arg(ws.path())
            .args(["--period", PERIOD, "--seller", SUNNY])
            .args(args)
            .output()
            .unwrap()
    };
    let final_as_of = run(&["--as-of", "2026-10-15"]);
    assert_eq!(final_as_of.status.code(), Some(2), "--as-of needs --draft");
    assert!(!ws.path().join("out").join(PERIOD).exists(), "nothing written");

    let draft = run(&["--draft", "--as-of", "2026-10-15"]);
    assert_eq!(draft.status.code(), Some(0), "{}", String::from_utf8_lossy(&draft.stderr));
    let folder = ws.path().join("out/drafts").join(PERIOD).join(SUNNY);
    let st: Value = serde_json::from_slice(&fs::read(folder.join("statement.json")).unwrap()).unwrap();
    let expected = serde_json::to_value(statement_as_of(&demo(), Some(day(15))).kpis).unwrap();
    assert_eq!(st["kpis"], expected, "the draft's KPIs are the as-of figures");
    assert!(st["statement_number"].as_str().unwrap().ends_with("-DRAFT"));
    let note = st["notes"].as_array().unwrap().iter().find(|n| n["code"] == "as_of").unwrap();
    assert!(note["text"].as_str().unwrap().starts_with("As of 2026-10-15, not a statement"), "{note}");
}
