//! The FBA customer returns report
//! (`GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA`) in its real layout
//! (`fixtures/layouts/amazon/fba_customer_returns.md`): units buyers sent
//! back from the orders the settlements already carry, so a returned unit
//! was always shipped. The file covers the period with a few days either
//! side, as a seller downloads it; returns arrive 3 to 30 days after the
//! order, so early-month returns come from the previous month's orders.

use std::io::{self, Write};

use chrono::DateTime;

use super::{Book, DAY, TxKind, la_date};
use crate::{Gen, Workspace, add_days, between, chance, index};

/// Fulfilment centres a return is received at.
const CENTRES: [&str; 6] = ["LGB8", "ONT8", "SBD1", "LEX1", "PHX7", "MDW2"];
/// Disposition, reason and status, with relative weights, as the report writes them.
const OUTCOMES: [(&str, &str, &str, u32); 8] = [
    ("SELLABLE", "UNWANTED_ITEM", "Unit returned to inventory", 30),
    ("SELLABLE", "ORDERED_WRONG_ITEM", "Unit returned to inventory", 10),
    ("SELLABLE", "UNDELIVERABLE_REFUSED", "Unit returned to inventory", 6),
    ("CUSTOMER_DAMAGED", "NOT_AS_DESCRIBED", "Unit returned to inventory", 14),
    ("DEFECTIVE", "DEFECTIVE", "Unit returned to inventory", 16),
    ("DEFECTIVE", "QUALITY_UNACCEPTABLE", "Reimbursed", 8),
    ("CARRIER_DAMAGED", "DAMAGED_BY_CARRIER", "Reimbursed", 8),
    ("CUSTOMER_DAMAGED", "NOT_COMPATIBLE", "Repackaged Successfully", 8),
];
const COMMENTS: [&str; 4] =
    ["Smaller than expected", "Arrived with a dent", "Stopped working after a week", "Changed my mind"];
const HEADER: &str = "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n";

/// One returned order line.
struct Return {
    ts: i64,
    order: u32,
    item: u32,
    qty: u8,
    outcome: usize,
    centre: usize,
    plate: String,
    comment: Option<usize>,
}

/// A return as the inventory ledger sees it: when, which product, how many
/// units, and whether they went back to sellable stock.
pub(super) struct Returned {
    pub(super) ts: i64,
    pub(super) product: u8,
    pub(super) qty: u8,
    pub(super) disposition: &'static str,
}

/// Writes `exports/<period>/<seller>/FBA_Customer_Returns_<first>_<last>.txt`:
/// each shipped order line returned with `permille` chance, dated 3 to 30
/// days after its order; rows dated from 3 days before the period to 2
/// days after it (Los Angeles time), oldest first. Returns the returns
/// written, for the inventory ledger.
pub(super) fn write(
    ws: &Workspace,
    dir: &str,
    book: &Book,
    rng: &mut Gen,
    permille: u32,
) -> io::Result<(crate::GenerateSummary, Vec<Returned>)> {
    let first = add_days(ws.period.first_day(), -3);
    let last = add_days(ws.period.last_day(), 2);
    let mut returns = Vec::new();
    for tx in &book.txs {
        let TxKind::Order(order) = tx.kind else { continue };
        let o = &book.orders[order as usize];
        for item in o.first_item..o.first_item + u32::from(o.n_items) {
            if !chance(rng, permille) {
                continue;
            }
            let ts = tx.ts + between(rng, 3 * DAY, 30 * DAY);
            let qty = book.items[item as usize].qty;
            let returned = if qty > 1 && chance(rng, 300) { qty } else { 1 };
            let weights: u32 = OUTCOMES.iter().map(|o| o.3).sum();
            let mut pick = between(rng, 0, i64::from(weights) - 1) as u32;
            let outcome = OUTCOMES.iter().position(|o| {
                let hit = pick < o.3;
                pick = pick.saturating_sub(o.3);
                hit
            });
            let plate = format!("LPN{}{:010}", ["RR", "RS", "NC"][index(rng, 3)], between(rng, 0, 9_999_999_999));
            let comment = chance(rng, 250).then(|| index(rng, COMMENTS.len()));
            let centre = index(rng, CENTRES.len());
            if (first..=last).contains(&la_date(ts)) {
                returns.push(Return {
                    ts,
                    order,
                    item,
                    qty: returned,
                    outcome: outcome.unwrap_or(0),
                    centre,
                    plate,
                    comment,
                });
            }
        }
    }
    returns.sort_by_key(|r| (r.ts, r.order, r.item));
    let name = format!("{dir}/FBA_Customer_Returns_{}_{}.txt", first.format("%Y%m%d"), last.format("%Y%m%d"));
    let returned = returns
        .iter()
        .map(|r| Returned {
            ts: r.ts,
            product: book.items[r.item as usize].product,
            qty: r.qty,
            disposition: OUTCOMES[r.outcome].0,
        })
        .collect();
    let summary = ws.write_text_rows(&name, |w| {
        w.write_all(HEADER.as_bytes())?;
        for r in &returns {
            let item = &book.items[r.item as usize];
            let product = &book.catalog[item.product as usize];
            let (disposition, reason, status, _) = OUTCOMES[r.outcome];
            let at = DateTime::from_timestamp(r.ts, 0).expect("timestamp in range").format("%Y-%m-%dT%H:%M:%S+00:00");
            let fnsku = format!("X00{}", &product.asin[3..]);
            writeln!(
                w,
                "{at}\t{}\t{}\t{}\t{fnsku}\t{}\t{}\t{}\t{disposition}\t{reason}\t{status}\t{}\t{}",
                book.orders[r.order as usize].id,
                product.sku,
                product.asin,
                title(product.sku),
                r.qty,
                CENTRES[r.centre],
                r.plate,
                r.comment.map_or("", |c| COMMENTS[c]),
            )?;
        }
        Ok(returns.len() as u64)
    })?;
    Ok((summary, returned))
}

/// The listing title the report prints for a demo SKU.
pub(super) fn title(sku: &str) -> &'static str {
    match sku {
        "AH-DESK-6030-WH" => "Electric Standing Desk 60 x 30 in, White",
        "AH-VAC-R9-BLK" => "Robot Vacuum R9 with Self-Empty Base, Black",
        "AH-PUR-H13-L" => "HEPA H13 Air Purifier for Large Rooms",
        "AH-MAT-QN-12" => "12 in Memory Foam Mattress, Queen",
        "AH-RCL-GRY" => "Power Recliner Chair, Grey",
        "AH-SOFA-3S-BG" => "3-Seat Linen Sofa, Beige",
        "AH-LAMP-ARC-BR" => "Arc Floor Lamp, Brass",
        "AH-RUG-810-WSH" => "Washable Area Rug 8 x 10 ft",
        "SG-EB-ANC-BLK" => "Wireless Earbuds with Active Noise Cancelling, Black",
        "SG-CHG-65W-GAN" => "65W GaN USB-C Charger",
        "SG-PB-MAG-10K" => "Magnetic Power Bank 10000mAh",
        "SG-PLUG-4PK" => "Smart Plug, 4 Pack",
        "SG-TRIPOD-60" => "60 in Phone Tripod with Remote",
        "SG-TAG-4PK" => "Bluetooth Item Tracker, 4 Pack",
        "SG-PROJ-1080" => "1080p Portable Projector",
        "SG-KB-MECH-75" => "75% Mechanical Keyboard",
        _ => "Home product",
    }
}
