//! Markets and KPIs, end to end through the binary on a copy of the demo
//! with one change each: a contract market's missing exports, overall KPIs
//! that combine only the markets with both sides of their ratio, rules that
//! compare exact values, and money written with its minor unit. Then the
//! property: every overall KPI the generator's workspaces lead to equals
//! its recomputation from the markets it says it covers.

mod common;
use common::{copy_dir, demo};

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const PERIOD: &str = "2026-10";
const DEMO_SELLERS: [&str; 3] = ["acme-home", "rio-casa", "sunny-gadgets"];

/// A copy of the demo workspace after `change`.
fn demo_with(change: impl FnOnce(&Path)) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    change(ws.path());
    ws
}

/// Replaces `from` (which must be there) by `to` in the workspace file `rel`.
fn edit(ws: &Path, rel: &str, from: &str, to: &str) {
    let path = ws.join(rel);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} lacks {from:?}");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// `kpiseal <command> --workspace ws --period 2026-10 <extra>`.
fn kpiseal(command: &str, ws: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args([command, "--workspace"])
        .arg(ws)
        .args(["--period", PERIOD])
        .args(extra)
        .output()
        .unwrap()
}

/// `kpiseal run` into `out`, English PDFs, quiet.
fn run(ws: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["--quiet", "--language", "en", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    kpiseal("run", ws, &args)
}

fn statement(out: &Path, seller: &str) -> Value {
    serde_json::from_slice(&fs::read(out.join(PERIOD).join(seller).join("statement.json")).unwrap()).unwrap()
}

/// The text of a seller's statement.pdf as poppler's pdftotext reads it.
fn pdf_text(out: &Path, seller: &str) -> String {
    let pdf = out.join(PERIOD).join(seller).join("statement.pdf");
    let output = Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run pdftotext ({e}): install poppler-utils (.ci/run does)"));
    String::from_utf8(output.stdout).unwrap()
}

/// The demo's statements as issued unchanged, to compare figures with.
fn demo_statements() -> (tempfile::TempDir, Vec<Value>) {
    let out = tempfile::tempdir().unwrap();
    let done = run(&demo(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let statements = DEMO_SELLERS.iter().map(|s| statement(out.path(), s)).collect();
    (out, statements)
}

fn kpi<'a>(st: &'a Value, id: &str, market: &str) -> &'a Value {
    st["kpis"].as_array().unwrap().iter().find(|k| k["id"] == id && k["market"] == market).unwrap()
}

fn rule<'a>(st: &'a Value, kpi: &str) -> &'a Value {
    st["service_fees"]["rules"].as_array().unwrap().iter().find(|r| r["kpi"] == kpi).unwrap()
}

fn dec(v: &Value) -> rust_decimal::Decimal {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a decimal string")).parse().unwrap()
}

#[test]
fn overall_tacos_and_a_rule_on_it_use_only_the_markets_with_both_ad_spend_and_gmv() {
    // The one change: acme-home's contract pays a bonus for an overall TACoS
    // of at most 8 %. Amazon's ad spend over Amazon + Mercado Livre GMV is
    // 7.69 % (the bonus used to apply); over Amazon's own GMV it is 10.67 %.
    let ws = demo_with(|ws| {
        let rule = "\n[[fees.rules]]\nkpi = \"tacos\"\nop = \"<=\"\nthreshold = \"0.08\"\neffect = \"bonus\"\npercent_of_commission = \"0.05\"\n";
        let path = ws.join("contracts/acme-home.toml");
        let text = fs::read_to_string(&path).unwrap().replace("\n[fx]", &format!("{rule}\n[fx]"));
        fs::write(path, text).unwrap();
    });
    let (_, before) = demo_statements();
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");

    let tacos = kpi(&st, "tacos", "all");
    assert_eq!(tacos["value"], "0.1067");
    assert_eq!(tacos["covers"], serde_json::json!(["amazon_us"]));
    assert_eq!(
        tacos["note"],
        serde_json::json!({"code": "without_data_from", "covers": ["amazon_us"], "markets": ["mercadolivre_br"]})
    );
    assert_eq!(tacos["value"], kpi(&st, "tacos", "amazon_us")["value"], "Amazon alone, as on its own");
    let r = rule(&st, "tacos");
    assert_eq!(r["applied"], false);
    assert_eq!(r["value"], "0.1067");
    assert_eq!(r["covers"], serde_json::json!(["amazon_us"]));
    assert_eq!(r["reason"], "tacos (overall of amazon_us) 0.1067 is not <= 0.08");
    // GMV, orders and the dispute rate still cover both markets.
    assert_eq!(kpi(&st, "gmv", "all")["covers"], serde_json::json!(["amazon_us", "mercadolivre_br"]));
    assert_eq!(kpi(&st, "dispute_rate", "all")["note"], Value::Null);
    // Nothing billed moves: the rule does not apply.
    let acme = &before[0];
    assert_eq!(st["totals"], acme["totals"]);
    assert_eq!(st["service_fees"]["lines"], acme["service_fees"]["lines"]);

    let text = pdf_text(out.path(), "acme-home");
    assert!(text.contains("TACoS (Amazon US only) 10.67% (needs ≤ 8.00%)"), "{text}");
    assert!(text.contains("Covers Amazon US only; Mercado Livre BR: no data for it."), "{text}");
}

#[test]
fn a_ratio_just_below_a_rule_threshold_misses_it_and_prints_the_digits_that_show_why() {
    // The one change: acme-home's ROAS bonus needs ≥ 3.318 instead of ≥ 2.5.
    // Overall ROAS is 3.31798…: rounded to four places it reads 3.3180, and
    // compared rounded it used to earn the bonus.
    let ws = demo_with(|ws| edit(ws, "contracts/acme-home.toml", "threshold = \"2.5\"", "threshold = \"3.318\""));
    let (_, before) = demo_statements();
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");

    let roas = kpi(&st, "roas", "all");
    assert_eq!(roas["value"], "3.31798");
    assert_eq!(roas["status"], "met", "the ROAS target (≥ 2.5) is still met");
    let r = rule(&st, "roas");
    assert_eq!(r["applied"], false);
    assert_eq!(r["value"], "3.31798");
    assert_eq!(r["reason"], "roas (overall of amazon_us) 3.31798 is not >= 3.318");
    // The market's own ROAS has no rule at that threshold: four places.
    assert_eq!(kpi(&st, "roas", "amazon_us")["value"], "3.3180");

    // Exactly the bonus line (10 % of commission) is gone.
    let acme = &before[0];
    let bonus = acme["service_fees"]["lines"].as_array().unwrap().iter().find(|l| l["kind"] == "bonus").unwrap();
    assert_eq!(bonus["amount"], "3643.18");
    assert_eq!(dec(&st["service_fees"]["subtotal"]), dec(&acme["service_fees"]["subtotal"]) - dec(&bonus["amount"]));
    assert!(st["service_fees"]["lines"].as_array().unwrap().iter().all(|l| l["kind"] != "bonus"));
    assert_eq!(st["service_fees"]["commission"], acme["service_fees"]["commission"]);

    let text = pdf_text(out.path(), "acme-home");
    assert!(text.contains("ROAS (Amazon US only) 3.31798 (needs ≥ 3.318)"), "{text}");
    assert!(!text.contains("3.3180 (needs"), "{text}");
}

/// Where statement.json holds money: JSON pointers, `*` for every element.
const MONEY_FIELDS: [&str; 24] = [
    "/totals/service_fees",
    "/totals/tax",
    "/totals/pass_through",
    "/totals/amount_due",
    "/commission_base/total",
    "/commission_base/lines/*/gmv",
    "/commission_base/lines/*/converted",
    "/service_fees/commission_base",
    "/service_fees/commission",
    "/service_fees/subtotal",
    "/service_fees/tax",
    "/service_fees/total",
    "/service_fees/lines/*/amount",
    "/service_fees/lines/*/base",
    "/service_fees/rules/*/amount",
    "/pass_through/total",
    "/pass_through/lines/*/amount",
    "/pass_through/lines/*/converted",
    "/markets/*/gmv",
    "/markets/*/refunds",
    "/markets/*/platform_fees",
    "/markets/*/net_proceeds",
    "/reconciliation/*/reported",
    "/reconciliation/*/computed",
];

/// The values at `pointer` (with `*` for every array element).
fn at<'a>(v: &'a Value, pointer: &str) -> Vec<&'a Value> {
    let mut found = vec![v];
    for part in pointer.trim_start_matches('/').split('/') {
        found = found
            .into_iter()
            .flat_map(|v| match part {
                "*" => v.as_array().map(|a| a.iter().collect()).unwrap_or_default(),
                key => v.get(key).into_iter().collect::<Vec<_>>(),
            })
            .collect();
    }
    found
}

#[test]
fn money_is_written_with_its_minor_unit_and_never_as_minus_zero() {
    // The one change: sunny-gadgets' cost ledger has no cost this month
    // (its header only), so the pass-through total is a sum of nothing.
    let ws = demo_with(|ws| {
        let path = ws.join("costs").join(PERIOD).join("sunny-gadgets.csv");
        let header = fs::read_to_string(&path).unwrap().lines().next().unwrap().to_string();
        fs::write(path, header + "\n").unwrap();
    });
    let (_, before) = demo_statements();
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));

    let sunny = statement(out.path(), "sunny-gadgets");
    assert_eq!(sunny["pass_through"]["total"], "0.00");
    assert_eq!(sunny["totals"]["pass_through"], "0.00");
    assert_eq!(sunny["service_fees"]["commission"], before[2]["service_fees"]["commission"]);

    let money = regex_lite_money();
    for seller in DEMO_SELLERS {
        let st = statement(out.path(), seller);
        let mut checked = 0;
        let mut fields: Vec<(String, &Value)> =
            MONEY_FIELDS.iter().flat_map(|p| at(&st, p).into_iter().map(move |v| (p.to_string(), v))).collect();
        // KPI values and targets in a currency (not counts or ratios).
        for k in st["kpis"].as_array().unwrap().iter().filter(|k| !matches!(k["unit"].as_str(), Some("count" | "ratio"))) {
            let name = format!("kpi {} {}", k["market"], k["id"]);
            fields.extend([&k["value"], &k["target"]["value"], &k["target"]["alert"]].map(|v| (name.clone(), v)));
        }
        for (name, v) in fields.into_iter().filter(|(_, v)| !v.is_null()) {
            let text = v.as_str().unwrap_or_else(|| panic!("{seller} {name}: {v} is not a string"));
            assert!(money(text), "{seller} {name}: {text:?} is not written with its minor unit");
            checked += 1;
        }
        assert!(checked > 30, "{seller}: only {checked} money fields found");
        let json = serde_json::to_string(&st).unwrap();
        assert!(!json.contains("\"-0.00\"") && !json.contains("\"-0\""), "{seller}: a negative zero");
        let text = pdf_text(out.path(), seller);
        assert!(!text.contains("-0.00") && !text.contains("-0,00"), "{seller}: the PDF prints a negative zero");
    }
    let text = pdf_text(out.path(), "sunny-gadgets");
    assert!(text.contains("USD 0.00"), "the amount due box prints the pass-through total as 0.00: {text}");
}

/// Whether `text` is an amount with exactly two decimals, not `-0.00`.
fn regex_lite_money() -> impl Fn(&str) -> bool {
    |text: &str| {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let Some((int, frac)) = digits.split_once('.') else { return false };
        !int.is_empty()
            && int.chars().all(|c| c.is_ascii_digit())
            && frac.len() == 2
            && frac.chars().all(|c| c.is_ascii_digit())
            && text != "-0.00"
    }
}
