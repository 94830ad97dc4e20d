//! Amazon's Inventory Ledger, Summary view by day (`GET_LEDGER_SUMMARY_VIEW_DATA`,
//! tab-separated, one row per day, FNSKU and disposition) into the FBA
//! units on hand and shipped to customers each day: what inventory
//! turnover days are made of.
//!
//! The layout, its sources and its two spellings (`Ending Warehouse
//! Balance`, and the older `EndingWarehouseBalance` without spaces) are in
//! `fixtures/layouts/amazon/inventory_ledger.md`. Columns are found by
//! header name, in either spelling; `Date`, `FNSKU`, `Disposition`,
//! `Customer Shipments` and `Ending Warehouse Balance` are needed.
//!
//! **What counts.** Units of disposition `SELLABLE` only (damaged,
//! defective and expired units cannot be sold): each day's `Ending
//! Warehouse Balance` is the units on hand at the end of that day, and its
//! `Customer Shipments` (written negative) the units that left for buyers.
//! An FNSKU without a row on a day had none on hand that day. The report
//! must have a row for every day of the period: a day without one is
//! refused rather than read as empty shelves.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::records::{OrderEvent, OrderEventKind};
use super::table::{Row, Table};
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport, dates};
use crate::error::InputError;
use rust_decimal::Decimal;

const DATE: &[&str] = &["Date"];
const FNSKU: &[&str] = &["FNSKU"];
const DISPOSITION: &[&str] = &["Disposition"];
const SHIPMENTS: &[&str] = &["Customer Shipments", "CustomerShipments"];
const ENDING: &[&str] = &["Ending Warehouse Balance", "EndingWarehouseBalance"];
const LOCATION: &[&str] = &["Location"];

/// Whether a header row is the Inventory Ledger's Summary view.
pub fn is_header(headers: &[String]) -> bool {
    let has = |names: &[&str]| names.iter().any(|n| super::has_all(headers, &[n]));
    has(DATE) && has(FNSKU) && has(DISPOSITION) && has(SHIPMENTS) && has(ENDING)
}

/// Reads an Inventory Ledger Summary view by day of Amazon US: per
/// `SELLABLE` row dated in the period one `SellableOnHand` event (its
/// ending balance) and one `ShippedFromStock` event (its customer
/// shipments, as a positive count), dated by `Date` (the marketplace's
/// calendar day; one within a day of the month's bounds is listed in
/// `date_only_near_boundary`).
///
/// **Identity:** each row is a [`Unit`] keyed by day, FNSKU and
/// disposition; its fingerprint is its ending balance and shipments, so
/// overlapping downloads count a day once and disagreeing ones are refused.
///
/// # Errors
/// An [`InputError`] naming the file, line and column: a required column
/// missing or repeated, a monthly summary (`MM/YYYY` dates), a date that
/// is not `MM/DD/YYYY`, a count that is not a whole number, a location
/// other than `US`, or (naming the file) a day of the period without a row.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let date_col = t.require(DATE)?;
    let fnsku_col = t.require(FNSKU)?;
    let disposition_col = t.require(DISPOSITION)?;
    let shipments_col = t.require(SHIPMENTS)?;
    let ending_col = t.require(ENDING)?;
    let location_col = t.column(LOCATION);
    let mut out = ParsedExport::default();
    let mut days = BTreeSet::new();
    for row in &t.rows {
        if [date_col, fnsku_col, ending_col].iter().all(|&c| t.is_blank(row, c)) {
            continue;
        }
        out.rows_total += 1;
        let date = day(t, row, date_col)?;
        let fnsku = t.required_text(row, fnsku_col, "the FNSKU")?;
        let disposition = t.required_text(row, disposition_col, "the disposition")?;
        if let Some(c) = location_col {
            let location = t.text(row, c);
            if !location.is_empty() && location != "US" {
                return Err(t.error(
                    row,
                    c,
                    format!("location {location:?}: kpiseal reads Amazon US (amazon_us), whose ledger says US"),
                ));
            }
        }
        let shipped = -t.whole(row, shipments_col)?;
        if shipped < 0 {
            return Err(t.error(
                row,
                shipments_col,
                "customer shipments are units leaving stock, written 0 or negative",
            ));
        }
        let ending = t.whole(row, ending_col)?;
        out.saw(date);
        let mut unit = Unit::new(
            UnitKey::StockDay { date, fnsku: fnsku.clone(), disposition: disposition.clone() },
            t.location(row.number),
            t.headers[fnsku_col].clone(),
            format!("{fnsku} {disposition} on {date}"),
        );
        unit.fingerprint = Fingerprint::of((ending, shipped));
        unit.summary = format!("{ending} on hand, {shipped} shipped").into();
        if ctx.period.contains(date) {
            days.insert(date);
            out.count_date_only_row(ctx.period, date, row.number);
            unit.rows_in_period = 1;
            if disposition == "SELLABLE" {
                let first = out.events.len();
                out.events.push(stock_event(
                    ctx.market,
                    (row.number, date),
                    &fnsku,
                    OrderEventKind::SellableOnHand,
                    ending,
                ));
                out.events.push(stock_event(
                    ctx.market,
                    (row.number, date),
                    &fnsku,
                    OrderEventKind::ShippedFromStock,
                    shipped,
                ));
                unit.events = first..out.events.len();
            }
        } else {
            out.leave_out(row.number, date);
        }
        out.units.push(unit);
    }
    super::require_every_day(&t.file, &days, ctx.counted, "the Inventory Ledger's Summary view by day")?;
    Ok(out)
}

/// A `MM/DD/YYYY` day (US); a monthly summary's `MM/YYYY` is refused
/// naming the daily view.
fn day(t: &Table, row: &Row, col: usize) -> Result<NaiveDate, InputError> {
    let text = t.text(row, col);
    if text.split('/').count() == 2 {
        return Err(t.error(
            row,
            col,
            format!("{text:?} is a month: the monthly summary has no daily balances; download the Summary view by day"),
        ));
    }
    dates::us_short_date(&text).map_err(|m| t.error(row, col, m))
}

/// A day's count for one FNSKU, from the row at `line`, as an event of no order.
fn stock_event(
    market: crate::market::Market,
    (line, date): (usize, NaiveDate),
    fnsku: &str,
    kind: OrderEventKind,
    units: i64,
) -> OrderEvent {
    OrderEvent {
        market,
        line,
        date,
        order_id: fnsku.into(),
        kind,
        units,
        principal: Decimal::ZERO,
        shipping: Decimal::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::ingest::{Format, read_export};
    use crate::period::Period;

    const HEADER: &str = "\u{feff}Date\tFNSKU\tASIN\tMSKU\tTitle\tDisposition\tStarting Warehouse Balance\tIn Transit Between Warehouses\tReceipts\tCustomer Shipments\tCustomer Returns\tVendor Returns\tWarehouse Transfer In/Out\tFound\tLost\tDamaged\tDisposed\tOther Events\tEnding Warehouse Balance\tUnknown Events\tLocation\tStore\n";

    /// The Summary view (fixtures/layouts/amazon/inventory_ledger.md) for
    /// a short period: two FNSKUs sellable, one damaged unit, each day.
    fn report(days: std::ops::RangeInclusive<u32>) -> String {
        let mut text = HEADER.to_string();
        for d in days {
            let date = format!("10/{d:02}/2026");
            text += &format!(
                "{date}\tX003KLM91Z\tB0C7QK2M1T\tDB-ORTHO-M\tPawRest Dog Bed\tSELLABLE\t{}\t0\t0\t-3\t0\t0\t0\t0\t0\t0\t0\t0\t{}\t0\tUS\t\n",
                103 - d * 3 + 3,
                103 - d * 3
            );
            text += &format!(
                "{date}\tB0B1ZZ9Q4K\tB0B1ZZ9Q4K\tCB-COOLMAT\tChillPad Cooling Mat\tSELLABLE\t50\t0\t0\t-1\t1\t0\t0\t0\t0\t0\t0\t0\t50\t0\tUS\t\n"
            );
            text += &format!(
                "{date}\tB0B1ZZ9Q4K\tB0B1ZZ9Q4K\tCB-COOLMAT\tChillPad Cooling Mat\tCUSTOMER_DAMAGED\t1\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t1\t0\tUS\t\n"
            );
        }
        text
    }

    fn read(text: &str) -> Result<(Format, ParsedExport), InputError> {
        read_export(
            "exports/2026-10/acme-home/ledger-summary.txt",
            text.as_bytes(),
            &IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::AMAZON_US),
        )
    }

    fn total(p: &ParsedExport, kind: OrderEventKind) -> i64 {
        p.events.iter().filter(|e| e.kind == kind).map(|e| e.units).sum()
    }

    #[test]
    fn sellable_units_on_hand_and_shipped_are_summed_over_the_days_and_damaged_units_are_not() {
        let (format, p) = read(&report(1..=31)).unwrap();
        assert_eq!(format, Format::AmazonInventoryLedger);
        assert_eq!((p.rows_total, p.rows_in_period), (93, 93));
        let on_hand: i64 = (1..=31).map(|d| 103 - d * 3 + 50).sum();
        assert_eq!(total(&p, OrderEventKind::SellableOnHand), on_hand);
        assert_eq!(total(&p, OrderEventKind::ShippedFromStock), 31 * 4);
        assert_eq!(p.date_only_near_boundary.len(), 3 * 2, "1 and 31 October carry no time of day");
    }

    #[test]
    fn a_day_of_the_period_without_a_row_is_refused_naming_it() {
        let e = read(&report(1..=30)).unwrap_err();
        assert!(e.message.contains("has no row for 2026-10-31"), "{e}");
    }

    #[test]
    fn the_older_space_less_header_reads_the_same() {
        let older = report(1..=31).replacen("Customer Shipments", "CustomerShipments", 1).replacen(
            "Ending Warehouse Balance",
            "EndingWarehouseBalance",
            1,
        );
        assert_eq!(read(&older).unwrap().1.events, read(&report(1..=31)).unwrap().1.events);
    }

    #[test]
    fn a_monthly_summary_another_location_or_a_positive_shipment_is_refused_naming_the_cell() {
        let e = read(&report(1..=31).replacen("10/05/2026", "10/2026", 1)).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(14), Some("Date")));
        assert!(e.message.contains("by day"), "{e}");
        let e = read(&report(1..=31).replacen("\tUS\t", "\tCA\t", 1)).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("Location"));
        let e = read(&report(1..=31).replacen("\t-3\t", "\t3\t", 1)).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(2), Some("Customer Shipments")));
    }
}
