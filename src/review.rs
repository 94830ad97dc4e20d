//! `kpiseal review`: the 复盘 document for the meeting every 30–60 days.
//!
//! A review is built from the statements already issued, never recomputed:
//! the register's statement in force for each period of `from..=to`, read
//! from its statement.json. It gathers, per KPI with a target, its value
//! and status each month with the met / alert / missed counts; the service
//! fees by kind, the pass-through costs by category, the GMV, platform fees
//! and net proceeds by market, and the amount due, each summed over the
//! months per currency; the months' notes; and the statements it is made of
//! (numbers and manifest hashes). A month without a statement is a gap,
//! listed as such, never a zero.
//!
//! Written as `review.json` and `review.csv` (a row per month, for a
//! spreadsheet) under `<out>/reviews/<seller>_<from>_<to>/`, atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::Error;
use crate::fees::FeeLineKind;
use crate::ingest::records::CostCategory;
use crate::kpi::{Bound, Scope, Status, Unit, repeats_its_market};
use crate::kpi_id::KpiId;
use crate::market::Market;
use crate::money::Currency;
use crate::notes::NoteClass;
use crate::period::Period;
use crate::register::Register;
use crate::sealing::STATEMENT_JSON;
use crate::statement::Statement;

/// The review's schema id, in `review.json`.
pub const SCHEMA: &str = "kpiseal.review/1";

/// A review of one seller over consecutive months.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub schema: String,
    pub seller: String,
    pub from: Period,
    pub to: Period,
    /// Every month of the range, oldest first, with the statement it is
    /// read from (absent: a gap).
    pub periods: Vec<ReviewPeriod>,
    /// Every KPI with a target in some month's statement.
    pub kpis: Vec<ReviewKpi>,
    /// Service fees summed by currency and kind (base fee, commission,
    /// bonus, penalty, markup, minimum or maximum adjustment).
    pub service_fees: Vec<Sum<FeeLineKind>>,
    /// Tax on service fees, by currency.
    pub tax: Vec<Total>,
    /// Pass-through costs summed by currency and category.
    pub pass_through: Vec<Sum<CostCategory>>,
    /// Per market, in its currency: GMV, platform fees and net proceeds summed.
    pub markets: Vec<MarketTotals>,
    /// The amount due summed by currency.
    pub amount_due: Vec<Total>,
    /// Every month's choices and data notes, in month order.
    pub notes: Vec<ReviewNote>,
}

/// One month of the review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewPeriod {
    pub period: Period,
    pub statement: Option<ReviewStatement>,
}

/// The statement a month is read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewStatement {
    pub statement_number: String,
    /// The SHA-256 of its manifest.json, as the register holds it.
    pub manifest_sha256: String,
    /// Its statement.json, relative to the output folder.
    pub file: String,
    /// The settlement currency: of the amount due and the pass-through costs.
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount_due: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub pass_through: Decimal,
    /// The fee currency: of the service fees (before tax) and their tax.
    pub fee_currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub service_fees: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub tax: Decimal,
}

/// One KPI over the months, with how often it met, was in alert or missed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewKpi {
    pub id: KpiId,
    pub market: Scope,
    pub unit: Unit,
    /// The target of the latest month that had one.
    pub target: Option<Bound>,
    /// One per month, in `periods` order; `null` in a gap.
    pub points: Vec<ReviewPoint>,
    pub met: usize,
    pub alert: usize,
    pub missed: usize,
}

/// A KPI's value and status in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewPoint {
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    pub status: Option<Status>,
}

/// An amount summed over the months, for one currency and key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sum<K> {
    pub currency: Currency,
    pub key: K,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
}

/// An amount summed over the months, for one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Total {
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
}

impl From<Sum<()>> for Total {
    fn from(s: Sum<()>) -> Total {
        Total { currency: s.currency, total: s.total }
    }
}

/// A market's figures summed over the months (months without a value add nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarketTotals {
    pub market: Market,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub gmv: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub platform_fees: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub net_proceeds: Decimal,
    /// Months that had figures for the market.
    pub months: usize,
}

/// A note of one month's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewNote {
    pub period: Period,
    pub class: NoteClass,
    pub code: String,
    pub text: String,
}

/// The statements in force for `seller` in `from..=to`, read through the
/// register of the output folder `out`, each with its register entry.
///
/// # Errors
/// [`Error::Config`] when `to` is before `from` or no month of the range
/// has a statement; [`Error::Io`] or [`Error::Config`] naming a
/// statement.json the register lists that cannot be read.
pub fn build(out: &Path, seller: &str, from: Period, to: Period) -> Result<Review, Error> {
    if to < from {
        return Err(Error::config("--to", "(argument)", format!("{to} is before --from {from}")));
    }
    let register = Register::open(out)?;
    let entries = register.in_force(seller);
    let mut periods = Vec::new();
    let mut statements: Vec<(Period, Statement)> = Vec::new();
    let mut month = from;
    while month <= to {
        let entry = entries.iter().find(|e| e.period == month.to_string());
        let statement = match entry {
            Some(e) => {
                let file = PathBuf::from(&e.folder).join(STATEMENT_JSON);
                let path = out.join(&file);
                let bytes = std::fs::read(&path).map_err(|err| Error::io(&path, err))?;
                let st: Statement = serde_json::from_slice(&bytes).map_err(|err| {
                    Error::config(
                        path.display().to_string(),
                        "(document)",
                        format!("is not a statement kpiseal can read: {err}"),
                    )
                })?;
                let summary = ReviewStatement {
                    statement_number: e.statement_number.clone(),
                    manifest_sha256: e.manifest_sha256.clone(),
                    file: file.display().to_string(),
                    currency: st.totals.currency,
                    amount_due: st.totals.amount_due,
                    pass_through: st.pass_through.total,
                    fee_currency: st.service_fees.currency,
                    service_fees: st.service_fees.subtotal,
                    tax: st.service_fees.tax,
                };
                statements.push((month, st));
                Some(summary)
            }
            None => None,
        };
        periods.push(ReviewPeriod { period: month, statement });
        month = month.next();
    }
    if statements.is_empty() {
        return Err(Error::config(
            out.join("statements.log").display().to_string(),
            seller,
            format!("has no statement in force for {seller} from {from} to {to}: issue the months first (kpiseal run)"),
        ));
    }
    Ok(Review {
        schema: SCHEMA.to_string(),
        seller: seller.to_string(),
        from,
        to,
        kpis: kpis(&periods, &statements),
        service_fees: sums(&statements, |st| {
            st.service_fees.lines.iter().map(|l| (st.service_fees.currency, l.kind, l.amount)).collect()
        }),
        tax: sums(&statements, |st| vec![(st.service_fees.currency, (), st.service_fees.tax)])
            .into_iter()
            .map(Total::from)
            .collect(),
        pass_through: sums(&statements, |st| {
            st.pass_through.lines.iter().map(|l| (st.pass_through.currency, l.category, l.converted)).collect()
        }),
        markets: market_totals(&statements),
        amount_due: sums(&statements, |st| vec![(st.totals.currency, (), st.totals.amount_due)])
            .into_iter()
            .map(Total::from)
            .collect(),
        notes: statements
            .iter()
            .flat_map(|(p, st)| {
                st.notes.iter().map(|n| ReviewNote {
                    period: *p,
                    class: n.class,
                    code: n.kind.code(),
                    text: n.text.clone(),
                })
            })
            .collect(),
        periods,
    })
}

/// Every (KPI, scope) with a target in some month, in the order of the
/// first statement that has it.
fn kpis(periods: &[ReviewPeriod], statements: &[(Period, Statement)]) -> Vec<ReviewKpi> {
    let mut keys: Vec<(KpiId, Scope, Unit)> = Vec::new();
    for (_, st) in statements {
        for k in st.kpis.iter().filter(|k| k.target.is_some()) {
            if !keys.iter().any(|(id, scope, _)| *id == k.id && *scope == k.market) {
                keys.push((k.id, k.market, k.unit));
            }
        }
    }
    // A seller with one market has its overall figures equal to that
    // market's: an overall KPI is left out when its market's own has a target.
    let single = statements.last().is_some_and(|(_, st)| st.contract.markets.len() == 1);
    let keys: Vec<(KpiId, Scope, Unit)> = keys
        .iter()
        .copied()
        .filter(|&(id, scope, _)| !repeats_its_market(single, id, scope, keys.iter().map(|&(i, s, _)| (i, s))))
        .collect();
    keys.into_iter()
        .map(|(id, market, unit)| {
            let find = |p: Period| {
                statements
                    .iter()
                    .find(|(sp, _)| *sp == p)
                    .and_then(|(_, st)| st.kpis.iter().find(|k| k.id == id && k.market == market))
            };
            let points: Vec<ReviewPoint> = periods
                .iter()
                .map(|p| match find(p.period) {
                    Some(k) => ReviewPoint { value: k.value, status: Some(k.status) },
                    None => ReviewPoint { value: None, status: None },
                })
                .collect();
            let count = |s: Status| points.iter().filter(|p| p.status == Some(s)).count();
            let target = periods.iter().rev().find_map(|p| find(p.period).and_then(|k| k.target));
            ReviewKpi {
                id,
                market,
                unit,
                target,
                met: count(Status::Met),
                alert: count(Status::Alert),
                missed: count(Status::Missed),
                points,
            }
        })
        .collect()
}

/// The amounts `of` each statement gives, summed by currency and key, in
/// the order of (currency, key).
fn sums<K: Ord + Copy>(
    statements: &[(Period, Statement)],
    of: impl Fn(&Statement) -> Vec<(Currency, K, Decimal)>,
) -> Vec<Sum<K>> {
    let mut totals: BTreeMap<(Currency, K), Decimal> = BTreeMap::new();
    for (_, st) in statements {
        for (currency, key, amount) in of(st) {
            *totals.entry((currency, key)).or_insert(Decimal::ZERO) += amount;
        }
    }
    totals.into_iter().map(|((currency, key), total)| Sum { currency, key, total }).collect()
}

fn market_totals(statements: &[(Period, Statement)]) -> Vec<MarketTotals> {
    let mut out: Vec<MarketTotals> = Vec::new();
    for (_, st) in statements {
        for m in &st.markets {
            let i = match out.iter().position(|t| t.market == m.market && t.currency == m.currency) {
                Some(i) => i,
                None => {
                    out.push(MarketTotals {
                        market: m.market,
                        currency: m.currency,
                        gmv: Decimal::ZERO,
                        platform_fees: Decimal::ZERO,
                        net_proceeds: Decimal::ZERO,
                        months: 0,
                    });
                    out.len() - 1
                }
            };
            let t = &mut out[i];
            t.gmv += m.gmv.unwrap_or(Decimal::ZERO);
            t.platform_fees += m.platform_fees.unwrap_or(Decimal::ZERO);
            t.net_proceeds += m.net_proceeds.unwrap_or(Decimal::ZERO);
            t.months += usize::from(m.gmv.is_some() || m.net_proceeds.is_some());
        }
    }
    out
}

/// The review as a spreadsheet: a row per month (statement number, manifest
/// hash, the amount due and pass-through costs in the settlement currency,
/// the service fees before tax and their tax in the fee currency, then each
/// KPI's value), a gap as empty cells.
///
/// # Errors
/// [`Error::Internal`] if the CSV cannot be written (not expected in memory).
pub fn csv(review: &Review) -> Result<Vec<u8>, Error> {
    let internal = |e: csv::Error| Error::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "period",
        "statement_number",
        "manifest_sha256",
        "currency",
        "amount_due",
        "pass_through",
        "fee_currency",
        "service_fees",
        "tax",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    header.extend(review.kpis.iter().map(|k| format!("{}:{}", k.id, k.market.id())));
    w.write_record(&header).map_err(internal)?;
    for (i, p) in review.periods.iter().enumerate() {
        let mut row = vec![p.period.to_string()];
        match &p.statement {
            Some(s) => row.extend([
                s.statement_number.clone(),
                s.manifest_sha256.clone(),
                s.currency.code().to_string(),
                s.amount_due.to_string(),
                s.pass_through.to_string(),
                s.fee_currency.code().to_string(),
                s.service_fees.to_string(),
                s.tax.to_string(),
            ]),
            None => row.extend(std::iter::repeat_n(String::new(), 8)),
        }
        row.extend(review.kpis.iter().map(|k| k.points[i].value.map(|v| v.to_string()).unwrap_or_default()));
        w.write_record(&row).map_err(internal)?;
    }
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}

/// review.json's bytes.
///
/// # Errors
/// [`Error::Internal`] if the review cannot be serialized (not expected).
pub fn json(review: &Review) -> Result<Vec<u8>, Error> {
    let mut json = serde_json::to_vec_pretty(review).map_err(|e| Error::Internal(e.to_string()))?;
    json.push(b'\n');
    Ok(json)
}

/// Signs the review's PDF as statements are signed (an ECDSA P-256 PAdES
/// signature countersigned by the provider's Ed25519 key), dated the day
/// after its last month, its reason naming the review. Deterministic.
///
/// # Errors
/// [`Error::Internal`] naming the signing step that failed.
pub fn sign(
    pdf: &[u8],
    review: &Review,
    key: &kpiseal_seal::keys::ProviderKey,
    provider: &str,
) -> Result<Vec<u8>, Error> {
    let time = review.to.next().first_day().and_time(chrono::NaiveTime::MIN).and_utc();
    let reason = format!("kpiseal review of {} from {} to {}: not a statement", review.seller, review.from, review.to);
    kpiseal_seal::pdf_signature::sign_pdf(pdf, key, time, &reason, provider).map_err(|e| Error::Internal(e.to_string()))
}

/// Writes `review.json`, `review.csv` and the signed `review.pdf` (`pdf`)
/// as the folder `<out>/reviews/<seller>_<from>_<to>/`, atomically, and
/// returns it.
///
/// # Errors
/// [`Error::Io`] naming the path that failed.
pub fn write(out: &Path, review: &Review, pdf: &[u8]) -> Result<PathBuf, Error> {
    let dir = out.join("reviews").join(format!("{}_{}_{}", review.seller, review.from, review.to));
    let json = json(review)?;
    let csv = csv(review)?;
    crate::output::write_folder_atomically(&dir, &[("review.json", &json), ("review.csv", &csv), ("review.pdf", pdf)])?;
    Ok(dir)
}
