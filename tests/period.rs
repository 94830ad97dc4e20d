//! Periods, contract terms, FX age and currencies, through the binary: each
//! test runs `kpiseal check` or `run` on a copy of the demo with one change
//! and pins the exact outcome (the refusal naming file, line and column, or
//! the note) and the figures that must not move.

mod common;
use common::{copy_dir, demo};

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const PERIOD: &str = "2026-10";

/// The demo copied into a fresh temporary folder.
fn workspace() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    ws
}

fn kpiseal(command: &str, workspace: &Path, period: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .arg(command)
        .arg("--workspace")
        .arg(workspace)
        .args(["--period", period])
        .args(extra)
        .output()
        .unwrap()
}

/// `kpiseal check --json` of one seller: its report entry.
fn check(workspace: &Path, period: &str, seller: &str) -> Value {
    let o = kpiseal("check", workspace, period, &["--json", "--seller", seller]);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    });
    report["sellers"].as_array().unwrap().iter().find(|s| s["seller"] == seller).unwrap().clone()
}

fn errors(report: &Value) -> Vec<String> {
    report["errors"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect()
}

/// `kpiseal run` of one seller into `out`; its statement.json, or `None`
/// when the seller was refused (the exit code is checked either way).
fn run(workspace: &Path, out: &Path, seller: &str) -> Option<Value> {
    let o = kpiseal("run", workspace, PERIOD, &["--quiet", "--seller", seller, "--out", out.to_str().unwrap()]);
    let path = out.join(PERIOD).join(seller).join("statement.json");
    if path.exists() {
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        Some(serde_json::from_slice(&fs::read(path).unwrap()).unwrap())
    } else {
        assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
        None
    }
}

/// Replaces the first `from` of a workspace file with `to` (which must change it).
fn edit(ws: &Path, rel: &str, from: &str, to: &str) {
    let path = ws.join(rel);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} lacks {from:?}");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Exact cents of a decimal string, for sums that must add up to the cent.
fn cents(v: &Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("{v} is not a decimal string"));
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    let frac = format!("{frac:0<2}");
    sign * (whole.trim_start_matches('-').parse::<i64>().unwrap() * 100 + frac[..2].parse::<i64>().unwrap())
}

/// A KPI's value for one market (`all` for the overall figure).
fn kpi<'a>(statement: &'a Value, id: &str, market: &str) -> &'a Value {
    &statement["kpis"].as_array().unwrap().iter().find(|k| k["id"] == id && k["market"] == market).unwrap()["value"]
}

fn notes(statement: &Value) -> Vec<&Value> {
    statement["notes"].as_array().unwrap().iter().collect()
}

const ACME_CONTRACT: &str = "contracts/acme-home.toml";
const ACME_COSTS: &str = "costs/2026-10/acme-home.csv";
const ACME_ADS: &str = "exports/2026-10/acme-home/Sponsored_Products_Advertised_product_report_2026-10.csv";

#[test]
fn a_period_after_the_contract_end_is_refused_naming_contract_end() {
    let ws = workspace();
    edit(ws.path(), ACME_CONTRACT, "end = \"2026-12-31\"", "end = \"2026-09-30\"");
    let acme = check(ws.path(), PERIOD, "acme-home");
    assert_eq!(acme["outcome"], "refused");
    assert_eq!(
        errors(&acme),
        [
            "contracts/acme-home.toml: contract.end: is 2026-09-30, before period 2026-10 begins: a period outside the contract term is not billed; run a period inside the term, or extend contract.end if the contract was renewed"
        ]
    );
    let out = tempfile::tempdir().unwrap();
    assert_eq!(run(ws.path(), out.path(), "acme-home"), None, "nothing is issued for a period outside the term");
    assert!(run(ws.path(), out.path(), "sunny-gadgets").is_some(), "other sellers are issued as before");
}

#[test]
fn a_period_before_the_contract_start_is_refused_naming_contract_start() {
    let ws = workspace();
    edit(ws.path(), ACME_CONTRACT, "start = \"2026-01-01\"", "start = \"2026-11-01\"");
    assert_eq!(
        errors(&check(ws.path(), PERIOD, "acme-home")),
        [
            "contracts/acme-home.toml: contract.start: is 2026-11-01, after period 2026-10 ends: a period outside the contract term is not billed; run a period inside the term, or correct contract.start"
        ]
    );
}

/// acme-home's October with the contract term set to `start`..`end`, no
/// cost ledger (its October rows would fall outside such a term) and no
/// Mercado Livre Product Ads report (its one row per ad covers the whole
/// month, so it is refused across a term's start or end; allowed missing).
fn acme_with_term(start: &str, end: &str, out: &Path) -> Value {
    let ws = workspace();
    fs::remove_file(ws.path().join(ACME_COSTS)).unwrap();
    let exports = ws.path().join("exports/2026-10/acme-home");
    for f in fs::read_dir(&exports).unwrap() {
        let f = f.unwrap().path();
        if f.file_name().unwrap().to_string_lossy().starts_with("report-pads_report-") {
            fs::remove_file(f).unwrap();
        }
    }
    edit(ws.path(), ACME_CONTRACT, "[contract]\n", "[contract]\nallow_missing = [\"mercadolivre_br\"]\n");
    edit(ws.path(), ACME_CONTRACT, "start = \"2026-01-01\"", &format!("start = \"{start}\""));
    edit(ws.path(), ACME_CONTRACT, "end = \"2026-12-31\"", &format!("end = \"{end}\""));
    run(ws.path(), out, "acme-home").unwrap()
}

#[test]
fn a_period_the_term_covers_in_part_prorates_the_base_fee_and_counts_only_sales_inside_the_term() {
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let from_15th = acme_with_term("2026-10-15", "2027-10-14", a.path());
    let to_14th = acme_with_term("2025-10-15", "2026-10-14", b.path());
    let whole = acme_with_term("2026-01-01", "2026-12-31", c.path());

    let base_fee = |s: &Value| s["service_fees"]["lines"][0].clone();
    assert_eq!(base_fee(&from_15th)["kind"], "base_fee");
    // 8000.00 × 17 / 31 = 4387.096… and 8000.00 × 14 / 31 = 3612.903…
    assert_eq!(base_fee(&from_15th)["amount"], "4387.10");
    assert_eq!(base_fee(&from_15th)["base"], "8000.00");
    assert_eq!(base_fee(&to_14th)["amount"], "3612.90");
    assert_eq!(base_fee(&whole)["amount"], "8000.00");
    assert_eq!(base_fee(&whole)["base"], Value::Null, "a whole month is not prorated");

    // The two halves of the month split its sales and ad spend exactly.
    for (id, market) in [("gmv", "amazon_us"), ("gmv", "mercadolivre_br"), ("ad_spend", "amazon_us")] {
        let (x, y, all) = (kpi(&from_15th, id, market), kpi(&to_14th, id, market), kpi(&whole, id, market));
        assert_eq!(cents(x) + cents(y), cents(all), "{id} {market}: {x} + {y} vs {all}");
        assert!(cents(x) > 0 && cents(y) > 0, "{id} {market}: both halves have sales");
    }

    let notes = notes(&from_15th);
    let term: Vec<&&Value> = notes.iter().filter(|n| n["code"] == "term_partial").collect();
    assert_eq!(term.len(), 1, "{notes:?}");
    assert_eq!(term[0]["class"], "choice");
    assert_eq!(
        term[0]["text"],
        "The contract term covers 2026-10-15 to 2026-10-31, 17 of the period's 31 days: the base fee is prorated by days (8000.00 × 17/31); commission and KPIs count only the sales and ads dated inside the term, not those of 2026-10-01/2026-10-14; the minimum and maximum fee are monthly amounts and are not prorated."
    );
    assert_eq!(term[0]["at"], serde_json::json!(["contracts/acme-home.toml"]));
    assert!(!notes_of(&whole).contains(&"term_partial".to_string()));
}

fn notes_of(statement: &Value) -> Vec<String> {
    notes(statement).iter().map(|n| n["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn an_export_with_no_row_in_the_period_is_refused_naming_the_dates_it_covers() {
    let ws = workspace();
    // Last month's report left in the folder: only its September rows.
    let text = fs::read_to_string(ws.path().join(ACME_ADS)).unwrap();
    let september: Vec<&str> =
        text.lines().enumerate().filter(|(i, l)| *i == 0 || l.starts_with("\"Sep")).map(|(_, l)| l).collect();
    assert!(september.len() > 1);
    let rel = "exports/2026-10/acme-home/Sponsored_Products_Advertised_product_report_2026-09.csv";
    fs::write(ws.path().join(rel), september.join("\n") + "\n").unwrap();
    let acme = check(ws.path(), PERIOD, "acme-home");
    assert_eq!(
        errors(&acme),
        [format!(
            "{rel}: has no row dated in 2026-10: its rows run from 2026-09-28 to 2026-09-30 (a file of another month left in this period's folder?); move it to the folder of the month it covers, or remove it"
        )]
    );
}

#[test]
fn cost_rows_dated_outside_the_period_are_refused_by_default() {
    let ws = workspace();
    edit(ws.path(), ACME_COSTS, "2026-10-01,freight", "2026-09-28,freight");
    edit(ws.path(), ACME_COSTS, "2026-10-24,warehousing", "2026-11-02,warehousing");
    assert_eq!(
        errors(&check(ws.path(), PERIOD, "acme-home")),
        [
            "costs/2026-10/acme-home.csv:2: column \"date\": 2026-09-28 is before period 2026-10 begins: bill the row in the ledger of 2026-09, or set [costs] allow_late_billed = true in the contract to bill invoices that arrive late in the month they are recorded (each is marked on the statement)",
            "costs/2026-10/acme-home.csv:12: column \"date\": 2026-11-02 is after period 2026-10 ends: a cost is billed in the month of its date or later, never earlier; move the row to the ledger of 2026-11",
        ]
    );
    // Allowing late-billed costs lets the September row through, never the November one.
    fs::write(
        ws.path().join(ACME_CONTRACT),
        fs::read_to_string(ws.path().join(ACME_CONTRACT)).unwrap() + "\n[costs]\nallow_late_billed = true\n",
    )
    .unwrap();
    let errs = errors(&check(ws.path(), PERIOD, "acme-home"));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("costs/2026-10/acme-home.csv:12: column \"date\": 2026-11-02 is after"), "{errs:?}");
}

#[test]
fn a_late_cost_is_billed_with_its_own_date_and_marked_when_the_contract_allows_it() {
    let demo_out = tempfile::tempdir().unwrap();
    let before = run(&demo(), demo_out.path(), "acme-home").unwrap();

    let ws = workspace();
    edit(ws.path(), ACME_COSTS, "2026-10-01,freight", "2026-09-28,freight");
    fs::write(
        ws.path().join(ACME_CONTRACT),
        fs::read_to_string(ws.path().join(ACME_CONTRACT)).unwrap() + "\n[costs]\nallow_late_billed = true\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let after = run(ws.path(), out.path(), "acme-home").unwrap();

    let late: Vec<&Value> = notes(&after).into_iter().filter(|n| n["code"] == "late_billed_cost").collect();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["class"], "choice");
    assert_eq!(
        late[0]["text"],
        "Invoice INV-2026-10-4151, dated 2026-09-28, is billed late in this period, as the contract allows ([costs] allow_late_billed); it keeps its own date."
    );
    assert_eq!(late[0]["at"], serde_json::json!(["costs/2026-10/acme-home.csv:2"]));
    let line = &after["pass_through"]["lines"][0];
    assert_eq!((line["invoice_no"].as_str(), line["date"].as_str()), (Some("INV-2026-10-4151"), Some("2026-09-28")));
    // The same rows at the same rates: no figure moves.
    assert_eq!(after["pass_through"]["total"], before["pass_through"]["total"]);
    assert_eq!(after["totals"], before["totals"]);
}

/// The demo's fx/2026-10.csv without its rates dated after `last`.
fn fx_until(ws: &Path, last: &str) {
    let path = ws.join("fx/2026-10.csv");
    let text = fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| l.starts_with("date") || l[..10] <= *last).collect();
    fs::write(&path, kept.join("\n") + "\n").unwrap();
}

#[test]
fn a_period_end_rate_older_than_fx_max_age_days_is_refused_naming_pair_and_date() {
    let ws = workspace();
    fx_until(ws.path(), "2026-10-20");
    let stale = "the latest USD/CNY rate on or before 2026-10-31 in the FX table is dated 2026-10-20 (PBoC central parity), 11 days before the period's last day, more than the 7 days the contract allows (fx.max_age_days): add 2026-10's rates to the FX files";
    assert_eq!(errors(&check(ws.path(), PERIOD, "acme-home")), [stale]);
    assert_eq!(errors(&check(ws.path(), PERIOD, "sunny-gadgets")), [stale], "sunny converts CNY costs into USD");
    // A contract allowing 11 days takes the same rate and is issued.
    edit(ws.path(), ACME_CONTRACT, "rate_date = \"period_end\"", "rate_date = \"period_end\"\nmax_age_days = 11");
    assert_eq!(check(ws.path(), PERIOD, "acme-home")["outcome"], "issued");
}

#[test]
fn fx_max_age_days_decides_whether_fridays_rate_serves_a_saturday_month_end() {
    let out = tempfile::tempdir().unwrap();
    let demo_statement = run(&demo(), out.path(), "acme-home").unwrap();
    for (days, refused) in [(0, true), (1, false)] {
        let ws = workspace();
        edit(
            ws.path(),
            ACME_CONTRACT,
            "rate_date = \"period_end\"",
            &format!("rate_date = \"period_end\"\nmax_age_days = {days}"),
        );
        let acme = check(ws.path(), PERIOD, "acme-home");
        if refused {
            assert_eq!(
                errors(&acme)[0],
                "the latest USD/CNY rate on or before 2026-10-31 in the FX table is dated 2026-10-30 (PBoC central parity), 1 day before the period's last day, more than the 0 days the contract allows (fx.max_age_days): add 2026-10's rates to the FX files"
            );
        } else {
            assert_eq!(acme["outcome"], "issued");
            assert_eq!(
                acme["amount_due"], demo_statement["totals"]["amount_due"],
                "the same rate, the same amount due"
            );
        }
    }
}

#[test]
fn period_average_needs_rates_dated_inside_the_period() {
    let ws = workspace();
    let path = ws.path().join("fx/2026-10-ptax.csv");
    let text = fs::read_to_string(&path).unwrap();
    let september: Vec<&str> = text.lines().filter(|l| l.get(2..8) == Some("092026")).collect();
    fs::write(&path, september.join("\n") + "\n").unwrap();
    assert_eq!(
        errors(&check(ws.path(), PERIOD, "rio-casa")),
        [
            "no CNY/BRL rate dated within 2026-10 (2026-10-01 to 2026-10-31) to average in the FX table (looked for CNY/BRL, BRL/CNY and a cross via USD, which lacks a USD/BRL or BRL/USD rate)",
            "no USD/BRL rate dated within 2026-10 (2026-10-01 to 2026-10-31) to average in the FX table (looked for USD/BRL and BRL/USD)",
        ]
    );
}

#[test]
fn an_ads_row_spanning_the_end_of_the_period_is_refused_asking_for_a_daily_report() {
    let ws = workspace();
    edit(
        ws.path(),
        ACME_ADS,
        "\"Oct 31, 2026\",\"Oct 31, 2026\",USD,SP | Standing Desk",
        "\"Oct 31, 2026\",\"Nov 02, 2026\",USD,SP | Standing Desk",
    );
    assert_eq!(
        errors(&check(ws.path(), PERIOD, "acme-home")),
        [format!(
            "{ACME_ADS}:365: column \"End Date\": the row runs from 2026-10-31 to 2026-11-02, across the last day of 2026-10; kpiseal does not split a row's spend between days by guesswork: download the report with a daily time unit (one row per day)"
        )]
    );
}

#[test]
fn ad_spend_in_another_currency_is_refused_not_relabelled_as_usd() {
    let ws = workspace();
    edit(
        ws.path(),
        ACME_ADS,
        "\"Oct 05, 2026\",\"Oct 05, 2026\",USD,SP | Standing Desk",
        "\"Oct 05, 2026\",\"Oct 05, 2026\",CNY,SP | Standing Desk",
    );
    assert_eq!(
        errors(&check(ws.path(), PERIOD, "acme-home")),
        [format!(
            "{ACME_ADS}:79: column \"Currency\": reads CNY; Amazon US ad spend is billed in USD and kpiseal neither relabels nor converts an ads report: download the report in USD (or the report of the advertising account for that site)"
        )]
    );
}

#[test]
fn a_settlement_in_another_currency_is_refused_not_relabelled_as_usd() {
    let ws = workspace();
    let rel = "exports/2026-10/sunny-gadgets/18156436528.txt";
    edit(ws.path(), rel, "\t4148.57\tUSD\t", "\t4148.57\tCNY\t");
    assert_eq!(
        errors(&check(ws.path(), PERIOD, "sunny-gadgets")),
        [format!(
            "{rel}:2: column \"currency\": expected USD, found CNY: an Amazon US settlement is paid in USD and kpiseal does not relabel or convert a settlement; use the report of the Amazon US marketplace"
        )]
    );
}

#[test]
fn a_vendas_money_column_in_another_currency_is_refused_not_read_as_brl() {
    let ws = workspace();
    let rel = "exports/2026-10/acme-home/Vendas_BR_outubro_2026.csv";
    edit(ws.path(), rel, ";Receita por produtos;", ";Receita por produtos (USD);");
    assert_eq!(
        errors(&check(ws.path(), PERIOD, "acme-home")),
        [format!(
            "{rel}:2: column \"Receita por produtos (USD)\": the column is in USD; a Mercado Livre Brasil export is in BRL and kpiseal neither relabels nor converts it: export the sales of the Brazilian account (mercadolivre.com.br)"
        )]
    );
}

#[test]
fn octobers_folders_copied_under_december_are_refused_naming_every_file_and_date() {
    let ws = workspace();
    let root = ws.path();
    for seller in ["acme-home", "rio-casa", "sunny-gadgets"] {
        copy_dir(&root.join("exports/2026-10").join(seller), &root.join("exports/2026-12").join(seller));
    }
    copy_dir(&root.join("costs/2026-10"), &root.join("costs/2026-12"));
    fs::copy(root.join("fx/2026-10.csv"), root.join("fx/2026-12.csv")).unwrap();
    fs::copy(root.join("fx/2026-10-ptax.csv"), root.join("fx/2026-12-ptax.csv")).unwrap();

    let acme = check(root, "2026-12", "acme-home");
    assert_eq!(acme["outcome"], "refused");
    let errs = errors(&acme);
    assert!(errs.contains(&"exports/2026-12/acme-home/17723285873.txt: has no row dated in 2026-12: its rows run from 2026-09-24 to 2026-10-07 (a file of another month left in this period's folder?); move it to the folder of the month it covers, or remove it".to_string()), "{errs:#?}");
    let exports = fs::read_dir(root.join("exports/2026-12/acme-home")).unwrap().count();
    assert_eq!(
        errs.iter().filter(|e| e.contains(": has no row dated in 2026-12: its rows run from ")).count(),
        exports
    );
    let cost_rows = fs::read_to_string(root.join("costs/2026-12/acme-home.csv")).unwrap().lines().count() - 1;
    assert_eq!(errs.iter().filter(|e| e.contains("is before period 2026-12 begins")).count(), cost_rows);
    assert!(errs.contains(&"the latest USD/CNY rate on or before 2026-12-31 in the FX table is dated 2026-10-30 (PBoC central parity), 62 days before the period's last day, more than the 7 days the contract allows (fx.max_age_days): add 2026-12's rates to the FX files".to_string()), "{errs:#?}");
    assert_eq!(errs.len(), exports + cost_rows + 2, "one refusal per file and row, and USD/CNY and USD/BRL: {errs:#?}");
    for seller in ["rio-casa", "sunny-gadgets"] {
        assert_eq!(check(root, "2026-12", seller)["outcome"], "refused", "{seller}");
    }

    let out = tempfile::tempdir().unwrap();
    let o = kpiseal("run", root, "2026-12", &["--quiet", "--out", out.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    for seller in ["acme-home", "rio-casa", "sunny-gadgets"] {
        assert!(!out.path().join("2026-12").join(seller).exists(), "{seller}: nothing is issued for December");
    }
}
