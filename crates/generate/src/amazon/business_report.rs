//! The Business Report by date (Detail Page Sales and Traffic) in the
//! layout of `fixtures/layouts/amazon/business_report_by_date.md`: one row
//! per day (Los Angeles) of the All Orders report's days, whose orders it
//! counts (units ordered, order items, ordered product sales), with the
//! day's sessions drawn so that 9 to 14 % of them convert into a unit. No
//! business (B2B) buyers: those columns read zero.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::NaiveDate;

use super::la_date;
use super::orders::{Row, days};
use crate::{Gen, Workspace, add_days, between};

const HEADER: &str = "Date,Ordered Product Sales,Ordered Product Sales - B2B,Units Ordered,Units Ordered - B2B,Total Order Items,Total Order Items - B2B,Average Sales per Order Item,Average Sales per Order Item - B2B,Average Units per Order Item,Average Units per Order Item - B2B,Average Selling Price,Average Selling Price - B2B,Sessions - Total,Sessions - Total - B2B,Order Item Session Percentage,Order Item Session Percentage - B2B,Average Offer Count\n";

/// One day's counts.
#[derive(Default)]
struct Day {
    sales: i64,
    units: i64,
    items: i64,
}

/// Writes `exports/<period>/<seller>/BusinessReport-<first>-<last>.csv`
/// from the order items of the All Orders report (`rows`). Returns, beside
/// the summary, the sessions, units ordered and order items of the
/// period's days.
pub(super) fn write(
    ws: &Workspace,
    dir: &str,
    catalog_prices: &[i64],
    rows: &[Row],
    rng: &mut Gen,
) -> io::Result<(crate::GenerateSummary, (i64, i64, i64))> {
    let (first, last) = days(ws);
    let mut by_day: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    let mut day = first;
    while day <= last {
        by_day.insert(day, Day::default());
        day = add_days(day, 1);
    }
    for r in rows {
        let d = by_day.entry(la_date(r.purchased)).or_default();
        d.units += i64::from(r.ordered);
        d.items += 1;
        d.sales += r.money.map_or(catalog_prices[r.product as usize] * i64::from(r.ordered), |(price, _)| price);
    }
    let mut in_period = (0, 0, 0);
    let name = format!("{dir}/BusinessReport-{}-{}.csv", first.format("%-m-%-d-%y"), last.format("%-m-%-d-%y"));
    let summary = ws.write_text_rows(&name, |w| {
        w.write_all(HEADER.as_bytes())?;
        for (date, d) in &by_day {
            let percent = between(rng, 900, 1400);
            let sessions = ((d.units * 10_000 + percent - 1) / percent).max(d.items);
            if ws.period.contains(*date) {
                in_period = (in_period.0 + sessions, in_period.1 + d.units, in_period.2 + d.items);
            }
            let per_item = if d.items > 0 { d.sales / d.items } else { 0 };
            let units_per_item = if d.items > 0 { d.units * 100 / d.items } else { 0 };
            let price = if d.units > 0 { d.sales / d.units } else { 0 };
            let item_pct = if sessions > 0 { d.items * 10_000 / sessions } else { 0 };
            writeln!(
                w,
                "{},{},$0.00,{},0,{},0,{},$0.00,{}.{:02},0.00,{},$0.00,{},0,{}.{:02}%,0.00%,{}",
                date.format("%-m/%-d/%y"),
                dollars(d.sales),
                d.units,
                d.items,
                dollars(per_item),
                units_per_item / 100,
                units_per_item % 100,
                dollars(price),
                thousands(sessions),
                item_pct / 100,
                item_pct % 100,
                between(rng, 230, 245),
            )?;
        }
        Ok(by_day.len() as u64)
    })?;
    Ok((summary, in_period))
}

/// Cents as Seller Central prints dollars: `$989.70`, `"$2,238.44"`.
fn dollars(cents: i64) -> String {
    let text = format!("${}.{:02}", thousands_plain(cents / 100), cents % 100);
    if text.contains(',') { format!("\"{text}\"") } else { text }
}

/// A count with thousands separators, quoted when it has one: `906`, `"1,214"`.
fn thousands(n: i64) -> String {
    let text = thousands_plain(n);
    if text.contains(',') { format!("\"{text}\"") } else { text }
}

fn thousands_plain(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
