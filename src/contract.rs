//! A seller's contract (`contracts/<seller>.toml`): identity, KPI definitions
//! and targets, the fee model and the FX rule. Parsing rejects unknown keys;
//! [`Contract::validate`] rejects values that do not make sense, naming the
//! key path.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::kpi_id::KpiId;
use crate::market::Market;
use crate::money::{Currency, RoundingMode};

/// A statement language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
    #[serde(rename = "pt-BR")]
    PtBr,
}

impl Language {
    /// The BCP 47 tag, e.g. `pt-BR`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
            Language::PtBr => "pt-BR",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    pub seller: SellerTerms,
    pub contract: ContractTerms,
    #[serde(default)]
    pub kpi: KpiTerms,
    pub fees: FeeTerms,
    pub fx: FxTerms,
    /// How the pass-through cost ledger is dated (optional table).
    #[serde(default)]
    pub costs: CostTerms,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellerTerms {
    pub id: String,
    pub legal_name: String,
    #[serde(default)]
    pub tax_id: String,
    pub language: Language,
    pub settlement_currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractTerms {
    pub id: String,
    #[serde(deserialize_with = "toml_date::deserialize")]
    pub start: NaiveDate,
    #[serde(deserialize_with = "toml_date::deserialize")]
    pub end: NaiveDate,
    pub markets: Vec<Market>,
    /// IANA time zones overriding a market's own (e.g. `amazon_us = "UTC"`).
    #[serde(default)]
    pub time_zones: BTreeMap<Market, String>,
    /// The currency of each store market (`"shopify:acme-home" = "USD"`):
    /// a site of stores fixes none. Required for every store market, and
    /// refused for a market whose site fixes its currency.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub currencies: BTreeMap<Market, Currency>,
    /// Markets of `markets` whose exports may be missing in a period (the
    /// seller had no sales or ads there): the statement then says "no data
    /// for …" instead of being refused. Same as `--allow-missing MARKET`.
    #[serde(default)]
    pub allow_missing: Vec<Market>,
}

/// A contract amount, rate or threshold: a string (`"8000.00"`, as in
/// DOMAIN.md's example) or a TOML integer, read exactly. A TOML float
/// (`8000.5`, `0.07`) is refused: it is a binary floating-point number, and
/// money never passes through floating point.
mod exact {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, de::Error};
    use std::str::FromStr;

    fn read<E: Error>(value: toml::Value) -> Result<Decimal, E> {
        match value {
            toml::Value::String(s) => Decimal::from_str(s.trim())
                .map_err(|_| E::custom(format!("{s:?} is not a number; expected a decimal such as \"0.03\""))),
            toml::Value::Integer(i) => Ok(Decimal::from(i)),
            toml::Value::Float(f) => Err(E::custom(format!(
                "{f} is a TOML floating-point number; write it as a string, \"{f}\", so that it is read exactly (money never passes through floating point)"
            ))),
            other => Err(E::custom(format!("found {}, expected a decimal string such as \"0.03\"", other.type_str()))),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        read(toml::Value::deserialize(d)?)
    }

    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        read(toml::Value::deserialize(d)?).map(Some)
    }
}

/// A contract date written either as a TOML date (`start = 2026-01-01`) or
/// as a string (`start = "2026-01-01"`, as in DOMAIN.md's example).
mod toml_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, de::Error};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let expected = "a date such as 2026-01-01 or \"2026-01-01\"";
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| D::Error::custom(format!("{s:?} is not a date; expected {expected}"))),
            toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(date), None, None) => {
                    NaiveDate::from_ymd_opt(i32::from(date.year), u32::from(date.month), u32::from(date.day))
                        .ok_or_else(|| D::Error::custom(format!("{dt} is not a date; expected {expected}")))
                }
                _ => Err(D::Error::custom(format!("{dt} has a time of day; expected {expected}"))),
            },
            other => Err(D::Error::custom(format!("found {}, expected {expected}", other.type_str()))),
        }
    }
}

/// Whether GMV is before or after refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GmvBasis {
    Gross,
    #[default]
    NetOfRefunds,
}

/// What the conversion rate divides sessions into: Amazon's Business
/// Report gives both "Unit Session Percentage" and "Order Item Session
/// Percentage".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversionBasis {
    /// Units ordered ÷ sessions.
    #[default]
    Units,
    /// Order items ÷ sessions.
    OrderItems,
}

/// Whether the refund rate counts money or orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundBasis {
    #[default]
    Value,
    Count,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiTerms {
    #[serde(default)]
    pub gmv_basis: GmvBasis,
    #[serde(default)]
    pub include_shipping: bool,
    #[serde(default)]
    pub refund_basis: RefundBasis,
    #[serde(default)]
    pub conversion_basis: ConversionBasis,
    #[serde(default)]
    pub targets: Vec<Target>,
    /// How much of a month's GMV target is due by a day of the month, for
    /// as-of runs (`check --as-of`, `run --draft --as-of`): points of a
    /// curve from (day 0, share 0) to (the month's last day, share 1),
    /// straight between them. Empty: days elapsed.
    #[serde(default)]
    pub gmv_curve: Vec<CurvePoint>,
}

/// A point of [`KpiTerms::gmv_curve`]: by the end of `day`, `share` of the
/// month's GMV target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    pub day: u32,
    #[serde(deserialize_with = "exact::deserialize")]
    pub share: Decimal,
}

impl KpiTerms {
    /// The share of a month's GMV target due by the end of `day` of a month
    /// of `days` days (both from 1): on the contract's curve, straight
    /// between its points, or `day / days` without one. Exact decimals.
    pub fn gmv_share(&self, day: u32, days: u32) -> Decimal {
        let mut points = vec![(0u32, Decimal::ZERO)];
        points.extend(self.gmv_curve.iter().filter(|p| p.day < days).map(|p| (p.day, p.share)));
        points.push((days, Decimal::ONE));
        let day = day.min(days);
        let i = points.iter().rposition(|(d, _)| *d <= day).unwrap_or(0);
        let (d0, s0) = points[i];
        match points.get(i + 1) {
            Some(&(d1, s1)) if d1 > d0 => s0 + (s1 - s0) * Decimal::from(day - d0) / Decimal::from(d1 - d0),
            _ => s0,
        }
    }
}

/// A KPI target (`min`) or limit (`max`), with an optional alert threshold
/// between met and missed. Without `market` it applies to the overall figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub kpi: KpiId,
    #[serde(default)]
    pub market: Option<Market>,
    #[serde(default, deserialize_with = "exact::option")]
    pub min: Option<Decimal>,
    #[serde(default, deserialize_with = "exact::option")]
    pub max: Option<Decimal>,
    #[serde(default, deserialize_with = "exact::option")]
    pub alert: Option<Decimal>,
    /// Alerts between month ends (`check --as-of`): an alert on this target
    /// already raised in the period is raised again once the value has
    /// worsened by at least this much (absent: only when it turns into a
    /// breach). See `crate::alerts`.
    #[serde(default, deserialize_with = "exact::option")]
    pub step: Option<Decimal>,
}

/// How commission tiers apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierMode {
    /// Each tier's rate applies to the part of GMV inside it (like tax brackets).
    Marginal,
    /// The rate of the tier reached applies to all of GMV.
    Whole,
}

/// One commission tier; the last has no upper bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[serde(default, deserialize_with = "exact::option")]
    pub up_to: Option<Decimal>,
    #[serde(deserialize_with = "exact::deserialize")]
    pub rate: Decimal,
}

/// A comparison a fee rule makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareOp {
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
}

impl CompareOp {
    /// Whether `value op threshold` holds.
    pub fn holds(self, value: Decimal, threshold: Decimal) -> bool {
        match self {
            CompareOp::Ge => value >= threshold,
            CompareOp::Gt => value > threshold,
            CompareOp::Le => value <= threshold,
            CompareOp::Lt => value < threshold,
        }
    }

    /// The operator as written, e.g. `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Ge => ">=",
            CompareOp::Gt => ">",
            CompareOp::Le => "<=",
            CompareOp::Lt => "<",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Bonus,
    Penalty,
}

/// A KPI-linked bonus or penalty: exactly one of `percent_of_commission` and
/// `amount` (in the fee currency) is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRule {
    pub kpi: KpiId,
    #[serde(default)]
    pub market: Option<Market>,
    pub op: CompareOp,
    #[serde(deserialize_with = "exact::deserialize")]
    pub threshold: Decimal,
    pub effect: Effect,
    #[serde(default, deserialize_with = "exact::option")]
    pub percent_of_commission: Option<Decimal>,
    #[serde(default, deserialize_with = "exact::option")]
    pub amount: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeTerms {
    pub currency: Currency,
    #[serde(default, deserialize_with = "exact::deserialize")]
    pub base_monthly: Decimal,
    pub tier_mode: TierMode,
    #[serde(default)]
    pub tiers: Vec<Tier>,
    #[serde(default, deserialize_with = "exact::option")]
    pub minimum: Option<Decimal>,
    #[serde(default, deserialize_with = "exact::option")]
    pub maximum: Option<Decimal>,
    #[serde(default, deserialize_with = "exact::deserialize")]
    pub vat_rate: Decimal,
    #[serde(default)]
    pub rounding: RoundingMode,
    /// A handling markup on pass-through costs, billed as its own service-fee line.
    #[serde(default, deserialize_with = "exact::option")]
    pub pass_through_markup: Option<Decimal>,
    /// Whether `minimum` and `maximum` bound the handling markup too. Unset
    /// (and `false`): they bound base fee + commission + bonuses/penalties,
    /// and the markup is charged outside them (see [`crate::fee_bounds`]).
    #[serde(default)]
    pub bounds_include_markup: Option<bool>,
    #[serde(default)]
    pub rules: Vec<FeeRule>,
}

/// Which day's rate converts the period's amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateDate {
    /// The latest rate dated on or before the period's last day.
    PeriodEnd,
    /// The arithmetic mean of the rates published within the period.
    PeriodAverage,
}

/// How old a `period_end` rate may be when the contract does not say.
pub const DEFAULT_FX_MAX_AGE_DAYS: u32 = 7;

/// The largest `fx.max_age_days` accepted: a rate older than a month is
/// another month's rate.
pub const MAX_FX_MAX_AGE_DAYS: u32 = 31;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxTerms {
    pub source: String,
    pub rate_date: RateDate,
    /// Under `period_end`, how many days before the period's last day the
    /// rate used may be dated (weekends and holidays publish nothing).
    #[serde(default = "default_fx_max_age_days")]
    pub max_age_days: u32,
}

fn default_fx_max_age_days() -> u32 {
    DEFAULT_FX_MAX_AGE_DAYS
}

/// How pass-through cost rows may be dated (`[costs]`, optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostTerms {
    /// Whether a cost dated before the period (an invoice that arrived
    /// late) may be billed on this period's statement, keeping its own date
    /// and marked as late-billed. Off by default: such a row is refused.
    #[serde(default)]
    pub allow_late_billed: bool,
}

impl Contract {
    /// Parses and validates a contract; `file` names it in errors.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key path (or TOML line) of the first
    /// problem: a syntax error, an unknown key or KPI, or a value that does
    /// not make sense (see [`Contract::validate`]).
    pub fn parse(file: &str, text: &str) -> Result<Contract, Error> {
        let contract: Contract = toml::from_str(text).map_err(|e| {
            let message = e.message().to_string();
            let key = match e.span() {
                Some(span) => format!("line {}", text[..span.start.min(text.len())].lines().count().max(1)),
                None => "(document)".to_string(),
            };
            Error::config(file, key, message)
        })?;
        contract.validate(file)?;
        Ok(contract)
    }

    /// Checks the values make sense together: rates in 0..=1, tiers in
    /// ascending order with only the last unbounded, minimum ≤ maximum,
    /// `bounds_include_markup` only beside a minimum or maximum (and, when
    /// true, a markup), rules with exactly one effect amount, targets with a
    /// bound.
    pub fn validate(&self, file: &str) -> Result<(), Error> {
        let err = |key: String, message: &str| Err(Error::config(file, key, message));
        let unit = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE;
        if self.seller.id.trim().is_empty() {
            return err("seller.id".into(), "must not be empty");
        }
        if self.contract.start > self.contract.end {
            return err("contract.end".into(), "is before contract.start");
        }
        if self.contract.markets.is_empty() {
            return err("contract.markets".into(), "names no market");
        }
        for (i, m) in self.contract.markets.iter().enumerate() {
            if self.contract.markets[..i].contains(m) {
                return err(format!("contract.markets[{i}]"), "repeats a market");
            }
        }
        for (i, m) in self.contract.allow_missing.iter().enumerate() {
            if !self.contract.markets.contains(m) {
                return err(format!("contract.allow_missing[{i}]"), "is not one of contract.markets");
            }
        }
        for (market, tz) in &self.contract.time_zones {
            if tz.parse::<chrono_tz::Tz>().is_err() {
                return err(format!("contract.time_zones.{market}"), "is not an IANA time zone");
            }
        }
        for (market, currency) in &self.contract.currencies {
            if let Some(fixed) = market.fixed_currency() {
                let why =
                    format!("{market} pays out in {fixed} only; name currencies of stores (shopify:<store>) here");
                if fixed != *currency {
                    return err(format!("contract.currencies.\"{market}\""), &why);
                }
            }
        }
        for (i, m) in self.contract.markets.iter().enumerate() {
            let key = format!("contract.markets[{i}]");
            if m.fixed_currency().is_none() && !self.contract.currencies.contains_key(m) {
                let why = format!(
                    "names store {m}, whose currency the contract must state: add contract.currencies.\"{m}\" = \"USD\" (or BRL, CNY), as the store's admin shows it"
                );
                return err(key, &why);
            }
            if m.default_time_zone().is_none() && !self.contract.time_zones.contains_key(m) {
                let why = format!(
                    "names store {m}, whose time zone the contract must state: its export writes each time with an offset, not the store's zone; add contract.time_zones.\"{m}\" = \"America/New_York\" (the store's zone in its admin settings)"
                );
                return err(key, &why);
            }
        }
        for (i, t) in self.kpi.targets.iter().enumerate() {
            if t.min.is_none() && t.max.is_none() {
                return err(format!("kpi.targets[{i}]"), "needs min or max");
            }
            if t.min.is_some() && t.max.is_some() {
                return err(format!("kpi.targets[{i}]"), "sets both min and max; a target is one or the other");
            }
            if t.kpi == KpiId::GmvAttainment && t.market.is_some_and(|m| !self.contract.markets.contains(&m)) {
                return err(format!("kpi.targets[{i}].market"), "is not one of contract.markets");
            }
            if let Some(m) = t.market
                && !self.contract.markets.contains(&m)
            {
                return err(format!("kpi.targets[{i}].market"), "is not one of contract.markets");
            }
        }
        for (i, p) in self.kpi.gmv_curve.iter().enumerate() {
            if !(1..=31).contains(&p.day) {
                return err(format!("kpi.gmv_curve[{i}].day"), "must be a day of the month, 1 to 31");
            }
            if !unit(p.share) {
                return err(format!("kpi.gmv_curve[{i}].share"), "must be between 0 and 1");
            }
            if i > 0 {
                let before = self.kpi.gmv_curve[i - 1];
                if p.day <= before.day || p.share < before.share {
                    return err(
                        format!("kpi.gmv_curve[{i}]"),
                        "must come after the point before it: a later day, and a share no smaller",
                    );
                }
            }
        }
        let f = &self.fees;
        if f.base_monthly < Decimal::ZERO {
            return err("fees.base_monthly".into(), "must not be negative");
        }
        for (i, tier) in f.tiers.iter().enumerate() {
            if !unit(tier.rate) {
                return err(format!("fees.tiers[{i}].rate"), "must be between 0 and 1");
            }
            let last = i + 1 == f.tiers.len();
            match tier.up_to {
                None if !last => {
                    return err(format!("fees.tiers[{i}].up_to"), "is missing; only the last tier is unbounded");
                }
                Some(u) if u <= Decimal::ZERO => return err(format!("fees.tiers[{i}].up_to"), "must be positive"),
                Some(u) if i > 0 && f.tiers[i - 1].up_to.is_some_and(|p| u <= p) => {
                    return err(
                        format!("fees.tiers[{i}].up_to"),
                        "must be above the previous tier's up_to (tiers out of order)",
                    );
                }
                _ => {}
            }
        }
        if let (Some(min), Some(max)) = (f.minimum, f.maximum)
            && min > max
        {
            return err("fees.minimum".into(), "is above fees.maximum");
        }
        if !unit(f.vat_rate) {
            return err("fees.vat_rate".into(), "must be between 0 and 1");
        }
        if let Some(m) = f.pass_through_markup
            && !unit(m)
        {
            return err("fees.pass_through_markup".into(), "must be between 0 and 1");
        }
        if self.fx.max_age_days > MAX_FX_MAX_AGE_DAYS {
            return err(
                "fx.max_age_days".into(),
                &format!("is {}; it must be at most {MAX_FX_MAX_AGE_DAYS} days", self.fx.max_age_days),
            );
        }
        if let Some(include) = f.bounds_include_markup {
            if f.minimum.is_none() && f.maximum.is_none() {
                return err(
                    "fees.bounds_include_markup".into(),
                    "is set but the contract has neither fees.minimum nor fees.maximum for it to apply to",
                );
            }
            if include && f.pass_through_markup.is_none() {
                return err(
                    "fees.bounds_include_markup".into(),
                    "is true but the contract has no fees.pass_through_markup to include",
                );
            }
        }
        for (i, r) in f.rules.iter().enumerate() {
            match (r.percent_of_commission, r.amount) {
                (Some(p), None) if !unit(p) => {
                    return err(format!("fees.rules[{i}].percent_of_commission"), "must be between 0 and 1");
                }
                (None, Some(a)) if a < Decimal::ZERO => {
                    return err(
                        format!("fees.rules[{i}].amount"),
                        "must not be negative; effect says bonus or penalty",
                    );
                }
                (Some(_), Some(_)) | (None, None) => {
                    return err(format!("fees.rules[{i}]"), "needs exactly one of percent_of_commission and amount");
                }
                _ => {}
            }
            if let Some(m) = r.market
                && !self.contract.markets.contains(&m)
            {
                return err(format!("fees.rules[{i}].market"), "is not one of contract.markets");
            }
        }
        Ok(())
    }

    /// The time zone rows of `market` are dated in: the contract's for the
    /// market, else its site's. Every market of the contract has one (a
    /// store's is required by [`Contract::parse`]); a store outside the
    /// contract, never asked in practice, gets UTC.
    pub fn time_zone(&self, market: Market) -> chrono_tz::Tz {
        self.contract
            .time_zones
            .get(&market)
            .and_then(|tz| tz.parse().ok())
            .or_else(|| market.default_time_zone())
            .unwrap_or(chrono_tz::UTC)
    }

    /// The currency `market` pays out in: its site's, or for a store the
    /// contract's (required for every store of `contract.markets`); `None`
    /// for a store the contract does not name.
    pub fn currency_of(&self, market: Market) -> Option<Currency> {
        market.fixed_currency().or_else(|| self.contract.currencies.get(&market).copied())
    }

    /// The currency a market of `contract.markets` pays out in (see
    /// [`Contract::currency_of`]). Every such market has one once
    /// [`Contract::parse`] has accepted the contract; a store outside the
    /// contract, which the pipeline refuses before asking, would get the
    /// fee currency.
    pub fn currency(&self, market: Market) -> Currency {
        self.currency_of(market).unwrap_or(self.fees.currency)
    }
}

#[cfg(test)]
mod curve_tests {
    use super::*;

    fn terms(points: &[(u32, &str)]) -> KpiTerms {
        KpiTerms {
            gmv_basis: GmvBasis::default(),
            include_shipping: false,
            refund_basis: RefundBasis::default(),
            conversion_basis: ConversionBasis::default(),
            targets: Vec::new(),
            gmv_curve: points.iter().map(|&(day, share)| CurvePoint { day, share: share.parse().unwrap() }).collect(),
        }
    }

    #[test]
    fn without_a_curve_the_share_due_is_the_days_elapsed() {
        let t = terms(&[]);
        assert_eq!(t.gmv_share(15, 30), Decimal::new(5, 1));
        assert_eq!(t.gmv_share(31, 31), Decimal::ONE);
        assert_eq!(t.gmv_share(0, 31), Decimal::ZERO);
    }

    #[test]
    fn a_curve_is_followed_straight_between_its_points_to_the_whole_target_on_the_last_day() {
        let t = terms(&[(10, "0.2"), (20, "0.5")]);
        assert_eq!(t.gmv_share(10, 30), "0.2".parse().unwrap());
        assert_eq!(t.gmv_share(15, 30), "0.35".parse().unwrap());
        assert_eq!(t.gmv_share(5, 30), "0.1".parse().unwrap());
        assert_eq!(t.gmv_share(25, 30), "0.75".parse().unwrap());
        assert_eq!(t.gmv_share(30, 30), Decimal::ONE);
        // A point past a short month's end is left out: the month ends at 1.
        let late = terms(&[(30, "0.9")]);
        assert_eq!(late.gmv_share(28, 28), Decimal::ONE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = include_str!("../fixtures/contracts/domain-example.toml");

    #[test]
    fn domain_example_contract_parses_unchanged() {
        let c = Contract::parse("acme-home.toml", EXAMPLE).unwrap();
        assert_eq!(c.seller.id, "acme-home");
        assert_eq!(c.fees.currency, Currency::Cny);
        assert_eq!(c.fees.tiers.len(), 2);
        assert_eq!(c.fees.rules[1].op, CompareOp::Gt);
        assert_eq!(c.fx.rate_date, RateDate::PeriodEnd);
        assert_eq!(c.time_zone(Market::AMAZON_US), chrono_tz::America::Los_Angeles);
        assert_eq!(c.fx.max_age_days, DEFAULT_FX_MAX_AGE_DAYS, "fx.max_age_days defaults to 7");
        assert!(!c.costs.allow_late_billed, "late-billed costs are refused unless the contract allows them");
    }

    #[test]
    fn fx_max_age_and_late_billed_costs_are_read_when_given() {
        let text = EXAMPLE.replacen("rate_date = \"period_end\"", "rate_date = \"period_end\"\nmax_age_days = 3", 1)
            + "\n[costs]\nallow_late_billed = true\n";
        let c = Contract::parse("c.toml", &text).unwrap();
        assert_eq!(c.fx.max_age_days, 3);
        assert!(c.costs.allow_late_billed);
    }

    #[test]
    fn fx_max_age_above_a_month_is_rejected_with_key_path() {
        rejects(("rate_date = \"period_end\"", "rate_date = \"period_end\"\nmax_age_days = 45"), "fx.max_age_days");
    }

    #[test]
    fn unknown_key_under_costs_is_rejected() {
        let text = EXAMPLE.to_string() + "\n[costs]\nallow_late = true\n";
        let e = Contract::parse("c.toml", &text).unwrap_err().to_string();
        assert!(e.contains("allow_late"), "{e}");
    }

    fn rejects(edit: (&str, &str), key: &str) {
        assert!(EXAMPLE.contains(edit.0), "fixture lacks {:?}", edit.0);
        let text = EXAMPLE.replacen(edit.0, edit.1, 1);
        let e = Contract::parse("c.toml", &text).unwrap_err().to_string();
        assert!(e.contains(key), "{e} should name {key}");
    }

    #[test]
    fn tiers_out_of_order_are_rejected_with_key_path() {
        rejects(
            ("{ rate = \"0.02\" },", "{ up_to = \"100.00\", rate = \"0.02\" }, { rate = \"0.01\" },"),
            "fees.tiers[1].up_to",
        );
    }

    #[test]
    fn rate_above_one_is_rejected() {
        rejects(("vat_rate = \"0.06\"", "vat_rate = \"6\""), "fees.vat_rate");
        rejects(
            ("{ up_to = \"500000.00\", rate = \"0.03\" }", "{ up_to = \"500000.00\", rate = \"3\" }"),
            "fees.tiers[0].rate",
        );
    }

    #[test]
    fn rule_naming_unknown_kpi_is_rejected_with_line() {
        rejects(("kpi = \"dispute_rate\"\nop", "kpi = \"happiness\"\nop"), "line");
    }

    #[test]
    fn allow_missing_names_markets_of_the_contract_only() {
        let c = Contract::parse(
            "c.toml",
            &EXAMPLE.replacen("markets = [", "allow_missing = [\"mercadolivre_br\"]\nmarkets = [", 1),
        )
        .unwrap();
        assert_eq!(c.contract.allow_missing, vec![Market::MERCADOLIVRE_BR]);
        assert!(Contract::parse("c.toml", EXAMPLE).unwrap().contract.allow_missing.is_empty());
        let one_market = EXAMPLE.replacen(
            "markets = [\"amazon_us\", \"mercadolivre_br\"]",
            "markets = [\"amazon_us\"]\nallow_missing = [\"mercadolivre_br\"]",
            1,
        );
        let e = Contract::parse("c.toml", &one_market).unwrap_err().to_string();
        assert!(e.contains("contract.allow_missing[0]") && e.contains("is not one of contract.markets"), "{e}");
    }

    #[test]
    fn unknown_key_is_rejected() {
        rejects(("tier_mode = \"marginal\"", "tier_mode = \"marginal\"\ntier_mod = 1"), "tier_mod");
    }

    #[test]
    fn bounds_include_markup_without_a_minimum_or_maximum_is_rejected() {
        rejects(("minimum = \"10000.00\"", "bounds_include_markup = false"), "fees.bounds_include_markup");
    }

    #[test]
    fn bounds_include_markup_true_without_a_markup_is_rejected() {
        let edit = ("minimum = \"10000.00\"", "minimum = \"10000.00\"\nbounds_include_markup = true");
        rejects(edit, "fees.bounds_include_markup");
        let e = Contract::parse("c.toml", &EXAMPLE.replacen(edit.0, edit.1, 1)).unwrap_err().to_string();
        assert!(e.contains("no fees.pass_through_markup"), "{e}");
    }

    #[test]
    fn bounds_include_markup_that_is_not_a_boolean_is_rejected_with_line() {
        rejects(("minimum = \"10000.00\"", "minimum = \"10000.00\"\nbounds_include_markup = \"yes\""), "line");
    }

    #[test]
    fn bounds_include_markup_beside_a_minimum_and_a_markup_is_read() {
        let text = EXAMPLE.replacen(
            "minimum = \"10000.00\"",
            "minimum = \"10000.00\"\npass_through_markup = \"0.05\"\nbounds_include_markup = true",
            1,
        );
        let c = Contract::parse("c.toml", &text).unwrap();
        assert_eq!(c.fees.bounds_include_markup, Some(true));
        assert_eq!(Contract::parse("c.toml", EXAMPLE).unwrap().fees.bounds_include_markup, None);
    }

    #[test]
    fn term_dates_are_read_as_toml_dates_or_strings_and_anything_else_is_rejected_with_its_line() {
        let native = EXAMPLE.replacen("start = \"2026-01-01\"", "start = 2026-01-01", 1);
        assert_ne!(native, EXAMPLE);
        let c = Contract::parse("c.toml", &native).unwrap();
        assert_eq!(c, Contract::parse("c.toml", EXAMPLE).unwrap());
        rejects(("start = \"2026-01-01\"", "start = 2026-01-01T08:00:00"), "has a time of day");
        rejects(("start = \"2026-01-01\"", "start = \"01/01/2026\""), "line 10");
        rejects(("start = \"2026-01-01\"", "start = \"01/01/2026\""), "\"01/01/2026\" is not a date");
        rejects(("end = \"2026-12-31\"", "end = 20261231"), "found integer");
    }

    #[test]
    fn a_toml_float_amount_is_refused_with_its_line_and_an_integer_is_read_exactly() {
        let float = EXAMPLE.replacen("vat_rate = \"0.06\"", "vat_rate = 0.06", 1);
        assert_ne!(float, EXAMPLE, "the example sets vat_rate");
        let e = Contract::parse("c.toml", &float).unwrap_err().to_string();
        assert!(e.starts_with("c.toml: line "), "{e}");
        assert!(e.contains("0.06 is a TOML floating-point number; write it as a string, \"0.06\""), "{e}");
        let integer = EXAMPLE.replacen("vat_rate = \"0.06\"", "vat_rate = 0", 1);
        assert_eq!(Contract::parse("c.toml", &integer).unwrap().fees.vat_rate, Decimal::ZERO);
    }
}
