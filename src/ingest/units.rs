//! What each parsed export carries, as units of money with an identity: an
//! Amazon settlement, a Mercado Livre sale, a sponsored-ads row, a
//! pass-through invoice. Two units with the same [`UnitKey`] are the same
//! money; their [`Fingerprint`]s say whether the two copies agree.
//! `crate::dedup` compares them across every file of a seller.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::Location;

/// What makes two units the same money, whichever file carries them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnitKey {
    /// An Amazon settlement, by settlement-id (V1 and V2 layouts alike).
    Settlement(String),
    /// A Mercado Livre sale, by its sale number (N.º de venda).
    Sale(String),
    /// A sponsored-ads row: its dates, campaign, ad group, advertised SKU and
    /// ASIN. `None` means the report has no such column (a coarser report,
    /// which covers every value of it).
    Ad {
        start: NaiveDate,
        end: NaiveDate,
        campaign: String,
        ad_group: Option<String>,
        sku: Option<String>,
        asin: Option<String>,
    },
    /// A pass-through cost, by vendor and invoice number, each compared
    /// without case and with inner spaces collapsed ([`fold`]).
    Invoice { vendor: String, invoice_no: String },
    /// A customer return (FBA customer returns report): its order, SKU,
    /// license plate number (when given) and return timestamp as written.
    Return { order_id: String, sku: String, license_plate: Option<String>, at: String },
    /// A buyer's feedback on an order (seller Feedback report): at most one per order.
    Feedback { order_id: String },
    /// An order item row (All Orders report): its order, SKU and its
    /// occurrence among the file's rows of that order and SKU (1 for the first).
    OrderLine { order_id: String, sku: String, occurrence: usize },
    /// An order of a store's or marketplace's order export (Shopify), by
    /// its market and order name: all its line items.
    Order { market: crate::market::Market, order_id: String },
    /// A payment transaction of a store (Shopify Payments): its time, type
    /// and order as written, and its occurrence among identical ones.
    StoreTransaction { market: crate::market::Market, at: String, kind: String, order_id: String, occurrence: usize },
    /// A day of a traffic report (Business Report by date).
    TrafficDay { date: NaiveDate },
    /// A day of one FNSKU in one disposition (Inventory Ledger summary).
    StockDay { date: NaiveDate, fnsku: String, disposition: String },
    /// A row of a Date Range report: its settlement, and the row as written
    /// (time, type, order, SKU, description) with its occurrence among
    /// identical ones.
    DateRangeRow {
        settlement: String,
        at: String,
        kind: String,
        order_id: String,
        sku: String,
        description: String,
        occurrence: usize,
    },
}

impl UnitKey {
    /// Whether `self` and `other` are different keys whose money overlaps:
    /// ads rows of the same campaign whose date ranges intersect and whose
    /// ad group, SKU and ASIN agree (or one report lacks the column). Only
    /// ads rows can overlap; other keys are equal or disjoint.
    pub fn overlaps(&self, other: &UnitKey) -> bool {
        match (self, other) {
            (
                UnitKey::Ad { start: s1, end: e1, campaign: c1, ad_group: g1, sku: k1, asin: a1 },
                UnitKey::Ad { start: s2, end: e2, campaign: c2, ad_group: g2, sku: k2, asin: a2 },
            ) => {
                let agree = |x: &Option<String>, y: &Option<String>| match (x, y) {
                    (Some(x), Some(y)) => x == y,
                    _ => true,
                };
                self != other && c1 == c2 && s1 <= e2 && s2 <= e1 && agree(g1, g2) && agree(k1, k2) && agree(a1, a2)
            }
            _ => false,
        }
    }

    /// The campaign of an ads row (the only keys that can overlap).
    pub fn campaign(&self) -> Option<&str> {
        match self {
            UnitKey::Ad { campaign, .. } => Some(campaign),
            _ => None,
        }
    }

    /// What several units of this kind are called, e.g. `settlements`.
    pub fn plural(&self) -> &'static str {
        match self {
            UnitKey::Settlement(_) => "settlements",
            UnitKey::Sale(_) => "sales",
            UnitKey::Ad { .. } => "ads rows",
            UnitKey::Invoice { .. } => "invoices",
            UnitKey::Return { .. } => "returns",
            UnitKey::Feedback { .. } => "feedback",
            UnitKey::OrderLine { .. } => "order items",
            UnitKey::Order { .. } => "orders",
            UnitKey::StoreTransaction { .. } => "payment transactions",
            UnitKey::TrafficDay { .. } => "days of traffic",
            UnitKey::StockDay { .. } => "days of stock",
            UnitKey::DateRangeRow { .. } => "transactions",
        }
    }

    /// The unit named for people, for the keys that name it whole: a sale
    /// (`sale 2000009876543210`) and an order item (`order 113-…, SKU`).
    /// `None` for the others, whose parsers name them.
    pub fn label(&self) -> Option<String> {
        match self {
            UnitKey::Sale(id) => Some(format!("sale {id}")),
            UnitKey::OrderLine { order_id, sku, .. } if sku.is_empty() => Some(format!("order {order_id}")),
            UnitKey::OrderLine { order_id, sku, .. } => Some(format!("order {order_id}, {sku}")),
            _ => None,
        }
    }

    /// The first and last day of an ads row.
    pub fn days(&self) -> Option<(NaiveDate, NaiveDate)> {
        match self {
            UnitKey::Ad { start, end, .. } => Some((*start, *end)),
            _ => None,
        }
    }
}

/// An order-independent digest of everything a unit carries besides its key:
/// two copies of a unit agree exactly when their fingerprints are equal.
///
/// Parts are combined by wrapping addition of two 64-bit hashes
/// (foldhash's quality hasher under two fixed seeds), so the order in which a file lists a unit's rows (V1 and V2
/// settlement layouts differ) does not matter, and a part listed twice
/// counts twice. The digest is compared within one run only, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fingerprint {
    parts: u64,
    a: u64,
    b: u64,
}

impl Fingerprint {
    /// Adds one part (a row's fact, a money column, …).
    pub fn add(&mut self, part: impl Hash) {
        let lane = |seed: u64| foldhash::quality::FixedState::with_seed(seed).build_hasher();
        let mut lanes = Lanes { a: lane(1), b: lane(2) };
        part.hash(&mut lanes);
        self.parts += 1;
        self.a = self.a.wrapping_add(lanes.a.finish());
        self.b = self.b.wrapping_add(lanes.b.finish());
    }

    /// The fingerprint of a single part.
    pub fn of(part: impl Hash) -> Fingerprint {
        let mut f = Fingerprint::default();
        f.add(part);
        f
    }
}

/// A decimal hashed by its value, as [`Decimal`]'s own `Hash` is (`1.50`
/// and `1.5` hash alike), for a [`Fingerprint`]'s parts: an amount of at
/// most [`ByValue::SCALE`] decimals (every money column) is hashed as its
/// value in ten-thousandths, read off the mantissa with one multiplication,
/// where `Decimal`'s `Hash` strips trailing zeros by repeated division.
/// Only the other values are normalized. A unit's parts must hash their
/// amounts one way or the other, the same in every file carrying that kind
/// of unit.
#[derive(Debug, Clone, Copy)]
pub struct ByValue(pub Decimal);

impl ByValue {
    /// The decimals below which a value is hashed without normalizing.
    pub const SCALE: u32 = 4;

    /// The value in units of 10^-SCALE when it is a whole number of them.
    fn scaled(d: Decimal) -> Option<i128> {
        let up = Self::SCALE.checked_sub(d.scale())?;
        // A mantissa is below 2^96, so times 10^4 it fits an i128.
        Some(d.mantissa() * 10i128.pow(up))
    }
}

impl Hash for ByValue {
    /// Writes the value as `(mantissa, scale)` at scale [`ByValue::SCALE`]
    /// when it has at most that many decimals, else normalized (a larger
    /// scale): one shape for every value, and one pair for each value.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (mantissa, scale) = match ByValue::scaled(self.0) {
            Some(scaled) => (scaled, ByValue::SCALE),
            None => {
                let normal = self.0.normalize();
                match ByValue::scaled(normal) {
                    Some(scaled) => (scaled, ByValue::SCALE),
                    None => (normal.mantissa(), normal.scale()),
                }
            }
        };
        mantissa.hash(state);
        scale.hash(state);
    }
}

/// A [`Fingerprint`]'s two lanes fed together: each write goes to both, so
/// a part is walked once (a decimal, say, normalized once) and each lane
/// ends as hashing the part alone under its seed would leave it.
struct Lanes<H> {
    a: H,
    b: H,
}

/// Hasher methods of [`Lanes`] that hand their argument to both lanes.
/// The integer writes are forwarded too (the signed ones default to them):
/// left to their defaults they would reach each lane as bytes, which
/// foldhash hashes differently and more slowly.
macro_rules! to_both_lanes {
    ($($method:ident($arg:ty)),* $(,)?) => {
        $(
            fn $method(&mut self, value: $arg) {
                self.a.$method(value);
                self.b.$method(value);
            }
        )*
    };
}

impl<H: Hasher> Hasher for Lanes<H> {
    to_both_lanes!(
        write(&[u8]),
        write_u8(u8),
        write_u16(u16),
        write_u32(u32),
        write_u64(u64),
        write_u128(u128),
        write_usize(usize),
    );

    /// Not read: a fingerprint finishes each lane.
    fn finish(&self) -> u64 {
        self.a.finish()
    }
}

/// One unit of money an export (or the cost ledger) carries, with where it
/// is and which of the export's facts are its own.
///
/// Its label and summary are read only when a duplicate or a conflict is
/// reported, so a parser with a unit per row may leave them to be written
/// then: the label from the key ([`UnitKey::label`]), the summary from its
/// parts ([`Summary::Total`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub key: UnitKey,
    pub fingerprint: Fingerprint,
    /// Where the unit starts: its summary row, its first row.
    pub location: Location,
    /// The header of the column holding the key, as the file writes it
    /// (one string shared by the units of a file).
    pub column: Arc<str>,
    /// The unit named for people, e.g. `settlement 17723285873`; `None`
    /// when [`UnitKey::label`] names it.
    label: Option<String>,
    /// Its money in a few words, e.g. `total-amount 48277.46 USD, 812 detail rows`.
    pub summary: Summary,
    /// Its facts in the export's `lines`, `events`, `ads` and `checks`
    /// (empty ranges when none is dated in the period).
    pub lines: Range<usize>,
    pub events: Range<usize>,
    pub ads: Range<usize>,
    pub checks: Range<usize>,
    /// Data rows of the unit that contributed a fact dated in the period.
    pub rows_in_period: usize,
}

impl Unit {
    /// A unit at `location` named `label`, with no facts yet.
    pub fn new(key: UnitKey, location: Location, column: impl Into<Arc<str>>, label: impl Into<String>) -> Unit {
        let mut unit = Unit::keyed(key, location, column);
        unit.label = Some(label.into());
        unit
    }

    /// A unit at `location` named by its key ([`UnitKey::label`]), with no
    /// facts yet: for the keys that name themselves (a sale, an order item;
    /// any other would be named by its debug form).
    pub fn keyed(key: UnitKey, location: Location, column: impl Into<Arc<str>>) -> Unit {
        Unit {
            key,
            fingerprint: Fingerprint::default(),
            location,
            column: column.into(),
            label: None,
            summary: Summary::default(),
            lines: 0..0,
            events: 0..0,
            ads: 0..0,
            checks: 0..0,
            rows_in_period: 0,
        }
    }

    /// The unit named for people, e.g. `settlement 17723285873`.
    pub fn label(&self) -> Cow<'_, str> {
        match &self.label {
            Some(label) => Cow::Borrowed(label),
            None => Cow::Owned(self.key.label().unwrap_or_else(|| format!("{:?}", self.key))),
        }
    }

    /// Names the unit `label`, whatever its key says.
    pub fn set_label(&mut self, label: impl Into<String>) {
        self.label = Some(label.into());
    }
}

/// A unit's money in a few words, as written when read.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Summary {
    /// None given.
    #[default]
    Empty,
    /// As its parser wrote it.
    Text(String),
    /// `<header> <total>, sold <date>`: a sale's total under its column's
    /// header (shared by a file's units) and its date.
    Total { header: Arc<str>, total: Decimal, sold: NaiveDate },
}

impl From<String> for Summary {
    fn from(text: String) -> Self {
        Summary::Text(text)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Summary::Empty => Ok(()),
            Summary::Text(text) => f.write_str(text),
            Summary::Total { header, total, sold } => write!(f, "{header} {total}, sold {sold}"),
        }
    }
}

/// Text folded for comparing identities: trimmed, inner whitespace
/// collapsed to one space, lower-case (`" INV 12 "` and `"inv  12"` agree).
pub fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, d).unwrap()
    }

    fn ad(start: u32, end: u32, sku: Option<&str>) -> UnitKey {
        UnitKey::Ad {
            start: day(start),
            end: day(end),
            campaign: "C".into(),
            ad_group: Some("G".into()),
            sku: sku.map(str::to_string),
            asin: None,
        }
    }

    #[test]
    fn fingerprints_ignore_part_order_but_not_repetition() {
        let mut ab = Fingerprint::default();
        ab.add(("a", 1));
        ab.add(("b", 2));
        let mut ba = Fingerprint::default();
        ba.add(("b", 2));
        ba.add(("a", 1));
        assert_eq!(ab, ba);
        let mut abb = ab;
        abb.add(("b", 2));
        assert_ne!(ab, abb);
        assert_ne!(Fingerprint::of(("a", 1)), Fingerprint::of(("a", 2)));
    }

    proptest::proptest! {
        /// Two decimals hash alike by value exactly when they are equal,
        /// at any scale: the fast path and the normalized one agree.
        #[test]
        fn a_decimal_by_value_hashes_alike_exactly_when_equal(
            a in -10_000_000_000i64..10_000_000_000, a_scale in 0u32..9,
            b in -10_000_000_000i64..10_000_000_000, b_scale in 0u32..9,
            zeros in 0u32..6,
        ) {
            let hash = |d: Decimal| foldhash::quality::FixedState::with_seed(7).hash_one(ByValue(d));
            let x = Decimal::new(a, a_scale);
            let padded = Decimal::from_i128_with_scale(i128::from(a) * 10i128.pow(zeros), a_scale + zeros);
            proptest::prop_assert_eq!(x, padded);
            proptest::prop_assert_eq!(hash(x), hash(padded), "{} and {}", x, padded);
            let y = Decimal::new(b, b_scale);
            proptest::prop_assert_eq!(hash(x) == hash(y), x == y, "{} and {}", x, y);
        }
    }

    #[test]
    fn a_part_is_hashed_by_value_and_unambiguously() {
        use rust_decimal::Decimal;
        let amount = |text: &str| text.parse::<Decimal>().unwrap();
        assert_eq!(Fingerprint::of(amount("1.50")), Fingerprint::of(amount("1.5")), "the same amount at two scales");
        assert_ne!(Fingerprint::of(amount("1.50")), Fingerprint::of(amount("-1.50")));
        assert_ne!(Fingerprint::of(("ab", "c")), Fingerprint::of(("a", "bc")), "strings end where they end");
        let part = ("113-1", 3u32, amount("-12.5"), day(7));
        let alone = |seed: u64| foldhash::quality::FixedState::with_seed(seed).hash_one(part);
        let f = Fingerprint::of(part);
        assert_eq!((f.a, f.b), (alone(1), alone(2)), "each lane as hashing the part alone under its seed");
    }

    #[test]
    fn ads_rows_overlap_when_dates_intersect_for_the_same_campaign_and_sku() {
        assert!(ad(1, 31, Some("S")).overlaps(&ad(5, 5, Some("S"))));
        assert!(!ad(1, 4, Some("S")).overlaps(&ad(5, 5, Some("S"))), "disjoint dates");
        assert!(!ad(5, 5, Some("S")).overlaps(&ad(5, 5, Some("T"))), "other SKU");
        assert!(ad(5, 5, None).overlaps(&ad(5, 5, Some("T"))), "a report without SKUs covers every SKU");
        assert!(!ad(5, 5, Some("S")).overlaps(&ad(5, 5, Some("S"))), "the same key is a repeat, not an overlap");
        assert!(!UnitKey::Sale("1".into()).overlaps(&UnitKey::Sale("2".into())));
    }

    #[test]
    fn sales_and_order_items_are_named_by_their_key_unless_named_otherwise() {
        let item = |sku: &str| UnitKey::OrderLine { order_id: "113-1".into(), sku: sku.into(), occurrence: 2 };
        let unit = |key| Unit::keyed(key, Location::Line(2), "order-id");
        assert_eq!(unit(UnitKey::Sale("2000009876543210".into())).label(), "sale 2000009876543210");
        assert_eq!(unit(item("")).label(), "order 113-1");
        assert_eq!(unit(item("LAMP-02")).label(), "order 113-1, LAMP-02");
        let mut named = unit(item("LAMP-02"));
        named.set_label("the lamp");
        assert_eq!(named.label(), "the lamp");
        assert_eq!(
            Unit::new(UnitKey::Settlement("7".into()), Location::Line(2), "id", "settlement 7").label(),
            "settlement 7"
        );
    }

    #[test]
    fn a_summary_reads_the_same_written_early_or_late() {
        let total = Summary::Total { header: "Total (BRL)".into(), total: Decimal::new(105938, 2), sold: day(5) };
        assert_eq!(total.to_string(), "Total (BRL) 1059.38, sold 2026-10-05");
        assert_eq!(Summary::from(total.to_string()).to_string(), total.to_string());
        assert_eq!(Summary::default().to_string(), "");
    }

    #[test]
    fn folding_ignores_case_and_spacing() {
        assert_eq!(fold("  INV  2026-10 "), "inv 2026-10");
    }
}
