//! Markets and KPIs, end to end through the binary on a copy of the demo
//! with one change each: a contract market's missing exports, overall KPIs
//! that combine only the markets with both sides of their ratio, rules that
//! compare exact values, and money written with its minor unit. Then the
//! property: every overall KPI the generator's workspaces lead to equals
//! its recomputation from the markets it says it covers.

mod common;
use common::{copy_dir, demo};

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const PERIOD: &str = "2026-10";
const DEMO_SELLERS: [&str; 4] = ["acme-home", "loja-mix", "rio-casa", "sunny-gadgets"];

/// A copy of the demo workspace after `change`.
fn demo_with(change: impl FnOnce(&Path)) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    change(ws.path());
    ws
}

/// Takes acme-home's Mercado Livre Product Ads report away, its absence
/// allowed by the contract, so that only Amazon has ads data: the scenario
/// the overall-ads tests below are about.
fn without_mercadolivre_ads(ws: &Path) {
    let dir = ws.join("exports").join(PERIOD).join("acme-home");
    for f in fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        if f.file_name().unwrap().to_string_lossy().starts_with("report-pads_report-") {
            fs::remove_file(f).unwrap();
        }
    }
    edit(ws, "contracts/acme-home.toml", "[contract]\n", "[contract]\nallow_missing = [\"mercadolivre_br\"]\n");
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

/// The text of a seller's statement.pdf as poppler's pdftotext reads it,
/// every run of white space (line ends of wrapped paragraphs included)
/// made one space.
fn pdf_text(out: &Path, seller: &str) -> String {
    let pdf = out.join(PERIOD).join(seller).join("statement.pdf");
    let output = Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run pdftotext ({e}): install poppler-utils (.ci/run does)"));
    String::from_utf8(output.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
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

fn summary(out: &Path) -> Value {
    serde_json::from_slice(&fs::read(out.join(PERIOD).join("batch-summary.json")).unwrap()).unwrap()
}

fn outcome<'a>(summary: &'a Value, seller: &str) -> &'a Value {
    summary["sellers"].as_array().unwrap().iter().find(|s| s["seller"] == seller).unwrap()
}

fn note<'a>(st: &'a Value, code: &str) -> &'a Value {
    st["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {}", st["notes"]))
}

/// The two demo sellers a change to acme-home's inputs must leave alone.
fn others_unchanged(out: &Path, before: &[Value]) {
    for (i, seller) in DEMO_SELLERS.iter().enumerate().skip(1) {
        assert_eq!(&statement(out, seller), &before[i], "{seller} is untouched");
    }
}

const NO_VENDAS: &str = "exports/2026-10/acme-home: no Mercado Livre Vendas export for mercadolivre_br, a market of \
    contract LX-2026-017 (contracts/acme-home.toml contract.markets): add the period's export to this folder, or, if \
    the seller had no sales there this period, run with --allow-missing mercadolivre_br (or list mercadolivre_br in \
    contract.allow_missing) to issue the statement saying there is no data for it";

#[test]
fn a_contract_market_without_its_sales_export_is_refused_unless_allowed_then_says_no_data() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    // The one change: acme-home's Mercado Livre Vendas export is missing. It
    // used to be issued with commission on Amazon only, no warning, and the
    // market "reconciled".
    let ws = demo_with(|ws| fs::remove_file(ws.join("exports/2026-10/acme-home/Vendas_BR_outubro_2026.csv")).unwrap());
    let (_, before) = demo_statements();

    let out = tempfile::tempdir().unwrap();
    let refused = run(ws.path(), out.path(), &[]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains(NO_VENDAS), "{stderr}");
    assert_eq!(outcome(&summary(out.path()), "acme-home")["error"], NO_VENDAS);
    assert!(!out.path().join(PERIOD).join("acme-home").exists(), "nothing written for acme-home");
    others_unchanged(out.path(), &before);

    let check = kpiseal("check", ws.path(), &["--seller", "acme-home"]);
    assert_eq!(check.status.code(), Some(1));
    let table = String::from_utf8_lossy(&check.stdout);
    assert!(table.contains("REFUSED  acme-home") && table.contains(NO_VENDAS), "{table}");

    // Allowed on the command line: issued, saying so.
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &["--allow-missing", "mercadolivre_br"]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    let text = "No data for Mercado Livre BR: no sales export for the period, allowed by --allow-missing \
                mercadolivre_br. Its KPIs read \"no data\", it adds nothing to the commission base, and overall KPIs \
                cover the other markets only.";
    let n = note(&st, "market_sales_missing");
    assert_eq!(n["class"], "choice");
    assert_eq!(n["market"], "mercadolivre_br");
    assert_eq!(n["allowed_by"], "--allow-missing mercadolivre_br");
    assert_eq!(n["at"], serde_json::json!(["exports/2026-10/acme-home"]));
    assert_eq!(n["text"], text);
    assert!(
        outcome(&summary(out.path()), "acme-home")["choices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with(text))
    );
    assert!(pdf_text(out.path(), "acme-home").contains(text));
    // Mercado Livre: not reconciled, no data; Amazon's figures do not move.
    let ml = st["markets"].as_array().unwrap().iter().find(|m| m["market"] == "mercadolivre_br").unwrap();
    assert_eq!((&ml["reconciled"], &ml["gmv"]), (&serde_json::json!("not_reconciled"), &Value::Null));
    let acme = &before[0];
    assert_eq!(st["commission_base"]["lines"], serde_json::json!([acme["commission_base"]["lines"][0]]));
    assert_eq!(st["commission_base"]["total"], acme["commission_base"]["lines"][0]["converted"]);
    assert_eq!(kpi(&st, "gmv", "all")["covers"], serde_json::json!(["amazon_us"]));
    assert_eq!(kpi(&st, "gmv", "all")["value"], acme["commission_base"]["lines"][0]["converted"]);
    assert_eq!(kpi(&st, "gmv", "amazon_us"), kpi(acme, "gmv", "amazon_us"));
    assert_eq!(kpi(&st, "gmv", "mercadolivre_br")["status"], "no_data");
    let check = kpiseal("check", ws.path(), &["--seller", "acme-home", "--allow-missing", "mercadolivre_br"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "a choice does not fail the check: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("choice No data for Mercado Livre BR"));
}

#[test]
fn contract_allow_missing_is_the_same_choice_named_by_its_key() {
    // The one change, with the export missing as above: acme-home's
    // contract lists mercadolivre_br in contract.allow_missing.
    let ws = demo_with(|ws| {
        fs::remove_file(ws.join("exports/2026-10/acme-home/Vendas_BR_outubro_2026.csv")).unwrap();
        edit(ws, "contracts/acme-home.toml", "markets = [", "allow_missing = [\"mercadolivre_br\"]\nmarkets = [");
    });
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    assert_eq!(note(&st, "market_sales_missing")["allowed_by"], "contracts/acme-home.toml contract.allow_missing");
    // With the export there, the key changes nothing and says nothing.
    let ws = demo_with(|ws| {
        edit(ws, "contracts/acme-home.toml", "markets = [", "allow_missing = [\"mercadolivre_br\"]\nmarkets = [")
    });
    let (_, before) = demo_statements();
    let out = tempfile::tempdir().unwrap();
    assert_eq!(run(ws.path(), out.path(), &[]).status.code(), Some(0));
    let st = statement(out.path(), "acme-home");
    assert_eq!(st["notes"], before[0]["notes"]);
    assert_eq!(st["totals"], before[0]["totals"]);
}

#[test]
fn amazons_ads_report_is_required_while_a_rule_reads_roas_and_its_absence_allowed_is_said() {
    // The one change: acme-home's Sponsored Products report is missing while
    // its contract pays a bonus on ROAS. It used to be issued without the
    // bonus and without a word.
    let report = "exports/2026-10/acme-home/Sponsored_Products_Advertised_product_report_2026-10.csv";
    let ws = demo_with(|ws| {
        fs::remove_file(ws.join(report)).unwrap();
        without_mercadolivre_ads(ws);
    });
    let (_, before) = demo_statements();
    let out = tempfile::tempdir().unwrap();
    let refused = run(ws.path(), out.path(), &[]);
    assert_eq!(refused.status.code(), Some(1));
    let error = "exports/2026-10/acme-home: no Sponsored Products report for amazon_us, which \
                 contracts/acme-home.toml fees.rules[0] (roas) reads: add the period's export to this folder, or, if \
                 the seller ran no ads there this period, run with --allow-missing amazon_us (or list amazon_us in \
                 contract.allow_missing) to issue the statement saying there is no data for it";
    assert_eq!(outcome(&summary(out.path()), "acme-home")["error"], error);
    others_unchanged(out.path(), &before);

    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &["--allow-missing", "amazon_us"]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    let n = note(&st, "market_ads_missing");
    assert_eq!(n["class"], "choice");
    assert_eq!(
        n["text"],
        "No data for Amazon US ads: no Sponsored Products report for the period, allowed by --allow-missing \
         amazon_us. Its ads KPIs read \"no data\", so fees.rules[0] (roas) has no value to compare."
    );
    let codes: Vec<&str> = st["notes"].as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["market_ads_missing", "market_report_missing"], "the sales exports are all there");
    let roas = rule(&st, "roas");
    assert_eq!((&roas["applied"], &roas["value"]), (&Value::Bool(false), &Value::Null));
    assert_eq!(roas["reason"], "no data: No ads report for any market.");
    let acme = &before[0];
    assert_eq!(st["service_fees"]["commission"], acme["service_fees"]["commission"]);
    assert_eq!(
        dec(&st["service_fees"]["subtotal"]),
        dec(&acme["service_fees"]["subtotal"]) - dec(&rule(acme, "roas")["amount"])
    );
}

#[test]
fn overall_tacos_and_a_rule_on_it_use_only_the_markets_with_both_ad_spend_and_gmv() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    // The one change: acme-home's contract pays a bonus for an overall TACoS
    // of at most 8 %. Amazon's ad spend over Amazon + Mercado Livre GMV is
    // 7.69 % (the bonus used to apply); over Amazon's own GMV it is 10.67 %.
    let ws = demo_with(|ws| {
        without_mercadolivre_ads(ws);
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
    // Nothing billed moves: the rule does not apply (the ROAS bonus line
    // names Amazon alone now, for the same amount).
    let acme = &before[0];
    assert_eq!(st["totals"], acme["totals"]);
    let amounts = |s: &Value| -> Vec<(Value, Value)> {
        s["service_fees"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["kind"].clone(), l["amount"].clone()))
            .collect()
    };
    assert_eq!(amounts(&st), amounts(acme));

    let text = pdf_text(out.path(), "acme-home");
    assert!(text.contains("TACoS (Amazon US only) 10.67% (needs ≤ 8.00%)"), "{text}");
    assert!(text.contains("Covers Amazon US only; Mercado Livre BR: no data for it."), "{text}");
}

#[test]
fn a_ratio_just_below_a_rule_threshold_misses_it_and_prints_the_digits_that_show_why() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    // The one change: acme-home's ROAS bonus needs ≥ 3.318 instead of ≥ 2.5.
    // Overall ROAS is 3.31798…: rounded to four places it reads 3.3180, and
    // compared rounded it used to earn the bonus.
    let ws = demo_with(|ws| {
        without_mercadolivre_ads(ws);
        edit(ws, "contracts/acme-home.toml", "threshold = \"2.5\"", "threshold = \"3.318\"");
    });
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
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
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
    assert_eq!(sunny["service_fees"]["commission"], before[3]["service_fees"]["commission"]);

    let money = regex_lite_money();
    for seller in DEMO_SELLERS {
        let st = statement(out.path(), seller);
        let mut checked = 0;
        let mut fields: Vec<(String, &Value)> =
            MONEY_FIELDS.iter().flat_map(|p| at(&st, p).into_iter().map(move |v| (p.to_string(), v))).collect();
        // KPI values and targets in a currency (not counts, ratios or days).
        for k in st["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| !matches!(k["unit"].as_str(), Some("count" | "ratio" | "days")))
        {
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

// ---- The property ------------------------------------------------------------------------------------------

use kpiseal::contract::{Contract, ConversionBasis, GmvBasis, RefundBasis};
use kpiseal::kpi::{Bound, Scope};
use kpiseal::kpi_id::KpiId;
use kpiseal::ledger::{MarketFigures, SalesFigures};
use kpiseal::market::Market;
use kpiseal::pipeline::{RunOptions, compute_kpis, read_seller_inputs};
use kpiseal::workspace::Workspace;
use kpiseal_generate::{GenerateOptions, generate_workspace};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Whether `market`'s figures hold both sides of `id`, by its written
/// definition (numerator and denominator, or the amount itself).
fn has_both_sides(id: KpiId, f: &MarketFigures) -> bool {
    let sales = f.sales.is_some();
    let ads = f.ads.is_some();
    match id {
        KpiId::AdSpend | KpiId::Acos | KpiId::Roas => ads,
        KpiId::Tacos => ads && sales,
        KpiId::CancelRate => f.orders.is_some(),
        KpiId::ReturnRate => sales && f.returns.is_some(),
        KpiId::NegativeFeedbackRate => f.feedback.is_some(),
        KpiId::ConversionRate => f.traffic.is_some(),
        KpiId::InventoryTurnoverDays => f.inventory.is_some(),
        KpiId::LateShipmentRate => false,
        _ => sales,
    }
}

/// The GMV of one market's sales by the contract's definition, in its currency.
fn gmv(c: &Contract, s: &SalesFigures) -> Decimal {
    let shipping = |d: Decimal| if c.kpi.include_shipping { d } else { Decimal::ZERO };
    let gross = s.gross_principal + shipping(s.gross_shipping);
    match c.kpi.gmv_basis {
        GmvBasis::Gross => gross,
        GmvBasis::NetOfRefunds => gross - s.refunded_principal - shipping(s.refunded_shipping),
    }
}

fn quotient(n: Decimal, d: Decimal) -> Option<Decimal> {
    (!d.is_zero()).then(|| n / d)
}

/// Recomputes every overall KPI of `seller` from the figures of the markets
/// it says it covers, and checks the statement's overall KPIs against it.
fn check_overall_kpis(ws: &Workspace, seller: &str, opts: &RunOptions) -> Result<(), TestCaseError> {
    let inputs = read_seller_inputs(ws, seller, opts).map_err(|e| TestCaseError::fail(format!("{seller}: {e}")))?;
    let stage = compute_kpis(&inputs).map_err(|e| TestCaseError::fail(format!("{seller}: {e}")))?;
    let c = &inputs.contract;
    let fee = c.fees.currency;
    let conv = |m: Market, d: Decimal| {
        let q = inputs.fx.quote(c.currency(m), fee, c.fx.rate_date, opts.period).unwrap();
        q.checked_convert(d, c.fees.rounding).unwrap()
    };
    let none = MarketFigures::default();
    let figures = |m: Market| stage.figures.get(&m).unwrap_or(&none);
    for k in stage.kpis.iter().filter(|k| k.market == Scope::All) {
        let covers: Vec<Market> =
            c.contract.markets.iter().copied().filter(|&m| has_both_sides(k.id, figures(m))).collect();
        prop_assert_eq!(&k.covers, &covers, "{} {}: covers", seller, k.id);
        let sales: Vec<(Market, &SalesFigures)> =
            covers.iter().filter_map(|&m| figures(m).sales.as_ref().map(|s| (m, s))).collect();
        let ads: Vec<(Market, Decimal, Decimal)> =
            covers.iter().filter_map(|&m| figures(m).ads.as_ref().map(|a| (m, a.spend, a.sales))).collect();
        let sum = |f: &dyn Fn(Market, &SalesFigures) -> Decimal| sales.iter().map(|&(m, s)| f(m, s)).sum::<Decimal>();
        let count = |f: &dyn Fn(&SalesFigures) -> i64| Decimal::from(sales.iter().map(|(_, s)| f(s)).sum::<i64>());
        let shipping = |d: Decimal| if c.kpi.include_shipping { d } else { Decimal::ZERO };
        let gmv_total = sum(&|m, s| conv(m, gmv(c, s)));
        let spend = ads.iter().map(|&(m, sp, _)| conv(m, sp)).sum::<Decimal>();
        let ad_sales = ads.iter().map(|&(m, _, sa)| conv(m, sa)).sum::<Decimal>();
        let gmv_target = c.kpi.targets.iter().find(|t| t.kpi == KpiId::Gmv && t.market.is_none()).or_else(|| {
            match c.contract.markets.as_slice() {
                [only] if c.currency(*only) == fee => {
                    c.kpi.targets.iter().find(|t| t.kpi == KpiId::Gmv && t.market == Some(*only))
                }
                _ => None,
            }
        });
        let expected: Option<Decimal> = if covers.is_empty() {
            None
        } else {
            match k.id {
                KpiId::Gmv => Some(gmv_total),
                KpiId::GmvAttainment => gmv_target.and_then(|t| t.min).and_then(|min| quotient(gmv_total, min)),
                KpiId::Orders => Some(count(&|s| s.orders)),
                KpiId::Units => Some(count(&|s| s.units)),
                KpiId::RefundRate => match c.kpi.refund_basis {
                    RefundBasis::Value => quotient(
                        sum(&|m, s| conv(m, s.refunded_principal) + shipping(conv(m, s.refunded_shipping))),
                        sum(&|m, s| conv(m, s.gross_principal) + shipping(conv(m, s.gross_shipping))),
                    ),
                    RefundBasis::Count => quotient(count(&|s| s.refunded_orders), count(&|s| s.orders)),
                },
                KpiId::CancelRate => {
                    let orders = covers.iter().filter_map(|&m| figures(m).orders.as_ref());
                    let (cancelled, placed) = orders.fold((0, 0), |(c, p), o| (c + o.seller_cancelled, p + o.placed));
                    quotient(Decimal::from(cancelled), Decimal::from(placed))
                }
                KpiId::DisputeRate => quotient(count(&|s| s.disputed_orders), count(&|s| s.orders)),
                KpiId::AdSpend => Some(spend),
                KpiId::Acos => quotient(spend, ad_sales),
                KpiId::Roas => quotient(ad_sales, spend),
                KpiId::Tacos => quotient(spend, gmv_total),
                KpiId::PlatformFees => Some(sum(&|m, s| conv(m, s.platform_fees))),
                KpiId::NetProceeds => Some(sum(&|m, s| conv(m, s.net_proceeds))),
                KpiId::ReturnRate => quotient(
                    Decimal::from(
                        covers.iter().filter_map(|&m| figures(m).returns.as_ref()).map(|r| r.units).sum::<i64>(),
                    ),
                    count(&|s| s.units),
                ),
                KpiId::NegativeFeedbackRate => {
                    let feedback = covers.iter().filter_map(|&m| figures(m).feedback.as_ref());
                    let (negative, received) = feedback.fold((0, 0), |(n, r), f| (n + f.negative, r + f.received));
                    quotient(Decimal::from(negative), Decimal::from(received))
                }
                KpiId::ConversionRate => {
                    let traffic = covers.iter().filter_map(|&m| figures(m).traffic.as_ref());
                    let (ordered, sessions) = traffic.fold((0, 0), |(o, s), t| {
                        let ordered = match c.kpi.conversion_basis {
                            ConversionBasis::Units => t.units_ordered,
                            ConversionBasis::OrderItems => t.order_items,
                        };
                        (o + ordered, s + t.sessions)
                    });
                    quotient(Decimal::from(ordered), Decimal::from(sessions))
                }
                KpiId::InventoryTurnoverDays => {
                    let stock = covers.iter().filter_map(|&m| figures(m).inventory.as_ref());
                    let (on_hand, shipped) = stock.fold((0, 0), |(o, s), i| (o + i.on_hand_unit_days, s + i.shipped));
                    quotient(Decimal::from(on_hand), Decimal::from(shipped))
                }
                KpiId::LateShipmentRate => None,
            }
        };
        let what = format!("{seller} overall {} covering {covers:?}", k.id);
        match (k.value, expected) {
            (None, None) => {}
            (Some(v), Some(e)) if matches!(k.unit, kpiseal::kpi::Unit::Ratio | kpiseal::kpi::Unit::Days) => {
                // Printed to at least four places, and on the same side of
                // every threshold it is compared with as the exact value.
                prop_assert!((v - e).abs() <= Decimal::new(5, 5), "{}: {} vs {}", what, v, e);
                let mut thresholds: Vec<Decimal> =
                    c.fees.rules.iter().filter(|r| r.kpi == k.id && r.market.is_none()).map(|r| r.threshold).collect();
                if let Some(Bound::Min { value, alert } | Bound::Max { value, alert }) = k.target {
                    thresholds.push(value);
                    thresholds.extend(alert);
                    prop_assert_eq!(k.status, k.target.unwrap().status(e), "{}", what);
                }
                for t in thresholds {
                    prop_assert_eq!(v.cmp(&t), e.cmp(&t), "{}: printed {} exact {} threshold {}", what, v, e, t);
                }
            }
            (Some(v), Some(e)) => prop_assert_eq!(v, e, "{}", what),
            (v, e) => prop_assert!(false, "{}: statement {:?}, recomputed {:?}", what, v, e),
        }
        let left_out: Vec<Market> = c.contract.markets.iter().copied().filter(|m| !covers.contains(m)).collect();
        if k.value.is_some() && !left_out.is_empty() {
            prop_assert_eq!(
                k.note.clone(),
                Some(kpiseal::kpi::Note::WithoutDataFrom { covers: covers.clone(), markets: left_out }),
                "{}",
                what
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// For every statement the generator can make, with any of its export
    /// files left out (and every market allowed to be missing, so that each
    /// is still issued), each overall KPI covers exactly the markets with
    /// both sides of it and equals the recomputation from those markets.
    #[test]
    fn prop_every_overall_kpi_is_its_recomputation_from_the_markets_it_says_it_covers(
        seed in any::<u64>(), orders in 2usize..40, sellers in 3usize..=6, left_out in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let period = PERIOD.parse().unwrap();
        generate_workspace(dir.path(), &GenerateOptions { seed, sellers, orders, period }).unwrap();
        let mut exports: Vec<std::path::PathBuf> = Vec::new();
        for seller in fs::read_dir(dir.path().join("exports").join(PERIOD)).unwrap() {
            exports.extend(fs::read_dir(seller.unwrap().path()).unwrap().map(|f| f.unwrap().path()));
        }
        exports.sort();
        for (i, file) in exports.iter().enumerate() {
            // About one file in four, by the bits of `left_out`.
            // A market's folder (a loja-mix seller's) goes as a whole.
            if (left_out >> (2 * (i % 32))) & 3 == 0 {
                if file.is_dir() { fs::remove_dir_all(file).unwrap() } else { fs::remove_file(file).unwrap() }
            }
        }
        let ws = Workspace::open(dir.path()).unwrap();
        let mut opts = RunOptions::new(period);
        opts.allow_missing = Market::fixed().collect();
        for seller in ws.sellers().unwrap() {
            // A loja-mix seller's Shopify store is named for it.
            let mut opts = opts.clone();
            opts.allow_missing.insert(Market::shopify(&seller).unwrap());
            check_overall_kpis(&ws, &seller, &opts)?;
        }
    }
}

/// An FBA customer returns report in its real layout
/// (fixtures/layouts/amazon/fba_customer_returns.md), downloaded twice over
/// overlapping dates as sellers do.
const RETURNS_HEADER: &str = "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n";

fn returns_row(at: &str, order: &str, quantity: u32, status: &str, plate: &str) -> String {
    format!(
        "{at}\t{order}\tAH-PILLOW-2\tB0C9ZX1Q2W\tX004ABC123\tMemory Foam Pillow, 2-pack\t{quantity}\tLGB8\tSELLABLE\tUNWANTED_ITEM\t{status}\t{plate}\t\n"
    )
}

#[test]
fn an_fba_returns_report_gives_amazons_return_rate_and_an_overlapping_download_counts_each_return_once() {
    let ws = demo_with(|ws| {
        let dir = ws.join("exports").join(PERIOD).join("acme-home");
        fs::remove_file(dir.join("FBA_Customer_Returns_20260928_20261102.txt")).unwrap();
        let first = [
            // 30 September in Los Angeles: outside the period.
            returns_row("2026-10-01T04:10:00+00:00", "111-4942196-6193324", 1, "Unit returned to inventory", "LPN0001"),
            returns_row("2026-10-06T17:02:11+00:00", "111-4942196-6193324", 2, "Unit returned to inventory", "LPN0002"),
            returns_row("2026-10-18T09:30:00+00:00", "112-0000000-0000003", 1, "Unit returned to inventory", "LPN0003"),
        ];
        let second = [
            // The same return as LPN0003, its status since updated by Amazon.
            returns_row("2026-10-18T09:30:00+00:00", "112-0000000-0000003", 1, "Reimbursed", "LPN0003"),
            // 31 October in Los Angeles: inside the period.
            returns_row("2026-11-01T05:59:59+00:00", "113-0000000-0000004", 1, "Unit returned to inventory", "LPN0004"),
            returns_row("2026-11-02T12:00:00+00:00", "113-0000000-0000005", 1, "Unit returned to inventory", "LPN0005"),
        ];
        fs::write(dir.join("FBA_Customer_Returns_20260920-20261020.txt"), RETURNS_HEADER.to_string() + &first.concat())
            .unwrap();
        fs::write(
            dir.join("FBA_Customer_Returns_20261015-20261102.txt"),
            RETURNS_HEADER.to_string() + &second.concat(),
        )
        .unwrap();
    });
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    let kpi = |id: &str, market: &str| -> Value {
        st["kpis"].as_array().unwrap().iter().find(|k| k["id"] == id && k["market"] == market).unwrap().clone()
    };
    assert_eq!(kpi("units", "amazon_us")["value"], "385");
    // 2 + 1 + 1 returned units (LPN0002, LPN0003 once, LPN0004) of 385 shipped: 0.010390 → 0.0104.
    let amazon = kpi("return_rate", "amazon_us");
    assert_eq!((&amazon["value"], &amazon["note"]), (&Value::from("0.0104"), &Value::Null), "{amazon}");
    assert_eq!(amazon["definition_key"], "return_rate");
    // Mercado Livre's from its Vendas export's Devoluções block: 10 of 360
    // units; overall (4 + 10) / (385 + 360) = 0.018792 → 0.0188.
    assert_eq!(kpi("return_rate", "mercadolivre_br")["value"], "0.0278");
    let overall = kpi("return_rate", "all");
    assert_eq!((&overall["value"], &overall["note"]), (&Value::from("0.0188"), &Value::Null), "{overall}");
    assert_eq!(overall["covers"], serde_json::json!(["amazon_us", "mercadolivre_br"]));

    let inputs: Vec<(&str, u64)> = st["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["format"] == "amazon_fba_returns")
        .map(|i| (i["path"].as_str().unwrap(), i["rows"].as_u64().unwrap()))
        .collect();
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    let notes = serde_json::to_string(&st["notes"]).unwrap();
    assert!(notes.contains("duplicate_dropped") && notes.contains("LPN0003"), "{notes}");
}

#[test]
fn a_returns_report_with_no_return_in_the_period_counts_none_with_a_note_instead_of_being_refused() {
    let ws = demo_with(|ws| {
        let dir = ws.join("exports").join(PERIOD).join("sunny-gadgets");
        fs::remove_file(dir.join("FBA_Customer_Returns_20260928_20261102.txt")).unwrap();
        fs::write(dir.join("FBA_Customer_Returns_none.txt"), RETURNS_HEADER).unwrap();
    });
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "sunny-gadgets");
    let rate =
        st["kpis"].as_array().unwrap().iter().find(|k| k["id"] == "return_rate" && k["market"] == "amazon_us").unwrap();
    assert_eq!(rate["value"], "0.0000");
    let notes: Vec<&Value> =
        st["notes"].as_array().unwrap().iter().filter(|n| n["code"] == "no_returns_in_period").collect();
    assert_eq!(notes.len(), 1, "{}", st["notes"]);
    assert_eq!(
        notes[0]["text"],
        "exports/2026-10/sunny-gadgets/FBA_Customer_Returns_none.txt has 0 rows, none with a return date in the period (—): no units were returned in the period, and the return rate counts none."
    );
}

#[test]
fn a_seller_feedback_report_gives_the_negative_feedback_rate_of_the_feedback_dated_in_the_period() {
    let ws = demo_with(|ws| {
        let dir = ws.join("exports").join(PERIOD).join("acme-home");
        fs::remove_file(dir.join("Feedback_20260928_20261102.txt")).unwrap();
        let rows = [
            "11/1/26\t1\tLate\t\t113-0000000-0000001\ta@marketplace.amazon.com",
            "10/31/26\t2\tNot as described\t\t113-0000000-0000002\tb@marketplace.amazon.com",
            "10/15/26\t3\tok\t\t113-0000000-0000003\tc@marketplace.amazon.com",
            "10/2/26\t5\tGreat\t\t113-0000000-0000004\td@marketplace.amazon.com",
            "10/1/26\t1\tBroken\t\t113-0000000-0000005\te@marketplace.amazon.com",
            "9/30/26\t1\tNever came\t\t113-0000000-0000006\tf@marketplace.amazon.com",
        ];
        let text = format!("Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\n{}\n", rows.join("\n"));
        fs::write(dir.join("Feedback_Manager_2026-10.txt"), text).unwrap();
        edit(
            ws,
            "contracts/acme-home.toml",
            "[[kpi.targets]]\nkpi = \"roas\"",
            "[[kpi.targets]]\nkpi = \"negative_feedback_rate\"\nmarket = \"amazon_us\"\nmax = \"0.02\"\nalert = \"0.01\"\n\n[[kpi.targets]]\nkpi = \"roas\"",
        );
    });
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    let kpi = |market: &str| -> Value {
        st["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == "negative_feedback_rate" && k["market"] == market)
            .unwrap()
            .clone()
    };
    // October: ratings 2, 3, 5, 1 (31, 15, 2 and 1 October): 2 negative of 4.
    assert_eq!(kpi("amazon_us")["value"], "0.5000");
    assert_eq!(kpi("amazon_us")["status"], "missed", "a contract target on the new KPI: max 0.02");
    assert_eq!(kpi("all")["covers"], serde_json::json!(["amazon_us"]));
    assert_eq!(kpi("mercadolivre_br")["note"]["code"], "no_feedback_report");
    let feedback = st["inputs"].as_array().unwrap().iter().find(|i| i["format"] == "amazon_feedback").unwrap();
    assert_eq!(feedback["rows"], 4);
}

#[test]
fn two_feedback_downloads_that_disagree_on_a_rating_are_refused_naming_both_rows() {
    let ws = demo_with(|ws| {
        let dir = ws.join("exports").join(PERIOD).join("acme-home");
        let header = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\n";
        fs::write(
            dir.join("Feedback_a.txt"),
            format!("{header}10/12/26\t2\tMeh\t\t113-0000000-0000009\tz@marketplace.amazon.com\n"),
        )
        .unwrap();
        fs::write(
            dir.join("Feedback_b.txt"),
            format!("{header}10/12/26\t4\tBetter now\t\t113-0000000-0000009\tz@marketplace.amazon.com\n"),
        )
        .unwrap();
    });
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(1));
    let err = String::from_utf8_lossy(&done.stdout).to_string() + &String::from_utf8_lossy(&done.stderr);
    assert!(err.contains("Feedback_b.txt:2") && err.contains("Feedback_a.txt (line 2)"), "{err}");
    assert!(err.contains("there 2 stars on 2026-10-12, here 4 stars on 2026-10-12"), "{err}");
}

#[test]
fn merchant_fulfilled_returns_count_when_delivered_back_and_undelivered_requests_are_noted() {
    const HEADER: &str = "Order ID\tOrder date\tReturn request date\tReturn request status\tAmazon RMA ID\tMerchant RMA ID\tLabel type\tLabel cost\tCurrency code\tReturn carrier\tTracking ID\tLabel to be paid by\tA-to-Z Claim\tIs prime\tASIN\tMerchant SKU\tItem Name\tReturn quantity\tReturn Reason\tIn policy\tReturn type\tResolution\tInvoice number\tReturn delivery date\tOrder Amount\tOrder quantity\n";
    let row = |order: &str, requested: &str, rma: &str, quantity: u32, delivered: &str| {
        format!(
            "{order}\t20-Sep-2026\t{requested}\tApproved\t{rma}\t \tAmazonPrePaidLabel\t4.14\tUSD\tUSPS\t9202090339598363834190\tSeller\tN\tN\tB0C4N7JW3E\tAH-LAMP-ARC-BR\tArc Floor Lamp\t{quantity}\tCR-UNWANTED_ITEM\tY\tC-Returns\tStandardRefund\t \t{delivered}\t129.99\t{quantity}\n"
        )
    };
    let ws = demo_with(|ws| {
        let rows = [
            row("113-0000000-0000011", "02-Oct-2026", "DfqRyqfBRRMA", 2, "09-Oct-2026"),
            row("113-0000000-0000012", "20-Oct-2026", "DjMbMZrvRRMA", 1, "31-Oct-2026"),
            row("113-0000000-0000013", "25-Oct-2026", "DkQwErtyRRMA", 1, "03-Nov-2026"),
            row("113-0000000-0000014", "28-Oct-2026", "DzXcVbnmRRMA", 1, " "),
        ];
        let dir = ws.join("exports").join(PERIOD).join("acme-home");
        fs::write(dir.join("Returns_Report_2026-10.txt"), HEADER.to_string() + &rows.concat()).unwrap();
    });
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    let rate =
        st["kpis"].as_array().unwrap().iter().find(|k| k["id"] == "return_rate" && k["market"] == "amazon_us").unwrap();
    // The demo's FBA returns (11 units) and 2 + 1 units delivered back in October, of 385 shipped: 0.036364.
    assert_eq!(rate["value"], "0.0364", "{rate}");
    let notes: Vec<&Value> =
        st["notes"].as_array().unwrap().iter().filter(|n| n["code"] == "returns_not_delivered").collect();
    assert_eq!(notes.len(), 1, "{}", st["notes"]);
    assert_eq!(notes[0]["at"], serde_json::json!(["exports/2026-10/acme-home/Returns_Report_2026-10.txt:5"]));
    assert_eq!(notes[0]["rows"], "1");
}

#[test]
fn each_kpi_lists_the_exports_its_value_is_made_of() {
    let (_out, statements) = demo_statements();
    let acme = &statements[0];
    let inputs = |id: &str, market: &str| -> Vec<String> {
        let k = acme["kpis"].as_array().unwrap().iter().find(|k| k["id"] == id && k["market"] == market).unwrap();
        k["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().trim_start_matches("exports/2026-10/acme-home/").to_string())
            .collect()
    };
    let settlements = [
        "17723285873.txt",
        "20261022-20261105 FlatFileV2 17735417441.txt",
        "Settlement_17732218302_20261008-20261022.txt",
    ];
    assert_eq!(inputs("gmv", "amazon_us"), settlements);
    let mut gmv_all = settlements.to_vec();
    gmv_all.push("Vendas_BR_outubro_2026.csv");
    assert_eq!(inputs("gmv", "all"), gmv_all);
    assert_eq!(inputs("acos", "amazon_us"), ["Sponsored_Products_Advertised_product_report_2026-10.csv"]);
    let mut returns = settlements.to_vec();
    returns.insert(2, "FBA_Customer_Returns_20260928_20261102.txt");
    assert_eq!(inputs("return_rate", "amazon_us"), returns, "in the order of statement.json's inputs");
    assert_eq!(inputs("negative_feedback_rate", "all"), ["Feedback_20260928_20261102.txt"]);
    assert_eq!(inputs("return_rate", "mercadolivre_br"), ["Vendas_BR_outubro_2026.csv"], "its Devoluções block");
    assert!(inputs("conversion_rate", "mercadolivre_br").is_empty(), "no value, no inputs");
    // Every file listed is one of the statement's inputs.
    let listed: Vec<&str> = acme["inputs"].as_array().unwrap().iter().map(|i| i["path"].as_str().unwrap()).collect();
    for k in acme["kpis"].as_array().unwrap() {
        for p in k["inputs"].as_array().unwrap() {
            assert!(listed.contains(&p.as_str().unwrap()), "{p}");
        }
    }
}

/// The demo's All Orders report of sunny-gadgets with its first two
/// cancelled orders made merchant-fulfilled, and a cancel-rate target.
fn sunny_with_merchant_cancellations(ws: &Path) {
    let rel = "exports/2026-10/sunny-gadgets/All_Orders_20260930_20261101.txt";
    for _ in 0..2 {
        edit(
            ws,
            rel,
            "\tCancelled\tAmazon\tAmazon.com\t\tStandard",
            "\tCancelled\tMerchant\tAmazon.com\t\tStd US D2D Dom",
        );
    }
    edit(
        ws,
        "contracts/sunny-gadgets.toml",
        "[[kpi.targets]]",
        "[[kpi.targets]]\nkpi = \"cancel_rate\"\nmarket = \"amazon_us\"\nmax = \"0.025\"\nalert = \"0.005\"\n\n[[kpi.targets]]",
    );
}

#[test]
fn the_all_orders_report_gives_amazons_cancel_rate_counting_merchant_cancellations_as_the_sellers_with_a_note() {
    let ws = demo_with(sunny_with_merchant_cancellations);
    let rel = "exports/2026-10/sunny-gadgets/All_Orders_20260930_20261101.txt";
    let text = fs::read_to_string(ws.path().join(rel)).unwrap();
    // By hand: the Amazon.com orders bought on October days in Los Angeles,
    // and of those the cancelled merchant-fulfilled ones.
    let la = chrono_tz::America::Los_Angeles;
    let (mut placed, mut cancelled, mut by_seller) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut merchant_lines = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let cells: Vec<&str> = line.split('\t').collect();
        let bought = chrono::DateTime::parse_from_rfc3339(cells[2]).unwrap().with_timezone(&la).date_naive();
        if bought.format("%Y-%m").to_string() != PERIOD {
            continue;
        }
        placed.insert(cells[0]);
        if cells[4] == "Cancelled" {
            cancelled.insert(cells[0]);
        }
        if cells[4] == "Cancelled" && cells[5] == "Merchant" {
            by_seller.insert(cells[0]);
            merchant_lines.push((i + 1).to_string());
        }
    }
    assert_eq!(by_seller.len(), 2, "both edited orders are in October");
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "sunny-gadgets");
    let cancel = st["kpis"].as_array().unwrap().iter().find(|k| k["id"] == "cancel_rate" && k["market"] == "amazon_us");
    let cancel = cancel.unwrap();
    let expected = (Decimal::from(2) / Decimal::from(placed.len() as i64)).round_dp(4);
    assert_eq!(cancel["value"], expected.to_string());
    assert_eq!(cancel["status"], "alert", "above the 0.005 alert, within the 0.025 limit");
    assert_eq!(cancel["inputs"], serde_json::json!([rel]));
    let market = &st["markets"][0];
    assert_eq!(
        (market["orders_placed"].as_u64(), market["orders_cancelled"].as_u64()),
        (Some(placed.len() as u64), Some(cancelled.len() as u64))
    );
    let note = st["notes"].as_array().unwrap().iter().find(|n| n["code"] == "canceller_not_stated").unwrap();
    assert_eq!(note["orders"], "2");
    assert_eq!(note["at"], serde_json::json!([format!("{rel}:{}", merchant_lines.join(","))]));
}

#[test]
fn a_cancel_rate_target_without_the_all_orders_report_is_refused_unless_allowed_then_said() {
    let ws = demo_with(|ws| {
        sunny_with_merchant_cancellations(ws);
        fs::remove_file(ws.join("exports/2026-10/sunny-gadgets/All_Orders_20260930_20261101.txt")).unwrap();
    });
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(1));
    let err = String::from_utf8_lossy(&done.stdout).to_string() + &String::from_utf8_lossy(&done.stderr);
    assert!(
        err.contains("no All Orders report for amazon_us, which contracts/sunny-gadgets.toml kpi.targets"),
        "{err}"
    );
    let done = run(ws.path(), out.path(), &["--allow-missing", "amazon_us"]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "sunny-gadgets");
    let note = st["notes"].as_array().unwrap().iter().find(|n| n["code"] == "market_report_missing").unwrap();
    assert_eq!(note["report"], "All Orders report");
}

#[test]
fn the_business_report_by_date_gives_the_conversion_rate_on_the_basis_the_contract_chooses() {
    let rel = "exports/2026-10/sunny-gadgets/BusinessReport-9-30-26-11-1-26.csv";
    let ws =
        demo_with(|ws| edit(ws, "contracts/sunny-gadgets.toml", "[kpi]", "[kpi]\nconversion_basis = \"order_items\""));
    // By hand: October's order items and sessions (thousands separators in quoted cells).
    let text = fs::read_to_string(ws.path().join(rel)).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (mut items, mut sessions) = (0i64, 0i64);
    for row in reader.records() {
        let row = row.unwrap();
        if row[col("Date")].starts_with("10/") {
            items += row[col("Total Order Items")].parse::<i64>().unwrap();
            sessions += row[col("Sessions - Total")].replace(',', "").parse::<i64>().unwrap();
        }
    }
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "sunny-gadgets");
    let k = st["kpis"].as_array().unwrap().iter().find(|k| k["id"] == "conversion_rate" && k["market"] == "amazon_us");
    let k = k.unwrap();
    assert_eq!(k["value"], (Decimal::from(items) / Decimal::from(sessions)).round_dp(4).to_string());
    assert_eq!(k["definition_key"], "conversion_rate.order_items");
    assert_eq!(k["inputs"], serde_json::json!([rel]));
}

#[test]
fn the_inventory_ledger_gives_turnover_days_as_average_sellable_stock_over_average_daily_shipments() {
    let rel = "exports/2026-10/acme-home/Inventory_Ledger_Summary_20260930_20261101.txt";
    let ws = demo_with(|_| {});
    // By hand: October's sellable end-of-day balances and customer shipments.
    let text = fs::read_to_string(ws.path().join(rel)).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let headers: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| headers.iter().position(|h| *h == name).unwrap();
    let (mut on_hand, mut shipped, mut days) = (0i64, 0i64, BTreeSet::new());
    for line in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells[col("Date")].starts_with("10/") && cells[col("Disposition")] == "SELLABLE" {
            days.insert(cells[col("Date")].to_string());
            on_hand += cells[col("Ending Warehouse Balance")].parse::<i64>().unwrap();
            shipped -= cells[col("Customer Shipments")].parse::<i64>().unwrap();
        }
    }
    assert_eq!(days.len(), 31);
    let average_on_hand = Decimal::from(on_hand) / Decimal::from(31);
    let average_shipped = Decimal::from(shipped) / Decimal::from(31);
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    let kpi = |market: &str| {
        st["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == "inventory_turnover_days" && k["market"] == market)
            .cloned()
    };
    let amazon = kpi("amazon_us").unwrap();
    assert_eq!(amazon["value"], (average_on_hand / average_shipped).round_dp(4).to_string());
    assert_eq!(amazon["unit"], "days", "a number of days, not a ratio printed as a percentage");
    if common::tools_present(&["pdftotext"]) {
        let text = pdf_text(out.path(), "acme-home");
        let printed = format!("{} days", amazon["value"].as_str().unwrap());
        assert!(text.contains(&printed), "{printed} in {text}");
    }
    assert_eq!(amazon["inputs"], serde_json::json!([rel]));
    assert_eq!(kpi("mercadolivre_br").unwrap()["note"]["code"], "no_inventory_report");
    // Without the ledger, a target on turnover days is refused.
    let ws = demo_with(|ws| {
        fs::remove_file(ws.join(rel)).unwrap();
        edit(
            ws,
            "contracts/acme-home.toml",
            "[[kpi.targets]]",
            "[[kpi.targets]]\nkpi = \"inventory_turnover_days\"\nmax = \"60\"\n\n[[kpi.targets]]",
        );
    });
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(1));
    let err = String::from_utf8_lossy(&done.stdout).to_string() + &String::from_utf8_lossy(&done.stderr);
    assert!(err.contains("no Inventory Ledger (Summary view, by day) for amazon_us"), "{err}");
}

/// A Date Range report in the current US layout
/// (fixtures/layouts/amazon/date_range_transactions.md), preamble included.
fn date_range_report(rows: &[String]) -> String {
    let preamble = "\"Includes Amazon Marketplace, Fulfillment by Amazon (FBA), and Amazon Webstore transactions\"\n\"All amounts in USD, unless specified\"\n\"Definitions:\"\n";
    let header = "\"date/time\",\"settlement id\",\"type\",\"order id\",\"sku\",\"description\",\"quantity\",\"marketplace\",\"account type\",\"fulfillment\",\"order city\",\"order state\",\"order postal\",\"tax collection model\",\"product sales\",\"product sales tax\",\"shipping credits\",\"shipping credits tax\",\"gift wrap credits\",\"giftwrap credits tax\",\"Regulatory Fee\",\"Tax On Regulatory Fee\",\"promotional rebates\",\"promotional rebates tax\",\"marketplace withheld tax\",\"selling fees\",\"fba fees\",\"other transaction fees\",\"other\",\"total\"\n";
    format!("{preamble}{header}{}\n", rows.join("\n"))
}

/// An order row of `settlement`: `sales` of principal, a referral fee of 15 %.
fn date_range_order(at: &str, settlement: &str, order: &str, sales: &str) -> String {
    let sales_d: Decimal = sales.replace(',', "").parse().unwrap();
    let fee = -(sales_d * Decimal::new(15, 2)).round_dp(2);
    let total = sales_d + fee;
    format!(
        "\"{at}\",\"{settlement}\",\"Order\",\"{order}\",\"AH-DESK-6030-WH\",\"Standing Desk\",\"1\",\"amazon.com\",\"Standard Orders\",\"Amazon\",\"AUSTIN\",\"TX\",\"78701\",\"MarketplaceFacilitator\",\"{sales}\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"{fee}\",\"0\",\"0\",\"0\",\"{total}\""
    )
}

#[test]
fn a_date_range_report_beside_settlements_counts_each_settlement_once_and_says_which_source() {
    // Two rows of a settlement acme-home also has as a settlement report, and
    // two of a settlement it does not (the one still open at month end).
    let rows = [
        date_range_order("Oct 12, 2026 10:00:00 AM PDT", "17732218302", "113-9000001-0000001", "399.99"),
        date_range_order("Oct 13, 2026 10:00:00 AM PDT", "17732218302", "113-9000002-0000002", "899.99"),
        date_range_order("Oct 30, 2026 10:00:00 AM PDT", "17799999999", "113-9000003-0000003", "1,099.98"),
        date_range_order("Oct 31, 2026 11:30:00 PM PDT", "17799999999", "113-9000004-0000004", "399.99"),
    ];
    let rel = "exports/2026-10/acme-home/2026OctMonthlyTransaction.csv";
    let ws = demo_with(|ws| fs::write(ws.join(rel), date_range_report(&rows)).unwrap());
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    let (_, before) = demo_statements();
    let gmv = |s: &Value| dec(&kpi(s, "gmv", "amazon_us")["value"]);
    let added: Decimal = "1099.98".parse::<Decimal>().unwrap() + "399.99".parse::<Decimal>().unwrap();
    assert_eq!(gmv(&st) - gmv(&before[0]), added, "only the open settlement's rows add to GMV");
    let note = st["notes"].as_array().unwrap().iter().find(|n| n["code"] == "settlement_counted_from_report").unwrap();
    assert_eq!(note["rows"], "2");
    assert_eq!(
        note["settlements"],
        serde_json::json!(["17732218302 (exports/2026-10/acme-home/Settlement_17732218302_20261008-20261022.txt)"])
    );
    let input = st["inputs"].as_array().unwrap().iter().find(|i| i["path"] == rel).unwrap();
    assert_eq!((&input["format"], &input["rows"]), (&serde_json::json!("amazon_date_range"), &serde_json::json!(2)));
    assert!(st["reconciliation"].as_array().unwrap().iter().any(|c| c["file"] == rel && c["ok"] == true));
}

#[test]
fn a_date_range_report_alone_is_amazons_sales_export() {
    let rows = [
        date_range_order("Oct 12, 2026 10:00:00 AM PDT", "17732218302", "113-9000001-0000001", "399.99"),
        date_range_order("Oct 30, 2026 10:00:00 AM PDT", "17799999999", "113-9000003-0000003", "1,099.98"),
        date_range_order("Sep 30, 2026 11:59:00 PM PDT", "17723285873", "113-9000005-0000005", "899.99"),
    ];
    let ws = demo_with(|ws| {
        let dir = ws.join("exports").join(PERIOD).join("sunny-gadgets");
        for f in fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let head = fs::read(&f).unwrap();
            if head.starts_with(b"settlement-id") {
                fs::remove_file(f).unwrap();
            }
        }
        fs::write(dir.join("2026OctMonthlyTransaction.csv"), date_range_report(&rows)).unwrap();
    });
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "sunny-gadgets");
    let formats: Vec<&str> = st["inputs"].as_array().unwrap().iter().map(|i| i["format"].as_str().unwrap()).collect();
    assert!(!formats.iter().any(|f| f.starts_with("amazon_settlement")), "{formats:?}");
    // By hand: the two October orders, 15 % referral fee each; September's is out.
    assert_eq!(kpi(&st, "gmv", "amazon_us")["value"], "1499.97");
    assert_eq!(kpi(&st, "orders", "amazon_us")["value"], "2");
    assert_eq!(kpi(&st, "platform_fees", "amazon_us")["value"], "225.00");
    assert_eq!(kpi(&st, "net_proceeds", "amazon_us")["value"], "1274.97");
    assert!(st["notes"].as_array().unwrap().iter().all(|n| n["code"] != "settlement_counted_from_report"));
}

#[test]
fn each_new_report_of_another_month_is_refused_naming_its_file_and_dates() {
    // The generator's August reports for the demo sellers, left in October's folders.
    let august = tempfile::tempdir().unwrap();
    let options = GenerateOptions { seed: 2026, sellers: 3, orders: 40, period: "2026-08".parse().unwrap() };
    generate_workspace(august.path(), &options).unwrap();
    let kinds = ["All_Orders_", "BusinessReport-", "Inventory_Ledger_Summary_", "report-pads_report-"];
    let mut copied = Vec::new();
    let ws = demo_with(|ws| {
        for seller in ["acme-home", "rio-casa"] {
            let from = august.path().join("exports/2026-08").join(seller);
            for f in fs::read_dir(&from).unwrap() {
                let f = f.unwrap().path();
                let name = f.file_name().unwrap().to_string_lossy().to_string();
                if kinds.iter().any(|k| name.starts_with(k)) {
                    let to = format!("august-{name}");
                    fs::copy(&f, ws.join("exports").join(PERIOD).join(seller).join(&to)).unwrap();
                    copied.push((seller, to));
                }
            }
        }
    });
    assert_eq!(copied.len(), 5, "acme-home's four kinds and rio-casa's Product Ads: {copied:?}");
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(1));
    let summary = summary(out.path());
    for (seller, name) in &copied {
        let error = outcome(&summary, seller)["error"].to_string();
        let file = format!("exports/{PERIOD}/{seller}/{name}");
        assert!(
            error.contains(&format!("{file}: has no row dated in 2026-10: its rows run from 2026-0")),
            "{file}: {error}"
        );
    }
}

/// acme-home's Vendas export without its Devoluções block (from its second
/// "Unidades" to "Motivo do resultado"), as an older or trimmed download
/// has it: the other columns, title line included, as they were.
fn vendas_without_returns_block(ws: &Path) {
    let path = ws.join("exports/2026-10/acme-home/Vendas_BR_outubro_2026.csv");
    let bytes = fs::read(&path).unwrap();
    let mut reader =
        csv::ReaderBuilder::new().delimiter(b';').has_headers(false).flexible(true).from_reader(&bytes[..]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let header = records.iter().find(|r| r.get(0).is_some_and(|c| c.contains("de venda"))).unwrap();
    let units: Vec<usize> = header.iter().enumerate().filter(|(_, h)| *h == "Unidades").map(|(i, _)| i).collect();
    let last = header.iter().position(|h| h == "Motivo do resultado").unwrap();
    let block = units[1]..=last;
    let mut writer = csv::WriterBuilder::new().delimiter(b';').flexible(true).from_writer(Vec::new());
    for r in &records {
        writer.write_record(r.iter().enumerate().filter(|(i, _)| !block.contains(i)).map(|(_, c)| c)).unwrap();
    }
    fs::write(&path, writer.into_inner().unwrap()).unwrap();
}

#[test]
fn a_vendas_export_without_its_returns_block_leaves_mercado_livres_return_rate_unknown_not_zero() {
    let ws = demo_with(vendas_without_returns_block);
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    let ml = kpi(&st, "return_rate", "mercadolivre_br");
    assert_eq!(ml["value"], Value::Null, "{ml}");
    assert_eq!(ml["note"], serde_json::json!({"code": "no_returns_report", "market": "mercadolivre_br"}));
    // The rest of the export is read as before: same units and GMV.
    assert_eq!(kpi(&st, "units", "mercadolivre_br")["value"], "360");
    let overall = kpi(&st, "return_rate", "all");
    assert_eq!(overall["covers"], serde_json::json!(["amazon_us"]), "{overall}");
    assert_eq!(overall["note"]["code"], "without_data_from");
    if common::tools_present(&["pdftotext"]) {
        assert!(pdf_text(out.path(), "acme-home").contains("lacks its Devoluções (returns) columns"));
    }

    // A target on that return rate cannot be judged without them: refused.
    edit(
        ws.path(),
        "contracts/acme-home.toml",
        "[[kpi.targets]]",
        "[[kpi.targets]]\nkpi = \"return_rate\"\nmarket = \"mercadolivre_br\"\nmax = \"0.05\"\n\n[[kpi.targets]]",
    );
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(1));
    let err = String::from_utf8_lossy(&done.stdout).to_string() + &String::from_utf8_lossy(&done.stderr);
    assert!(
        err.contains(
            "no Mercado Livre Vendas export with its Devoluções (returns) columns for mercadolivre_br, which contracts/acme-home.toml kpi.targets"
        ),
        "{err}"
    );
}

#[test]
fn an_all_orders_download_missing_the_start_of_the_month_is_said_and_every_input_shows_its_dates() {
    let rel = "exports/2026-10/acme-home/All_Orders_20260930_20261101.txt";
    let ws = demo_with(|ws| {
        // Keep the header and the orders bought from 6 October (UTC) on, as
        // a download for 6 October to 1 November would have them.
        let path = ws.join(rel);
        let text = fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .enumerate()
            .filter(|(i, line)| *i == 0 || line.split('\t').nth(2).is_some_and(|d| d >= "2026-10-06"))
            .map(|(_, line)| line)
            .collect();
        fs::write(&path, kept.join("\n") + "\n").unwrap();
    });
    let out = tempfile::tempdir().unwrap();
    let done = run(ws.path(), out.path(), &[]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let st = statement(out.path(), "acme-home");
    let n = note(&st, "orders_report_partial");
    assert_eq!((&n["first"], &n["last"]), (&Value::from("2026-10-05"), &Value::from("2026-11-01")), "{n}");
    assert_eq!(n["files"], serde_json::json!([rel]));
    if common::tools_present(&["pdftotext"]) {
        assert!(pdf_text(out.path(), "acme-home").contains("have orders from 2026-10-05 to 2026-11-01 only"));
    }
    let input = st["inputs"].as_array().unwrap().iter().find(|i| i["path"] == rel).unwrap();
    assert_eq!(input["dates"], serde_json::json!({"first": "2026-10-05", "last": "2026-11-01"}));

    // The demo's own download covers the month and a day either side: no note.
    let (_out, statements) = demo_statements();
    let acme = &statements[0];
    assert!(acme["notes"].as_array().unwrap().iter().all(|n| n["code"] != "orders_report_partial"));
    let input = acme["inputs"].as_array().unwrap().iter().find(|i| i["path"] == rel).unwrap();
    assert_eq!(input["dates"], serde_json::json!({"first": "2026-09-30", "last": "2026-11-01"}));
    let contract = acme["inputs"].as_array().unwrap().iter().find(|i| i["format"] == "contract").unwrap();
    assert!(contract.get("dates").is_none(), "a contract has no dated rows: {contract}");
}

// ---- Several markets are their one-market sellers side by side -------------------------------------------------

/// `contract` (a generated loja-mix contract) for seller `id` on `market`
/// alone: its targets and fee rules, which name other markets, left out.
fn one_market_contract(contract: &str, id: &str, market: Market) -> String {
    let mut out = String::new();
    for (i, block) in contract.split("\n[").enumerate() {
        let block = if i == 0 { block.to_string() } else { format!("\n[{block}") };
        if block.starts_with("\n[[kpi.targets]]") || block.starts_with("\n[[fees.rules]]") {
            continue;
        }
        out.push_str(&block);
    }
    let markets = out.lines().find(|l| l.starts_with("markets = ")).unwrap().to_string();
    let seller = out.lines().find(|l| l.starts_with("id = ")).unwrap().to_string();
    out.replacen(&markets, &format!("markets = [\"{market}\"]"), 1).replacen(&seller, &format!("id = \"{id}\""), 1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// A generated seller of three markets (Amazon.com.br, Shopee and a
    /// Shopify store) has, market by market, exactly the figures of three
    /// sellers of one market each, given that market's exports alone.
    #[test]
    fn prop_a_seller_of_three_markets_has_the_figures_of_three_one_market_sellers(
        seed in any::<u64>(), orders in 1usize..80,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let period: kpiseal::period::Period = PERIOD.parse().unwrap();
        generate_workspace(dir.path(), &GenerateOptions { seed, sellers: 4, orders, period }).unwrap();
        let contract = fs::read_to_string(dir.path().join("contracts/loja-mix.toml")).unwrap();
        let markets = Contract::parse("c.toml", &contract).unwrap().contract.markets;
        prop_assert_eq!(markets.len(), 3);
        for (i, &market) in markets.iter().enumerate() {
            let id = format!("solo-{i}");
            fs::write(dir.path().join(format!("contracts/{id}.toml")), one_market_contract(&contract, &id, market)).unwrap();
            let from = dir.path().join(format!("exports/{PERIOD}/loja-mix/{}", market.folder()));
            copy_dir(&from, &dir.path().join(format!("exports/{PERIOD}/{id}/{}", market.folder())));
        }
        let ws = Workspace::open(dir.path()).unwrap();
        let opts = RunOptions::new(period);
        let figures = |seller: &str| {
            let inputs = read_seller_inputs(&ws, seller, &opts).unwrap_or_else(|e| panic!("{seller}: {e}"));
            compute_kpis(&inputs).unwrap().figures
        };
        let together = figures("loja-mix");
        for (i, market) in markets.iter().enumerate() {
            let alone = figures(&format!("solo-{i}"));
            prop_assert_eq!(alone.keys().collect::<Vec<_>>(), vec![market]);
            prop_assert_eq!(&alone[market], &together[market], "{}", market);
        }
    }
}

// ---- Market folders --------------------------------------------------------------------------------------------

/// `kpiseal check --seller loja-mix` on a copy of the demo after `change`: its stdout.
fn check_loja(change: impl FnOnce(&Path)) -> String {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    change(&ws.path().join(format!("exports/{PERIOD}/loja-mix")));
    let o = kpiseal("check", ws.path(), &["--seller", "loja-mix"]);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn an_export_in_another_markets_folder_or_outside_a_stores_folder_is_refused_by_name() {
    let shopee = "shopee_br/Order.all.20261001_20261031.xlsx";
    let out = check_loja(|dir| fs::rename(dir.join(shopee), dir.join("amazon_br/Order.all.xlsx")).unwrap());
    assert!(
        out.contains("amazon_br/Order.all.xlsx: is a Shopee order export (shopee_orders), not an export of amazon_br"),
        "{out}"
    );
    let shopify = "shopify-loja-mix/orders_export_1.csv";
    let out = check_loja(|dir| fs::rename(dir.join(shopify), dir.join("orders_export_1.csv")).unwrap());
    assert!(
        out.contains("loja-mix/orders_export_1.csv: is a Shopify orders export (shopify_orders), whose store the file does not name"),
        "{out}"
    );
    let out = check_loja(|dir| fs::rename(dir.join("shopify-loja-mix"), dir.join("shopify-other-store")).unwrap());
    assert!(
        out.contains("is in the folder of shopify:other-store, a market contract LX-2026-031 does not cover"),
        "{out}"
    );
    let out = check_loja(|dir| fs::rename(dir.join("shopee_br"), dir.join("ebay_us")).unwrap());
    assert!(
        out.contains("loja-mix/ebay_us: not read: a folder inside") && out.contains("not a market's folder"),
        "{out}"
    );
    // Without its Shopify Payments transactions, the store's fees are said to be missing.
    let out =
        check_loja(|dir| fs::remove_file(dir.join("shopify-loja-mix/payment_transactions_export_1.csv")).unwrap());
    assert!(out.contains("No Shopify Payments transactions export for Shopify loja-mix"), "{out}");
    // An Amazon.com.br settlement among Amazon US files is in BRL, not USD.
    let out = check_loja(|dir| {
        let settlement = fs::read_dir(dir.join("amazon_br")).unwrap().next().unwrap().unwrap().path();
        fs::rename(&settlement, dir.join("settlement.txt")).unwrap();
    });
    assert!(out.contains("expected USD, found BRL") && out.contains("goes in the amazon_br folder"), "{out}");
}

#[test]
fn the_loja_mix_statement_shows_every_market_in_each_language() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&demo(), out.path(), &["--seller", "loja-mix"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let st = statement(out.path(), "loja-mix");
    let markets: Vec<&str> = st["markets"].as_array().unwrap().iter().map(|m| m["market"].as_str().unwrap()).collect();
    assert_eq!(markets, ["amazon_br", "shopee_br", "shopify:loja-mix"]);
    let currencies: Vec<&str> =
        st["markets"].as_array().unwrap().iter().map(|m| m["currency"].as_str().unwrap()).collect();
    assert_eq!(currencies, ["BRL", "BRL", "USD"]);
    let scopes: BTreeSet<&str> = st["kpis"].as_array().unwrap().iter().map(|k| k["market"].as_str().unwrap()).collect();
    assert_eq!(scopes, BTreeSet::from(["all", "amazon_br", "shopee_br", "shopify:loja-mix"]));
}

#[test]
fn the_loja_mix_pdf_names_every_market_in_each_language() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    for (language, names) in [
        ("en", ["Amazon BR", "Shopee BR", "Shopify loja-mix"]),
        ("pt-BR", ["Amazon BR", "Shopee BR", "Shopify loja-mix"]),
        ("zh-CN", ["亚马逊巴西站", "Shopee巴西站", "Shopify独立站 loja-mix"]),
    ] {
        let out = tempfile::tempdir().unwrap();
        let o = kpiseal(
            "run",
            &demo(),
            &["--quiet", "--language", language, "--out", out.path().to_str().unwrap(), "--seller", "loja-mix"],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = pdf_text(out.path(), "loja-mix");
        for name in names {
            assert!(text.contains(name), "{language}: {name} missing from the PDF: {text}");
        }
    }
}
