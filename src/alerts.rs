//! Alerts between month ends (预警): what `kpiseal check --as-of` raises.
//!
//! Every KPI whose value is at or past its target's alert threshold, or
//! past its limit, is an [`Alert`]: kind `alert` (within the limit; the
//! scorecard's "alert" status) or `breach` (the limit is missed). The
//! records are data, written to `<out>/<period>/alerts.json` and printed as
//! JSON lines, for a cron job, a CI pipeline or a chat webhook to act on.
//!
//! **Raised once.** `alerts.json` keeps every alert raised in the period.
//! An alert of the same seller, market and KPI already raised is raised
//! again only when it turned from `alert` into `breach`, or when its value
//! has worsened by at least the target's `step` (a contract key) since the
//! last time it was raised; without a `step`, only the turn into a breach
//! raises it again. Improving values are never raised.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contract::Contract;
use crate::error::Error;
use crate::kpi::{Bound, Kpi, Scope, Status, repeats_its_market};
use crate::kpi_id::KpiId;
use crate::period::Period;

/// Whether an alert is a warning or a missed limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// At or past the alert threshold, within the limit.
    Alert,
    /// Past the limit.
    Breach,
}

/// Which way a KPI's value gets worse: below a minimum or above a maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Min,
    Max,
}

/// One KPI at or past its alert threshold or limit, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub seller: String,
    pub market: Scope,
    pub kpi: KpiId,
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
    /// The threshold reached: the alert threshold for kind `alert`, the
    /// limit for kind `breach`.
    #[serde(with = "rust_decimal::serde::str")]
    pub threshold: Decimal,
    /// `min` or `max`: which side of `threshold` is worse.
    pub limit: Limit,
    pub kind: AlertKind,
    pub as_of: NaiveDate,
    /// The key of the KPI's written definition (templates' `kpi_definitions`).
    pub definition_key: String,
    /// The target's `step`: by how much the value must worsen before the
    /// alert is raised again (absent: raised again only as a breach).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub step: Option<Decimal>,
}

impl Alert {
    /// The alert `k` raises for `seller` as of `as_of`, if its status is
    /// alert or missed, with the `step` `contract` sets on its target.
    pub fn of(seller: &str, k: &Kpi, as_of: NaiveDate, contract: &Contract) -> Option<Alert> {
        let (value, target) = (k.value?, k.target?);
        let (limit, bound, alert) = match target {
            Bound::Min { value, alert } => (Limit::Min, value, alert),
            Bound::Max { value, alert } => (Limit::Max, value, alert),
        };
        let (kind, threshold) = match k.status {
            Status::Missed => (AlertKind::Breach, bound),
            Status::Alert => (AlertKind::Alert, alert?),
            Status::Met | Status::NoData | Status::NoTarget => return None,
        };
        Some(Alert {
            seller: seller.to_string(),
            market: k.market,
            kpi: k.id,
            value,
            threshold,
            limit,
            kind,
            as_of,
            definition_key: k.definition_key.clone(),
            step: step(contract, k.id, k.market),
        })
    }

    /// The same seller, market and KPI.
    fn same_kpi(&self, other: &Alert) -> bool {
        self.seller == other.seller && self.market == other.market && self.kpi == other.kpi
    }

    /// How much worse this value is than `before`'s (negative: better).
    fn worsened_since(&self, before: &Alert) -> Decimal {
        match self.limit {
            Limit::Max => self.value - before.value,
            Limit::Min => before.value - self.value,
        }
    }
}

/// The alerts of `seller`'s KPIs as of `as_of`, in the KPIs' order. A
/// seller with one market has its overall figures equal to that market's:
/// an overall alert that repeats the market's own (same KPI) is left out.
pub fn alerts_of(seller: &str, kpis: &[Kpi], as_of: NaiveDate, contract: &Contract) -> Vec<Alert> {
    let all: Vec<Alert> = kpis.iter().filter_map(|k| Alert::of(seller, k, as_of, contract)).collect();
    let single = contract.contract.markets.len() == 1;
    all.iter()
        .filter(|a| !repeats_its_market(single, a.kpi, a.market, all.iter().map(|b| (b.kpi, b.market))))
        .cloned()
        .collect()
}

/// The `step` the contract sets on the target of `kpi` in `market` (the
/// target the KPI's status was judged against: its market's own, or the
/// overall one).
fn step(contract: &Contract, kpi: KpiId, market: Scope) -> Option<Decimal> {
    contract.kpi.targets.iter().find(|t| t.kpi == kpi && t.market == market.market()).and_then(|t| t.step)
}

/// Of `current`, the alerts to raise now, given every alert `raised`
/// before in the period (see the module documentation).
pub fn to_raise(raised: &[Alert], current: &[Alert]) -> Vec<Alert> {
    current
        .iter()
        .filter(|a| match raised.iter().rev().find(|r| r.same_kpi(a)) {
            None => true,
            Some(last) if a.kind > last.kind => true,
            Some(last) => a.step.is_some_and(|s| s > Decimal::ZERO && a.worsened_since(last) >= s),
        })
        .cloned()
        .collect()
}

/// The alerts raised in one period, as `alerts.json` keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertLog {
    pub period: String,
    /// Every alert raised, oldest first.
    pub raised: Vec<Alert>,
}

impl AlertLog {
    /// Where the period's log lives under the output folder `out`.
    pub fn path(out: &Path, period: Period) -> PathBuf {
        out.join(period.to_string()).join("alerts.json")
    }

    /// The period's log, empty when none was written yet.
    ///
    /// # Errors
    /// [`Error::Config`] naming the file when it cannot be read or parsed
    /// (a log edited by hand is refused, not silently restarted: alerts
    /// would be raised twice).
    pub fn load(out: &Path, period: Period) -> Result<AlertLog, Error> {
        let path = Self::path(out, period);
        let shown = path.display().to_string();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(AlertLog { period: period.to_string(), raised: Vec::new() });
            }
            Err(e) => return Err(Error::config(&shown, "(file)", format!("cannot be read: {e}"))),
        };
        let log: AlertLog = serde_json::from_slice(&bytes).map_err(|e| {
            Error::config(
                &shown,
                "(document)",
                format!("is not an alerts log kpiseal wrote ({e}); move it away to start the period's alerts afresh"),
            )
        })?;
        if log.period != period.to_string() {
            return Err(Error::config(&shown, "period", format!("is {}, not {period}", log.period)));
        }
        Ok(log)
    }

    /// Writes the log atomically (temporary file, fsync, rename).
    ///
    /// # Errors
    /// [`Error::Io`] naming the path.
    pub fn save(&self, out: &Path, period: Period) -> Result<(), Error> {
        let path = Self::path(out, period);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        text.push('\n');
        crate::output::write_file_atomically(&path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn alert(kind: AlertKind, value: &str, day: u32) -> Alert {
        Alert {
            seller: "acme-home".into(),
            market: Scope::Market(crate::market::Market::AMAZON_US),
            kpi: KpiId::DisputeRate,
            value: d(value),
            threshold: d(if kind == AlertKind::Alert { "0.008" } else { "0.01" }),
            limit: Limit::Max,
            kind,
            as_of: NaiveDate::from_ymd_opt(2026, 10, day).unwrap(),
            definition_key: "dispute_rate".into(),
            step: None,
        }
    }

    #[test]
    fn an_alert_already_raised_is_not_raised_again_without_a_step() {
        let first = alert(AlertKind::Alert, "0.0085", 10);
        assert_eq!(to_raise(&[], std::slice::from_ref(&first)), vec![first.clone()]);
        let later = alert(AlertKind::Alert, "0.0095", 15);
        assert!(to_raise(&[first], &[later]).is_empty());
    }

    #[test]
    fn turning_into_a_breach_raises_it_again() {
        let first = alert(AlertKind::Alert, "0.0085", 10);
        let breach = alert(AlertKind::Breach, "0.0105", 15);
        assert_eq!(to_raise(&[first], std::slice::from_ref(&breach)), vec![breach]);
    }

    #[test]
    fn a_value_worse_by_the_step_raises_it_again_and_a_better_one_never() {
        let stepped = |value: &str, day: u32| Alert { step: Some(d("0.001")), ..alert(AlertKind::Alert, value, day) };
        let first = stepped("0.0085", 10);
        assert!(to_raise(std::slice::from_ref(&first), &[stepped("0.0094", 12)]).is_empty());
        let by_step = stepped("0.0095", 13);
        assert_eq!(to_raise(std::slice::from_ref(&first), std::slice::from_ref(&by_step)), vec![by_step.clone()]);
        // Compared with the last raise (0.0095), not the first.
        let raised = [first, by_step];
        assert!(to_raise(&raised, &[stepped("0.0099", 14)]).is_empty());
        assert!(to_raise(&raised, &[stepped("0.0080", 14)]).is_empty(), "better");
    }

    #[test]
    fn on_a_minimum_worse_means_lower() {
        let min = |value: &str| Alert {
            limit: Limit::Min,
            kpi: KpiId::Roas,
            step: Some(d("0.2")),
            ..alert(AlertKind::Alert, value, 10)
        };
        assert_eq!(to_raise(&[min("2.9")], &[min("2.7")]), vec![min("2.7")]);
        assert!(to_raise(&[min("2.9")], &[min("3.2")]).is_empty());
    }
}
