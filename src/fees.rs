//! The service-fee engine: a contract's [`FeeTerms`], the month's commission
//! base and KPI values in, the statement's fee lines out.
//!
//! Pure `rust_decimal` arithmetic: no I/O, no polars, no `f64`. Every line is
//! rounded to the fee currency's minor unit with the contract's rounding mode
//! and every total is a sum of rounded lines, so the printed lines add up.
//!
//! The order of the lines is the order of the computation: base fee,
//! commission (one line per tier), each applied bonus/penalty rule in
//! contract order, at most one minimum or maximum adjustment of those lines
//! ([`crate::fee_bounds`]), then the handling markup on pass-through costs,
//! which is outside the bounds. With `fees.bounds_include_markup = true` the
//! markup comes before the adjustment and is bounded with the rest. Tax is a
//! separate figure, not a line.
//!
//! Pass-through costs themselves are not service fees and never appear here;
//! only the handling markup on them does (DOMAIN.md, "Fees").

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contract::{CompareOp, Effect, FeeRule, FeeTerms, Tier, TierMode};
use crate::fee_bounds::{self, FeeBounds};
use crate::kpi_id::KpiId;
use crate::market::Market;
use crate::money::{Currency, RoundingMode};

/// One KPI value as printed on the statement's scorecard; fee rules compare
/// against exactly this value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiReading {
    pub kpi: KpiId,
    /// `None` is the seller's overall figure.
    pub market: Option<Market>,
    /// `None` means "no data" (never read as zero).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    /// Why there is no data, e.g. "no Sponsored Products report for the period".
    pub no_data_reason: Option<String>,
    /// The markets the value is made of (`kpi::Kpi::covers`); a rule on the
    /// reading names them. Empty when not known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<Market>,
}

impl KpiReading {
    /// A reading with a value.
    pub fn value(kpi: KpiId, market: Option<Market>, value: Decimal) -> Self {
        KpiReading { kpi, market, value: Some(value), no_data_reason: None, covers: Vec::new() }
    }

    /// A reading without data, saying why.
    pub fn no_data(kpi: KpiId, market: Option<Market>, reason: impl Into<String>) -> Self {
        KpiReading { kpi, market, value: None, no_data_reason: Some(reason.into()), covers: Vec::new() }
    }
}

/// Everything the fee engine needs for one seller and period.
#[derive(Debug, Clone, Copy)]
pub struct FeeInputs<'a> {
    pub terms: &'a FeeTerms,
    /// GMV commission base, already in the fee currency and rounded to its minor unit.
    pub commission_base: Decimal,
    /// KPI values as printed on the statement (rules compare against these); market None = overall.
    pub kpis: &'a [KpiReading],
    /// Pass-through costs total in the fee currency (only for the handling markup; never in the commission base).
    pub pass_through_total: Decimal,
}

/// The service-fee section of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceFees {
    pub currency: Currency,
    pub rounding: RoundingMode,
    pub tier_mode: TierMode,
    /// The GMV commission base as given.
    #[serde(with = "rust_decimal::serde::str")]
    pub commission_base: Decimal,
    /// Sum of the rounded commission lines: what `percent_of_commission` rules take a share of.
    #[serde(with = "rust_decimal::serde::str")]
    pub commission: Decimal,
    /// In computation order; see the module documentation.
    pub lines: Vec<FeeLine>,
    /// One outcome per contract rule, in contract order, applied or not.
    pub rules: Vec<RuleOutcome>,
    /// Which lines the contract's minimum and maximum bound; `None` when it
    /// sets neither (and in statements written before this field existed).
    #[serde(default)]
    pub bounds: Option<FeeBounds>,
    /// Sum of `lines[].amount`, exactly.
    #[serde(with = "rust_decimal::serde::str")]
    pub subtotal: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub tax_rate: Decimal,
    /// `subtotal × tax_rate`, rounded like a line.
    #[serde(with = "rust_decimal::serde::str")]
    pub tax: Decimal,
    /// `subtotal + tax`, exactly.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
}

/// One printed service-fee line. `amount` is already rounded to the currency's
/// minor unit; `base × rate` (when both are set) is the unrounded figure it
/// came from. The PDF localises from the structured fields; `description` is
/// the English wording for logs and the JSON reader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeeLine {
    pub kind: FeeLineKind,
    pub description: String,
    /// The 1-based commission tier of a commission line.
    pub tier: Option<usize>,
    /// What the rate applies to: the tier's part of GMV, the commission, the
    /// pass-through total, or (for min/max adjustments) the fees before adjustment.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub base: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub rate: Option<Decimal>,
    /// Positive for charges, negative for penalties and maximum adjustments.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The KPI value that triggered a bonus or penalty line.
    pub trigger: Option<RuleTrigger>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeLineKind {
    BaseFee,
    Commission,
    Bonus,
    Penalty,
    MinimumAdjustment,
    MaximumAdjustment,
    HandlingMarkup,
}

/// Why a bonus or penalty line exists: `value op threshold` held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleTrigger {
    /// Index of the rule in the contract's `fees.rules`.
    pub rule_index: usize,
    pub kpi: KpiId,
    pub market: Option<Market>,
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
    /// Serialized as the symbol, e.g. `">="`.
    pub op: CompareOp,
    #[serde(with = "rust_decimal::serde::str")]
    pub threshold: Decimal,
    /// The markets `value` is made of, as the scorecard says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<Market>,
}

/// What became of one contract rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleOutcome {
    /// Index of the rule in the contract's `fees.rules`.
    pub index: usize,
    pub kpi: KpiId,
    pub market: Option<Market>,
    pub effect: Effect,
    pub op: CompareOp,
    #[serde(with = "rust_decimal::serde::str")]
    pub threshold: Decimal,
    /// The KPI value compared, `None` when there was no data.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    pub applied: bool,
    /// The signed line amount when applied.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub amount: Option<Decimal>,
    /// English explanation: the comparison that held or did not, or `no data: …`.
    pub reason: String,
    /// The markets the compared value is made of, as the scorecard says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<Market>,
}

/// Computes the service fees of one period.
///
/// Promises, for any `inputs` (validated contract or not):
/// - every line amount, the subtotal, the tax and the total carry exactly the
///   fee currency's minor digits and were rounded with `terms.rounding`;
/// - `subtotal` is exactly the sum of the line amounts and `total` exactly
///   `subtotal + tax`;
/// - with a `minimum` the lines it bounds (base fee, commission and
///   bonus/penalty lines, plus the handling markup only with
///   `bounds_include_markup = true`) and the adjustment sum to at least it,
///   with a `maximum` to at most it (each rounded to the minor unit first);
///   there is at most one adjustment line, and if an unvalidated contract
///   sets `minimum > maximum` the maximum wins; `bounds` says which lines
///   were bounded and their sum before adjustment;
/// - `rules` holds one outcome per contract rule, in order, and each applied
///   rule has exactly one bonus/penalty line.
///
/// Choices where the contract is silent:
/// - A zero or negative commission base earns no commission (no line, not a
///   negative commission): a month of net refunds does not make the provider
///   owe commission back. Percent-of-commission rules then apply to 0.00.
/// - The last tier is unbounded even if it names an `up_to`; a non-last tier
///   without `up_to` (rejected by validation) is unbounded and ends the table.
/// - A rule looks up the first reading with the same KPI and market; a rule
///   without a market reads the overall figure only, never a market's.
/// - An applied rule always gets its line, even when its amount rounds to 0.00,
///   so every applied rule is visible on the statement.
/// - The handling markup is skipped when the markup or the pass-through total
///   is zero; a negative pass-through total (credits) gives a negative markup.
/// - Fees are not floored at zero: a penalty larger than the rest gives a
///   negative subtotal (and tax) unless the contract sets a minimum.
///
/// # Panics
/// Only on `Decimal` overflow, i.e. amounts beyond ~7.9 × 10²⁸.
pub fn compute_service_fees(inputs: &FeeInputs) -> ServiceFees {
    compute_prorated_service_fees(inputs, None)
}

/// The days of a period a contract term covers, when it covers only part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermDays {
    /// Days of the period inside the term (at least 1).
    pub covered: u32,
    /// Days in the period.
    pub period: u32,
}

/// [`compute_service_fees`] for a period the contract term covers only in
/// part (`term`; `None` is the whole period): the base fee line is
/// `base_monthly × covered / period`, rounded like every line, with
/// `base_monthly` as its base and `covered / period` as its rate. Nothing
/// else changes here: the commission follows from the commission base,
/// which the caller limits to sales inside the term.
pub fn compute_prorated_service_fees(inputs: &FeeInputs, term: Option<TermDays>) -> ServiceFees {
    let terms = inputs.terms;
    let currency = terms.currency;
    let mode = terms.rounding;
    let round = |d: Decimal| unsigned_zero(mode.round_money(d, currency));
    let mut lines = Vec::new();

    if !terms.base_monthly.is_zero() {
        lines.push(base_fee_line(terms.base_monthly, term, round));
    }

    let commission_lines = commission_lines(terms.tier_mode, &terms.tiers, inputs.commission_base, round);
    let commission = sum(&commission_lines, currency);
    lines.extend(commission_lines);

    let mut rules = Vec::with_capacity(terms.rules.len());
    for (index, rule) in terms.rules.iter().enumerate() {
        let (outcome, line) = apply_rule(index, rule, inputs.kpis, commission, round);
        rules.push(outcome);
        lines.extend(line);
    }

    // The minimum and maximum bound the lines so far, and the markup only
    // when the contract says so (crate::fee_bounds).
    let markup = markup_line(terms, inputs.pass_through_total, round);
    let markup_inside = fee_bounds::includes_markup(terms);
    if markup_inside {
        lines.extend(markup.clone());
    }
    let bounds = fee_bounds::bound(terms, &lines, round).map(|(bounds, adjustment)| {
        lines.extend(adjustment);
        bounds
    });
    if !markup_inside {
        lines.extend(markup);
    }

    let subtotal = sum(&lines, currency);
    let tax = round(subtotal * terms.vat_rate);
    ServiceFees {
        currency,
        rounding: mode,
        tier_mode: terms.tier_mode,
        commission_base: inputs.commission_base,
        commission,
        lines,
        rules,
        bounds,
        subtotal,
        tax_rate: terms.vat_rate,
        tax,
        total: unsigned_zero(subtotal + tax),
    }
}

/// The base fee line: the whole monthly fee, or its share of the days the
/// term covers (multiplied before dividing, so the one rounding is last).
fn base_fee_line(monthly: Decimal, term: Option<TermDays>, round: impl Fn(Decimal) -> Decimal) -> FeeLine {
    match term {
        Some(TermDays { covered, period }) if covered < period && period > 0 => {
            let (covered_d, period_d) = (Decimal::from(covered), Decimal::from(period));
            FeeLine {
                kind: FeeLineKind::BaseFee,
                description: format!(
                    "Base monthly fee {} × {covered}/{period} days of the period in the contract term",
                    group(monthly)
                ),
                tier: None,
                base: Some(monthly),
                rate: Some(covered_d / period_d),
                amount: round(monthly * covered_d / period_d),
                trigger: None,
            }
        }
        _ => FeeLine {
            kind: FeeLineKind::BaseFee,
            description: "Base monthly fee".to_string(),
            tier: None,
            base: None,
            rate: None,
            amount: round(monthly),
            trigger: None,
        },
    }
}

/// The handling markup line: `pass_through_total × fees.pass_through_markup`,
/// rounded; none when the contract has no markup or either figure is zero.
fn markup_line(terms: &FeeTerms, pass_through_total: Decimal, round: impl Fn(Decimal) -> Decimal) -> Option<FeeLine> {
    let markup = terms.pass_through_markup.filter(|m| !m.is_zero())?;
    if pass_through_total.is_zero() {
        return None;
    }
    Some(FeeLine {
        kind: FeeLineKind::HandlingMarkup,
        description: format!("Handling markup: pass-through costs {} × {}", group(pass_through_total), percent(markup)),
        tier: None,
        base: Some(pass_through_total),
        rate: Some(markup),
        amount: round(pass_through_total * markup),
        trigger: None,
    })
}

/// The commission lines for `base` under `tiers` (see [`compute_service_fees`]
/// for the treatment of non-positive bases and irregular tables).
fn commission_lines(mode: TierMode, tiers: &[Tier], base: Decimal, round: impl Fn(Decimal) -> Decimal) -> Vec<FeeLine> {
    let mut lines = Vec::new();
    if base <= Decimal::ZERO || tiers.is_empty() {
        return lines;
    }
    let last = tiers.len() - 1;
    // The tier's upper bound, inclusive; `None` = unbounded.
    let cap = |i: usize| if i == last { None } else { tiers[i].up_to };
    match mode {
        TierMode::Marginal => {
            let mut lower = Decimal::ZERO;
            for (i, tier) in tiers.iter().enumerate() {
                let top = cap(i).map_or(base, |u| base.min(u));
                let part = top - lower;
                if part > Decimal::ZERO {
                    lines.push(FeeLine {
                        kind: FeeLineKind::Commission,
                        description: format!("Commission tier {}: {} × {}", i + 1, group(part), percent(tier.rate)),
                        tier: Some(i + 1),
                        base: Some(part),
                        rate: Some(tier.rate),
                        amount: round(part * tier.rate),
                        trigger: None,
                    });
                }
                match cap(i) {
                    // `max` keeps an out-of-order table from counting a part twice.
                    Some(u) => lower = lower.max(u),
                    None => break,
                }
                if lower >= base {
                    break;
                }
            }
        }
        TierMode::Whole => {
            let i = (0..tiers.len()).find(|&i| cap(i).is_none_or(|u| base <= u)).unwrap_or(last);
            let rate = tiers[i].rate;
            lines.push(FeeLine {
                kind: FeeLineKind::Commission,
                description: format!("Commission (whole base, tier {}): {} × {}", i + 1, group(base), percent(rate)),
                tier: Some(i + 1),
                base: Some(base),
                rate: Some(rate),
                amount: round(base * rate),
                trigger: None,
            });
        }
    }
    lines
}

/// Evaluates one rule against the readings; returns its outcome and, if it
/// applied, its line. The rule compares the reading's value as printed on
/// the scorecard (for a statement, `kpi::printed_ratio` makes that compare
/// with the threshold exactly as the unrounded value does) and carries the
/// markets the reading covers.
fn apply_rule(
    index: usize,
    rule: &FeeRule,
    kpis: &[KpiReading],
    commission: Decimal,
    round: impl Fn(Decimal) -> Decimal,
) -> (RuleOutcome, Option<FeeLine>) {
    let reading = kpis.iter().find(|r| r.kpi == rule.kpi && r.market == rule.market);
    let covers = reading.map(|r| r.covers.clone()).unwrap_or_default();
    // A rule on an overall figure names the markets that figure is made of.
    let label = match rule.market {
        Some(m) => format!("{} ({m})", rule.kpi),
        None if !covers.is_empty() => {
            let ids: Vec<&str> = covers.iter().map(|m| m.id()).collect();
            format!("{} (overall of {})", rule.kpi, ids.join(", "))
        }
        None => rule.kpi.to_string(),
    };
    let scope = match rule.market {
        Some(m) => format!("{} ({m})", rule.kpi),
        None => format!("{} (overall)", rule.kpi),
    };
    let mut outcome = RuleOutcome {
        index,
        kpi: rule.kpi,
        market: rule.market,
        effect: rule.effect,
        op: rule.op,
        threshold: rule.threshold,
        value: None,
        applied: false,
        amount: None,
        reason: String::new(),
        covers,
    };
    let value = match reading {
        None => {
            outcome.reason = format!("no data: no reading for {scope}");
            return (outcome, None);
        }
        Some(KpiReading { value: None, no_data_reason, .. }) => {
            outcome.reason = match no_data_reason.as_deref().map(str::trim) {
                Some(why) if !why.is_empty() => format!("no data: {why}"),
                _ => format!("no data: {scope} has no value"),
            };
            return (outcome, None);
        }
        Some(KpiReading { value: Some(v), .. }) => *v,
    };
    outcome.value = Some(value);
    let comparison = format!("{label} {value} {} {}", rule.op.symbol(), rule.threshold);
    if !rule.op.holds(value, rule.threshold) {
        outcome.reason = format!("{label} {value} is not {} {}", rule.op.symbol(), rule.threshold);
        return (outcome, None);
    }

    // Validation guarantees exactly one of the two; an unvalidated rule with
    // both takes the percentage, with neither applies 0.
    let (base, rate, magnitude, how) = match (rule.percent_of_commission, rule.amount) {
        (Some(p), _) => (
            Some(commission),
            Some(p),
            round(commission * p),
            format!("{} of commission {}", percent(p), group(commission)),
        ),
        (None, amount) => {
            let a = round(amount.unwrap_or_default());
            (None, None, a, format!("fixed {}", group(a)))
        }
    };
    let (kind, word, amount) = match rule.effect {
        Effect::Bonus => (FeeLineKind::Bonus, "Bonus", magnitude),
        Effect::Penalty => (FeeLineKind::Penalty, "Penalty", unsigned_zero(-magnitude)),
    };
    outcome.applied = true;
    outcome.amount = Some(amount);
    outcome.reason = format!("{comparison}: {} {}", word.to_lowercase(), group(amount));
    let line = FeeLine {
        kind,
        description: format!("{word}: {comparison}, {how}"),
        tier: None,
        base,
        rate,
        amount,
        trigger: Some(RuleTrigger {
            rule_index: index,
            kpi: rule.kpi,
            market: rule.market,
            value,
            op: rule.op,
            threshold: rule.threshold,
            covers: outcome.covers.clone(),
        }),
    };
    (outcome, Some(line))
}

/// Zero without a minus sign: rust_decimal keeps the sign of `-0.00` (from
/// negating a zero penalty or rounding −0.001), which would print as `-0.00`.
pub(crate) fn unsigned_zero(mut value: Decimal) -> Decimal {
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    value
}

/// Sum of the line amounts, carrying the currency's minor digits even when empty.
pub(crate) fn sum(lines: &[FeeLine], currency: Currency) -> Decimal {
    unsigned_zero(lines.iter().fold(Decimal::new(0, currency.minor_digits()), |acc, l| acc + l.amount))
}

/// `1234567.8` → `1,234,567.80`: thousands grouped, at least two decimals
/// (more if the value has them; nothing is rounded here).
pub(crate) fn group(value: Decimal) -> String {
    let mut v = value;
    if v.scale() < 2 {
        v.rescale(2);
    }
    let text = v.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    if v.is_sign_negative() && !v.is_zero() {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// `0.03` → `3%`, `0.025` → `2.5%`.
fn percent(rate: Decimal) -> String {
    format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;
    use crate::contract::Contract;

    const EXAMPLE: &str = include_str!("../fixtures/contracts/domain-example.toml");

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn example() -> FeeTerms {
        Contract::parse("domain-example.toml", EXAMPLE).unwrap().fees
    }

    /// Terms with nothing but the given tiers: no base fee, rules, bounds or tax.
    fn bare(mode: TierMode, tiers: &[(Option<&str>, &str)]) -> FeeTerms {
        FeeTerms {
            currency: Currency::Cny,
            base_monthly: Decimal::ZERO,
            tier_mode: mode,
            tiers: tiers.iter().map(|(up_to, rate)| Tier { up_to: up_to.map(d), rate: d(rate) }).collect(),
            minimum: None,
            maximum: None,
            vat_rate: Decimal::ZERO,
            rounding: RoundingMode::HalfUp,
            pass_through_markup: None,
            bounds_include_markup: None,
            rules: Vec::new(),
        }
    }

    fn run(terms: &FeeTerms, base: &str, kpis: &[KpiReading]) -> ServiceFees {
        let fees = compute_service_fees(&FeeInputs {
            terms,
            commission_base: d(base),
            kpis,
            pass_through_total: Decimal::ZERO,
        });
        assert_adds_up(&fees);
        fees
    }

    #[test]
    fn a_term_covering_part_of_the_period_prorates_the_base_fee_by_days() {
        let mut terms = bare(TierMode::Marginal, &[(None, "0.03")]);
        terms.base_monthly = d("8000.00");
        let inputs =
            FeeInputs { terms: &terms, commission_base: d("1000.00"), kpis: &[], pass_through_total: Decimal::ZERO };
        let fees = compute_prorated_service_fees(&inputs, Some(TermDays { covered: 17, period: 31 }));
        assert_adds_up(&fees);
        let base = &fees.lines[0];
        assert_eq!(base.kind, FeeLineKind::BaseFee);
        // 8000 × 17 / 31 = 4387.0967… → 4387.10
        assert_eq!(base.amount.to_string(), "4387.10");
        assert_eq!(base.base, Some(d("8000.00")));
        assert_eq!(base.rate, Some(Decimal::from(17) / Decimal::from(31)));
        assert_eq!(base.description, "Base monthly fee 8,000.00 × 17/31 days of the period in the contract term");
        assert_eq!(fees.commission.to_string(), "30.00", "the commission is untouched here");
    }

    #[test]
    fn a_term_covering_the_whole_period_bills_the_whole_base_fee() {
        let terms = example();
        let inputs = FeeInputs { terms: &terms, commission_base: d("0"), kpis: &[], pass_through_total: Decimal::ZERO };
        let whole = compute_prorated_service_fees(&inputs, Some(TermDays { covered: 31, period: 31 }));
        assert_eq!(whole, compute_service_fees(&inputs));
        assert_eq!(whole.lines[0].amount.to_string(), "8000.00");
        assert_eq!((whole.lines[0].base, whole.lines[0].rate), (None, None));
    }

    fn roas(v: &str) -> KpiReading {
        KpiReading::value(KpiId::Roas, None, d(v))
    }

    fn dispute(v: &str) -> KpiReading {
        KpiReading::value(KpiId::DisputeRate, None, d(v))
    }

    fn kinds(fees: &ServiceFees) -> Vec<FeeLineKind> {
        fees.lines.iter().map(|l| l.kind).collect()
    }

    fn amounts(fees: &ServiceFees) -> Vec<String> {
        fees.lines.iter().map(|l| l.amount.to_string()).collect()
    }

    fn line(fees: &ServiceFees, kind: FeeLineKind) -> &FeeLine {
        fees.lines.iter().find(|l| l.kind == kind).unwrap_or_else(|| panic!("no {kind:?} line in {fees:#?}"))
    }

    /// The invariants every result must keep, whatever the inputs.
    fn assert_adds_up(fees: &ServiceFees) {
        let minor = fees.currency.minor_digits();
        let figures = [fees.subtotal, fees.tax, fees.total, fees.commission];
        for figure in fees.lines.iter().map(|l| l.amount).chain(figures) {
            assert_eq!(figure.scale(), minor, "{figure} is not in minor units");
            assert!(!figure.to_string().starts_with("-0.00"), "{figure} prints a negative zero");
        }
        let sum: Decimal = fees.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, fees.subtotal, "lines do not add up to the subtotal");
        assert_eq!(fees.subtotal + fees.tax, fees.total);
        assert_eq!(fees.tax, fees.rounding.round_money(fees.subtotal * fees.tax_rate, fees.currency));
        let commission: Decimal =
            fees.lines.iter().filter(|l| l.kind == FeeLineKind::Commission).map(|l| l.amount).sum();
        assert_eq!(commission, fees.commission);
    }

    // ---- The DOMAIN.md example contract -------------------------------------------------------------------

    #[test]
    fn example_below_minimum_is_raised_to_exactly_10000() {
        let fees = run(&example(), "50000.00", &[]);
        assert_eq!(kinds(&fees), [FeeLineKind::BaseFee, FeeLineKind::Commission, FeeLineKind::MinimumAdjustment]);
        assert_eq!(amounts(&fees), ["8000.00", "1500.00", "500.00"]);
        let adj = line(&fees, FeeLineKind::MinimumAdjustment);
        assert_eq!(adj.base, Some(d("9500.00")));
        assert_eq!(
            adj.description,
            "Minimum fee adjustment: base fee + commission + bonuses/penalties 9,500.00 raised to the minimum 10,000.00"
        );
        assert_eq!(fees.subtotal.to_string(), "10000.00");
        assert_eq!(fees.tax.to_string(), "600.00");
        assert_eq!(fees.total.to_string(), "10600.00");
    }

    #[test]
    fn example_at_minimum_needs_no_adjustment() {
        // 8,000 + 3% × 66,666.67 = 8,000 + 2,000.00 (2,000.0001 rounded) = 10,000.00: not below the minimum.
        let fees = run(&example(), "66666.67", &[]);
        assert!(!kinds(&fees).contains(&FeeLineKind::MinimumAdjustment));
        assert_eq!(fees.subtotal, d("10000.00"));
    }

    #[test]
    fn example_across_500k_boundary_charges_3_percent_then_2_percent_on_the_rest() {
        let fees = run(&example(), "1200000.00", &[]);
        let tiers: Vec<_> = fees.lines.iter().filter(|l| l.kind == FeeLineKind::Commission).collect();
        assert_eq!(tiers.len(), 2);
        assert_eq!((tiers[0].tier, tiers[0].base, tiers[0].rate), (Some(1), Some(d("500000.00")), Some(d("0.03"))));
        assert_eq!(tiers[0].amount, d("15000.00"));
        assert_eq!(tiers[0].description, "Commission tier 1: 500,000.00 × 3%");
        assert_eq!((tiers[1].tier, tiers[1].base, tiers[1].rate), (Some(2), Some(d("700000.00")), Some(d("0.02"))));
        assert_eq!(tiers[1].amount, d("14000.00"));
        assert_eq!(tiers[1].description, "Commission tier 2: 700,000.00 × 2%");
        assert_eq!(fees.commission, d("29000.00"));
        assert_eq!(fees.subtotal, d("37000.00"));
    }

    #[test]
    fn example_roas_bonus_adds_10_percent_of_commission_naming_the_kpi_value() {
        let fees = run(&example(), "1100000.00", &[roas("3.12"), dispute("0.004")]);
        let bonus = line(&fees, FeeLineKind::Bonus);
        assert_eq!(bonus.description, "Bonus: roas 3.12 >= 2.5, 10% of commission 27,000.00");
        assert_eq!((bonus.base, bonus.rate, bonus.amount), (Some(d("27000.00")), Some(d("0.10")), d("2700.00")));
        let trigger = bonus.trigger.as_ref().unwrap();
        assert_eq!(
            (trigger.rule_index, trigger.kpi, trigger.market, trigger.value, trigger.op, trigger.threshold),
            (0, KpiId::Roas, None, d("3.12"), CompareOp::Ge, d("2.5"))
        );
        assert!(fees.rules[0].applied);
        assert_eq!(fees.rules[0].amount, Some(d("2700.00")));
        assert_eq!(fees.rules[0].reason, "roas 3.12 >= 2.5: bonus 2,700.00");
        assert!(!fees.rules[1].applied);
        assert_eq!(fees.rules[1].reason, "dispute_rate 0.004 is not > 0.01");
        assert_eq!(fees.subtotal, d("37700.00"));
        assert_eq!(fees.tax, d("2262.00"));
        assert_eq!(fees.total, d("39962.00"));
    }

    #[test]
    fn example_roas_bonus_applies_at_exactly_the_threshold() {
        let fees = run(&example(), "1100000.00", &[roas("2.50")]);
        assert!(fees.rules[0].applied);
        assert_eq!(line(&fees, FeeLineKind::Bonus).amount, d("2700.00"));
    }

    #[test]
    fn example_roas_bonus_not_applied_below_threshold() {
        let fees = run(&example(), "1100000.00", &[roas("2.49")]);
        assert!(!kinds(&fees).contains(&FeeLineKind::Bonus));
        let outcome = &fees.rules[0];
        assert_eq!((outcome.applied, outcome.value, outcome.amount), (false, Some(d("2.49")), None));
        assert_eq!(outcome.reason, "roas 2.49 is not >= 2.5");
        assert_eq!(fees.subtotal, d("35000.00"));
    }

    #[test]
    fn example_rule_without_data_is_not_applied_and_says_why() {
        let kpis = [KpiReading::no_data(KpiId::Roas, None, "no Sponsored Products report for the period")];
        let fees = run(&example(), "1100000.00", &kpis);
        assert_eq!(fees.rules.len(), 2);
        assert_eq!((fees.rules[0].applied, fees.rules[0].value), (false, None));
        assert_eq!(fees.rules[0].reason, "no data: no Sponsored Products report for the period");
        assert!(!fees.rules[1].applied);
        assert_eq!(fees.rules[1].reason, "no data: no reading for dispute_rate (overall)");
        assert!(!kinds(&fees).contains(&FeeLineKind::Bonus));
        assert!(!kinds(&fees).contains(&FeeLineKind::Penalty));
    }

    #[test]
    fn no_data_without_a_reason_still_says_no_data() {
        let kpis =
            [KpiReading { kpi: KpiId::Roas, market: None, value: None, no_data_reason: None, covers: Vec::new() }];
        let fees = run(&example(), "1100000.00", &kpis);
        assert_eq!(fees.rules[0].reason, "no data: roas (overall) has no value");
    }

    #[test]
    fn overall_rule_ignores_a_markets_reading() {
        let kpis = [KpiReading::value(KpiId::Roas, Some(Market::AMAZON_US), d("9"))];
        let fees = run(&example(), "1100000.00", &kpis);
        assert!(!fees.rules[0].applied);
        assert_eq!(fees.rules[0].reason, "no data: no reading for roas (overall)");
    }

    #[test]
    fn market_rule_reads_only_that_markets_reading() {
        let mut terms = example();
        terms.rules[0].market = Some(Market::MERCADOLIVRE_BR);
        let kpis = [roas("9"), KpiReading::value(KpiId::Roas, Some(Market::MERCADOLIVRE_BR), d("2.6"))];
        let fees = run(&terms, "1100000.00", &kpis);
        let bonus = line(&fees, FeeLineKind::Bonus);
        assert_eq!(bonus.description, "Bonus: roas (mercadolivre_br) 2.6 >= 2.5, 10% of commission 27,000.00");
        assert_eq!(bonus.trigger.as_ref().unwrap().market, Some(Market::MERCADOLIVRE_BR));
        assert_eq!(fees.rules[0].value, Some(d("2.6")));
    }

    #[test]
    fn example_dispute_penalty_subtracts_10_percent_of_commission() {
        let fees = run(&example(), "1200000.00", &[dispute("0.012")]);
        let penalty = line(&fees, FeeLineKind::Penalty);
        assert_eq!(penalty.amount, d("-2900.00"));
        assert_eq!(penalty.description, "Penalty: dispute_rate 0.012 > 0.01, 10% of commission 29,000.00");
        assert_eq!(fees.rules[1].reason, "dispute_rate 0.012 > 0.01: penalty -2,900.00");
        assert_eq!(fees.subtotal, d("34100.00"));
    }

    #[test]
    fn example_dispute_penalty_not_applied_at_exactly_the_limit() {
        let fees = run(&example(), "1200000.00", &[dispute("0.01")]);
        assert!(!fees.rules[1].applied);
        assert!(!kinds(&fees).contains(&FeeLineKind::Penalty));
    }

    #[test]
    fn example_bonus_and_penalty_both_apply_as_separate_lines_in_contract_order() {
        let fees = run(&example(), "1200000.00", &[dispute("0.012"), roas("3.12")]);
        assert_eq!(
            kinds(&fees),
            [
                FeeLineKind::BaseFee,
                FeeLineKind::Commission,
                FeeLineKind::Commission,
                FeeLineKind::Bonus,
                FeeLineKind::Penalty
            ]
        );
        assert_eq!(amounts(&fees), ["8000.00", "15000.00", "14000.00", "2900.00", "-2900.00"]);
        assert_eq!(fees.subtotal, d("37000.00"));
        assert_eq!(fees.tax, d("2220.00"));
        assert_eq!(fees.total, d("39220.00"));
    }

    #[test]
    fn example_penalty_below_minimum_is_topped_up_after_rules() {
        // 8,000 + 1,800 − 180 = 9,620 → minimum adjustment 380.
        let fees = run(&example(), "60000.00", &[dispute("0.02")]);
        assert_eq!(amounts(&fees), ["8000.00", "1800.00", "-180.00", "380.00"]);
        assert_eq!(fees.lines.last().unwrap().kind, FeeLineKind::MinimumAdjustment);
        assert_eq!(fees.subtotal, d("10000.00"));
    }

    #[test]
    fn example_vat_is_6_percent_of_subtotal_rounded_as_its_own_figure() {
        // 8,000 + 3% × 123,456.78 = 8,000 + 3,703.70 (3,703.7034) = 11,703.70; 6% = 702.222 → 702.22.
        let fees = run(&example(), "123456.78", &[]);
        assert_eq!(fees.subtotal, d("11703.70"));
        assert_eq!(fees.tax_rate, d("0.06"));
        assert_eq!(fees.tax, d("702.22"));
        assert_eq!(fees.total, d("12405.92"));
        assert!(fees.lines.iter().all(|l| !l.description.to_lowercase().contains("vat")));
    }

    // ---- Tiers -----------------------------------------------------------------------------------------------

    fn boundary(mode: TierMode) -> FeeTerms {
        bare(mode, &[(Some("500000.00"), "0.03"), (None, "0.02")])
    }

    #[test]
    fn at_the_boundary_both_modes_charge_the_lower_tier_only() {
        // up_to is inclusive: 500,000.00 is still tier 1.
        let marginal = run(&boundary(TierMode::Marginal), "500000.00", &[]);
        let whole = run(&boundary(TierMode::Whole), "500000.00", &[]);
        assert_eq!(marginal.lines.len(), 1);
        assert_eq!((marginal.lines[0].tier, marginal.commission), (Some(1), d("15000.00")));
        assert_eq!(whole.lines.len(), 1);
        assert_eq!((whole.lines[0].tier, whole.commission), (Some(1), d("15000.00")));
    }

    #[test]
    fn just_below_the_boundary_both_modes_charge_the_lower_rate() {
        let marginal = run(&boundary(TierMode::Marginal), "499999.99", &[]);
        let whole = run(&boundary(TierMode::Whole), "499999.99", &[]);
        // 499,999.99 × 3% = 14,999.9997
        assert_eq!(marginal.commission, d("15000.00"));
        assert_eq!(whole.commission, d("15000.00"));
        assert_eq!(marginal.lines.len(), 1);
        assert_eq!(whole.lines[0].rate, Some(d("0.03")));
    }

    #[test]
    fn just_above_the_boundary_whole_drops_to_the_upper_rate_marginal_does_not() {
        let marginal = run(&boundary(TierMode::Marginal), "500000.01", &[]);
        assert_eq!(marginal.lines.len(), 2, "the second tier has a non-zero part: {marginal:#?}");
        assert_eq!(marginal.lines[1].base, Some(d("0.01")));
        assert_eq!(marginal.lines[1].amount, d("0.00"));
        assert_eq!(marginal.commission, d("15000.00"));

        let whole = run(&boundary(TierMode::Whole), "500000.01", &[]);
        assert_eq!(whole.lines.len(), 1);
        let l = &whole.lines[0];
        assert_eq!((l.tier, l.base, l.rate, l.amount), (Some(2), Some(d("500000.01")), Some(d("0.02")), d("10000.00")));
        assert_eq!(l.description, "Commission (whole base, tier 2): 500,000.01 × 2%");
    }

    #[test]
    fn whole_mode_uses_the_first_tier_reaching_the_base_across_three_tiers() {
        let terms = bare(TierMode::Whole, &[(Some("100"), "0.05"), (Some("1000"), "0.04"), (None, "0.03")]);
        assert_eq!(run(&terms, "100.00", &[]).commission, d("5.00"));
        assert_eq!(run(&terms, "100.01", &[]).commission, d("4.00"));
        assert_eq!(run(&terms, "1000.00", &[]).commission, d("40.00"));
        assert_eq!(run(&terms, "2000.00", &[]).commission, d("60.00"));
    }

    #[test]
    fn marginal_mode_skips_tiers_the_base_does_not_reach() {
        let terms = bare(TierMode::Marginal, &[(Some("100"), "0.05"), (Some("1000"), "0.04"), (None, "0.03")]);
        let fees = run(&terms, "1500.00", &[]);
        assert_eq!(amounts(&fees), ["5.00", "36.00", "15.00"]);
        assert_eq!(run(&terms, "50.00", &[]).lines.len(), 1);
    }

    #[test]
    fn last_tier_is_unbounded_even_with_an_up_to() {
        let terms = bare(TierMode::Marginal, &[(Some("100"), "0.05"), (Some("200"), "0.01")]);
        let fees = run(&terms, "1000.00", &[]);
        assert_eq!(fees.lines[1].base, Some(d("900.00")));
        let whole = bare(TierMode::Whole, &[(Some("100"), "0.05"), (Some("200"), "0.01")]);
        assert_eq!(run(&whole, "1000.00", &[]).commission, d("10.00"));
    }

    #[test]
    fn zero_or_negative_base_earns_no_commission_and_percent_rules_apply_to_zero() {
        let mut terms = example();
        terms.minimum = None;
        for base in ["0.00", "-2500.00"] {
            let fees = run(&terms, base, &[roas("3"), dispute("0.05")]);
            assert!(!kinds(&fees).contains(&FeeLineKind::Commission), "{base}");
            assert_eq!(fees.commission, d("0.00"));
            assert_eq!(amounts(&fees), ["8000.00", "0.00", "0.00"], "{base}");
            assert!(fees.rules.iter().all(|r| r.applied));
            assert_eq!(fees.subtotal, d("8000.00"));
        }
    }

    #[test]
    fn no_tiers_means_no_commission() {
        let terms = bare(TierMode::Marginal, &[]);
        let fees = run(&terms, "1000000.00", &[]);
        assert!(fees.lines.is_empty());
        assert_eq!(fees.subtotal.to_string(), "0.00");
        assert_eq!(fees.total.to_string(), "0.00");
    }

    #[test]
    fn zero_base_fee_has_no_line() {
        let fees = run(&bare(TierMode::Marginal, &[(None, "0.1")]), "10.00", &[]);
        assert_eq!(kinds(&fees), [FeeLineKind::Commission]);
    }

    // ---- Bounds, markup, fixed amounts ----------------------------------------------------------------------

    #[test]
    fn maximum_caps_the_subtotal_with_a_negative_adjustment() {
        let mut terms = example();
        terms.maximum = Some(d("20000"));
        let fees = run(&terms, "1200000.00", &[roas("3")]);
        let adj = fees.lines.last().unwrap();
        assert_eq!(adj.kind, FeeLineKind::MaximumAdjustment);
        assert_eq!((adj.base, adj.amount), (Some(d("39900.00")), d("-19900.00")));
        assert_eq!(
            adj.description,
            "Maximum fee adjustment: base fee + commission + bonuses/penalties 39,900.00 lowered to the maximum 20,000.00"
        );
        assert_eq!(fees.subtotal, d("20000.00"));
        assert_eq!(fees.tax, d("1200.00"));
        assert_eq!(fees.total, d("21200.00"));
    }

    #[test]
    fn maximum_not_reached_adds_no_line() {
        let mut terms = example();
        terms.maximum = Some(d("20000"));
        let fees = run(&terms, "300000.00", &[]);
        assert_eq!(kinds(&fees), [FeeLineKind::BaseFee, FeeLineKind::Commission]);
        assert_eq!(fees.subtotal, d("17000.00"));
    }

    #[test]
    fn bounds_with_sub_cent_digits_are_rounded_before_use() {
        let mut terms = bare(TierMode::Marginal, &[]);
        terms.minimum = Some(d("10.005"));
        assert_eq!(run(&terms, "0", &[]).subtotal, d("10.01"));
        terms.rounding = RoundingMode::HalfEven;
        assert_eq!(run(&terms, "0", &[]).subtotal, d("10.00"));
    }

    #[test]
    fn handling_markup_is_its_own_line_and_never_in_the_commission_base() {
        let mut terms = example();
        terms.pass_through_markup = Some(d("0.05"));
        let without = run(&terms, "600000.00", &[]);
        let fees = compute_service_fees(&FeeInputs {
            terms: &terms,
            commission_base: d("600000.00"),
            kpis: &[],
            pass_through_total: d("12345.67"),
        });
        assert_adds_up(&fees);
        assert_eq!(fees.commission, without.commission);
        let markup = line(&fees, FeeLineKind::HandlingMarkup);
        // 12,345.67 × 5% = 617.2835
        assert_eq!((markup.base, markup.rate, markup.amount), (Some(d("12345.67")), Some(d("0.05")), d("617.28")));
        assert_eq!(markup.description, "Handling markup: pass-through costs 12,345.67 × 5%");
        assert_eq!(fees.subtotal, without.subtotal + d("617.28"));
        assert!(!kinds(&without).contains(&FeeLineKind::HandlingMarkup), "no pass-through, no markup line");
    }

    const SUNNY: &str = include_str!("../fixtures/demo/contracts/sunny-gadgets.toml");

    /// The demo's sunny-gadgets contract with its October 2026 figures:
    /// commission base 16,097.15 USD, ACoS 0.2886 (bonus), refund rate 0.0467
    /// (no penalty), pass-through costs 45,156.28 USD.
    fn sunny(edit: impl FnOnce(&mut FeeTerms)) -> ServiceFees {
        let mut terms = Contract::parse("sunny-gadgets.toml", SUNNY).unwrap().fees;
        edit(&mut terms);
        let kpis = [
            KpiReading::value(KpiId::Acos, None, d("0.2886")),
            KpiReading::value(KpiId::RefundRate, None, d("0.0467")),
        ];
        let fees = compute_service_fees(&FeeInputs {
            terms: &terms,
            commission_base: d("16097.15"),
            kpis: &kpis,
            pass_through_total: d("45156.28"),
        });
        assert_adds_up(&fees);
        fees
    }

    #[test]
    fn handling_markup_does_not_fill_the_minimum_by_default() {
        // 600.00 + 965.83 + 48.29 = 1,614.12 < 1,800.00: raised by 185.88 whatever the markup.
        let fees = sunny(|_| {});
        assert_eq!(
            kinds(&fees),
            [
                FeeLineKind::BaseFee,
                FeeLineKind::Commission,
                FeeLineKind::Bonus,
                FeeLineKind::MinimumAdjustment,
                FeeLineKind::HandlingMarkup
            ]
        );
        assert_eq!(amounts(&fees), ["600.00", "965.83", "48.29", "185.88", "2257.81"]);
        let adj = line(&fees, FeeLineKind::MinimumAdjustment);
        assert_eq!(adj.base, Some(d("1614.12")));
        assert_eq!(
            adj.description,
            "Minimum fee adjustment: base fee + commission + bonuses/penalties 1,614.12 raised to the minimum 1,800.00"
        );
        assert_eq!(fees.subtotal, d("4057.81"));
        let bounds = fees.bounds.as_ref().unwrap();
        assert_eq!((bounds.minimum, bounds.maximum), (Some(d("1800.00")), None));
        assert_eq!(
            bounds.bounded,
            [FeeLineKind::BaseFee, FeeLineKind::Commission, FeeLineKind::Bonus, FeeLineKind::Penalty]
        );
        assert_eq!(bounds.outside, [FeeLineKind::HandlingMarkup]);
        assert_eq!(bounds.bounded_sum, d("1614.12"));
    }

    #[test]
    fn handling_markup_fills_the_minimum_when_the_contract_includes_it() {
        let fees = sunny(|t| t.bounds_include_markup = Some(true));
        assert_eq!(amounts(&fees), ["600.00", "965.83", "48.29", "2257.81"]);
        assert_eq!(fees.subtotal, d("3871.93"));
        let bounds = fees.bounds.as_ref().unwrap();
        assert!(bounds.bounded.contains(&FeeLineKind::HandlingMarkup));
        assert!(bounds.outside.is_empty());
        assert_eq!(bounds.bounded_sum, d("3871.93"));
        // Explicitly false is the default.
        assert_eq!(sunny(|t| t.bounds_include_markup = Some(false)), sunny(|_| {}));
    }

    #[test]
    fn maximum_leaves_the_markup_outside_by_default_and_caps_it_when_included() {
        let outside = sunny(|t| t.maximum = Some(d("1000")));
        // 1,614.12 lowered to 1,000.00 and the markup charged on top; the minimum is not met, the maximum wins.
        assert_eq!(
            kinds(&outside),
            [
                FeeLineKind::BaseFee,
                FeeLineKind::Commission,
                FeeLineKind::Bonus,
                FeeLineKind::MaximumAdjustment,
                FeeLineKind::HandlingMarkup
            ]
        );
        assert_eq!(line(&outside, FeeLineKind::MaximumAdjustment).amount, d("-614.12"));
        assert_eq!(outside.subtotal, d("3257.81"));

        let inside = sunny(|t| {
            t.minimum = None;
            t.maximum = Some(d("3000"));
            t.bounds_include_markup = Some(true);
        });
        let adj = inside.lines.last().unwrap();
        assert_eq!(
            (adj.kind, adj.base, adj.amount),
            (FeeLineKind::MaximumAdjustment, Some(d("3871.93")), d("-871.93"))
        );
        assert_eq!(
            adj.description,
            "Maximum fee adjustment: base fee + commission + bonuses/penalties + handling markup 3,871.93 lowered to the maximum 3,000.00"
        );
        assert_eq!(inside.subtotal, d("3000.00"));
    }

    #[test]
    fn without_minimum_or_maximum_there_are_no_bounds() {
        let fees = sunny(|t| t.minimum = None);
        assert_eq!(fees.bounds, None);
        assert_eq!(fees.subtotal, d("3871.93"));
    }

    #[test]
    fn bounds_without_a_markup_list_nothing_outside() {
        let fees = run(&example(), "50000.00", &[]);
        let bounds = fees.bounds.unwrap();
        assert!(bounds.outside.is_empty());
        assert_eq!(bounds.bounded_sum, d("9500.00"));
    }

    #[test]
    fn an_unvalidated_minimum_above_the_maximum_gives_one_adjustment_to_the_maximum() {
        let mut terms = example();
        terms.maximum = Some(d("9000"));
        let fees = run(&terms, "50000.00", &[]);
        assert_eq!(amounts(&fees), ["8000.00", "1500.00", "-500.00"]);
        assert_eq!(fees.subtotal, d("9000.00"));
    }

    #[test]
    fn fixed_amount_rules_add_or_subtract_the_rounded_amount() {
        let mut terms = example();
        terms.rules[0].percent_of_commission = None;
        terms.rules[0].amount = Some(d("1000"));
        terms.rules[1].percent_of_commission = None;
        terms.rules[1].amount = Some(d("250.005"));
        let fees = run(&terms, "1200000.00", &[roas("3"), dispute("0.03")]);
        let bonus = line(&fees, FeeLineKind::Bonus);
        assert_eq!((bonus.base, bonus.rate, bonus.amount), (None, None, d("1000.00")));
        assert_eq!(bonus.description, "Bonus: roas 3 >= 2.5, fixed 1,000.00");
        let penalty = line(&fees, FeeLineKind::Penalty);
        assert_eq!(penalty.amount, d("-250.01"));
        assert_eq!(penalty.description, "Penalty: dispute_rate 0.03 > 0.01, fixed 250.01");
    }

    #[test]
    fn percent_rules_take_a_share_of_the_rounded_commission() {
        // Two tier lines of 0.005 each round to 0.01 + 0.01 = 0.02 although the exact commission is 0.01.
        // 25% of the rounded 0.02 is 0.005 → 0.01; 25% of the exact 0.01 would be 0.0025 → 0.00.
        let mut terms = bare(TierMode::Marginal, &[(Some("0.50"), "0.01"), (None, "0.01")]);
        terms.rules.push(FeeRule {
            kpi: KpiId::Roas,
            market: None,
            op: CompareOp::Ge,
            threshold: d("0"),
            effect: Effect::Bonus,
            percent_of_commission: Some(d("0.25")),
            amount: None,
        });
        let fees = run(&terms, "1.00", &[roas("1")]);
        assert_eq!(fees.commission, d("0.02"));
        assert_eq!(line(&fees, FeeLineKind::Bonus).amount, d("0.01"), "25% of 0.02 = 0.005 → 0.01");
    }

    #[test]
    fn negative_penalty_is_not_floored_without_a_minimum() {
        let mut terms = bare(TierMode::Marginal, &[(None, "0.01")]);
        terms.vat_rate = d("0.06");
        terms.rules.push(FeeRule {
            kpi: KpiId::DisputeRate,
            market: None,
            op: CompareOp::Gt,
            threshold: d("0.01"),
            effect: Effect::Penalty,
            percent_of_commission: None,
            amount: Some(d("500")),
        });
        let fees = run(&terms, "10000.00", &[dispute("0.05")]);
        assert_eq!(fees.subtotal, d("-400.00"));
        assert_eq!(fees.tax, d("-24.00"));
        assert_eq!(fees.total, d("-424.00"));
    }

    // ---- Rounding ---------------------------------------------------------------------------------------------

    #[test]
    fn half_up_rounds_a_tie_away_from_zero_half_even_to_even() {
        let mut terms = bare(TierMode::Marginal, &[(None, "0.01")]);
        // 0.50 × 1% = 0.005 exactly.
        assert_eq!(run(&terms, "0.50", &[]).commission, d("0.01"));
        // 1.50 × 1% = 0.015: both modes go to 0.02 (2 is even).
        assert_eq!(run(&terms, "1.50", &[]).commission, d("0.02"));
        terms.rounding = RoundingMode::HalfEven;
        assert_eq!(run(&terms, "0.50", &[]).commission, d("0.00"));
        assert_eq!(run(&terms, "1.50", &[]).commission, d("0.02"));
        // Not a tie: both modes agree.
        assert_eq!(run(&terms, "0.51", &[]).commission, d("0.01"));
    }

    #[test]
    fn tax_tie_follows_the_contracts_rounding_mode() {
        let mut terms = bare(TierMode::Marginal, &[]);
        terms.base_monthly = d("0.50");
        terms.vat_rate = d("0.01");
        assert_eq!(run(&terms, "0", &[]).tax, d("0.01"));
        terms.rounding = RoundingMode::HalfEven;
        assert_eq!(run(&terms, "0", &[]).tax, d("0.00"));
    }

    #[test]
    fn each_tier_line_is_rounded_separately_and_the_total_is_their_sum() {
        // 0.50 at 1% and 0.50 at 1% → 0.01 + 0.01 (half_up) although the exact total is 0.01.
        let terms = bare(TierMode::Marginal, &[(Some("0.50"), "0.01"), (None, "0.01")]);
        let fees = run(&terms, "1.00", &[]);
        assert_eq!(amounts(&fees), ["0.01", "0.01"]);
        assert_eq!(fees.subtotal, d("0.02"));
    }

    // ---- Formatting and serialization -------------------------------------------------------------------------

    #[test]
    fn amounts_in_descriptions_are_grouped_with_two_decimals() {
        assert_eq!(group(d("1234567.8")), "1,234,567.80");
        assert_eq!(group(d("-2900.00")), "-2,900.00");
        assert_eq!(group(d("999")), "999.00");
        assert_eq!(group(d("0.005")), "0.005");
        assert_eq!(group(d("100000")), "100,000.00");
        assert_eq!(percent(d("0.03")), "3%");
        assert_eq!(percent(d("0.025")), "2.5%");
        assert_eq!(percent(d("0.10")), "10%");
    }

    #[test]
    fn serializes_snake_case_with_decimals_as_strings_and_ops_as_symbols() {
        let fees = run(&example(), "1100000.00", &[roas("3.12")]);
        let json = serde_json::to_value(&fees).unwrap();
        assert_eq!(json["currency"], "CNY");
        assert_eq!(json["rounding"], "half_up");
        assert_eq!(json["tier_mode"], "marginal");
        assert_eq!(json["subtotal"], "37700.00");
        assert_eq!(json["tax_rate"], "0.06");
        assert_eq!(json["total"], "39962.00");
        assert_eq!(json["lines"][0]["kind"], "base_fee");
        assert_eq!(json["lines"][0]["base"], serde_json::Value::Null);
        let bonus = &json["lines"][3];
        assert_eq!(bonus["kind"], "bonus");
        assert_eq!(bonus["amount"], "2700.00");
        assert_eq!(bonus["rate"], "0.10");
        assert_eq!(
            bonus["trigger"],
            serde_json::json!({
                "rule_index": 0, "kpi": "roas", "market": null, "value": "3.12", "op": ">=", "threshold": "2.5"
            })
        );
        assert_eq!(json["rules"][1]["reason"], "no data: no reading for dispute_rate (overall)");
        assert_eq!(json["rules"][1]["value"], serde_json::Value::Null);
        assert_eq!(json["rules"][1]["effect"], "penalty");
        assert_eq!(json["rules"][1]["op"], ">");
        let reading =
            serde_json::to_value(KpiReading::value(KpiId::DisputeRate, Some(Market::MERCADOLIVRE_BR), d("0.012")))
                .unwrap();
        assert_eq!(
            reading,
            serde_json::json!({
                "kpi": "dispute_rate", "market": "mercadolivre_br", "value": "0.012", "no_data_reason": null
            })
        );
    }

    // ---- Properties --------------------------------------------------------------------------------------------

    /// Cents per unit: `1_000 * CENTS` is 1,000.00 in a `cents(..)` range.
    const CENTS: i64 = 100;
    const RULE_KPIS: [KpiId; 3] = [KpiId::Roas, KpiId::DisputeRate, KpiId::RefundRate];
    const OPS: [CompareOp; 4] = [CompareOp::Ge, CompareOp::Gt, CompareOp::Le, CompareOp::Lt];

    fn cents(range: std::ops::RangeInclusive<i64>) -> impl Strategy<Value = Decimal> {
        range.prop_map(|c| Decimal::new(c, 2))
    }

    /// A rate in 0..=1 with up to 4 decimals (so base × rate has exact ties).
    fn rate() -> impl Strategy<Value = Decimal> {
        (0i64..=10_000).prop_map(|r| Decimal::new(r, 4))
    }

    fn rounding() -> impl Strategy<Value = RoundingMode> {
        prop_oneof![Just(RoundingMode::HalfUp), Just(RoundingMode::HalfEven)]
    }

    /// A valid tier table: ascending bounds, the last unbounded.
    fn tiers() -> impl Strategy<Value = Vec<Tier>> {
        prop::collection::vec((1i64..=100_000_000 * CENTS, rate()), 1..=5).prop_map(|raw| {
            let mut bound = Decimal::ZERO;
            let n = raw.len();
            raw.into_iter()
                .enumerate()
                .map(|(i, (step, rate))| {
                    bound += Decimal::new(step, 2);
                    Tier { up_to: (i + 1 < n).then_some(bound), rate }
                })
                .collect()
        })
    }

    /// A base that is often right at, just below or just above a tier boundary.
    fn base_near(tiers: &[Tier]) -> impl Strategy<Value = Decimal> + use<> {
        let bounds: Vec<Decimal> = tiers.iter().filter_map(|t| t.up_to).collect();
        let near = if bounds.is_empty() {
            Just(Decimal::ZERO).boxed()
        } else {
            (prop::sample::select(bounds), -2i64..=2).prop_map(|(b, c)| b + Decimal::new(c, 2)).boxed()
        };
        prop_oneof![cents(-1_000 * CENTS..=1_000_000_000 * CENTS), near]
    }

    fn rule() -> impl Strategy<Value = FeeRule> {
        (
            prop::sample::select(RULE_KPIS.to_vec()),
            prop::option::of(prop::sample::select(Market::fixed().collect::<Vec<_>>())),
            prop::sample::select(OPS.to_vec()),
            (0i64..=500).prop_map(|t| Decimal::new(t, 2)),
            any::<bool>(),
            prop_oneof![
                rate().prop_map(|p| (Some(p), None)),
                cents(0..=5_000_000 * CENTS).prop_map(|a| (None, Some(a)))
            ],
        )
            .prop_map(|(kpi, market, op, threshold, bonus, (percent_of_commission, amount))| FeeRule {
                kpi,
                market,
                op,
                threshold,
                effect: if bonus { Effect::Bonus } else { Effect::Penalty },
                percent_of_commission,
                amount,
            })
    }

    /// Readings for every rule KPI, overall and per market; some without data, some missing.
    fn readings() -> impl Strategy<Value = Vec<KpiReading>> {
        let scopes: Vec<(KpiId, Option<Market>)> = RULE_KPIS
            .iter()
            .flat_map(|&k| [None, Some(Market::AMAZON_US), Some(Market::MERCADOLIVRE_BR)].map(move |m| (k, m)))
            .collect();
        let n = scopes.len();
        prop::collection::vec(prop::option::of(prop::option::of(0i64..=500)), n).prop_map(move |values| {
            scopes
                .iter()
                .zip(values)
                .filter_map(|(&(kpi, market), v)| {
                    v.map(|v| match v {
                        Some(v) => KpiReading::value(kpi, market, Decimal::new(v, 2)),
                        None => KpiReading::no_data(kpi, market, "no report"),
                    })
                })
                .collect()
        })
    }

    fn terms() -> impl Strategy<Value = FeeTerms> {
        (
            tiers(),
            prop_oneof![Just(TierMode::Marginal), Just(TierMode::Whole)],
            cents(0..=5_000_000 * CENTS),
            prop::option::of(cents(0..=10_000_000 * CENTS)),
            prop::option::of(cents(0..=10_000_000 * CENTS)),
            rate(),
            rounding(),
            prop::option::of(rate()),
            prop::option::of(any::<bool>()),
            prop::collection::vec(rule(), 0..=4),
        )
            .prop_map(
                |(tiers, tier_mode, base_monthly, a, b, vat_rate, rounding, pass_through_markup, include, rules)| {
                    // Validation rejects minimum > maximum.
                    let (minimum, maximum) = match (a, b) {
                        (Some(a), Some(b)) => (Some(a.min(b)), Some(a.max(b))),
                        other => other,
                    };
                    FeeTerms {
                        currency: Currency::Cny,
                        base_monthly,
                        tier_mode,
                        tiers,
                        minimum,
                        maximum,
                        vat_rate,
                        rounding,
                        pass_through_markup,
                        bounds_include_markup: include,
                        rules,
                    }
                },
            )
    }

    fn fees_for(terms: &FeeTerms, base: Decimal, kpis: &[KpiReading], pass_through_total: Decimal) -> ServiceFees {
        compute_service_fees(&FeeInputs { terms, commission_base: base, kpis, pass_through_total })
    }

    fn commission(terms: &FeeTerms, base: Decimal) -> Decimal {
        fees_for(terms, base, &[], Decimal::ZERO).commission
    }

    fn commission_only(tiers: Vec<Tier>, mode: TierMode, rounding: RoundingMode) -> FeeTerms {
        FeeTerms { tiers, tier_mode: mode, rounding, ..bare(mode, &[]) }
    }

    proptest! {
        #[test]
        fn prop_lines_add_up_and_the_subtotal_respects_minimum_and_maximum(
            (terms, base) in terms().prop_flat_map(|t| { let b = base_near(&t.tiers); (Just(t), b) }),
            kpis in readings(),
            pass_through_total in cents(-1_000_000 * CENTS..=100_000_000 * CENTS),
        ) {
            let fees = fees_for(&terms, base, &kpis, pass_through_total);
            assert_adds_up(&fees);
            for l in &fees.lines {
                prop_assert!(l.amount.scale() <= 2 && (l.amount * Decimal::ONE_HUNDRED).fract().is_zero());
            }
            // The bounded lines (the markup only when included) and the adjustment stay inside the bounds.
            let markup_inside = terms.bounds_include_markup == Some(true);
            let bounded: Decimal = fees
                .lines
                .iter()
                .filter(|l| markup_inside || l.kind != FeeLineKind::HandlingMarkup)
                .map(|l| l.amount)
                .sum();
            if let Some(min) = terms.minimum {
                prop_assert!(bounded >= min, "{} < minimum {}", bounded, min);
            }
            if let Some(max) = terms.maximum {
                prop_assert!(bounded <= max, "{} > maximum {}", bounded, max);
            }
            prop_assert_eq!(fees.bounds.is_some(), terms.minimum.is_some() || terms.maximum.is_some());
            // One outcome per rule; one line per applied rule, naming a value that satisfies the rule.
            prop_assert_eq!(fees.rules.len(), terms.rules.len());
            let rule_lines: Vec<&FeeLine> =
                fees.lines.iter().filter(|l| matches!(l.kind, FeeLineKind::Bonus | FeeLineKind::Penalty)).collect();
            let applied: Vec<&RuleOutcome> = fees.rules.iter().filter(|r| r.applied).collect();
            prop_assert_eq!(rule_lines.len(), applied.len());
            for (l, o) in rule_lines.iter().zip(&applied) {
                let t = l.trigger.as_ref().unwrap();
                prop_assert_eq!(t.rule_index, o.index);
                prop_assert!(t.op.holds(t.value, t.threshold));
                prop_assert_eq!(Some(l.amount), o.amount);
                match l.kind {
                    FeeLineKind::Bonus => prop_assert!(l.amount >= Decimal::ZERO),
                    _ => prop_assert!(l.amount <= Decimal::ZERO),
                }
            }
            for o in fees.rules.iter().filter(|o| !o.applied) {
                prop_assert!(o.value.is_none_or(|v| !o.op.holds(v, o.threshold)));
            }
            let bounds = [FeeLineKind::MinimumAdjustment, FeeLineKind::MaximumAdjustment];
            prop_assert!(fees.lines.iter().filter(|l| bounds.contains(&l.kind)).count() <= 1);
        }

        #[test]
        fn prop_marginal_lies_between_whole_and_whole_at_top_rate_when_rates_fall(
            mut tiers in tiers(), rounding in rounding(), base in cents(0..=1_000_000_000 * CENTS),
        ) {
            let mut rates: Vec<Decimal> = tiers.iter().map(|t| t.rate).collect();
            rates.sort_by(|a, b| b.cmp(a));
            for (t, r) in tiers.iter_mut().zip(&rates) {
                t.rate = *r;
            }
            let marginal = commission_only(tiers.clone(), TierMode::Marginal, rounding);
            let whole = commission_only(tiers.clone(), TierMode::Whole, rounding);
            let lines = fees_for(&marginal, base, &[], Decimal::ZERO).lines.len();
            // Each rounded line is within half a cent of its exact value.
            let slack = Decimal::new(5, 3) * Decimal::from(lines + 1);
            let m = commission(&marginal, base);
            prop_assert!(m <= base * rates[0] + slack, "marginal {} above whole at top rate {}", m, base * rates[0]);
            let w = commission(&whole, base);
            prop_assert!(m + slack >= w, "marginal {} below whole {}", m, w);
        }

        #[test]
        fn prop_marginal_commission_never_falls_as_the_base_grows(
            tiers in tiers(), rounding in rounding(),
            a in cents(-1_000 * CENTS..=1_000_000_000 * CENTS), b in cents(-1_000 * CENTS..=1_000_000_000 * CENTS),
        ) {
            let (lo, hi) = (a.min(b), a.max(b));
            let terms = commission_only(tiers, TierMode::Marginal, rounding);
            prop_assert!(commission(&terms, lo) <= commission(&terms, hi));
            prop_assert!(commission(&terms, lo) >= Decimal::ZERO);
        }

        #[test]
        fn prop_marginal_commission_is_monotonic_across_each_boundary(
            tiers in tiers(), rounding in rounding(),
        ) {
            let terms = commission_only(tiers.clone(), TierMode::Marginal, rounding);
            let cent = Decimal::new(1, 2);
            for b in tiers.iter().filter_map(|t| t.up_to) {
                let below = commission(&terms, b - cent);
                let at = commission(&terms, b);
                let above = commission(&terms, b + cent);
                prop_assert!(below <= at && at <= above, "{} {} {} around {}", below, at, above, b);
            }
        }

        #[test]
        fn prop_pass_through_changes_only_the_markup_line(
            terms in terms(), base in cents(0..=1_000_000_000 * CENTS), kpis in readings(),
            pass_through_total in cents(-1_000_000 * CENTS..=100_000_000 * CENTS),
        ) {
            let with = fees_for(&terms, base, &kpis, pass_through_total);
            let without = fees_for(&terms, base, &kpis, Decimal::ZERO);
            prop_assert_eq!(with.commission, without.commission);
            prop_assert_eq!(&with.rules, &without.rules);
            // Outside the bounds (the default), the markup moves no other line.
            if terms.bounds_include_markup != Some(true) {
                let others = |f: &ServiceFees| -> Vec<FeeLine> {
                    f.lines.iter().filter(|l| l.kind != FeeLineKind::HandlingMarkup).cloned().collect()
                };
                prop_assert_eq!(others(&with), others(&without));
            }
            let markup = |f: &ServiceFees| f.lines.iter().filter(|l| l.kind == FeeLineKind::HandlingMarkup).count();
            prop_assert_eq!(markup(&without), 0);
            let marked_up = terms.pass_through_markup.is_some_and(|m| !m.is_zero());
            let expected = usize::from(marked_up && !pass_through_total.is_zero());
            prop_assert_eq!(markup(&with), expected);
        }

        #[test]
        fn prop_rounding_modes_differ_by_at_most_a_cent_per_line(
            tiers in tiers(), mode in prop_oneof![Just(TierMode::Marginal), Just(TierMode::Whole)],
            base in cents(0..=1_000_000_000 * CENTS),
        ) {
            let up = commission_only(tiers.clone(), mode, RoundingMode::HalfUp);
            let even = commission_only(tiers, mode, RoundingMode::HalfEven);
            let (a, b) = (fees_for(&up, base, &[], Decimal::ZERO), fees_for(&even, base, &[], Decimal::ZERO));
            prop_assert_eq!(a.lines.len(), b.lines.len());
            for (x, y) in a.lines.iter().zip(&b.lines) {
                prop_assert!((x.amount - y.amount).abs() <= Decimal::new(1, 2));
                prop_assert!(x.amount >= y.amount, "half_up never rounds a positive tie lower than half_even");
            }
        }
    }
}
