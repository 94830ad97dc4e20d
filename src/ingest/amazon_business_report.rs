//! Amazon's Business Report by date ("Detail Page Sales and Traffic", CSV
//! as Seller Central downloads it: one row per calendar day) into the
//! sessions, units ordered and order items the conversion rate is made of.
//!
//! The layout, its sources and what is inferred are in
//! `fixtures/layouts/amazon/business_report_by_date.md`: comma-separated,
//! money with `$` and thousands separators (`"$2,238.44"`), counts with
//! thousands separators (`"1,514"`), percentages with `%`. Columns are found
//! by header name; `Date`, `Units Ordered`, `Total Order Items` and
//! `Sessions - Total` are needed. The `- B2B` columns are the business
//! buyers' part of each total and are not added again.
//!
//! The Business Report **by child item** sums a date range the seller
//! chose and writes no date, so its period cannot be checked: it is refused
//! with a message that names the by-date report instead.

use chrono::NaiveDate;

use super::records::{OrderEvent, OrderEventKind, OrderId};
use super::table::Table;
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport, dates};
use crate::error::InputError;
use rust_decimal::Decimal;

const DATE: &[&str] = &["Date"];
const UNITS: &[&str] = &["Units Ordered"];
const ITEMS: &[&str] = &["Total Order Items"];
const SESSIONS: &[&str] = &["Sessions - Total", "Sessions"];

/// Whether a header row is a Business Report's, by date or by child item.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["Units Ordered", "Total Order Items"])
        && SESSIONS.iter().any(|s| super::has_all(headers, &[s]))
}

/// Reads a Business Report by date of Amazon US: per day of the period one
/// `Sessions`, one `UnitsOrdered` and one `OrderItems` event carrying the
/// day's counts, dated by `Date` (the marketplace's calendar day, month
/// first as the US site writes it; a day within a day of the month's
/// bounds is listed in `date_only_near_boundary`, as the report cannot be
/// moved to another time zone).
///
/// **Identity:** each row is a [`Unit`] keyed by its day; its fingerprint
/// is its three counts. The same day in two overlapping downloads counts
/// once; two downloads that disagree on a day (one made before Amazon
/// finished counting it) are refused by `crate::dedup`, naming both rows.
///
/// # Errors
/// An [`InputError`] naming the file, line and column: the by-child-item
/// report (no `Date` column), a required column missing or repeated, a date
/// that is not `M/D/YY`, or a count that is not a whole number of at least 0;
/// naming the file, a day of the period without a row (a download of part
/// of the month would give part of the month's conversion).
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    if t.column(DATE).is_none() {
        return Err(InputError::file(
            &t.file,
            "is a Business Report by child item (or by parent item): it sums a date range it does not write, so its \
             period cannot be checked; download the Business Report by date (Reports → Business Reports → By Date → \
             Detail Page Sales and Traffic) for the period instead",
        ));
    }
    let date_col = t.require(DATE)?;
    let units_col = t.require(UNITS)?;
    let items_col = t.require(ITEMS)?;
    let sessions_col = t.require(SESSIONS)?;
    let mut out = ParsedExport::default();
    let mut days = std::collections::BTreeSet::new();
    for row in &t.rows {
        if [date_col, units_col, items_col, sessions_col].iter().all(|&c| t.is_blank(row, c)) {
            continue;
        }
        out.rows_total += 1;
        let date = dates::us_short_date(&t.text(row, date_col)).map_err(|m| t.error(row, date_col, m))?;
        let count = |col: usize| -> Result<i64, InputError> {
            let n = t.whole(row, col)?;
            if n < 0 { Err(t.error(row, col, format!("{n}: a count of the day is at least 0"))) } else { Ok(n) }
        };
        let (units, items, sessions) = (count(units_col)?, count(items_col)?, count(sessions_col)?);
        out.saw(date);
        let mut unit = Unit::new(
            UnitKey::TrafficDay { date },
            t.location(row.number),
            t.headers[date_col].clone(),
            format!("traffic of {date}"),
        );
        unit.fingerprint = Fingerprint::of((units, items, sessions));
        unit.summary = format!("{sessions} sessions, {units} units, {items} order items").into();
        if ctx.period.contains(date) {
            days.insert(date);
            out.count_date_only_row(ctx.period, date, row.number);
            unit.rows_in_period = 1;
            let first = out.events.len();
            for (kind, n) in [
                (OrderEventKind::Sessions, sessions),
                (OrderEventKind::UnitsOrdered, units),
                (OrderEventKind::OrderItems, items),
            ] {
                out.events.push(day_event(ctx.market, row.number, date, kind, n));
            }
            unit.events = first..out.events.len();
        } else {
            out.leave_out(row.number, date);
        }
        out.units.push(unit);
    }
    super::require_every_day(&t.file, &days, ctx.counted, "the Business Report by date")?;
    Ok(out)
}

/// A day's count, from the row at `line`, as an event of no order.
fn day_event(
    market: crate::market::Market,
    line: usize,
    date: NaiveDate,
    kind: OrderEventKind,
    count: i64,
) -> OrderEvent {
    OrderEvent {
        market,
        line,
        date,
        order_id: OrderId::default(),
        kind,
        units: count,
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

    /// The report's default header (fixtures/layouts/amazon/business_report_by_date.md)
    /// with US formatting: a day on each side of October 2026 and three in it.
    const REPORT: &str = "Date,Ordered Product Sales,Ordered Product Sales - B2B,Units Ordered,Units Ordered - B2B,Total Order Items,Total Order Items - B2B,Average Sales per Order Item,Average Sales per Order Item - B2B,Average Units per Order Item,Average Units per Order Item - B2B,Average Selling Price,Average Selling Price - B2B,Sessions - Total,Sessions - Total - B2B,Order Item Session Percentage,Order Item Session Percentage - B2B,Average Offer Count
9/30/26,\"$2,238.44\",$49.99,43,1,40,1,$55.96,$49.99,1.08,1.00,$52.06,$49.99,\"1,000\",21,4.00%,4.76%,238
10/1/26,\"$1,917.70\",$0.00,38,0,36,0,$53.27,$0.00,1.06,0.00,$50.47,$0.00,\"1,214\",18,2.97%,0.00%,238
10/15/26,\"$2,650.72\",$139.98,54,2,51,2,$51.97,$69.99,1.06,1.00,$49.09,$69.99,\"1,388\",30,3.67%,6.67%,239
10/31/26,$989.70,$0.00,21,0,21,0,$47.13,$0.00,1.00,0.00,$47.13,$0.00,906,12,2.32%,0.00%,239
11/1/26,$0.00,$0.00,0,0,0,0,$0.00,$0.00,0.00,0.00,$0.00,$0.00,812,9,0.00%,0.00%,239
";

    /// `text` read as it is.
    fn read_as_is(text: &str) -> Result<(Format, ParsedExport), InputError> {
        read_export(
            "exports/2026-10/acme-home/BusinessReport-10-1-26.csv",
            text.as_bytes(),
            &IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::AMAZON_US),
        )
    }

    /// `text` with a row of no traffic appended for each October day it
    /// lacks (the report has a row for every day), then read.
    fn read(text: &str) -> Result<(Format, ParsedExport), InputError> {
        let mut full = text.to_string();
        for day in 1..=31 {
            if !text.lines().any(|l| l.starts_with(&format!("10/{day}/26,"))) {
                full +=
                    &format!("10/{day}/26,$0.00,$0.00,0,0,0,0,$0.00,$0.00,0.00,0.00,$0.00,$0.00,0,0,0.00%,0.00%,239\n");
            }
        }
        read_as_is(&full)
    }

    fn total(p: &ParsedExport, kind: OrderEventKind) -> i64 {
        p.events.iter().filter(|e| e.kind == kind).map(|e| e.units).sum()
    }

    #[test]
    fn each_day_of_the_period_gives_its_sessions_units_and_order_items_with_thousands_separators_read() {
        let (format, p) = read(REPORT).unwrap();
        assert_eq!(format, Format::AmazonBusinessReport);
        assert_eq!((p.rows_total, p.rows_in_period), (5 + 28, 3 + 28), "28 October days without traffic added");
        assert_eq!(total(&p, OrderEventKind::Sessions), 1214 + 1388 + 906);
        assert_eq!(total(&p, OrderEventKind::UnitsOrdered), 38 + 54 + 21);
        assert_eq!(total(&p, OrderEventKind::OrderItems), 36 + 51 + 21);
        assert_eq!(p.date_only_near_boundary, [3, 5], "1 and 31 October carry no time of day");
        assert_eq!(p.units[2].key, UnitKey::TrafficDay { date: NaiveDate::from_ymd_opt(2026, 10, 15).unwrap() });
    }

    #[test]
    fn the_child_item_report_without_dates_is_refused_naming_the_by_date_report() {
        let child = "(Parent) ASIN,(Child) ASIN,Title,SKU,Sessions - Total,Sessions - Total - B2B,Session Percentage - Total,Page Views - Total,Featured Offer (Buy Box) Percentage,Units Ordered,Units Ordered - B2B,Unit Session Percentage,Ordered Product Sales,Total Order Items
B0C7QK2M1T,B0C7QK2M1T,PawRest Dog Bed,DB-ORTHO-M,\"1,000\",21,4.00%,\"1,500\",98.00%,43,1,4.30%,\"$2,238.44\",40
";
        let e = read_as_is(child).unwrap_err();
        assert!(e.message.contains("by child item") && e.message.contains("By Date"), "{e}");
    }

    #[test]
    fn a_day_of_the_period_without_a_row_is_refused_naming_it() {
        let e = read_as_is(REPORT).unwrap_err();
        assert!(
            e.message.contains("has no row for 2026-10-02") && e.message.contains("Business Report by date"),
            "{e}"
        );
    }

    #[test]
    fn a_negative_or_fractional_count_or_a_day_month_date_is_refused_naming_the_cell() {
        let e = read(&REPORT.replace("\"1,388\"", "-1")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(4), Some("Sessions - Total")));
        let e = read(&REPORT.replace(",54,2,", ",54.5,2,")).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("Units Ordered"));
        let e = read(&REPORT.replace("10/15/26", "15/10/26")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(4), Some("Date")));
    }
}
