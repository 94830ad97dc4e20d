//! Amazon's FBA customer returns report
//! (`GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA`, tab-separated) into
//! [`OrderEventKind::Returned`] events: the returned units the return rate
//! divides by shipped units.
//!
//! The layout (columns `return-date`, `order-id`, `sku`, `asin`, `fnsku`,
//! `product-name`, `quantity`, `fulfillment-center-id`,
//! `detailed-disposition`, `reason`, `status`, `license-plate-number`,
//! `customer-comments`; `return-date` an ISO 8601 timestamp with offset) is
//! described, with its sources, in `fixtures/layouts/amazon/`. Columns are
//! found by header name; only `return-date`, `order-id`, `sku` and
//! `quantity` are needed.

use super::records::{OrderEvent, OrderEventKind};
use super::table::Table;
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport, dates};
use crate::error::InputError;
use rust_decimal::Decimal;

const RETURN_DATE: &[&str] = &["return-date"];
/// `order-id` in the download; Amazon's help pages name it `amazon-order-id`.
const ORDER_ID: &[&str] = &["order-id", "amazon-order-id"];
const SKU: &[&str] = &["sku"];
const QUANTITY: &[&str] = &["quantity"];
const LICENSE_PLATE: &[&str] = &["license-plate-number"];

/// Whether a header row is an FBA customer returns report's.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["return-date", "sku", "quantity", "detailed-disposition"])
        && ORDER_ID.iter().any(|name| super::has_all(headers, &[name]))
}

/// Reads an FBA customer returns report into one `Returned` event of
/// `ctx.market` (an Amazon site) per row, dated by `return-date` brought to the
/// market's time zone (`ctx.tz`), with `quantity` as its units.
///
/// **What counts:** every row, whatever its `detailed-disposition`
/// (sellable, damaged, defective), `reason` or `status`: each is a unit the
/// buyer sent back and Amazon received. Rows dated outside the period are
/// skipped (a report downloaded with days either side) but still widen the
/// file's dates.
///
/// **Identity:** each row is a [`Unit`] keyed by order, SKU, license plate
/// number and the return timestamp as written, so the same return in two
/// overlapping downloads is counted once (`crate::dedup`). Its fingerprint
/// is the quantity only: Amazon updates a row's `status` (e.g. to
/// "Reimbursed") between downloads, which is not a different return.
///
/// # Errors
/// An [`InputError`] naming the file, line and column: a required column
/// missing or repeated, a return date that is not a date, a blank order id
/// or SKU, or a quantity that is not a whole number of at least 1.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let date_col = t.require(RETURN_DATE)?;
    let order_col = t.require(ORDER_ID)?;
    let sku_col = t.require(SKU)?;
    let quantity_col = t.require(QUANTITY)?;
    let plate_col = t.column(LICENSE_PLATE);
    let mut out = ParsedExport::default();
    for row in &t.rows {
        if [date_col, order_col, sku_col, quantity_col].iter().all(|&c| t.is_blank(row, c)) {
            continue;
        }
        out.rows_total += 1;
        let written = t.text(row, date_col);
        let date = dates::amazon_local_date(&written, ctx.tz).map_err(|m| t.error(row, date_col, m))?;
        let order_id = t.required_text(row, order_col, "the order id")?;
        let sku = t.required_text(row, sku_col, "the SKU")?;
        let units = t.whole(row, quantity_col)?;
        if units < 1 {
            return Err(t.error(row, quantity_col, format!("quantity {units}: a return row returns at least 1 unit")));
        }
        out.saw(date);
        let plate = plate_col.map(|c| t.text(row, c)).filter(|p| !p.is_empty());
        let label = match &plate {
            Some(p) => format!("return {p} of {sku} on order {order_id}"),
            None => format!("return of {sku} on order {order_id} at {written}"),
        };
        let key = UnitKey::Return { order_id: order_id.clone(), sku: sku.clone(), license_plate: plate, at: written };
        let mut unit = Unit::new(key, t.location(row.number), t.headers[order_col].clone(), label);
        unit.fingerprint = Fingerprint::of(units);
        unit.summary = format!("quantity {units}, returned {date}").into();
        if ctx.period.contains(date) {
            out.rows_in_period += 1;
            unit.rows_in_period = 1;
            unit.events = out.events.len()..out.events.len() + 1;
            out.events.push(OrderEvent {
                market: ctx.market,
                line: row.number,
                date,
                order_id: order_id.into(),
                kind: OrderEventKind::Returned,
                units,
                principal: Decimal::ZERO,
                shipping: Decimal::ZERO,
            });
        } else {
            out.leave_out(row.number, date);
        }
        out.units.push(unit);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::error::Location;
    use crate::ingest::{Format, read_export};
    use crate::period::Period;

    /// The report's real header (fixtures/layouts/amazon/fba_customer_returns.md)
    /// with October 2026 rows: one on each side of the month, one late on
    /// 31 October in Los Angeles that is 1 November in UTC, one early on
    /// 1 October in UTC that is 30 September in Los Angeles.
    const REPORT: &str = "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments
2026-09-28T17:02:11+00:00\t113-0000001-0000001\tDB-ORTHO-M\tB0C7QK2M1T\tX003KLM91Z\tPawRest Orthopedic Dog Bed, Medium\t1\tLGB8\tSELLABLE\tUNWANTED_ITEM\tUnit returned to inventory\tLPNRR0000000001\t
2026-10-01T05:30:00+00:00\t113-0000002-0000002\tDB-ORTHO-L\tB0C7QK5X8P\tX003KLN22A\tPawRest Orthopedic Dog Bed, Large\t1\tONT8\tCUSTOMER_DAMAGED\tNOT_AS_DESCRIBED\tUnit returned to inventory\tLPNRR0000000002\tthinner than shown
2026-10-14T19:05:19+00:00\t113-0000003-0000003\tCB-COOLMAT\tB0B1ZZ9Q4K\tB0B1ZZ9Q4K\tChillPad Cooling Mat\t2\tLEX1\tDEFECTIVE\tDEFECTIVE\tReimbursed\tLPNRR0000000003\t
2026-10-20T08:20:55+00:00\t113-0000004-0000004\tDB-ORTHO-S\tB0C7QK9A1B\tX003KLP07C\tPawRest Orthopedic Dog Bed, Small\t1\tSBD1\tCARRIER_DAMAGED\tDAMAGED_BY_CARRIER\tReimbursed\t\t
2026-11-01T03:10:00+00:00\t113-0000005-0000005\tDB-ORTHO-M\tB0C7QK2M1T\tX003KLM91Z\tPawRest Orthopedic Dog Bed, Medium\t3\tLGB8\tSELLABLE\tAPPAREL_TOO_SMALL\tRepackaged Successfully\tLPNRR0000000005\t
2026-11-02T10:00:00+00:00\t113-0000006-0000006\tDB-ORTHO-M\tB0C7QK2M1T\tX003KLM91Z\tPawRest Orthopedic Dog Bed, Medium\t1\tLGB8\tSELLABLE\tUNWANTED_ITEM\tUnit returned to inventory\tLPNRR0000000006\t
";

    fn read(text: &str) -> Result<(Format, ParsedExport), InputError> {
        read_export(
            "exports/2026-10/acme-home/returns.txt",
            text.as_bytes(),
            &IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::AMAZON_US),
        )
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn the_report_is_told_by_its_header_and_each_row_returns_its_quantity_on_its_los_angeles_date() {
        let (format, parsed) = read(REPORT).unwrap();
        assert_eq!(format, Format::AmazonFbaReturns);
        assert_eq!((parsed.rows_total, parsed.rows_in_period), (6, 3));
        let got: Vec<(NaiveDate, &str, i64)> =
            parsed.events.iter().map(|e| (e.date, e.order_id.as_str(), e.units)).collect();
        assert_eq!(
            got,
            [
                (day(10, 14), "113-0000003-0000003", 2),
                (day(10, 20), "113-0000004-0000004", 1),
                (day(10, 31), "113-0000005-0000005", 3),
            ],
            "01 Oct 05:30 UTC is 30 September in Los Angeles; 1 Nov 03:10 UTC is 31 October there"
        );
        assert!(parsed.events.iter().all(|e| e.kind == OrderEventKind::Returned && e.principal.is_zero()));
        assert_eq!(parsed.dates, Some((day(9, 28), day(11, 2))));
    }

    #[test]
    fn every_row_is_a_unit_keyed_by_order_sku_plate_and_timestamp_so_overlapping_downloads_count_once() {
        let (_, parsed) = read(REPORT).unwrap();
        assert_eq!(parsed.units.len(), 6);
        assert_eq!(
            parsed.units[2].key,
            UnitKey::Return {
                order_id: "113-0000003-0000003".into(),
                sku: "CB-COOLMAT".into(),
                license_plate: Some("LPNRR0000000003".into()),
                at: "2026-10-14T19:05:19+00:00".into(),
            }
        );
        assert!(matches!(&parsed.units[3].key, UnitKey::Return { license_plate: None, .. }));
        assert_eq!(parsed.units[2].events, 0..1);
        assert_eq!(parsed.units[0].events, 0..0, "a row outside the period carries no fact");
        // A later download where Amazon changed the status is the same return.
        let (_, later) =
            read(&REPORT.replace("Reimbursed\tLPNRR0000000003", "Unit returned to inventory\tLPNRR0000000003"))
                .unwrap();
        assert_eq!(later.units[2].key, parsed.units[2].key);
        assert_eq!(later.units[2].fingerprint, parsed.units[2].fingerprint);
    }

    #[test]
    fn a_quantity_below_one_or_not_whole_is_refused_naming_line_and_column() {
        let e = read(&REPORT.replace(
            "CB-COOLMAT\tB0B1ZZ9Q4K\tB0B1ZZ9Q4K\tChillPad Cooling Mat\t2",
            "CB-COOLMAT\tB0B1ZZ9Q4K\tB0B1ZZ9Q4K\tChillPad Cooling Mat\t0",
        ))
        .unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(4), Some("quantity")));
        assert!(e.message.contains("quantity 0"), "{e}");
        let e = read(&REPORT.replace("Cooling Mat\t2", "Cooling Mat\t1.5")).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("quantity"), "{e}");
    }

    #[test]
    fn an_unreadable_return_date_or_a_missing_order_id_is_refused_naming_the_cell() {
        let e = read(&REPORT.replace("2026-10-14T19:05:19+00:00", "mid October")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(4), Some("return-date")));
        let e = read(&REPORT.replace("113-0000004-0000004", "")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(5), Some("order-id")));
        assert!(e.message.contains("order id is missing"), "{e}");
    }

    #[test]
    fn the_order_id_column_may_carry_the_name_amazons_help_pages_give_it() {
        let (format, parsed) = read(&REPORT.replacen("\torder-id\t", "\tamazon-order-id\t", 1)).unwrap();
        assert_eq!((format, parsed.events.len()), (Format::AmazonFbaReturns, 3));
    }

    #[test]
    fn a_header_without_quantity_is_not_this_report() {
        let e = read(&REPORT.replace("\tquantity\t", "\tqty\t")).unwrap_err();
        assert!(e.message.starts_with("unrecognised export format"), "{e}");
    }
}
