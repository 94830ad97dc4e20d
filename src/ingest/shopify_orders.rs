//! Shopify's orders export (admin › Orders › Export, `orders_export_1.csv`)
//! into a store's sales, refunds, cancellations and orders placed.
//!
//! The layout, its sources and its drift are in
//! `fixtures/layouts/shopify/orders_export.md`. Columns are found by header
//! name (older exports lack the newest columns); those read are `Name`,
//! `Financial Status`, `Paid at`, `Currency`, `Subtotal`, `Shipping`,
//! `Taxes`, `Total`, `Discount Amount`, `Created at`, `Lineitem quantity`,
//! `Lineitem price`, `Cancelled at` and `Refunded Amount` (required), and
//! `Lineitem sku` and `Duties` (when present).
//!
//! **Rows and orders.** The export has one row per line item. An order's
//! rows are adjacent; its first row carries the order's fields
//! (`Financial Status`, money, `Paid at`, …), the others only the item's
//! (`Lineitem …`) and the order `Name`. An order counts once however many
//! items it has. An order whose rows are not adjacent, or whose first row
//! lacks its order fields, is refused naming the line.
//!
//! **What counts, and when** (the store's time zone, from the contract;
//! the export writes each time with the offset of its moment):
//! - every order **placed** in the period (`Created at`) is an order
//!   placed (what the cancel rate divides by); one with `Cancelled at` is
//!   also cancelled **by the seller**: in a Shopify store only the store
//!   (its staff or apps) cancels an order;
//! - an order that is **paid** (`Financial Status` `paid`,
//!   `partially_paid`, `partially_refunded` or `refunded`) and not
//!   cancelled is a sale dated when it was paid (`Paid at`), as an Amazon
//!   sale is dated when it posts: its item principal is the sum of
//!   quantity × unit price of its items (Shopify's gross sales), with the
//!   discount (`Discount Amount`), shipping, taxes and duties as their own
//!   money lines;
//! - an order placed in the period that is not paid (`pending`,
//!   `authorized`, `voided`, `expired`) is no sale: a data note gives
//!   their number and lines;
//! - a **refund** is the order's `Refunded Amount`: the export gives each
//!   order's refunded total, not when it was refunded, so it counts with
//!   its order, as the export stood when downloaded, against the items
//!   first, then shipping (tax refunds cannot be told apart). The items'
//!   part is refunded principal at the items' price before the order's
//!   discount (what was paid for the items, `Subtotal`, stands for their
//!   whole price), so a fully refunded order leaves no GMV, as an Amazon
//!   refund's principal is at item price. A data note says so, naming the
//!   orders.
//!
//! **Reconciliation**, per order: the items less the discount make
//! `Subtotal`, and `Subtotal` + `Shipping` + `Taxes` + `Duties` make
//! `Total` (or `Subtotal` + `Shipping` + `Duties` does, in a store whose
//! prices include tax: its taxes are then inside the item prices, and no
//! tax line is added). The file's check fails naming the first orders
//! that do not add up.

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;

use super::order_export::{self, Found, Grouping};
use super::records::{MoneyKind, OrderEventKind, ReconciliationCheck};
use super::table::{Row, Table};
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport};
use crate::error::InputError;
use crate::money::Currency;
use crate::notes::NoteKind;

const NAME: &[&str] = &["Name"];
const FINANCIAL_STATUS: &[&str] = &["Financial Status"];
const PAID_AT: &[&str] = &["Paid at"];
const CURRENCY: &[&str] = &["Currency"];
const SUBTOTAL: &[&str] = &["Subtotal"];
const SHIPPING: &[&str] = &["Shipping"];
const TAXES: &[&str] = &["Taxes"];
const TOTAL: &[&str] = &["Total"];
const DISCOUNT: &[&str] = &["Discount Amount"];
const CREATED_AT: &[&str] = &["Created at"];
const QUANTITY: &[&str] = &["Lineitem quantity"];
const PRICE: &[&str] = &["Lineitem price"];
const SKU: &[&str] = &["Lineitem sku"];
const CANCELLED_AT: &[&str] = &["Cancelled at"];
const REFUNDED: &[&str] = &["Refunded Amount"];
const DUTIES: &[&str] = &["Duties"];

/// Whether a header row is a Shopify orders export's.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(
        headers,
        &["Name", "Financial Status", "Created at", "Lineitem quantity", "Lineitem price", "Subtotal"],
    )
}

/// The columns read, by position.
struct Columns {
    name: usize,
    financial: usize,
    paid_at: usize,
    currency: usize,
    subtotal: usize,
    shipping: usize,
    taxes: usize,
    total: usize,
    discount: usize,
    created_at: usize,
    quantity: usize,
    price: usize,
    sku: Option<usize>,
    cancelled_at: usize,
    refunded: usize,
    duties: Option<usize>,
}

impl Columns {
    fn find(t: &Table) -> Result<Columns, InputError> {
        Ok(Columns {
            name: t.require(NAME)?,
            financial: t.require(FINANCIAL_STATUS)?,
            paid_at: t.require(PAID_AT)?,
            currency: t.require(CURRENCY)?,
            subtotal: t.require(SUBTOTAL)?,
            shipping: t.require(SHIPPING)?,
            taxes: t.require(TAXES)?,
            total: t.require(TOTAL)?,
            discount: t.require(DISCOUNT)?,
            created_at: t.require(CREATED_AT)?,
            quantity: t.require(QUANTITY)?,
            price: t.require(PRICE)?,
            sku: t.column(SKU),
            cancelled_at: t.require(CANCELLED_AT)?,
            refunded: t.require(REFUNDED)?,
            duties: t.column(DUTIES),
        })
    }
}

/// An order's payment state, from `Financial Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payment {
    /// `paid`, `partially_paid`, `partially_refunded`, `refunded`.
    Paid,
    /// `pending`, `authorized`, `voided`, `expired`.
    Unpaid,
}

impl Payment {
    fn parse(text: &str) -> Option<Payment> {
        match text.trim().to_ascii_lowercase().as_str() {
            "paid" | "partially_paid" | "partially_refunded" | "refunded" => Some(Payment::Paid),
            "pending" | "authorized" | "voided" | "expired" => Some(Payment::Unpaid),
            _ => None,
        }
    }
}

/// One order: its first row's fields and the sum of its items.
struct Order<'t> {
    first: &'t Row,
    rows: Vec<usize>,
    id: String,
    payment: Payment,
    created: NaiveDate,
    paid: Option<NaiveDate>,
    cancelled: bool,
    items: Decimal,
    units: i64,
    subtotal: Decimal,
    shipping: Decimal,
    taxes: Decimal,
    duties: Decimal,
    total: Decimal,
    discount: Decimal,
    refunded: Decimal,
    fingerprint: Fingerprint,
}

/// The calendar date in `ctx.tz` of a Shopify time (`2026-10-05 14:23:05 -0400`).
fn local_date(t: &Table, row: &Row, col: usize, ctx: &IngestContext) -> Result<NaiveDate, InputError> {
    let text = t.text_ref(row, col);
    let at = DateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S %z").map_err(|_| {
        t.error(
            row,
            col,
            format!("{text:?} is not a time as Shopify writes it (expected e.g. 2026-10-05 14:23:05 -0400)"),
        )
    })?;
    Ok(at.with_timezone(&ctx.tz).date_naive())
}

/// A money cell that may be blank (then zero).
fn money_or_zero(t: &Table, row: &Row, col: usize) -> Result<Decimal, InputError> {
    if t.is_blank(row, col) { Ok(Decimal::ZERO) } else { t.money(row, col) }
}

/// Reads the order whose first row is `row`, its order fields checked.
fn first_row<'t>(t: &'t Table, row: &'t Row, c: &Columns, ctx: &IngestContext) -> Result<Order<'t>, InputError> {
    let id = t.required_text(row, c.name, "the order name")?;
    let status = t.text_ref(row, c.financial);
    if status.trim().is_empty() {
        return Err(t.error(
            row,
            c.financial,
            format!(
                "order {id} begins here without its order fields (Financial Status is blank): an order's first row carries them; export the orders again rather than editing the file"
            ),
        ));
    }
    let payment = Payment::parse(&status).ok_or_else(|| {
        t.error(
            row,
            c.financial,
            format!(
                "financial status {status:?}; Shopify writes paid, partially_paid, partially_refunded, refunded, pending, authorized, voided or expired"
            ),
        )
    })?;
    let currency: Currency = t.text_ref(row, c.currency).parse().map_err(|m| t.error(row, c.currency, m))?;
    if currency != ctx.currency {
        return Err(t.error(
            row,
            c.currency,
            format!(
                "order {id} is in {currency}, and {} is a store in {} (contract.currencies): kpiseal neither relabels nor converts a store's orders; export the store whose currency the contract names",
                ctx.market,
                ctx.currency
            ),
        ));
    }
    let created = local_date(t, row, c.created_at, ctx)?;
    let paid = if t.is_blank(row, c.paid_at) { None } else { Some(local_date(t, row, c.paid_at, ctx)?) };
    if payment == Payment::Paid && paid.is_none() {
        return Err(t.error(row, c.paid_at, format!("order {id} is {status} but has no Paid at")));
    }
    let cancelled = !t.is_blank(row, c.cancelled_at);
    if cancelled {
        local_date(t, row, c.cancelled_at, ctx)?;
    }
    let duties = match c.duties {
        Some(col) => money_or_zero(t, row, col)?,
        None => Decimal::ZERO,
    };
    let refunded = money_or_zero(t, row, c.refunded)?;
    if refunded < Decimal::ZERO {
        return Err(t.error(row, c.refunded, "a refunded amount is written positive in Shopify's export"));
    }
    Ok(Order {
        first: row,
        rows: Vec::new(),
        id,
        payment,
        created,
        paid,
        cancelled,
        items: Decimal::ZERO,
        units: 0,
        subtotal: money_or_zero(t, row, c.subtotal)?,
        shipping: money_or_zero(t, row, c.shipping)?,
        taxes: money_or_zero(t, row, c.taxes)?,
        duties,
        total: money_or_zero(t, row, c.total)?,
        discount: money_or_zero(t, row, c.discount)?,
        refunded,
        fingerprint: Fingerprint::default(),
    })
}

/// Adds the line item of `row` to `order`.
fn add_item(t: &Table, row: &Row, c: &Columns, order: &mut Order<'_>) -> Result<(), InputError> {
    let quantity = t.whole(row, c.quantity)?;
    if quantity < 0 {
        return Err(t.error(row, c.quantity, "a line item's quantity is never negative in Shopify's export"));
    }
    let price = t.money(row, c.price)?;
    order.items += price * Decimal::from(quantity);
    order.units += quantity;
    order.rows.push(row.number);
    let sku = c.sku.map(|col| t.text(row, col)).unwrap_or_default();
    order.fingerprint.add((quantity, price, sku));
    Ok(())
}

/// Whether `order` adds up, and whether its prices include its taxes.
fn adds_up(order: &Order<'_>) -> (bool, bool) {
    let items_ok = order.items - order.discount == order.subtotal;
    let extra = order.subtotal + order.shipping + order.duties;
    let exclusive = extra + order.taxes == order.total;
    let inclusive = !exclusive && extra == order.total && !order.taxes.is_zero();
    (items_ok && (exclusive || inclusive), inclusive)
}

/// Reads a Shopify orders export for the store `ctx.market`: per order
/// placed in the period an `Ordered` event (and `CancelledBySeller` when
/// cancelled); per paid, uncancelled order paid in the period a `Placed`
/// event with its principal, units and shipping and its money lines
/// (principal, discount, shipping, tax, duties, refund), and a `Refunded`
/// event when it carries a refund. See the module for the rules.
///
/// **Identity:** each order is a [`Unit`] keyed by store and order name;
/// its fingerprint is its order fields and items as written, so the same
/// order in two overlapping exports counts once, and two exports that
/// disagree on it (one downloaded before a refund) are refused by
/// `crate::dedup`, naming both.
///
/// # Errors
/// An [`InputError`] naming the file, line and column: a required column
/// missing or repeated, a time, amount or quantity that cannot be read, an
/// unknown financial status, an order in another currency than the
/// store's, a paid order without `Paid at`, an order whose first row lacks
/// its order fields, or an order whose rows are not adjacent.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let c = Columns::find(t)?;
    let mut orders: Vec<Order<'_>> = Vec::new();
    let mut grouping = Grouping::default();
    for row in &t.rows {
        if t.is_blank(row, c.name) && t.is_blank(row, c.created_at) {
            continue;
        }
        let name = t.required_text(row, c.name, "the order name")?;
        let continues = orders.last().is_some_and(|o| o.id == name);
        if !continues {
            grouping.begin(t, row, c.name, &name, "Shopify")?;
            let mut order = first_row(t, row, &c, ctx)?;
            order.fingerprint.add((
                t.text_ref(row, c.financial),
                t.text_ref(row, c.paid_at),
                t.text_ref(row, c.cancelled_at),
                order.subtotal,
                order.shipping,
                order.taxes,
                order.total,
                order.refunded,
            ));
            orders.push(order);
        }
        if let Some(order) = orders.last_mut() {
            add_item(t, row, &c, order)?;
        }
    }

    let mut out = ParsedExport::default();
    let mut found = Found::default();
    let mut unbalanced = Vec::new();
    let (mut reported, mut computed) = (Decimal::ZERO, Decimal::ZERO);
    for order in &orders {
        let (ok, tax_inclusive) = adds_up(order);
        reported += order.total;
        computed += order.items - order.discount + order.shipping + order.duties;
        if !tax_inclusive {
            computed += order.taxes;
        }
        if !ok {
            unbalanced.push(format!("{} (line {})", order.id, order.first.number));
        }
        let mut unit = Unit::new(
            UnitKey::Order { market: ctx.market, order_id: order.id.clone() },
            t.location(order.first.number),
            t.headers[c.name].clone(),
            format!("order {}", order.id),
        );
        unit.fingerprint = order.fingerprint;
        unit.summary = format!("total {}, refunded {}", order.total, order.refunded).into();
        let refund = (!order.refunded.is_zero()).then(|| {
            // The items' part is principal at their price before the discount.
            let paid_for_items = order.refunded.min(order.subtotal);
            let principal = if order.subtotal.is_zero() {
                Decimal::ZERO
            } else {
                let gross = paid_for_items * order.items / order.subtotal;
                crate::money::RoundingMode::HalfUp.round_money(gross, ctx.currency)
            };
            (principal, (order.refunded - paid_for_items).min(order.shipping))
        });
        let tax = if tax_inclusive { Decimal::ZERO } else { order.taxes };
        let counted = order_export::Order {
            id: &order.id,
            line: order.first.number,
            rows: &order.rows,
            created: order.created,
            sale: order.paid.filter(|_| order.payment == Payment::Paid && !order.cancelled),
            cancelled: order.cancelled.then_some(OrderEventKind::CancelledBySeller),
            unpaid: order.payment == Payment::Unpaid,
            units: order.units,
            principal: order.items,
            shipping: order.shipping,
            money: vec![
                (MoneyKind::Principal, order.items),
                (MoneyKind::Promotion, -order.discount),
                (MoneyKind::Shipping, order.shipping),
                (MoneyKind::Tax, tax),
                (MoneyKind::Tax, order.duties),
                (MoneyKind::Refund, -order.refunded),
            ],
            returned_units: 0,
            refund,
            unit,
        };
        order_export::count(counted, ctx.market, ctx.period, &mut out, &mut found);
    }
    out.checks.push(ReconciliationCheck::of_items(
        &t.file,
        format!("{} orders: items less discounts, plus shipping, taxes and duties, make Total", orders.len()),
        ctx.currency,
        (reported, computed),
        "orders",
        &unbalanced,
    ));
    found.note(&t.file, |file, orders| NoteKind::StoreRefundsWithTheirOrder { file, orders }, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Format, read_export};
    use crate::market::Market;
    use crate::period::Period;

    /// The export's header as a 2025 download writes it (79 columns; the
    /// header of fixtures/layouts/shopify/orders_export.sample.csv).
    const HEADER: &str = include_str!("../../fixtures/layouts/shopify/orders_export.header.csv");

    fn ctx() -> IngestContext {
        let store = Market::shopify("acme-home").unwrap();
        IngestContext {
            tz: chrono_tz::America::New_York,
            currency: Currency::Usd,
            ..IngestContext::new(Period::new(2026, 10).unwrap(), store)
        }
    }

    /// A row with `cells` at their named columns, blank elsewhere.
    fn row(cells: &[(&str, &str)]) -> String {
        let headers: Vec<&str> = HEADER.trim_end().split(',').collect();
        let mut out = vec![String::new(); headers.len()];
        for (name, value) in cells {
            let i = headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
            out[i] = (*value).to_string();
        }
        out.join(",")
    }

    fn order(name: &str, status: &str, created: &str, paid: &str, money: [&str; 6], items: &[(&str, &str)]) -> String {
        let [subtotal, shipping, taxes, total, discount, refunded] = money;
        let mut rows = vec![row(&[
            ("Name", name),
            ("Financial Status", status),
            ("Paid at", paid),
            ("Currency", "USD"),
            ("Subtotal", subtotal),
            ("Shipping", shipping),
            ("Taxes", taxes),
            ("Total", total),
            ("Discount Amount", discount),
            ("Created at", created),
            ("Lineitem quantity", items[0].0),
            ("Lineitem price", items[0].1),
            ("Refunded Amount", refunded),
        ])];
        for (qty, price) in &items[1..] {
            rows.push(row(&[
                ("Name", name),
                ("Created at", created),
                ("Lineitem quantity", qty),
                ("Lineitem price", price),
            ]));
        }
        rows.join("\n")
    }

    fn export(orders: &[String]) -> String {
        format!("{}\n{}\n", HEADER.trim_end(), orders.join("\n"))
    }

    fn read(text: &str) -> Result<ParsedExport, InputError> {
        let (format, parsed) =
            read_export("exports/2026-10/acme/shopify-acme-home/orders_export_1.csv", text.as_bytes(), &ctx())?;
        assert_eq!(format, Format::ShopifyOrders);
        Ok(parsed)
    }

    #[test]
    fn the_real_sample_order_reads_as_shopify_wrote_it() {
        let text = include_str!("../../fixtures/layouts/shopify/orders_export.sample.csv");
        let ctx = IngestContext {
            tz: chrono_tz::America::Chicago,
            ..IngestContext { period: Period::new(2023, 5).unwrap(), ..ctx() }
        };
        let (format, p) = read_export("orders_export_1.csv", text.as_bytes(), &ctx).unwrap();
        assert_eq!(format, Format::ShopifyOrders);
        assert!(p.checks[0].ok, "{:?}", p.checks[0]);
        let sum: Decimal = p.lines.iter().map(|l| l.amount).sum();
        // 158.00 - 38.45 + 8.37 - 51.16 refunded.
        assert_eq!(sum.to_string(), "76.76");
        assert_eq!((p.rows_total, p.units.len()), (2, 1));
    }

    #[test]
    fn a_two_item_order_counts_once_with_its_items_discount_shipping_and_tax() {
        // The layout's sample order: 99.00 + 59.00 less 38.45 is 119.55; + 8.37 tax is 127.92.
        let text = export(&[order(
            "#1001",
            "paid",
            "2026-10-05 18:44:25 -0400",
            "2026-10-05 18:45:33 -0400",
            ["119.55", "0.00", "8.37", "127.92", "38.45", "0.00"],
            &[("1", "99.00"), ("1", "59.00")],
        )]);
        let p = read(&text).unwrap();
        assert!(p.checks[0].ok, "{:?}", p.checks[0]);
        let lines: Vec<(MoneyKind, String)> = p.lines.iter().map(|l| (l.kind, l.amount.to_string())).collect();
        assert_eq!(
            lines,
            [
                (MoneyKind::Principal, "158.00".into()),
                (MoneyKind::Promotion, "-38.45".into()),
                (MoneyKind::Tax, "8.37".into())
            ]
        );
        let placed: Vec<_> = p.events.iter().filter(|e| e.kind == OrderEventKind::Placed).collect();
        assert_eq!(placed.len(), 1);
        assert_eq!((placed[0].units, placed[0].principal.to_string()), (2, "158.00".to_string()));
        assert_eq!(p.events.iter().filter(|e| e.kind == OrderEventKind::Ordered).count(), 1);
        assert_eq!((p.rows_total, p.rows_in_period, p.units.len()), (2, 2, 1));
    }

    #[test]
    fn orders_are_dated_in_the_stores_zone_and_sales_when_paid() {
        let text = export(&[
            // 31 October 23:30 in New York is 1 November in UTC: October's.
            order(
                "#1",
                "paid",
                "2026-10-31 23:30:00 -0400",
                "2026-10-31 23:31:00 -0400",
                ["10.00", "0.00", "0.00", "10.00", "0.00", "0.00"],
                &[("1", "10.00")],
            ),
            // Placed in September, paid in October: October's sale, September's order.
            order(
                "#2",
                "paid",
                "2026-09-30 22:00:00 -0400",
                "2026-10-01 09:00:00 -0400",
                ["20.00", "0.00", "0.00", "20.00", "0.00", "0.00"],
                &[("2", "10.00")],
            ),
            // Written with another offset, the same instant: 1 November 00:30 in New York.
            order(
                "#3",
                "paid",
                "2026-11-01 04:30:00 +0000",
                "2026-11-01 04:30:00 +0000",
                ["5.00", "0.00", "0.00", "5.00", "0.00", "0.00"],
                &[("1", "5.00")],
            ),
        ]);
        let p = read(&text).unwrap();
        let placed: Vec<&str> =
            p.events.iter().filter(|e| e.kind == OrderEventKind::Placed).map(|e| e.order_id.as_str()).collect();
        assert_eq!(placed, ["#1", "#2"]);
        let ordered: Vec<&str> =
            p.events.iter().filter(|e| e.kind == OrderEventKind::Ordered).map(|e| e.order_id.as_str()).collect();
        assert_eq!(ordered, ["#1"]);
        assert_eq!(p.left_out_by_date, [(4, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())]);
    }

    #[test]
    fn cancelled_orders_count_as_the_sellers_cancellations_and_no_sale() {
        let mut cancelled = order(
            "#7",
            "refunded",
            "2026-10-03 10:00:00 -0400",
            "2026-10-03 10:00:00 -0400",
            ["30.00", "0.00", "0.00", "30.00", "0.00", "30.00"],
            &[("1", "30.00")],
        );
        let headers: Vec<&str> = HEADER.trim_end().split(',').collect();
        let at = headers.iter().position(|h| *h == "Cancelled at").unwrap();
        let mut cells: Vec<String> = cancelled.split(',').map(str::to_string).collect();
        cells[at] = "2026-10-03 11:00:00 -0400".into();
        cancelled = cells.join(",");
        let p = read(&export(&[cancelled])).unwrap();
        let kinds: Vec<OrderEventKind> = p.events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [OrderEventKind::Ordered, OrderEventKind::CancelledBySeller]);
        assert!(p.lines.is_empty());
    }

    #[test]
    fn a_refund_counts_with_its_order_against_the_items_first_and_is_noted() {
        let text = export(&[order(
            "#9",
            "partially_refunded",
            "2026-10-10 10:00:00 -0400",
            "2026-10-10 10:00:00 -0400",
            ["50.00", "6.00", "0.00", "56.00", "0.00", "53.00"],
            &[("1", "50.00")],
        )]);
        let p = read(&text).unwrap();
        let refund = p.events.iter().find(|e| e.kind == OrderEventKind::Refunded).unwrap();
        assert_eq!((refund.principal.to_string(), refund.shipping.to_string()), ("50.00".into(), "3.00".into()));
        assert!(p.lines.iter().any(|l| l.kind == MoneyKind::Refund && l.amount.to_string() == "-53.00"));
        assert!(matches!(&p.notes[0].0, NoteKind::StoreRefundsWithTheirOrder { orders, .. } if orders == "1"));
    }

    #[test]
    fn a_full_refund_of_a_discounted_order_refunds_its_whole_item_price() {
        // The layout's sample order, refunded whole: 127.92 is 119.55 of items (158.00 before the discount) and 8.37 of tax.
        let text = export(&[order(
            "#1001",
            "refunded",
            "2026-10-05 18:44:25 -0400",
            "2026-10-05 18:45:33 -0400",
            ["119.55", "0.00", "8.37", "127.92", "38.45", "127.92"],
            &[("1", "99.00"), ("1", "59.00")],
        )]);
        let p = read(&text).unwrap();
        let refund = p.events.iter().find(|e| e.kind == OrderEventKind::Refunded).unwrap();
        assert_eq!((refund.principal.to_string(), refund.shipping.to_string()), ("158.00".into(), "0.00".into()));
        // A partial refund of 50.00 is that share of the items' whole price: 50 × 158 / 119.55 = 66.08.
        let text = text.replace(",127.92,", ",50.00,").replacen(",50.00,", ",127.92,", 1);
        let p = read(&text).unwrap();
        let refund = p.events.iter().find(|e| e.kind == OrderEventKind::Refunded).unwrap();
        assert_eq!(refund.principal.to_string(), "66.08");
    }

    #[test]
    fn unpaid_orders_are_no_sale_and_are_noted() {
        let text = export(&[order(
            "#5",
            "pending",
            "2026-10-10 10:00:00 -0400",
            "",
            ["10.00", "0.00", "0.00", "10.00", "0.00", "0.00"],
            &[("1", "10.00")],
        )]);
        let p = read(&text).unwrap();
        assert!(p.events.iter().all(|e| e.kind == OrderEventKind::Ordered));
        assert!(matches!(&p.notes[0].0, NoteKind::StoreOrdersUnpaid { orders, .. } if orders == "1"));
    }

    #[test]
    fn a_tax_inclusive_order_adds_up_without_a_tax_line() {
        let text = export(&[order(
            "#4",
            "paid",
            "2026-10-10 10:00:00 -0300",
            "2026-10-10 10:00:00 -0300",
            ["100.00", "10.00", "15.25", "110.00", "0.00", "0.00"],
            &[("1", "100.00")],
        )]);
        let p = read(&text).unwrap();
        assert!(p.checks[0].ok, "{:?}", p.checks[0]);
        assert!(p.lines.iter().all(|l| l.kind != MoneyKind::Tax));
    }

    #[test]
    fn an_order_that_does_not_add_up_fails_the_check_naming_it() {
        let text = export(&[order(
            "#6",
            "paid",
            "2026-10-10 10:00:00 -0400",
            "2026-10-10 10:00:00 -0400",
            ["10.00", "0.00", "0.00", "11.00", "0.00", "0.00"],
            &[("1", "10.00")],
        )]);
        let p = read(&text).unwrap();
        assert!(!p.checks[0].ok);
        assert_eq!(p.checks[0].detail, "orders that do not add up: #6 (line 2)");
    }

    #[test]
    fn bad_orders_are_refused_naming_line_and_column() {
        let one = |status: &str, currency: &str| {
            export(&[order(
                "#1",
                status,
                "2026-10-10 10:00:00 -0400",
                "2026-10-10 10:00:00 -0400",
                ["10.00", "0.00", "0.00", "10.00", "0.00", "0.00"],
                &[("1", "10.00")],
            )
            .replace(",USD,", &format!(",{currency},"))])
        };
        let e = read(&one("paid", "EUR")).unwrap_err().to_string();
        assert!(e.contains(":2: column \"Currency\"") && e.contains("EUR"), "{e}");
        let e = read(&one("paid", "BRL")).unwrap_err().to_string();
        assert!(e.contains("order #1 is in BRL, and shopify:acme-home is a store in USD"), "{e}");
        let e = read(&one("settled", "USD")).unwrap_err().to_string();
        assert!(e.contains("column \"Financial Status\": financial status \"settled\""), "{e}");
        let split = export(&[
            order(
                "#1",
                "paid",
                "2026-10-10 10:00:00 -0400",
                "2026-10-10 10:00:00 -0400",
                ["1.00", "0", "0", "1.00", "0", "0"],
                &[("1", "1.00")],
            ),
            order(
                "#2",
                "paid",
                "2026-10-10 10:00:00 -0400",
                "2026-10-10 10:00:00 -0400",
                ["1.00", "0", "0", "1.00", "0", "0"],
                &[("1", "1.00")],
            ),
            row(&[
                ("Name", "#1"),
                ("Created at", "2026-10-10 10:00:00 -0400"),
                ("Lineitem quantity", "1"),
                ("Lineitem price", "1.00"),
            ]),
        ]);
        let e = read(&split).unwrap_err().to_string();
        assert!(
            e.contains(":4: column \"Name\": order #1 appears again, after other orders (it began at line 2)"),
            "{e}"
        );
        let orphan = export(&[row(&[
            ("Name", "#8"),
            ("Created at", "2026-10-10 10:00:00 -0400"),
            ("Lineitem quantity", "1"),
            ("Lineitem price", "1.00"),
        ])]);
        let e = read(&orphan).unwrap_err().to_string();
        assert!(e.contains(":2: column \"Financial Status\": order #8 begins here without its order fields"), "{e}");
        let e = read(&export(&[order(
            "#1",
            "paid",
            "10/10/2026",
            "10/10/2026",
            ["1.00", "0", "0", "1.00", "0", "0"],
            &[("1", "1.00")],
        )]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("column \"Created at\": \"10/10/2026\" is not a time as Shopify writes it"), "{e}");
    }

    /// One generated order: (items as (quantity, price in cents), discount
    /// in cents, shipping, taxes, status, refunded in cents).
    type Drawn = (Vec<(i64, i64)>, i64, i64, i64, u8, i64);

    fn cents(c: i64) -> String {
        format!("{}.{:02}", c / 100, c % 100)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// However orders are split over item rows, each counts once: the
        /// principal lines are the paid orders' items, every order placed is
        /// counted, cancelled ones as the store's, refunds as written, and
        /// every order adds up.
        #[test]
        fn prop_orders_count_once_whatever_their_rows(
            drawn in proptest::collection::vec(
                (
                    proptest::collection::vec((1i64..4, 1i64..20_000), 1..4),
                    0i64..2_000, 0i64..1_500, 0i64..900, 0u8..4, 0i64..5_000,
                ),
                1..12,
            )
        ) {
            let drawn: Vec<Drawn> = drawn;
            let mut rows = Vec::new();
            let (mut principal, mut placed, mut cancelled, mut refunded) = (0i64, 0usize, 0usize, 0i64);
            for (k, (items, discount, shipping, taxes, status, refund)) in drawn.iter().enumerate() {
                let gross: i64 = items.iter().map(|(q, p)| q * p).sum();
                let discount = (*discount).min(gross);
                let subtotal = gross - discount;
                let total = subtotal + shipping + taxes;
                let refund = (*refund).min(total);
                let (financial, paid, cancel, refund) = match status {
                    0 => ("paid", "2026-10-05 10:00:00 -0400", "", 0),
                    1 => ("partially_refunded", "2026-10-06 10:00:00 -0400", "", refund),
                    2 => ("pending", "", "", 0),
                    _ => ("voided", "", "2026-10-07 09:00:00 -0400", 0),
                };
                if !paid.is_empty() {
                    principal += gross;
                    placed += 1;
                    refunded += refund;
                }
                cancelled += usize::from(!cancel.is_empty());
                let name = format!("#{}", 1001 + k);
                for (i, (q, p)) in items.iter().enumerate() {
                    let mut cells = vec![
                        ("Name", name.clone()),
                        ("Created at", "2026-10-05 09:00:00 -0400".to_string()),
                        ("Lineitem quantity", q.to_string()),
                        ("Lineitem price", cents(*p)),
                    ];
                    if i == 0 {
                        cells.extend([
                            ("Financial Status", financial.to_string()),
                            ("Paid at", paid.to_string()),
                            ("Currency", "USD".to_string()),
                            ("Subtotal", cents(subtotal)),
                            ("Shipping", cents(*shipping)),
                            ("Taxes", cents(*taxes)),
                            ("Total", cents(total)),
                            ("Discount Amount", cents(discount)),
                            ("Cancelled at", cancel.to_string()),
                            ("Refunded Amount", cents(refund)),
                        ]);
                    }
                    let cells: Vec<(&str, &str)> = cells.iter().map(|(n, v)| (*n, v.as_str())).collect();
                    rows.push(row(&cells));
                }
            }
            let p = read(&export(&rows)).unwrap();
            proptest::prop_assert!(p.checks[0].ok, "{:?}", p.checks[0]);
            let sum = |kind| p.lines.iter().filter(|l| l.kind == kind).map(|l| l.amount).sum::<Decimal>();
            proptest::prop_assert_eq!(sum(MoneyKind::Principal), Decimal::new(principal, 2));
            proptest::prop_assert_eq!(sum(MoneyKind::Refund), Decimal::new(-refunded, 2));
            let count = |kind| p.events.iter().filter(|e| e.kind == kind).count();
            proptest::prop_assert_eq!(count(OrderEventKind::Ordered), drawn.len());
            proptest::prop_assert_eq!(count(OrderEventKind::Placed), placed);
            proptest::prop_assert_eq!(count(OrderEventKind::CancelledBySeller), cancelled);
            proptest::prop_assert_eq!(p.units.len(), drawn.len());
        }
    }
}
