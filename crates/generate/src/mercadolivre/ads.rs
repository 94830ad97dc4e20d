//! Mercado Livre's Product Ads report in the layout of
//! `fixtures/layouts/mercadolivre/product_ads.md`: a workbook with the
//! `Ajuda` and `Glossário` sheets and the data sheet `Relatório Anúncios
//! patrocinados` (a title row, a header whose cells break lines, one row
//! per advertised listing for the whole month, `Desde`/`Até` written
//! `01-out-2026`, amounts as float cells).
//!
//! It agrees with the Vendas export: a listing's direct sales are its
//! sales of the month the export marks "Venda por publicidade" and not
//! cancelled, their revenue the sales' Receita por produtos; assisted
//! ("indiretas") sales add 0 to 2 more at the listing's price; the
//! investment is the revenue over a ROAS of 3 to 7. Every listing is
//! advertised: one that sold nothing by its ad cost R$ 5 to 30.

use std::io;

use kpiseal::ingest::dates::PT_MONTHS_SHORT;
use kpiseal::ingest::mercadolivre_ads::SHEET;
use rust_xlsxwriter::Workbook;

use super::Sale;
use crate::data::MlProduct;
use crate::{Gen, Workspace, between};

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

/// Writes `exports/<period>/<seller>/report-pads_report-<advertiser>-<report>.xlsx`.
pub(super) fn write(
    ws: &Workspace,
    dir: &str,
    catalog: &[MlProduct],
    sales: &[Sale],
    rng: &mut Gen,
) -> io::Result<crate::GenerateSummary> {
    let (first, last) = (ws.period.first_day(), ws.period.last_day());
    let day = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        format!("{:02}-{}-{}", d.day(), PT_MONTHS_SHORT[d.month0() as usize], d.year())
    };
    let mut wb = Workbook::new();
    let xl = |e: rust_xlsxwriter::XlsxError| io::Error::other(e);
    wb.add_worksheet().set_name("Ajuda").map_err(xl)?.write(0, 0, "Como ler este relatório").map_err(xl)?;
    wb.add_worksheet().set_name("Glossário").map_err(xl)?.write(0, 0, "ACOS: Investimento / Receitas").map_err(xl)?;
    let sheet = wb.add_worksheet().set_name(SHEET).map_err(xl)?;
    let title = format!("Relatório de publicidade - {} - {}", day(first), day(last));
    sheet.write(0, 0, title).map_err(xl)?;
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write(1, c as u16, *h).map_err(xl)?;
    }
    let mut r = 2u32;
    for (p, product) in catalog.iter().enumerate() {
        let direct: Vec<&Sale> = sales
            .iter()
            .filter(|s| {
                s.product as usize == p && s.from_ads && !s.status.cancelled() && ws.period.contains(s.time.date())
            })
            .collect();
        let direct_revenue: i64 = direct.iter().map(|s| s.receita).sum();
        let indirect = if direct.is_empty() { 0 } else { between(rng, 0, 2) };
        let indirect_revenue = indirect * product.price;
        let revenue = direct_revenue + indirect_revenue;
        // An ad that sold nothing still cost its clicks.
        let spend = if revenue > 0 { revenue * 10 / between(rng, 30, 70) } else { between(rng, 500, 3000) };
        let clicks = (spend / between(rng, 60, 140)).max(1);
        let impressions = clicks * between(rng, 40, 90);
        let sales_count = direct.len() as i64 + indirect;
        let money = |c: i64| c as f64 / 100.0;
        let row = [
            (0, day(first)),
            (1, day(last)),
            (2, "Campanha principal".to_string()),
            (3, product.title.to_string()),
            (4, product.listing.to_string()),
            (5, "Ativo".to_string()),
        ];
        for (c, text) in row {
            sheet.write(r, c, text).map_err(xl)?;
        }
        let numbers = [
            (6, impressions as f64),
            (7, clicks as f64),
            (8, money(spend / clicks)),
            (9, (clicks * 10_000 / impressions) as f64 / 100.0),
            (10, (sales_count * 10_000 / clicks) as f64 / 100.0),
            (11, money(revenue)),
            (12, money(spend)),
            (13, (spend * 10_000 / revenue.max(1)) as f64 / 100.0),
            (14, (revenue * 100 / spend) as f64 / 100.0),
            (15, direct.len() as f64),
            (16, indirect as f64),
            (17, sales_count as f64),
            (18, money(direct_revenue)),
            (19, money(indirect_revenue)),
        ];
        for (c, n) in numbers {
            // Mercado Livre writes a dash where a ratio has nothing to divide by.
            if revenue == 0 && [10, 13, 14].contains(&c) {
                sheet.write(r, c, "-").map_err(xl)?;
            } else {
                sheet.write(r, c, n).map_err(xl)?;
            }
        }
        r += 1;
    }
    let name = format!(
        "report-pads_report-{}-{}.xlsx",
        between(rng, 100_000_000, 999_999_999),
        between(rng, 1_000_000, 9_999_999)
    );
    ws.write_xlsx(&format!("{dir}/{name}"), u64::from(r - 2), &mut wb)
}
