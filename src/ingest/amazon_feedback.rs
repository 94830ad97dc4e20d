//! Amazon's seller Feedback report (`GET_SELLER_FEEDBACK_DATA`,
//! tab-separated: `Date`, `Rating`, `Comments`, `Your Response`,
//! `Order ID`, `Rater Email`) into feedback events: what the negative
//! feedback rate divides.
//!
//! The layout, its sources and what is not confirmed are in
//! `fixtures/layouts/amazon/seller_feedback.md`. The `Date` column is a
//! calendar date whose form depends on the marketplace; kpiseal reads
//! Amazon US, which writes it month first with a two-digit year and no
//! zero padding (`6/2/25`). Columns are found by header name; `Date`,
//! `Rating` and `Order ID` are needed.

use super::records::{OrderEvent, OrderEventKind, OrderId};
use super::table::Table;
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport, dates};
use crate::error::InputError;
use rust_decimal::Decimal;

const DATE: &[&str] = &["Date"];
const RATING: &[&str] = &["Rating"];
const ORDER_ID: &[&str] = &["Order ID"];

/// Whether a header row is a seller Feedback report's.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["Date", "Rating", "Comments", "Order ID"])
}

/// Reads a seller Feedback report of Amazon US: per row one
/// `FeedbackReceived` event, and one `FeedbackNegative` more when the
/// rating is 1 or 2, dated by `Date` (the marketplace's calendar date, used
/// as written: it has no time of day, so a contract's own time zone cannot
/// move it; rows within a day of the month's first or last day are listed
/// in `date_only_near_boundary` for the note that says so).
///
/// **Identity:** a buyer leaves at most one feedback per order, so each row
/// is a [`Unit`] keyed by its order id; its fingerprint is the date and
/// rating. The same feedback in two overlapping downloads counts once; two
/// downloads that disagree (a buyer who changed the rating in between) are
/// refused by `crate::dedup`, naming both rows, rather than one picked.
///
/// # Errors
/// An [`InputError`] naming the file, line and column: a required column
/// missing or repeated, a date that is not `M/D/YY` (or `MM/DD/YYYY`,
/// `YYYY-MM-DD`), a rating that is not a whole number from 1 to 5, or a
/// blank order id.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let date_col = t.require(DATE)?;
    let rating_col = t.require(RATING)?;
    let order_col = t.require(ORDER_ID)?;
    let mut out = ParsedExport::default();
    for row in &t.rows {
        if [date_col, rating_col, order_col].iter().all(|&c| t.is_blank(row, c)) {
            continue;
        }
        out.rows_total += 1;
        let date = dates::us_short_date(&t.text(row, date_col)).map_err(|m| t.error(row, date_col, m))?;
        let rating = t.whole(row, rating_col)?;
        if !(1..=5).contains(&rating) {
            return Err(t.error(row, rating_col, format!("rating {rating}; Amazon feedback is rated 1 to 5 stars")));
        }
        let order_id = t.required_text(row, order_col, "the order id")?;
        out.saw(date);
        let mut unit = Unit::new(
            UnitKey::Feedback { order_id: order_id.clone() },
            t.location(row.number),
            t.headers[order_col].clone(),
            format!("feedback on order {order_id}"),
        );
        unit.fingerprint = Fingerprint::of((date, rating));
        unit.summary = format!("{rating} stars on {date}").into();
        if ctx.period.contains(date) {
            out.count_date_only_row(ctx.period, date, row.number);
            unit.rows_in_period = 1;
            let first = out.events.len();
            let order_id = OrderId::from(order_id.as_str());
            let event = |kind| OrderEvent {
                market: ctx.market,
                line: row.number,
                date,
                order_id: order_id.clone(),
                kind,
                units: 1,
                principal: Decimal::ZERO,
                shipping: Decimal::ZERO,
            };
            out.events.push(event(OrderEventKind::FeedbackReceived));
            if rating <= 2 {
                out.events.push(event(OrderEventKind::FeedbackNegative));
            }
            unit.events = first..out.events.len();
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

    /// The report's header (fixtures/layouts/amazon/seller_feedback.md) with
    /// October 2026 rows in Amazon US's date form, one on each side of the month.
    const REPORT: &str = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email
9/30/26\t1\tNever arrived\t\t113-0000001-0000001\tx7lq2m9d3kzr8bw@marketplace.amazon.com
10/1/26\t5\tArrived early, exactly as described\t\t113-0000002-0000002\tp0wz4n1c8tyv2hx@marketplace.amazon.com
10/14/26\t2\tWrong colour sent\tWe are sorry - a replacement is on its way.\t113-0000003-0000003\tm3bk9r5q1sdl7ae@marketplace.amazon.com
10/20/26\t3\tok\t\t113-0000004-0000004\tc8ht2v6n4jwx0uf@marketplace.amazon.com
10/31/26\t1\tStopped working after a week\t\t113-0000005-0000005\tr1yq7d3m9gnb5kp@marketplace.amazon.com
11/1/26\t4\tGood\t\t113-0000006-0000006\tf6ae0s2l8zuc4tw@marketplace.amazon.com
";

    fn read(text: &str) -> Result<(Format, ParsedExport), InputError> {
        read_export(
            "exports/2026-10/acme-home/feedback.txt",
            text.as_bytes(),
            &IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::AMAZON_US),
        )
    }

    #[test]
    fn each_feedback_of_the_period_is_received_and_ratings_of_1_or_2_are_also_negative() {
        let (format, parsed) = read(REPORT).unwrap();
        assert_eq!(format, Format::AmazonFeedback);
        assert_eq!((parsed.rows_total, parsed.rows_in_period), (6, 4));
        let count = |kind| parsed.events.iter().filter(|e| e.kind == kind).count();
        assert_eq!((count(OrderEventKind::FeedbackReceived), count(OrderEventKind::FeedbackNegative)), (4, 2));
        assert_eq!(
            parsed.dates,
            Some((NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()))
        );
        assert_eq!(parsed.date_only_near_boundary, [3, 6], "1 and 31 October carry no time of day");
        assert_eq!(parsed.units[2].key, UnitKey::Feedback { order_id: "113-0000003-0000003".into() });
        assert_eq!(parsed.units[2].events, 1..3);
    }

    #[test]
    fn a_rating_outside_1_to_5_or_a_day_month_date_is_refused_naming_the_cell() {
        let e = read(&REPORT.replace("10/20/26\t3", "10/20/26\t6")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(5), Some("Rating")));
        assert!(e.message.contains("rated 1 to 5"), "{e}");
        let e = read(&REPORT.replace("10/20/26", "20/10/26")).unwrap_err();
        assert_eq!((e.location.clone(), e.column.as_deref()), (Location::Line(5), Some("Date")));
        assert!(e.message.contains("M/D/YY"), "{e}");
    }

    #[test]
    fn us_dates_read_with_or_without_zero_padding_and_with_four_digit_years() {
        for (text, expected) in [("6/2/25", (2025, 6, 2)), ("06/02/2025", (2025, 6, 2)), ("2025-06-02", (2025, 6, 2))] {
            let (y, m, d) = expected;
            assert_eq!(dates::us_short_date(text), Ok(NaiveDate::from_ymd_opt(y, m, d).unwrap()), "{text}");
        }
        assert!(dates::us_short_date("13/2/25").is_err());
        assert!(dates::us_short_date("6/2/1925").is_err(), "outside the plausible years");
    }
}
