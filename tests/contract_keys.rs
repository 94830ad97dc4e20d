//! Every key a contract accepts takes effect.
//!
//! [`CASES`] is a table: for a key, a demo seller, the edits that change the
//! key in that seller's contract (on a copy of the demo workspace), and what
//! the statement must then show compared with the demo's own statement, in
//! the terms of what the key means (the base fee line is the new amount, the
//! rule no longer applies, the statement is refused naming the key, ...),
//! never merely "the bytes differ". The statement is built through the
//! library pipeline (`kpiseal::pipeline::build_statement`); `seller.language`
//! also renders the PDF.
//!
//! [`every_contract_key_has_a_case`] lists every key the contract accepts
//! from an exhaustive `Contract` value (a struct literal without `..`, so a
//! new field does not compile until it is added there) and fails for a key
//! with no case: a key added to `src/contract.rs` needs one line in
//! [`CASES`]. A case whose behaviour another branch delivers is listed in
//! [`PENDING`] until that branch is merged; a pending case that passes fails
//! the test, so the mark cannot outlive the fix.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use kpiseal::contract::{
    CompareOp, Contract, ContractTerms, ConversionBasis, CostTerms, CurvePoint, Effect, FeeRule, FeeTerms, FxTerms,
    GmvBasis, KpiTerms, Language, RateDate, RefundBasis, SellerTerms, Target, Tier, TierMode,
};
use kpiseal::fees::{FeeLine, FeeLineKind};
use kpiseal::fx::FxRateBasis;
use kpiseal::kpi::{Bound, Kpi, Scope, Status};
use kpiseal::kpi_id::KpiId;
use kpiseal::market::Market;
use kpiseal::money::{Currency, RoundingMode};
use kpiseal::notes::NoteClass;
use kpiseal::pipeline::{RunOptions, build_statement};
use kpiseal::render::fonts::Fonts;
use kpiseal::render::{RenderOptions, render_pdf};
use kpiseal::statement::{SigningBlock, Statement};
use kpiseal::workspace::Workspace;

const PERIOD: &str = "2026-10";
const ACME: &str = "acme-home";
const RIO: &str = "rio-casa";
const SUNNY: &str = "sunny-gadgets";
const LOJA: &str = "loja-mix";

/// What a changed key must do to the statement.
enum Expect {
    /// The statement is built and the check, given the statement before
    /// and after the change, says how it moved (`Err` explains what did not).
    Changes(fn(&Statement, &Statement) -> Checked),
    /// The seller is refused with an error naming every one of these.
    Refused(&'static [&'static str]),
}
use Expect::{Changes, Refused};

type Checked = Result<(), String>;

/// One row of the table. `given` edits both the baseline and the changed
/// contract (e.g. a base fee with a half-cent, so that the rounding mode
/// has a tie to decide); `edits` change the key under test. An edit is a
/// key path (`fees.rules[0].op`) and a TOML value, or "" to remove the key.
struct Case {
    key: &'static str,
    seller: &'static str,
    given: &'static [(&'static str, &'static str)],
    edits: &'static [(&'static str, &'static str)],
    expect: Expect,
}

/// Every key, at least one row each. Keys other branches add get one line here.
#[rustfmt::skip]
const CASES: &[Case] = &[
    // seller.*
    Case { key: "seller.id", seller: ACME, given: &[], edits: &[("seller.id", "\"acme-home-2\"")], expect: Refused(&["contracts/acme-home.toml", "seller.id", "acme-home-2"]) },
    Case { key: "seller.legal_name", seller: SUNNY, given: &[], edits: &[("seller.legal_name", "\"Sunny Gadgets Ltd\"")], expect: Changes(legal_name_is_the_new_one) },
    Case { key: "seller.tax_id", seller: SUNNY, given: &[], edits: &[("seller.tax_id", "\"HK BR 11111111\"")], expect: Changes(tax_id_is_the_new_one) },
    Case { key: "seller.language", seller: SUNNY, given: &[], edits: &[("seller.language", "\"pt-BR\"")], expect: Changes(pdf_is_printed_in_portuguese) },
    Case { key: "seller.settlement_currency", seller: SUNNY, given: &[], edits: &[("seller.settlement_currency", "\"CNY\"")], expect: Changes(totals_are_converted_into_cny) },
    // contract.*
    Case { key: "contract.id", seller: SUNNY, given: &[], edits: &[("contract.id", "\"LX-TEST-1\"")], expect: Changes(statement_number_carries_the_new_contract_id) },
    Case { key: "contract.start", seller: SUNNY, given: &[], edits: &[("contract.start", "\"2026-01-01\"")], expect: Changes(term_start_is_printed) },
    Case { key: "contract.end", seller: SUNNY, given: &[], edits: &[("contract.end", "\"2027-12-31\"")], expect: Changes(term_end_is_printed) },
    Case { key: "contract.markets", seller: ACME, given: &[], edits: &[("contract.markets", "[\"amazon_us\"]")], expect: Refused(&["Vendas_BR_outubro_2026.csv", "mercadolivre_br", "does not cover"]) },
    Case { key: "contract.allow_missing", seller: SUNNY, given: &[("contract.markets", "[\"amazon_us\", \"mercadolivre_br\"]"), ("contract.allow_missing", "[\"mercadolivre_br\"]")], edits: &[("contract.allow_missing", "[]")], expect: Refused(&["exports/2026-10/sunny-gadgets", "no Mercado Livre Vendas export", "contract.allow_missing"]) },
    Case { key: "contract.time_zones.amazon_us", seller: ACME, given: &[], edits: &[("contract.time_zones.amazon_us", "\"UTC\"")], expect: Changes(amazon_rows_move_across_the_month_boundary) },
    Case { key: "contract.time_zones.amazon_us", seller: SUNNY, given: &[], edits: &[("contract.time_zones.amazon_us", "\"UTC\"")], expect: Changes(date_only_amazon_rows_are_noted) },
    Case { key: "contract.currencies.shopify:loja-mix", seller: LOJA, given: &[], edits: &[("contract.currencies.shopify:loja-mix", "\"BRL\"")], expect: Refused(&["shopify-loja-mix/orders_export_1.csv", "column \"Currency\"", "is in USD, and shopify:loja-mix is a store in BRL"]) },
    Case { key: "contract.currencies.shopify:loja-mix", seller: LOJA, given: &[], edits: &[("contract.currencies.shopify:loja-mix", "")], expect: Refused(&["contracts/loja-mix.toml", "contract.markets[2]", "add contract.currencies.\"shopify:loja-mix\""]) },
    Case { key: "contract.time_zones.shopify:loja-mix", seller: LOJA, given: &[], edits: &[("contract.time_zones.shopify:loja-mix", "")], expect: Refused(&["contracts/loja-mix.toml", "contract.markets[2]", "time zone"]) },
    Case { key: "contract.time_zones.mercadolivre_br", seller: ACME, given: &[], edits: &[("contract.time_zones.mercadolivre_br", "\"Asia/Tokyo\"")], expect: Changes(mercadolivre_rows_move_across_the_month_boundary) },
    // kpi.*
    Case { key: "kpi.gmv_basis", seller: ACME, given: &[], edits: &[("kpi.gmv_basis", "\"gross\"")], expect: Changes(gross_gmv_adds_back_the_refunds) },
    Case { key: "kpi.include_shipping", seller: ACME, given: &[], edits: &[("kpi.include_shipping", "true")], expect: Changes(gmv_includes_shipping) },
    Case { key: "kpi.refund_basis", seller: SUNNY, given: &[], edits: &[("kpi.refund_basis", "\"value\"")], expect: Changes(refund_rate_counts_value) },
    Case { key: "kpi.conversion_basis", seller: SUNNY, given: &[], edits: &[("kpi.conversion_basis", "\"order_items\"")], expect: Changes(conversion_rate_counts_order_items) },
    Case { key: "kpi.targets[].kpi", seller: SUNNY, given: &[], edits: &[("kpi.targets[1].kpi", "\"tacos\"")], expect: Changes(target_moves_from_acos_to_tacos) },
    Case { key: "kpi.targets[].market", seller: ACME, given: &[], edits: &[("kpi.targets[2].market", "\"mercadolivre_br\"")], expect: Changes(dispute_target_moves_to_mercadolivre) },
    Case { key: "kpi.targets[].min", seller: ACME, given: &[], edits: &[("kpi.targets[0].min", "\"160000.00\"")], expect: Changes(gmv_target_above_gmv_is_missed) },
    Case { key: "kpi.targets[].max", seller: ACME, given: &[], edits: &[("kpi.targets[2].max", "\"0.03\"")], expect: Changes(dispute_limit_above_the_rate_is_no_longer_missed) },
    Case { key: "kpi.gmv_curve[].day", seller: SUNNY, given: &[("kpi.gmv_curve", "[{ day = 15, share = \"0.4\" }]")], edits: &[("kpi.gmv_curve[0].day", "40")], expect: Refused(&["kpi.gmv_curve[0].day"]) },
    Case { key: "kpi.gmv_curve[].share", seller: SUNNY, given: &[("kpi.gmv_curve", "[{ day = 15, share = \"0.4\" }]")], edits: &[("kpi.gmv_curve[0].share", "\"1.5\"")], expect: Refused(&["kpi.gmv_curve[0].share"]) },
    Case { key: "kpi.targets[].step", seller: SUNNY, given: &[], edits: &[("kpi.targets[2].step", "\"0.005\"")], expect: Changes(step_is_read_by_alerts_only) },
    Case { key: "kpi.targets[].alert", seller: RIO, given: &[], edits: &[("kpi.targets[2].alert", "\"0.018\"")], expect: Changes(dispute_alert_above_the_rate_is_met) },
    // fees.*
    Case { key: "fees.currency", seller: SUNNY, given: &[], edits: &[("fees.currency", "\"CNY\"")], expect: Changes(fees_are_computed_in_cny) },
    Case { key: "fees.base_monthly", seller: ACME, given: &[], edits: &[("fees.base_monthly", "\"9000.00\"")], expect: Changes(base_fee_line_is_9000) },
    Case { key: "fees.tier_mode", seller: SUNNY, given: &[], edits: &[("fees.tier_mode", "\"marginal\"")], expect: Changes(marginal_tiers_split_the_base) },
    Case { key: "fees.tiers[].up_to", seller: SUNNY, given: &[], edits: &[("fees.tiers[0].up_to", "\"20000.00\"")], expect: Changes(whole_base_falls_in_the_first_tier) },
    Case { key: "fees.tiers[].rate", seller: SUNNY, given: &[], edits: &[("fees.tiers[1].rate", "\"0.07\"")], expect: Changes(commission_is_charged_at_7_percent) },
    Case { key: "fees.minimum", seller: SUNNY, given: &[], edits: &[("fees.minimum", "\"2000.00\"")], expect: Changes(service_lines_are_raised_to_2000) },
    Case { key: "fees.maximum", seller: RIO, given: &[], edits: &[("fees.maximum", "\"3500.00\"")], expect: Changes(service_lines_are_lowered_to_3500) },
    Case { key: "fees.vat_rate", seller: SUNNY, given: &[], edits: &[("fees.vat_rate", "\"0.06\"")], expect: Changes(tax_is_6_percent_of_the_subtotal) },
    Case { key: "fees.rounding", seller: ACME, given: &[("fees.base_monthly", "\"8000.005\"")], edits: &[("fees.rounding", "\"half_even\"")], expect: Changes(half_cent_tie_rounds_to_even) },
    Case { key: "fees.pass_through_markup", seller: SUNNY, given: &[], edits: &[("fees.pass_through_markup", "\"0.10\"")], expect: Changes(markup_is_10_percent_of_pass_through) },
    Case { key: "fees.bounds_include_markup", seller: SUNNY, given: &[], edits: &[("fees.bounds_include_markup", "true")], expect: Changes(markup_fills_the_minimum) },
    Case { key: "fees.bounds_include_markup", seller: ACME, given: &[], edits: &[("fees.bounds_include_markup", "true")], expect: Refused(&["contracts/acme-home.toml", "fees.bounds_include_markup", "no fees.pass_through_markup"]) },
    Case { key: "fees.rules[].kpi", seller: SUNNY, given: &[], edits: &[("fees.rules[0].kpi", "\"tacos\"")], expect: Changes(bonus_is_triggered_by_tacos) },
    Case { key: "fees.rules[].market", seller: SUNNY, given: &[], edits: &[("fees.rules[0].market", "\"amazon_us\"")], expect: Changes(bonus_reads_the_amazon_figure) },
    Case { key: "fees.rules[].op", seller: SUNNY, given: &[], edits: &[("fees.rules[0].op", "\">=\"")], expect: Changes(bonus_no_longer_applies) },
    Case { key: "fees.rules[].threshold", seller: SUNNY, given: &[], edits: &[("fees.rules[0].threshold", "\"0.25\"")], expect: Changes(bonus_no_longer_applies) },
    Case { key: "fees.rules[].effect", seller: SUNNY, given: &[], edits: &[("fees.rules[0].effect", "\"penalty\"")], expect: Changes(bonus_becomes_a_penalty) },
    Case { key: "fees.rules[].percent_of_commission", seller: SUNNY, given: &[], edits: &[("fees.rules[0].percent_of_commission", "\"0.10\"")], expect: Changes(bonus_is_10_percent_of_commission) },
    Case { key: "fees.rules[].amount", seller: SUNNY, given: &[], edits: &[("fees.rules[0].percent_of_commission", ""), ("fees.rules[0].amount", "\"100.00\"")], expect: Changes(bonus_is_a_fixed_100) },
    // fx.*
    Case { key: "fx.source", seller: ACME, given: &[], edits: &[("fx.source", "\"BCB PTAX and PBoC central parity, as agreed\"")], expect: Changes(fx_source_is_printed) },
    Case { key: "fx.source", seller: ACME, given: &[], edits: &[("fx.source", "\"ECB reference rates\"")], expect: Changes(rates_from_an_unnamed_source_are_noted) },
    Case { key: "fx.rate_date", seller: ACME, given: &[], edits: &[("fx.rate_date", "\"period_average\"")], expect: Changes(rates_are_period_averages) },
    Case { key: "fx.max_age_days", seller: ACME, given: &[], edits: &[("fx.max_age_days", "0")], expect: Refused(&["USD/CNY", "dated 2026-10-30", "fx.max_age_days"]) },
];

/// Keys whose effect needs an input other than the contract changed, each
/// with the test (file and function) that pins it on a copy of the demo.
const PINNED_ELSEWHERE: &[(&str, &str, &str)] = &[(
    "costs.allow_late_billed",
    "tests/period.rs",
    "a_late_cost_is_billed_with_its_own_date_and_marked_when_the_contract_allows_it",
)];

/// Cases another branch makes pass, with the branch: tolerated while they
/// fail, an error once they pass (then delete the line).
const PENDING: &[(&str, &str)] = &[];

// ---- The run ----------------------------------------------------------------------------------------------------

#[test]
fn every_contract_key_changes_the_statement_as_it_means() {
    let ws_dir = tempfile::tempdir().unwrap();
    common::copy_dir(&common::demo(), ws_dir.path());
    let ws = Workspace::open(ws_dir.path()).unwrap();
    let originals: BTreeMap<&str, String> = [ACME, RIO, SUNNY, LOJA]
        .into_iter()
        .map(|s| (s, fs::read_to_string(contract_path(ws_dir.path(), s)).unwrap()))
        .collect();
    let mut baselines: BTreeMap<&str, Statement> = BTreeMap::new();

    let mut failures = Vec::new();
    let mut pending_passed = Vec::new();
    for case in CASES {
        let original = &originals[case.seller];
        let given_baseline;
        let before = if case.given.is_empty() {
            baselines.entry(case.seller).or_insert_with(|| build(&ws, ws_dir.path(), case.seller, original).unwrap())
        } else {
            given_baseline = build(&ws, ws_dir.path(), case.seller, &edit(original, case.given)).unwrap();
            &given_baseline
        };
        let changed = edit(original, &[case.given, case.edits].concat());
        let after = build(&ws, ws_dir.path(), case.seller, &changed);
        let outcome = match (&case.expect, after) {
            (Changes(check), Ok(after)) => check(before, &after),
            (Changes(_), Err(e)) => Err(format!("refused: {e}")),
            (Refused(needles), Err(e)) => {
                let text = e.to_string();
                match needles.iter().find(|n| !text.contains(*n)) {
                    None => Ok(()),
                    Some(n) => Err(format!("refused without naming {n:?}: {text}")),
                }
            }
            (Refused(_), Ok(_)) => Err("issued, expected a refusal".to_string()),
        };
        let pending = PENDING.iter().find(|(k, _)| *k == case.key);
        match (outcome, pending) {
            (Ok(()), None) => {}
            (Ok(()), Some((key, branch))) => pending_passed.push(format!("{key} (pending on {branch})")),
            (Err(why), Some((key, branch))) => eprintln!("pending on {branch}: {key}: {why}"),
            (Err(why), None) => failures.push(format!("{} on {}: {why}", case.key, case.seller)),
        }
    }
    assert!(failures.is_empty(), "keys that do not take effect as they mean:\n{}", failures.join("\n"));
    assert!(pending_passed.is_empty(), "now passing, remove from PENDING: {pending_passed:?}");
}

fn contract_path(ws: &Path, seller: &str) -> std::path::PathBuf {
    ws.join(Workspace::contract_path(seller))
}

/// The statement of `seller` with `contract` as its contract file.
fn build(ws: &Workspace, dir: &Path, seller: &str, contract: &str) -> Result<Statement, kpiseal::error::Error> {
    fs::write(contract_path(dir, seller), contract).unwrap();
    let opts = RunOptions::new(PERIOD.parse().unwrap());
    build_statement(ws, seller, &opts, SigningBlock { key_id: "0000000000000000".into(), demo: true })
}

/// `text` with each (key path, TOML value) edit applied; "" removes the key.
fn edit(text: &str, edits: &[(&str, &str)]) -> String {
    let mut doc: toml::Table = text.parse().unwrap();
    for (path, value) in edits {
        let segments: Vec<&str> = path.split('.').collect();
        let (last, parents) = segments.split_last().unwrap();
        let mut table = &mut doc;
        for segment in parents {
            table = match segment.split_once('[') {
                Some((name, index)) => {
                    let i: usize = index.trim_end_matches(']').parse().unwrap();
                    table.get_mut(name).and_then(|v| v.as_array_mut()).and_then(|a| a.get_mut(i))
                }
                None => Some(table.entry(segment.to_string()).or_insert_with(|| toml::Table::new().into())),
            }
            .and_then(|v| v.as_table_mut())
            .unwrap_or_else(|| panic!("{path}: no table at {segment}"));
        }
        if value.is_empty() {
            assert!(table.remove(*last).is_some(), "{path} is not in the contract");
        } else {
            let parsed: toml::Table = format!("v = {value}").parse().unwrap();
            table.insert(last.to_string(), parsed["v"].clone());
        }
    }
    toml::to_string(&doc).unwrap()
}

// ---- Every key has a case ---------------------------------------------------------------------------------------

/// The demo's Shopify store.
fn shopify() -> Market {
    Market::shopify("loja-mix").unwrap()
}

/// A contract setting every key it accepts (not a valid one: a target with
/// both min and max). No `..`: a new field must be added here to compile.
fn every_key() -> Contract {
    let d = |s: &str| Decimal::from_str(s).unwrap();
    let date = |s: &str| NaiveDate::from_str(s).unwrap();
    Contract {
        seller: SellerTerms {
            id: "s".into(),
            legal_name: "S".into(),
            tax_id: "T".into(),
            language: Language::En,
            settlement_currency: Currency::Usd,
        },
        contract: ContractTerms {
            id: "C".into(),
            start: date("2026-01-01"),
            end: date("2026-12-31"),
            markets: vec![Market::AMAZON_US, Market::MERCADOLIVRE_BR],
            time_zones: [Market::AMAZON_US, Market::MERCADOLIVRE_BR, shopify()]
                .iter()
                .map(|&m| (m, "UTC".to_string()))
                .collect(),
            currencies: BTreeMap::from([(shopify(), Currency::Usd)]),
            allow_missing: vec![Market::AMAZON_US, Market::MERCADOLIVRE_BR],
        },
        kpi: KpiTerms {
            gmv_basis: GmvBasis::Gross,
            include_shipping: true,
            refund_basis: RefundBasis::Count,
            conversion_basis: ConversionBasis::OrderItems,
            targets: vec![Target {
                kpi: KpiId::Gmv,
                market: Some(Market::AMAZON_US),
                min: Some(d("1")),
                max: Some(d("2")),
                alert: Some(d("1.5")),
                step: Some(d("0.1")),
            }],
            gmv_curve: vec![CurvePoint { day: 15, share: d("0.4") }],
        },
        fees: FeeTerms {
            currency: Currency::Usd,
            base_monthly: d("1"),
            tier_mode: TierMode::Whole,
            tiers: vec![Tier { up_to: Some(d("1")), rate: d("0.1") }],
            minimum: Some(d("1")),
            maximum: Some(d("2")),
            vat_rate: d("0.1"),
            rounding: RoundingMode::HalfEven,
            pass_through_markup: Some(d("0.1")),
            bounds_include_markup: Some(true),
            rules: vec![FeeRule {
                kpi: KpiId::Roas,
                market: Some(Market::AMAZON_US),
                op: CompareOp::Ge,
                threshold: d("1"),
                effect: Effect::Bonus,
                percent_of_commission: Some(d("0.1")),
                amount: Some(d("1")),
            }],
        },
        fx: FxTerms { source: "S".into(), rate_date: RateDate::PeriodAverage, max_age_days: 3 },
        costs: CostTerms { allow_late_billed: true },
    }
}

/// Key paths of `value`, array elements as `[]`: `fees.rules[].op`.
fn key_paths(prefix: &str, value: &toml::Value, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                key_paths(&path, v, out);
            }
        }
        toml::Value::Array(items) if items.iter().all(|i| i.is_table()) && !items.is_empty() => {
            for item in items {
                key_paths(&format!("{prefix}[]"), item, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

#[test]
fn every_contract_key_has_a_case() {
    let mut accepted = BTreeSet::new();
    key_paths("", &toml::Value::try_from(every_key()).unwrap(), &mut accepted);
    // The exhaustive contract really is one the parser accepts, key for key.
    let text = toml::to_string(&every_key()).unwrap();
    let parsed: Contract = toml::from_str(&text).unwrap();
    assert_eq!(parsed, every_key());

    let mut covered: BTreeSet<String> = CASES.iter().map(|c| c.key.to_string()).collect();
    for (key, file, test) in PINNED_ELSEWHERE {
        let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        assert!(text.contains(&format!("fn {test}(")), "{key}: {file} has no test {test}");
        covered.insert(key.to_string());
    }
    let missing: Vec<&String> = accepted.difference(&covered).collect();
    assert!(missing.is_empty(), "contract keys without a case in CASES: {missing:?}");
    let unknown: Vec<&String> = covered.difference(&accepted).collect();
    assert!(unknown.is_empty(), "cases for keys the contract does not accept: {unknown:?}");
}

// ---- Reading a statement ----------------------------------------------------------------------------------------

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

fn kpi(s: &Statement, id: KpiId, scope: Scope) -> Result<&Kpi, String> {
    s.kpis.iter().find(|k| k.id == id && k.market == scope).ok_or_else(|| format!("no {id} ({scope:?}) KPI"))
}

fn value(s: &Statement, id: KpiId, scope: Scope) -> Result<Decimal, String> {
    kpi(s, id, scope)?.value.ok_or_else(|| format!("{id} ({scope:?}) has no value"))
}

fn lines(s: &Statement, kind: FeeLineKind) -> Vec<&FeeLine> {
    s.service_fees.lines.iter().filter(|l| l.kind == kind).collect()
}

fn one_line(s: &Statement, kind: FeeLineKind) -> Result<&FeeLine, String> {
    match lines(s, kind).as_slice() {
        [line] => Ok(line),
        other => Err(format!("{} {kind:?} lines: {:?}", other.len(), s.service_fees.lines)),
    }
}

fn round(s: &Statement, value: Decimal, currency: Currency) -> Decimal {
    s.rounding.mode.round_money(value, currency)
}

/// The service-fee lines a minimum or maximum bounds by default.
fn service_lines_sum(s: &Statement) -> Decimal {
    s.service_fees
        .lines
        .iter()
        .filter(|l| {
            matches!(l.kind, FeeLineKind::BaseFee | FeeLineKind::Commission | FeeLineKind::Bonus | FeeLineKind::Penalty)
        })
        .map(|l| l.amount)
        .sum()
}

// ---- What each key means ----------------------------------------------------------------------------------------

fn legal_name_is_the_new_one(b: &Statement, a: &Statement) -> Checked {
    ensure!(a.seller.legal_name == "Sunny Gadgets Ltd", "legal name {:?}", a.seller.legal_name);
    ensure!(a.statement_number == b.statement_number, "the statement number moved");
    Ok(())
}

fn tax_id_is_the_new_one(b: &Statement, a: &Statement) -> Checked {
    ensure!(a.seller.tax_id == "HK BR 11111111" && b.seller.tax_id == "HK BR 73482915", "tax id {:?}", a.seller.tax_id);
    Ok(())
}

fn pdf_is_printed_in_portuguese(b: &Statement, a: &Statement) -> Checked {
    ensure!(a.seller.language == Language::PtBr, "language {:?}", a.seller.language);
    let xmp_title = |s: &Statement| -> Result<String, String> {
        let fonts = Fonts::builtin().map_err(|e| e.to_string())?;
        let pdf = render_pdf(s, &s.to_json(), &RenderOptions { language: s.seller.language, draft: false, fonts })
            .map_err(|e| e.to_string())?;
        // The XMP metadata stream is uncompressed (PDF/A): its dc:title is the localized document title.
        let text = String::from_utf8_lossy(&pdf).into_owned();
        let start = text.find("<dc:title>").ok_or("no dc:title")?;
        let end = text[start..].find("</dc:title>").ok_or("no end of dc:title")? + start;
        Ok(text[start..end].to_string())
    };
    let (before, after) = (xmp_title(b)?, xmp_title(a)?);
    ensure!(before.contains("Statement LX-2026-021"), "English title: {before}");
    ensure!(after.contains("Extrato LX-2026-021") && after.contains("pt-BR"), "Portuguese title: {after}");
    Ok(())
}

fn totals_are_converted_into_cny(b: &Statement, a: &Statement) -> Checked {
    let conv = a.totals.conversion.as_ref().ok_or("no conversion of the totals")?;
    ensure!(a.totals.currency == Currency::Cny && conv.from == Currency::Usd, "{:?}", a.totals);
    ensure!(conv.rate == d("7.1159"), "rate {}", conv.rate);
    let expected = round(a, b.totals.service_fees * conv.rate, Currency::Cny);
    ensure!(a.totals.service_fees == expected, "service fees {} CNY, expected {expected}", a.totals.service_fees);
    ensure!(a.pass_through.currency == Currency::Cny, "pass-through in {:?}", a.pass_through.currency);
    ensure!(a.service_fees.total == b.service_fees.total, "the fees themselves moved");
    Ok(())
}

fn statement_number_carries_the_new_contract_id(_: &Statement, a: &Statement) -> Checked {
    ensure!(a.contract.id == "LX-TEST-1", "{}", a.contract.id);
    ensure!(a.statement_number == "LX-TEST-1-202610-sunny-gadgets", "{}", a.statement_number);
    Ok(())
}

fn term_start_is_printed(b: &Statement, a: &Statement) -> Checked {
    ensure!(a.contract.start.to_string() == "2026-01-01" && b.contract.start.to_string() == "2026-03-01", "start");
    ensure!(a.totals.amount_due == b.totals.amount_due, "a term covering the period either way moved the amount due");
    Ok(())
}

fn term_end_is_printed(b: &Statement, a: &Statement) -> Checked {
    ensure!(a.contract.end.to_string() == "2027-12-31" && b.contract.end.to_string() == "2027-02-28", "end");
    ensure!(a.totals.amount_due == b.totals.amount_due, "a term covering the period either way moved the amount due");
    Ok(())
}

/// Rows and GMV of one market's sales exports in the period.
fn market_rows(s: &Statement, format_prefix: &str) -> usize {
    s.inputs.iter().filter(|i| format!("{:?}", i.format).starts_with(format_prefix)).map(|i| i.rows).sum()
}

fn amazon_rows_move_across_the_month_boundary(b: &Statement, a: &Statement) -> Checked {
    // UTC instead of Los Angeles: rows posted on the evening of 30 September (LA) are 1 October in UTC,
    // rows on the evening of 31 October are 1 November: the settlement files count other rows.
    let (rb, ra) = (market_rows(b, "AmazonSettlement"), market_rows(a, "AmazonSettlement"));
    ensure!(rb != ra, "Amazon settlement rows in the period: {rb} either way");
    let (gb, ga) = (
        value(b, KpiId::Gmv, Scope::Market(Market::AMAZON_US))?,
        value(a, KpiId::Gmv, Scope::Market(Market::AMAZON_US))?,
    );
    ensure!(gb != ga, "Amazon GMV {gb} either way");
    ensure!(
        value(a, KpiId::Gmv, Scope::Market(Market::MERCADOLIVRE_BR))?
            == value(b, KpiId::Gmv, Scope::Market(Market::MERCADOLIVRE_BR))?,
        "ML moved"
    );
    // Every settlement row has a time of day; only the Feedback report's, the
    // Business Report's and the Inventory Ledger's days have none.
    let date_only: Vec<&String> =
        a.notes.iter().filter(|n| n.kind.code() == "time_zone_not_applied").flat_map(|n| &n.at).collect();
    ensure!(
        date_only
            .iter()
            .all(|at| ["/Feedback_", "/BusinessReport-", "/Inventory_Ledger_"].iter().any(|f| at.contains(f))),
        "settlement rows without a time of day: {date_only:?}"
    );
    Ok(())
}

fn date_only_amazon_rows_are_noted(b: &Statement, a: &Statement) -> Checked {
    // The V1 settlement has posted-date only: its rows cannot be re-zoned, and the statement says which.
    ensure!(!b.notes.iter().any(|n| n.kind.code() == "time_zone_not_applied"), "baseline has the note");
    let note = a
        .notes
        .iter()
        .find(|n| n.kind.code() == "time_zone_not_applied" && n.at.iter().any(|at| at.contains("/flat-file-v1-")))
        .ok_or("no time_zone_not_applied note for the V1 settlement")?;
    ensure!(note.class == NoteClass::Data && note.text.contains("time zone UTC cannot be applied"), "{note:?}");
    ensure!(
        note.at.len() == 1 && note.at[0].starts_with("exports/2026-10/sunny-gadgets/flat-file-v1-"),
        "{:?}",
        note.at
    );
    ensure!(market_rows(a, "AmazonSettlementV2") != market_rows(b, "AmazonSettlementV2"), "V2 rows did not move");
    Ok(())
}

fn mercadolivre_rows_move_across_the_month_boundary(b: &Statement, a: &Statement) -> Checked {
    let (rb, ra) = (market_rows(b, "Mercadolivre"), market_rows(a, "Mercadolivre"));
    let (gb, ga) = (
        value(b, KpiId::Gmv, Scope::Market(Market::MERCADOLIVRE_BR))?,
        value(a, KpiId::Gmv, Scope::Market(Market::MERCADOLIVRE_BR))?,
    );
    ensure!(rb != ra || gb != ga, "Mercado Livre rows ({rb}) and GMV ({gb}) the same in Tokyo time");
    ensure!(
        value(a, KpiId::Gmv, Scope::Market(Market::AMAZON_US))?
            == value(b, KpiId::Gmv, Scope::Market(Market::AMAZON_US))?,
        "Amazon moved"
    );
    Ok(())
}

fn gross_gmv_adds_back_the_refunds(b: &Statement, a: &Statement) -> Checked {
    for (m, scope) in [(0, Scope::Market(Market::AMAZON_US)), (1, Scope::Market(Market::MERCADOLIVRE_BR))] {
        let refunds = b.markets[m].refunds.ok_or("no refunds")?;
        let (net, gross) = (value(b, KpiId::Gmv, scope)?, value(a, KpiId::Gmv, scope)?);
        ensure!(gross == net + refunds, "{scope:?}: gross {gross} is not net {net} + refunds {refunds}");
        ensure!(kpi(a, KpiId::Gmv, scope)?.definition_key == "gmv.gross.excluding_shipping", "definition");
    }
    ensure!(a.commission_base.total > b.commission_base.total, "the commission base did not grow");
    Ok(())
}

fn gmv_includes_shipping(b: &Statement, a: &Statement) -> Checked {
    let (without, with) = (
        value(b, KpiId::Gmv, Scope::Market(Market::AMAZON_US))?,
        value(a, KpiId::Gmv, Scope::Market(Market::AMAZON_US))?,
    );
    ensure!(with > without, "Amazon GMV with shipping {with} is not above {without}");
    let key = &kpi(a, KpiId::Gmv, Scope::All)?.definition_key;
    ensure!(key == "gmv.net_of_refunds.including_shipping", "definition {key}");
    Ok(())
}

fn refund_rate_counts_value(b: &Statement, a: &Statement) -> Checked {
    let k = kpi(a, KpiId::RefundRate, Scope::All)?;
    ensure!(k.definition_key.starts_with("refund_rate.value"), "definition {}", k.definition_key);
    ensure!(kpi(b, KpiId::RefundRate, Scope::All)?.definition_key == "refund_rate.count", "baseline definition");
    ensure!(k.value != kpi(b, KpiId::RefundRate, Scope::All)?.value, "the same refund rate by count and by value");
    Ok(())
}

fn conversion_rate_counts_order_items(b: &Statement, a: &Statement) -> Checked {
    let k = kpi(a, KpiId::ConversionRate, Scope::All)?;
    ensure!(k.definition_key == "conversion_rate.order_items", "definition {}", k.definition_key);
    ensure!(
        kpi(b, KpiId::ConversionRate, Scope::All)?.definition_key == "conversion_rate.units",
        "baseline definition"
    );
    let (after, before) = (k.value, kpi(b, KpiId::ConversionRate, Scope::All)?.value);
    ensure!(after.is_some() && after < before, "order items {after:?} are fewer than units {before:?}");
    Ok(())
}

fn target_moves_from_acos_to_tacos(b: &Statement, a: &Statement) -> Checked {
    ensure!(kpi(b, KpiId::Acos, Scope::All)?.target.is_some(), "baseline has no ACoS target");
    ensure!(kpi(a, KpiId::Acos, Scope::All)?.status == Status::NoTarget, "ACoS still has a target");
    let tacos = kpi(a, KpiId::Tacos, Scope::All)?;
    ensure!(
        tacos.target == Some(Bound::Max { value: d("0.35"), alert: Some(d("0.30")) }) && tacos.status == Status::Met,
        "TACoS {:?} {:?}",
        tacos.target,
        tacos.status
    );
    Ok(())
}

fn dispute_target_moves_to_mercadolivre(b: &Statement, a: &Statement) -> Checked {
    ensure!(kpi(b, KpiId::DisputeRate, Scope::All)?.status == Status::Missed, "baseline overall dispute rate");
    ensure!(kpi(a, KpiId::DisputeRate, Scope::All)?.status == Status::NoTarget, "overall still has the target");
    let ml = kpi(a, KpiId::DisputeRate, Scope::Market(Market::MERCADOLIVRE_BR))?;
    ensure!(ml.target.is_some() && ml.status == Status::Missed, "ML dispute rate {:?} {:?}", ml.value, ml.status);
    ensure!(
        kpi(a, KpiId::DisputeRate, Scope::Market(Market::AMAZON_US))?.status == Status::NoTarget,
        "Amazon got the target"
    );
    Ok(())
}

fn gmv_target_above_gmv_is_missed(b: &Statement, a: &Statement) -> Checked {
    ensure!(kpi(b, KpiId::Gmv, Scope::Market(Market::AMAZON_US))?.status == Status::Met, "baseline");
    let k = kpi(a, KpiId::Gmv, Scope::Market(Market::AMAZON_US))?;
    ensure!(k.status == Status::Missed && k.target == Some(Bound::Min { value: d("160000.00"), alert: None }), "{k:?}");
    Ok(())
}

fn dispute_limit_above_the_rate_is_no_longer_missed(b: &Statement, a: &Statement) -> Checked {
    ensure!(kpi(b, KpiId::DisputeRate, Scope::All)?.status == Status::Missed, "baseline");
    let k = kpi(a, KpiId::DisputeRate, Scope::All)?;
    // 0.0207: under the 0.03 limit, over the 0.008 alert.
    ensure!(k.status == Status::Alert, "{:?} {:?}", k.value, k.status);
    Ok(())
}

/// `step` paces alerts between month ends (`check --as-of`, tests/as_of.rs):
/// the statement's KPIs, statuses and fees stay exactly as they were.
fn step_is_read_by_alerts_only(b: &Statement, a: &Statement) -> Checked {
    let json = |s: &Statement| serde_json::to_string(&(&s.kpis, &s.service_fees, &s.totals)).map_err(|e| e.to_string());
    ensure!(json(a)? == json(b)?, "the statement moved");
    Ok(())
}

fn dispute_alert_above_the_rate_is_met(b: &Statement, a: &Statement) -> Checked {
    ensure!(kpi(b, KpiId::DisputeRate, Scope::All)?.status == Status::Alert, "baseline");
    let k = kpi(a, KpiId::DisputeRate, Scope::All)?;
    ensure!(k.status == Status::Met, "{:?} {:?}", k.value, k.status);
    Ok(())
}

fn fees_are_computed_in_cny(b: &Statement, a: &Statement) -> Checked {
    ensure!(a.service_fees.currency == Currency::Cny && a.commission_base.currency == Currency::Cny, "currency");
    let line = &a.commission_base.lines[0];
    ensure!(line.fx_rate == d("7.1159"), "commission base rate {}", line.fx_rate);
    let expected = round(a, b.commission_base.total * d("7.1159"), Currency::Cny);
    ensure!(
        a.commission_base.total == expected,
        "commission base {} CNY, expected {expected}",
        a.commission_base.total
    );
    let conv = a.totals.conversion.as_ref().ok_or("service fees not converted into the USD settlement currency")?;
    ensure!(conv.from == Currency::Cny && conv.to == Currency::Usd, "{conv:?}");
    Ok(())
}

fn base_fee_line_is_9000(b: &Statement, a: &Statement) -> Checked {
    ensure!(one_line(a, FeeLineKind::BaseFee)?.amount == d("9000.00"), "base fee line");
    let diff = a.service_fees.subtotal - b.service_fees.subtotal;
    ensure!(diff == d("1000.00"), "subtotal moved by {diff}");
    Ok(())
}

fn marginal_tiers_split_the_base(_: &Statement, a: &Statement) -> Checked {
    let tiers: Vec<_> = lines(a, FeeLineKind::Commission).iter().map(|l| (l.base, l.rate, l.amount)).collect();
    let expected =
        vec![(Some(d("10000.00")), Some(d("0.08")), d("800.00")), (Some(d("6097.15")), Some(d("0.06")), d("365.83"))];
    ensure!(tiers == expected, "{tiers:?}");
    Ok(())
}

fn whole_base_falls_in_the_first_tier(_: &Statement, a: &Statement) -> Checked {
    let l = one_line(a, FeeLineKind::Commission)?;
    ensure!(l.tier == Some(1) && l.rate == Some(d("0.08")) && l.amount == d("1287.77"), "{l:?}");
    Ok(())
}

fn commission_is_charged_at_7_percent(_: &Statement, a: &Statement) -> Checked {
    let l = one_line(a, FeeLineKind::Commission)?;
    ensure!(l.rate == Some(d("0.07")) && l.amount == d("1126.80"), "{l:?}");
    Ok(())
}

fn service_lines_are_raised_to_2000(_: &Statement, a: &Statement) -> Checked {
    let adj = one_line(a, FeeLineKind::MinimumAdjustment)?;
    ensure!(service_lines_sum(a) + adj.amount == d("2000.00"), "{:?}", a.service_fees.lines);
    ensure!(adj.amount == d("385.88"), "adjustment {}", adj.amount);
    Ok(())
}

fn service_lines_are_lowered_to_3500(_: &Statement, a: &Statement) -> Checked {
    let adj = one_line(a, FeeLineKind::MaximumAdjustment)?;
    ensure!(adj.amount == d("-749.02") && a.service_fees.subtotal == d("3500.00"), "{:?}", a.service_fees.lines);
    Ok(())
}

fn tax_is_6_percent_of_the_subtotal(b: &Statement, a: &Statement) -> Checked {
    ensure!(b.service_fees.tax == d("0.00"), "baseline tax");
    let expected = round(a, a.service_fees.subtotal * d("0.06"), Currency::Usd);
    ensure!(a.service_fees.tax == expected && a.totals.tax == expected, "tax {}", a.service_fees.tax);
    ensure!(a.service_fees.subtotal == b.service_fees.subtotal, "the subtotal moved");
    Ok(())
}

fn half_cent_tie_rounds_to_even(b: &Statement, a: &Statement) -> Checked {
    ensure!(one_line(b, FeeLineKind::BaseFee)?.amount == d("8000.01"), "half_up baseline");
    ensure!(one_line(a, FeeLineKind::BaseFee)?.amount == d("8000.00"), "half_even base fee");
    ensure!(a.rounding.mode == RoundingMode::HalfEven && a.rounding.rule != b.rounding.rule, "printed rule");
    Ok(())
}

fn markup_is_10_percent_of_pass_through(_: &Statement, a: &Statement) -> Checked {
    let l = one_line(a, FeeLineKind::HandlingMarkup)?;
    let expected = round(a, a.pass_through.total * d("0.10"), Currency::Usd);
    ensure!(l.rate == Some(d("0.10")) && l.amount == expected, "{l:?}");
    Ok(())
}

fn markup_fills_the_minimum(b: &Statement, a: &Statement) -> Checked {
    ensure!(one_line(b, FeeLineKind::MinimumAdjustment)?.amount == d("185.88"), "baseline adjustment");
    ensure!(lines(a, FeeLineKind::MinimumAdjustment).is_empty(), "still adjusted: {:?}", a.service_fees.lines);
    let bounds = a.service_fees.bounds.as_ref().ok_or("no bounds printed")?;
    ensure!(bounds.bounded.contains(&FeeLineKind::HandlingMarkup) && bounds.outside.is_empty(), "{bounds:?}");
    ensure!(a.service_fees.subtotal == b.service_fees.subtotal - d("185.88"), "subtotal {}", a.service_fees.subtotal);
    let choice = a.notes.iter().find(|n| n.kind.code() == "markup_inside_fee_limits").ok_or("no choice note")?;
    ensure!(choice.class == NoteClass::Choice && choice.text.contains("(USD 2,257.81)"), "{choice:?}");
    ensure!(!b.notes.iter().any(|n| n.kind.code() == "markup_inside_fee_limits"), "baseline has the choice note");
    Ok(())
}

fn bonus_is_triggered_by_tacos(_: &Statement, a: &Statement) -> Checked {
    let t = one_line(a, FeeLineKind::Bonus)?.trigger.clone().ok_or("no trigger")?;
    ensure!(t.kpi == KpiId::Tacos && t.value == value(a, KpiId::Tacos, Scope::All)?, "{t:?}");
    Ok(())
}

fn bonus_reads_the_amazon_figure(_: &Statement, a: &Statement) -> Checked {
    let outcome = &a.service_fees.rules[0];
    ensure!(outcome.market == Some(Market::AMAZON_US), "{outcome:?}");
    ensure!(outcome.value == Some(value(a, KpiId::Acos, Scope::Market(Market::AMAZON_US))?), "{outcome:?}");
    let t = one_line(a, FeeLineKind::Bonus)?.trigger.clone().ok_or("no trigger")?;
    ensure!(t.market == Some(Market::AMAZON_US), "{t:?}");
    Ok(())
}

fn bonus_no_longer_applies(b: &Statement, a: &Statement) -> Checked {
    ensure!(b.service_fees.rules[0].applied, "baseline bonus");
    ensure!(!a.service_fees.rules[0].applied && lines(a, FeeLineKind::Bonus).is_empty(), "bonus still applied");
    Ok(())
}

fn bonus_becomes_a_penalty(b: &Statement, a: &Statement) -> Checked {
    let bonus = one_line(b, FeeLineKind::Bonus)?.amount;
    ensure!(lines(a, FeeLineKind::Bonus).is_empty(), "bonus still there");
    ensure!(one_line(a, FeeLineKind::Penalty)?.amount == -bonus, "penalty is not -{bonus}");
    ensure!(a.service_fees.rules[0].effect == Effect::Penalty, "outcome effect");
    Ok(())
}

fn bonus_is_10_percent_of_commission(_: &Statement, a: &Statement) -> Checked {
    let l = one_line(a, FeeLineKind::Bonus)?;
    ensure!(
        l.rate == Some(d("0.10")) && l.amount == round(a, a.service_fees.commission * d("0.10"), Currency::Usd),
        "{l:?}"
    );
    Ok(())
}

fn bonus_is_a_fixed_100(_: &Statement, a: &Statement) -> Checked {
    let l = one_line(a, FeeLineKind::Bonus)?;
    ensure!(l.amount == d("100.00") && l.rate.is_none(), "{l:?}");
    Ok(())
}

fn fx_source_is_printed(b: &Statement, a: &Statement) -> Checked {
    let fx = a.contract.fx.as_ref().ok_or("no FX terms on the statement")?;
    ensure!(fx.source == "BCB PTAX and PBoC central parity, as agreed", "{fx:?}");
    ensure!(b.contract.fx.as_ref().is_some_and(|f| f.source == "PBoC central parity / BCB PTAX"), "baseline");
    ensure!(a.totals.amount_due == b.totals.amount_due, "the same rates gave another amount");
    Ok(())
}

fn rates_from_an_unnamed_source_are_noted(b: &Statement, a: &Statement) -> Checked {
    let note = a.notes.iter().find(|n| n.kind.code() == "fx_source_not_named").ok_or("no fx.source note")?;
    ensure!(note.class == NoteClass::Data && note.text.contains("USD/CNY 7.1159"), "{note:?}");
    ensure!(!b.notes.iter().any(|n| n.kind.code() == "fx_source_not_named"), "baseline noted");
    ensure!(a.totals.amount_due == b.totals.amount_due, "the same rates gave another amount");
    Ok(())
}

fn rates_are_period_averages(b: &Statement, a: &Statement) -> Checked {
    ensure!(a.contract.fx.as_ref().is_some_and(|f| f.rate_date == RateDate::PeriodAverage), "printed rule");
    for q in &a.fx {
        for leg in &q.legs {
            ensure!(matches!(leg.basis, FxRateBasis::Average { .. }), "{}/{}: {:?}", leg.base, leg.quote, leg.basis);
        }
    }
    ensure!(a.commission_base.lines[0].fx_rate != b.commission_base.lines[0].fx_rate, "the same USD/CNY rate");
    ensure!(a.commission_base.total != b.commission_base.total, "the same commission base");
    Ok(())
}
