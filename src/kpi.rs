//! KPIs per market and overall, by the definitions in [`definition`], which
//! the statement prints verbatim: one written definition for computation and
//! print alike.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contract::{Contract, ConversionBasis, GmvBasis, KpiTerms, RefundBasis, Target};
use crate::kpi_id::KpiId;
use crate::ledger::{
    AdFigures, FeedbackFigures, InventoryFigures, MarketFigures, OrderFigures, ReturnFigures, SalesFigures,
    TrafficFigures,
};
use crate::market::Market;
use crate::money::{Currency, RoundingMode, with_minor_digits};

/// Decimal places a ratio KPI is printed with at least. Ratios are never
/// rounded before they are compared: statuses and fee rules compare the
/// unrounded value, and [`printed_ratio`] adds places where these would make
/// the printed value look like it contradicts a comparison.
pub const RATIO_PRINT_DP: u32 = 4;

/// Where a KPI is measured: one market, or all of the seller's markets.
/// Serialized as the market's id, or `all`; markets sort before `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Market(Market),
    All,
}

impl Scope {
    pub fn market(self) -> Option<Market> {
        match self {
            Scope::Market(m) => Some(m),
            Scope::All => None,
        }
    }

    pub fn of(market: Option<Market>) -> Scope {
        market.map_or(Scope::All, Scope::Market)
    }

    pub fn id(self) -> &'static str {
        self.market().map(Market::id).unwrap_or("all")
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        if id == "all" {
            return Ok(Scope::All);
        }
        id.parse().map(Scope::Market).map_err(serde::de::Error::custom)
    }
}

/// What a KPI's value is measured in; serialized as [`Unit::id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Money(Currency),
    Count,
    Ratio,
    /// A number of days (inventory turnover), printed like a ratio's digits.
    Days,
}

impl Unit {
    /// The unit of `id`'s value; money in `currency` (a market's own, or
    /// the fee currency overall).
    pub fn of(id: KpiId, currency: Currency) -> Unit {
        match id {
            KpiId::Gmv | KpiId::AdSpend | KpiId::PlatformFees | KpiId::NetProceeds => Unit::Money(currency),
            KpiId::Orders | KpiId::Units => Unit::Count,
            KpiId::InventoryTurnoverDays => Unit::Days,
            _ => Unit::Ratio,
        }
    }

    /// The unit as statement.json writes it: a currency code, `count`, `ratio` or `days`.
    pub fn id(self) -> &'static str {
        match self {
            Unit::Money(c) => c.code(),
            Unit::Count => "count",
            Unit::Ratio => "ratio",
            Unit::Days => "days",
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
            "days" => Ok(Unit::Days),
            code => code.parse::<Currency>().map(Unit::Money).map_err(|_| {
                serde::de::Error::custom(format!("unit {code:?}: expected a currency code, `count`, `ratio` or `days`"))
            }),
        }
    }
}

/// Whether the KPI `id` at `scope` only repeats its market's own figure:
/// for a seller with a single market (`single_market`), an overall KPI
/// (`Scope::All`) whose id also appears among `others` (id and scope of the
/// entries shown beside it) under a market. Statements' trends, alerts and
/// reviews list such a KPI once, under the market's name.
pub fn repeats_its_market(
    single_market: bool,
    id: KpiId,
    scope: Scope,
    mut others: impl Iterator<Item = (KpiId, Scope)>,
) -> bool {
    single_market && scope == Scope::All && others.any(|(other, s)| other == id && s != Scope::All)
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

    /// Met, missed or alert for `value`. Missed past the limit (below a
    /// minimum, above a maximum); alert within it but at or past the alert
    /// threshold (预警 fires when the line is reached): for a minimum at or
    /// below the threshold (set above the minimum), for a maximum at or above it.
    pub fn status(self, value: Decimal) -> Status {
        match self {
            Bound::Min { value: min, alert } => {
                if value < min {
                    Status::Missed
                } else if alert.is_some_and(|a| value <= a) {
                    Status::Alert
                } else {
                    Status::Met
                }
            }
            Bound::Max { value: max, alert } => {
                if value > max {
                    Status::Missed
                } else if alert.is_some_and(|a| value >= a) {
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
    /// The value as printed. Money is exact to the minor unit and counts are
    /// exact; a ratio is [`printed_ratio`] of the unrounded quotient, which
    /// compares with the KPI's target, alert and every fee-rule threshold on
    /// it exactly as the unrounded quotient does. Fee rules read this value.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    pub unit: Unit,
    pub target: Option<Bound>,
    /// Decided on the unrounded value (the same outcome as on `value`).
    pub status: Status,
    /// The key of the KPI's written definition: see [`definition_key`].
    pub definition_key: String,
    /// That definition in English (statement.json's reader need not look it
    /// up); the PDF prints it in the statement's language from the same key.
    pub definition: String,
    /// Why there is no value, or which markets a combined value leaves out.
    pub note: Option<Note>,
    /// The markets whose data the value is made of, in contract order: a
    /// market's own KPI covers that market when it has the data the KPI
    /// needs; an overall KPI covers exactly the markets that have both its
    /// numerator's and its denominator's data (see [`compute`]). Empty when
    /// no market has them.
    #[serde(default)]
    pub covers: Vec<Market>,
    /// The exports its value is made of, by workspace path, in the order of
    /// statement.json's `inputs`: each covered market's files of the kinds
    /// the KPI reads ([`data_kinds`]). Conversions are in `fx`; targets in
    /// the contract. Empty without a value's data, and in statements
    /// written before this field existed.
    #[serde(default)]
    pub inputs: Vec<String>,
}

/// A kind of export a KPI reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// Settlements, Mercado Livre Vendas.
    Sales,
    /// Sponsored ads reports.
    Ads,
    /// Returns reports.
    Returns,
    /// Seller feedback reports.
    Feedback,
    /// Orders placed with their cancellations (Amazon All Orders; Mercado
    /// Livre's Vendas export is also this).
    Orders,
    /// Sessions with units and order items ordered (Amazon Business Report).
    Traffic,
    /// Stock on hand and shipped from it, day by day (Amazon Inventory Ledger).
    Inventory,
}

/// The kinds of export `id`'s numerator and denominator come from.
pub fn data_kinds(id: KpiId) -> &'static [DataKind] {
    match Needs::of(id) {
        Needs::Sales => &[DataKind::Sales],
        Needs::Orders => &[DataKind::Orders],
        Needs::Traffic => &[DataKind::Traffic],
        Needs::Inventory => &[DataKind::Inventory],
        Needs::Ads => &[DataKind::Ads],
        Needs::SalesAndAds => &[DataKind::Sales, DataKind::Ads],
        Needs::SalesAndReturns => &[DataKind::Sales, DataKind::Returns],
        Needs::Feedback => &[DataKind::Feedback],
        Needs::Unread(_) => &[],
    }
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
        KpiId::ConversionRate => match terms.conversion_basis {
            ConversionBasis::Units => "conversion_rate.units".to_string(),
            ConversionBasis::OrderItems => "conversion_rate.order_items".to_string(),
        },
        other => other.id().to_string(),
    }
}

/// A field of one market's figures (`sales.gross_principal`, the names
/// [`crate::ledger::make_of`] knows) with its sign in a sum.
pub type Term = (&'static str, i8);

/// What a KPI of one market is made of, as fields of that market's figures
/// under the contract's terms: the composition `kpiseal explain` walks down
/// to rows. It states what [`formula`] computes (a test holds the two equal
/// for every KPI, every choice of terms and arbitrary figures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composition {
    /// A sum of fields (money and counts).
    Sum(Vec<Term>),
    /// One sum over another.
    Ratio { numerator: Vec<Term>, denominator: Vec<Term> },
    /// A sum over the contract's target for it (GMV attainment): the target
    /// is not a figure of the inputs.
    OverTarget(Vec<Term>),
    /// Not computed from the figures (late shipment rate).
    NotComputed,
}

/// The composition of `id` under `terms` (see [`Composition`]).
pub fn composition(id: KpiId, terms: &KpiTerms) -> Composition {
    let shipping = terms.include_shipping;
    let gross = || {
        let mut t = vec![("sales.gross_principal", 1)];
        if shipping {
            t.push(("sales.gross_shipping", 1));
        }
        t
    };
    let refunded = |sign: i8| {
        let mut t = vec![("sales.refunded_principal", sign)];
        if shipping {
            t.push(("sales.refunded_shipping", sign));
        }
        t
    };
    let gmv = || match terms.gmv_basis {
        GmvBasis::Gross => gross(),
        GmvBasis::NetOfRefunds => [gross(), refunded(-1)].concat(),
    };
    let ratio = |numerator: Vec<Term>, denominator: Vec<Term>| Composition::Ratio { numerator, denominator };
    match id {
        KpiId::Gmv => Composition::Sum(gmv()),
        KpiId::GmvAttainment => Composition::OverTarget(gmv()),
        KpiId::Orders => Composition::Sum(vec![("sales.orders", 1)]),
        KpiId::Units => Composition::Sum(vec![("sales.units", 1)]),
        KpiId::RefundRate => match terms.refund_basis {
            RefundBasis::Value => ratio(refunded(1), gross()),
            RefundBasis::Count => ratio(vec![("sales.refunded_orders", 1)], vec![("sales.orders", 1)]),
        },
        KpiId::ReturnRate => ratio(vec![("returns.units", 1)], vec![("sales.units", 1)]),
        KpiId::NegativeFeedbackRate => ratio(vec![("feedback.negative", 1)], vec![("feedback.received", 1)]),
        KpiId::CancelRate => ratio(vec![("orders.seller_cancelled", 1)], vec![("orders.placed", 1)]),
        KpiId::ConversionRate => match terms.conversion_basis {
            ConversionBasis::Units => ratio(vec![("traffic.units_ordered", 1)], vec![("traffic.sessions", 1)]),
            ConversionBasis::OrderItems => ratio(vec![("traffic.order_items", 1)], vec![("traffic.sessions", 1)]),
        },
        KpiId::InventoryTurnoverDays => ratio(vec![("inventory.on_hand_unit_days", 1)], vec![("inventory.shipped", 1)]),
        KpiId::DisputeRate => ratio(vec![("sales.disputed_orders", 1)], vec![("sales.orders", 1)]),
        KpiId::LateShipmentRate => Composition::NotComputed,
        KpiId::AdSpend => Composition::Sum(vec![("ads.spend", 1)]),
        KpiId::Acos => ratio(vec![("ads.spend", 1)], vec![("ads.sales", 1)]),
        KpiId::Roas => ratio(vec![("ads.sales", 1)], vec![("ads.spend", 1)]),
        KpiId::Tacos => ratio(vec![("ads.spend", 1)], gmv()),
        KpiId::PlatformFees => Composition::Sum(vec![("sales.platform_fees", 1)]),
        KpiId::NetProceeds => Composition::Sum(vec![("sales.net_proceeds", 1)]),
    }
}

/// The terms a statement's definition keys say it was computed under (the
/// inverse of [`definition_key`] over the keys of one statement's KPIs);
/// a choice no key shows keeps its default.
pub fn terms_of_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> KpiTerms {
    let mut terms = KpiTerms::default();
    for key in keys {
        let parts: Vec<&str> = key.split('.').collect();
        if let Some(last) = parts.get(2).or(parts.get(1)).filter(|_| parts[0] == "gmv" || parts[0] == "refund_rate") {
            match *last {
                "including_shipping" => terms.include_shipping = true,
                "excluding_shipping" => terms.include_shipping = false,
                _ => {}
            }
        }
        match parts.as_slice() {
            ["gmv", "gross", ..] => terms.gmv_basis = GmvBasis::Gross,
            ["gmv", "net_of_refunds", ..] => terms.gmv_basis = GmvBasis::NetOfRefunds,
            ["refund_rate", "value", ..] => terms.refund_basis = RefundBasis::Value,
            ["refund_rate", "count"] => terms.refund_basis = RefundBasis::Count,
            ["conversion_rate", "units"] => terms.conversion_basis = ConversionBasis::Units,
            ["conversion_rate", "order_items"] => terms.conversion_basis = ConversionBasis::OrderItems,
            _ => {}
        }
    }
    terms
}

/// Every definition key [`definition_key`] can return, for the template
/// completeness test.
pub fn all_definition_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for gmv_basis in [GmvBasis::Gross, GmvBasis::NetOfRefunds] {
        for refund_basis in [RefundBasis::Value, RefundBasis::Count] {
            for include_shipping in [false, true] {
                for conversion_basis in [ConversionBasis::Units, ConversionBasis::OrderItems] {
                    let terms =
                        KpiTerms { gmv_basis, refund_basis, include_shipping, conversion_basis, ..KpiTerms::default() };
                    keys.extend(KpiId::ALL.iter().map(|&id| definition_key(id, &terms)));
                }
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
    /// The ratio's denominator is zero.
    ZeroDenominator { denominator: Denominator },
    /// The contract sets no GMV minimum to measure attainment against.
    NoGmvTarget,
    /// No returns report (Amazon's FBA customer returns report) for
    /// `market`, or for any market: returned units are in no other export.
    NoReturnsReport { market: Option<Market> },
    /// No seller feedback report for `market`, or for any market.
    NoFeedbackReport { market: Option<Market> },
    /// No orders report (Amazon's All Orders report) for `market`, or for
    /// any market: settlements carry no cancelled orders.
    NoOrdersReport { market: Option<Market> },
    /// No traffic report (Amazon's Business Report by date) for `market`,
    /// or for any market: sessions are in no other export.
    NoTrafficReport { market: Option<Market> },
    /// No inventory report (Amazon's Inventory Ledger summary by day) for
    /// `market`, or for any market.
    NoInventoryReport { market: Option<Market> },
    /// No export kpiseal reads gives an expected ship date beside the ship
    /// date (and FBA orders are shipped by Amazon): the late shipment rate.
    NeedsOrdersReport,
    /// An overall value made of the data of `covers` only: `markets` lack
    /// its numerator's or its denominator's data.
    WithoutDataFrom { covers: Vec<Market>, markets: Vec<Market> },
    /// Some market has the ads report and some the sales export, but none
    /// both, so no market's ad spend can be put against its own GMV.
    NoMarketWithBoth,
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
    ShippedUnits,
    FeedbackReceived,
    OrdersPlaced,
    Sessions,
    ShippedFromStock,
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
            Denominator::ShippedUnits => "shipped_units",
            Denominator::FeedbackReceived => "feedback_received",
            Denominator::OrdersPlaced => "orders_placed",
            Denominator::Sessions => "sessions",
            Denominator::ShippedFromStock => "shipped_from_stock",
        }
    }
}

/// One market's (or a combination of markets') inputs to the KPI formulas,
/// in one currency.
#[derive(Debug, Clone, Default)]
struct Inputs {
    sales: Option<SalesFigures>,
    ads: Option<AdFigures>,
    returns: Option<ReturnFigures>,
    feedback: Option<FeedbackFigures>,
    orders: Option<OrderFigures>,
    traffic: Option<TrafficFigures>,
    inventory: Option<InventoryFigures>,
}

impl Inputs {
    /// One market's figures as a formula's inputs.
    fn of(f: &MarketFigures) -> Inputs {
        Inputs {
            sales: f.sales.clone(),
            ads: f.ads.clone(),
            returns: f.returns.clone(),
            feedback: f.feedback.clone(),
            orders: f.orders.clone(),
            traffic: f.traffic.clone(),
            inventory: f.inventory.clone(),
        }
    }
}

/// What a KPI needs from a market for that market to count in it: the data
/// of its numerator and of its denominator.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Needs {
    /// The sales export (Amazon settlement, Mercado Livre Vendas).
    Sales,
    /// An orders export: orders placed with their cancellations (Amazon
    /// settlements carry neither: cancelled orders never reach them).
    Orders,
    /// The ads report.
    Ads,
    /// Both: ad spend over GMV.
    SalesAndAds,
    /// The sales export (shipped units) and a returns report (returned units).
    SalesAndReturns,
    /// The seller feedback report alone (both sides of the ratio).
    Feedback,
    /// A traffic report alone (sessions and what they ordered).
    Traffic,
    /// An inventory report alone (stock on hand and shipped from it).
    Inventory,
    /// A report kpiseal does not read: no market has it, for this reason.
    Unread(Note),
}

impl Needs {
    fn of(id: KpiId) -> Needs {
        match id {
            KpiId::Gmv
            | KpiId::GmvAttainment
            | KpiId::Orders
            | KpiId::Units
            | KpiId::RefundRate
            | KpiId::DisputeRate
            | KpiId::PlatformFees
            | KpiId::NetProceeds => Needs::Sales,
            KpiId::CancelRate => Needs::Orders,
            KpiId::AdSpend | KpiId::Acos | KpiId::Roas => Needs::Ads,
            KpiId::Tacos => Needs::SalesAndAds,
            KpiId::ReturnRate => Needs::SalesAndReturns,
            KpiId::NegativeFeedbackRate => Needs::Feedback,
            KpiId::ConversionRate => Needs::Traffic,
            KpiId::InventoryTurnoverDays => Needs::Inventory,
            KpiId::LateShipmentRate => Needs::Unread(Note::NeedsOrdersReport),
        }
    }

    fn met_by(&self, f: &MarketFigures) -> bool {
        match self {
            Needs::Sales => f.sales.is_some(),
            Needs::Orders => f.orders.is_some(),
            Needs::Traffic => f.traffic.is_some(),
            Needs::Inventory => f.inventory.is_some(),
            Needs::Ads => f.ads.is_some(),
            Needs::SalesAndAds => f.sales.is_some() && f.ads.is_some(),
            Needs::SalesAndReturns => f.sales.is_some() && f.returns.is_some(),
            Needs::Feedback => f.feedback.is_some(),
            Needs::Unread(_) => false,
        }
    }
}

/// Computes every KPI for each market of the contract and overall.
///
/// A market's KPIs are made of that market's data alone, in its currency.
/// An overall KPI combines exactly the markets that have both its
/// numerator's and its denominator's data (its `covers`), in the fee
/// currency (`convert` turns an amount of a market's currency into it,
/// rounded):
/// - money (GMV, ad spend, platform fees, net proceeds) is the sum of each
///   covered market's value converted as a whole, so the overall GMV equals
///   the commission base to the cent;
/// - orders and units are sums; a ratio divides the covered markets'
///   summed numerator by their summed denominator (amounts converted market
///   by market). The cancel rate covers the markets whose exports tell
///   cancellations; ACoS and ROAS the markets with an ads report; TACoS the
///   markets with both an ads report and a sales export (their ad spend over
///   their own GMV); GMV attainment is the covered GMV over the overall
///   GMV target.
///
/// An overall value that leaves a contract market out carries
/// [`Note::WithoutDataFrom`] naming both sets. Statuses compare unrounded
/// values with the targets; ratios are printed by [`printed_ratio`].
///
/// # Errors
/// Whatever `convert` returns (a missing exchange rate).
pub fn compute<E>(
    contract: &Contract,
    figures: &BTreeMap<Market, MarketFigures>,
    convert: &dyn Fn(Market, Decimal) -> Result<Decimal, E>,
) -> Result<Vec<Kpi>, E> {
    let markets = &contract.contract.markets;
    let fee_currency = contract.fees.currency;
    let none = MarketFigures::default();
    let figure = |m: Market| figures.get(&m).unwrap_or(&none);

    let mut out = Vec::new();
    let mut converted = BTreeMap::new();
    for &market in markets {
        let f = figure(market);
        let scope = Scope::of(Some(market));
        let inputs = Inputs::of(f);
        for id in KpiId::ALL {
            let covers = if Needs::of(id).met_by(f) { vec![market] } else { Vec::new() };
            out.push(make(
                contract,
                id,
                scope,
                contract.currency(market),
                formula(contract, id, scope, &inputs),
                covers,
            ));
        }
        converted.insert(market, convert_inputs(&inputs, &|d| convert(market, d))?);
    }

    let market_value =
        |id: KpiId, m: Market| out.iter().find(|k| k.id == id && k.market == Scope::of(Some(m))).and_then(|k| k.value);
    // The covered markets' money `id`, each market's value converted as a whole.
    let money = |id: KpiId, covers: &[Market]| -> Result<Decimal, E> {
        let mut sum = Decimal::new(0, fee_currency.minor_digits());
        for &m in covers {
            if let Some(v) = market_value(id, m) {
                sum += convert(m, v)?;
            }
        }
        Ok(sum)
    };
    let mut all = Vec::new();
    for id in KpiId::ALL {
        let needs = Needs::of(id);
        let covers: Vec<Market> = markets.iter().copied().filter(|&m| needs.met_by(figure(m))).collect();
        let value: Value = if covers.is_empty() {
            Err(uncovered(&needs, markets.iter().map(|&m| figure(m))))
        } else if matches!(Unit::of(id, fee_currency), Unit::Money(_)) {
            Ok(money(id, &covers)?)
        } else if id == KpiId::Tacos {
            ratio(money(KpiId::AdSpend, &covers)?, money(KpiId::Gmv, &covers)?, Denominator::Gmv)
        } else if id == KpiId::GmvAttainment {
            match find_target(contract, KpiId::Gmv, Scope::All).and_then(|t| t.min) {
                Some(min) => ratio(money(KpiId::Gmv, &covers)?, min, Denominator::GmvTarget),
                None => Err(Note::NoGmvTarget),
            }
        } else {
            formula(contract, id, Scope::All, &combine(covers.iter().filter_map(|m| converted.get(m))))
        };
        let mut kpi = make(contract, id, Scope::All, fee_currency, value, covers.clone());
        let left_out: Vec<Market> = markets.iter().copied().filter(|m| !covers.contains(m)).collect();
        if kpi.value.is_some() && !left_out.is_empty() {
            kpi.note = Some(Note::WithoutDataFrom { covers, markets: left_out });
        }
        all.push(kpi);
    }
    out.extend(all);
    Ok(out)
}

/// Why no market counts in an overall KPI that `needs` this.
fn uncovered<'a>(needs: &Needs, markets: impl Iterator<Item = &'a MarketFigures> + Clone) -> Note {
    let any = |n: Needs| markets.clone().any(|f| n.met_by(f));
    match needs {
        Needs::Unread(note) => note.clone(),
        Needs::Orders => Note::NoOrdersReport { market: None },
        Needs::Traffic => Note::NoTrafficReport { market: None },
        Needs::Inventory => Note::NoInventoryReport { market: None },
        Needs::Sales => Note::NoSalesExport { market: None },
        Needs::Ads => Note::NoAdsReport { market: None },
        Needs::SalesAndAds if !any(Needs::Ads) => Note::NoAdsReport { market: None },
        Needs::SalesAndAds if !any(Needs::Sales) => Note::NoSalesExport { market: None },
        Needs::SalesAndAds => Note::NoMarketWithBoth,
        Needs::SalesAndReturns if !any(Needs::Sales) => Note::NoSalesExport { market: None },
        Needs::SalesAndReturns => Note::NoReturnsReport { market: None },
        Needs::Feedback => Note::NoFeedbackReport { market: None },
    }
}

/// One market's inputs with every amount converted by `convert`.
fn convert_inputs<E>(inputs: &Inputs, convert: &dyn Fn(Decimal) -> Result<Decimal, E>) -> Result<Inputs, E> {
    let sales = match &inputs.sales {
        Some(s) => Some(SalesFigures {
            gross_principal: convert(s.gross_principal)?,
            gross_shipping: convert(s.gross_shipping)?,
            refunded_principal: convert(s.refunded_principal)?,
            refunded_shipping: convert(s.refunded_shipping)?,
            platform_fees: convert(s.platform_fees)?,
            net_proceeds: convert(s.net_proceeds)?,
            ..s.clone()
        }),
        None => None,
    };
    let ads = match &inputs.ads {
        Some(a) => Some(AdFigures { spend: convert(a.spend)?, sales: convert(a.sales)? }),
        None => None,
    };
    Ok(Inputs {
        sales,
        ads,
        returns: inputs.returns.clone(),
        feedback: inputs.feedback.clone(),
        orders: inputs.orders.clone(),
        traffic: inputs.traffic.clone(),
        inventory: inputs.inventory.clone(),
    })
}

/// The sum of several markets' inputs (in one currency).
fn combine<'a>(parts: impl Iterator<Item = &'a Inputs>) -> Inputs {
    let mut total = Inputs::default();
    for p in parts {
        if let Some(s) = &p.sales {
            total.sales = Some(match total.sales.take() {
                None => s.clone(),
                Some(t) => add_sales(t, s.clone()),
            });
        }
        add_counts(&mut total.returns, &p.returns);
        add_counts(&mut total.feedback, &p.feedback);
        add_counts(&mut total.orders, &p.orders);
        add_counts(&mut total.inventory, &p.inventory);
        add_counts(&mut total.traffic, &p.traffic);
        if let Some(a) = &p.ads {
            total.ads = Some(match total.ads.take() {
                None => a.clone(),
                Some(t) => AdFigures { spend: t.spend + a.spend, sales: t.sales + a.sales },
            });
        }
    }
    total
}

/// Adds a market's counts (`part`) to the total, which has a value once
/// any market has.
fn add_counts<T: Default + for<'a> std::ops::AddAssign<&'a T>>(total: &mut Option<T>, part: &Option<T>) {
    if let Some(part) = part {
        *total.get_or_insert_with(T::default) += part;
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
        platform_fees: a.platform_fees + b.platform_fees,
        net_proceeds: a.net_proceeds + b.net_proceeds,
    }
}

/// A KPI value (unrounded) or the reason it has none.
type Value = Result<Decimal, Note>;

/// `numerator ÷ denominator`, unrounded (rust_decimal's 28 significant
/// digits). A quotient too large for a decimal (a denominator like a GMV
/// target of 10⁻²⁰) is treated like a zero denominator.
fn ratio(numerator: Decimal, denominator: Decimal, what: Denominator) -> Value {
    if denominator.is_zero() {
        return Err(Note::ZeroDenominator { denominator: what });
    }
    numerator.checked_div(denominator).ok_or(Note::ZeroDenominator { denominator: what })
}

/// The ratio `exact` as printed: rounded half-up to [`RATIO_PRINT_DP`]
/// places (trailing zeros kept, so `0` prints as `0.0000`), or to as many
/// more places as it takes for the printed value to compare with each of
/// `thresholds` exactly as `exact` does: never equal to a threshold `exact`
/// differs from, never on its other side. (ROAS 2.49995 against ≥ 2.5
/// prints 2.49995, not 2.5000.) At worst that is `exact` itself.
pub fn printed_ratio(exact: Decimal, thresholds: &[Decimal]) -> Decimal {
    let agrees = |p: Decimal| thresholds.iter().all(|t| p.cmp(t) == exact.cmp(t));
    let mut printed = exact;
    for dp in RATIO_PRINT_DP..=28 {
        let mut p = RoundingMode::HalfUp.round_dp(exact, dp);
        if p.scale() < RATIO_PRINT_DP {
            p.rescale(RATIO_PRINT_DP);
        }
        if agrees(p) {
            printed = p;
            break;
        }
    }
    unsigned_zero(printed)
}

/// Zero without a minus sign (`-0.0000` would print as such).
fn unsigned_zero(mut value: Decimal) -> Decimal {
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    value
}

/// Every threshold `id`'s value is compared with in `scope`: its target,
/// the target's alert, and each fee rule on it.
fn thresholds(contract: &Contract, id: KpiId, scope: Scope, target: Option<Bound>) -> Vec<Decimal> {
    let mut out = Vec::new();
    match target {
        Some(Bound::Min { value, alert } | Bound::Max { value, alert }) => {
            out.push(value);
            out.extend(alert);
        }
        None => {}
    }
    let rules = contract.fees.rules.iter().filter(|r| r.kpi == id && r.market == scope.market());
    out.extend(rules.map(|r| r.threshold));
    out
}

/// The KPI `id` of `scope` with `value`: status from the unrounded value,
/// printed value by its unit (see [`Kpi::value`]).
fn make(contract: &Contract, id: KpiId, scope: Scope, currency: Currency, value: Value, covers: Vec<Market>) -> Kpi {
    let unit = Unit::of(id, currency);
    let target = find_target(contract, id, scope).and_then(Bound::of);
    let (value, status, note) = match value {
        Ok(exact) => {
            let printed = match unit {
                Unit::Ratio | Unit::Days => printed_ratio(exact, &thresholds(contract, id, scope, target)),
                Unit::Money(c) => with_minor_digits(exact, c),
                Unit::Count => exact,
            };
            (Some(printed), target.map(|t| t.status(exact)).unwrap_or(Status::NoTarget), None)
        }
        Err(reason) => (None, Status::NoData, Some(reason)),
    };
    Kpi {
        id,
        market: scope,
        value,
        unit,
        target,
        status,
        definition_key: definition_key(id, &contract.kpi),
        definition: String::new(),
        note,
        covers,
        inputs: Vec::new(),
    }
}

/// The formula of `id` (its written definition) over `inputs`, unrounded.
fn formula(contract: &Contract, id: KpiId, scope: Scope, inputs: &Inputs) -> Value {
    let terms = &contract.kpi;
    let no_sales = || Note::NoSalesExport { market: scope.market() };
    let no_ads = || Note::NoAdsReport { market: scope.market() };
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
    match id {
        KpiId::Gmv => gmv,
        KpiId::GmvAttainment => {
            let g = gmv?;
            match find_target(contract, KpiId::Gmv, scope).and_then(|t| t.min) {
                Some(min) => ratio(g, min, Denominator::GmvTarget),
                None => Err(Note::NoGmvTarget),
            }
        }
        KpiId::Orders => sales.map(|s| Decimal::from(s.orders)),
        KpiId::Units => sales.map(|s| Decimal::from(s.units)),
        KpiId::RefundRate => {
            let s = sales?;
            match terms.refund_basis {
                RefundBasis::Value => ratio(refunded(s), gross(s), Denominator::GrossGmv),
                RefundBasis::Count => {
                    ratio(Decimal::from(s.refunded_orders), Decimal::from(s.orders), Denominator::Orders)
                }
            }
        }
        KpiId::ReturnRate => {
            let s = sales?;
            let r = inputs.returns.as_ref().ok_or(Note::NoReturnsReport { market: scope.market() })?;
            ratio(Decimal::from(r.units), Decimal::from(s.units), Denominator::ShippedUnits)
        }
        KpiId::NegativeFeedbackRate => {
            let f = inputs.feedback.as_ref().ok_or(Note::NoFeedbackReport { market: scope.market() })?;
            ratio(Decimal::from(f.negative), Decimal::from(f.received), Denominator::FeedbackReceived)
        }
        KpiId::CancelRate => {
            let o = inputs.orders.as_ref().ok_or(Note::NoOrdersReport { market: scope.market() })?;
            ratio(Decimal::from(o.seller_cancelled), Decimal::from(o.placed), Denominator::OrdersPlaced)
        }
        KpiId::ConversionRate => {
            let t = inputs.traffic.as_ref().ok_or(Note::NoTrafficReport { market: scope.market() })?;
            let ordered = match terms.conversion_basis {
                ConversionBasis::Units => t.units_ordered,
                ConversionBasis::OrderItems => t.order_items,
            };
            ratio(Decimal::from(ordered), Decimal::from(t.sessions), Denominator::Sessions)
        }
        KpiId::InventoryTurnoverDays => {
            // Average sellable units on hand ÷ average units shipped per
            // day, both over the same days: the days cancel.
            let i = inputs.inventory.as_ref().ok_or(Note::NoInventoryReport { market: scope.market() })?;
            ratio(Decimal::from(i.on_hand_unit_days), Decimal::from(i.shipped), Denominator::ShippedFromStock)
        }
        KpiId::DisputeRate => {
            let s = sales?;
            ratio(Decimal::from(s.disputed_orders), Decimal::from(s.orders), Denominator::Orders)
        }
        KpiId::LateShipmentRate => Err(Note::NeedsOrdersReport),
        KpiId::AdSpend => ads.map(|a| a.spend),
        KpiId::Acos => {
            let a = ads?;
            ratio(a.spend, a.sales, Denominator::AdSales)
        }
        KpiId::Roas => {
            let a = ads?;
            ratio(a.sales, a.spend, Denominator::AdSpend)
        }
        KpiId::Tacos => {
            let a = ads?;
            ratio(a.spend, gmv?, Denominator::Gmv)
        }
        KpiId::PlatformFees => sales.map(|s| s.platform_fees),
        KpiId::NetProceeds => sales.map(|s| s.net_proceeds),
    }
}

/// The contract's target for `id` in `scope`. A seller on a single market
/// whose currency is the fee currency has overall figures equal to that
/// market's, so a target set for the market also applies overall.
fn find_target(contract: &Contract, id: KpiId, scope: Scope) -> Option<&Target> {
    let targets = &contract.kpi.targets;
    let exact = targets.iter().find(|t| t.kpi == id && t.market == scope.market());
    match (exact, scope, contract.contract.markets.as_slice()) {
        (None, Scope::All, [only]) if contract.currency(*only) == contract.fees.currency => {
            targets.iter().find(|t| t.kpi == id && t.market == Some(*only))
        }
        _ => exact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::CompareOp;

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
            platform_fees: d("30000.00"),
            net_proceeds: d("150000.00"),
        }
    }

    fn run(c: &Contract, amazon: MarketFigures) -> Vec<Kpi> {
        let figures = BTreeMap::from([(Market::AMAZON_US, amazon)]);
        compute(c, &figures, &|_, v| Ok::<_, String>(v * d("7.1"))).unwrap()
    }

    fn get(kpis: &[Kpi], id: KpiId, scope: Scope) -> Kpi {
        kpis.iter().find(|k| k.id == id && k.market == scope).unwrap().clone()
    }

    #[test]
    fn return_rate_is_returned_units_over_shipped_units_once_a_returns_report_is_given() {
        let returns = Some(ReturnFigures { units: 39, orders: 37 });
        let k = run(&contract(), MarketFigures { sales: Some(sales()), returns, ..MarketFigures::default() });
        let amazon = get(&k, KpiId::ReturnRate, Scope::Market(Market::AMAZON_US));
        assert_eq!(amazon.value, Some(d("0.03")), "39 returned of 1300 shipped");
        assert_eq!(amazon.covers, [Market::AMAZON_US]);
        let overall = get(&k, KpiId::ReturnRate, Scope::All);
        assert_eq!(overall.value, Some(d("0.03")));
    }

    #[test]
    fn without_a_returns_report_the_return_rate_has_no_value_and_says_which_report_is_missing() {
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        let amazon = get(&k, KpiId::ReturnRate, Scope::Market(Market::AMAZON_US));
        assert_eq!(
            (amazon.value, amazon.note),
            (None, Some(Note::NoReturnsReport { market: Some(Market::AMAZON_US) }))
        );
        let overall = get(&k, KpiId::ReturnRate, Scope::All);
        assert_eq!((overall.value, overall.note), (None, Some(Note::NoReturnsReport { market: None })));
        // Returned units without the settlement's shipped units: no denominator.
        let returns = Some(ReturnFigures { units: 3, orders: 3 });
        let k = run(&contract(), MarketFigures { returns, ..MarketFigures::default() });
        let amazon = get(&k, KpiId::ReturnRate, Scope::Market(Market::AMAZON_US));
        assert_eq!(amazon.note, Some(Note::NoSalesExport { market: Some(Market::AMAZON_US) }));
    }

    #[test]
    fn negative_feedback_rate_is_feedback_rated_1_or_2_over_feedback_received_and_needs_only_that_report() {
        let feedback = Some(FeedbackFigures { received: 40, negative: 3 });
        let k = run(&contract(), MarketFigures { feedback, ..MarketFigures::default() });
        let amazon = get(&k, KpiId::NegativeFeedbackRate, Scope::Market(Market::AMAZON_US));
        assert_eq!((amazon.value, amazon.unit), (Some(d("0.075")), Unit::Ratio));
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        let amazon = get(&k, KpiId::NegativeFeedbackRate, Scope::Market(Market::AMAZON_US));
        assert_eq!(amazon.note, Some(Note::NoFeedbackReport { market: Some(Market::AMAZON_US) }));
        let feedback = Some(FeedbackFigures { received: 0, negative: 0 });
        let k = run(&contract(), MarketFigures { feedback, ..MarketFigures::default() });
        let amazon = get(&k, KpiId::NegativeFeedbackRate, Scope::Market(Market::AMAZON_US));
        assert_eq!(amazon.note, Some(Note::ZeroDenominator { denominator: Denominator::FeedbackReceived }));
    }

    #[test]
    fn refund_reduces_gmv_when_basis_is_net() {
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        assert_eq!(get(&k, KpiId::Gmv, Scope::Market(Market::AMAZON_US)).value, Some(d("190000.00")));
        let mut c = contract();
        c.kpi.gmv_basis = GmvBasis::Gross;
        let k = run(&c, MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        assert_eq!(get(&k, KpiId::Gmv, Scope::Market(Market::AMAZON_US)).value, Some(d("200000.00")));
    }

    #[test]
    fn shipping_counts_only_when_the_contract_includes_it() {
        let mut c = contract();
        c.kpi.include_shipping = true;
        let k = run(&c, MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        assert_eq!(get(&k, KpiId::Gmv, Scope::Market(Market::AMAZON_US)).value, Some(d("194900.00")));
    }

    #[test]
    fn gmv_target_is_met_and_attainment_is_gmv_over_target() {
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        let gmv = get(&k, KpiId::Gmv, Scope::Market(Market::AMAZON_US));
        assert_eq!(gmv.status, Status::Met);
        assert_eq!(get(&k, KpiId::GmvAttainment, Scope::Market(Market::AMAZON_US)).value, Some(d("1.2667")));
    }

    #[test]
    fn dispute_rate_between_alert_and_limit_is_alert() {
        // 9 / 1000 = 0.009: above the 0.008 alert, within the 0.01 limit.
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        let dispute = get(&k, KpiId::DisputeRate, Scope::All);
        assert_eq!(dispute.value, Some(d("0.0090")));
        assert_eq!(dispute.status, Status::Alert);
    }

    #[test]
    fn missing_input_is_no_data_with_a_reason_never_zero() {
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        let roas = get(&k, KpiId::Roas, Scope::Market(Market::AMAZON_US));
        assert_eq!(roas.value, None);
        assert_eq!(roas.status, Status::NoData);
        assert_eq!(roas.note, Some(Note::NoAdsReport { market: Some(Market::AMAZON_US) }));
        let ml = get(&k, KpiId::Gmv, Scope::Market(Market::MERCADOLIVRE_BR));
        assert_eq!(ml.status, Status::NoData);
        let cancel = get(&k, KpiId::CancelRate, Scope::Market(Market::AMAZON_US));
        assert_eq!(cancel.note, Some(Note::NoOrdersReport { market: Some(Market::AMAZON_US) }));
    }

    #[test]
    fn overall_money_is_converted_into_the_fee_currency() {
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        let all = get(&k, KpiId::Gmv, Scope::All);
        assert_eq!(all.value, Some(d("1349000.00")));
        assert_eq!(all.unit, Unit::Money(Currency::Cny));
        assert_eq!(
            all.note,
            Some(Note::WithoutDataFrom { covers: vec![Market::AMAZON_US], markets: vec![Market::MERCADOLIVRE_BR] })
        );
        assert_eq!(all.covers, vec![Market::AMAZON_US]);
    }

    #[test]
    fn roas_and_acos_are_reciprocal_views_of_the_ads_report() {
        let ads = AdFigures { spend: d("1000.00"), sales: d("3120.00") };
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: Some(ads), ..MarketFigures::default() });
        let roas = get(&k, KpiId::Roas, Scope::All);
        assert_eq!(roas.value, Some(d("3.12")));
        assert_eq!(roas.status, Status::Met);
        assert_eq!(get(&k, KpiId::Acos, Scope::Market(Market::AMAZON_US)).value, Some(d("0.3205")));
        assert_eq!(get(&k, KpiId::Tacos, Scope::Market(Market::AMAZON_US)).value, Some(d("0.0053")));
    }

    #[test]
    fn a_single_market_target_also_applies_overall_in_the_same_currency() {
        let mut c = contract();
        c.contract.markets = vec![Market::AMAZON_US];
        c.fees.currency = Currency::Usd;
        let figures = BTreeMap::from([(
            Market::AMAZON_US,
            MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() },
        )]);
        let k = compute(&c, &figures, &|_, v| Ok::<_, String>(v)).unwrap();
        let all = get(&k, KpiId::GmvAttainment, Scope::All);
        assert_eq!(all.value, get(&k, KpiId::GmvAttainment, Scope::Market(Market::AMAZON_US)).value);
        assert_eq!(get(&k, KpiId::Gmv, Scope::All).status, Status::Met);
        // With two markets the overall figure mixes them: no fallback.
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        assert_eq!(get(&k, KpiId::GmvAttainment, Scope::All).status, Status::NoData);
    }

    #[test]
    fn bounds_classify_met_alert_missed() {
        let max = Bound::Max { value: d("0.01"), alert: Some(d("0.008")) };
        assert_eq!(max.status(d("0.005")), Status::Met);
        assert_eq!(max.status(d("0.009")), Status::Alert);
        assert_eq!(max.status(d("0.008")), Status::Alert, "at the alert threshold");
        assert_eq!(max.status(d("0.0079")), Status::Met);
        assert_eq!(max.status(d("0.01")), Status::Alert);
        assert_eq!(max.status(d("0.011")), Status::Missed);
        let min = Bound::Min { value: d("2.5"), alert: None };
        assert_eq!(min.status(d("2.5")), Status::Met);
        assert_eq!(min.status(d("2.49")), Status::Missed);
    }

    fn run_both(c: &Contract, amazon: MarketFigures, ml: MarketFigures) -> Vec<Kpi> {
        let figures = BTreeMap::from([(Market::AMAZON_US, amazon), (Market::MERCADOLIVRE_BR, ml)]);
        // 1 USD = 7 CNY, 1 BRL = 1.3 CNY.
        compute(c, &figures, &|m, v| {
            Ok::<_, String>(
                RoundingMode::HalfUp
                    .round_money(v * if m == Market::AMAZON_US { d("7") } else { d("1.3") }, Currency::Cny),
            )
        })
        .unwrap()
    }

    /// Mercado Livre's orders: 2 of 100 orders cancelled by the seller.
    fn ml_orders() -> Option<OrderFigures> {
        Some(OrderFigures { placed: 100, seller_cancelled: 2, cancelled: 2 })
    }

    /// Mercado Livre sales of those orders.
    fn ml_sales() -> SalesFigures {
        SalesFigures {
            gross_principal: d("50000.00"),
            refunded_principal: d("1000.00"),
            orders: 98,
            units: 120,
            refunded_orders: 3,
            disputed_orders: 1,
            platform_fees: d("6000.00"),
            net_proceeds: d("40000.00"),
            ..SalesFigures::default()
        }
    }

    #[test]
    fn overall_cancel_rate_covers_only_the_markets_that_tell_cancellations() {
        // Amazon's 1000 settled orders without an All Orders report say
        // nothing about cancellations: they stay out of the denominator (it
        // was 2 / 1100 before, printed as 0.18 %).
        let k = run_both(
            &contract(),
            MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() },
            MarketFigures { sales: Some(ml_sales()), orders: ml_orders(), ..MarketFigures::default() },
        );
        let cancel = get(&k, KpiId::CancelRate, Scope::All);
        assert_eq!(cancel.value.map(|v| v.to_string()), Some("0.0200".to_string()));
        assert_eq!(cancel.covers, vec![Market::MERCADOLIVRE_BR]);
        assert_eq!(
            cancel.note,
            Some(Note::WithoutDataFrom { covers: vec![Market::MERCADOLIVRE_BR], markets: vec![Market::AMAZON_US] })
        );
        // Orders cover both markets and say nothing is left out.
        let orders = get(&k, KpiId::Orders, Scope::All);
        assert_eq!(orders.value, Some(d("1098")));
        assert_eq!(orders.covers, vec![Market::AMAZON_US, Market::MERCADOLIVRE_BR]);
        assert_eq!(orders.note, None);
    }

    #[test]
    fn overall_tacos_puts_ad_spend_against_the_gmv_of_the_same_markets_only() {
        let ads = AdFigures { spend: d("1000.00"), sales: d("3120.00") };
        let k = run_both(
            &contract(),
            MarketFigures { sales: Some(sales()), ads: Some(ads), ..MarketFigures::default() },
            MarketFigures { sales: Some(ml_sales()), ads: None, ..MarketFigures::default() },
        );
        let tacos = get(&k, KpiId::Tacos, Scope::All);
        // 7,000.00 CNY of spend over Amazon's 190,000.00 USD × 7 of GMV, not
        // over Amazon + Mercado Livre GMV.
        assert_eq!(tacos.value, Some(printed_ratio(d("7000.00") / d("1330000.00"), &[])));
        assert_eq!(tacos.value.map(|v| v.to_string()), Some("0.0053".to_string()));
        assert_eq!(tacos.covers, vec![Market::AMAZON_US]);
        assert_eq!(get(&k, KpiId::Gmv, Scope::All).covers, vec![Market::AMAZON_US, Market::MERCADOLIVRE_BR]);
        assert_eq!(get(&k, KpiId::Roas, Scope::All).covers, vec![Market::AMAZON_US]);
    }

    #[test]
    fn an_overall_ratio_no_market_has_both_sides_of_is_no_data_saying_why() {
        let ads = AdFigures { spend: d("1000.00"), sales: d("3120.00") };
        let k = run_both(
            &contract(),
            MarketFigures { sales: None, ads: Some(ads), ..MarketFigures::default() },
            MarketFigures { sales: Some(ml_sales()), ads: None, ..MarketFigures::default() },
        );
        let tacos = get(&k, KpiId::Tacos, Scope::All);
        assert_eq!((tacos.value, tacos.status), (None, Status::NoData));
        assert_eq!(tacos.note, Some(Note::NoMarketWithBoth));
        assert!(tacos.covers.is_empty());
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: None, ..MarketFigures::default() });
        assert_eq!(get(&k, KpiId::CancelRate, Scope::All).note, Some(Note::NoOrdersReport { market: None }));
        assert_eq!(get(&k, KpiId::Roas, Scope::All).note, Some(Note::NoAdsReport { market: None }));
    }

    #[test]
    fn roas_just_below_the_bonus_threshold_is_missed_and_prints_the_digits_that_show_it() {
        // 49,999.00 / 20,000.00 = 2.49995: rounded to four places it would
        // read 2.5000 next to "missed" and a ROAS ≥ 2.5 bonus not applied.
        let ads = AdFigures { spend: d("20000.00"), sales: d("49999.00") };
        let k = run(&contract(), MarketFigures { sales: Some(sales()), ads: Some(ads), ..MarketFigures::default() });
        let roas = get(&k, KpiId::Roas, Scope::All);
        assert_eq!(roas.status, Status::Missed);
        assert_eq!(roas.value.map(|v| v.to_string()), Some("2.49995".to_string()));
        // The market's own ROAS has no target or rule: four places.
        assert_eq!(
            get(&k, KpiId::Roas, Scope::Market(Market::AMAZON_US)).value.map(|v| v.to_string()),
            Some("2.5000".to_string())
        );
    }

    #[test]
    fn a_ratio_exactly_at_its_threshold_prints_as_the_threshold() {
        // 10 disputes in 1000 orders: exactly the 0.01 limit, which is met
        // (within the maximum) but past the 0.008 alert.
        let s = SalesFigures { disputed_orders: 10, ..sales() };
        let k = run(&contract(), MarketFigures { sales: Some(s), ads: None, ..MarketFigures::default() });
        let dispute = get(&k, KpiId::DisputeRate, Scope::All);
        assert_eq!(dispute.value.map(|v| v.to_string()), Some("0.0100".to_string()));
        assert_eq!(dispute.status, Status::Alert);
    }

    #[test]
    fn ratios_print_four_places_at_least_and_zero_without_sign() {
        assert_eq!(printed_ratio(d("1") / d("3"), &[]).to_string(), "0.3333");
        assert_eq!(printed_ratio(Decimal::ZERO, &[]).to_string(), "0.0000");
        assert_eq!(printed_ratio(-d("0.00001"), &[]).to_string(), "0.0000");
        assert_eq!(printed_ratio(d("0.0249996"), &[d("0.025")]).to_string(), "0.0249996");
        assert_eq!(printed_ratio(d("0.02500001"), &[d("0.025"), d("0.02")]).to_string(), "0.02500001");
    }

    proptest::proptest! {
        #[test]
        fn prop_the_printed_ratio_compares_with_every_threshold_as_the_exact_one_does(
            numerator in 0i64..=10_000_000, denominator in 1i64..=10_000_000,
            thresholds in proptest::collection::vec(0i64..=100_000, 0..4), scale in 0u32..=6,
        ) {
            let exact = Decimal::from(numerator) / Decimal::from(denominator);
            let thresholds: Vec<Decimal> = thresholds.into_iter().map(|t| Decimal::new(t, scale)).collect();
            let printed = printed_ratio(exact, &thresholds);
            for t in &thresholds {
                proptest::prop_assert_eq!(printed.cmp(t), exact.cmp(t), "{} vs {} at {}", printed, exact, t);
                for op in [CompareOp::Ge, CompareOp::Gt, CompareOp::Le, CompareOp::Lt] {
                    proptest::prop_assert_eq!(op.holds(printed, *t), op.holds(exact, *t));
                }
            }
            proptest::prop_assert!(printed.scale() >= RATIO_PRINT_DP);
            proptest::prop_assert!((printed - exact).abs() <= Decimal::new(5, RATIO_PRINT_DP + 1));
            if thresholds.is_empty() {
                proptest::prop_assert_eq!(printed, RoundingMode::HalfUp.round_dp(exact, RATIO_PRINT_DP));
            }
        }
    }

    #[test]
    fn the_terms_of_a_statements_definition_keys_are_the_terms_they_were_made_with() {
        for gmv_basis in [GmvBasis::Gross, GmvBasis::NetOfRefunds] {
            for refund_basis in [RefundBasis::Value, RefundBasis::Count] {
                for include_shipping in [false, true] {
                    for conversion_basis in [ConversionBasis::Units, ConversionBasis::OrderItems] {
                        let terms = KpiTerms {
                            gmv_basis,
                            refund_basis,
                            include_shipping,
                            conversion_basis,
                            ..KpiTerms::default()
                        };
                        let keys: Vec<String> = KpiId::ALL.iter().map(|&id| definition_key(id, &terms)).collect();
                        let read = terms_of_keys(keys.iter().map(String::as_str));
                        assert_eq!(
                            (read.gmv_basis, read.refund_basis, read.include_shipping, read.conversion_basis),
                            (gmv_basis, refund_basis, include_shipping, conversion_basis),
                            "{keys:?}"
                        );
                    }
                }
            }
        }
    }

    /// A composition's value over one market's figures; `None` where a
    /// field's export is missing or a denominator is zero.
    fn value_of(c: &Composition, f: &MarketFigures, target: Option<Decimal>) -> Option<Decimal> {
        let sum = |terms: &[Term]| -> Option<Decimal> {
            terms.iter().try_fold(Decimal::ZERO, |acc, (field, sign)| {
                let v = f.field(field)?;
                Some(if *sign < 0 { acc - v } else { acc + v })
            })
        };
        match c {
            Composition::Sum(t) => sum(t),
            Composition::Ratio { numerator, denominator } => {
                let d = sum(denominator)?;
                if d.is_zero() { None } else { sum(numerator)?.checked_div(d) }
            }
            Composition::OverTarget(t) => sum(t)?.checked_div(target?),
            Composition::NotComputed => None,
        }
    }

    fn figures() -> impl proptest::strategy::Strategy<Value = MarketFigures> {
        use proptest::prelude::*;
        let money = || (-5_000_000i64..50_000_000).prop_map(|c| Decimal::new(c, 2));
        let count = || 0i64..5_000;
        let sales = (money(), money(), money(), money(), count(), count(), count(), count(), money(), money())
            .prop_map(
                |(gp, gs, rp, rs, orders, units, refunded_orders, disputed_orders, platform_fees, net_proceeds)| {
                    SalesFigures {
                        gross_principal: gp,
                        gross_shipping: gs,
                        refunded_principal: rp,
                        refunded_shipping: rs,
                        orders,
                        units,
                        refunded_orders,
                        disputed_orders,
                        platform_fees,
                        net_proceeds,
                    }
                },
            );
        (
            proptest::option::of(sales),
            proptest::option::of((money(), money()).prop_map(|(spend, sales)| AdFigures { spend, sales })),
            proptest::option::of((count(), count()).prop_map(|(units, orders)| ReturnFigures { units, orders })),
            proptest::option::of(
                (count(), count()).prop_map(|(received, negative)| FeedbackFigures { received, negative }),
            ),
            proptest::option::of((count(), count(), count()).prop_map(|(placed, seller_cancelled, cancelled)| {
                OrderFigures { placed, seller_cancelled, cancelled }
            })),
            proptest::option::of((count(), count(), count()).prop_map(|(sessions, units_ordered, order_items)| {
                TrafficFigures { sessions, units_ordered, order_items }
            })),
            proptest::option::of(
                (count(), count())
                    .prop_map(|(on_hand_unit_days, shipped)| InventoryFigures { on_hand_unit_days, shipped }),
            ),
        )
            .prop_map(|(sales, ads, returns, feedback, orders, traffic, inventory)| MarketFigures {
                sales,
                ads,
                returns,
                feedback,
                orders,
                traffic,
                inventory,
            })
    }

    proptest::proptest! {
        #[test]
        fn every_kpis_composition_makes_what_its_formula_computes(
            f in figures(),
            gmv_net in proptest::bool::ANY,
            refund_count in proptest::bool::ANY,
            include_shipping in proptest::bool::ANY,
            order_items in proptest::bool::ANY,
        ) {
            let mut c = contract();
            c.kpi.gmv_basis = if gmv_net { GmvBasis::NetOfRefunds } else { GmvBasis::Gross };
            c.kpi.refund_basis = if refund_count { RefundBasis::Count } else { RefundBasis::Value };
            c.kpi.include_shipping = include_shipping;
            c.kpi.conversion_basis = if order_items { ConversionBasis::OrderItems } else { ConversionBasis::Units };
            let inputs = Inputs::of(&f);
            let scope = Scope::Market(Market::AMAZON_US);
            for id in KpiId::ALL {
                let target = find_target(&c, KpiId::Gmv, scope).and_then(|t| t.min);
                let composed = value_of(&composition(id, &c.kpi), &f, target);
                match formula(&c, id, scope, &inputs) {
                    Ok(v) => proptest::prop_assert_eq!(composed, Some(v), "{:?}", id),
                    Err(_) => proptest::prop_assert!(composed.is_none() || id == KpiId::GmvAttainment, "{:?}: {:?}", id, composed),
                }
            }
        }
    }
}
