//! The minimum and maximum fee: which service-fee lines they bound, and the
//! one adjustment line that brings those lines' sum inside them.
//!
//! By default a contract's `fees.minimum` and `fees.maximum` bound the sum of
//! the base fee, the commission and the KPI bonuses/penalties; the handling
//! markup on pass-through costs (`fees.pass_through_markup`) is charged
//! outside them, so costs passed on to the seller never fill the minimum nor
//! use up the maximum. `fees.bounds_include_markup = true` brings the markup
//! inside the bounds. The statement prints which lines are bounded
//! ([`FeeBounds`]), whether or not an adjustment was needed.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contract::FeeTerms;
use crate::fees::{FeeLine, FeeLineKind, ServiceFees, group, sum, unsigned_zero};
use crate::notes::NoteKind;

/// What the contract's minimum and maximum fee bound, as the statement
/// prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeeBounds {
    /// The minimum, rounded to the fee currency's minor unit; `None` when the
    /// contract sets none.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub minimum: Option<Decimal>,
    /// The maximum, rounded like the minimum.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub maximum: Option<Decimal>,
    /// The kinds of line whose sum the bounds apply to.
    pub bounded: Vec<FeeLineKind>,
    /// The kinds of line the contract has that are charged outside the
    /// bounds: the handling markup, unless `fees.bounds_include_markup`.
    pub outside: Vec<FeeLineKind>,
    /// The sum of the bounded lines before any adjustment.
    #[serde(with = "rust_decimal::serde::str")]
    pub bounded_sum: Decimal,
}

/// The kinds of line a minimum or maximum bounds when the handling markup is
/// outside them.
const SERVICE_LINES: [FeeLineKind; 4] =
    [FeeLineKind::BaseFee, FeeLineKind::Commission, FeeLineKind::Bonus, FeeLineKind::Penalty];

/// Whether `terms`' minimum and maximum bound the handling markup too.
pub fn includes_markup(terms: &FeeTerms) -> bool {
    terms.bounds_include_markup.unwrap_or(false)
}

/// The bounds of `terms` applied to `bounded`, the lines they bound (base
/// fee, commission, bonuses/penalties and, if [`includes_markup`], the
/// markup), each already rounded.
///
/// Returns `None` when the contract sets neither a minimum nor a maximum.
/// Otherwise the [`FeeBounds`] to print and at most one adjustment line,
/// whose amount is exactly what brings the sum of `bounded` to the nearest
/// bound: a [`FeeLineKind::MinimumAdjustment`] raising it, or a
/// [`FeeLineKind::MaximumAdjustment`] (negative) lowering it. Each bound is
/// rounded with `round` before use; should an unvalidated contract set
/// `minimum > maximum`, the maximum wins.
pub fn bound(
    terms: &FeeTerms,
    bounded: &[FeeLine],
    round: impl Fn(Decimal) -> Decimal,
) -> Option<(FeeBounds, Option<FeeLine>)> {
    if terms.minimum.is_none() && terms.maximum.is_none() {
        return None;
    }
    let minimum = terms.minimum.map(&round);
    let maximum = terms.maximum.map(&round);
    let running = sum(bounded, terms.currency);
    let with_markup = includes_markup(terms);
    let mut kinds = SERVICE_LINES.to_vec();
    let mut outside = Vec::new();
    if terms.pass_through_markup.is_some() {
        if with_markup { kinds.push(FeeLineKind::HandlingMarkup) } else { outside.push(FeeLineKind::HandlingMarkup) }
    }
    let what = if kinds.contains(&FeeLineKind::HandlingMarkup) {
        "base fee + commission + bonuses/penalties + handling markup"
    } else {
        "base fee + commission + bonuses/penalties"
    };

    let mut target = running;
    if let Some(min) = minimum {
        target = target.max(min);
    }
    if let Some(max) = maximum {
        target = target.min(max);
    }
    let adjustment = (target != running).then(|| {
        let (kind, description) = if target > running {
            (
                FeeLineKind::MinimumAdjustment,
                format!("Minimum fee adjustment: {what} {} raised to the minimum {}", group(running), group(target)),
            )
        } else {
            (
                FeeLineKind::MaximumAdjustment,
                format!("Maximum fee adjustment: {what} {} lowered to the maximum {}", group(running), group(target)),
            )
        };
        FeeLine {
            kind,
            description,
            tier: None,
            base: Some(running),
            rate: None,
            amount: unsigned_zero(target - running),
            trigger: None,
        }
    });
    Some((FeeBounds { minimum, maximum, bounded: kinds, outside, bounded_sum: running }, adjustment))
}

/// The contract choice to print when it took effect: with
/// `fees.bounds_include_markup = true`, a handling markup line counted
/// towards the minimum and maximum. `None` otherwise (the default scope is
/// printed with the fees themselves, from [`FeeBounds`]).
pub fn note(fees: &ServiceFees) -> Option<NoteKind> {
    let bounds = fees.bounds.as_ref()?;
    if !bounds.bounded.contains(&FeeLineKind::HandlingMarkup) {
        return None;
    }
    let markup = fees.lines.iter().find(|l| l.kind == FeeLineKind::HandlingMarkup)?;
    Some(NoteKind::MarkupInsideFeeLimits { markup: format!("{} {}", fees.currency.code(), group(markup.amount)) })
}
