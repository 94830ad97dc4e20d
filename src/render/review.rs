//! The review (复盘) as a PDF: the same renderer, fonts and archival finish
//! as statements, with review.json attached. Every figure is a field of the
//! [`Review`]; nothing is computed here.

use super::fonts::Face;
use super::layout::{Align, CONTENT_WIDTH, Canvas, Column, MARGIN_X, MUTED, Style, Table, TableRow};
use super::trend::{Chart, draw_charts, flagged};
use super::{RenderError, RenderOptions, archive};
use crate::i18n::Catalog;
use crate::review::Review;
use crate::workspace::Provider;

const TABLE: Style = Style::new(Face::Regular, 7.0);
const SMALL: Style = Style::new(Face::Regular, 7.5);

/// `review` as a finished archival PDF in `options.language`, with `json`
/// (review.json's bytes) attached; `demo` marks every page as made with
/// the public demo key. Deterministic.
///
/// # Errors
/// As [`super::render_pdf`].
pub fn render_review(
    review: &Review,
    json: &[u8],
    provider: &Provider,
    options: &RenderOptions,
    demo: bool,
) -> Result<Vec<u8>, RenderError> {
    let c = Catalog::get(options.language)?;
    let separator = c.text("locale.decimal_separator")?.chars().next().unwrap_or('.');
    let mut canvas = Canvas::new(options.fonts, separator);
    let range =
        [("seller", review.seller.as_str()), ("from", &review.from.to_string()), ("to", &review.to.to_string())];
    let title = c.fill("review.title", &range)?;
    canvas.heading(&title, 40.0);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &provider.legal_name, SMALL.color(MUTED));
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("review.intro")?, SMALL.color(MUTED));
    canvas.advance(4.0);

    let gap = c.text("values.none")?.to_string();
    let continued = |section: &str| c.fill("document.continued", &[("section", section)]);
    let statements = c.text("review.statements")?;
    canvas.heading(statements, 50.0);
    let columns = vec![
        Column { header: c.text("review.period")?.to_string(), width: 50.0, align: Align::Left },
        Column { header: c.text("trend.statements")?.to_string(), width: 150.0, align: Align::Left },
        Column { header: c.text("amount_due.title")?.to_string(), width: 100.0, align: Align::Right },
        Column { header: c.text("columns.sha256")?.to_string(), width: CONTENT_WIDTH - 300.0, align: Align::Left },
    ];
    let rows = review
        .periods
        .iter()
        .map(|p| match &p.statement {
            Some(s) => TableRow::body(vec![
                p.period.to_string(),
                s.statement_number.clone(),
                format!("{} {}", s.currency.code(), c.money(s.amount_due)),
                s.manifest_sha256.clone(),
            ]),
            None => TableRow::body(vec![p.period.to_string(), gap.clone(), gap.clone(), gap.clone()]),
        })
        .collect();
    canvas.table(&Table { columns, rows, style: TABLE }, &continued(statements)?);

    let kpis = c.text("sections.scorecard")?;
    canvas.heading(kpis, 100.0);
    let columns = vec![
        Column { header: c.text("columns.kpi")?.to_string(), width: 220.0, align: Align::Left },
        Column { header: c.text("status.met")?.to_string(), width: 70.0, align: Align::Right },
        Column { header: c.text("status.alert")?.to_string(), width: 70.0, align: Align::Right },
        Column { header: c.text("status.missed")?.to_string(), width: CONTENT_WIDTH - 360.0, align: Align::Right },
    ];
    let mut rows = Vec::new();
    let mut charts = Vec::new();
    for k in &review.kpis {
        let name = format!("{} · {}", c.kpi(k.id)?, c.scope(k.market)?);
        rows.push(TableRow::body(vec![name.clone(), k.met.to_string(), k.alert.to_string(), k.missed.to_string()]));
        charts.push(Chart {
            title: name,
            values: k.points.iter().map(|p| p.value).collect(),
            flagged: k.points.iter().map(|p| flagged(p.status)).collect(),
            target: k.target.map(|b| match b {
                crate::kpi::Bound::Min { value, .. } | crate::kpi::Bound::Max { value, .. } => value,
            }),
        });
    }
    canvas.table(&Table { columns, rows, style: TABLE }, &continued(kpis)?);
    canvas.advance(6.0);
    let labels: Vec<String> = review.periods.iter().map(|p| p.period.to_string()).collect();
    draw_charts(&mut canvas, &charts, &labels);

    let money = c.text("review.money")?;
    canvas.heading(money, 60.0);
    let columns = vec![
        Column { header: c.text("columns.item")?.to_string(), width: 300.0, align: Align::Left },
        Column { header: c.text("review.total")?.to_string(), width: CONTENT_WIDTH - 300.0, align: Align::Right },
    ];
    let amount = |currency: crate::money::Currency, total| format!("{} {}", currency.code(), c.money(total));
    let mut rows = Vec::new();
    for s in &review.service_fees {
        rows.push(TableRow::body(vec![
            c.text(&format!("review.fee_kind.{}", fee_kind(s.key)))?.to_string(),
            amount(s.currency, s.total),
        ]));
    }
    for t in &review.tax {
        rows.push(TableRow::body(vec![c.text("amount_due.tax")?.to_string(), amount(t.currency, t.total)]));
    }
    for s in &review.pass_through {
        rows.push(TableRow::body(vec![
            c.text(&format!("cost_categories.{}", s.key.id()))?.to_string(),
            amount(s.currency, s.total),
        ]));
    }
    for m in &review.markets {
        let market = c.scope(crate::kpi::Scope::of(Some(m.market)))?;
        rows.push(TableRow::body(vec![format!("{market} · GMV"), amount(m.currency, m.gmv)]));
        rows.push(TableRow::body(vec![
            format!("{market} · {}", c.kpi(crate::kpi_id::KpiId::PlatformFees)?),
            amount(m.currency, m.platform_fees),
        ]));
        rows.push(TableRow::body(vec![
            format!("{market} · {}", c.kpi(crate::kpi_id::KpiId::NetProceeds)?),
            amount(m.currency, m.net_proceeds),
        ]));
    }
    for t in &review.amount_due {
        rows.push(TableRow::body(vec![c.text("amount_due.total")?.to_string(), amount(t.currency, t.total)]));
    }
    canvas.table(&Table { columns, rows, style: TABLE }, &continued(money)?);

    let notes = c.text("sections.data_notes")?;
    canvas.heading(notes, 40.0);
    if review.notes.is_empty() {
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &gap, SMALL);
    }
    for n in &review.notes {
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &format!("{} · {}", n.period, n.text), SMALL);
    }

    let marks: Vec<&str> = if demo { vec![c.text("document.demo_key")?] } else { Vec::new() };
    let pages = super::finish_pages(canvas.into_pages(), &title, &marks, c, options.fonts)?;
    let subject = format!("{} · {}–{}", review.seller, review.from, review.to);
    let from = review.from.to_string();
    let to = review.to.to_string();
    let info = archive::ArchiveInfo {
        title: &title,
        author: &provider.legal_name,
        subject: &subject,
        keywords: &[review.seller.as_str(), from.as_str(), to.as_str()],
        language: options.language.tag(),
        date: review.to.next().first_day(),
        producer: concat!(env!("CARGO_PKG_NAME"), " ", env!("CARGO_PKG_VERSION")),
    };
    let attachment = archive::Attachment {
        file_name: "review.json",
        mime: "application/json",
        description: "kpiseal review data (schema kpiseal.review/1)",
        bytes: json,
    };
    super::assemble(pages, options.fonts, super::Serializer::Direct, &info, &[attachment])
}

/// The template key of a fee line kind.
fn fee_kind(kind: crate::fees::FeeLineKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}
