//! The period's normalized facts, held as polars frames with money in integer
//! minor units (i64), and the per-market aggregates every KPI is derived from.
//! This module and `kpi` are the only places polars is used.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use rust_decimal::Decimal;

use crate::ingest::records::{AdRow, MoneyKind, MoneyLine, OrderEvent, OrderEventKind};
use crate::market::Market;
use crate::money::{from_minor, to_minor};

/// The figures of one market for the period, in the market's currency.
/// A `None` field means no export of that kind was given for the market.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarketFigures {
    pub sales: Option<SalesFigures>,
    pub ads: Option<AdFigures>,
    pub returns: Option<ReturnFigures>,
    pub feedback: Option<FeedbackFigures>,
    pub orders: Option<OrderFigures>,
    pub traffic: Option<TrafficFigures>,
    pub inventory: Option<InventoryFigures>,
}

impl MarketFigures {
    /// The field `group.field` (the names [`make_of`] knows), `None` when
    /// the market has no export of that group's kind or the name is not a
    /// field.
    pub fn field(&self, name: &str) -> Option<Decimal> {
        let n = Decimal::from;
        let (group, field) = name.split_once('.')?;
        match group {
            "sales" => self.sales.as_ref().and_then(|s| match field {
                "gross_principal" => Some(s.gross_principal),
                "gross_shipping" => Some(s.gross_shipping),
                "refunded_principal" => Some(s.refunded_principal),
                "refunded_shipping" => Some(s.refunded_shipping),
                "orders" => Some(n(s.orders)),
                "units" => Some(n(s.units)),
                "refunded_orders" => Some(n(s.refunded_orders)),
                "disputed_orders" => Some(n(s.disputed_orders)),
                "platform_fees" => Some(s.platform_fees),
                "net_proceeds" => Some(s.net_proceeds),
                _ => None,
            }),
            "ads" => self.ads.as_ref().and_then(|a| match field {
                "spend" => Some(a.spend),
                "sales" => Some(a.sales),
                _ => None,
            }),
            "returns" => self.returns.as_ref().and_then(|r| match field {
                "units" => Some(n(r.units)),
                "orders" => Some(n(r.orders)),
                _ => None,
            }),
            "feedback" => self.feedback.as_ref().and_then(|f| match field {
                "received" => Some(n(f.received)),
                "negative" => Some(n(f.negative)),
                _ => None,
            }),
            "orders" => self.orders.as_ref().and_then(|o| match field {
                "placed" => Some(n(o.placed)),
                "seller_cancelled" => Some(n(o.seller_cancelled)),
                "cancelled" => Some(n(o.cancelled)),
                _ => None,
            }),
            "traffic" => self.traffic.as_ref().and_then(|t| match field {
                "sessions" => Some(n(t.sessions)),
                "units_ordered" => Some(n(t.units_ordered)),
                "order_items" => Some(n(t.order_items)),
                _ => None,
            }),
            "inventory" => self.inventory.as_ref().and_then(|i| match field {
                "on_hand_unit_days" => Some(n(i.on_hand_unit_days)),
                "shipped" => Some(n(i.shipped)),
                _ => None,
            }),
            _ => None,
        }
    }
}

/// What the inventory reports say (Amazon's Inventory Ledger), summed over
/// the days of the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InventoryFigures {
    /// Sellable units on hand at the end of each day, summed over the days
    /// (unit-days): their average is this over the number of days.
    pub on_hand_unit_days: i64,
    /// Units shipped to buyers from stock over the days.
    pub shipped: i64,
}

/// What the traffic reports say (Amazon's Business Report by date), summed
/// over the days of the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrafficFigures {
    pub sessions: i64,
    pub units_ordered: i64,
    pub order_items: i64,
}

/// What the sales/settlement exports say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SalesFigures {
    pub gross_principal: Decimal,
    pub gross_shipping: Decimal,
    pub refunded_principal: Decimal,
    pub refunded_shipping: Decimal,
    /// Distinct orders placed and not cancelled.
    pub orders: i64,
    pub units: i64,
    pub refunded_orders: i64,
    pub disputed_orders: i64,
    /// Fees the marketplace retained (fees it gave back netted out), as a
    /// positive amount.
    pub platform_fees: Decimal,
    /// Everything the marketplace paid out for the period's rows.
    pub net_proceeds: Decimal,
}

/// What the orders exports say about orders placed in the period (Amazon's
/// All Orders report; Mercado Livre's Vendas export, which lists cancelled
/// sales beside the others), dated by when the buyer ordered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderFigures {
    /// Distinct orders placed in the period, cancelled or not.
    pub placed: i64,
    /// Of those, cancelled by the seller (see each parser for what the
    /// export can tell about who cancelled).
    pub seller_cancelled: i64,
    /// Of those, cancelled by anyone (seller, buyer or marketplace).
    pub cancelled: i64,
}

/// What the sponsored-ads reports say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdFigures {
    pub spend: Decimal,
    pub sales: Decimal,
}

/// What the returns reports say (Amazon's FBA customer returns report).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReturnFigures {
    /// Units returned, dated by the report's return date.
    pub units: i64,
    /// Distinct orders those units came from.
    pub orders: i64,
}

/// What the seller feedback reports say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedbackFigures {
    /// Feedback received, dated in the period.
    pub received: i64,
    /// Of those, rated 1 or 2 stars.
    pub negative: i64,
}

/// Figures of several markets add field by field (counts only: no currency).
macro_rules! add_assign_fields {
    ($($t:ty { $($f:ident),+ })+) => {$(
        impl std::ops::AddAssign<&$t> for $t {
            fn add_assign(&mut self, other: &$t) {
                $(self.$f += other.$f;)+
            }
        }
    )+};
}

add_assign_fields! {
    ReturnFigures { units, orders }
    FeedbackFigures { received, negative }
    OrderFigures { placed, seller_cancelled, cancelled }
    TrafficFigures { sessions, units_ordered, order_items }
    InventoryFigures { on_hand_unit_days, shipped }
}

/// Which markets an export provides data of: each is told apart from "no
/// rows" (an export of the market with no row in the period still counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Provides {
    /// Sales and money (settlement, Vendas).
    pub sales: Option<Market>,
    /// Sponsored ads.
    pub ads: Option<Market>,
    /// Customer returns.
    pub returns: Option<Market>,
    /// Buyer feedback.
    pub feedback: Option<Market>,
    /// Orders placed, with their cancellations.
    pub orders: Option<Market>,
    /// Sessions and what they ordered.
    pub traffic: Option<Market>,
    /// Stock on hand and shipped from it.
    pub inventory: Option<Market>,
    /// A market whose returns this export should carry but does not (a
    /// Vendas export without its Devoluções block): however many other
    /// exports carry them, the market's returns are incomplete, so unknown.
    pub returns_lacking: Option<Market>,
    /// Payout money that is not the market's sales (Shopify Payments'
    /// fees and adjustments): it adds to the market's figures without
    /// standing for its sales export.
    pub payouts: Option<Market>,
}

impl Provides {
    /// The same export, known to lack the returns of the market it would
    /// provide them for.
    pub fn lacking_returns(self) -> Provides {
        Provides { returns: None, returns_lacking: self.returns.or(self.returns_lacking), ..self }
    }

    /// The market the export is of, whatever it provides.
    pub fn market(&self) -> Option<Market> {
        let stock = self.traffic.or(self.inventory);
        self.sales.or(self.ads).or(self.returns).or(self.feedback).or(self.orders).or(stock).or(self.payouts)
    }
}

/// The facts of one seller's period, ready for aggregation.
#[derive(Debug, Default)]
pub struct Ledger {
    lines: Vec<MoneyLine>,
    events: Vec<OrderEvent>,
    ads: Vec<AdRow>,
    sales_markets: Vec<Market>,
    ad_markets: Vec<Market>,
    return_markets: Vec<Market>,
    feedback_markets: Vec<Market>,
    order_markets: Vec<Market>,
    traffic_markets: Vec<Market>,
    inventory_markets: Vec<Market>,
    returns_lacking: Vec<Market>,
    payout_markets: Vec<Market>,
}

impl Ledger {
    /// Makes room for `lines`, `events` and `ads` more facts, so that adding
    /// the exports that hold them copies each fact once.
    pub fn reserve(&mut self, lines: usize, events: usize, ads: usize) {
        self.lines.reserve(lines);
        self.events.reserve(events);
        self.ads.reserve(ads);
    }

    /// Adds one export's facts; `provides` names the markets whose sales,
    /// ads or returns data this export is (even if it had no rows in the
    /// period, so that "no rows" is told apart from "no data").
    pub fn add(&mut self, lines: Vec<MoneyLine>, events: Vec<OrderEvent>, ads: Vec<AdRow>, provides: Provides) {
        self.lines.extend(lines);
        self.events.extend(events);
        self.ads.extend(ads);
        for (market, list) in [
            (provides.sales, &mut self.sales_markets),
            (provides.ads, &mut self.ad_markets),
            (provides.returns, &mut self.return_markets),
            (provides.feedback, &mut self.feedback_markets),
            (provides.orders, &mut self.order_markets),
            (provides.traffic, &mut self.traffic_markets),
            (provides.inventory, &mut self.inventory_markets),
            (provides.returns_lacking, &mut self.returns_lacking),
            (provides.payouts, &mut self.payout_markets),
        ] {
            if let Some(m) = market
                && !list.contains(&m)
            {
                list.push(m);
            }
        }
    }

    /// Whether some sales export (settlement, Vendas) was given for `market`,
    /// even one without rows in the period.
    pub fn has_sales(&self, market: Market) -> bool {
        self.sales_markets.contains(&market)
    }

    /// Whether a payouts export (Shopify Payments transactions) was given for `market`.
    pub fn has_payouts(&self, market: Market) -> bool {
        self.payout_markets.contains(&market)
    }

    /// Whether some orders export (All Orders, Vendas) was given for `market`.
    pub fn has_orders(&self, market: Market) -> bool {
        self.order_markets.contains(&market)
    }

    /// Whether some traffic report (Business Report) was given for `market`.
    pub fn has_traffic(&self, market: Market) -> bool {
        self.traffic_markets.contains(&market)
    }

    /// Whether some inventory report (Inventory Ledger) was given for `market`.
    pub fn has_inventory(&self, market: Market) -> bool {
        self.inventory_markets.contains(&market)
    }

    /// Whether some returns report was given for `market`, and no export
    /// that should carry the market's returns lacks them.
    pub fn has_returns(&self, market: Market) -> bool {
        self.return_markets.contains(&market) && !self.returns_lacking.contains(&market)
    }

    /// Whether some seller feedback report was given for `market`.
    pub fn has_feedback(&self, market: Market) -> bool {
        self.feedback_markets.contains(&market)
    }

    /// Whether some ads report was given for `market`, even one without
    /// rows in the period.
    pub fn has_ads(&self, market: Market) -> bool {
        self.ad_markets.contains(&market)
    }

    /// Aggregates the facts per market with polars.
    ///
    /// # Errors
    /// A polars error (not expected for well-formed frames), or an amount
    /// with more than 2 decimal places (ingest rounds every amount, so this
    /// would be a bug, reported rather than rounded silently).
    pub fn figures(&self) -> Result<BTreeMap<Market, MarketFigures>, String> {
        outside_rayon(|| self.aggregate())
    }

    fn aggregate(&self) -> Result<BTreeMap<Market, MarketFigures>, String> {
        let mut out: BTreeMap<Market, MarketFigures> = BTreeMap::new();
        let events = event_sums(&self.events).map_err(|e| e.to_string())?;
        let lines = line_sums(&self.lines)?;
        let ads = ad_sums(&self.ads)?;
        for &market in &self.sales_markets {
            let e = |kind: OrderEventKind| events.get(&(market, kind)).cloned().unwrap_or_default();
            let l = |kind: MoneyKind| lines.get(&(market, kind)).copied().unwrap_or(0);
            let placed = e(OrderEventKind::Placed);
            let refunded = e(OrderEventKind::Refunded);
            let net: i64 = lines.iter().filter(|((m, _), _)| *m == market).map(|(_, v)| v).sum();
            out.entry(market).or_default().sales = Some(SalesFigures {
                gross_principal: from_minor(placed.principal),
                gross_shipping: from_minor(placed.shipping),
                refunded_principal: from_minor(refunded.principal),
                refunded_shipping: from_minor(refunded.shipping),
                orders: placed.orders,
                units: placed.units,
                refunded_orders: refunded.orders,
                disputed_orders: e(OrderEventKind::Disputed).orders,
                platform_fees: -from_minor(l(MoneyKind::PlatformFee)),
                net_proceeds: from_minor(net),
            });
        }
        for &market in &self.order_markets {
            let orders = |kind| events.get(&(market, kind)).map_or(0, |e: &EventSum| e.orders);
            out.entry(market).or_default().orders = Some(OrderFigures {
                placed: orders(OrderEventKind::Ordered),
                seller_cancelled: orders(OrderEventKind::CancelledBySeller),
                cancelled: events.cancelled(market),
            });
        }
        for &market in self.return_markets.iter().filter(|m| !self.returns_lacking.contains(m)) {
            let returned = events.get(&(market, OrderEventKind::Returned)).cloned().unwrap_or_default();
            out.entry(market).or_default().returns =
                Some(ReturnFigures { units: returned.units, orders: returned.orders });
        }
        for &market in &self.feedback_markets {
            let count = |kind| events.get(&(market, kind)).map_or(0, |e: &EventSum| e.units);
            out.entry(market).or_default().feedback = Some(FeedbackFigures {
                received: count(OrderEventKind::FeedbackReceived),
                negative: count(OrderEventKind::FeedbackNegative),
            });
        }
        for &market in &self.traffic_markets {
            let count = |kind| events.get(&(market, kind)).map_or(0, |e: &EventSum| e.units);
            out.entry(market).or_default().traffic = Some(TrafficFigures {
                sessions: count(OrderEventKind::Sessions),
                units_ordered: count(OrderEventKind::UnitsOrdered),
                order_items: count(OrderEventKind::OrderItems),
            });
        }
        for &market in &self.inventory_markets {
            let count = |kind| events.get(&(market, kind)).map_or(0, |e: &EventSum| e.units);
            out.entry(market).or_default().inventory = Some(InventoryFigures {
                on_hand_unit_days: count(OrderEventKind::SellableOnHand),
                shipped: count(OrderEventKind::ShippedFromStock),
            });
        }
        for &market in &self.ad_markets {
            let (spend, sales) = ads.get(&market).copied().unwrap_or((0, 0));
            out.entry(market).or_default().ads = Some(AdFigures { spend: from_minor(spend), sales: from_minor(sales) });
        }
        Ok(out)
    }
}

/// The [`MarketFigures`] fields (`group.field`, space-separated) a money
/// line of `kind` adds to in its market: what [`Ledger::figures`] sums it
/// into (when the market has a sales export, which a money line comes from).
pub fn money_line_feeds(kind: MoneyKind) -> &'static str {
    match kind {
        MoneyKind::PlatformFee => "sales.platform_fees sales.net_proceeds",
        MoneyKind::Principal
        | MoneyKind::Shipping
        | MoneyKind::Refund
        | MoneyKind::Promotion
        | MoneyKind::Tax
        | MoneyKind::Advertising
        | MoneyKind::Other => "sales.net_proceeds",
    }
}

/// The [`MarketFigures`] fields an order event of `kind` adds to in its
/// market, as [`Ledger::figures`] sums them: amounts and units are summed,
/// `orders` fields count the distinct order ids of the events naming them.
pub fn event_feeds(kind: OrderEventKind) -> &'static str {
    match kind {
        OrderEventKind::Placed => "sales.gross_principal sales.gross_shipping sales.orders sales.units",
        OrderEventKind::Refunded => "sales.refunded_principal sales.refunded_shipping sales.refunded_orders",
        OrderEventKind::Disputed => "sales.disputed_orders",
        OrderEventKind::Ordered => "orders.placed",
        OrderEventKind::CancelledBySeller => "orders.seller_cancelled orders.cancelled",
        OrderEventKind::CancelledOther => "orders.cancelled",
        OrderEventKind::Returned => "returns.units returns.orders",
        OrderEventKind::FeedbackReceived => "feedback.received",
        OrderEventKind::FeedbackNegative => "feedback.negative",
        OrderEventKind::Sessions => "traffic.sessions",
        OrderEventKind::UnitsOrdered => "traffic.units_ordered",
        OrderEventKind::OrderItems => "traffic.order_items",
        OrderEventKind::SellableOnHand => "inventory.on_hand_unit_days",
        OrderEventKind::ShippedFromStock => "inventory.shipped",
    }
}

/// The [`MarketFigures`] fields a sponsored-ads row adds to in its market.
pub const AD_ROW_FEEDS: &str = "ads.spend ads.sales";

/// How a [`MarketFigures`] field is made of the facts that feed it (see
/// [`money_line_feeds`], [`event_feeds`], [`AD_ROW_FEEDS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Make {
    /// The sum of their amounts (a money line's amount, an event's principal, an ads row's spend).
    Amount,
    /// Minus the sum of their amounts (fees, which the payout lists as negative).
    MinusAmount,
    /// The sum of their shipping (an ads row's attributed sales).
    Shipping,
    /// The sum of their units.
    Units,
    /// The number of distinct references (order ids) they name.
    DistinctReferences,
}

/// How the field `group.field` of [`MarketFigures`] is made, as
/// [`Ledger::figures`] aggregates it; `None` for a name that is not a fed field.
pub fn make_of(field: &str) -> Option<Make> {
    Some(match field {
        "sales.gross_principal" | "sales.refunded_principal" | "sales.net_proceeds" | "ads.spend" => Make::Amount,
        "sales.gross_shipping" | "sales.refunded_shipping" | "ads.sales" => Make::Shipping,
        "sales.platform_fees" => Make::MinusAmount,
        "sales.units"
        | "returns.units"
        | "feedback.received"
        | "feedback.negative"
        | "traffic.sessions"
        | "traffic.units_ordered"
        | "traffic.order_items"
        | "inventory.on_hand_unit_days"
        | "inventory.shipped" => Make::Units,
        "sales.orders"
        | "sales.refunded_orders"
        | "sales.disputed_orders"
        | "orders.placed"
        | "orders.seller_cancelled"
        | "orders.cancelled"
        | "returns.orders" => Make::DistinctReferences,
        _ => return None,
    })
}

/// Runs `f` (which uses polars) so that the calling thread only waits for it.
///
/// Polars runs its work on its own rayon pool. A worker of another rayon
/// pool (the batch's, one seller per task) that calls into it does not just
/// wait: rayon lets it run other tasks of its own pool meanwhile, i.e. start
/// another seller on top of the suspended one, so the sellers in memory at
/// once grow with their number. Called from a rayon worker, `f` therefore
/// runs on a short-lived plain thread, which the worker waits for without
/// taking on other work; elsewhere it runs in place.
fn outside_rayon<T: Send>(f: impl FnOnce() -> Result<T, String> + Send) -> Result<T, String> {
    if rayon::current_thread_index().is_none() {
        return f();
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("kpiseal-ledger".into())
            .spawn_scoped(scope, f)
            .map_err(|e| format!("cannot start the aggregation thread: {e}"))?
            .join()
            .map_err(|_| "the aggregation thread panicked".to_string())?
    })
}

fn minor(amount: Decimal) -> Result<i64, String> {
    to_minor(amount).ok_or_else(|| format!("amount {amount} is not in minor units"))
}

#[derive(Debug, Clone, Default)]
struct EventSum {
    orders: i64,
    units: i64,
    principal: i64,
    shipping: i64,
}

struct EventSums {
    by_kind: BTreeMap<(Market, OrderEventKind), EventSum>,
    /// Distinct orders cancelled by anyone, per market.
    cancelled: BTreeMap<Market, i64>,
}

impl EventSums {
    fn get(&self, key: &(Market, OrderEventKind)) -> Option<&EventSum> {
        self.by_kind.get(key)
    }

    fn cancelled(&self, market: Market) -> i64 {
        self.cancelled.get(&market).copied().unwrap_or(0)
    }
}

/// The events as a frame: market and kind codes ([`Codes`], [`event_kind_code`]), `order` (the order id as a
/// number: equal numbers exactly for equal ids, see [`order_numbers`]),
/// units, and principal and shipping in minor units.
fn event_frame(events: &[OrderEvent], markets: &mut Codes<Market>) -> Result<DataFrame, String> {
    let mut principal = Vec::with_capacity(events.len());
    let mut shipping = Vec::with_capacity(events.len());
    let mut market = Vec::with_capacity(events.len());
    for e in events {
        principal.push(minor(e.principal)?);
        shipping.push(minor(e.shipping)?);
        market.push(markets.code(e.market)?);
    }
    DataFrame::new_infer_height(vec![
        Column::new("market".into(), market),
        Column::new("kind".into(), events.iter().map(|e| event_kind_code(e.kind)).collect::<Vec<_>>()),
        Column::new("order".into(), order_numbers(events)?),
        Column::new("units".into(), events.iter().map(|e| e.units).collect::<Vec<_>>()),
        Column::new("principal".into(), principal),
        Column::new("shipping".into(), shipping),
    ])
    .map_err(|e| e.to_string())
}

/// Each event's order id as a number, the same for equal ids and different
/// for different ones (numbered in order of first appearance): what the
/// frame counts distinct orders by. polars groups numbers without hashing
/// and copying each id's text.
fn order_numbers(events: &[OrderEvent]) -> Result<Vec<u32>, String> {
    let mut numbers: hashbrown::HashMap<&str, u32, foldhash::fast::FixedState> =
        hashbrown::HashMap::with_capacity_and_hasher(events.len() / 2, foldhash::fast::FixedState::default());
    events
        .iter()
        .map(|e| {
            let next = u32::try_from(numbers.len()).map_err(|_| "more than 2^32 distinct order ids".to_string())?;
            Ok(*numbers.entry(e.order_id.as_str()).or_insert(next))
        })
        .collect()
}

/// Small integer codes for the few distinct values of a column (markets),
/// numbered in order of first appearance: polars groups the codes, and
/// the sums are read back by decoding them.
struct Codes<T> {
    values: Vec<T>,
}

impl<T: Copy + PartialEq> Codes<T> {
    fn new() -> Self {
        Codes { values: Vec::new() }
    }

    /// The code of `value`, given it now if it has none.
    fn code(&mut self, value: T) -> Result<u32, String> {
        let index = match self.values.iter().position(|&v| v == value) {
            Some(i) => i,
            None => {
                self.values.push(value);
                self.values.len() - 1
            }
        };
        u32::try_from(index).map_err(|_| "more than 2^32 distinct values in a column".to_string())
    }

    /// The value coded `code` (as read back from a frame).
    fn value(&self, code: i64) -> Result<T, String> {
        usize::try_from(code)
            .ok()
            .and_then(|i| self.values.get(i).copied())
            .ok_or_else(|| format!("no value has code {code}"))
    }
}

/// An order event kind's code in the frame: its place in [`OrderEventKind::ALL`].
fn event_kind_code(kind: OrderEventKind) -> u32 {
    OrderEventKind::ALL.iter().position(|&k| k == kind).and_then(|i| u32::try_from(i).ok()).unwrap_or(u32::MAX)
}

fn event_sums(events: &[OrderEvent]) -> Result<EventSums, String> {
    let mut market_codes = Codes::new();
    let df = event_frame(events, &mut market_codes)?;
    let by_kind = df
        .clone()
        .lazy()
        .group_by([col("market"), col("kind")])
        .agg([
            col("order").n_unique().cast(DataType::Int64).alias("orders"),
            col("units").sum().alias("units"),
            col("principal").sum().alias("principal"),
            col("shipping").sum().alias("shipping"),
        ])
        .collect()
        .map_err(|e| e.to_string())?;
    let mut sums = EventSums { by_kind: BTreeMap::new(), cancelled: BTreeMap::new() };
    let markets = i64_col(&by_kind, "market")?;
    let kinds = i64_col(&by_kind, "kind")?;
    let [orders, units, principal, shipping] =
        ["orders", "units", "principal", "shipping"].map(|n| i64_col(&by_kind, n));
    let (orders, units, principal, shipping) = (orders?, units?, principal?, shipping?);
    let kind_codes = Codes { values: OrderEventKind::ALL.to_vec() };
    for i in 0..by_kind.height() {
        let (market, kind) = (market_codes.value(markets[i])?, kind_codes.value(kinds[i])?);
        sums.by_kind.insert(
            (market, kind),
            EventSum { orders: orders[i], units: units[i], principal: principal[i], shipping: shipping[i] },
        );
    }
    let cancelled = df
        .lazy()
        .filter(
            col("kind")
                .eq(lit(event_kind_code(OrderEventKind::CancelledBySeller)))
                .or(col("kind").eq(lit(event_kind_code(OrderEventKind::CancelledOther)))),
        )
        .group_by([col("market")])
        .agg([col("order").n_unique().cast(DataType::Int64).alias("orders")])
        .collect()
        .map_err(|e| e.to_string())?;
    let markets = i64_col(&cancelled, "market")?;
    let orders = i64_col(&cancelled, "orders")?;
    for (m, n) in markets.into_iter().zip(orders) {
        sums.cancelled.insert(market_codes.value(m)?, n);
    }
    Ok(sums)
}

/// The money lines' amounts (minor units) summed per market and kind.
fn line_sums(lines: &[MoneyLine]) -> Result<HashMap<(Market, MoneyKind), i64>, String> {
    let (mut market_codes, mut kind_codes) = (Codes::new(), Codes::new());
    let (mut market, mut kind, mut amounts) =
        (Vec::with_capacity(lines.len()), Vec::with_capacity(lines.len()), Vec::with_capacity(lines.len()));
    for l in lines {
        market.push(market_codes.code(l.market)?);
        kind.push(kind_codes.code(l.kind)?);
        amounts.push(minor(l.amount)?);
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new("market".into(), market),
        Column::new("kind".into(), kind),
        Column::new("amount".into(), amounts),
    ])
    .map_err(|e| e.to_string())?;
    let sums = df
        .lazy()
        .group_by([col("market"), col("kind")])
        .agg([col("amount").sum()])
        .collect()
        .map_err(|e| e.to_string())?;
    let markets = i64_col(&sums, "market")?;
    let kinds = i64_col(&sums, "kind")?;
    let amounts = i64_col(&sums, "amount")?;
    let mut out = HashMap::with_capacity(amounts.len());
    for ((m, k), amount) in markets.into_iter().zip(kinds).zip(amounts) {
        out.insert((market_codes.value(m)?, kind_codes.value(k)?), amount);
    }
    Ok(out)
}

/// The ads rows' spend and sales (minor units) summed per market.
fn ad_sums(ads: &[AdRow]) -> Result<BTreeMap<Market, (i64, i64)>, String> {
    let mut market_codes = Codes::new();
    let mut market = Vec::with_capacity(ads.len());
    let mut spend = Vec::with_capacity(ads.len());
    let mut sales = Vec::with_capacity(ads.len());
    for a in ads {
        market.push(market_codes.code(a.market)?);
        spend.push(minor(a.spend)?);
        sales.push(minor(a.sales)?);
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new("market".into(), market),
        Column::new("spend".into(), spend),
        Column::new("sales".into(), sales),
    ])
    .map_err(|e| e.to_string())?;
    let sums = df
        .lazy()
        .group_by([col("market")])
        .agg([col("spend").sum(), col("sales").sum()])
        .collect()
        .map_err(|e| e.to_string())?;
    let markets = i64_col(&sums, "market")?;
    let spend = i64_col(&sums, "spend")?;
    let sales = i64_col(&sums, "sales")?;
    let mut out = BTreeMap::new();
    for (m, sums) in markets.into_iter().zip(spend.into_iter().zip(sales)) {
        out.insert(market_codes.value(m)?, sums);
    }
    Ok(out)
}

fn i64_col(df: &DataFrame, name: &str) -> Result<Vec<i64>, String> {
    let c = df.column(name).map_err(|e| e.to_string())?;
    let c = c.cast(&DataType::Int64).map_err(|e| e.to_string())?;
    let ca = c.i64().map_err(|e| e.to_string())?;
    Ok(ca.iter().map(|v| v.unwrap_or(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_a_fact_can_feed_has_a_way_to_be_made() {
        use crate::ingest::records::{MoneyKind, OrderEventKind};
        let money = [MoneyKind::Principal, MoneyKind::PlatformFee, MoneyKind::Other].map(money_line_feeds);
        let events = OrderEventKind::ALL.map(event_feeds);
        for feeds in money.iter().chain(&events).chain([&AD_ROW_FEEDS]) {
            for field in feeds.split(' ') {
                assert!(make_of(field).is_some(), "{field}");
            }
        }
    }

    #[test]
    fn orders_are_counted_by_their_id_text_whichever_file_made_the_id() {
        let event = |order_id: &str, kind| OrderEvent {
            market: Market::AMAZON_US,
            line: 2,
            date: chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            order_id: order_id.into(),
            kind,
            units: 1,
            principal: Decimal::ONE,
            shipping: Decimal::ZERO,
        };
        let ids = ["A", "B", "A", "", "B", ""];
        let events: Vec<OrderEvent> = ids.iter().map(|id| event(id, OrderEventKind::Placed)).collect();
        assert_eq!(order_numbers(&events).unwrap(), [0, 1, 0, 2, 1, 2]);
        let mut cancelled = events.clone();
        cancelled.extend(["A", "C"].map(|id| event(id, OrderEventKind::CancelledOther)));
        let sums = event_sums(&cancelled).unwrap();
        assert_eq!(sums.get(&(Market::AMAZON_US, OrderEventKind::Placed)).unwrap().orders, 3, "A, B and the empty id");
        assert_eq!(sums.get(&(Market::AMAZON_US, OrderEventKind::Placed)).unwrap().units, 6);
        assert_eq!(sums.cancelled(Market::AMAZON_US), 2);
    }

    #[test]
    fn codes_number_values_in_order_of_first_appearance_and_read_back_exactly() {
        let mut codes = Codes::new();
        let coded: Vec<u32> =
            [Market::AMAZON_US, Market::MERCADOLIVRE_BR, Market::AMAZON_US].map(|m| codes.code(m).unwrap()).to_vec();
        assert_eq!(coded, [0, 1, 0]);
        assert_eq!(codes.value(1).unwrap(), Market::MERCADOLIVRE_BR);
        assert!(codes.value(2).is_err() && codes.value(-1).is_err(), "a code never given is an error, not skipped");
        for kind in OrderEventKind::ALL {
            assert_eq!(OrderEventKind::ALL[event_kind_code(kind) as usize], kind);
        }
    }
}
