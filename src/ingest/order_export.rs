//! What the order exports of Shopee and Shopify share: an order spread over
//! adjacent item rows ([`Grouping`]), and the facts one order gives once its
//! parser has read it ([`Order`], [`count`]): an order placed (and
//! cancelled), a sale when paid with its money lines, returned units and a
//! refund, or its rows left out for their date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::ParsedExport;
use super::records::{MoneyKind, MoneyLine, OrderEvent, OrderEventKind, OrderId};
use super::table::{Row, Table};
use super::units::Unit;
use crate::error::InputError;
use crate::market::Market;
use crate::notes::NoteKind;

/// The orders begun so far in an export, to refuse one whose rows are not
/// adjacent (an edited or joined file).
#[derive(Default)]
pub(super) struct Grouping {
    began: BTreeMap<String, usize>,
}

impl Grouping {
    /// Records that order `id` begins at `row`.
    ///
    /// # Errors
    /// An [`InputError`] at `row`, column `col`, when `id` began before, at
    /// an earlier row: `marketplace` lists an order's rows together.
    pub(super) fn begin(
        &mut self,
        t: &Table,
        row: &Row,
        col: usize,
        id: &str,
        marketplace: &str,
    ) -> Result<(), InputError> {
        if let Some(&first) = self.began.get(id) {
            let (line, rows) = if t.sheet.is_some() { ("row", "items") } else { ("line", "rows") };
            return Err(t.error(
                row,
                col,
                format!(
                    "order {id} appears again, after other orders (it began at {line} {first}): {marketplace} lists an order's {rows} together; export the orders again rather than joining files"
                ),
            ));
        }
        self.began.insert(id.to_string(), row.number);
        Ok(())
    }
}

/// One order, as its parser read it from its rows.
pub(super) struct Order<'a> {
    pub id: &'a str,
    /// The line (or sheet row) of its first row.
    pub line: usize,
    /// The lines of all its rows.
    pub rows: &'a [usize],
    /// When it was placed, in the market's zone.
    pub created: NaiveDate,
    /// When it became a sale (paid, not cancelled); `None`: no sale.
    pub sale: Option<NaiveDate>,
    /// Its cancellation, and by whom (`CancelledBySeller` or `CancelledOther`).
    pub cancelled: Option<OrderEventKind>,
    /// Neither paid nor cancelled when the export was downloaded.
    pub unpaid: bool,
    pub units: i64,
    pub principal: Decimal,
    pub shipping: Decimal,
    /// The sale's money lines, in order; zero amounts are left out.
    pub money: Vec<(MoneyKind, Decimal)>,
    pub returned_units: i64,
    /// Refunded principal and shipping, when the order carries a refund.
    pub refund: Option<(Decimal, Decimal)>,
    /// Its unit of money: key, location, fingerprint and summary set.
    pub unit: Unit,
}

/// What counting found that the parser's data notes report.
#[derive(Default)]
pub(super) struct Found {
    /// Rows of orders placed in the period and not paid.
    pub unpaid_rows: Vec<usize>,
    /// How many such orders.
    pub unpaid_orders: usize,
    /// First lines of the sales of the period that carry a refund.
    pub refunded: Vec<usize>,
}

impl Found {
    /// Adds the data notes of what counting `file` found to `out`: its unpaid
    /// orders, and its refunded sales as `refund_note` (file, orders) names them.
    pub(super) fn note(self, file: &str, refund_note: fn(String, String) -> NoteKind, out: &mut ParsedExport) {
        if !self.unpaid_rows.is_empty() {
            let orders = self.unpaid_orders.to_string();
            out.notes.push((NoteKind::StoreOrdersUnpaid { file: file.to_string(), orders }, self.unpaid_rows));
        }
        if !self.refunded.is_empty() {
            let orders = self.refunded.len().to_string();
            out.notes.push((refund_note(file.to_string(), orders), self.refunded));
        }
    }
}

/// Adds the facts of `order` of `market` in `period` to `out`: placed in the
/// period, an `Ordered` event and its cancellation; a sale in the period, a
/// `Placed` event, its money lines, its `Returned` units and its `Refunded`
/// event; otherwise its rows are left out for their date (the sale's, or
/// the order's). Its unit names exactly these facts.
pub(super) fn count(
    order: Order<'_>,
    market: Market,
    period: crate::period::Period,
    out: &mut ParsedExport,
    found: &mut Found,
) {
    let Order { id, line, rows, created, sale, cancelled, unpaid, units, principal, shipping, money, .. } = order;
    let mut unit = order.unit;
    out.rows_total += rows.len();
    out.saw(created);
    let (first_line, first_event) = (out.lines.len(), out.events.len());
    let order_id = OrderId::from(id);
    let event = |kind, date, units, principal, shipping| OrderEvent {
        market,
        line,
        date,
        order_id: order_id.clone(),
        kind,
        units,
        principal,
        shipping,
    };
    let placed_in_period = period.contains(created);
    if placed_in_period {
        out.events.push(event(OrderEventKind::Ordered, created, 0, Decimal::ZERO, Decimal::ZERO));
        if let Some(kind) = cancelled {
            out.events.push(event(kind, created, 0, Decimal::ZERO, Decimal::ZERO));
        } else if unpaid {
            found.unpaid_rows.extend_from_slice(rows);
            found.unpaid_orders += 1;
        }
    }
    let sold_in_period = sale.is_some_and(|d| period.contains(d));
    if let Some(date) = sale.filter(|_| sold_in_period) {
        out.events.push(event(OrderEventKind::Placed, date, units, principal, shipping));
        for (kind, amount) in money.into_iter().filter(|(_, amount)| !amount.is_zero()) {
            out.lines.push(MoneyLine { market, line, date, order_id: order_id.clone(), kind, amount });
        }
        if order.returned_units > 0 {
            out.events.push(event(OrderEventKind::Returned, date, order.returned_units, Decimal::ZERO, Decimal::ZERO));
        }
        if let Some((principal, shipping)) = order.refund {
            out.events.push(event(OrderEventKind::Refunded, date, 0, principal, shipping));
            found.refunded.push(line);
        }
    }
    unit.lines = first_line..out.lines.len();
    unit.events = first_event..out.events.len();
    if placed_in_period || sold_in_period {
        unit.rows_in_period = rows.len();
        out.rows_in_period += rows.len();
    } else {
        let date = sale.unwrap_or(created);
        for &number in rows {
            out.leave_out(number, date);
        }
    }
    out.units.push(unit);
}
