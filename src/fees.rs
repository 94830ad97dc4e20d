//! The service-fee engine: a contract's [`FeeTerms`], the month's commission
//! base and KPI values in, the statement's fee lines out.
//!
//! Pure `rust_decimal` arithmetic: no I/O, no polars, no `f64`. Every line is
//! rounded to the fee currency's minor unit with the contract's rounding mode
//! and every total is a sum of rounded lines, so the printed lines add up.
//!
//! The order of the lines is the order of the computation: base fee,
//! commission (one line per tier), each applied bonus/penalty rule in
//! contract order, the handling markup on pass-through costs, then at most
//! one minimum or maximum adjustment. Tax is a separate figure, not a line.
//!
//! Pass-through costs themselves are not service fees and never appear here;
//! only the handling markup on them does (DOMAIN.md, "Fees").

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contract::{CompareOp, Effect, FeeRule, FeeTerms, Tier, TierMode};
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
}

impl KpiReading {
    /// A reading with a value.
    pub fn value(kpi: KpiId, market: Option<Market>, value: Decimal) -> Self {
        KpiReading { kpi, market, value: Some(value), no_data_reason: None }
    }

    /// A reading without data, saying why.
    pub fn no_data(kpi: KpiId, market: Option<Market>, reason: impl Into<String>) -> Self {
        KpiReading { kpi, market, value: None, no_data_reason: Some(reason.into()) }
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
}

/// What became of one contract rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
}

/// Computes the service fees of one period.
///
/// Promises, for any `inputs` (validated contract or not):
/// - every line amount, the subtotal, the tax and the total carry exactly the
///   fee currency's minor digits and were rounded with `terms.rounding`;
/// - `subtotal` is exactly the sum of the line amounts and `total` exactly
///   `subtotal + tax`;
/// - with a `minimum` the subtotal is at least it, with a `maximum` at most it
///   (each rounded to the minor unit first); if an unvalidated contract sets
///   `minimum > maximum` the maximum wins;
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
    let terms = inputs.terms;
    let currency = terms.currency;
    let mode = terms.rounding;
    let round = |d: Decimal| mode.round_money(d, currency);
    let mut lines = Vec::new();

    if !terms.base_monthly.is_zero() {
        lines.push(FeeLine {
            kind: FeeLineKind::BaseFee,
            description: "Base monthly fee".to_string(),
            tier: None,
            base: None,
            rate: None,
            amount: round(terms.base_monthly),
            trigger: None,
        });
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

    if let Some(markup) = terms.pass_through_markup
        && !markup.is_zero()
        && !inputs.pass_through_total.is_zero()
    {
        let base = inputs.pass_through_total;
        lines.push(FeeLine {
            kind: FeeLineKind::HandlingMarkup,
            description: format!("Handling markup: pass-through costs {} × {}", group(base), percent(markup)),
            tier: None,
            base: Some(base),
            rate: Some(markup),
            amount: round(base * markup),
            trigger: None,
        });
    }

    let before = sum(&lines, currency);
    let mut running = before;
    if let Some(minimum) = terms.minimum.map(round)
        && running < minimum
    {
        lines.push(FeeLine {
            kind: FeeLineKind::MinimumAdjustment,
            description: format!("Minimum fee adjustment: {} raised to the minimum {}", group(running), group(minimum)),
            tier: None,
            base: Some(running),
            rate: None,
            amount: minimum - running,
            trigger: None,
        });
        running = minimum;
    }
    if let Some(maximum) = terms.maximum.map(round)
        && running > maximum
    {
        lines.push(FeeLine {
            kind: FeeLineKind::MaximumAdjustment,
            description: format!(
                "Maximum fee adjustment: {} lowered to the maximum {}",
                group(running),
                group(maximum)
            ),
            tier: None,
            base: Some(running),
            rate: None,
            amount: maximum - running,
            trigger: None,
        });
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
        subtotal,
        tax_rate: terms.vat_rate,
        tax,
        total: subtotal + tax,
    }
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
/// applied, its line.
fn apply_rule(
    index: usize,
    rule: &FeeRule,
    kpis: &[KpiReading],
    commission: Decimal,
    round: impl Fn(Decimal) -> Decimal,
) -> (RuleOutcome, Option<FeeLine>) {
    let label = match rule.market {
        Some(m) => format!("{} ({m})", rule.kpi),
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
    };
    let reading = kpis.iter().find(|r| r.kpi == rule.kpi && r.market == rule.market);
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
        Effect::Penalty => (FeeLineKind::Penalty, "Penalty", -magnitude),
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
        }),
    };
    (outcome, Some(line))
}

/// Sum of the line amounts, carrying the currency's minor digits even when empty.
fn sum(lines: &[FeeLine], currency: Currency) -> Decimal {
    lines.iter().fold(Decimal::new(0, currency.minor_digits()), |acc, l| acc + l.amount)
}

/// `1234567.8` → `1,234,567.80`: thousands grouped, at least two decimals
/// (more if the value has them; nothing is rounded here).
fn group(value: Decimal) -> String {
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
