//! The All Orders report (`GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL`)
//! in the layout of a 2026 US download (`fixtures/layouts/amazon/all_orders.md`:
//! UTF-8 with a byte order mark, 33 tab-separated columns, one row per
//! order item, UTC timestamps).
//!
//! It lists every order the settlements carry whose purchase falls in the
//! file's days (an order is bought 2 to 30 hours before it posts, at
//! shipment), and the orders no settlement carries because they were
//! cancelled before shipment. The demo sellers ship through FBA, so every
//! order is fulfilled by Amazon and none is the seller's cancellation; the
//! parser's own tests cover merchant-fulfilled and Multi-Channel rows. An
//! order that has not posted by the download is still `Shipping`.

use std::io::{self, Write};

use chrono::DateTime;

use super::{Book, DAY, TxKind};
use crate::{Gen, Workspace, add_days, between, index};

const HEADER: &str = "\u{feff}amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\torder-channel\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\titem-promotion-discount\tship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\tpromotion-ids\tcpf\tis-business-order\tpurchase-order-number\tprice-designation\tsignature-confirmation-recommended\n";
const PLACES: [(&str, &str, &str); 6] = [
    ("AUSTIN", "TX", "78701"),
    ("DENVER", "CO", "80202"),
    ("SEATTLE", "WA", "98101"),
    ("MIAMI", "FL", "33101"),
    ("COLUMBUS", "OH", "43215"),
    ("SAN JOSE", "CA", "95113"),
];

/// One order item as the report lists it.
pub(super) struct Row {
    pub(super) purchased: i64,
    updated: i64,
    pub(super) order_id: String,
    pub(super) status: &'static str,
    item_status: &'static str,
    pub(super) product: u8,
    qty: u8,
    /// Units ordered, as the Business Report counts them (a cancelled
    /// item's `qty` reads 0, but its unit was ordered).
    pub(super) ordered: u8,
    /// Item price and tax in cents; `None` leaves the money cells blank
    /// (cancelled rows).
    pub(super) money: Option<(i64, i64)>,
    place: usize,
}

/// The first and last day (Los Angeles) of the orders the report lists:
/// the period's days and the day either side.
pub(super) fn days(ws: &Workspace) -> (chrono::NaiveDate, chrono::NaiveDate) {
    (add_days(ws.period.first_day(), -1), add_days(ws.period.last_day(), 1))
}

/// The order items bought on [`days`], as downloaded two days after the
/// period: the settled orders' and `cancel_permille` ‰ as many orders
/// cancelled before shipment, newest first.
pub(super) fn items(ws: &Workspace, book: &Book, rng: &mut Gen, cancel_permille: u32) -> Vec<Row> {
    let (first, last) = days(ws);
    let start = super::la_midnight(first);
    let end = super::la_midnight(add_days(last, 1));
    let downloaded = super::la_instant(add_days(ws.period.last_day(), 2), 9 * 3600);
    let mut rows = Vec::new();
    let mut settled = 0u32;
    for tx in &book.txs {
        let TxKind::Order(order) = tx.kind else { continue };
        let purchased = tx.ts - between(rng, 2 * 3600, 30 * 3600);
        if !(start..end).contains(&purchased) {
            continue;
        }
        settled += 1;
        let o = &book.orders[order as usize];
        let shipped = tx.ts <= downloaded;
        let place = index(rng, PLACES.len());
        for item in o.first_item..o.first_item + u32::from(o.n_items) {
            let it = &book.items[item as usize];
            rows.push(Row {
                purchased,
                updated: if shipped { (tx.ts + between(rng, 3600, 3 * DAY)).min(downloaded) } else { purchased + 600 },
                order_id: o.id.to_string(),
                status: if shipped { "Shipped" } else { "Shipping" },
                item_status: if shipped { "Shipped" } else { "Unshipped" },
                product: it.product,
                qty: it.qty,
                ordered: it.qty,
                money: Some((it.principal, it.tax)),
                place,
            });
        }
    }
    let cancelled = (u64::from(settled) * u64::from(cancel_permille)).div_ceil(1000);
    for _ in 0..cancelled {
        let purchased = between(rng, start, end - 1);
        rows.push(Row {
            purchased,
            updated: purchased + between(rng, 300, 6 * 3600),
            order_id: order_id(rng),
            status: "Cancelled",
            item_status: "Cancelled",
            product: index(rng, book.catalog.len()) as u8,
            qty: 0,
            ordered: 1,
            money: None,
            place: index(rng, PLACES.len()),
        });
    }
    // Newest first, an order's items together, as Seller Central lists them.
    rows.sort_by(|a, b| b.purchased.cmp(&a.purchased).then_with(|| a.order_id.cmp(&b.order_id)));
    rows
}

/// Writes `exports/<period>/<seller>/All_Orders_<first>_<last>.txt` with `rows` (from [`items`]).
pub(super) fn write(ws: &Workspace, dir: &str, book: &Book, rows: &[Row]) -> io::Result<crate::GenerateSummary> {
    let (first, last) = days(ws);
    let name = format!("{dir}/All_Orders_{}_{}.txt", first.format("%Y%m%d"), last.format("%Y%m%d"));
    ws.write_text_rows(&name, |w| {
        w.write_all(HEADER.as_bytes())?;
        for r in rows {
            let product = &book.catalog[r.product as usize];
            let (city, state, zip) = PLACES[r.place];
            let (currency, price, tax) = match r.money {
                Some((price, tax)) => ("USD", cents(price), cents(tax)),
                None => ("", String::new(), String::new()),
            };
            let zero = if r.money.is_some() { "0.0" } else { "" };
            writeln!(
                w,
                "{}\t\t{}\t{}\t{}\tAmazon\tAmazon.com\t\tStandard\t{}\t{}\t{}\t{}\t{}\t{currency}\t{price}\t{tax}\t{zero}\t{zero}\t\t\t\t\t{city}\t{state}\t{zip}\tUS\t\t\tfalse\t\t\tfalse",
                r.order_id,
                utc(r.purchased),
                utc(r.updated),
                r.status,
                super::returns::title(product.sku),
                product.sku,
                product.asin,
                r.item_status,
                r.qty,
            )?;
        }
        Ok(rows.len() as u64)
    })
}

/// A new Amazon order id, `11x-1234567-1234567`.
fn order_id(rng: &mut Gen) -> String {
    format!("{}-{:07}-{:07}", 111 + index(rng, 4), between(rng, 0, 9_999_999), between(rng, 0, 9_999_999))
}

/// An instant as the report writes it: `2026-10-05T02:47:33+00:00`.
fn utc(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0).expect("timestamp in range").format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Cents as the report writes money: `49.99`, `25.0`.
fn cents(c: i64) -> String {
    if c % 100 == 0 { format!("{}.0", c / 100) } else { format!("{}.{:02}", c / 100, c % 100) }
}
