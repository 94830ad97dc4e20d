//! The statement's trend section: the KPIs with targets and the amount due
//! over the last six periods, as a table and as small bar charts drawn in
//! the PDF's own vector operators (a bar per period, this statement's
//! target as a line across, bars of periods in alert or missed in the alert
//! colour, no bar in a gap). Every number comes from `Statement::trend`.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::RenderError;
use super::fonts::Face;
use super::layout::{ALERT, Align, CONTENT_WIDTH, Canvas, Column, INK, MARGIN_X, MUTED, RULE, Style, Table, TableRow};
use super::sections::kpi_value;
use crate::i18n::Catalog;
use crate::kpi::{Bound, Status, Unit};
use crate::statement::Statement;
use crate::trend::{Trend, TrendPoint};

/// The fill colour of a bar in a period met or without a target status.
pub const BAR: (f32, f32, f32) = (0.33, 0.47, 0.66);
/// Charts per row, the gap between them, and a chart's parts (points).
const PER_ROW: usize = 3;
const GAP: f32 = 12.0;
const TITLE_HEIGHT: f32 = 11.0;
/// The height of the plot area a bar of the largest value fills.
pub const PLOT_HEIGHT: f32 = 48.0;
const LABEL_HEIGHT: f32 = 10.0;
const CHART_HEIGHT: f32 = TITLE_HEIGHT + PLOT_HEIGHT + LABEL_HEIGHT + 8.0;

const TABLE: Style = Style::new(Face::Regular, 7.0);
const SMALL: Style = Style::new(Face::Regular, 6.5);

/// One chart: a title, its values per period (a gap is `None`), whether
/// each was in alert or missed, and the target drawn across.
pub(super) struct Chart {
    pub title: String,
    pub values: Vec<Option<Decimal>>,
    pub flagged: Vec<bool>,
    pub target: Option<Decimal>,
}

/// Draws the trend section when the statement has a trend.
pub(super) fn trend(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    let Some(t) = &s.trend else { return Ok(()) };
    let title = c.text("sections.trend")?;
    canvas.heading(title, 60.0);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("trend.intro")?, SMALL.color(MUTED));
    canvas.advance(2.0);
    table(canvas, t, c, title)?;
    canvas.advance(6.0);
    let labels: Vec<String> = t.periods.iter().map(|p| p.period.clone()).collect();
    draw_charts(canvas, &charts(t, c)?, &labels);
    Ok(())
}

/// Lays `charts` out [`PER_ROW`] to a row, each bar labelled by its period
/// (`labels`, `YYYY-MM`, printed without the century).
pub(super) fn draw_charts(canvas: &mut Canvas, charts: &[Chart], labels: &[String]) {
    for row in charts.chunks(PER_ROW) {
        canvas.ensure(CHART_HEIGHT);
        let top = canvas.y();
        let width = (CONTENT_WIDTH - GAP * (PER_ROW - 1) as f32) / PER_ROW as f32;
        for (i, chart) in row.iter().enumerate() {
            draw(canvas, chart, MARGIN_X + i as f32 * (width + GAP), top, width, labels);
        }
        canvas.advance(CHART_HEIGHT);
    }
}

/// The KPI rows and the amount due, a column per period.
fn table(canvas: &mut Canvas, t: &Trend, c: &Catalog, title: &str) -> Result<(), RenderError> {
    let first = 140.0;
    let each = (CONTENT_WIDTH - first) / t.periods.len() as f32;
    let mut columns = vec![Column { header: c.text("columns.kpi")?.to_string(), width: first, align: Align::Left }];
    columns.extend(t.periods.iter().map(|p| Column { header: p.period.clone(), width: each, align: Align::Right }));
    let gap = c.text("values.none")?;
    let mut rows = Vec::new();
    for k in &t.kpis {
        let mut cells = vec![format!("{} · {}", c.kpi(k.id)?, c.scope(k.market)?)];
        for p in &k.points {
            cells.push(point_text(c, k.id, k.unit, p, gap)?);
        }
        rows.push(TableRow::body(cells));
    }
    let mut cells = vec![c.text("amount_due.title")?.to_string()];
    for a in &t.amount_due {
        cells.push(match a {
            Some(a) => format!("{} {}", a.currency.code(), c.money(a.amount_due)),
            None => gap.to_string(),
        });
    }
    rows.push(TableRow::body(cells));
    let mut numbers = vec![c.text("trend.statements")?.to_string()];
    numbers.extend(t.periods.iter().map(|p| p.statement_number.clone().unwrap_or_else(|| gap.to_string())));
    rows.push(TableRow::body(numbers));
    canvas.table(&Table { columns, rows, style: TABLE }, &c.fill("document.continued", &[("section", title)])?);
    Ok(())
}

/// A value as the scorecard prints it, with "!" after one in alert or missed.
fn point_text(
    c: &Catalog,
    id: crate::kpi_id::KpiId,
    unit: Unit,
    p: &TrendPoint,
    gap: &str,
) -> Result<String, RenderError> {
    Ok(match p.value {
        Some(v) => {
            let text = kpi_value(c, id, unit, v)?;
            if flagged(p.status) { format!("{text} !") } else { text }
        }
        None => gap.to_string(),
    })
}

pub(super) fn flagged(status: Option<Status>) -> bool {
    matches!(status, Some(Status::Alert | Status::Missed))
}

/// A chart per KPI of the trend, then the amount due (in this statement's
/// currency; a period in another currency is drawn as a gap).
fn charts(t: &Trend, c: &Catalog) -> Result<Vec<Chart>, RenderError> {
    let mut out = Vec::new();
    for k in &t.kpis {
        let target = k.target.map(|b| match b {
            Bound::Min { value, .. } | Bound::Max { value, .. } => value,
        });
        out.push(Chart {
            title: format!("{} · {}", c.kpi(k.id)?, c.scope(k.market)?),
            values: k.points.iter().map(|p| p.value).collect(),
            flagged: k.points.iter().map(|p| flagged(p.status)).collect(),
            target,
        });
    }
    let currency = t.amount_due.last().and_then(|a| a.as_ref()).map(|a| a.currency);
    out.push(Chart {
        title: format!("{} ({})", c.text("amount_due.title")?, currency.map_or("", |cur| cur.code())),
        values: t
            .amount_due
            .iter()
            .map(|a| a.as_ref().filter(|a| Some(a.currency) == currency).map(|a| a.amount_due))
            .collect(),
        flagged: vec![false; t.amount_due.len()],
        target: None,
    });
    Ok(out)
}

/// The top of the bar for `value` above the baseline at `bottom`, on a
/// scale where `max` fills [`PLOT_HEIGHT`]. Geometry only: the figures
/// printed are the exact decimals of the table.
pub fn bar_height(value: Decimal, max: Decimal) -> f32 {
    if max <= Decimal::ZERO || value <= Decimal::ZERO {
        return 0.0;
    }
    (value / max).to_f32().unwrap_or(0.0).min(1.0) * PLOT_HEIGHT
}

/// The scale's top: the largest value or target, so both fit.
fn scale_max(chart: &Chart) -> Decimal {
    chart.values.iter().flatten().chain(chart.target.iter()).copied().fold(Decimal::ZERO, Decimal::max)
}

fn draw(canvas: &mut Canvas, chart: &Chart, x: f32, top: f32, width: f32, labels: &[String]) {
    let title_style = Style::new(Face::Bold, 6.5);
    canvas.text_at(x, top + 7.0, &chart.title, title_style);
    let plot_top = top + TITLE_HEIGHT;
    let bottom = plot_top + PLOT_HEIGHT;
    let max = scale_max(chart);
    let slot = width / chart.values.len() as f32;
    let bar_width = slot * 0.6;
    for (i, value) in chart.values.iter().enumerate() {
        let left = x + i as f32 * slot + (slot - bar_width) / 2.0;
        if let Some(v) = value {
            let h = bar_height(*v, max);
            if h > 0.0 {
                let color = if chart.flagged[i] { ALERT } else { BAR };
                canvas.fill(left, bottom - h, bar_width, h, color);
            }
        }
        let label = labels.get(i).map_or("", |l| l.get(2..).unwrap_or(l));
        canvas.text_at(left - 1.0, bottom + 7.0, label, SMALL.color(MUTED));
    }
    canvas.rule(x, x + width, bottom, 0.4, RULE);
    if let Some(target) = chart.target {
        let y = bottom - bar_height(target, max);
        canvas.rule(x, x + width, y, 0.8, INK);
    }
}
