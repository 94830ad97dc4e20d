//! Amazon's Date Range report (Payments → Reports Repository → Date Range
//! Reports → Transaction, CSV) into money lines and order events, for
//! sellers who download it instead of settlements.
//!
//! The layout, its sources and what is partly confirmed are in
//! `fixtures/layouts/amazon/date_range_transactions.md`: preamble lines
//! (one says `All amounts in USD, unless specified`), then a header whose
//! first cell is `date/time`, then one row per transaction, every field
//! quoted, timestamps like `Feb 1, 2020 12:24:25 AM PST`, amounts with
//! thousands separators. Columns are found by header name; the amount
//! columns are summed when present and each row's must add up to its
//! `total` (a reconciliation check of the file).
//!
//! **Classified as the settlement parser classifies the same money**
//! (`amazon_settlement.rs`): `product sales` is principal on an `Order`
//! and a refund on a `Refund` (or A-to-z claim, chargeback); `shipping
//! credits` likewise shipping; taxes and `marketplace withheld tax` are
//! tax; `promotional rebates` and their tax promotion (a settlement's
//! `Promotion` amounts); `selling fees`, `fba fees`,
//! `other transaction fees` and `Regulatory Fee` platform fees; `other`
//! advertising when its description says Cost of Advertising, a platform
//! fee on a fee row, and other money otherwise. `Transfer` rows are the
//! payouts themselves: checked, not proceeds.
//!
//! **Counted once beside settlements:** each row names its `settlement id`.
//! A row whose settlement is also given as a settlement report is counted
//! from that report (`crate::pipeline` drops it here with a data note), so
//! the two never add up.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::records::{MoneyKind, MoneyLine, OrderEvent, OrderEventKind, OrderId, ReconciliationCheck};
use super::table::Table;
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport, dates};
use crate::error::InputError;
use crate::market::Market;
use crate::money::Currency;

const DATE: &[&str] = &["date/time"];
const SETTLEMENT: &[&str] = &["settlement id"];
const TYPE: &[&str] = &["type"];
const ORDER: &[&str] = &["order id"];
const SKU: &[&str] = &["sku"];
const DESCRIPTION: &[&str] = &["description"];
const QUANTITY: &[&str] = &["quantity"];
const TOTAL: &[&str] = &["total"];

/// What an amount column is, before the row's type is known.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Sales,
    Shipping,
    Tax,
    Promotion,
    Fee,
    Other,
    /// `gift wrap credits`: other money, as the settlement's ItemPrice/GiftWrap.
    GiftWrap,
}

/// The amount columns, each with what it is.
const AMOUNTS: &[(&str, Part)] = &[
    ("product sales", Part::Sales),
    ("product sales tax", Part::Tax),
    ("shipping credits", Part::Shipping),
    ("shipping credits tax", Part::Tax),
    ("gift wrap credits", Part::GiftWrap),
    ("giftwrap credits tax", Part::Tax),
    ("gift wrap credits tax", Part::Tax),
    ("Regulatory Fee", Part::Fee),
    ("Tax On Regulatory Fee", Part::Tax),
    ("promotional rebates", Part::Promotion),
    ("promotional rebates tax", Part::Promotion),
    ("marketplace withheld tax", Part::Tax),
    ("sales tax collected", Part::Tax),
    ("Marketplace Facilitator Tax", Part::Tax),
    ("selling fees", Part::Fee),
    ("fba fees", Part::Fee),
    ("other transaction fees", Part::Fee),
    ("other", Part::Other),
];

/// Whether a header row is a Date Range report's.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["date/time", "settlement id", "type", "order id", "total"])
}

/// Reads a Date Range report of Amazon US (see the module's rules):
/// money lines and order events of the rows dated in the period, and one
/// reconciliation check over every row of the file.
///
/// **Identity:** each row is a [`Unit`] keyed by its settlement id and
/// the row as written (time, type, order, SKU, description, and its
/// occurrence among identical ones), so two overlapping downloads count a
/// row once; [`UnitKey::DateRangeRow`] names its settlement for the rule
/// that counts a settlement given twice from its settlement report.
///
/// # Errors
/// An [`InputError`] naming the file, line and column: a preamble naming
/// another currency than USD, a required column missing or repeated, a
/// timestamp that is not `Feb 1, 2020 12:24:25 AM PST`, an amount that is
/// not a number or a quantity that is not a whole number.
pub fn parse(t: &Table, preamble: &str, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    if let Some(line) = preamble.lines().find(|l| l.contains("All amounts in"))
        && !line.contains("All amounts in USD")
    {
        return Err(InputError::file(
            &t.file,
            format!("{}: kpiseal reads Amazon US, whose Date Range report is in USD", line.trim().trim_matches('"')),
        ));
    }
    t.refuse_repeated_headers()?;
    let col = |names: &[&str]| t.require(names);
    let (date_col, settlement_col, type_col, order_col) = (col(DATE)?, col(SETTLEMENT)?, col(TYPE)?, col(ORDER)?);
    let (description_col, total_col) = (col(DESCRIPTION)?, col(TOTAL)?);
    let (sku_col, quantity_col) = (t.column(SKU), t.column(QUANTITY));
    let amounts: Vec<(usize, Part)> = AMOUNTS.iter().filter_map(|(n, p)| t.column(&[n]).map(|c| (c, *p))).collect();
    let mut out = ParsedExport::default();
    let (mut reported, mut computed) = (Decimal::ZERO, Decimal::ZERO);
    let mut mismatches = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for row in &t.rows {
        if t.is_blank(row, date_col) && t.is_blank(row, total_col) {
            continue;
        }
        out.rows_total += 1;
        let written = t.text(row, date_col);
        let date = instant_date(&written, ctx.tz).map_err(|m| t.error(row, date_col, m))?;
        let kind = t.text(row, type_col);
        let description = t.text(row, description_col);
        let order_id = t.text(row, order_col);
        let sku = sku_col.map(|c| t.text(row, c)).unwrap_or_default();
        let total = t.money(row, total_col)?;
        let mut parts = Vec::with_capacity(amounts.len());
        for &(c, part) in &amounts {
            let amount = t.money(row, c)?;
            if !amount.is_zero() {
                parts.push((part, amount));
            }
        }
        let sum: Decimal = parts.iter().map(|(_, a)| *a).sum();
        reported += total;
        computed += sum;
        if sum != total && mismatches.len() < 5 {
            mismatches.push(format!("line {}: columns sum to {sum}, total reads {total}", row.number));
        }
        out.saw(date);
        let settlement = t.text(row, settlement_col);
        let occurrence =
            seen.entry((written.clone(), kind.clone(), order_id.clone(), sku.clone(), description.clone()));
        let occurrence = occurrence.and_modify(|n| *n += 1).or_insert(1usize);
        let key = UnitKey::DateRangeRow {
            settlement: settlement.clone(),
            at: written.clone(),
            kind: kind.clone(),
            order_id: order_id.clone(),
            sku,
            description: description.clone(),
            occurrence: *occurrence,
        };
        let mut unit = Unit::new(key, t.location(row.number), t.headers[date_col].clone(), {
            format!("{kind} row of settlement {settlement} at {written}")
        });
        unit.fingerprint = Fingerprint::of((total, parts.iter().map(|(_, a)| *a).collect::<Vec<_>>()));
        unit.summary = format!("total {total}").into();
        if ctx.period.contains(date) {
            out.rows_in_period += 1;
            unit.rows_in_period = 1;
            let quantity = match quantity_col {
                Some(c) if !t.is_blank(row, c) => t.whole(row, c)?,
                _ => 0,
            };
            let (first_line, first_event) = (out.lines.len(), out.events.len());
            record(&mut out, (ctx.market, row.number, date), &order_id, &kind, &description, quantity, &parts);
            unit.lines = first_line..out.lines.len();
            unit.events = first_event..out.events.len();
        } else {
            out.leave_out(row.number, date);
        }
        out.units.push(unit);
    }
    let rows = out.rows_total;
    out.checks.push(ReconciliationCheck {
        file: t.file.clone(),
        scope: format!("{rows} rows: amount columns = total"),
        currency: Currency::Usd,
        reported,
        computed,
        ok: mismatches.is_empty(),
        detail: mismatches.join("; "),
    });
    Ok(out)
}

/// The money lines and order events of the row at `line`, dated `date`
/// (see the module's rules).
fn record(
    out: &mut ParsedExport,
    (market, line, date): (Market, usize, NaiveDate),
    order_id: &str,
    kind: &str,
    description: &str,
    quantity: i64,
    parts: &[(Part, Decimal)],
) {
    let has = |s: &str, needle: &str| s.to_ascii_lowercase().contains(needle);
    if kind.eq_ignore_ascii_case("transfer") {
        return;
    }
    let disputed = has(kind, "a-to-z") || has(kind, "chargeback");
    let is_order = kind.eq_ignore_ascii_case("order");
    let is_refund = kind.eq_ignore_ascii_case("refund") || disputed;
    let order_id = OrderId::from(order_id);
    let event = |kind, units, principal, shipping| OrderEvent {
        market,
        line,
        date,
        order_id: order_id.clone(),
        kind,
        units,
        principal,
        shipping,
    };
    for &(part, amount) in parts {
        let money = match part {
            Part::Sales | Part::Shipping if is_refund => MoneyKind::Refund,
            Part::Sales if is_order => MoneyKind::Principal,
            Part::Shipping if is_order => MoneyKind::Shipping,
            Part::Sales | Part::Shipping | Part::GiftWrap => MoneyKind::Other,
            Part::Tax => MoneyKind::Tax,
            Part::Promotion => MoneyKind::Promotion,
            Part::Fee => MoneyKind::PlatformFee,
            Part::Other if has(description, "cost of advertising") => MoneyKind::Advertising,
            Part::Other if has(kind, "fee") || has(description, "fee") => MoneyKind::PlatformFee,
            Part::Other => MoneyKind::Other,
        };
        out.lines.push(MoneyLine { market, line, date, order_id: order_id.clone(), kind: money, amount });
        match (money, part) {
            (MoneyKind::Principal, _) => {
                out.events.push(event(OrderEventKind::Placed, quantity, amount, Decimal::ZERO))
            }
            (MoneyKind::Shipping, _) => out.events.push(event(OrderEventKind::Placed, 0, Decimal::ZERO, amount)),
            (MoneyKind::Refund, Part::Sales) => {
                out.events.push(event(OrderEventKind::Refunded, 0, -amount, Decimal::ZERO))
            }
            (MoneyKind::Refund, _) => out.events.push(event(OrderEventKind::Refunded, 0, Decimal::ZERO, -amount)),
            _ => {}
        }
    }
    if is_order && !parts.iter().any(|(p, _)| *p == Part::Sales) && quantity > 0 {
        // Units of an order row without principal (a free item) still shipped.
        out.events.push(event(OrderEventKind::Placed, quantity, Decimal::ZERO, Decimal::ZERO));
    }
    if disputed {
        out.events.push(event(OrderEventKind::Disputed, 0, Decimal::ZERO, Decimal::ZERO));
    }
}

/// The calendar date in `tz` of a report timestamp: `Feb 1, 2020 12:24:25 AM PST`
/// (US: PST/PDT; also UTC/GMT), or the forms [`dates::amazon_local_date`] reads.
fn instant_date(text: &str, tz: Tz) -> Result<NaiveDate, String> {
    let expected =
        || format!("{text:?} is not a timestamp (expected the report's form, e.g. Feb 1, 2026 12:24:25 AM PST)");
    let Some((stamp, zone)) = text.trim().rsplit_once(' ') else { return Err(expected()) };
    let offset_hours = match zone {
        "PST" => -8,
        "PDT" => -7,
        "UTC" | "GMT" => 0,
        _ => return dates::amazon_local_date(text, tz).map_err(|_| expected()),
    };
    let naive = NaiveDateTime::parse_from_str(stamp, "%b %e, %Y %l:%M:%S %p")
        .or_else(|_| NaiveDateTime::parse_from_str(stamp, "%b %d, %Y %I:%M:%S %p"))
        .map_err(|_| expected())?;
    let offset = chrono::FixedOffset::east_opt(offset_hours * 3600).ok_or_else(expected)?;
    let instant = offset.from_local_datetime(&naive).single().ok_or_else(expected)?;
    dates::plausible(instant.with_timezone(&tz).date_naive(), text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Format, read_export};
    use crate::period::Period;

    const PREAMBLE: &str = "\"Includes Amazon Marketplace, Fulfillment by Amazon (FBA), and Amazon Webstore transactions\"
\"All amounts in USD, unless specified\"
\"Definitions:\"
\"Sales tax collected: Includes sales tax collected from buyers for product sales, shipping, and gift wrap.\"
\"Selling fees: Includes variable closing fees and referral fees.\"
\"Other transaction fees: Includes shipping chargebacks, shipping holdbacks, per-item fees  and sales tax collection fees.\"
\"Other: Includes non-order transaction amounts. For more details, see the \"\"Type\"\" and \"\"Description\"\" columns for each order ID.\"
";
    const HEADER: &str = "\"date/time\",\"settlement id\",\"type\",\"order id\",\"sku\",\"description\",\"quantity\",\"marketplace\",\"account type\",\"fulfillment\",\"order city\",\"order state\",\"order postal\",\"tax collection model\",\"product sales\",\"product sales tax\",\"shipping credits\",\"shipping credits tax\",\"gift wrap credits\",\"giftwrap credits tax\",\"Regulatory Fee\",\"Tax On Regulatory Fee\",\"promotional rebates\",\"promotional rebates tax\",\"marketplace withheld tax\",\"selling fees\",\"fba fees\",\"other transaction fees\",\"other\",\"total\"\n";

    /// October 2026 rows in the current US layout (fixtures/layouts/amazon/date_range_transactions.md).
    fn report() -> String {
        let rows = [
            "\"Sep 30, 2026 11:40:12 PM PDT\",\"17732218302\",\"Order\",\"113-0000001-0000001\",\"DB-ORTHO-M\",\"Dog Bed\",\"1\",\"amazon.com\",\"Standard Orders\",\"Amazon\",\"AUSTIN\",\"TX\",\"78701\",\"MarketplaceFacilitator\",\"49.99\",\"3.12\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"-3.12\",\"-7.50\",\"-8.03\",\"0\",\"0\",\"34.46\"",
            "\"Oct 1, 2026 12:24:25 AM PDT\",\"17732218302\",\"Order\",\"113-0000002-0000002\",\"DB-ORTHO-L\",\"Dog Bed L\",\"2\",\"amazon.com\",\"Standard Orders\",\"Amazon\",\"BROOKLYN\",\"NY\",\"11215\",\"MarketplaceFacilitator\",\"1,139.98\",\"11.55\",\"5.99\",\"0.49\",\"0\",\"0\",\"0\",\"0\",\"-5.99\",\"-0.49\",\"-12.04\",\"-171.00\",\"-21.96\",\"0\",\"0\",\"946.53\"",
            "\"Oct 3, 2026 3:00:00 PM PDT\",\"17732218302\",\"Refund\",\"112-0000003-0000003\",\"DB-ORTHO-L\",\"Dog Bed L\",\"1\",\"amazon.com\",\"Standard Orders\",\"Amazon\",\"DALLAS\",\"TX\",\"75201\",\"MarketplaceFacilitator\",\"-69.99\",\"-5.77\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"5.77\",\"8.40\",\"0\",\"0\",\"0\",\"-61.59\"",
            "\"Oct 5, 2026 1:00:00 AM PDT\",\"17732218302\",\"Service Fee\",\"\",\"\",\"Cost of Advertising\",\"\",\"amazon.com\",\"Standard Orders\",\"\",\"\",\"\",\"\",\"\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"-120.00\",\"-120.00\"",
            "\"Oct 9, 2026 9:00:00 AM PDT\",\"17732218302\",\"Transfer\",\"\",\"\",\"To your account ending in: 429\",\"\",\"amazon.com\",\"Standard Orders\",\"\",\"\",\"\",\"\",\"\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"-700.00\",\"-700.00\"",
        ];
        format!("{PREAMBLE}{HEADER}{}\n", rows.join("\n"))
    }

    fn read(text: &str) -> Result<(Format, ParsedExport), InputError> {
        read_export(
            "exports/2026-10/acme-home/2026OctMonthlyTransaction.csv",
            text.as_bytes(),
            &IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::AMAZON_US),
        )
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn sum(p: &ParsedExport, kind: MoneyKind) -> Decimal {
        p.lines.iter().filter(|l| l.kind == kind).map(|l| l.amount).sum()
    }

    #[test]
    fn rows_below_the_preamble_become_the_money_a_settlement_would_give_dated_in_los_angeles() {
        let (format, p) = read(&report()).unwrap();
        assert_eq!(format, Format::AmazonDateRange);
        assert_eq!((p.rows_total, p.rows_in_period), (5, 4), "11:40 PM on 30 September is September");
        assert_eq!(sum(&p, MoneyKind::Principal), dec("1139.98"), "thousands separator read");
        assert_eq!(sum(&p, MoneyKind::Shipping), dec("5.99"));
        assert_eq!(sum(&p, MoneyKind::Refund), dec("-69.99"));
        assert_eq!(sum(&p, MoneyKind::Advertising), dec("-120.00"));
        assert_eq!(sum(&p, MoneyKind::PlatformFee), dec("-171.00") + dec("-21.96") + dec("8.40"));
        assert_eq!(sum(&p, MoneyKind::Promotion), dec("-5.99") + dec("-0.49"));
        assert!(p.lines.iter().all(|l| l.amount != dec("-700.00")), "a transfer is the payout, not proceeds");
        let placed: i64 = p.events.iter().filter(|e| e.kind == OrderEventKind::Placed).map(|e| e.units).sum();
        assert_eq!(placed, 2);
        assert!(p.checks.iter().all(|c| c.ok), "{:?}", p.checks);
    }

    #[test]
    fn a_row_whose_columns_do_not_add_up_to_its_total_fails_the_files_check_naming_the_line() {
        let (_, p) = read(&report().replace("\"-61.59\"", "\"-61.60\"")).unwrap();
        let check = &p.checks[0];
        assert!(!check.ok);
        assert!(check.detail.contains("line 11: columns sum to -61.59, total reads -61.60"), "{}", check.detail);
    }

    #[test]
    fn another_currency_or_a_timestamp_in_another_form_is_refused() {
        let e = read(&report().replace("All amounts in USD", "All amounts in CAD")).unwrap_err();
        assert!(e.message.contains("All amounts in CAD"), "{e}");
        let e = read(&report().replace("Oct 3, 2026 3:00:00 PM PDT", "03/10/2026 15:00")).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("date/time"));
    }
}
