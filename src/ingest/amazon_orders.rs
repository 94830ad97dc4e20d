//! Amazon's All Orders report (`GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL`,
//! tab-separated, one row per order item) into the orders placed in the
//! period and their cancellations: what the cancel rate is made of.
//!
//! The layout, its sources and its drift (columns added over the years) are
//! in `fixtures/layouts/amazon/all_orders.md`. Columns are found by header
//! name; `amazon-order-id`, `purchase-date`, `order-status`,
//! `fulfillment-channel` and `sales-channel` are needed, `sku` is used
//! when present.
//!
//! **What the report can tell.** An order's status (`Pending`, `Shipping`,
//! `Shipped`, `Shipped - Delivered to Buyer`, …, `Cancelled`) and who
//! fulfils it (`Amazon` or `Merchant`), but not who cancelled it: the
//! buyer-requested flag is only in the Unshipped Orders report. So:
//! - a cancelled **FBA** order is not the seller's cancellation (Amazon
//!   ships FBA orders; the buyer or Amazon cancelled it);
//! - a cancelled **merchant-fulfilled** order counts as cancelled by the
//!   seller, an upper bound, and a data note gives their number and lines;
//! - **Multi-Channel Fulfillment** rows (`sales-channel` `Non-Amazon`) are
//!   orders of the seller's other stores that Amazon ships: not Amazon.com
//!   orders, left out of every count, with a data note;
//! - a row of another Amazon site (`Amazon.ca`, …) is refused: kpiseal
//!   reads Amazon US.
//!
//! Orders are dated by `purchase-date` (an instant with offset) in the
//! market's time zone, as the report itself is cut (by order date).

use std::borrow::Cow;
use std::collections::HashMap;

use super::records::{OrderEvent, OrderEventKind, OrderId};
use super::table::{Row, Table};
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport, dates};
use crate::error::InputError;
use crate::notes::NoteKind;
use rust_decimal::Decimal;

const ORDER_ID: &[&str] = &["amazon-order-id"];
const PURCHASE_DATE: &[&str] = &["purchase-date"];
const ORDER_STATUS: &[&str] = &["order-status"];
const FULFILLMENT: &[&str] = &["fulfillment-channel"];
const SALES_CHANNEL: &[&str] = &["sales-channel"];
const SKU: &[&str] = &["sku"];

/// Every column [`parse`] reads: the report's others (33 in all) are not
/// kept as it is read (see `table::read_decoded_columns`).
pub const COLUMNS: &[&str] =
    &["amazon-order-id", "purchase-date", "order-status", "fulfillment-channel", "sales-channel", "sku"];

/// The `sales-channel` of Amazon US orders.
const AMAZON_US: &str = "Amazon.com";
/// The `sales-channel` of Multi-Channel Fulfillment orders.
const NON_AMAZON: &str = "Non-Amazon";

/// Whether a header row is an All Orders report's.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["amazon-order-id", "purchase-date", "order-status", "fulfillment-channel", "item-status"])
}

/// Where an order stands in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// `Shipped` or `Shipped - …` (delivered, returning, lost, …).
    Shipped,
    /// `Cancelled`.
    Cancelled,
    /// `Pending`, `Pending - …`, `Unshipped`, `Shipping`, `PartiallyShipped`:
    /// not (all) shipped when the report was downloaded.
    Open,
}

impl Status {
    fn parse(text: &str) -> Option<Status> {
        let head = text.split(" - ").next().unwrap_or("").trim();
        match head {
            "Shipped" => Some(Status::Shipped),
            "Cancelled" | "Canceled" => Some(Status::Cancelled),
            "Pending" | "Unshipped" | "Shipping" | "PartiallyShipped" | "Partially Shipped" => Some(Status::Open),
            _ => None,
        }
    }
}

/// One order as the report's rows of the period give it.
struct Order {
    status: Status,
    by_merchant: bool,
}

/// Reads an All Orders report: per Amazon.com row dated in the period one
/// `Ordered` event, and for a cancelled order one `CancelledBySeller`
/// (merchant-fulfilled) or `CancelledOther` (FBA) more. Orders are counted
/// by distinct id, so an order's several item rows count once.
///
/// Data notes (in `notes`): merchant-fulfilled cancellations counted as
/// the seller's; Multi-Channel Fulfillment rows left out.
///
/// **Identity:** each row is a [`Unit`] keyed by order, SKU and its
/// occurrence among the file's rows of that order and SKU; its fingerprint
/// is the purchase date and the order status as written. The same row in
/// two overlapping downloads counts once; two downloads that disagree on an
/// order's status (one made before it shipped) are refused by
/// `crate::dedup`, naming both rows, rather than one picked.
///
/// # Errors
/// An [`InputError`] naming the file, line and column: a required column
/// missing or repeated, a purchase date that is not a timestamp, a blank
/// order id, an order status or fulfilment channel the report does not
/// write, or an Amazon site other than Amazon.com.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let order_col = t.require(ORDER_ID)?;
    let date_col = t.require(PURCHASE_DATE)?;
    let status_col = t.require(ORDER_STATUS)?;
    let channel_col = t.require(FULFILLMENT)?;
    let site_col = t.require(SALES_CHANNEL)?;
    let sku_col = t.column(SKU);
    // A unit and an event or two per row.
    let mut out = ParsedExport {
        units: Vec::with_capacity(t.rows.len()),
        events: Vec::with_capacity(t.rows.len()),
        ..ParsedExport::default()
    };
    // Both are looked up and counted, never listed in order: borrowed keys
    // and a fixed-seed hasher, no copy or tree node per row.
    let hasher = foldhash::fast::FixedState::default;
    let mut orders: HashMap<Cow<'_, str>, Order, _> = HashMap::with_capacity_and_hasher(t.rows.len(), hasher());
    let mut seen: HashMap<(Cow<'_, str>, Cow<'_, str>), usize, _> =
        HashMap::with_capacity_and_hasher(t.rows.len(), hasher());
    let (mut merchant_cancelled, mut other_channel) = (Vec::new(), Vec::new());
    let order_column: std::sync::Arc<str> = t.headers[order_col].as_str().into();
    for row in &t.rows {
        if [order_col, date_col, status_col].iter().all(|&c| t.is_blank(row, c)) {
            continue;
        }
        out.rows_total += 1;
        let written = t.text_ref(row, date_col);
        let date = dates::amazon_local_date(&written, ctx.tz).map_err(|m| t.error(row, date_col, m))?;
        let order_id = t.text_ref(row, order_col);
        if order_id.is_empty() {
            return Err(t.error(row, order_col, "the Amazon order id is missing"));
        }
        let status_text = t.text_ref(row, status_col);
        let status = Status::parse(&status_text).ok_or_else(|| {
            t.error(
                row,
                status_col,
                format!(
                    "order status {status_text:?}; the All Orders report writes Pending, Unshipped, Shipping, \
                     Shipped (or Shipped - …) or Cancelled"
                ),
            )
        })?;
        let by_merchant = merchant_fulfilled(t, row, channel_col)?;
        let site = t.text_ref(row, site_col);
        out.saw(date);
        let sku = sku_col.map(|c| t.text_ref(row, c)).unwrap_or_default();
        let occurrence = seen.entry((order_id.clone(), sku.clone())).or_default();
        *occurrence += 1;
        let key = UnitKey::OrderLine { order_id: order_id.to_string(), sku: sku.to_string(), occurrence: *occurrence };
        let mut unit = Unit::keyed(key, t.location(row.number), order_column.clone());
        unit.fingerprint = Fingerprint::of((written.as_ref(), status_text.as_ref()));
        unit.summary = format!("{status_text}, ordered {written}").into();
        if ctx.period.contains(date) {
            out.rows_in_period += 1;
            unit.rows_in_period = 1;
            match site.as_ref() {
                AMAZON_US => {}
                NON_AMAZON => {
                    other_channel.push(row.number);
                    out.units.push(unit);
                    continue;
                }
                other => {
                    return Err(t.error(
                        row,
                        site_col,
                        format!(
                            "sales channel {other:?}: kpiseal reads Amazon US (amazon_us), whose orders say \
                             {AMAZON_US}; download the report for Amazon.com only"
                        ),
                    ));
                }
            }
            let first = out.events.len();
            let id = OrderId::from(order_id.as_ref());
            let event = |kind| OrderEvent {
                market: ctx.market,
                line: row.number,
                date,
                order_id: id.clone(),
                kind,
                units: 0,
                principal: Decimal::ZERO,
                shipping: Decimal::ZERO,
            };
            out.events.push(event(OrderEventKind::Ordered));
            if status == Status::Cancelled {
                out.events.push(event(if by_merchant {
                    OrderEventKind::CancelledBySeller
                } else {
                    OrderEventKind::CancelledOther
                }));
                if by_merchant {
                    merchant_cancelled.push(row.number);
                }
            }
            unit.events = first..out.events.len();
            orders.insert(order_id, Order { status, by_merchant });
        } else {
            out.leave_out(row.number, date);
        }
        out.units.push(unit);
    }
    let merchant_orders = orders.values().filter(|o| o.by_merchant && o.status == Status::Cancelled).count();
    if merchant_orders > 0 {
        out.notes.push((
            NoteKind::CancellerNotStated { file: t.file.clone(), orders: merchant_orders.to_string() },
            merchant_cancelled,
        ));
    }
    if !other_channel.is_empty() {
        out.notes.push((
            NoteKind::MultiChannelOrders { file: t.file.clone(), rows: other_channel.len().to_string() },
            other_channel,
        ));
    }
    Ok(out)
}

/// Whether the row's `fulfillment-channel` is `Merchant` (`Amazon` is FBA).
fn merchant_fulfilled(t: &Table, row: &Row, col: usize) -> Result<bool, InputError> {
    match t.text(row, col).as_str() {
        "Merchant" => Ok(true),
        "Amazon" => Ok(false),
        other => Err(t.error(
            row,
            col,
            format!("fulfillment channel {other:?}; the All Orders report writes Amazon (FBA) or Merchant"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::error::Location;
    use crate::ingest::{Format, read_export};
    use crate::period::Period;

    /// The report's header as a 2026 US download writes it (UTF-8 with a
    /// byte order mark, 33 columns; fixtures/layouts/amazon/all_orders.md)
    /// with October 2026 rows: an order on each side of the month (one
    /// late on 31 October in Los Angeles that is 1 November in UTC), a
    /// two-item order, FBA and merchant cancellations, a pending order and
    /// a Multi-Channel Fulfillment order.
    const REPORT: &str = "\u{feff}amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\torder-channel\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\titem-promotion-discount\tship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\tpromotion-ids\tcpf\tis-business-order\tpurchase-order-number\tprice-designation\tsignature-confirmation-recommended
113-0000001-0000001\t\t2026-10-01T05:30:00+00:00\t2026-10-01T09:00:00+00:00\tShipped\tAmazon\tAmazon.com\t\tStandard\tPawRest Dog Bed, Medium\tDB-ORTHO-M\tB0C7QK2M1T\tShipped\t1\tUSD\t49.99\t3.12\t0.0\t0.0\t\t\t\t\tAUSTIN\tTX\t78701\tUS\t\t\tfalse\t\t\tfalse
113-0000002-0000002\t\t2026-10-02T18:12:09+00:00\t2026-10-02T19:40:51+00:00\tShipped - Delivered to Buyer\tAmazon\tAmazon.com\t\tStandard\tPawRest Dog Bed, Large\tDB-ORTHO-L\tB0C7QK5X8P\tShipped\t1\tUSD\t69.99\t4.37\t0.0\t0.0\t\t\t\t\tDENVER\tCO\t80202\tUS\t\t\tfalse\t\t\tfalse
113-0000002-0000002\t\t2026-10-02T18:12:09+00:00\t2026-10-02T19:40:51+00:00\tShipped - Delivered to Buyer\tAmazon\tAmazon.com\t\tStandard\tChillPad Cooling Mat\tCB-COOLMAT\tB0B1ZZ9Q4K\tShipped\t2\tUSD\t59.98\t3.74\t0.0\t0.0\t\t\t\t\tDENVER\tCO\t80202\tUS\t\t\tfalse\t\t\tfalse
113-0000003-0000003\t\t2026-10-05T02:47:33+00:00\t2026-10-05T08:55:20+00:00\tCancelled\tAmazon\tAmazon.com\t\tStandard\tPawRest Dog Bed, Small\tDB-ORTHO-S\tB0C7QK9A1B\tCancelled\t0\t\t\t\t\t\t\t\t\t\t\tMIAMI\tFL\t33101\tUS\t\t\tfalse\t\t\tfalse
111-0000004-0000004\t\t2026-10-09T20:21:58+00:00\t2026-10-10T03:02:19+00:00\tCancelled\tMerchant\tAmazon.com\t\tStd US D2D Dom\tPawRest Dog Bed, Medium\tDB-ORTHO-M\tB0C7QK2M1T\tCancelled\t0\t\t\t\t\t\t\t\t\t\t\tSEATTLE\tWA\t98101\tUS\t\t\tfalse\t\t\tfalse
S01-0000005-0000005\tMCF-20261012-0001\t2026-10-12T12:00:07+00:00\t2026-10-13T00:15:44+00:00\tShipped\tAmazon\tNon-Amazon\t\tStandard\tPawRest Dog Bed, Medium\tDB-ORTHO-M\tB0C7QK2M1T\tShipped\t1\t\t\t\t\t\t\t\t\t\t\tBOSTON\tMA\t02108\tUS\t\t\tfalse\t\t\tfalse
112-0000006-0000006\t\t2026-11-01T06:40:00+00:00\t2026-11-01T06:45:00+00:00\tPending\tAmazon\tAmazon.com\t\tStandard\tChillPad Cooling Mat\tCB-COOLMAT\tB0B1ZZ9Q4K\tUnshipped\t1\t\t\t\t\t\t\t\t\t\t\tAUSTIN\tTX\t78701\tUS\t\t\tfalse\t\t\tfalse
112-0000007-0000007\t\t2026-11-01T09:10:00+00:00\t2026-11-01T09:15:00+00:00\tPending\tAmazon\tAmazon.com\t\tStandard\tChillPad Cooling Mat\tCB-COOLMAT\tB0B1ZZ9Q4K\tUnshipped\t1\t\t\t\t\t\t\t\t\t\t\tAUSTIN\tTX\t78701\tUS\t\t\tfalse\t\t\tfalse
";

    fn read(text: &str) -> Result<(Format, ParsedExport), InputError> {
        read_export(
            "exports/2026-10/acme-home/All_Orders.txt",
            text.as_bytes(),
            &IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::AMAZON_US),
        )
    }

    fn orders(p: &ParsedExport, kind: OrderEventKind) -> Vec<&str> {
        let mut ids: Vec<&str> = p.events.iter().filter(|e| e.kind == kind).map(|e| e.order_id.as_str()).collect();
        ids.dedup();
        ids
    }

    #[test]
    fn orders_of_the_period_are_counted_by_purchase_date_in_los_angeles_and_fba_cancellations_are_not_the_sellers() {
        let (format, p) = read(REPORT).unwrap();
        assert_eq!(format, Format::AmazonAllOrders);
        // 05:30 UTC on 1 October is 30 September in Los Angeles; 06:40 UTC
        // on 1 November is 31 October there; 09:10 UTC is 1 November.
        assert_eq!((p.rows_total, p.rows_in_period), (8, 6));
        assert_eq!(
            orders(&p, OrderEventKind::Ordered),
            ["113-0000002-0000002", "113-0000003-0000003", "111-0000004-0000004", "112-0000006-0000006"],
            "the Multi-Channel order is not an Amazon.com order"
        );
        assert_eq!(orders(&p, OrderEventKind::CancelledBySeller), ["111-0000004-0000004"]);
        assert_eq!(orders(&p, OrderEventKind::CancelledOther), ["113-0000003-0000003"]);
        assert_eq!(
            p.dates,
            Some((NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()))
        );
        assert_eq!(
            p.units[2].key,
            UnitKey::OrderLine { order_id: "113-0000002-0000002".into(), sku: "CB-COOLMAT".into(), occurrence: 1 }
        );
    }

    #[test]
    fn notes_say_which_cancellations_are_assumed_the_sellers_and_which_rows_are_left_out() {
        let (_, p) = read(REPORT).unwrap();
        let file = "exports/2026-10/acme-home/All_Orders.txt".to_string();
        assert_eq!(
            p.notes,
            vec![
                (NoteKind::CancellerNotStated { file: file.clone(), orders: "1".into() }, vec![6]),
                (NoteKind::MultiChannelOrders { file, rows: "1".into() }, vec![7]),
            ]
        );
    }

    #[test]
    fn an_unknown_status_another_amazon_site_or_a_missing_column_is_refused_naming_the_cell() {
        let e = read(&REPORT.replace("\tCancelled\tMerchant", "\tOnHold\tMerchant")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(6), Some("order-status")));
        assert!(e.message.contains("\"OnHold\""), "{e}");
        let e = read(&REPORT.replace("Merchant\tAmazon.com", "Merchant\tAmazon.ca")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(6), Some("sales-channel")));
        assert!(e.message.contains("Amazon US"), "{e}");
        let e = read(&REPORT.replace("\tMerchant\t", "\tSeller\t")).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("fulfillment-channel"));
        let e = read(&REPORT.replace("\tsales-channel\t", "\tchannel\t")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(1), Some("sales-channel")));
    }

    #[test]
    fn the_2026_layout_with_order_item_id_after_order_status_reads_the_same() {
        let with_item_id: String = REPORT
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let mut cells: Vec<&str> = l.split('\t').collect();
                cells.insert(5, if i == 0 { "order-item-id" } else { "12345678901234" });
                cells.join("\t") + "\n"
            })
            .collect();
        let (_, a) = read(REPORT).unwrap();
        let (_, b) = read(&with_item_id).unwrap();
        assert_eq!(a.events, b.events);
    }
}
