//! Amazon's merchant-fulfilled returns report
//! (`GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE`, tab-separated: `Order ID`,
//! `Order date`, `Return request date`, `Return request status`, …,
//! `Merchant SKU`, …, `Return quantity`, …, `Return delivery date`, …) into
//! [`OrderEventKind::Returned`] events, as the FBA customer returns report
//! gives them for FBA orders.
//!
//! The layout and its sources are in `fixtures/layouts/amazon/mfn_returns.md`:
//! dates are `DD-Mon-YYYY` (`10-Jul-2025`), calendar dates without a time of
//! day; empty cells are often a single space. Each row is a return
//! *request*: a unit counts as returned when it has come back, i.e. on its
//! `Return delivery date`, as the FBA report dates a return when the
//! fulfilment centre receives it. Requests not yet delivered are listed in
//! [`ParsedExport::notes`] for the data note that says they
//! were not counted.

use chrono::NaiveDate;

use super::records::{OrderEvent, OrderEventKind};
use super::table::{Row, Table};
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport};
use crate::error::InputError;
use crate::notes::NoteKind;
use rust_decimal::Decimal;

const ORDER_ID: &[&str] = &["Order ID"];
const REQUEST_DATE: &[&str] = &["Return request date"];
const SKU: &[&str] = &["Merchant SKU"];
const QUANTITY: &[&str] = &["Return quantity"];
const DELIVERY_DATE: &[&str] = &["Return delivery date"];
const RMA: &[&str] = &["Amazon RMA ID"];

/// Whether a header row is the merchant-fulfilled returns report's.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(
        headers,
        &["Order ID", "Return request date", "Merchant SKU", "Return quantity", "Return delivery date"],
    )
}

/// Reads a merchant-fulfilled returns report of Amazon US: per row
/// delivered back in the period, one `Returned` event of its `Return
/// quantity`, dated by `Return delivery date` (a calendar date, used as
/// written; rows within a day of the month's first or last day are listed
/// in `date_only_near_boundary`). Rows without a delivery date (requested,
/// not yet back) count nothing and are listed in a `ReturnsNotDelivered` note
/// when requested in the period or before it.
///
/// **Identity:** each row is a [`Unit`] keyed by order, SKU, Amazon RMA id
/// and request date, so the same request in two overlapping downloads
/// counts once; its fingerprint is the quantity and the delivery date (a
/// later download that shows the unit delivered is a different state, and
/// two such copies are refused by `crate::dedup` rather than one picked).
///
/// # Errors
/// An [`InputError`] naming the file, line and column: a required column
/// missing or repeated, a date that is not `DD-Mon-YYYY`, a blank order id
/// or SKU, or a quantity that is not a whole number of at least 1.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let order_col = t.require(ORDER_ID)?;
    let request_col = t.require(REQUEST_DATE)?;
    let sku_col = t.require(SKU)?;
    let quantity_col = t.require(QUANTITY)?;
    let delivery_col = t.require(DELIVERY_DATE)?;
    let rma_col = t.column(RMA);
    let mut out = ParsedExport::default();
    let mut undelivered = Vec::new();
    for row in &t.rows {
        if [order_col, request_col, sku_col, quantity_col].iter().all(|&c| t.is_blank(row, c)) {
            continue;
        }
        out.rows_total += 1;
        let requested = date(t, row, request_col)?.ok_or_else(|| t.error(row, request_col, "the date is missing"))?;
        let delivered = date(t, row, delivery_col)?;
        let order_id = t.required_text(row, order_col, "the order id")?;
        let sku = t.required_text(row, sku_col, "the SKU")?;
        let units = t.whole(row, quantity_col)?;
        if units < 1 {
            return Err(t.error(
                row,
                quantity_col,
                format!("quantity {units}: a return request returns at least 1 unit"),
            ));
        }
        out.saw(requested);
        if let Some(d) = delivered {
            out.saw(d);
        }
        let rma = rma_col.map(|c| t.text(row, c)).filter(|r| !r.is_empty());
        let label = match &rma {
            Some(r) => format!("return {r} of {sku} on order {order_id}"),
            None => format!("return of {sku} on order {order_id} requested {requested}"),
        };
        let key = UnitKey::Return { order_id: order_id.clone(), sku, license_plate: rma, at: requested.to_string() };
        let mut unit = Unit::new(key, t.location(row.number), t.headers[order_col].clone(), label);
        unit.fingerprint = Fingerprint::of((units, delivered));
        unit.summary = match delivered {
            Some(d) => format!("quantity {units}, delivered back {d}"),
            None => format!("quantity {units}, not delivered back"),
        }
        .into();
        match delivered {
            Some(d) if ctx.period.contains(d) => {
                out.count_date_only_row(ctx.period, d, row.number);
                unit.rows_in_period = 1;
                unit.events = out.events.len()..out.events.len() + 1;
                out.events.push(OrderEvent {
                    market: ctx.market,
                    line: row.number,
                    date: d,
                    order_id: order_id.into(),
                    kind: OrderEventKind::Returned,
                    units,
                    principal: Decimal::ZERO,
                    shipping: Decimal::ZERO,
                });
            }
            None if requested <= ctx.period.last_day() => undelivered.push(row.number),
            Some(d) => out.leave_out(row.number, d),
            None => out.leave_out(row.number, requested),
        }
        out.units.push(unit);
    }
    if !undelivered.is_empty() {
        let note = NoteKind::ReturnsNotDelivered { file: t.file.clone(), rows: undelivered.len().to_string() };
        out.notes.push((note, undelivered));
    }
    Ok(out)
}

/// A `DD-Mon-YYYY` cell (`10-Jul-2025`); `None` when blank.
fn date(t: &Table, row: &Row, col: usize) -> Result<Option<NaiveDate>, InputError> {
    let text = t.text(row, col);
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(&text, "%d-%b-%Y")
        .map_err(|_| format!("{text:?} is not a date (expected DD-Mon-YYYY as the report writes it, e.g. 10-Jul-2026)"))
        .and_then(|d| super::dates::plausible(d, &text))
        .map(Some)
        .map_err(|m| t.error(row, col, m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::ingest::{Format, read_export};
    use crate::period::Period;

    /// The report's real header (fixtures/layouts/amazon/mfn_returns.md) with
    /// October 2026 requests: delivered inside the month, on its last day,
    /// after it, not yet delivered (a single space, as Amazon writes blanks).
    const REPORT: &str = "Order ID\tOrder date\tReturn request date\tReturn request status\tAmazon RMA ID\tMerchant RMA ID\tLabel type\tLabel cost\tCurrency code\tReturn carrier\tTracking ID\tLabel to be paid by\tA-to-Z Claim\tIs prime\tASIN\tMerchant SKU\tItem Name\tReturn quantity\tReturn Reason\tIn policy\tReturn type\tResolution\tInvoice number\tReturn delivery date\tOrder Amount\tOrder quantity
113-0000001-0000001\t20-Sep-2026\t02-Oct-2026\tApproved\tDfqRyqfBRRMA\t \tAmazonPrePaidLabel\t4.14\tUSD\tUSPS\t9202090339598363834190\tSeller\tN\tN\tB0DFN2HN9N\tAH-LAMP-ARC-BR\tArc Floor Lamp\t2\tAMZ-PG-WJ-TOO-SMALL\tY\tC-Returns\tStandardRefund\t \t09-Oct-2026\t259.98\t2
113-0000002-0000002\t01-Oct-2026\t20-Oct-2026\tApproved\tDjMbMZrvRRMA\t \tAmazonPrePaidLabel\t4.13\tUSD\tUPS\t1Z999AA10123456784\tSeller\tN\tY\tB0DB5S9PL2\tAH-RUG-810-WSH\tWashable Rug\t1\tCR-UNWANTED_ITEM\tY\tC-Returns\tStandardRefund\t \t31-Oct-2026\t189.99\t1
113-0000003-0000003\t10-Oct-2026\t25-Oct-2026\tApproved\tDkQwErtyRRMA\t \tAmazonPrePaidLabel\t4.13\tUSD\tUSPS\t9202090339598363834191\tSeller\tN\tN\tB0C4N7JW3E\tAH-LAMP-ARC-BR\tArc Floor Lamp\t1\tCR-DEFECTIVE\tY\tC-Returns\tStandardRefund\t \t03-Nov-2026\t129.99\t1
113-0000004-0000004\t15-Oct-2026\t28-Oct-2026\tApproved\tDzXcVbnmRRMA\t \tAmazonPrePaidLabel\t4.13\tUSD\tUSPS\t9202090339598363834192\tSeller\tN\tN\tB0C4N7JW3E\tAH-LAMP-ARC-BR\tArc Floor Lamp\t1\tCR-ORDERED_WRONG_ITEM\tY\tC-Returns\tStandardRefund\t \t \t129.99\t1
";

    fn read(text: &str) -> Result<(Format, ParsedExport), InputError> {
        read_export(
            "exports/2026-10/acme-home/returns-mfn.txt",
            text.as_bytes(),
            &IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::AMAZON_US),
        )
    }

    #[test]
    fn units_count_when_delivered_back_in_the_period_and_undelivered_requests_are_listed() {
        let (format, parsed) = read(REPORT).unwrap();
        assert_eq!(format, Format::AmazonMfnReturns);
        assert_eq!((parsed.rows_total, parsed.rows_in_period), (4, 2));
        let got: Vec<(u32, i64)> = parsed.events.iter().map(|e| (chrono::Datelike::day(&e.date), e.units)).collect();
        assert_eq!(got, [(9, 2), (31, 1)], "delivered 9 and 31 October; 3 November is next month's");
        let note = NoteKind::ReturnsNotDelivered {
            file: "exports/2026-10/acme-home/returns-mfn.txt".into(),
            rows: "1".into(),
        };
        assert_eq!(parsed.notes, [(note, vec![5])]);
        assert_eq!(parsed.date_only_near_boundary, [3]);
    }

    #[test]
    fn a_date_not_in_dd_mon_yyyy_or_a_zero_quantity_is_refused_naming_the_cell() {
        let e = read(&REPORT.replace("02-Oct-2026", "2026-10-02")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(2), Some("Return request date")));
        assert!(e.message.contains("DD-Mon-YYYY"), "{e}");
        let e = read(&REPORT.replace("Washable Rug\t1", "Washable Rug\t0")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(3), Some("Return quantity")));
    }
}
