//! The period's FX table and the conversions made with it.
//!
//! Rates come from a plain CSV (`date,base,quote,rate,source`) or the Banco
//! Central do Brasil PTAX daily file. A [`FxQuote`] says how one currency
//! converts into another under the contract's [`RateDate`] rule: which
//! rates, of which dates and sources, multiplied or divided. Rates are kept
//! as quoted: the reverse direction divides by the quoted rate instead of
//! storing its reciprocal, and a conversion rounds once, at the end, to the
//! target currency's minor unit.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contract::RateDate;
use crate::error::{Error, InputError, Location};
use crate::ingest::table::{self, Row, Table, TextFormat};
use crate::money::{Currency, DecimalStyle, RoundingMode, parse_decimal};
use crate::period::Period;

/// The source named on rates read from a PTAX file.
pub const PTAX_SOURCE: &str = "BCB PTAX";

/// One published rate: 1 `base` = `rate` `quote` on `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRate {
    pub date: NaiveDate,
    pub base: Currency,
    pub quote: Currency,
    /// Positive, as published (not rounded).
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Who published it, e.g. `PBoC central parity` or `BCB PTAX`.
    pub source: String,
}

// ---------------------------------------------------------------------------
// Reading rate files

/// Reads an FX table file of either format, telling them apart with
/// [`looks_like_ptax`].
///
/// # Errors
/// As [`parse_ptax`] or [`parse_fx_csv`].
pub fn read_rates(file: &str, bytes: &[u8]) -> Result<Vec<FxRate>, InputError> {
    if looks_like_ptax(bytes) { parse_ptax(file, bytes) } else { parse_fx_csv(file, bytes) }
}

/// Reads a plain CSV FX table: header `date,base,quote,rate,source` (by
/// name, any order, BOM tolerated), `date` as YYYY-MM-DD, `base` and `quote`
/// two different supported currencies, `rate` a positive number (1 base =
/// rate quote), `source` not blank. Rows are returned in file order.
///
/// # Errors
/// An [`InputError`] naming the file, line, column and what was expected.
pub fn parse_fx_csv(file: &str, bytes: &[u8]) -> Result<Vec<FxRate>, InputError> {
    let format = TextFormat { delimiter: b',', quoting: true, style: DecimalStyle::Point };
    let t = table::read_text(file, bytes, format, |_| true)?;
    t.refuse_repeated_headers()?;
    let date = t.require(&["date"])?;
    let base = t.require(&["base"])?;
    let quote = t.require(&["quote"])?;
    let rate = t.require(&["rate"])?;
    let source = t.require(&["source"])?;
    t.rows
        .iter()
        .map(|row| {
            let day = csv_date(&t, row, date)?;
            let b = csv_currency(&t, row, base)?;
            let q = csv_currency(&t, row, quote)?;
            if b == q {
                return Err(t.error(
                    row,
                    quote,
                    format!("base and quote are both {b}; expected two different currencies"),
                ));
            }
            let text = t.text(row, rate);
            let value = if text.contains('%') {
                Err(format!("{text:?} is a percentage; expected a rate such as 7.1055"))
            } else {
                positive_rate(&text, DecimalStyle::Point)
            }
            .map_err(|m| t.error(row, rate, m))?;
            let src = t.text(row, source);
            if src.is_empty() {
                return Err(t.error(row, source, "the source is missing: every rate names who published it"));
            }
            Ok(FxRate { date: day, base: b, quote: q, rate: value, source: src })
        })
        .collect()
}

fn csv_date(t: &Table, row: &Row, col: usize) -> Result<NaiveDate, InputError> {
    let text = t.text(row, col);
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| t.error(row, col, format!("{text:?} is not a date (expected YYYY-MM-DD, e.g. 2026-10-30)")))
}

fn csv_currency(t: &Table, row: &Row, col: usize) -> Result<Currency, InputError> {
    t.text(row, col).parse::<Currency>().map_err(|m| t.error(row, col, m))
}

fn positive_rate(text: &str, style: DecimalStyle) -> Result<Decimal, String> {
    if text.is_empty() {
        return Err("the rate is missing".to_string());
    }
    let value = parse_decimal(text, style)?;
    if value <= Decimal::ZERO {
        return Err(format!("{text:?} is not a positive rate"));
    }
    // USD, CNY and BRL quote each other between about 0.1 and 10; a rate
    // beyond these bounds is a misplaced separator or another column, and
    // would overflow or vanish in a conversion.
    if value > Decimal::from(MAX_RATE) || value < Decimal::new(1, 6) {
        return Err(format!("{text:?} is out of range: expected a rate between 0.000001 and {MAX_RATE}"));
    }
    Ok(value)
}

/// The largest exchange rate a file may give.
const MAX_RATE: i64 = 1_000_000;

/// The columns of a PTAX file, which has no header row.
const PTAX_COLUMNS: [&str; 8] =
    ["Data", "Código", "Tipo", "Símbolo", "Taxa Compra", "Taxa Venda", "Paridade Compra", "Paridade Venda"];

/// Reads a Banco Central do Brasil PTAX daily file as published: no header,
/// `;`-separated, decimal comma,
/// `Data;Código;Tipo;Símbolo;Taxa Compra;Taxa Venda;Paridade Compra;Paridade Venda`
/// with Data as DDMMYYYY (`30102026`; `30/10/2026` is also read).
///
/// Each row gives 1 Símbolo = Taxa Venda BRL, source [`PTAX_SOURCE`]. The
/// selling rate (taxa de venda) is the one BCB publishes as "the PTAX" for
/// converting obligations, so it is the rate used here; the buying rate and
/// the USD parities are not read. Rows for currencies other than USD and CNY
/// are skipped. Every row's date is checked, skipped or not.
///
/// # Errors
/// An [`InputError`] naming the file, line and column (by the published
/// column name) of a row with too few fields, an unreadable date or a
/// selling rate that is not a positive number.
pub fn parse_ptax(file: &str, bytes: &[u8]) -> Result<Vec<FxRate>, InputError> {
    let text = table::decode_text_checked(file, bytes)?;
    let mut rates = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let number = i + 1;
        let error = |col: usize, message: String| InputError {
            file: file.to_string(),
            location: Location::Line(number),
            column: PTAX_COLUMNS.get(col).map(|c| c.to_string()),
            message,
        };
        let fields: Vec<&str> = line.split(';').map(|f| f.trim().trim_matches('"').trim()).collect();
        if fields.len() < 6 {
            return Err(InputError {
                file: file.to_string(),
                location: Location::Line(number),
                column: None,
                message: format!(
                    "expected a PTAX row with 8 `;`-separated fields ({}), found {}",
                    PTAX_COLUMNS.join(";"),
                    fields.len()
                ),
            });
        }
        let field = |col: usize| fields.get(col).copied().unwrap_or("");
        let date = ptax_date(field(0))
            .ok_or_else(|| error(0, format!("{:?} is not a date (expected DDMMYYYY, e.g. 30102026)", field(0))))?;
        let base = match field(3).parse::<Currency>() {
            Ok(c @ (Currency::Usd | Currency::Cny)) => c,
            _ => continue,
        };
        let rate = positive_rate(field(5), DecimalStyle::Comma).map_err(|m| error(5, m))?;
        rates.push(FxRate { date, base, quote: Currency::Brl, rate, source: PTAX_SOURCE.to_string() });
    }
    Ok(rates)
}

/// `30102026`, `1102026` (a leading zero lost to a spreadsheet) or `30/10/2026`.
fn ptax_date(text: &str) -> Option<NaiveDate> {
    if text.contains('/') {
        return NaiveDate::parse_from_str(text, "%d/%m/%Y").ok();
    }
    if !text.chars().all(|c| c.is_ascii_digit()) || !(7..=8).contains(&text.len()) {
        return None;
    }
    let padded = format!("{text:0>8}");
    let day = padded.get(0..2)?.parse().ok()?;
    let month = padded.get(2..4)?.parse().ok()?;
    let year = padded.get(4..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Whether `bytes` read as a PTAX file rather than a plain CSV: the first
/// non-blank line has at least 6 `;`-separated fields, a DDMMYYYY date
/// first, a 3-letter currency symbol fourth and a decimal-comma selling rate
/// sixth. A plain CSV's header line never does.
pub fn looks_like_ptax(bytes: &[u8]) -> bool {
    let text = table::decode_text(bytes);
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else { return false };
    let fields: Vec<&str> = first.split(';').map(|f| f.trim().trim_matches('"').trim()).collect();
    let field = |col: usize| fields.get(col).copied().unwrap_or("");
    let symbol = field(3);
    // The date's shape, not its validity: a PTAX file whose first date is
    // wrong is still a PTAX file, and its reader names the bad date.
    let date = field(0);
    let date_shaped = (7..=8).contains(&date.len()) && date.chars().all(|c| c.is_ascii_digit())
        || date.len() == 10 && date.chars().filter(|c| *c == '/').count() == 2;
    fields.len() >= 6
        && date_shaped
        && symbol.len() == 3
        && symbol.chars().all(|c| c.is_ascii_uppercase())
        && parse_decimal(field(5), DecimalStyle::Comma).is_ok()
}

// ---------------------------------------------------------------------------
// The table and its quotes

/// The period's exchange rates, in a deterministic order (pair, date, rate,
/// source) whatever order the files listed them in; exact duplicates (two
/// files giving the same rate) are kept once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxTable {
    rates: Vec<FxRate>,
}

/// How a leg applies its rate to the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FxOperation {
    /// amount × rate: the amount is in the rate's base currency.
    Multiply,
    /// amount ÷ rate: the amount is in the rate's quote currency.
    Divide,
}

impl FxOperation {
    fn symbol(self) -> &'static str {
        match self {
            FxOperation::Multiply => "×",
            FxOperation::Divide => "÷",
        }
    }
}

/// Which published rate(s) a leg's rate is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FxRateBasis {
    /// The rate published on `date`.
    Day { date: NaiveDate },
    /// The arithmetic mean of `count` rates dated `first` to `last`.
    Average { count: usize, first: NaiveDate, last: NaiveDate },
}

impl FxRateBasis {
    /// The last date the rate reflects.
    pub fn as_of(&self) -> NaiveDate {
        match self {
            FxRateBasis::Day { date } => *date,
            FxRateBasis::Average { last, .. } => *last,
        }
    }
}

impl fmt::Display for FxRateBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FxRateBasis::Day { date } => write!(f, "{date}"),
            FxRateBasis::Average { count, first, last } => {
                let plural = if *count == 1 { "" } else { "s" };
                write!(f, "average of {count} rate{plural} from {first} to {last}")
            }
        }
    }
}

/// One rate a conversion applies: the pair as the table quotes it
/// (1 `base` = `rate` `quote`), which published rate(s) it is, and whether
/// the amount is multiplied or divided by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxLeg {
    pub base: Currency,
    pub quote: Currency,
    /// The rate as published, or the exact mean of the rates averaged.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    pub basis: FxRateBasis,
    pub source: String,
    pub operation: FxOperation,
}

impl FxLeg {
    /// `amount` × or ÷ the rate at full precision; `None` on overflow.
    fn apply(&self, amount: Decimal) -> Option<Decimal> {
        match self.operation {
            FxOperation::Multiply => amount.checked_mul(self.rate),
            FxOperation::Divide => amount.checked_div(self.rate),
        }
    }
}

/// How a quote was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FxMethod {
    /// Same currency: no rate, no rounding beyond the minor unit.
    Identity,
    /// The table quotes from/to: multiply.
    Direct,
    /// The table quotes to/from: divide by it.
    Inverse,
    /// Neither: through USD, each leg direct or inverse. There is no official
    /// BRL/CNY parity, so BRL↔CNY goes this way unless the table has one.
    CrossViaUsd,
}

/// How to convert `from` into `to` for one period: the legs applied in
/// order, the date the quote is as of (the latest of its legs' dates, or
/// the period's last day for the identity) and the sources joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxQuote {
    pub from: Currency,
    pub to: Currency,
    pub legs: Vec<FxLeg>,
    pub date: NaiveDate,
    pub source: String,
    pub method: FxMethod,
}

/// A rate found for one leg, before it is given a direction.
struct Found {
    base: Currency,
    quote: Currency,
    rate: Decimal,
    basis: FxRateBasis,
    source: String,
}

impl Found {
    fn leg(self, operation: FxOperation) -> FxLeg {
        FxLeg { base: self.base, quote: self.quote, rate: self.rate, basis: self.basis, source: self.source, operation }
    }
}

/// Why a pair had no usable rate.
enum Miss {
    /// No rate of the pair fits the rule.
    Absent,
    /// The table is ambiguous or unusable for this pair: the message says why.
    Bad(String),
}

impl FxTable {
    /// A table of `rates`, sorted by (base, quote, date, rate, source) with
    /// exact duplicates removed, so lookups do not depend on file order.
    pub fn new(mut rates: Vec<FxRate>) -> Self {
        rates.sort_by(|a, b| {
            (a.base, a.quote, a.date, a.rate, &a.source).cmp(&(b.base, b.quote, b.date, b.rate, &b.source))
        });
        rates.dedup();
        FxTable { rates }
    }

    /// The rates, in the table's order.
    pub fn rates(&self) -> &[FxRate] {
        &self.rates
    }

    /// How to convert `from` into `to` for `period` under `rule`.
    ///
    /// - [`RateDate::PeriodEnd`]: the latest rate dated on or before the
    ///   period's last day (a month ending on a weekend uses the last
    ///   business day's rate).
    /// - [`RateDate::PeriodAverage`]: the arithmetic mean, at full precision,
    ///   of the rates dated within the period, one per published day. An
    ///   inverse average divides by the mean of the rates as quoted (not the
    ///   mean of their reciprocals); a cross averages each leg on its own.
    ///
    /// Lookup order: a direct rate (base `from`, quote `to`: multiply); else
    /// the inverse (base `to`, quote `from`: divide by it, never by a stored
    /// reciprocal). When neither currency is USD (BRL/CNY, which has no
    /// official parity) it is always a cross through USD
    /// whose two legs are each direct or inverse (BRL→CNY = ÷ USD/BRL ×
    /// USD/CNY). `from == to` is the identity quote with no legs.
    ///
    /// # Errors
    /// [`Error::Fx`] naming the pair and the date when no rate fits the rule
    /// (e.g. "no USD/CNY rate on or before 2026-10-31 in the FX table"), or
    /// when the table gives two different rates of one pair on the same day.
    pub fn quote(&self, from: Currency, to: Currency, rule: RateDate, period: Period) -> Result<FxQuote, Error> {
        if from == to {
            return Ok(FxQuote::identity(from, period.last_day()));
        }
        // DOMAIN.md: there is no official BRL/CNY parity, so that pair always
        // crosses through USD, even when a table lists a BRL/CNY row.
        let no_official_parity = from != Currency::Usd && to != Currency::Usd;
        if !no_official_parity && let Some(leg) = self.pair(from, to, rule, period)? {
            let method = match leg.operation {
                FxOperation::Multiply => FxMethod::Direct,
                FxOperation::Divide => FxMethod::Inverse,
            };
            return Ok(FxQuote::from_legs(from, to, vec![leg], method));
        }
        if from == Currency::Usd || to == Currency::Usd {
            return Err(missing(from, to, rule, period, None));
        }
        let to_usd = self.pair(from, Currency::Usd, rule, period)?;
        let from_usd = self.pair(Currency::Usd, to, rule, period)?;
        match (to_usd, from_usd) {
            (Some(a), Some(b)) => Ok(FxQuote::from_legs(from, to, vec![a, b], FxMethod::CrossViaUsd)),
            (None, _) => Err(missing(from, to, rule, period, Some((from, Currency::Usd)))),
            (Some(_), None) => Err(missing(from, to, rule, period, Some((Currency::Usd, to)))),
        }
    }

    /// Every FX problem a statement would meet, found up front so that a
    /// stage reports them all together: for each pair of `needed` (pairs the
    /// statement converts for certain), the error of [`FxTable::quote`] when
    /// the table cannot quote it; for each pair of `needed` and `maybe`
    /// (pairs it converts only if there is an amount to convert) that the
    /// table can quote, the error of [`FxQuote::check_age`] when a rate is
    /// too old. Each distinct message once, `needed` first.
    pub fn problems(
        &self,
        needed: &[(Currency, Currency)],
        maybe: &[(Currency, Currency)],
        rule: RateDate,
        period: Period,
        max_age_days: u32,
    ) -> Vec<Error> {
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        let certain = needed.iter().map(|p| (p, true));
        for (&(from, to), must) in certain.chain(maybe.iter().map(|p| (p, false))) {
            let problem = match self.quote(from, to, rule, period) {
                Ok(q) => q.check_age(period, max_age_days).err(),
                Err(e) if must => Some(e),
                Err(_) => None,
            };
            if let Some(e) = problem {
                let text = e.to_string();
                if !seen.contains(&text) {
                    seen.push(text);
                    out.push(e);
                }
            }
        }
        out
    }

    /// The one leg converting `from` into `to`, direct or inverse.
    fn pair(&self, from: Currency, to: Currency, rule: RateDate, period: Period) -> Result<Option<FxLeg>, Error> {
        match self.find(from, to, rule, period) {
            Ok(found) => {
                // The same pair quoted both ways must agree (to within the
                // rounding of a published inverse): reading one direction
                // and ignoring the other would pick a rate by file layout.
                // Day rates are compared on the same day; averages always.
                let comparable = |a: &FxRateBasis, b: &FxRateBasis| match (a, b) {
                    (FxRateBasis::Day { date: x }, FxRateBasis::Day { date: y }) => x == y,
                    (FxRateBasis::Average { .. }, FxRateBasis::Average { .. }) => true,
                    _ => false,
                };
                if let Ok(inverse) = self.find(to, from, rule, period)
                    && comparable(&found.basis, &inverse.basis)
                {
                    let product = found.rate * inverse.rate;
                    if (product - Decimal::ONE).abs() > Decimal::new(1, 2) {
                        return Err(Error::Fx(format!(
                            "the FX table quotes {from}/{to} {} ({}, {}) and {to}/{from} {} ({}, {}), which disagree ({} × {} = {}, not 1): give the pair one way only, or correct the rate that is wrong",
                            found.rate,
                            found.basis,
                            found.source,
                            inverse.rate,
                            inverse.basis,
                            inverse.source,
                            found.rate,
                            inverse.rate,
                            product.round_dp(6).normalize()
                        )));
                    }
                }
                return Ok(Some(found.leg(FxOperation::Multiply)));
            }
            Err(Miss::Bad(m)) => return Err(Error::Fx(m)),
            Err(Miss::Absent) => {}
        }
        match self.find(to, from, rule, period) {
            Ok(found) => Ok(Some(found.leg(FxOperation::Divide))),
            Err(Miss::Bad(m)) => Err(Error::Fx(m)),
            Err(Miss::Absent) => Ok(None),
        }
    }

    /// The rates quoted base/quote, one per day (distinct rates on one day
    /// are an error), in date order.
    fn days(&self, base: Currency, quote: Currency) -> Result<Vec<(NaiveDate, Decimal, &str)>, Miss> {
        let mut out: Vec<(NaiveDate, Decimal, &str)> = Vec::new();
        for r in self.rates.iter().filter(|r| r.base == base && r.quote == quote) {
            if r.rate <= Decimal::ZERO {
                return Err(Miss::Bad(format!(
                    "the FX table's {base}/{quote} rate on {} ({}) is {}; rates must be positive",
                    r.date, r.source, r.rate
                )));
            }
            match out.last() {
                Some(&(date, rate, source)) if date == r.date => {
                    if rate != r.rate {
                        return Err(Miss::Bad(format!(
                            "the FX table has two different {base}/{quote} rates on {date}: {rate} ({source}) and {} ({}); keep one",
                            r.rate, r.source
                        )));
                    }
                }
                _ => out.push((r.date, r.rate, &r.source)),
            }
        }
        Ok(out)
    }

    fn find(&self, base: Currency, quote: Currency, rule: RateDate, period: Period) -> Result<Found, Miss> {
        let days = self.days(base, quote)?;
        match rule {
            RateDate::PeriodEnd => {
                let last = period.last_day();
                let Some(&(date, rate, source)) = days.iter().rev().find(|(d, _, _)| *d <= last) else {
                    return Err(Miss::Absent);
                };
                Ok(Found { base, quote, rate, basis: FxRateBasis::Day { date }, source: source.to_string() })
            }
            RateDate::PeriodAverage => {
                let within: Vec<&(NaiveDate, Decimal, &str)> =
                    days.iter().filter(|(d, _, _)| period.contains(*d)).collect();
                let (Some(first), Some(last)) = (within.first(), within.last()) else { return Err(Miss::Absent) };
                let overflow = || Miss::Bad(format!("the {base}/{quote} rates of {period} are too large to average"));
                let mut sum = Decimal::ZERO;
                for (_, rate, _) in &within {
                    sum = sum.checked_add(*rate).ok_or_else(overflow)?;
                }
                let mean = sum.checked_div(Decimal::from(within.len())).ok_or_else(overflow)?;
                let sources: BTreeSet<&str> = within.iter().map(|(_, _, s)| *s).collect();
                Ok(Found {
                    base,
                    quote,
                    rate: mean.normalize(),
                    basis: FxRateBasis::Average { count: within.len(), first: first.0, last: last.0 },
                    source: sources.into_iter().collect::<Vec<_>>().join(" / "),
                })
            }
        }
    }
}

/// The error for a pair with no usable rate; `lacking` is the USD leg a
/// cross could not find.
fn missing(
    from: Currency,
    to: Currency,
    rule: RateDate,
    period: Period,
    lacking: Option<(Currency, Currency)>,
) -> Error {
    let when = match rule {
        RateDate::PeriodEnd => format!("rate on or before {}", period.last_day()),
        RateDate::PeriodAverage => {
            format!("rate dated within {period} ({} to {}) to average", period.first_day(), period.last_day())
        }
    };
    let looked = match lacking {
        None => format!("looked for {from}/{to} and {to}/{from}"),
        Some((a, b)) => {
            format!("looked for {from}/{to}, {to}/{from} and a cross via USD, which lacks a {a}/{b} or {b}/{a} rate")
        }
    };
    Error::Fx(format!("no {from}/{to} {when} in the FX table ({looked})"))
}

impl FxQuote {
    /// The quote converting `currency` into itself, as of `date`.
    pub fn identity(currency: Currency, date: NaiveDate) -> Self {
        FxQuote {
            from: currency,
            to: currency,
            legs: Vec::new(),
            date,
            source: "same currency".to_string(),
            method: FxMethod::Identity,
        }
    }

    fn from_legs(from: Currency, to: Currency, legs: Vec<FxLeg>, method: FxMethod) -> Self {
        let date = legs.iter().map(|l| l.basis.as_of()).max().unwrap_or(NaiveDate::MIN);
        let mut sources: Vec<&str> = Vec::new();
        for leg in &legs {
            if !sources.contains(&leg.source.as_str()) {
                sources.push(&leg.source);
            }
        }
        let source = sources.join(" / ");
        FxQuote { from, to, legs, date, source, method }
    }

    /// Checks the quote's day rates are recent enough for `period`: each leg
    /// taken from one published day (the `period_end` rule) must be dated at
    /// most `max_age_days` before the period's last day. Averages (dated
    /// within the period by construction) and the identity always pass.
    ///
    /// # Errors
    /// [`Error::Fx`] naming the pair, the date of the rate found, its
    /// source, how many days before the period's end it is and the limit,
    /// for the first leg that is too old.
    pub fn check_age(&self, period: Period, max_age_days: u32) -> Result<(), Error> {
        let last = period.last_day();
        for leg in &self.legs {
            let FxRateBasis::Day { date } = leg.basis else { continue };
            let age = (last - date).num_days();
            if age > i64::from(max_age_days) {
                let days = |n: i64| if n == 1 { "1 day".to_string() } else { format!("{n} days") };
                return Err(Error::Fx(format!(
                    "the latest {}/{} rate on or before {last} in the FX table is dated {date} ({}), {} before the period's last day, more than the {} the contract allows (fx.max_age_days): add {period}'s rates to the FX files",
                    leg.base,
                    leg.quote,
                    leg.source,
                    days(age),
                    days(i64::from(max_age_days))
                )));
            }
        }
        Ok(())
    }

    /// `amount` in `from` converted into `to`: multiplied or divided through
    /// the legs at full rust_decimal precision, then rounded once to the
    /// target's minor unit with `mode`.
    ///
    /// Never panics: a conversion beyond rust_decimal's range (about
    /// ±7.9 × 10²⁸, far past any real amount) saturates at that bound; use
    /// [`FxQuote::checked_convert`] to detect it.
    pub fn convert(&self, amount: Decimal, mode: RoundingMode) -> Decimal {
        self.checked_convert(amount, mode).unwrap_or(if amount.is_sign_negative() {
            Decimal::MIN
        } else {
            Decimal::MAX
        })
    }

    /// Like [`FxQuote::convert`].
    ///
    /// # Errors
    /// [`Error::Fx`] when the conversion overflows rust_decimal or a leg's
    /// rate is zero.
    pub fn checked_convert(&self, amount: Decimal, mode: RoundingMode) -> Result<Decimal, Error> {
        let mut value = amount;
        for leg in &self.legs {
            value = leg.apply(value).ok_or_else(|| {
                Error::Fx(format!(
                    "converting {amount} {} into {} with {}/{} {} overflows",
                    self.from, self.to, leg.base, leg.quote, leg.rate
                ))
            })?;
        }
        Ok(mode.round_money(value, self.to))
    }

    /// The rate 1 `from` converts at, rounded half-up to 6 decimal places,
    /// for printing only (conversions use the legs at full precision).
    /// Saturates like [`FxQuote::convert`] for rates beyond rust_decimal's range.
    pub fn effective_rate(&self) -> Decimal {
        let mut value = Decimal::ONE;
        for leg in &self.legs {
            value = leg.apply(value).unwrap_or(Decimal::MAX);
        }
        RoundingMode::HalfUp.round_dp(value, 6).normalize()
    }

    /// The quote in English, for logs and the statement's FX section, e.g.
    /// `USD/CNY 7.1055 on 2026-10-30 (PBoC central parity)` or
    /// `BRL→CNY crossed via USD: ÷ USD/BRL 5.3762 (2026-10-30, BCB PTAX) × USD/CNY 7.1055 (2026-10-30, PBoC)`.
    /// Averaged rates print rounded to 6 decimal places.
    pub fn describe(&self) -> String {
        let (from, to) = (self.from, self.to);
        match (self.method, self.legs.as_slice()) {
            (FxMethod::Direct, [leg]) => match &leg.basis {
                FxRateBasis::Day { date } => {
                    format!("{}/{} {} on {date} ({})", leg.base, leg.quote, shown(leg.rate), leg.source)
                }
                basis => format!("{}/{} {}, {basis} ({})", leg.base, leg.quote, shown(leg.rate), leg.source),
            },
            (FxMethod::Inverse, [leg]) => format!("{from}→{to}: {}", describe_leg(leg)),
            (FxMethod::CrossViaUsd, legs) => {
                let legs: Vec<String> = legs.iter().map(describe_leg).collect();
                format!("{from}→{to} crossed via USD: {}", legs.join(" "))
            }
            (FxMethod::Identity, _) => format!("{from}→{to}: same currency, no conversion"),
            (_, legs) => {
                let legs: Vec<String> = legs.iter().map(describe_leg).collect();
                format!("{from}→{to}: {}", legs.join(" "))
            }
        }
    }
}

fn describe_leg(leg: &FxLeg) -> String {
    format!("{} {}/{} {} ({}, {})", leg.operation.symbol(), leg.base, leg.quote, shown(leg.rate), leg.basis, leg.source)
}

/// A rate as printed: as published, or rounded to 6 places when it is a mean.
fn shown(rate: Decimal) -> Decimal {
    if rate.scale() > 6 { RoundingMode::HalfUp.round_dp(rate, 6).normalize() } else { rate }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn day(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn october() -> Period {
        Period::new(2026, 10).unwrap()
    }

    fn rate(date: NaiveDate, base: Currency, quote: Currency, r: &str, source: &str) -> FxRate {
        FxRate { date, base, quote, rate: d(r), source: source.to_string() }
    }

    use Currency::{Brl, Cny, Usd};

    /// PBoC USD/CNY and BCB USD/BRL for the end of October 2026 (31 Oct is a Saturday).
    fn end_of_october() -> FxTable {
        FxTable::new(vec![
            rate(day(2026, 10, 30), Usd, Cny, "7.1055", "PBoC"),
            rate(day(2026, 10, 29), Usd, Cny, "7.1010", "PBoC"),
            rate(day(2026, 11, 2), Usd, Cny, "7.2000", "PBoC"),
            rate(day(2026, 10, 30), Usd, Brl, "5.3762", "BCB PTAX"),
            rate(day(2026, 10, 29), Usd, Brl, "5.3500", "BCB PTAX"),
        ])
    }

    const FX_CSV: &str = "\u{feff}date,base,quote,rate,source\n\
2026-10-30,USD,CNY,7.1055,PBoC central parity\n\
2026-10-30,USD,BRL,5.3762,BCB PTAX\n";

    #[test]
    fn plain_csv_reads_rates_as_published() {
        let rates = parse_fx_csv("fx/2026-10.csv", FX_CSV.as_bytes()).unwrap();
        assert_eq!(rates.len(), 2);
        assert_eq!(rates[0], rate(day(2026, 10, 30), Usd, Cny, "7.1055", "PBoC central parity"));
        assert_eq!(rates[1].rate.to_string(), "5.3762");
        assert!(!looks_like_ptax(FX_CSV.as_bytes()));
        assert_eq!(read_rates("fx/2026-10.csv", FX_CSV.as_bytes()).unwrap(), rates);
    }

    #[test]
    fn plain_csv_columns_by_name_in_any_order() {
        let csv = "source,rate,quote,base,date\nPBoC,7.1,CNY,USD,2026-10-30\n";
        let rates = parse_fx_csv("fx.csv", csv.as_bytes()).unwrap();
        assert_eq!(rates[0], rate(day(2026, 10, 30), Usd, Cny, "7.1", "PBoC"));
    }

    #[test]
    fn plain_csv_errors_name_line_column_and_expectation() {
        let head = "date,base,quote,rate,source\n";
        let cases = [
            ("2026-10-30,USD,CNY,0,PBoC", "fx.csv:2: column \"rate\": \"0\" is not a positive rate"),
            ("2026-10-30,USD,CNY,-7.1,PBoC", "fx.csv:2: column \"rate\": \"-7.1\" is not a positive rate"),
            ("2026-10-30,USD,CNY,,PBoC", "fx.csv:2: column \"rate\": the rate is missing"),
            (
                "2026-10-30,USD,CNY,7.1%,PBoC",
                "fx.csv:2: column \"rate\": \"7.1%\" is a percentage; expected a rate such as 7.1055",
            ),
            (
                "2026-10-30,USD,CNY,abc,PBoC",
                "fx.csv:2: column \"rate\": \"abc\" is not a number (expected e.g. 1,234.56)",
            ),
            (
                "30/10/2026,USD,CNY,7.1,PBoC",
                "fx.csv:2: column \"date\": \"30/10/2026\" is not a date (expected YYYY-MM-DD, e.g. 2026-10-30)",
            ),
            (
                "2026-10-30,EUR,CNY,7.1,PBoC",
                "fx.csv:2: column \"base\": unknown currency \"EUR\"; expected USD, CNY or BRL",
            ),
            (
                "2026-10-30,USD,USD,1,PBoC",
                "fx.csv:2: column \"quote\": base and quote are both USD; expected two different currencies",
            ),
            (
                "2026-10-30,USD,CNY,7.1, ",
                "fx.csv:2: column \"source\": the source is missing: every rate names who published it",
            ),
        ];
        for (row, expected) in cases {
            let e = parse_fx_csv("fx.csv", format!("{head}{row}\n").as_bytes()).unwrap_err();
            assert_eq!(e.to_string(), expected);
        }
        let e = parse_fx_csv("fx.csv", b"date,base,quote,rate\n").unwrap_err();
        assert_eq!(e.to_string(), "fx.csv:1: column \"source\": missing column in the header");
    }

    /// Lines as BCB publishes them, including a currency kpiseal does not use.
    const PTAX: &str = "29102026;220;A;USD;5,3494;5,3500;1,0000;1,0000\n\
29102026;796;A;CNY;0,7531;0,7535;7,0990;7,1010\n\
29102026;978;B;EUR;6,1900;6,1920;1,1570;1,1575\n\
30102026;220;A;USD;5,3756;5,3762;1,0000;1,0000\n";

    #[test]
    fn ptax_gives_selling_rate_against_brl_and_skips_other_currencies() {
        assert!(looks_like_ptax(PTAX.as_bytes()));
        let rates = parse_ptax("fx/PTAX_20261030.csv", PTAX.as_bytes()).unwrap();
        assert_eq!(
            rates,
            vec![
                rate(day(2026, 10, 29), Usd, Brl, "5.3500", "BCB PTAX"),
                rate(day(2026, 10, 29), Cny, Brl, "0.7535", "BCB PTAX"),
                rate(day(2026, 10, 30), Usd, Brl, "5.3762", "BCB PTAX"),
            ]
        );
        assert_eq!(read_rates("fx/PTAX_20261030.csv", PTAX.as_bytes()).unwrap(), rates);
    }

    #[test]
    fn ptax_dates_lost_leading_zero_or_slashed_are_read() {
        let text = "1102026;220;A;USD;5,30;5,31;1;1\n02/10/2026;220;A;USD;5,32;5,33;1;1\n";
        let rates = parse_ptax("p.csv", text.as_bytes()).unwrap();
        assert_eq!(rates[0].date, day(2026, 10, 1));
        assert_eq!(rates[1].date, day(2026, 10, 2));
    }

    #[test]
    fn ptax_errors_name_line_and_published_column() {
        let e = parse_ptax("p.csv", "30102026;220;A;USD;5,37\n".as_bytes()).unwrap_err();
        assert!(e.to_string().starts_with("p.csv:1: expected a PTAX row with 8 `;`-separated fields"), "{e}");
        let e = parse_ptax("p.csv", "\n32102026;220;A;USD;5,3756;5,3762;1;1\n".as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.csv:2: column \"Data\": \"32102026\" is not a date (expected DDMMYYYY, e.g. 30102026)"
        );
        let e = parse_ptax("p.csv", "30102026;220;A;USD;5,3756;0,0000;1;1\n".as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "p.csv:1: column \"Taxa Venda\": \"0,0000\" is not a positive rate");
    }

    #[test]
    fn ptax_is_told_apart_from_plain_csv_and_other_text() {
        assert!(looks_like_ptax(b"\xEF\xBB\xBF30102026;220;A;USD;5,3756;5,3762;1,0000;1,0000\r\n"));
        assert!(!looks_like_ptax(b"date;base;quote;rate;source\n"));
        assert!(!looks_like_ptax(b""));
        assert!(!looks_like_ptax(b"30102026,220,A,USD,5.3756,5.3762,1,1\n"));
        assert!(!looks_like_ptax("N.º de venda;Total (BRL)\n".as_bytes()));
    }

    #[test]
    fn table_order_does_not_depend_on_input_order_and_drops_exact_duplicates() {
        let a = rate(day(2026, 10, 30), Usd, Cny, "7.1055", "PBoC");
        let b = rate(day(2026, 10, 29), Usd, Brl, "5.35", "BCB PTAX");
        let c = rate(day(2026, 10, 29), Usd, Cny, "7.1010", "PBoC");
        let one = FxTable::new(vec![a.clone(), b.clone(), c.clone(), a.clone()]);
        let two = FxTable::new(vec![c, a, b]);
        assert_eq!(one, two);
        assert_eq!(one.rates().len(), 3);
    }

    #[test]
    fn period_end_on_a_saturday_uses_fridays_rate() {
        let q = end_of_october().quote(Usd, Cny, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(q.method, FxMethod::Direct);
        assert_eq!(q.date, day(2026, 10, 30));
        assert_eq!(q.legs.len(), 1);
        assert_eq!(q.legs[0].rate, d("7.1055"));
        assert_eq!(q.legs[0].operation, FxOperation::Multiply);
        assert_eq!(q.convert(d("100.00"), RoundingMode::HalfUp).to_string(), "710.55");
        assert_eq!(q.describe(), "USD/CNY 7.1055 on 2026-10-30 (PBoC)");
        assert_eq!(q.effective_rate(), d("7.1055"));
    }

    #[test]
    fn period_average_is_the_mean_of_the_rates_within_the_period() {
        let table = FxTable::new(vec![
            rate(day(2026, 9, 30), Usd, Cny, "9.0000", "PBoC"),
            rate(day(2026, 10, 1), Usd, Cny, "7.1000", "PBoC"),
            rate(day(2026, 10, 15), Usd, Cny, "7.1100", "PBoC"),
            rate(day(2026, 10, 30), Usd, Cny, "7.1300", "PBoC"),
            rate(day(2026, 11, 2), Usd, Cny, "9.0000", "PBoC"),
        ]);
        let q = table.quote(Usd, Cny, RateDate::PeriodAverage, october()).unwrap();
        assert_eq!(q.legs[0].rate, d("7.1133333333333333333333333333"));
        assert_eq!(
            q.legs[0].basis,
            FxRateBasis::Average { count: 3, first: day(2026, 10, 1), last: day(2026, 10, 30) }
        );
        assert_eq!(q.date, day(2026, 10, 30));
        // 1000 × 7.11333… = 7113.333… → 7113.33
        assert_eq!(q.convert(d("1000"), RoundingMode::HalfUp).to_string(), "7113.33");
        assert_eq!(q.describe(), "USD/CNY 7.113333, average of 3 rates from 2026-10-01 to 2026-10-30 (PBoC)");
    }

    #[test]
    fn period_average_without_rates_in_the_period_is_an_error() {
        let table = FxTable::new(vec![rate(day(2026, 9, 30), Usd, Cny, "7.1", "PBoC")]);
        let e = table.quote(Usd, Cny, RateDate::PeriodAverage, october()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no USD/CNY rate dated within 2026-10 (2026-10-01 to 2026-10-31) to average in the FX table (looked for USD/CNY and CNY/USD)"
        );
    }

    #[test]
    fn inverse_divides_by_the_quoted_rate() {
        let q = end_of_october().quote(Cny, Usd, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(q.method, FxMethod::Inverse);
        assert_eq!(q.legs[0].rate, d("7.1055"), "the rate is kept as quoted, not as its reciprocal");
        assert_eq!(q.legs[0].operation, FxOperation::Divide);
        // 10000 ÷ 7.1055 = 1407.36…
        assert_eq!(q.convert(d("10000.00"), RoundingMode::HalfUp).to_string(), "1407.36");
        assert_eq!(q.effective_rate(), d("0.140736"));
        assert_eq!(q.describe(), "CNY→USD: ÷ USD/CNY 7.1055 (2026-10-30, PBoC)");
    }

    #[test]
    fn brl_to_cny_crosses_via_usd() {
        let q = end_of_october().quote(Brl, Cny, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(q.method, FxMethod::CrossViaUsd);
        assert_eq!(q.legs.len(), 2);
        assert_eq!((q.legs[0].base, q.legs[0].quote, q.legs[0].operation), (Usd, Brl, FxOperation::Divide));
        assert_eq!((q.legs[1].base, q.legs[1].quote, q.legs[1].operation), (Usd, Cny, FxOperation::Multiply));
        assert_eq!(q.source, "BCB PTAX / PBoC");
        // 5376.20 BRL ÷ 5.3762 = 1000 USD × 7.1055 = 7105.50 CNY
        assert_eq!(q.convert(d("5376.20"), RoundingMode::HalfUp).to_string(), "7105.50");
        assert_eq!(
            q.describe(),
            "BRL→CNY crossed via USD: ÷ USD/BRL 5.3762 (2026-10-30, BCB PTAX) × USD/CNY 7.1055 (2026-10-30, PBoC)"
        );
        // Rounded once: 100 ÷ 5.3762 × 7.1055 = 132.1659…, not 18.60 × 7.1055 = 132.16
        assert_eq!(q.convert(d("100"), RoundingMode::HalfUp).to_string(), "132.17");
    }

    #[test]
    fn cny_to_brl_crosses_the_other_way() {
        let q = end_of_october().quote(Cny, Brl, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(q.method, FxMethod::CrossViaUsd);
        assert_eq!(q.legs[0].operation, FxOperation::Divide);
        assert_eq!((q.legs[1].base, q.legs[1].quote, q.legs[1].operation), (Usd, Brl, FxOperation::Multiply));
        assert_eq!(q.convert(d("7105.50"), RoundingMode::HalfUp).to_string(), "5376.20");
    }

    #[test]
    fn brl_cny_crosses_via_usd_even_when_a_parity_row_is_listed() {
        let mut rates = end_of_october().rates().to_vec();
        rates.push(rate(day(2026, 10, 30), Cny, Brl, "0.7566", "BCB PTAX"));
        let q = FxTable::new(rates).quote(Brl, Cny, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(q.method, FxMethod::CrossViaUsd);
        assert_eq!(q.legs.len(), 2);
    }

    #[test]
    fn same_currency_is_the_identity() {
        let q = FxTable::default().quote(Cny, Cny, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(q.method, FxMethod::Identity);
        assert!(q.legs.is_empty());
        assert_eq!(q.convert(d("12.345"), RoundingMode::HalfEven).to_string(), "12.34");
        assert_eq!(q.effective_rate(), Decimal::ONE);
        assert_eq!(q.describe(), "CNY→CNY: same currency, no conversion");
    }

    #[test]
    fn a_period_end_rate_within_the_max_age_passes() {
        // 2026-10-31 is a Saturday: Friday's rate is 1 day old.
        let q = end_of_october().quote(Usd, Cny, RateDate::PeriodEnd, october()).unwrap();
        assert!(q.check_age(october(), 7).is_ok());
        assert!(q.check_age(october(), 1).is_ok());
        assert!(q.check_age(october(), 0).is_err());
    }

    #[test]
    fn a_period_end_rate_older_than_the_max_age_names_pair_date_and_limit() {
        // October's table run for December: its latest USD/CNY rate is 2 November's.
        let december = Period::new(2026, 12).unwrap();
        let q = end_of_october().quote(Usd, Cny, RateDate::PeriodEnd, december).unwrap();
        assert_eq!(
            q.check_age(december, 7).unwrap_err().to_string(),
            "the latest USD/CNY rate on or before 2026-12-31 in the FX table is dated 2026-11-02 (PBoC), 59 days before the period's last day, more than the 7 days the contract allows (fx.max_age_days): add 2026-12's rates to the FX files"
        );
    }

    #[test]
    fn a_stale_cross_leg_is_named_even_when_the_other_leg_is_fresh() {
        let mut rates = end_of_october().rates().to_vec();
        rates.push(rate(day(2026, 11, 30), Usd, Cny, "7.2", "PBoC"));
        let november = Period::new(2026, 11).unwrap();
        let q = FxTable::new(rates).quote(Brl, Cny, RateDate::PeriodEnd, november).unwrap();
        let e = q.check_age(november, 7).unwrap_err().to_string();
        assert!(
            e.starts_with("the latest USD/BRL rate on or before 2026-11-30 in the FX table is dated 2026-10-30"),
            "{e}"
        );
    }

    #[test]
    fn problems_lists_each_too_old_rate_once_and_missing_rates_only_of_needed_pairs() {
        let december = Period::new(2026, 12).unwrap();
        let table = FxTable::new(vec![rate(day(2026, 10, 30), Usd, Cny, "7.1055", "PBoC")]);
        let found: Vec<String> = table
            .problems(
                &[(Usd, Cny), (Cny, Usd), (Usd, Usd)],
                &[(Brl, Cny), (Usd, Cny)],
                RateDate::PeriodEnd,
                december,
                7,
            )
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("the latest USD/CNY rate on or before 2026-12-31 in the FX table is dated 2026-10-30")
        );
        assert!(table.problems(&[(Usd, Cny)], &[(Brl, Cny)], RateDate::PeriodEnd, october(), 7).is_empty());
        let missing = table.problems(&[(Brl, Usd)], &[], RateDate::PeriodEnd, october(), 7);
        assert_eq!(
            missing.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["no BRL/USD rate on or before 2026-10-31 in the FX table (looked for BRL/USD and USD/BRL)"]
        );
    }

    #[test]
    fn averages_and_the_identity_are_never_too_old() {
        let table = FxTable::new(vec![rate(day(2026, 10, 1), Usd, Cny, "7.1", "PBoC")]);
        let q = table.quote(Usd, Cny, RateDate::PeriodAverage, october()).unwrap();
        assert!(q.check_age(october(), 0).is_ok());
        assert!(FxQuote::identity(Usd, day(2026, 10, 31)).check_age(october(), 0).is_ok());
    }

    #[test]
    fn missing_rate_error_names_pair_and_date() {
        let table = FxTable::new(vec![rate(day(2026, 11, 2), Usd, Cny, "7.2", "PBoC")]);
        let e = table.quote(Usd, Cny, RateDate::PeriodEnd, october()).unwrap_err();
        assert!(matches!(e, Error::Fx(_)));
        assert_eq!(
            e.to_string(),
            "no USD/CNY rate on or before 2026-10-31 in the FX table (looked for USD/CNY and CNY/USD)"
        );
    }

    #[test]
    fn missing_cross_leg_is_named() {
        let table = FxTable::new(vec![rate(day(2026, 10, 30), Usd, Brl, "5.3762", "BCB PTAX")]);
        let e = table.quote(Brl, Cny, RateDate::PeriodEnd, october()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no BRL/CNY rate on or before 2026-10-31 in the FX table (looked for BRL/CNY, CNY/BRL and a cross via USD, which lacks a USD/CNY or CNY/USD rate)"
        );
    }

    #[test]
    fn two_different_rates_on_one_day_are_an_error() {
        let table = FxTable::new(vec![
            rate(day(2026, 10, 30), Usd, Cny, "7.1055", "PBoC"),
            rate(day(2026, 10, 30), Usd, Cny, "7.1100", "bank"),
        ]);
        let e = table.quote(Usd, Cny, RateDate::PeriodEnd, october()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the FX table has two different USD/CNY rates on 2026-10-30: 7.1055 (PBoC) and 7.1100 (bank); keep one"
        );
    }

    #[test]
    fn the_same_rate_from_two_sources_is_not_a_conflict() {
        let table = FxTable::new(vec![
            rate(day(2026, 10, 30), Usd, Cny, "7.1055", "PBoC"),
            rate(day(2026, 10, 30), Usd, Cny, "7.1055", "CFETS"),
        ]);
        let q = table.quote(Usd, Cny, RateDate::PeriodAverage, october()).unwrap();
        assert_eq!(
            q.legs[0].basis,
            FxRateBasis::Average { count: 1, first: day(2026, 10, 30), last: day(2026, 10, 30) }
        );
        assert_eq!(q.legs[0].source, "CFETS");
    }

    #[test]
    fn ptax_and_csv_rates_combine_into_one_table() {
        let mut rates = parse_fx_csv("fx.csv", FX_CSV.as_bytes()).unwrap();
        rates.extend(parse_ptax("ptax.csv", PTAX.as_bytes()).unwrap());
        let table = FxTable::new(rates);
        let q = table.quote(Usd, Brl, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(q.legs[0].rate, d("5.3762"));
        assert_eq!(q.source, "BCB PTAX");
    }

    #[test]
    fn fixture_files_make_the_octobers_quotes() {
        let csv = include_bytes!("../fixtures/ingest/fx/2026-10.csv");
        let ptax = include_bytes!("../fixtures/ingest/fx/PTAX_20261030.csv");
        assert!(!looks_like_ptax(csv) && looks_like_ptax(ptax));
        let mut rates = read_rates("fx/2026-10.csv", csv).unwrap();
        rates.extend(read_rates("fx/PTAX_20261030.csv", ptax).unwrap());
        assert_eq!(rates.len(), 2 + 4, "EUR rows are skipped");
        let table = FxTable::new(rates);
        let usd_cny = table.quote(Usd, Cny, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(usd_cny.describe(), "USD/CNY 7.1055 on 2026-10-30 (PBoC central parity)");
        // BCB also lists CNY against BRL, but that pair has no official
        // parity: BRL→CNY crosses through USD and says so.
        let brl_cny = table.quote(Brl, Cny, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(
            brl_cny.describe(),
            "BRL→CNY crossed via USD: ÷ USD/BRL 5.3762 (2026-10-30, BCB PTAX) × USD/CNY 7.1055 (2026-10-30, PBoC central parity)"
        );
    }

    #[test]
    fn quote_serializes_with_snake_case_fields_and_string_rates() {
        let q = end_of_october().quote(Brl, Cny, RateDate::PeriodEnd, october()).unwrap();
        let json = serde_json::to_value(&q).unwrap();
        assert_eq!(json["from"], "BRL");
        assert_eq!(json["method"], "cross_via_usd");
        assert_eq!(json["date"], "2026-10-30");
        assert_eq!(json["legs"][0]["rate"], "5.3762");
        assert_eq!(json["legs"][0]["operation"], "divide");
        assert_eq!(json["legs"][0]["basis"]["kind"], "day");
        assert_eq!(json["legs"][0]["basis"]["date"], "2026-10-30");
        let r = serde_json::to_value(rate(day(2026, 10, 30), Usd, Cny, "7.1055", "PBoC")).unwrap();
        assert_eq!(r["rate"], "7.1055");
        assert_eq!(r["base"], "USD");
    }

    #[test]
    fn overflow_is_reported_not_panicked() {
        let table = FxTable::new(vec![rate(day(2026, 10, 30), Usd, Cny, "1000000", "x")]);
        let q = table.quote(Usd, Cny, RateDate::PeriodEnd, october()).unwrap();
        assert!(q.checked_convert(Decimal::MAX, RoundingMode::HalfUp).is_err());
        assert_eq!(q.convert(Decimal::MAX, RoundingMode::HalfUp), Decimal::MAX);
        assert_eq!(q.convert(Decimal::MIN, RoundingMode::HalfUp), Decimal::MIN);
        let same = FxTable::default().quote(Usd, Usd, RateDate::PeriodEnd, october()).unwrap();
        let _ = same.convert(Decimal::MAX, RoundingMode::HalfEven);
    }

    #[test]
    fn a_non_positive_rate_built_by_hand_is_refused_not_divided_by() {
        let table = FxTable::new(vec![rate(day(2026, 10, 30), Usd, Cny, "0", "typo")]);
        let e = table.quote(Cny, Usd, RateDate::PeriodEnd, october()).unwrap_err();
        assert_eq!(e.to_string(), "the FX table's USD/CNY rate on 2026-10-30 (typo) is 0; rates must be positive");
    }

    #[test]
    fn garbage_fx_files_never_panic() {
        for text in ["", ";;;;;", "a;b;c;d;e;f", "\u{0}", "30102026;;;;;", "date,base\n,\n", "99999999;1;A;USD;1;1"] {
            let _ = parse_ptax("p", text.as_bytes());
            let _ = parse_fx_csv("p", text.as_bytes());
            let _ = looks_like_ptax(text.as_bytes());
        }
    }

    fn amount() -> impl Strategy<Value = Decimal> {
        (-1_000_000_000_000i64..1_000_000_000_000, 0u32..=4).prop_map(|(m, s)| Decimal::new(m, s))
    }

    fn a_rate() -> impl Strategy<Value = Decimal> {
        (1i64..100_000_000, 2u32..=6).prop_map(|(m, s)| Decimal::new(m, s))
    }

    fn mode() -> impl Strategy<Value = RoundingMode> {
        prop_oneof![Just(RoundingMode::HalfUp), Just(RoundingMode::HalfEven)]
    }

    proptest! {
        #[test]
        fn direct_conversion_multiplies_then_rounds(a in amount(), r in a_rate(), m in mode()) {
            let table = FxTable::new(vec![rate(day(2026, 10, 30), Usd, Cny, &r.to_string(), "s")]);
            let q = table.quote(Usd, Cny, RateDate::PeriodEnd, october()).unwrap();
            prop_assert_eq!(q.convert(a, m), m.round_money(a * r, Cny));
        }

        #[test]
        fn inverse_conversion_equals_dividing(a in amount(), r in a_rate(), m in mode()) {
            let table = FxTable::new(vec![rate(day(2026, 10, 30), Usd, Cny, &r.to_string(), "s")]);
            let q = table.quote(Cny, Usd, RateDate::PeriodEnd, october()).unwrap();
            prop_assert_eq!(q.method, FxMethod::Inverse);
            prop_assert_eq!(q.convert(a, m), m.round_money(a / r, Usd));
        }

        #[test]
        fn cross_conversion_equals_both_legs_at_full_precision_rounded_once(
            a in amount(), usd_brl in a_rate(), usd_cny in a_rate(), m in mode()
        ) {
            let table = FxTable::new(vec![
                rate(day(2026, 10, 30), Usd, Brl, &usd_brl.to_string(), "BCB PTAX"),
                rate(day(2026, 10, 30), Usd, Cny, &usd_cny.to_string(), "PBoC"),
            ]);
            let q = table.quote(Brl, Cny, RateDate::PeriodEnd, october()).unwrap();
            prop_assert_eq!(q.method, FxMethod::CrossViaUsd);
            prop_assert_eq!(q.convert(a, m), m.round_money(a / usd_brl * usd_cny, Cny));
        }

        #[test]
        fn conversion_always_has_the_targets_minor_digits(a in amount(), r in a_rate(), m in mode()) {
            let table = FxTable::new(vec![rate(day(2026, 10, 30), Usd, Brl, &r.to_string(), "s")]);
            for (from, to) in [(Usd, Brl), (Brl, Usd), (Brl, Brl)] {
                let q = table.quote(from, to, RateDate::PeriodEnd, october()).unwrap();
                prop_assert_eq!(q.convert(a, m).scale(), 2);
            }
        }

        #[test]
        fn period_average_lies_between_the_lowest_and_highest_rate(
            rates in proptest::collection::vec(a_rate(), 1..23)
        ) {
            let table = FxTable::new(
                rates.iter().enumerate()
                    .map(|(i, r)| rate(day(2026, 10, i as u32 + 1), Usd, Cny, &r.to_string(), "s"))
                    .collect(),
            );
            let q = table.quote(Usd, Cny, RateDate::PeriodAverage, october()).unwrap();
            let (lo, hi) = (rates.iter().min().unwrap(), rates.iter().max().unwrap());
            prop_assert!(q.legs[0].rate >= *lo && q.legs[0].rate <= *hi);
        }

        #[test]
        fn ptax_rate_reads_back_what_was_written(r in a_rate()) {
            let comma = r.to_string().replace('.', ",");
            let line = format!("30102026;220;A;USD;{comma};{comma};1,0000;1,0000\n");
            prop_assert!(looks_like_ptax(line.as_bytes()));
            let rates = parse_ptax("p.csv", line.as_bytes()).unwrap();
            prop_assert_eq!(rates[0].rate, r);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = looks_like_ptax(&bytes);
            let _ = parse_ptax("p", &bytes);
            let _ = parse_fx_csv("p", &bytes);
        }
    }

    #[test]
    fn a_rate_out_of_range_is_refused_naming_its_cell() {
        let csv = "date,base,quote,rate,source\n2026-10-30,USD,CNY,7100000,PBoC\n";
        let e = parse_fx_csv("fx/2026-10.csv", csv.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "fx/2026-10.csv:2: column \"rate\": \"7100000\" is out of range: expected a rate between 0.000001 and 1000000"
        );
    }

    #[test]
    fn a_ptax_file_whose_first_date_does_not_exist_is_still_read_as_ptax_naming_the_date() {
        let e = read_rates("fx/2026-10-ptax.csv", b"31022026;220;A;USD;5,3409;5,3415;1,0000;1,0000\n").unwrap_err();
        assert_eq!(e.location, Location::Line(1));
        assert_eq!(e.column.as_deref(), Some("Data"));
    }

    #[test]
    fn a_pair_quoted_both_ways_must_agree_to_rounding() {
        let both = |inverse: &str| {
            FxTable::new(vec![
                rate(day(2026, 10, 30), Usd, Cny, "7.1159", "PBoC"),
                rate(day(2026, 10, 30), Cny, Usd, inverse, "PBoC"),
            ])
        };
        let e = both("0.2").quote(Usd, Cny, RateDate::PeriodEnd, october()).unwrap_err().to_string();
        assert!(e.contains("which disagree (7.1159 × 0.2 = 1.42318, not 1)"), "{e}");
        let q = both("0.1405").quote(Usd, Cny, RateDate::PeriodEnd, october()).unwrap();
        assert_eq!(q.legs[0].rate, d("7.1159"), "agreeing to rounding: the direct quote is used");
    }
}
