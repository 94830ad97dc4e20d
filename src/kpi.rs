//! KPIs per market and overall, by the definitions in [`definition`], which
//! the statement prints verbatim: one written definition for computation and
//! print alike.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contract::{Contract, GmvBasis, KpiTerms, RefundBasis, Target};
use crate::kpi_id::KpiId;
use crate::ledger::{AdFigures, MarketFigures, SalesFigures};
use crate::market::Market;
use crate::money::{Currency, RoundingMode};

/// Decimal places ratio KPIs are rounded to (half-up) before they are
/// compared with targets and printed.
pub const RATIO_DP: u32 = 4;

/// Where a KPI is measured: one market, or all of the seller's markets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    AmazonUs,
    #[serde(rename = "mercadolivre_br")]
    MercadoLivreBr,
    All,
}

impl Scope {
    pub fn market(self) -> Option<Market> {
        match self {
            Scope::AmazonUs => Some(Market::AmazonUs),
            Scope::MercadoLivreBr => Some(Market::MercadoLivreBr),
            Scope::All => None,
        }
    }

    pub fn of(market: Option<Market>) -> Scope {
        match market {
            Some(Market::AmazonUs) => Scope::AmazonUs,
            Some(Market::MercadoLivreBr) => Scope::MercadoLivreBr,
            None => Scope::All,
        }
    }

    pub fn id(self) -> &'static str {
        self.market().map(Market::id).unwrap_or("all")
    }
}

/// What a KPI's value is measured in; serialized as [`Unit::id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Money(Currency),
    Count,
    Ratio,
}

impl Unit {
    /// The unit as statement.json writes it: a currency code, `count` or `ratio`.
    pub fn id(self) -> &'static str {
        match self {
            Unit::Money(c) => c.code(),
            Unit::Count => "count",
            Unit::Ratio => "ratio",
        }
    }
}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        match id.as_str() {
            "count" => Ok(Unit::Count),
            "ratio" => Ok(Unit::Ratio),
            code => code.parse::<Currency>().map(Unit::Money).map_err(|_| {
                serde::de::Error::custom(format!("unit {code:?}: expected a currency code, `count` or `ratio`"))
            }),
        }
    }
}

/// How a KPI compares with its contract target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Missed,
    /// Within the limit but past the contract's alert threshold.
    Alert,
    /// The inputs needed are missing; the reason says which.
    NoData,
    /// The contract sets no target for this KPI here.
    NoTarget,
}

/// A target as it applies: a minimum to reach or a maximum not to exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Bound {
    Min {
        #[serde(with = "rust_decimal::serde::str")]
        value: Decimal,
        #[serde(with = "crate::money::opt_decimal_str")]
        alert: Option<Decimal>,
    },
    Max {
        #[serde(with = "rust_decimal::serde::str")]
        value: Decimal,
        #[serde(with = "crate::money::opt_decimal_str")]
        alert: Option<Decimal>,
    },
}

impl Bound {
    fn of(t: &Target) -> Option<Bound> {
        match (t.min, t.max) {
            (Some(value), _) => Some(Bound::Min { value, alert: t.alert }),
            (None, Some(value)) => Some(Bound::Max { value, alert: t.alert }),
            _ => None,
        }
    }

    /// Met, missed or alert for `value`. For a minimum the alert fires below
    /// the alert threshold (set above the minimum); for a maximum above it.
    pub fn status(self, value: Decimal) -> Status {
        match self {
            Bound::Min { value: min, alert } => {
                if value < min {
                    Status::Missed
                } else if alert.is_some_and(|a| value < a) {
                    Status::Alert
                } else {
                    Status::Met
                }
            }
            Bound::Max { value: max, alert } => {
                if value > max {
                    Status::Missed
                } else if alert.is_some_and(|a| value > a) {
                    Status::Alert
                } else {
                    Status::Met
                }
            }
        }
    }
}

/// One KPI of one scope, as the statement shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    pub id: KpiId,
    pub market: Scope,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    pub unit: Unit,
    pub target: Option<Bound>,
    pub status: Status,
    /// The key of the KPI's written definition: see [`definition_key`].
    pub definition_key: String,
    /// That definition in English (statement.json's reader need not look it
    /// up); the PDF prints it in the statement's language from the same key.
    pub definition: String,
    /// Why there is no value, or which markets a combined value leaves out.
    pub note: Option<Note>,
}

/// The key of `id`'s written definition under the contract's KPI terms.
///
/// The definitions themselves live in `templates/<language>.toml`
/// (`[kpi_definitions]`), one text per key and language, and the statement
/// prints them; the computation below follows exactly that text. Keys are
/// `<kpi>` or `<kpi>.<basis>[.<shipping>]`, e.g.
/// `gmv.net_of_refunds.excluding_shipping`.
pub fn definition_key(id: KpiId, terms: &KpiTerms) -> String {
    let shipping = if terms.include_shipping { "including_shipping" } else { "excluding_shipping" };
    match id {
        KpiId::Gmv => match terms.gmv_basis {
            GmvBasis::Gross => format!("gmv.gross.{shipping}"),
            GmvBasis::NetOfRefunds => format!("gmv.net_of_refunds.{shipping}"),
        },
        KpiId::RefundRate => match terms.refund_basis {
            RefundBasis::Value => format!("refund_rate.value.{shipping}"),
            RefundBasis::Count => "refund_rate.count".to_string(),
        },
        other => other.id().to_string(),
    }
}

/// Every definition key [`definition_key`] can return, for the template
/// completeness test.
pub fn all_definition_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for gmv_basis in [GmvBasis::Gross, GmvBasis::NetOfRefunds] {
        for refund_basis in [RefundBasis::Value, RefundBasis::Count] {
            for include_shipping in [false, true] {
                let terms = KpiTerms { gmv_basis, refund_basis, include_shipping, ..KpiTerms::default() };
                keys.extend(KpiId::ALL.iter().map(|&id| definition_key(id, &terms)));
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Why a KPI has no value, or which markets a combined value leaves out.
/// The statement prints it from `templates/<language>.toml` (`[notes]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Note {
    /// No Amazon settlement / Mercado Livre Vendas export (`market`), or none at all.
    NoSalesExport { market: Option<Market> },
    /// No Sponsored Products report (`market`), or no ads report at all.
    NoAdsReport { market: Option<Market> },
    /// Mercado Livre Product Ads reports are not read yet.
    MercadolivreAdsNotRead,
    /// The ratio's denominator is zero.
    ZeroDenominator { denominator: Denominator },
    /// The contract sets no GMV minimum to measure attainment against.
    NoGmvTarget,
    /// Returned and shipped units need a returns report.
    NeedsReturnsReport,
    /// Amazon settlements carry no cancelled orders: needs the All Orders report.
    NeedsAllOrdersReport,
    /// Promised and actual ship dates need an orders report.
    NeedsOrdersReport,
    /// A combined value without these markets' data.
    WithoutDataFrom { markets: Vec<Market> },
}

/// The denominator a ratio KPI divides by, named in [`Note::ZeroDenominator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Denominator {
    GmvTarget,
    GrossGmv,
    Orders,
    AdSales,
    AdSpend,
    Gmv,
}

impl Denominator {
    /// The id statement.json writes, e.g. `gross_gmv`.
    pub fn id(self) -> &'static str {
        match self {
            Denominator::GmvTarget => "gmv_target",
            Denominator::GrossGmv => "gross_gmv",
            Denominator::Orders => "orders",
            Denominator::AdSales => "ad_sales",
            Denominator::AdSpend => "ad_spend",
            Denominator::Gmv => "gmv",
        }
    }
}

/// A market's (or the overall) inputs to the KPI formulas, in one currency.
#[derive(Debug, Clone, Default)]
struct Inputs {
    sales: Option<SalesFigures>,
    ads: Option<AdFigures>,
    /// Markets whose sales/ads data is missing from a combined figure.
    missing_sales: Vec<Market>,
    missing_ads: Vec<Market>,
}

/// Computes every KPI for each market of the contract and overall.
///
/// `convert` turns an amount of a market's currency into the fee currency
/// (rounded), for the overall figures. Ratios are rounded half-up to
/// [`RATIO_DP`] places.
///
/// # Errors
/// Whatever `convert` returns (a missing exchange rate).
pub fn compute<E>(
    contract: &Contract,
    figures: &BTreeMap<Market, MarketFigures>,
    convert: &dyn Fn(Market, Decimal) -> Result<Decimal, E>,
) -> Result<Vec<Kpi>, E> {
    let mut out = Vec::new();
    let fee_currency = contract.fees.currency;
    let mut overall = Inputs::default();
    for &market in &contract.contract.markets {
        let f = figures.get(&market).cloned().unwrap_or_default();
        let inputs = Inputs { sales: f.sales.clone(), ads: f.ads.clone(), ..Inputs::default() };
        out.extend(kpis_for(contract, Scope::of(Some(market)), market.currency(), &inputs));
        match f.sales {
            Some(s) => {
                let conv = |d: Decimal| convert(market, d);
                let s = SalesFigures {
                    gross_principal: conv(s.gross_principal)?,
                    gross_shipping: conv(s.gross_shipping)?,
                    refunded_principal: conv(s.refunded_principal)?,
                    refunded_shipping: conv(s.refunded_shipping)?,
                    platform_fees: conv(s.platform_fees)?,
                    net_proceeds: conv(s.net_proceeds)?,
                    ..s
                };
                overall.sales = Some(match overall.sales.take() {
                    None => s,
                    Some(t) => add_sales(t, s),
                });
            }
            None => overall.missing_sales.push(market),
        }
        match f.ads {
            Some(a) => {
                let a = AdFigures { spend: convert(market, a.spend)?, sales: convert(market, a.sales)? };
                overall.ads = Some(match overall.ads.take() {
                    None => a,
                    Some(t) => AdFigures { spend: t.spend + a.spend, sales: t.sales + a.sales },
                });
            }
            None => overall.missing_ads.push(market),
        }
    }
    let mut all = kpis_for(contract, Scope::All, fee_currency, &overall);
    // Overall money is the sum of each market's figure converted as a whole
    // (the same conversions the commission base shows), so the overall GMV
    // equals the commission base to the cent.
    for k in all.iter_mut().filter(|k| matches!(k.unit, Unit::Money(_)) && k.value.is_some()) {
        let mut sum = Decimal::ZERO;
        for m in out.iter().filter(|m| m.id == k.id) {
            if let (Some(market), Some(v)) = (m.market.market(), m.value) {
                sum += convert(market, v)?;
            }
        }
        k.set_value(sum);
    }
    let value_of = |all: &[Kpi], id: KpiId| all.iter().find(|k| k.id == id).and_then(|k| k.value);
    if let (Some(gmv), Some(spend)) = (value_of(&all, KpiId::Gmv), value_of(&all, KpiId::AdSpend))
        && let Ok(tacos) = ratio(spend, gmv, Denominator::Gmv)
        && let Some(k) = all.iter_mut().find(|k| k.id == KpiId::Tacos)
    {
        k.set_value(tacos);
    }
    let gmv_min = find_target(contract, KpiId::Gmv, Scope::All).and_then(|t| t.min);
    if let (Some(gmv), Some(min)) = (value_of(&all, KpiId::Gmv), gmv_min)
        && let Ok(attainment) = ratio(gmv, min, Denominator::GmvTarget)
        && let Some(k) = all.iter_mut().find(|k| k.id == KpiId::GmvAttainment)
    {
        k.set_value(attainment);
    }
    out.extend(all);
    Ok(out)
}

impl Kpi {
    /// Replaces the value and re-derives the status from the target.
    fn set_value(&mut self, value: Decimal) {
        self.value = Some(value);
        self.status = self.target.map(|t| t.status(value)).unwrap_or(Status::NoTarget);
    }
}

fn add_sales(a: SalesFigures, b: SalesFigures) -> SalesFigures {
    SalesFigures {
        gross_principal: a.gross_principal + b.gross_principal,
        gross_shipping: a.gross_shipping + b.gross_shipping,
        refunded_principal: a.refunded_principal + b.refunded_principal,
        refunded_shipping: a.refunded_shipping + b.refunded_shipping,
        orders: a.orders + b.orders,
        units: a.units + b.units,
        refunded_orders: a.refunded_orders + b.refunded_orders,
        disputed_orders: a.disputed_orders + b.disputed_orders,
        seller_cancelled_orders: a.seller_cancelled_orders + b.seller_cancelled_orders,
        orders_incl_cancelled: a.orders_incl_cancelled + b.orders_incl_cancelled,
        platform_fees: a.platform_fees + b.platform_fees,
        net_proceeds: a.net_proceeds + b.net_proceeds,
        knows_cancellations: a.knows_cancellations || b.knows_cancellations,
    }
}

/// A KPI value or the reason it has none.
type Value = Result<Decimal, Note>;

fn ratio(numerator: Decimal, denominator: Decimal, what: Denominator) -> Value {
    if denominator.is_zero() {
        return Err(Note::ZeroDenominator { denominator: what });
    }
    Ok(RoundingMode::HalfUp.round_dp(numerator / denominator, RATIO_DP))
}

fn kpis_for(contract: &Contract, scope: Scope, currency: Currency, inputs: &Inputs) -> Vec<Kpi> {
    let terms = &contract.kpi;
    let no_sales = || Note::NoSalesExport { market: scope.market() };
    let no_ads = || match scope.market() {
        Some(Market::MercadoLivreBr) => Note::MercadolivreAdsNotRead,
        market => Note::NoAdsReport { market },
    };
    let sales = inputs.sales.as_ref().ok_or_else(no_sales);
    let ads = inputs.ads.as_ref().ok_or_else(no_ads);
    let gross =
        |s: &SalesFigures| s.gross_principal + if terms.include_shipping { s.gross_shipping } else { Decimal::ZERO };
    let refunded = |s: &SalesFigures| {
        s.refunded_principal + if terms.include_shipping { s.refunded_shipping } else { Decimal::ZERO }
    };
    let gmv: Value = sales.clone().map(|s| match terms.gmv_basis {
        GmvBasis::Gross => gross(s),
        GmvBasis::NetOfRefunds => gross(s) - refunded(s),
    });
    let gmv_target = find_target(contract, KpiId::Gmv, scope);
    let value = |id: KpiId| -> Value {
        match id {
            KpiId::Gmv => gmv.clone(),
            KpiId::GmvAttainment => {
                let g = gmv.clone()?;
                match gmv_target.and_then(|t| t.min) {
                    Some(min) => ratio(g, min, Denominator::GmvTarget),
                    None => Err(Note::NoGmvTarget),
                }
            }
            KpiId::Orders => sales.clone().map(|s| Decimal::from(s.orders)),
            KpiId::Units => sales.clone().map(|s| Decimal::from(s.units)),
            KpiId::RefundRate => {
                let s = sales.clone()?;
                match terms.refund_basis {
                    RefundBasis::Value => ratio(refunded(s), gross(s), Denominator::GrossGmv),
                    RefundBasis::Count => {
                        ratio(Decimal::from(s.refunded_orders), Decimal::from(s.orders), Denominator::Orders)
                    }
                }
            }
            KpiId::ReturnRate => Err(Note::NeedsReturnsReport),
            KpiId::CancelRate => {
                let s = sales.clone()?;
                if !s.knows_cancellations {
                    return Err(Note::NeedsAllOrdersReport);
                }
                ratio(
                    Decimal::from(s.seller_cancelled_orders),
                    Decimal::from(s.orders_incl_cancelled),
                    Denominator::Orders,
                )
            }
            KpiId::DisputeRate => {
                let s = sales.clone()?;
                ratio(Decimal::from(s.disputed_orders), Decimal::from(s.orders), Denominator::Orders)
            }
            KpiId::LateShipmentRate => Err(Note::NeedsOrdersReport),
            KpiId::AdSpend => ads.clone().map(|a| a.spend),
            KpiId::Acos => {
                let a = ads.clone()?;
                ratio(a.spend, a.sales, Denominator::AdSales)
            }
            KpiId::Roas => {
                let a = ads.clone()?;
                ratio(a.sales, a.spend, Denominator::AdSpend)
            }
            KpiId::Tacos => {
                let a = ads.clone()?;
                ratio(a.spend, gmv.clone()?, Denominator::Gmv)
            }
            KpiId::PlatformFees => sales.clone().map(|s| s.platform_fees),
            KpiId::NetProceeds => sales.clone().map(|s| s.net_proceeds),
        }
    };
    KpiId::ALL
        .into_iter()
        .map(|id| {
            let unit = match id {
                KpiId::Gmv | KpiId::AdSpend | KpiId::PlatformFees | KpiId::NetProceeds => Unit::Money(currency),
                KpiId::Orders | KpiId::Units => Unit::Count,
                _ => Unit::Ratio,
            };
            let target = find_target(contract, id, scope).and_then(Bound::of);
            let (value, status, mut note) = match value(id) {
                Ok(v) => (Some(v), target.map(|t| t.status(v)).unwrap_or(Status::NoTarget), None),
                Err(reason) => (None, Status::NoData, Some(reason)),
            };
            if value.is_some() && scope == Scope::All {
                let uses_ads = matches!(id, KpiId::AdSpend | KpiId::Acos | KpiId::Roas | KpiId::Tacos);
                let missing = if uses_ads { &inputs.missing_ads } else { &inputs.missing_sales };
                if !missing.is_empty() {
                    note = Some(Note::WithoutDataFrom { markets: missing.clone() });
                }
            }
            Kpi {
                id,
                market: scope,
                value,
                unit,
                target,
                status,
                definition_key: definition_key(id, terms),
                definition: String::new(),
                note,
            }
        })
        .collect()
}

/// The contract's target for `id` in `scope`. A seller on a single market
/// whose currency is the fee currency has overall figures equal to that
/// market's, so a target set for the market also applies overall.
fn find_target(contract: &Contract, id: KpiId, scope: Scope) -> Option<&Target> {
    let targets = &contract.kpi.targets;
    let exact = targets.iter().find(|t| t.kpi == id && t.market == scope.market());
    match (exact, scope, contract.contract.markets.as_slice()) {
        (None, Scope::All, [only]) if only.currency() == contract.fees.currency => {
            targets.iter().find(|t| t.kpi == id && t.market == Some(*only))
        }
        _ => exact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn contract() -> Contract {
        Contract::parse("c.toml", include_str!("../fixtures/contracts/domain-example.toml")).unwrap()
    }

    fn sales() -> SalesFigures {
        SalesFigures {
            gross_principal: d("200000.00"),
            gross_shipping: d("5000.00"),
            refunded_principal: d("10000.00"),
            refunded_shipping: d("100.00"),
            orders: 1000,
            units: 1300,
            refunded_orders: 40,
            disputed_orders: 9,
            seller_cancelled_orders: 0,
            orders_incl_cancelled: 1000,
            platform_fees: d("30000.00"),
            net_proceeds: d("150000.00"),
            knows_cancellations: false,
        }
    }

    fn run(c: &Contract, amazon: MarketFigures) -> Vec<Kpi> {
        let figures = BTreeMap::from([(Market::AmazonUs, amazon)]);
        compute(c, &figures, &|_, v| Ok::<_, String>(v * d("7.1"))).unwrap()
    }

    fn get(kpis: &[Kpi], id: KpiId, scope: Scope) -> Kpi {
        kpis.iter().find(|k| k.id == id && k.market == scope).unwrap().clone()
    }

    #[test]
    fn refund_reduces_gmv_when_basis_is_net() {
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None });
        assert_eq!(get(&k, KpiId::Gmv, Scope::AmazonUs).value, Some(d("190000.00")));
        let mut c = contract();
        c.kpi.gmv_basis = GmvBasis::Gross;
        let k = run(&c, MarketFigures { sales: Some(sales()), ads: None });
        assert_eq!(get(&k, KpiId::Gmv, Scope::AmazonUs).value, Some(d("200000.00")));
    }

    #[test]
    fn shipping_counts_only_when_the_contract_includes_it() {
        let mut c = contract();
        c.kpi.include_shipping = true;
        let k = run(&c, MarketFigures { sales: Some(sales()), ads: None });
        assert_eq!(get(&k, KpiId::Gmv, Scope::AmazonUs).value, Some(d("194900.00")));
    }

    #[test]
    fn gmv_target_is_met_and_attainment_is_gmv_over_target() {
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None });
        let gmv = get(&k, KpiId::Gmv, Scope::AmazonUs);
        assert_eq!(gmv.status, Status::Met);
        assert_eq!(get(&k, KpiId::GmvAttainment, Scope::AmazonUs).value, Some(d("1.2667")));
    }

    #[test]
    fn dispute_rate_between_alert_and_limit_is_alert() {
        // 9 / 1000 = 0.009: above the 0.008 alert, within the 0.01 limit.
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None });
        let dispute = get(&k, KpiId::DisputeRate, Scope::All);
        assert_eq!(dispute.value, Some(d("0.0090")));
        assert_eq!(dispute.status, Status::Alert);
    }

    #[test]
    fn missing_input_is_no_data_with_a_reason_never_zero() {
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None });
        let roas = get(&k, KpiId::Roas, Scope::AmazonUs);
        assert_eq!(roas.value, None);
        assert_eq!(roas.status, Status::NoData);
        assert_eq!(roas.note, Some(Note::NoAdsReport { market: Some(Market::AmazonUs) }));
        let ml = get(&k, KpiId::Gmv, Scope::MercadoLivreBr);
        assert_eq!(ml.status, Status::NoData);
        let cancel = get(&k, KpiId::CancelRate, Scope::AmazonUs);
        assert_eq!(cancel.note, Some(Note::NeedsAllOrdersReport));
    }

    #[test]
    fn overall_money_is_converted_into_the_fee_currency() {
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None });
        let all = get(&k, KpiId::Gmv, Scope::All);
        assert_eq!(all.value, Some(d("1349000.00")));
        assert_eq!(all.unit, Unit::Money(Currency::Cny));
        assert_eq!(all.note, Some(Note::WithoutDataFrom { markets: vec![Market::MercadoLivreBr] }));
    }

    #[test]
    fn roas_and_acos_are_reciprocal_views_of_the_ads_report() {
        let ads = AdFigures { spend: d("1000.00"), sales: d("3120.00") };
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: Some(ads) });
        let roas = get(&k, KpiId::Roas, Scope::All);
        assert_eq!(roas.value, Some(d("3.12")));
        assert_eq!(roas.status, Status::Met);
        assert_eq!(get(&k, KpiId::Acos, Scope::AmazonUs).value, Some(d("0.3205")));
        assert_eq!(get(&k, KpiId::Tacos, Scope::AmazonUs).value, Some(d("0.0053")));
    }

    #[test]
    fn a_single_market_target_also_applies_overall_in_the_same_currency() {
        let mut c = contract();
        c.contract.markets = vec![Market::AmazonUs];
        c.fees.currency = Currency::Usd;
        let figures = BTreeMap::from([(Market::AmazonUs, MarketFigures { sales: Some(sales()), ads: None })]);
        let k = compute(&c, &figures, &|_, v| Ok::<_, String>(v)).unwrap();
        let all = get(&k, KpiId::GmvAttainment, Scope::All);
        assert_eq!(all.value, get(&k, KpiId::GmvAttainment, Scope::AmazonUs).value);
        assert_eq!(get(&k, KpiId::Gmv, Scope::All).status, Status::Met);
        // With two markets the overall figure mixes them: no fallback.
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None });
        assert_eq!(get(&k, KpiId::GmvAttainment, Scope::All).status, Status::NoData);
    }

    #[test]
    fn bounds_classify_met_alert_missed() {
        let max = Bound::Max { value: d("0.01"), alert: Some(d("0.008")) };
        assert_eq!(max.status(d("0.005")), Status::Met);
        assert_eq!(max.status(d("0.009")), Status::Alert);
        assert_eq!(max.status(d("0.01")), Status::Alert);
        assert_eq!(max.status(d("0.011")), Status::Missed);
        let min = Bound::Min { value: d("2.5"), alert: None };
        assert_eq!(min.status(d("2.5")), Status::Met);
        assert_eq!(min.status(d("2.49")), Status::Missed);
    }
}
