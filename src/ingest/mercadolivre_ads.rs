//! Mercado Livre's Product Ads report ("Relatório de anúncios
//! patrocinados", Publicidade → Relatórios → Anúncios (Padrão), XLSX) into
//! ads rows of `mercadolivre_br`: what ad spend, ACoS, ROAS and TACoS are
//! made of.
//!
//! The layout, its sources and what is not confirmed are in
//! `fixtures/layouts/mercadolivre/product_ads.md`: a workbook whose sheet
//! `Relatório Anúncios patrocinados` has a title row, then a header whose
//! cells break lines (`Investimento⏎(Moeda local)`), then one row per ad
//! and campaign for the whole range the seller chose (`Desde` to `Até`,
//! written `17-ago-2026`): the report has no daily breakdown. Columns are
//! found by header name (line breaks read as spaces); `Desde`, `Até`,
//! `Campanha`, `Código do anúncio`, `Impressões`, `Cliques`,
//! `Receita (Moeda local)`, `Investimento (Moeda local)` and
//! `Vendas por publicidade (Diretas + Indiretas)` are needed. Ratio cells
//! (CTR, CVR, ACOS, ROAS) are not read: kpiseal divides the amounts itself.
//!
//! **Attributed sales** are `Receita`, the revenue of direct and assisted
//! ("indiretas") sales, as Mercado Livre's own ACOS divides it; Mercado
//! Livre states no attribution window (its `attribution_days` is 0).

use chrono::NaiveDate;

use super::records::AdRow;
use super::table::{Row, Table};
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport, amazon_ads, dates};
use crate::error::InputError;

const FROM: &[&str] = &["Desde"];
const TO: &[&str] = &["Até"];
const CAMPAIGN: &[&str] = &["Campanha"];
const AD_CODE: &[&str] = &["Código do anúncio"];
const IMPRESSIONS: &[&str] = &["Impressões"];
const CLICKS: &[&str] = &["Cliques"];
const REVENUE: &[&str] = &["Receita (Moeda local)", "Receita"];
const SPEND: &[&str] = &["Investimento (Moeda local)", "Investimento"];
const SALES: &[&str] = &["Vendas por publicidade (Diretas + Indiretas)", "Vendas por publicidade"];

/// The data sheet's name in real workbooks.
pub const SHEET: &str = "Relatório Anúncios patrocinados";

/// Whether a header row is a Product Ads report's.
pub fn is_header(headers: &[String]) -> bool {
    let has = |names: &[&str]| names.iter().any(|n| super::has_all(headers, &[n]));
    has(FROM) && has(TO) && has(CAMPAIGN) && has(SPEND) && has(AD_CODE)
}

/// Reads a Product Ads report into [`AdRow`]s of `ctx.market` (Mercado Livre BR)
/// in BRL (the site's currency: the report names none but "Moeda local").
///
/// **Which rows belong to the period:** as for Amazon's reports (see
/// `amazon_ads::add_in_period`): a row counts when its range lies in the
/// period (or the part of it the contract term covers), a row wholly
/// outside it is skipped, and a row across the month's first or last day
/// is refused asking for the report of the period alone, since the report
/// cannot be broken down by day. A row inside the period must cover all of
/// it (or all of the part the contract term covers): a report downloaded
/// for part of the month would count part of its ads. A row with a blank
/// `Campanha` and a blank `Investimento` is skipped. Ad codes must be of
/// Mercado Livre Brasil (`MLB…`): another site's report is in its own
/// currency, which the report does not name.
///
/// **Identity:** each row is a [`Unit`] keyed by its range, campaign and ad
/// code (an ad moved between campaigns has a row in each), so a row in two
/// downloads counts once.
///
/// # Errors
/// An [`InputError`] naming the file, sheet row and column: a required
/// column missing or repeated, a date that is not `17-ago-2026` (or a date
/// cell), `Até` before `Desde`, an amount or count that is not a number.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let col = |names: &[&str]| t.require(names);
    let (from, to, campaign, code) = (col(FROM)?, col(TO)?, col(CAMPAIGN)?, col(AD_CODE)?);
    let (impressions, clicks, revenue, spend, sales) =
        (col(IMPRESSIONS)?, col(CLICKS)?, col(REVENUE)?, col(SPEND)?, col(SALES)?);
    let mut out = ParsedExport::default();
    for row in &t.rows {
        if t.is_blank(row, campaign) && t.is_blank(row, spend) {
            continue;
        }
        out.rows_total += 1;
        let start = day(t, row, from)?;
        let end = day(t, row, to)?;
        if end < start {
            return Err(t.error(row, to, format!("{end} is before the row's start ({start})")));
        }
        let (first, last) = ctx.counted;
        if start >= ctx.period.first_day() && end <= ctx.period.last_day() && (start, end) != (first, last) {
            return Err(t.error(
                row,
                to,
                format!(
                    "the row covers {start} to {end}, part of {first} to {last}: the report sums the range it was \
                     downloaded for, so it would count part of the period's ads; download it for Desde {first}, \
                     Até {last}"
                ),
            ));
        }
        let code_text = t.required_text(row, code, "the ad's code (MLB…)")?;
        if !code_text.starts_with("MLB") {
            return Err(t.error(
                row,
                code,
                format!(
                    "ad {code_text:?} is not of Mercado Livre Brasil (codes start with MLB): kpiseal reads \
                     mercadolivre_br, in BRL; another site's report is in another currency"
                ),
            ));
        }
        let ad = AdRow {
            market: ctx.market,
            line: row.number,
            start,
            end,
            campaign: t.required_text(row, campaign, "the campaign")?,
            ad_group: None,
            sku: Some(code_text),
            asin: None,
            currency: ctx.currency,
            spend: t.money(row, spend)?,
            sales: t.money(row, revenue)?,
            orders: t.whole(row, sales)?,
            units: 0,
            clicks: t.whole(row, clicks)?,
            impressions: t.whole(row, impressions)?,
            attribution_days: 0,
        };
        let unit = unit(t, row, campaign, &ad);
        let how = "download the Product Ads report for the period alone (Desde the first day, Até the last)";
        amazon_ads::add_in_period(t, row, to, ad, unit, ctx, how, &mut out)?;
    }
    Ok(out)
}

/// The row as a unit of money: keyed by its range, campaign and ad code.
fn unit(t: &Table, row: &Row, campaign_col: usize, ad: &AdRow) -> Unit {
    let key = UnitKey::Ad {
        start: ad.start,
        end: ad.end,
        campaign: ad.campaign.clone(),
        ad_group: None,
        sku: ad.sku.clone(),
        asin: None,
    };
    let code = ad.sku.as_deref().unwrap_or("");
    let label = format!("ads row {} to {} {} / {code}", ad.start, ad.end, ad.campaign);
    let mut unit = Unit::new(key, t.location(row.number), t.headers[campaign_col].clone(), label);
    unit.fingerprint = Fingerprint::of((ad.spend, ad.sales, ad.orders, ad.clicks, ad.impressions));
    unit.summary = format!("investment {} BRL, revenue {}", ad.spend, ad.sales).into();
    unit
}

/// A `Desde`/`Até` cell: a date cell, or `17-ago-2026` as the report writes it.
fn day(t: &Table, row: &Row, col: usize) -> Result<NaiveDate, InputError> {
    let text = t.text(row, col);
    if let Some(dt) = t.datetime_cell(row, col) {
        return dates::plausible(dt.date(), &text).map_err(|m| t.error(row, col, m));
    }
    let expected = || format!("{text:?} is not a date (expected the report's form, e.g. 17-ago-2026)");
    let parts: Vec<&str> = text.split('-').collect();
    let [d, m, y] = parts.as_slice() else { return Err(t.error(row, col, expected())) };
    let month = dates::PT_MONTHS_SHORT
        .iter()
        .position(|name| m.eq_ignore_ascii_case(name))
        .ok_or_else(|| t.error(row, col, expected()))?;
    let date = match (d.parse::<u32>(), y.parse::<i32>()) {
        (Ok(d), Ok(y)) => NaiveDate::from_ymd_opt(y, month as u32 + 1, d),
        _ => None,
    }
    .ok_or_else(|| t.error(row, col, expected()))?;
    dates::plausible(date, &text).map_err(|m| t.error(row, col, m))
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use rust_xlsxwriter::Workbook;

    use super::*;
    use crate::error::Location;
    use crate::ingest::{Format, read_export};
    use crate::period::Period;

    const HEADERS: [&str; 20] = [
        "Desde",
        "Até",
        "Campanha",
        "Título do anúncio patrocinado",
        "Código do anúncio",
        "Status",
        "Impressões",
        "Cliques",
        "CPC \n(Custo por clique)",
        "CTR\n(Click Through Rate)",
        "CVR\n(Conversion rate)",
        "Receita\n(Moeda local)",
        "Investimento\n(Moeda local)",
        "ACOS \n(Investimento / Receitas)",
        "ROAS\n(Receitas / Investimento)",
        "Vendas diretas",
        "Vendas indiretas",
        "Vendas por publicidade\n(Diretas + Indiretas)",
        "Receita por vendas diretas\n(Moeda Local)",
        "Receita por vendas indiretas",
    ];

    /// A workbook as Mercado Livre writes it (fixtures/layouts/mercadolivre/product_ads.md):
    /// help and glossary sheets, then the data sheet with a title row; `rows`
    /// are (from, to, campaign, code, impressions, clicks, revenue, investment, sales).
    /// (from, to, campaign, code, impressions, clicks, revenue, investment, sales).
    type AdLine<'a> = (&'a str, &'a str, &'a str, &'a str, f64, f64, f64, f64, f64);

    fn workbook(rows: &[AdLine]) -> Vec<u8> {
        let mut wb = Workbook::new();
        wb.add_worksheet().set_name("Ajuda").unwrap().write(0, 0, "Como ler este relatório").unwrap();
        wb.add_worksheet().set_name("Glossário").unwrap().write(0, 0, "ACOS: investimento / receitas").unwrap();
        let ws = wb.add_worksheet().set_name(SHEET).unwrap();
        ws.write(0, 0, "Relatório de publicidade - 1 outubro 2026 - 31 outubro 2026").unwrap();
        for (c, h) in HEADERS.iter().enumerate() {
            ws.write(1, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 2;
            let (from, to, campaign, code, imp, clicks, revenue, spend, sales) = *row;
            for (c, text) in [(0, from), (1, to), (2, campaign), (3, "Luminária de mesa LED"), (4, code), (5, "Ativo")]
            {
                ws.write(r, c, text).unwrap();
            }
            for (c, n) in [(6, imp), (7, clicks), (11, revenue), (12, spend), (17, sales)] {
                ws.write(r, c, n).unwrap();
            }
            for c in [8, 9, 10, 13, 14] {
                ws.write(r, c, if clicks == 0.0 { "-".to_string() } else { "1.5".to_string() }).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    }

    fn read(bytes: &[u8]) -> Result<(Format, ParsedExport), InputError> {
        read_export(
            "exports/2026-10/rio-casa/report-pads_report-123-456.xlsx",
            bytes,
            &IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::MERCADOLIVRE_BR),
        )
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn each_ad_of_the_period_is_an_ads_row_in_brl_with_float_cells_rounded_to_centavos() {
        let bytes = workbook(&[
            ("01-out-2026", "31-out-2026", "Casa", "MLB4100000001", 12000.0, 340.0, 2890.5, 578.8800048828125, 21.0),
            ("01-out-2026", "31-out-2026", "Casa", "MLB4100000002", 800.0, 0.0, 0.0, 0.0, 0.0),
            ("01-set-2026", "30-set-2026", "Casa", "MLB4100000001", 9000.0, 200.0, 1500.0, 320.0, 12.0),
        ]);
        let (format, p) = read(&bytes).unwrap();
        assert_eq!(format, Format::MercadolivreAdsXlsx);
        assert_eq!((p.rows_total, p.rows_in_period), (3, 2));
        assert_eq!(p.ads.len(), 2);
        let ad = &p.ads[0];
        assert_eq!((ad.market, ad.currency.code()), (crate::market::Market::MERCADOLIVRE_BR, "BRL"));
        assert_eq!((ad.spend, ad.sales, ad.orders, ad.clicks), (dec("578.88"), dec("2890.50"), 21, 340));
        assert_eq!(ad.sku.as_deref(), Some("MLB4100000001"));
    }

    #[test]
    fn a_row_across_the_month_boundary_is_refused_asking_for_the_period_alone() {
        let bytes = workbook(&[("15-set-2026", "14-out-2026", "Casa", "MLB4100000001", 1.0, 1.0, 10.0, 5.0, 1.0)]);
        let e = read(&bytes).unwrap_err();
        assert_eq!(e.location, Location::Row { sheet: SHEET.to_string(), row: 3 });
        assert!(e.message.contains("for the period alone"), "{e}");
    }

    #[test]
    fn a_report_of_part_of_the_period_or_of_another_site_is_refused_naming_the_cell() {
        let bytes = workbook(&[("01-out-2026", "15-out-2026", "Casa", "MLB4100000001", 1.0, 1.0, 10.0, 5.0, 1.0)]);
        let e = read(&bytes).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("Até"));
        assert!(e.message.contains("part of 2026-10-01 to 2026-10-31"), "{e}");
        let bytes = workbook(&[("01-out-2026", "31-out-2026", "Casa", "MLA1100000001", 1.0, 1.0, 10.0, 5.0, 1.0)]);
        let e = read(&bytes).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("Código do anúncio"));
        assert!(e.message.contains("MLB"), "{e}");
    }

    #[test]
    fn a_date_not_in_the_reports_form_is_refused_naming_the_cell() {
        let bytes = workbook(&[("2026-10-01", "31-out-2026", "Casa", "MLB4100000001", 1.0, 1.0, 10.0, 5.0, 1.0)]);
        let e = read(&bytes).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("Desde"));
        assert!(e.message.contains("17-ago-2026"), "{e}");
    }
}
