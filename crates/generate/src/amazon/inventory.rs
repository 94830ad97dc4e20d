//! The Inventory Ledger, Summary view by day (`GET_LEDGER_SUMMARY_VIEW_DATA`),
//! in the layout of a 2026 US download (`fixtures/layouts/amazon/inventory_ledger.md`:
//! UTF-8 with a byte order mark, tab-separated, `MM/DD/YYYY` dates).
//!
//! One row per product and day from the day before the period to the day
//! after it, for its sellable stock, and one for units returned damaged or
//! defective once it holds any. The stock moves as the other files say:
//! customer shipments are the order items the settlements post that day
//! (Los Angeles), customer returns the returns report's rows, sellable
//! ones back into sellable stock; a product opens with 25 to 50 days of its
//! sales and is replenished by a receipt of 30 to 45 days' worth when it
//! falls under 10 days.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::returns::{Returned, title};
use super::{Book, TxKind, la_date};
use crate::{Gen, Workspace, add_days, between};

const HEADER: &str = "\u{feff}Date\tFNSKU\tASIN\tMSKU\tTitle\tDisposition\tStarting Warehouse Balance\tIn Transit Between Warehouses\tReceipts\tCustomer Shipments\tCustomer Returns\tVendor Returns\tWarehouse Transfer In/Out\tFound\tLost\tDamaged\tDisposed\tOther Events\tEnding Warehouse Balance\tUnknown Events\tLocation\tStore\n";

/// Writes `exports/<period>/<seller>/Inventory_Ledger_Summary_<first>_<last>.txt`.
/// Returns, beside the summary, the sellable units on hand at the end of
/// each day of the period summed over its days, and the units shipped on them.
pub(super) fn write(
    ws: &Workspace,
    dir: &str,
    book: &Book,
    returned: &[Returned],
    rng: &mut Gen,
) -> io::Result<(crate::GenerateSummary, (i64, i64))> {
    let first = add_days(ws.period.first_day(), -1);
    let last = add_days(ws.period.last_day(), 1);
    let days = (last - first).num_days() + 1;
    // Units shipped and returned per (day, product).
    let mut shipped: BTreeMap<(chrono::NaiveDate, u8), i64> = BTreeMap::new();
    for tx in &book.txs {
        let TxKind::Order(order) = tx.kind else { continue };
        let o = &book.orders[order as usize];
        for item in &book.items[o.first_item as usize..(o.first_item + u32::from(o.n_items)) as usize] {
            *shipped.entry((la_date(tx.ts), item.product)).or_default() += i64::from(item.qty);
        }
    }
    let mut returns: BTreeMap<(chrono::NaiveDate, u8, bool), i64> = BTreeMap::new();
    for r in returned {
        *returns.entry((la_date(r.ts), r.product, r.disposition == "SELLABLE")).or_default() += i64::from(r.qty);
    }
    let mut rows = Vec::new();
    let mut in_period = (0, 0);
    for (p, product) in book.catalog.iter().enumerate() {
        let p = p as u8;
        let sold: i64 = (0..days).map(|d| shipped.get(&(add_days(first, d), p)).copied().unwrap_or(0)).sum();
        let per_day = (sold / days).max(1);
        let mut sellable = per_day * between(rng, 25, 50);
        let mut unsellable = 0i64;
        let fnsku = format!("X00{}", &product.asin[3..]);
        for d in 0..days {
            let day = add_days(first, d);
            let out = shipped.get(&(day, p)).copied().unwrap_or(0);
            let back = returns.get(&(day, p, true)).copied().unwrap_or(0);
            let receipts = if sellable - out < per_day * 10 { per_day * between(rng, 30, 45) } else { 0 };
            let start = sellable;
            sellable = start + receipts - out + back;
            if ws.period.contains(day) {
                in_period = (in_period.0 + sellable, in_period.1 + out);
            }
            rows.push(format!(
                "{}\t{fnsku}\t{}\t{}\t{}\tSELLABLE\t{start}\t0\t{receipts}\t{}\t{back}\t0\t0\t0\t0\t0\t0\t0\t{sellable}\t0\tUS\t",
                day.format("%m/%d/%Y"),
                product.asin,
                product.sku,
                title(product.sku),
                -out,
            ));
            let damaged = returns.get(&(day, p, false)).copied().unwrap_or(0);
            if unsellable + damaged > 0 {
                let start = unsellable;
                unsellable += damaged;
                rows.push(format!(
                    "{}\t{fnsku}\t{}\t{}\t{}\tCUSTOMER_DAMAGED\t{start}\t0\t0\t0\t{damaged}\t0\t0\t0\t0\t0\t0\t0\t{unsellable}\t0\tUS\t",
                    day.format("%m/%d/%Y"),
                    product.asin,
                    product.sku,
                    title(product.sku),
                ));
            }
        }
    }
    let name = format!("{dir}/Inventory_Ledger_Summary_{}_{}.txt", first.format("%Y%m%d"), last.format("%Y%m%d"));
    let summary = ws.write_text_rows(&name, |w| {
        w.write_all(HEADER.as_bytes())?;
        for r in &rows {
            writeln!(w, "{r}")?;
        }
        Ok(rows.len() as u64)
    })?;
    Ok((summary, in_period))
}
