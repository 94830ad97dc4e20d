//! Laying out one settlement file: each posted transaction expands into
//! rows ([`for_each_line`]), written either as flat-file V2 (one amount
//! column, typed by amount-type/amount-description) or as the older wide V1
//! (one type/amount column pair per kind of amount). Either way the summary
//! row's total-amount is the exact sum of the detail amounts.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::NaiveDate;

use super::{Book, Settlement, Tx, TxKind, la_date};
use crate::Profile;
use crate::div_round;
use crate::text::{Cents, Mdy, UtcStamp, Ymd};

/// One row's worth of a transaction, before it is laid out as V1 or V2.
struct Line {
    tx_type: &'static str,
    order: Option<u32>,
    item: Option<u32>,
    adjustment: Option<u64>,
    amount_type: &'static str,
    description: &'static str,
    amount: i64,
    qty: Option<u8>,
    promo: Option<u8>,
    product: Option<u8>,
}

impl Line {
    fn account(tx_type: &'static str, amount_type: &'static str, description: &'static str, amount: i64) -> Line {
        Line {
            tx_type,
            order: None,
            item: None,
            adjustment: None,
            amount_type,
            description,
            amount,
            qty: None,
            promo: None,
            product: None,
        }
    }
}

/// How one settlement file is laid out and dated.
#[derive(Clone, Copy)]
pub(super) enum Layout {
    V1,
    V2 { posted: PostedDate, iso_stamp: bool },
}

#[derive(Clone, Copy)]
pub(super) enum PostedDate {
    Mdy,
    Ymd,
}

/// The layout and file name of settlement `k` for each profile: the date
/// styles vary between files as they do in sellers' archives.
pub(super) fn file_layout(profile: Profile, k: usize, s: &Settlement) -> (Layout, String) {
    let start = la_date(s.start);
    let end = la_date(s.end);
    let compact = |d: NaiveDate| Ymd(d).to_string().replace('-', "");
    match (profile, k) {
        (Profile::SunnyGadgets, 0) => (Layout::V1, format!("flat-file-v1-settlement-{}.txt", s.id)),
        (Profile::SunnyGadgets, 1) => {
            (Layout::V2 { posted: PostedDate::Ymd, iso_stamp: false }, format!("{}.txt", s.id))
        }
        (Profile::SunnyGadgets, _) => {
            (Layout::V2 { posted: PostedDate::Mdy, iso_stamp: false }, format!("settlement_{} (1).txt", s.id))
        }
        (_, 0) => (Layout::V2 { posted: PostedDate::Mdy, iso_stamp: false }, format!("{}.txt", s.id)),
        (_, 1) => (
            Layout::V2 { posted: PostedDate::Ymd, iso_stamp: false },
            format!("Settlement_{}_{}-{}.txt", s.id, compact(start), compact(end)),
        ),
        (_, _) => (
            Layout::V2 { posted: PostedDate::Ymd, iso_stamp: true },
            format!("{}-{} FlatFileV2 {}.txt", compact(start), compact(end), s.id),
        ),
    }
}

/// Calls `f` with each row `tx` expands into, in the order Amazon lists them.
fn for_each_line(book: &Book, tx: &Tx, f: &mut impl FnMut(&Line)) {
    let order_line = |tx_type, order: u32, item: u32, adjustment, amount_type, description, amount| Line {
        tx_type,
        order: Some(order),
        item: Some(item),
        adjustment,
        amount_type,
        description,
        amount,
        qty: None,
        promo: None,
        product: Some(book.items[item as usize].product),
    };
    match tx.kind {
        TxKind::Order(o) => {
            let order = &book.orders[o as usize];
            for i in order.first_item..order.first_item + u32::from(order.n_items) {
                let it = &book.items[i as usize];
                let line = |t, d, a| order_line("Order", o, i, None, t, d, a);
                f(&Line { qty: Some(it.qty), ..line("ItemPrice", "Principal", it.principal) });
                if it.shipping > 0 {
                    f(&line("ItemPrice", "Shipping", it.shipping));
                }
                if it.tax > 0 {
                    f(&line("ItemPrice", "Tax", it.tax));
                    f(&line("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", -it.tax));
                }
                f(&line("ItemFees", "Commission", -it.commission));
                f(&line("ItemFees", "FBAPerUnitFulfillmentFee", -it.fba));
                if it.shipping > 0 {
                    f(&line("ItemFees", "ShippingChargeback", -it.shipping));
                }
                if it.promo > 0 {
                    f(&Line { promo: Some(it.promo_id), ..line("Promotion", "Principal", -it.promo) });
                }
            }
        }
        TxKind::Refund { item, order, adjustment } => {
            let it = &book.items[item as usize];
            let line = |t, d, a| order_line("Refund", order, item, Some(adjustment), t, d, a);
            f(&line("ItemPrice", "Principal", -it.principal));
            if it.tax > 0 {
                f(&line("ItemPrice", "Tax", -it.tax));
                f(&line("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", it.tax));
            }
            f(&line("ItemFees", "Commission", it.commission));
            f(&line("ItemFees", "RefundCommission", -(div_round(it.commission * 20, 100).min(500))));
            if it.promo > 0 {
                f(&Line { promo: Some(it.promo_id), ..line("Promotion", "Principal", it.promo) });
            }
        }
        TxKind::Dispute { order, chargeback, adjustment } => {
            let item = book.orders[order as usize].first_item;
            let tx_type = if chargeback { "Chargeback Refund" } else { "A-to-z Guarantee Claim" };
            let principal = book.items[item as usize].principal;
            f(&order_line(tx_type, order, item, Some(adjustment), "ItemPrice", "Principal", -principal));
        }
        TxKind::AdCost(a) => f(&Line::account("ServiceFee", "Cost of Advertising", "TransactionTotalAmount", a)),
        TxKind::Storage(a) => f(&Line::account("other-transaction", "other-transaction", "Storage Fee", a)),
        TxKind::Subscription => f(&Line::account("other-transaction", "other-transaction", "Subscription Fee", -3999)),
        TxKind::Adjustment { product, amount } => f(&Line {
            product: Some(product),
            ..Line::account("Adjustment", "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE", amount)
        }),
        TxKind::ReservePrevious(a) => {
            f(&Line::account("other-transaction", "other-transaction", "Previous Reserve Amount Balance", a))
        }
        TxKind::ReserveCurrent(a) => {
            f(&Line::account("other-transaction", "other-transaction", "Current Reserve Amount", a))
        }
    }
}

const V2_HEADER: &str = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id";

const V1_HEADER: &str = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tshipment-fee-type\tshipment-fee-amount\torder-fee-type\torder-fee-amount\tfulfillment-id\tposted-date\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tprice-type\tprice-amount\titem-related-fee-type\titem-related-fee-amount\tmisc-fee-amount\tother-fee-amount\tother-fee-reason-description\tpromotion-id\tpromotion-type\tpromotion-amount\tdirect-payment-type\tdirect-payment-amount\tother-amount";

/// Writes one settlement file: header, the summary row (whose total is the
/// exact sum of the detail amounts), then one row per line. Returns the
/// number of detail rows.
pub(super) fn write_settlement(
    w: &mut impl Write,
    book: &Book,
    s: &Settlement,
    txs: &[Tx],
    layout: Layout,
) -> io::Result<u64> {
    let mut total = 0i64;
    for tx in txs {
        for_each_line(book, tx, &mut |l| total += l.amount);
    }
    let columns = match layout {
        Layout::V1 => {
            w.write_all(V1_HEADER.as_bytes())?;
            36
        }
        Layout::V2 { .. } => {
            w.write_all(V2_HEADER.as_bytes())?;
            24
        }
    };
    let stamp = |ts| UtcStamp { ts, iso: false };
    write!(w, "\n{}\t{}\t{}\t{}\t{}\tUSD", s.id, stamp(s.start), stamp(s.end), stamp(s.deposit), Cents(total))?;
    for _ in 6..columns {
        w.write_all(b"\t")?;
    }
    w.write_all(b"\n")?;

    let mut cells: Vec<String> = vec![String::new(); columns];
    let mut rows = 0u64;
    let mut result = Ok(());
    for tx in txs {
        let date = la_date(tx.ts);
        for_each_line(book, tx, &mut |line| {
            if result.is_err() {
                return;
            }
            for c in cells.iter_mut() {
                c.clear();
            }
            match layout {
                Layout::V1 => fill_v1(&mut cells, book, s, line, date),
                Layout::V2 { posted, iso_stamp } => fill_v2(&mut cells, book, s, line, date, tx.ts, posted, iso_stamp),
            }
            result = write_row(w, &cells);
            rows += 1;
        });
    }
    result?;
    Ok(rows)
}

fn write_row(w: &mut impl Write, cells: &[String]) -> io::Result<()> {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            w.write_all(b"\t")?;
        }
        w.write_all(c.as_bytes())?;
    }
    w.write_all(b"\n")
}

/// The columns every layout shares, at their V2 positions up to
/// marketplace-name (V1 has the same first twelve columns).
fn fill_common(cells: &mut [String], book: &Book, s: &Settlement, line: &Line) {
    let _ = write!(cells[0], "{}", s.id);
    cells[6].push_str(line.tx_type);
    if let Some(o) = line.order {
        let _ = write!(cells[7], "{}", book.orders[o as usize].id);
        cells[11].push_str("Amazon.com");
    }
    if let Some(a) = line.adjustment {
        let _ = write!(cells[9], "{a}");
    }
}

#[allow(clippy::too_many_arguments)]
fn fill_v2(
    cells: &mut [String],
    book: &Book,
    s: &Settlement,
    line: &Line,
    date: NaiveDate,
    ts: i64,
    posted: PostedDate,
    iso_stamp: bool,
) {
    fill_common(cells, book, s, line);
    cells[12].push_str(line.amount_type);
    cells[13].push_str(line.description);
    let _ = write!(cells[14], "{}", Cents(line.amount));
    if line.order.is_some() {
        cells[15].push_str("AFN");
    }
    let _ = match posted {
        PostedDate::Mdy => write!(cells[16], "{}", Mdy { date, long_year: false }),
        PostedDate::Ymd => write!(cells[16], "{}", Ymd(date)),
    };
    let _ = write!(cells[17], "{}", UtcStamp { ts, iso: iso_stamp });
    if let Some(i) = line.item {
        let _ = write!(cells[18], "{}", book.items[i as usize].code);
    }
    if let Some(p) = line.product {
        cells[21].push_str(book.catalog[p as usize].sku);
    }
    if let Some(q) = line.qty {
        let _ = write!(cells[22], "{q}");
    }
    if let Some(p) = line.promo {
        cells[23].push_str(&book.promo_ids[p as usize]);
    }
}

/// V1 puts each amount in a type/amount column pair chosen by what it is.
fn fill_v1(cells: &mut [String], book: &Book, s: &Settlement, line: &Line, date: NaiveDate) {
    fill_common(cells, book, s, line);
    if line.order.is_some() {
        cells[16].push_str("AFN");
    }
    let _ = write!(cells[17], "{}", Mdy { date, long_year: true });
    if let Some(i) = line.item {
        let _ = write!(cells[18], "{}", book.items[i as usize].code);
    }
    if let Some(p) = line.product {
        cells[21].push_str(book.catalog[p as usize].sku);
    }
    if let Some(q) = line.qty {
        let _ = write!(cells[22], "{q}");
    }
    let amount = Cents(line.amount);
    let _ = match line.amount_type {
        "ItemPrice" => {
            cells[23].push_str(line.description);
            write!(cells[24], "{amount}")
        }
        "ItemFees" | "ItemWithheldTax" => {
            cells[25].push_str(line.description);
            write!(cells[26], "{amount}")
        }
        "Promotion" => {
            if let Some(p) = line.promo {
                cells[30].push_str(&book.promo_ids[p as usize]);
            }
            cells[31].push_str(line.description);
            write!(cells[32], "{amount}")
        }
        "other-transaction" if matches!(line.description, "Storage Fee" | "Subscription Fee") => {
            cells[29].push_str(line.description);
            write!(cells[28], "{amount}")
        }
        "Cost of Advertising" => {
            cells[29].push_str(line.amount_type);
            write!(cells[28], "{amount}")
        }
        _ => {
            // V1 names reserve lines by their transaction type.
            if line.amount_type == "other-transaction" {
                cells[6].clear();
                cells[6].push_str(line.description);
            }
            write!(cells[35], "{amount}")
        }
    };
}
