//! Amazon Sponsored Products advertised-product reports: daily rows per
//! campaign and advertised SKU, as a CSV (`acme-home` profile: 7-day
//! attribution, `$1,234.50` and `1.66%` cells, trailing spaces in two
//! headers) or an XLSX (`sunny-gadgets` profile: older ACoS/RoAS spelling,
//! 14-day columns, numbers as numbers, ratios as fractions, real date cells).
//!
//! Ad-attributed sales are a share of each day's item sales and spend
//! follows from a ROAS drawn around 3, so the period's ROAS lands in 2–4.
//! The daily spend also drives the settlements' "Cost of Advertising" lines.

use std::io;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::data::AmazonProduct;
use super::text::{Dollars, Fixed, MonDdYyyy};
use super::{Gen, GenerateSummary, Profile, Seller, Workspace, add_days, between, chance, div_round};

struct Campaign {
    name: &'static str,
    ad_group: &'static str,
    /// Indexes into the profile's catalogue.
    products: &'static [u8],
}

const fn campaign(name: &'static str, ad_group: &'static str, products: &'static [u8]) -> Campaign {
    Campaign { name, ad_group, products }
}

const ACME_CAMPAIGNS: &[Campaign] = &[
    campaign("SP | Standing Desk | Exact", "Desk - exact", &[0]),
    campaign("SP | Robot Vacuum | Broad", "Vacuum - broad", &[1]),
    campaign("SP | Auto | Home Essentials", "Auto - all", &[2, 3, 6, 7]),
    campaign("SP | Furniture | Phrase", "Recliner & Sofa", &[4, 5]),
    campaign("SP | Brand Defense", "Brand - all", &[1, 2, 3]),
];

const SUNNY_CAMPAIGNS: &[Campaign] = &[
    campaign("SP - Earbuds - Exact", "ANC earbuds", &[0]),
    campaign("SP - Chargers - Broad", "GaN chargers", &[1, 2]),
    campaign("SP - Auto - All", "Auto", &[0, 1, 2, 3, 4, 5, 6, 7]),
    campaign("SP - Smart Home", "Plugs & tags", &[3, 5]),
];

/// One report row: a campaign's advertised SKU on one day.
struct AdRow {
    date: NaiveDate,
    campaign: u8,
    product: u8,
    impressions: i64,
    clicks: i64,
    spend: i64,
    sales: i64,
    orders: i64,
    units: i64,
}

/// Generates ad activity for every window day, writes the report (the
/// period plus three days either side) and returns each window day's spend
/// in cents.
pub fn write(
    ws: &Workspace,
    seller: &Seller,
    rng: &mut Gen,
    catalog: &[AmazonProduct],
    window_first: NaiveDate,
    daily_gmv: &[i64],
) -> io::Result<(Vec<i64>, GenerateSummary)> {
    let (campaigns, share, roas) = match seller.profile {
        Profile::SunnyGadgets => (SUNNY_CAMPAIGNS, (280, 360), (240, 360)),
        _ => (ACME_CAMPAIGNS, (260, 340), (220, 380)),
    };
    let report_first = add_days(ws.period.first_day(), -3);
    let report_last = add_days(ws.period.last_day(), 3);
    let pairs: Vec<(u8, u8)> =
        campaigns.iter().enumerate().flat_map(|(c, camp)| camp.products.iter().map(move |&p| (c as u8, p))).collect();

    let mut daily_spend = vec![0i64; daily_gmv.len()];
    let mut rows = Vec::new();
    let mut weights = vec![0i64; pairs.len()];
    for (di, &gmv) in daily_gmv.iter().enumerate() {
        let date = add_days(window_first, di as i64);
        let sales_total = div_round(gmv * between(rng, share.0, share.1), 1000);
        for w in weights.iter_mut() {
            *w = between(rng, 40, 160);
        }
        let weight_sum: i64 = weights.iter().sum();
        for (k, &(c, p)) in pairs.iter().enumerate() {
            let price = catalog[p as usize].price;
            // The row's share of the day's ad-attributed sales sets its
            // spend; the sales it reports are whole orders, rounded up or
            // down at random so the expected value is kept. Rows that spend
            // without converting are common for expensive goods.
            let budget = sales_total * weights[k] / weight_sum;
            let spend = div_round(budget * 100, between(rng, roas.0, roas.1)).max(5);
            let orders = budget / price + i64::from(chance(rng, (budget % price * 1000 / price) as u32));
            let units = orders + i64::from(orders > 0 && chance(rng, 150));
            let sales = units * price;
            let clicks = div_round(spend, between(rng, 55, 240)).max(1);
            let impressions = div_round(clicks * 10_000, between(rng, 30, 140)).max(clicks);
            daily_spend[di] += spend;
            if date >= report_first && date <= report_last {
                rows.push(AdRow { date, campaign: c, product: p, impressions, clicks, spend, sales, orders, units });
            }
        }
    }

    let dir = ws.exports_dir(seller);
    let summary = match seller.profile {
        Profile::SunnyGadgets => {
            let mut workbook = xlsx(&rows, campaigns, catalog)?;
            ws.write_xlsx(
                &format!("{dir}/Sponsored Products Advertised product report.xlsx"),
                rows.len() as u64,
                &mut workbook,
            )?
        }
        _ => ws.write_text(
            &format!("{dir}/Sponsored_Products_Advertised_product_report_{}.csv", ws.period),
            rows.len() as u64,
            |w| csv(w, &rows, campaigns, catalog),
        )?,
    };
    Ok((daily_spend, summary))
}

const CSV_HEADER: [&str; 17] = [
    "Start Date",
    "End Date",
    "Currency",
    "Campaign Name",
    "Ad Group Name",
    "Advertised SKU",
    "Advertised ASIN",
    "Impressions",
    "Clicks",
    "Click-Thru Rate (CTR)",
    "Cost Per Click (CPC)",
    "Spend",
    "7 Day Total Sales ",
    "Total Advertising Cost of Sales (ACOS) ",
    "Total Return on Advertising Spend (ROAS)",
    "7 Day Total Orders (#)",
    "7 Day Total Units (#)",
];

fn csv(w: &mut impl io::Write, rows: &[AdRow], campaigns: &[Campaign], catalog: &[AmazonProduct]) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CSV_HEADER)?;
    let mut cells: [String; 17] = Default::default();
    for r in rows {
        for c in cells.iter_mut() {
            c.clear();
        }
        let camp = &campaigns[r.campaign as usize];
        let product = &catalog[r.product as usize];
        let _ = write!(cells[0], "{}", MonDdYyyy(r.date));
        let _ = write!(cells[1], "{}", MonDdYyyy(r.date));
        cells[2].push_str("USD");
        cells[3].push_str(camp.name);
        cells[4].push_str(camp.ad_group);
        cells[5].push_str(product.sku);
        cells[6].push_str(product.asin);
        let _ = write!(cells[7], "{}", r.impressions);
        let _ = write!(cells[8], "{}", r.clicks);
        let ctr = div_round(r.clicks * 10_000, r.impressions);
        let _ = write!(cells[9], "{}%", Fixed { value: ctr, places: 2, comma: false });
        let _ = write!(cells[10], "{}", Dollars { cents: div_round(r.spend, r.clicks), short: true });
        let _ = write!(cells[11], "{}", Dollars { cents: r.spend, short: false });
        let _ = write!(cells[12], "{}", Dollars { cents: r.sales, short: false });
        if r.sales > 0 {
            let acos = div_round(r.spend * 10_000, r.sales);
            let _ = write!(cells[13], "{}%", Fixed { value: acos, places: 2, comma: false });
        }
        let _ = write!(cells[14], "{}", Fixed { value: div_round(r.sales * 100, r.spend), places: 2, comma: false });
        let _ = write!(cells[15], "{}", r.orders);
        let _ = write!(cells[16], "{}", r.units);
        out.write_record(&cells)?;
    }
    out.flush()
}

const XLSX_HEADER: [&str; 17] = [
    "Start Date",
    "End Date",
    "Currency",
    "Campaign Name",
    "Ad Group Name",
    "Advertised SKU",
    "Advertised ASIN",
    "Impressions",
    "Clicks",
    "Click-Thru Rate (CTR)",
    "Cost Per Click (CPC)",
    "Spend",
    "14 Day Total Sales",
    "Total Advertising Cost of Sales (ACoS)",
    "Total Return on Advertising Spend (RoAS)",
    "14 Day Total Orders (#)",
    "14 Day Total Units (#)",
];

fn xlsx(rows: &[AdRow], campaigns: &[Campaign], catalog: &[AmazonProduct]) -> io::Result<Workbook> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    // Excel caps sheet names at 31 characters, so Amazon's downloads carry
    // "Sponsored Product Advertised Product Report" cut short.
    sheet.set_name("Sponsored Product Advertised Pr").map_err(io::Error::other)?;
    let date_format = Format::new().set_num_format("mmm dd, yyyy");
    let money = Format::new().set_num_format("$#,##0.00");
    let percent = Format::new().set_num_format("0.00%");
    for (c, h) in XLSX_HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(io::Error::other)?;
    }
    // XLSX stores numbers as floats: cents become f64 only here, in the cell.
    let dollars = |cents: i64| cents as f64 / 100.0;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let camp = &campaigns[r.campaign as usize];
        let product = &catalog[r.product as usize];
        let date = ExcelDateTime::from_ymd(r.date.year() as u16, r.date.month() as u8, r.date.day() as u8)
            .map_err(io::Error::other)?;
        let result = (|| {
            sheet.write_datetime_with_format(row, 0, &date, &date_format)?;
            sheet.write_datetime_with_format(row, 1, &date, &date_format)?;
            sheet.write_string(row, 2, "USD")?;
            sheet.write_string(row, 3, camp.name)?;
            sheet.write_string(row, 4, camp.ad_group)?;
            sheet.write_string(row, 5, product.sku)?;
            sheet.write_string(row, 6, product.asin)?;
            sheet.write_number(row, 7, r.impressions as f64)?;
            sheet.write_number(row, 8, r.clicks as f64)?;
            let ctr = div_round(r.clicks * 1_000_000, r.impressions);
            sheet.write_number_with_format(row, 9, ctr as f64 / 1_000_000.0, &percent)?;
            sheet.write_number_with_format(row, 10, dollars(div_round(r.spend, r.clicks)), &money)?;
            sheet.write_number_with_format(row, 11, dollars(r.spend), &money)?;
            sheet.write_number_with_format(row, 12, dollars(r.sales), &money)?;
            if r.sales > 0 {
                let acos = div_round(r.spend * 10_000, r.sales);
                sheet.write_number_with_format(row, 13, acos as f64 / 10_000.0, &percent)?;
            }
            sheet.write_number(row, 14, div_round(r.sales * 100, r.spend) as f64 / 100.0)?;
            sheet.write_number(row, 15, r.orders as f64)?;
            sheet.write_number(row, 16, r.units as f64)?;
            Ok::<(), rust_xlsxwriter::XlsxError>(())
        })();
        result.map_err(io::Error::other)?;
    }
    Ok(workbook)
}
