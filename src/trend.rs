//! The trend a statement shows: its KPIs with targets and its amount due
//! over the last [`TREND_PERIODS`] periods, this one last.
//!
//! The earlier periods' figures are those the statements in force printed
//! (the register's statements, read from their statement.json by
//! [`crate::billed`]), copied, never recomputed: a trend value is byte for
//! byte the value its statement shows. A period without a statement, or a
//! KPI a statement had no value for, is a gap (`null`), never zero.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::billed::PastFigures;
use crate::kpi::{Bound, Kpi, Scope, Status, Unit, repeats_its_market};
use crate::kpi_id::KpiId;
use crate::money::Currency;
use crate::period::Period;

/// Periods a trend covers, this statement's included.
pub const TREND_PERIODS: usize = 6;

/// The trend of one statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The periods, oldest first, this statement's last.
    pub periods: Vec<TrendPeriod>,
    /// Each KPI with a target on this statement, its value in each period.
    pub kpis: Vec<TrendKpi>,
    /// The amount due of each period (in its statement's currency).
    pub amount_due: Vec<Option<TrendAmount>>,
}

/// A period of the trend and the statement its figures come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPeriod {
    pub period: String,
    /// `None`: no statement in force for the period (a gap).
    pub statement_number: Option<String>,
    /// The SHA-256 of that statement's manifest.json, as the register holds
    /// it; `None` for this statement (its manifest is written after it).
    pub manifest_sha256: Option<String>,
}

/// One KPI over the periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendKpi {
    pub id: KpiId,
    pub market: Scope,
    pub unit: Unit,
    /// This statement's target, drawn as the line the values are read against.
    pub target: Option<Bound>,
    /// One per period, in `periods` order.
    pub points: Vec<TrendPoint>,
}

/// A KPI's value and status in one period; both `None` in a gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    pub status: Option<Status>,
}

/// A period's amount due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendAmount {
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount_due: Decimal,
}

/// The trend of statement `number` for `period` with `kpis` and `amount_due`, from
/// the statements in force of other periods (`past`); `None` when none of
/// the [`TREND_PERIODS`] − 1 periods before has one (nothing to show).
/// `single_market`: the seller has one market, whose figures the overall
/// ones repeat; an overall KPI is then left out when its market's own has
/// a target.
pub fn build(
    number: &str,
    period: Period,
    kpis: &[Kpi],
    amount_due: TrendAmount,
    past: &[&PastFigures],
    single_market: bool,
) -> Option<Trend> {
    let mut periods = vec![period];
    while periods.len() < TREND_PERIODS {
        let earliest = periods[0];
        periods.insert(0, earliest.prev());
    }
    let of = |p: Period| past.iter().find(|f| f.period == p.to_string());
    if !periods[..TREND_PERIODS - 1].iter().any(|&p| of(p).is_some()) {
        return None;
    }
    let with_targets = || kpis.iter().filter(|k| k.target.is_some());
    let shown = with_targets()
        .filter(|k| !repeats_its_market(single_market, k.id, k.market, with_targets().map(|o| (o.id, o.market))));
    let trend_kpis = shown
        .map(|k| TrendKpi {
            id: k.id,
            market: k.market,
            unit: k.unit,
            target: k.target,
            points: periods
                .iter()
                .map(|&p| {
                    if p == period {
                        return TrendPoint { value: k.value, status: Some(k.status) };
                    }
                    let past_kpi =
                        of(p).and_then(|f| f.kpis.iter().find(|pk| pk.id == k.id.id() && pk.market == k.market.id()));
                    TrendPoint {
                        value: past_kpi.and_then(|pk| pk.value),
                        status: past_kpi
                            .and_then(|pk| serde_json::from_value(serde_json::Value::String(pk.status.clone())).ok()),
                    }
                })
                .collect(),
        })
        .collect();
    Some(Trend {
        periods: periods
            .iter()
            .map(|&p| TrendPeriod {
                period: p.to_string(),
                statement_number: if p == period {
                    Some(number.to_string())
                } else {
                    of(p).map(|f| f.statement_number.clone())
                },
                manifest_sha256: of(p).filter(|_| p != period).map(|f| f.manifest_sha256.clone()),
            })
            .collect(),
        kpis: trend_kpis,
        amount_due: periods
            .iter()
            .map(|&p| {
                if p == period {
                    Some(amount_due.clone())
                } else {
                    of(p).map(|f| TrendAmount { currency: f.currency, amount_due: f.amount_due })
                }
            })
            .collect(),
    })
}
