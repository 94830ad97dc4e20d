//! The normalized facts every parser produces and every KPI is derived from.
//! Only ingest knows a marketplace's column names; from here on, only these
//! types are seen.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::Market;
use crate::money::Currency;

/// What a payout line is, as far as KPIs and reconciliation care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MoneyKind {
    /// Item price of a sale (Amazon ItemPrice/Principal; ML Receita por produtos).
    Principal,
    /// Shipping charged to the buyer.
    Shipping,
    /// Money returned to buyers (refunds, cancellations).
    Refund,
    /// Promotions, discounts and bonuses.
    Promotion,
    /// Tax collected or withheld by the marketplace.
    Tax,
    /// Fees the marketplace deducted: referral, FBA, storage, tarifa de venda, tarifas de envio.
    PlatformFee,
    /// Advertising cost deducted from the payout.
    Advertising,
    /// Anything else: transfers, reserves, reimbursements, adjustments.
    Other,
}

impl MoneyKind {
    /// The snake_case id statement.json and the ledger's frames use.
    pub fn id(self) -> &'static str {
        match self {
            MoneyKind::Principal => "principal",
            MoneyKind::Shipping => "shipping",
            MoneyKind::Refund => "refund",
            MoneyKind::Promotion => "promotion",
            MoneyKind::Tax => "tax",
            MoneyKind::PlatformFee => "platform_fee",
            MoneyKind::Advertising => "advertising",
            MoneyKind::Other => "other",
        }
    }
}

/// One signed amount of a marketplace payout, in the market's currency, as
/// the marketplace prints it: credits to the seller positive, fees negative.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoneyLine {
    pub market: Market,
    /// The 1-based line (text) or row (XLSX sheet) of its file the line
    /// comes from: where a reader of the file finds it.
    pub line: usize,
    /// The date in the market's time zone.
    pub date: NaiveDate,
    /// Empty for lines not tied to an order.
    pub order_id: OrderId,
    pub kind: MoneyKind,
    /// Rounded to the minor unit.
    pub amount: Decimal,
}

/// An order's id as its export prints it (or an FNSKU, for stock events),
/// shared by the facts of one order: a clone counts a reference, it does
/// not copy the text. Compares, orders, hashes and prints as its text; the
/// empty id (facts not tied to an order) holds no allocation.
#[derive(Clone, Default)]
pub struct OrderId(Option<Arc<str>>);

impl OrderId {
    /// The id as printed; `""` for none.
    #[inline]
    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }
}

impl std::ops::Deref for OrderId {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for OrderId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for OrderId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for OrderId {
    fn from(text: &str) -> Self {
        OrderId((!text.is_empty()).then(|| Arc::from(text)))
    }
}

impl From<String> for OrderId {
    fn from(text: String) -> Self {
        OrderId((!text.is_empty()).then(|| Arc::from(text)))
    }
}

impl From<Cow<'_, str>> for OrderId {
    fn from(text: Cow<'_, str>) -> Self {
        OrderId::from(text.as_ref())
    }
}

impl PartialEq for OrderId {
    fn eq(&self, other: &OrderId) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for OrderId {}

impl PartialEq<str> for OrderId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for OrderId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for OrderId {
    fn partial_cmp(&self, other: &OrderId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderId {
    fn cmp(&self, other: &OrderId) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for OrderId {
    /// As its text hashes, so that maps keyed by `OrderId` can be looked up by `&str`.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Debug for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OrderId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Makes the [`OrderId`]s of one file: an id that equals the one made last
/// is shared rather than copied, since exports list an order's rows one
/// after another (a settlement's six or so per order item, a sale's money
/// columns). Any text gives the id `OrderId::from` would.
#[derive(Debug, Default)]
pub struct OrderIds {
    last: OrderId,
}

impl OrderIds {
    /// The id printed as `text`.
    #[inline]
    pub fn id(&mut self, text: &str) -> OrderId {
        if self.last.as_str() != text {
            self.last = OrderId::from(text);
        }
        self.last.clone()
    }
}

/// What happened to an order, for the count-based KPIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderEventKind {
    /// A sale that counts in GMV (never a cancelled one), dated when the
    /// marketplace counts it (Amazon: when it posts, at shipment).
    Placed,
    /// An order the buyer placed in the period, cancelled or not, dated by
    /// its order date (Amazon All Orders, Mercado Livre Vendas): what the
    /// cancel rate divides by. No units or money.
    Ordered,
    /// Cancelled by the seller before shipment.
    CancelledBySeller,
    /// Cancelled before shipment by the buyer or the marketplace.
    CancelledOther,
    /// Money returned to the buyer after the sale.
    Refunded,
    /// An A-to-z claim, chargeback or ML reclamação/mediação.
    Disputed,
    /// Units the buyer sent back, as a returns report dates them (its
    /// `units`); no money (refunds are [`OrderEventKind::Refunded`]).
    Returned,
    /// Feedback a buyer left on the order (seller Feedback report), one
    /// event per feedback (`units` 1), whatever its rating.
    FeedbackReceived,
    /// Feedback rated 1 or 2 stars: also a `FeedbackReceived`.
    FeedbackNegative,
    /// A day's sessions on the seller's detail pages (Business Report):
    /// no order (`order_id` empty); `units` is the count.
    Sessions,
    /// A day's units ordered (Business Report): no order; `units` is the count.
    UnitsOrdered,
    /// A day's order items (Business Report): no order; `units` is the count.
    OrderItems,
    /// One FNSKU's sellable units on hand at the end of a day (Inventory
    /// Ledger): `order_id` holds the FNSKU; `units` is the count.
    SellableOnHand,
    /// One FNSKU's units shipped to buyers from stock on a day (Inventory
    /// Ledger): `order_id` holds the FNSKU; `units` is the count.
    ShippedFromStock,
}

impl OrderEventKind {
    /// Every kind, in declaration order.
    pub const ALL: [OrderEventKind; 14] = [
        OrderEventKind::Placed,
        OrderEventKind::Ordered,
        OrderEventKind::CancelledBySeller,
        OrderEventKind::CancelledOther,
        OrderEventKind::Refunded,
        OrderEventKind::Disputed,
        OrderEventKind::Returned,
        OrderEventKind::FeedbackReceived,
        OrderEventKind::FeedbackNegative,
        OrderEventKind::Sessions,
        OrderEventKind::UnitsOrdered,
        OrderEventKind::OrderItems,
        OrderEventKind::SellableOnHand,
        OrderEventKind::ShippedFromStock,
    ];

    /// The snake_case id statement.json and the ledger's frames use.
    pub fn id(self) -> &'static str {
        match self {
            OrderEventKind::Placed => "placed",
            OrderEventKind::Ordered => "ordered",
            OrderEventKind::CancelledBySeller => "cancelled_by_seller",
            OrderEventKind::CancelledOther => "cancelled_other",
            OrderEventKind::Refunded => "refunded",
            OrderEventKind::Disputed => "disputed",
            OrderEventKind::Returned => "returned",
            OrderEventKind::FeedbackReceived => "feedback_received",
            OrderEventKind::FeedbackNegative => "feedback_negative",
            OrderEventKind::Sessions => "sessions",
            OrderEventKind::UnitsOrdered => "units_ordered",
            OrderEventKind::OrderItems => "order_items",
            OrderEventKind::SellableOnHand => "sellable_on_hand",
            OrderEventKind::ShippedFromStock => "shipped_from_stock",
        }
    }
}

/// One event of one order. An order may have several events (one `Placed`
/// per item line, a later `Refunded`, …); KPIs count distinct order ids.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderEvent {
    pub market: Market,
    /// The 1-based line or sheet row of its file the event comes from (a
    /// Mercado Livre sale's first line when it spans several).
    pub line: usize,
    pub date: NaiveDate,
    pub order_id: OrderId,
    pub kind: OrderEventKind,
    /// Units sold (`Placed`) or 0.
    pub units: i64,
    /// Item principal sold (`Placed`) or refunded (`Refunded`, positive); 0 otherwise.
    pub principal: Decimal,
    /// Shipping charged (`Placed`) or refunded (`Refunded`, positive); 0 otherwise.
    pub shipping: Decimal,
}

/// One row of a sponsored-ads report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdRow {
    pub market: Market,
    /// The 1-based line or sheet row of its report.
    pub line: usize,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub campaign: String,
    /// Ad Group Name, Advertised SKU and Advertised ASIN; `None` when the
    /// report has no such column.
    pub ad_group: Option<String>,
    pub sku: Option<String>,
    pub asin: Option<String>,
    pub currency: Currency,
    pub spend: Decimal,
    /// Ad-attributed sales in the report's attribution window.
    pub sales: Decimal,
    pub orders: i64,
    pub units: i64,
    pub clicks: i64,
    pub impressions: i64,
    /// 7 or 14: the attribution window of `sales`.
    pub attribution_days: u8,
}

/// Category of a pass-through cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostCategory {
    Advertising,
    Freight,
    CustomsDuty,
    ImportTax,
    Warehousing,
    Certification,
    Other,
}

impl CostCategory {
    /// The id used in the cost ledger and statement.json.
    pub fn id(self) -> &'static str {
        match self {
            CostCategory::Advertising => "advertising",
            CostCategory::Freight => "freight",
            CostCategory::CustomsDuty => "customs_duty",
            CostCategory::ImportTax => "import_tax",
            CostCategory::Warehousing => "warehousing",
            CostCategory::Certification => "certification",
            CostCategory::Other => "other",
        }
    }

    /// Parses a ledger's category cell.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "advertising" => CostCategory::Advertising,
            "freight" => CostCategory::Freight,
            "customs_duty" => CostCategory::CustomsDuty,
            "import_tax" => CostCategory::ImportTax,
            "warehousing" => CostCategory::Warehousing,
            "certification" => CostCategory::Certification,
            "other" => CostCategory::Other,
            _ => return None,
        })
    }
}

/// One cost the provider paid on the seller's behalf.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    /// The 1-based line of the ledger file the row is on.
    pub line: usize,
    pub date: NaiveDate,
    pub category: CostCategory,
    pub vendor: String,
    pub invoice_no: String,
    pub description: String,
    /// Rounded to the minor unit; positive.
    pub amount: Decimal,
    pub currency: Currency,
    pub evidence: Option<String>,
}

/// A balance assertion: the marketplace's own total against the sum of its
/// detail, for one settlement or one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconciliationCheck {
    pub file: String,
    /// What the check covers, e.g. `settlement 11223344556` or `412 rows`.
    pub scope: String,
    pub currency: Currency,
    pub reported: Decimal,
    pub computed: Decimal,
    pub ok: bool,
    /// Where it fails, e.g. the first mismatching rows; empty when ok.
    pub detail: String,
}

impl ReconciliationCheck {
    /// The check of a file made of many `what` (orders, lines) that must
    /// each add up: ok when `failing` is empty, else its detail names the
    /// first five that do not.
    pub fn of_items(
        file: &str,
        scope: String,
        currency: Currency,
        (reported, computed): (Decimal, Decimal),
        what: &str,
        failing: &[String],
    ) -> Self {
        let detail = if failing.is_empty() {
            String::new()
        } else {
            format!("{what} that do not add up: {}", failing.iter().take(5).cloned().collect::<Vec<_>>().join(", "))
        };
        ReconciliationCheck {
            file: file.to_string(),
            scope,
            currency,
            reported,
            computed,
            ok: failing.is_empty(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;

    #[test]
    fn an_order_id_compares_orders_hashes_and_prints_as_its_text() {
        let ids: Vec<OrderId> = ["113-2", "", "113-10"].into_iter().map(OrderId::from).collect();
        let sorted: Vec<&str> = ids.iter().collect::<BTreeSet<_>>().into_iter().map(OrderId::as_str).collect();
        assert_eq!(sorted, ["", "113-10", "113-2"], "ordered as text, the empty id first");
        let set: HashSet<OrderId> = ids.iter().cloned().collect();
        assert!(set.contains("113-10") && set.contains(""), "looked up by &str");
        assert_eq!(ids[0], "113-2");
        assert_eq!(format!("{} {:?}", ids[0], ids[0]), "113-2 \"113-2\"");
        assert_eq!(serde_json::to_string(&ids).unwrap(), r#"["113-2","","113-10"]"#);
    }

    #[test]
    fn the_empty_order_id_is_the_default_and_holds_nothing() {
        assert_eq!(OrderId::from(""), OrderId::default());
        assert_eq!(OrderId::from(String::new()).0, None);
        assert_eq!(OrderId::default().as_str(), "");
    }

    #[test]
    fn order_ids_share_an_id_with_the_one_made_just_before() {
        let mut ids = OrderIds::default();
        let (a, a_again, b, a_later) = (ids.id("A"), ids.id("A"), ids.id("B"), ids.id("A"));
        let shared = |x: &OrderId, y: &OrderId| matches!((&x.0, &y.0), (Some(x), Some(y)) if Arc::ptr_eq(x, y));
        assert!(shared(&a, &a_again), "consecutive rows of one order share the text");
        assert!(!shared(&a, &a_later), "only the last id is remembered");
        assert_eq!((a.as_str(), b.as_str(), a_later.as_str()), ("A", "B", "A"));
        assert_eq!(ids.id(""), OrderId::default());
    }
}
