//! Amazon Sponsored Products advertised-product report (CSV or XLSX) into
//! [`AdRow`]s.
//!
//! Columns are found by header name. The attributed sales, orders and units
//! come from the 7-day columns, or the 14-day ones in markets that report
//! those; ACOS and ROAS are recomputed downstream from spend and sales, so
//! their columns are only checked to be numbers.

use chrono::NaiveDate;

use super::records::AdRow;
use super::table::{Row, Table};
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport, dates};
use crate::error::InputError;
use crate::money::Currency;

const START_DATE: &[&str] = &["Start Date"];
/// Daily reports carry one "Date" per row instead of a range.
const DAY_DATE: &[&str] = &["Date"];
const END_DATE: &[&str] = &["End Date"];
const CURRENCY: &[&str] = &["Currency"];
const CAMPAIGN: &[&str] = &["Campaign Name"];
const AD_GROUP: &[&str] = &["Ad Group Name"];
const SKU: &[&str] = &["Advertised SKU"];
const ASIN: &[&str] = &["Advertised ASIN"];
const SPEND: &[&str] = &["Spend"];
const CLICKS: &[&str] = &["Clicks"];
const IMPRESSIONS: &[&str] = &["Impressions"];
const ACOS: &[&str] =
    &["Total Advertising Cost of Sales (ACOS)", "Advertising Cost of Sales (ACOS)", "Total ACOS", "ACOS"];
const ROAS: &[&str] =
    &["Total Return on Advertising Spend (ROAS)", "Return on Advertising Spend (ROAS)", "Total ROAS", "ROAS"];

/// The columns of one attribution window.
struct Window {
    days: u8,
    sales: &'static [&'static str],
    orders: &'static [&'static str],
    units: &'static [&'static str],
}

/// Tried in order: a report with both windows is read with the 7-day one,
/// Amazon US's default for Sponsored Products.
const WINDOWS: [Window; 2] = [
    Window {
        days: 7,
        sales: &["7 Day Total Sales", "7 Day Total Sales ($)", "7 Day Total Sales (USD)"],
        orders: &["7 Day Total Orders (#)", "7 Day Total Orders"],
        units: &["7 Day Total Units (#)", "7 Day Total Units"],
    },
    Window {
        days: 14,
        sales: &["14 Day Total Sales", "14 Day Total Sales ($)", "14 Day Total Sales (USD)"],
        orders: &["14 Day Total Orders (#)", "14 Day Total Orders"],
        units: &["14 Day Total Units (#)", "14 Day Total Units"],
    },
];

/// Whether a header row is a Sponsored Products report's.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["Campaign Name", "Spend"])
}

/// Column indexes of one report.
struct Columns {
    start: usize,
    end: Option<usize>,
    currency: Option<usize>,
    campaign: usize,
    ad_group: Option<usize>,
    sku: Option<usize>,
    asin: Option<usize>,
    spend: usize,
    sales: usize,
    orders: usize,
    units: usize,
    clicks: usize,
    impressions: usize,
    /// Optional columns that, when present, must hold numbers.
    checked_numbers: Vec<usize>,
    attribution_days: u8,
}

impl Columns {
    fn find(t: &Table) -> Result<Columns, InputError> {
        let start = match t.column(START_DATE).or_else(|| t.column(DAY_DATE)) {
            Some(c) => c,
            None => t.require(&["Start Date", "Date"])?,
        };
        let window = match WINDOWS.iter().find(|w| t.has(w.sales)) {
            Some(w) => w,
            None => {
                let names: Vec<&str> = WINDOWS.iter().flat_map(|w| w.sales.iter().copied()).collect();
                return Err(InputError {
                    file: t.file.clone(),
                    location: t.location(t.header_number),
                    column: Some("7 Day Total Sales".to_string()),
                    message: format!("missing column in the header (accepted names: {})", names.join(", ")),
                });
            }
        };
        Ok(Columns {
            start,
            end: t.column(END_DATE),
            currency: t.column(CURRENCY),
            campaign: t.require(CAMPAIGN)?,
            ad_group: t.column(AD_GROUP),
            sku: t.column(SKU),
            asin: t.column(ASIN),
            spend: t.require(SPEND)?,
            sales: t.require(window.sales)?,
            orders: t.require(window.orders)?,
            units: t.require(window.units)?,
            clicks: t.require(CLICKS)?,
            impressions: t.require(IMPRESSIONS)?,
            checked_numbers: [t.column(ACOS), t.column(ROAS)].into_iter().flatten().collect(),
            attribution_days: window.days,
        })
    }
}

/// Reads a Sponsored Products report into [`AdRow`]s of `ctx.market` (an Amazon site).
///
/// **Which rows belong to the period:** a row counts when its whole date
/// range (Start Date to End Date) lies in `ctx.counted`, the period or the
/// part of it the contract term covers; a row wholly outside the period is
/// skipped (a daily report downloaded with a few days either side). A row
/// whose range crosses the period's first or last day, or the term's start
/// or end inside the period, is refused: a summary row's spend cannot be
/// split between months by the number of days without guessing, so the
/// error asks for a daily report (one row per day), whose rows never span.
/// The dates are the report's own calendar dates (the advertising account's
/// time zone, America/Los_Angeles for Amazon US) and are not shifted.
///
/// Other rules:
/// - End Date is optional and defaults to the start; an end before the start
///   is an error.
/// - Currency is optional; a missing column or blank cell means USD, the
///   currency of Amazon US. Any other currency is refused: the spend and
///   sales are never relabelled as USD, and kpiseal does not convert an ads
///   report.
/// - Spend and sales are rounded half-up to cents; orders, units, clicks and
///   impressions must be whole numbers (`12.0` from XLSX is fine); blank
///   numeric cells read as zero.
/// - ACOS/ROAS columns, in any spelling, are not used, but when present
///   their cells must be numbers (`1.66%` in CSV, `0.0166` in XLSX); a blank
///   cell or a dash (shown when there were no sales) is accepted.
/// - A row with a blank Campaign Name and a blank Spend (a totals footer, a
///   spacer) is skipped and not counted in `rows_total`.
/// - Ad Group Name, Advertised SKU and Advertised ASIN are optional; when
///   present they are carried (trimmed) and, with the dates and the
///   campaign, identify the row: each row is a [`Unit`] keyed by them, so
///   the same row in two reports is found (see `crate::dedup`).
///
/// # Errors
/// An [`InputError`] naming the file, line or sheet row, and column: a
/// required column missing from the header (Start Date or Date, Campaign
/// Name, Spend, the 7- or 14-day Total Sales, Total Orders (#) and Total
/// Units (#) of the same window, Clicks, Impressions), or a cell that is not
/// the expected date, number, whole number or currency.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let cols = Columns::find(t)?;
    let mut out = ParsedExport::default();
    for row in &t.rows {
        if t.is_blank(row, cols.campaign) && t.is_blank(row, cols.spend) {
            continue;
        }
        out.rows_total += 1;
        let ad = read_row(t, row, &cols, ctx)?;
        let unit = unit(t, row, &cols, &ad);
        let how = "download the report with a daily time unit (one row per day)";
        add_in_period(t, row, cols.end.unwrap_or(cols.start), ad, unit, ctx, how, &mut out)?;
    }
    Ok(out)
}

/// Adds an ads row and its unit to `out`: a row wholly outside the period
/// only widens the file's dates; a row inside it counts in the period, and
/// its money counts when it also lies within `ctx.counted` (the contract
/// term). A row across the period's first or last day, or the term's start
/// or end inside it, is refused naming `col`, with `how` to get rows that
/// do not span: its spend cannot be split between days without guessing.
#[allow(clippy::too_many_arguments)]
pub(super) fn add_in_period(
    t: &Table,
    row: &Row,
    col: usize,
    ad: AdRow,
    mut unit: Unit,
    ctx: &IngestContext,
    how: &str,
    out: &mut ParsedExport,
) -> Result<(), InputError> {
    out.saw(ad.start);
    out.saw(ad.end);
    let (period_first, period_last) = (ctx.period.first_day(), ctx.period.last_day());
    if ad.end < period_first || ad.start > period_last {
        out.leave_out(ad.line, ad.start);
        out.units.push(unit);
        return Ok(());
    }
    let bounds = [
        (period_first, format!("the first day of {}", ctx.period)),
        (period_last.succ_opt().unwrap_or(period_last), format!("the last day of {}", ctx.period)),
        (ctx.counted.0, format!("the contract term's start ({})", ctx.counted.0)),
        (ctx.counted.1.succ_opt().unwrap_or(ctx.counted.1), format!("the contract term's end ({})", ctx.counted.1)),
    ];
    // A row spans a bound when it holds both the day before it and the day itself.
    if let Some((_, what)) = bounds.iter().find(|(day, _)| ad.start < *day && ad.end >= *day) {
        return Err(t.error(
            row,
            col,
            format!(
                "the row runs from {} to {}, across {what}; kpiseal does not split a row's spend between days by guesswork: {how}",
                ad.start, ad.end
            ),
        ));
    }
    out.rows_in_period += 1;
    unit.rows_in_period = 1;
    if ad.start >= ctx.counted.0 && ad.end <= ctx.counted.1 {
        unit.ads = out.ads.len()..out.ads.len() + 1;
        out.ads.push(ad);
    } else {
        out.leave_out(ad.line, ad.start);
    }
    out.units.push(unit);
    Ok(())
}

/// The row as a unit of money: keyed by its dates, campaign, ad group, SKU
/// and ASIN; its figures are the fingerprint.
fn unit(t: &Table, row: &Row, cols: &Columns, ad: &AdRow) -> Unit {
    let key = UnitKey::Ad {
        start: ad.start,
        end: ad.end,
        campaign: ad.campaign.clone(),
        ad_group: ad.ad_group.clone(),
        sku: ad.sku.clone(),
        asin: ad.asin.clone(),
    };
    let named: Vec<&str> = [Some(ad.campaign.as_str()), ad.ad_group.as_deref(), ad.sku.as_deref(), ad.asin.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    let days = if ad.start == ad.end { ad.start.to_string() } else { format!("{} to {}", ad.start, ad.end) };
    let column = t.headers.get(cols.campaign).cloned().unwrap_or_else(|| CAMPAIGN[0].to_string());
    let mut unit = Unit::new(key, t.location(row.number), column, format!("ads row {days} {}", named.join(" / ")));
    unit.fingerprint = Fingerprint::of((
        ad.currency.code(),
        ad.spend,
        ad.sales,
        ad.orders,
        ad.units,
        ad.clicks,
        ad.impressions,
        ad.attribution_days,
    ));
    unit.summary =
        format!("spend {} {}, {}-day sales {}", ad.spend, ad.currency.code(), ad.attribution_days, ad.sales).into();
    unit
}

fn read_row(t: &Table, row: &Row, cols: &Columns, ctx: &IngestContext) -> Result<AdRow, InputError> {
    let campaign = t.text(row, cols.campaign);
    if campaign.is_empty() {
        return Err(t.error(row, cols.campaign, "the campaign name is missing (the row has a Spend)"));
    }
    let start = date(t, row, cols.start)?.ok_or_else(|| t.error(row, cols.start, "the date is missing"))?;
    let end = match cols.end {
        Some(col) => match date(t, row, col)? {
            Some(end) if end < start => {
                return Err(t.error(row, col, format!("the end date {end} is before the start date {start}")));
            }
            Some(end) => end,
            None => start,
        },
        None => start,
    };
    let currency = match cols.currency {
        Some(col) if !t.is_blank(row, col) => t.text(row, col).parse::<Currency>().map_err(|m| t.error(row, col, m))?,
        _ => ctx.currency,
    };
    if currency != ctx.currency {
        let col = cols.currency.unwrap_or(cols.spend);
        return Err(t.error(
            row,
            col,
            format!(
                "reads {currency}; {} ad spend is billed in {} and kpiseal neither relabels nor converts an ads report: download the report in {} (or the report of the advertising account for that site)",
                ctx.market.name(crate::contract::Language::En),
                ctx.currency,
                ctx.currency
            ),
        ));
    }
    for &col in &cols.checked_numbers {
        let text = t.text(row, col);
        if !matches!(text.as_str(), "-" | "--" | "—" | "–") {
            t.decimal(row, col)?;
        }
    }
    let optional = |col: Option<usize>| col.map(|c| t.text(row, c));
    Ok(AdRow {
        market: ctx.market,
        line: row.number,
        start,
        end,
        campaign,
        ad_group: optional(cols.ad_group),
        sku: optional(cols.sku),
        asin: optional(cols.asin),
        currency,
        spend: t.money(row, cols.spend)?,
        sales: t.money(row, cols.sales)?,
        orders: t.whole(row, cols.orders)?,
        units: t.whole(row, cols.units)?,
        clicks: t.whole(row, cols.clicks)?,
        impressions: t.whole(row, cols.impressions)?,
        attribution_days: cols.attribution_days,
    })
}

/// A date cell (XLSX) or text in one of the report's date forms; `None` when blank.
fn date(t: &Table, row: &Row, col: usize) -> Result<Option<NaiveDate>, InputError> {
    if let Some(dt) = t.datetime_cell(row, col) {
        let text = t.text(row, col);
        return dates::plausible(dt.date(), &text).map(Some).map_err(|m| t.error(row, col, m));
    }
    let text = t.text(row, col);
    if text.is_empty() {
        return Ok(None);
    }
    dates::report_date(&text).map(Some).map_err(|m| t.error(row, col, m))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use rust_xlsxwriter::{ExcelDateTime, Format as XlsxFormat, Workbook};

    use super::*;
    use crate::ingest::units::UnitKey;
    use crate::ingest::{Format, read_export};
    use crate::period::Period;

    fn ctx() -> IngestContext {
        IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::AMAZON_US)
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn day(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn read_csv(text: &str) -> Result<(Format, ParsedExport), InputError> {
        read_export("exports/2026-10/acme/sp.csv", text.as_bytes(), &ctx())
    }

    /// Headers as the console writes them in an older export: trailing
    /// spaces, "ACoS"/"RoAS" spelling, `$` amounts and percentages.
    const CONSOLE_CSV: &str = "\u{feff}Start Date,End Date,Currency,Campaign Name,Ad Group Name,Advertised SKU,Advertised ASIN,Impressions,Clicks,Spend ,7 Day Total Sales ,Total Advertising Cost of Sales (ACoS) ,Total Return on Advertising Spend (RoAS),7 Day Total Orders (#),7 Day Total Units (#)\n\
\"Oct 01, 2026\",\"Oct 31, 2026\",USD,SP - Lamps - Auto,Auto,LAMP-01,B0C1234567,\"12,345\",210,$3.0,$180.72,1.66%,60.24,4,5\n\
10/02/2026,10/02/2026,USD,SP - Lamps - Exact,Exact,LAMP-02,B0C1234568,800,12,\"$1,234.565\",$0.00,,0,0,0\n";

    #[test]
    fn a_report_of_the_brazilian_site_is_read_in_brl_for_amazon_br_and_usd_is_refused_there() {
        let br = IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::AMAZON_BR);
        let text = "Date,Currency,Campaign Name,Ad Group Name,Advertised SKU,Impressions,Clicks,Spend,7 Day Total Sales,7 Day Total Orders (#),7 Day Total Units (#)\n\
                    10/02/2026,BRL,SP - Cafeteira,Auto,LM-CAFE-01,900,31,41.27,389.70,3,3\n\
                    10/03/2026,,SP - Cafeteira,Auto,LM-CAFE-01,300,9,12.00,0.00,0,0\n";
        let (_, parsed) = read_export("exports/2026-10/loja/amazon_br/sp.csv", text.as_bytes(), &br).unwrap();
        assert!(parsed.ads.iter().all(|a| a.market == crate::market::Market::AMAZON_BR && a.currency == Currency::Brl));
        assert_eq!(parsed.ads[0].spend, d("41.27"));
        let usd = text.replace(",BRL,", ",USD,");
        let e = read_export("exports/2026-10/loja/amazon_br/sp.csv", usd.as_bytes(), &br).unwrap_err().to_string();
        assert!(e.contains("reads USD; Amazon BR ad spend is billed in BRL"), "{e}");
    }

    #[test]
    fn console_csv_with_dollar_percent_trailing_spaces_and_acos_spelling() {
        let (format, parsed) = read_csv(CONSOLE_CSV).unwrap();
        assert_eq!(format, Format::AmazonAdsCsv);
        assert_eq!((parsed.rows_total, parsed.rows_in_period), (2, 2));
        let a = &parsed.ads[0];
        assert_eq!(a.market, crate::market::Market::AMAZON_US);
        assert_eq!((a.start, a.end), (day(2026, 10, 1), day(2026, 10, 31)));
        assert_eq!(a.campaign, "SP - Lamps - Auto");
        assert_eq!(a.currency, Currency::Usd);
        assert_eq!(a.spend.to_string(), "3.00");
        assert_eq!(a.sales.to_string(), "180.72");
        assert_eq!((a.orders, a.units, a.clicks, a.impressions), (4, 5, 210, 12345));
        assert_eq!(a.attribution_days, 7);
        let b = &parsed.ads[1];
        assert_eq!(b.start, day(2026, 10, 2));
        assert_eq!(b.spend, d("1234.57"), "spend is rounded half-up to cents");
        assert_eq!(b.sales.to_string(), "0.00");
    }

    #[test]
    fn daily_report_uses_date_column_and_defaults_end_and_currency() {
        let csv = "Date,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales ($),7 Day Total Orders (#),7 Day Total Units (#)\n\
2026-10-05,Brand,100,3,1.5,20,1,1\n";
        let (_, parsed) = read_csv(csv).unwrap();
        let a = &parsed.ads[0];
        assert_eq!((a.start, a.end), (day(2026, 10, 5), day(2026, 10, 5)));
        assert_eq!(a.currency, Currency::Usd);
        assert_eq!(a.spend.to_string(), "1.50");
        assert_eq!(a.sales.to_string(), "20.00");
    }

    #[test]
    fn each_row_is_a_unit_keyed_by_dates_campaign_ad_group_sku_and_asin() {
        let (_, parsed) = read_csv(CONSOLE_CSV).unwrap();
        let keys: Vec<&UnitKey> = parsed.units.iter().map(|u| &u.key).collect();
        assert_eq!(
            keys[0],
            &UnitKey::Ad {
                start: day(2026, 10, 1),
                end: day(2026, 10, 31),
                campaign: "SP - Lamps - Auto".into(),
                ad_group: Some("Auto".into()),
                sku: Some("LAMP-01".into()),
                asin: Some("B0C1234567".into()),
            }
        );
        assert_eq!(parsed.units[1].label(), "ads row 2026-10-02 SP - Lamps - Exact / Exact / LAMP-02 / B0C1234568");
        assert_eq!(parsed.units[1].ads, 1..2);
        // A daily report without those columns covers every ad group, SKU and ASIN.
        let csv = "Date,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales ($),7 Day Total Orders (#),7 Day Total Units (#)\n\
2026-09-30,Brand,100,3,1.5,20,1,1\n";
        let (_, parsed) = read_csv(csv).unwrap();
        let UnitKey::Ad { ad_group, sku, asin, .. } = &parsed.units[0].key else { panic!() };
        assert_eq!((ad_group, sku, asin), (&None, &None, &None));
        assert_eq!((parsed.units[0].ads.clone(), parsed.units[0].rows_in_period), (0..0, 0), "September: no fact");
    }

    #[test]
    fn fourteen_day_columns_set_attribution_window() {
        let csv = "Start Date,End Date,Campaign Name,Impressions,Clicks,Spend,14 Day Total Sales (USD),14 Day Total Orders (#),14 Day Total Units (#)\n\
10/01/2026,10/31/2026,Generic,1000,40,25.00,99.99,3,4\n";
        let (_, parsed) = read_csv(csv).unwrap();
        let a = &parsed.ads[0];
        assert_eq!(a.attribution_days, 14);
        assert_eq!(a.sales, d("99.99"));
        assert_eq!((a.orders, a.units), (3, 4));
    }

    #[test]
    fn seven_day_window_is_preferred_when_both_are_present() {
        let csv = "Start Date,Campaign Name,Impressions,Clicks,Spend,14 Day Total Sales,14 Day Total Orders (#),14 Day Total Units (#),7 Day Total Sales,7 Day Total Orders (#),7 Day Total Units (#)\n\
10/01/2026,C,1,1,1,50,5,5,40,4,4\n";
        let a = &read_csv(csv).unwrap().1.ads[0];
        assert_eq!((a.attribution_days, a.sales, a.orders), (7, d("40.00"), 4));
    }

    const RANGE_HEAD: &str = "Start Date,End Date,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales,7 Day Total Orders (#),7 Day Total Units (#)\n";

    #[test]
    fn rows_inside_the_period_count_and_rows_outside_it_are_skipped() {
        let csv = format!(
            "{RANGE_HEAD}09/30/2026,09/30/2026,September,1,1,1.00,0,0,0\n\
10/01/2026,10/31/2026,The whole month,1,1,2.00,0,0,0\n\
11/01/2026,11/03/2026,November,1,1,4.00,0,0,0\n"
        );
        let (_, parsed) = read_csv(&csv).unwrap();
        assert_eq!((parsed.rows_total, parsed.rows_in_period), (3, 1));
        assert_eq!(parsed.ads[0].campaign, "The whole month");
        assert_eq!(parsed.dates, Some((day(2026, 9, 30), day(2026, 11, 3))));
    }

    #[test]
    fn a_row_spanning_the_end_of_the_period_is_refused_asking_for_a_daily_report() {
        let csv =
            format!("{RANGE_HEAD}10/01/2026,10/01/2026,A,1,1,1.00,0,0,0\n10/31/2026,11/06/2026,B,1,1,2.00,0,0,0\n");
        assert_eq!(
            read_csv(&csv).unwrap_err().to_string(),
            "exports/2026-10/acme/sp.csv:3: column \"End Date\": the row runs from 2026-10-31 to 2026-11-06, across the last day of 2026-10; kpiseal does not split a row's spend between days by guesswork: download the report with a daily time unit (one row per day)"
        );
    }

    #[test]
    fn a_row_spanning_the_start_of_the_period_is_refused() {
        let csv = format!("{RANGE_HEAD}09/30/2026,10/06/2026,A,1,1,1.00,0,0,0\n");
        let e = read_csv(&csv).unwrap_err().to_string();
        assert!(e.contains("the row runs from 2026-09-30 to 2026-10-06, across the first day of 2026-10"), "{e}");
    }

    #[test]
    fn rows_are_counted_only_inside_the_contract_term_and_refused_across_its_start() {
        let mut ctx = ctx();
        ctx.counted = (day(2026, 10, 15), day(2026, 10, 31));
        let inside = format!(
            "{RANGE_HEAD}10/14/2026,10/14/2026,Before,1,1,1.00,0,0,0\n10/15/2026,10/31/2026,After,1,1,2.00,0,0,0\n"
        );
        let (_, parsed) = read_export("sp.csv", inside.as_bytes(), &ctx).unwrap();
        assert_eq!((parsed.rows_in_period, parsed.ads.len()), (2, 1));
        assert_eq!(parsed.ads[0].campaign, "After");
        let across = format!("{RANGE_HEAD}10/01/2026,10/31/2026,Month,1,1,1.00,0,0,0\n");
        let e = read_export("sp.csv", across.as_bytes(), &ctx).unwrap_err().to_string();
        assert!(e.contains("across the contract term's start (2026-10-15)"), "{e}");
    }

    #[test]
    fn spend_in_another_currency_is_refused_not_relabelled_as_usd() {
        let csv = "Start Date,End Date,Currency,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales,7 Day Total Orders (#),7 Day Total Units (#)\n\
10/01/2026,10/01/2026,USD,A,1,1,1.00,0,0,0\n\
10/02/2026,10/02/2026,CNY,A,1,1,7.10,0,0,0\n";
        assert_eq!(
            read_csv(csv).unwrap_err().to_string(),
            "exports/2026-10/acme/sp.csv:3: column \"Currency\": reads CNY; Amazon US ad spend is billed in USD and kpiseal neither relabels nor converts an ads report: download the report in USD (or the report of the advertising account for that site)"
        );
    }

    #[test]
    fn totals_footer_with_blank_campaign_and_spend_is_skipped() {
        let csv = "Start Date,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales,7 Day Total Orders (#),7 Day Total Units (#)\n\
10/01/2026,A,10,1,1.00,0,0,0\n\
Total, , 10,1, ,0,0,0\n";
        let (_, parsed) = read_csv(csv).unwrap();
        assert_eq!((parsed.rows_total, parsed.rows_in_period, parsed.ads.len()), (1, 1, 1));
    }

    #[test]
    fn spend_without_campaign_is_an_error() {
        let csv = "Start Date,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales,7 Day Total Orders (#),7 Day Total Units (#)\n\
10/01/2026,,10,1,9.00,0,0,0\n";
        let e = read_csv(csv).unwrap_err();
        assert_eq!(
            e.to_string(),
            "exports/2026-10/acme/sp.csv:2: column \"Campaign Name\": the campaign name is missing (the row has a Spend)"
        );
    }

    #[test]
    fn unreadable_acos_is_an_error_but_a_dash_is_not() {
        let head = "Start Date,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales,ACOS,ROAS,7 Day Total Orders (#),7 Day Total Units (#)\n";
        assert!(read_csv(&format!("{head}10/01/2026,A,1,1,1.00,0,-,,0,0\n")).is_ok());
        let e = read_csv(&format!("{head}10/01/2026,A,1,1,1.00,0,high,2,0,0\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "exports/2026-10/acme/sp.csv:2: column \"ACOS\": \"high\" is not a number (expected e.g. 1,234.56)"
        );
    }

    #[test]
    fn missing_sales_column_names_both_windows() {
        let csv = "Start Date,Campaign Name,Impressions,Clicks,Spend\n10/01/2026,A,1,1,1\n";
        let e = read_csv(csv).unwrap_err().to_string();
        assert!(e.starts_with("exports/2026-10/acme/sp.csv:1: column \"7 Day Total Sales\": missing column"), "{e}");
        assert!(e.contains("14 Day Total Sales"), "{e}");
    }

    #[test]
    fn orders_must_come_from_the_same_window_as_sales() {
        let csv = "Start Date,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales,14 Day Total Orders (#),7 Day Total Units (#)\n10/01/2026,A,1,1,1,1,1,1\n";
        let e = read_csv(csv).unwrap_err().to_string();
        assert!(e.contains("column \"7 Day Total Orders (#)\": missing column"), "{e}");
    }

    #[test]
    fn bad_cells_name_line_and_column() {
        let head = "Start Date,End Date,Currency,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales,7 Day Total Orders (#),7 Day Total Units (#)\n";
        let cases = [
            ("31/10/2026,,USD,A,1,1,1,0,0,0", "column \"Start Date\": \"31/10/2026\" is not a date"),
            (
                "10/05/2026,10/04/2026,USD,A,1,1,1,0,0,0",
                "column \"End Date\": the end date 2026-10-04 is before the start date 2026-10-05",
            ),
            ("10/05/2026,,EUR,A,1,1,1,0,0,0", "column \"Currency\": unknown currency \"EUR\""),
            ("10/05/2026,,USD,A,1,1.5,1,0,0,0", "column \"Clicks\": expected a whole number, found 1.5"),
            ("10/05/2026,,USD,A,1,1,abc,0,0,0", "column \"Spend\": \"abc\" is not a number"),
            (",,USD,A,1,1,1,0,0,0", "column \"Start Date\": the date is missing"),
        ];
        for (row, expected) in cases {
            let e = read_csv(&format!("{head}{row}\n")).unwrap_err().to_string();
            assert!(e.starts_with("exports/2026-10/acme/sp.csv:2: "), "{e}");
            assert!(e.contains(expected), "{e} should contain {expected}");
        }
    }

    #[test]
    fn semicolon_separated_export_is_detected() {
        let csv = "Start Date;Campaign Name;Impressions;Clicks;Spend;7 Day Total Sales;7 Day Total Orders (#);7 Day Total Units (#)\n10/01/2026;A;1;1;2.50;5;1;1\n";
        let (format, parsed) = read_csv(csv).unwrap();
        assert_eq!(format, Format::AmazonAdsCsv);
        assert_eq!(parsed.ads[0].spend, d("2.50"));
    }

    /// An XLSX report as the console writes it: a title row above the
    /// header, date cells, fractions for ACOS, floats for counts.
    fn console_xlsx() -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Sponsored Product Advertised P").unwrap();
        let date_fmt = XlsxFormat::new().set_num_format("mmm dd, yyyy");
        let headers = [
            "Start Date",
            "End Date",
            "Currency",
            "Campaign Name",
            "Ad Group Name",
            "Advertised SKU",
            "Impressions",
            "Clicks",
            "Spend ",
            "7 Day Total Sales ",
            "Total Advertising Cost of Sales (ACOS) ",
            "Total Return on Advertising Spend (ROAS)",
            "7 Day Total Orders (#)",
            "7 Day Total Units (#)",
        ];
        ws.write_string(0, 0, "Sponsored Products Advertised product report").unwrap();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(2, c as u16, *h).unwrap();
        }
        // Row 4: date cells, float money, a fractional ACOS.
        ws.write_datetime_with_format(3, 0, ExcelDateTime::from_ymd(2026, 10, 1).unwrap(), &date_fmt).unwrap();
        ws.write_datetime_with_format(3, 1, ExcelDateTime::from_ymd(2026, 10, 31).unwrap(), &date_fmt).unwrap();
        ws.write_string(3, 2, "USD").unwrap();
        ws.write_string(3, 3, "SP - Lamps - Auto").unwrap();
        ws.write_string(3, 4, "Auto").unwrap();
        ws.write_string(3, 5, "LAMP-01").unwrap();
        ws.write_number(3, 6, 12345.0).unwrap();
        ws.write_number(3, 7, 210.0).unwrap();
        ws.write_number(3, 8, 0.1 + 0.2).unwrap();
        ws.write_number(3, 9, 180.72).unwrap();
        ws.write_number(3, 10, 0.0166).unwrap();
        ws.write_number(3, 11, 60.24).unwrap();
        ws.write_number(3, 12, 4.0).unwrap();
        ws.write_number(3, 13, 5.0).unwrap();
        // Row 5: text dates, September, so out of the period.
        ws.write_string(4, 0, "Sep 30, 2026").unwrap();
        ws.write_string(4, 1, "Sep 30, 2026").unwrap();
        ws.write_string(4, 3, "SP - Lamps - Exact").unwrap();
        ws.write_number(4, 6, 1.0).unwrap();
        ws.write_number(4, 7, 1.0).unwrap();
        ws.write_number(4, 8, 19.99).unwrap();
        for c in 9..=13 {
            ws.write_number(4, c, 0.0).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_with_date_cells_fractions_and_float_counts() {
        let bytes = console_xlsx();
        let (format, parsed) = read_export("sp.xlsx", &bytes, &ctx()).unwrap();
        assert_eq!(format, Format::AmazonAdsXlsx);
        assert_eq!((parsed.rows_total, parsed.rows_in_period), (2, 1));
        let a = &parsed.ads[0];
        assert_eq!((a.start, a.end), (day(2026, 10, 1), day(2026, 10, 31)));
        assert_eq!(a.campaign, "SP - Lamps - Auto");
        assert_eq!(a.spend.to_string(), "0.30", "0.1 + 0.2 as a float still reads as 30 cents");
        assert_eq!(a.sales.to_string(), "180.72");
        assert_eq!((a.orders, a.units, a.clicks, a.impressions), (4, 5, 210, 12345));
        assert_eq!(a.attribution_days, 7);
    }

    #[test]
    fn xlsx_errors_name_sheet_row_and_column() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let headers = [
            "Start Date",
            "Campaign Name",
            "Impressions",
            "Clicks",
            "Spend",
            "7 Day Total Sales",
            "7 Day Total Orders (#)",
            "7 Day Total Units (#)",
        ];
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "2026-10-03").unwrap();
        ws.write_string(1, 1, "A").unwrap();
        ws.write_number(1, 2, 10.0).unwrap();
        ws.write_number(1, 3, 2.5).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let e = read_export("sp.xlsx", &bytes, &ctx()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sp.xlsx [sheet \"Sheet1\"] row 2: column \"Clicks\": expected a whole number, found 2.5"
        );
    }

    #[test]
    fn fixture_console_export_reads_every_campaign() {
        let bytes = include_bytes!("../../fixtures/ingest/ads/sp-advertised-product-2026-10.csv");
        let (format, parsed) = read_export("sp-advertised-product-2026-10.csv", bytes, &ctx()).unwrap();
        assert_eq!(format, Format::AmazonAdsCsv);
        assert_eq!((parsed.rows_total, parsed.rows_in_period), (4, 4));
        let spend: Decimal = parsed.ads.iter().map(|a| a.spend).sum();
        let sales: Decimal = parsed.ads.iter().map(|a| a.sales).sum();
        assert_eq!((spend.to_string(), sales.to_string()), ("964.24".to_string(), "4389.30".to_string()));
        assert_eq!(parsed.ads[0].impressions, 48210);
    }

    #[test]
    fn header_detection_needs_campaign_name_and_spend() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(is_header(&h(&["Start Date", "Campaign Name ", "Spend "])));
        assert!(is_header(&h(&["campaign name", "SPEND"])));
        assert!(!is_header(&h(&["Campaign Name", "Cost"])));
    }

    #[test]
    fn garbage_after_the_header_never_panics() {
        let head = "Start Date,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales,7 Day Total Orders (#),7 Day Total Units (#)\n";
        for row in [
            "x",
            ",,,,,,,,,,,,,,,,",
            "10/01/2026,A",
            "\"",
            "10/01/2026,A,1e99,1,1,1,1,1",
            "10/01/2026,A,99999999999999999999,1,1,1,1,1",
        ] {
            let _ = read_csv(&format!("{head}{row}\n"));
        }
    }
}
