//! The statement's sections, in DOMAIN.md's order, laid out from the
//! Statement model alone: every figure printed is a field of the model,
//! formatted for the reader's language; nothing is computed here.

use rust_decimal::Decimal;

use super::RenderError;
use super::fonts::Face;
use super::layout::{
    Align, CONTENT_WIDTH, Canvas, Column, MARGIN_X, MUTED, PAGE_WIDTH, RowKind, SHADE, Style, Table, TableRow,
};
use crate::fees::FeeLineKind;
use crate::fx::{FxMethod, FxRateBasis};
use crate::i18n::{Catalog, LabelError};
use crate::kpi::{Bound, Kpi, Scope, Status, Unit};
use crate::kpi_id::KpiId;
use crate::money::RoundingMode;
use crate::notes::NoteClass;
use crate::statement::{Reconciled, Statement};

const BODY: Style = Style::new(Face::Regular, 8.5);
const SMALL: Style = Style::new(Face::Regular, 7.5);
const TABLE: Style = Style::new(Face::Regular, 7.5);

/// Lays out every section of `s` on `canvas` in `c`'s language.
pub fn draw(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    header(canvas, s, c)?;
    amount_due(canvas, s, c)?;
    let definitions = definition_numbers(s);
    scorecard(canvas, s, c, &definitions)?;
    super::trend::trend(canvas, s, c)?;
    service_fees(canvas, s, c)?;
    pass_through(canvas, s, c)?;
    fx_rates(canvas, s, c)?;
    markets(canvas, s, c)?;
    reconciliation(canvas, s, c)?;
    data_notes(canvas, s, c)?;
    definitions_section(canvas, s, c, &definitions)?;
    evidence(canvas, s, c)?;
    Ok(())
}

fn header(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    let title = Style::new(Face::Bold, 18.0);
    let top = canvas.y();
    canvas.text_at(MARGIN_X, top + title.size, c.text("document.title")?, title);
    // Statement number, period and issue date on the right of the title.
    let right = PAGE_WIDTH - MARGIN_X;
    let meta = [
        (c.text("header.statement_number")?, s.statement_number.clone()),
        (
            c.text("header.period")?,
            c.fill("header.period_range", &[("start", &c.date(s.period.start)), ("end", &c.date(s.period.end))])?,
        ),
        (c.text("header.issue_date")?, c.date(s.issue_date)),
    ];
    let label_style = SMALL.color(MUTED);
    let value_style = Style::new(Face::Bold, 8.5);
    // Labels end a gap before the widest value, however long the number.
    let widest =
        meta.iter().map(|(_, v)| canvas.fonts().width(value_style.face, v, value_style.size)).fold(0.0, f32::max);
    for (i, (label, value)) in meta.iter().enumerate() {
        let baseline = top + 8.0 + i as f32 * 11.0;
        canvas.text_right(right - widest - 8.0, baseline, label, label_style);
        canvas.text_right(right, baseline, value, value_style);
    }
    canvas.advance(42.0);

    // Provider (issuer) and seller (bill to) side by side.
    let half = CONTENT_WIDTH / 2.0 - 8.0;
    let block_top = canvas.y();
    let provider_lines = vec![
        (s.provider.legal_name.clone(), Face::Bold),
        (s.provider.name.clone(), Face::Regular),
        (format!("{}: {}", c.text("header.tax_id")?, s.provider.tax_id), Face::Regular),
        (s.provider.address.clone(), Face::Regular),
    ];
    let seller_lines = vec![
        (s.seller.legal_name.clone(), Face::Bold),
        (s.seller.id.clone(), Face::Regular),
        (format!("{}: {}", c.text("header.tax_id")?, s.seller.tax_id), Face::Regular),
    ];
    let left_end = party_block(canvas, MARGIN_X, block_top, half, c.text("header.issued_by")?, &provider_lines);
    let right_end =
        party_block(canvas, MARGIN_X + half + 16.0, block_top, half, c.text("header.bill_to")?, &seller_lines);
    canvas.advance(left_end.max(right_end) - block_top + 6.0);

    // Contract, currency and markets on one ruled line.
    let markets: Vec<String> = s.contract.markets.iter().map(|m| c.market(*m)).collect::<Result<_, _>>()?;
    let facts = [
        (
            c.text("header.contract")?,
            c.fill(
                "header.contract_term",
                &[("id", &s.contract.id), ("start", &c.date(s.contract.start)), ("end", &c.date(s.contract.end))],
            )?,
        ),
        (c.text("header.settlement_currency")?, s.seller.settlement_currency.code().to_string()),
        (c.text("header.markets")?, markets.join(", ")),
    ];
    let y = canvas.y();
    canvas.rule(MARGIN_X, PAGE_WIDTH - MARGIN_X, y, 0.6, super::layout::RULE);
    let widths = [CONTENT_WIDTH * 0.45, CONTENT_WIDTH * 0.2, CONTENT_WIDTH * 0.35];
    let mut x = MARGIN_X;
    for ((label, value), w) in facts.iter().zip(widths) {
        canvas.text_at(x, y + 10.0, label, label_style);
        canvas.text_at(x, y + 21.0, value, BODY);
        x += w;
    }
    canvas.advance(27.0);
    canvas.rule(MARGIN_X, PAGE_WIDTH - MARGIN_X, canvas.y(), 0.6, super::layout::RULE);
    canvas.advance(8.0);
    if let Some(old) = &s.supersedes {
        let text = c.fill(
            "header.supersedes",
            &[
                ("number", &old.statement_number),
                ("reason", &old.reason),
                ("manifest", &old.manifest_sha256),
                ("pdf", &old.statement_pdf_sha256),
            ],
        )?;
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &text, Style::new(Face::Bold, 8.5).color(super::layout::ALERT));
        canvas.advance(6.0);
    }
    Ok(())
}

/// A party's label and lines at (`x`, `top`), wrapped to `width`; returns
/// the bottom.
fn party_block(canvas: &mut Canvas, x: f32, top: f32, width: f32, label: &str, lines: &[(String, Face)]) -> f32 {
    let label_style = SMALL.color(MUTED);
    canvas.text_at(x, top + label_style.size, label, label_style);
    let mut y = top + label_style.leading() + 1.0;
    for (text, face) in lines.iter().filter(|(t, _)| !t.trim().is_empty()) {
        let style = Style::new(*face, if *face == Face::Bold { 10.0 } else { 8.5 });
        for line in super::layout::wrap(canvas.fonts(), text, style, width) {
            canvas.text_at(x, y + style.size, &line, style);
            y += style.leading();
        }
    }
    y
}

fn amount_due(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    let t = &s.totals;
    let code = t.currency.code();
    let rows = [
        (c.text("amount_due.service_fees")?, t.service_fees),
        (c.text("amount_due.tax")?, t.tax),
        (c.text("amount_due.pass_through")?, t.pass_through),
    ];
    let big = Style::new(Face::Bold, 16.0);
    let height = 30.0 + rows.len() as f32 * BODY.leading() + 8.0;
    canvas.ensure(height + 30.0);
    let top = canvas.y();
    canvas.fill(MARGIN_X, top, CONTENT_WIDTH, height, SHADE);
    let right = PAGE_WIDTH - MARGIN_X - 10.0;
    canvas.text_at(MARGIN_X + 10.0, top + 8.0 + 13.0, c.text("amount_due.title")?, Style::new(Face::Bold, 13.0));
    canvas.text_right(right, top + 8.0 + big.size, &format!("{code} {}", c.money(t.amount_due)), big);
    let mut y = top + 32.0;
    for (label, amount) in rows {
        canvas.text_at(MARGIN_X + 10.0, y + BODY.size, label, BODY);
        canvas.text_right(right, y + BODY.size, &format!("{code} {}", c.money(amount)), BODY);
        y += BODY.leading();
    }
    canvas.advance(height + 6.0);
    if let Some(conv) = &t.conversion {
        let text = c.fill(
            "amount_due.converted",
            &[
                ("from", conv.from.code()),
                ("to", conv.to.code()),
                ("rate", &c.number(conv.rate)),
                ("source", &conv.source),
                ("date", &c.date(conv.date)),
            ],
        )?;
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &text, SMALL.color(MUTED));
    }
    let rounding = c.fill("amount_due.rounding", &[("rule", &c.rounding_rule(s.rounding.mode)?)])?;
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &rounding, SMALL.color(MUTED));
    canvas.advance(4.0);
    Ok(())
}

/// KPI definition keys in scorecard order, numbered from 1.
fn definition_numbers(s: &Statement) -> Vec<(KpiId, String)> {
    let mut out: Vec<(KpiId, String)> = Vec::new();
    for k in &s.kpis {
        if !out.iter().any(|(id, _)| *id == k.id) {
            out.push((k.id, k.definition_key.clone()));
        }
    }
    out
}

/// A KPI value (or target) in its unit: money with two decimals, counts as
/// integers, ROAS as a multiple, other ratios as exact percentages, days
/// as a number of days.
pub(super) fn kpi_value(c: &Catalog, id: KpiId, unit: Unit, value: Decimal) -> Result<String, LabelError> {
    Ok(match unit {
        Unit::Money(_) => c.money(value),
        Unit::Count => c.number(value),
        Unit::Ratio if id == KpiId::Roas => c.number(value),
        Unit::Ratio => c.percent(value),
        Unit::Days => c.fill("values.days", &[("days", &c.number(value))])?,
    })
}

fn target_text(c: &Catalog, k: &Kpi) -> Result<String, RenderError> {
    let Some(bound) = k.target else { return Ok(c.text("values.none")?.to_string()) };
    let (key, value, alert) = match bound {
        Bound::Min { value, alert } => ("target.min", value, alert),
        Bound::Max { value, alert } => ("target.max", value, alert),
    };
    let mut text = c.fill(key, &[("value", &kpi_value(c, k.id, k.unit, value)?)])?;
    if let Some(a) = alert {
        text.push_str(" · ");
        text.push_str(&c.fill("target.alert", &[("value", &kpi_value(c, k.id, k.unit, a)?)])?);
    }
    Ok(text)
}

fn scorecard(
    canvas: &mut Canvas,
    s: &Statement,
    c: &Catalog,
    definitions: &[(KpiId, String)],
) -> Result<(), RenderError> {
    let columns = vec![
        Column { header: c.text("columns.kpi")?.to_string(), width: 190.0, align: Align::Left },
        Column { header: c.text("columns.actual")?.to_string(), width: 105.0, align: Align::Decimal },
        Column { header: c.text("columns.target")?.to_string(), width: 140.0, align: Align::Right },
        Column { header: c.text("columns.status")?.to_string(), width: CONTENT_WIDTH - 435.0, align: Align::Left },
    ];
    let mut rows = Vec::new();
    let mut scopes: Vec<Scope> = Vec::new();
    for k in &s.kpis {
        if !scopes.contains(&k.market) {
            scopes.push(k.market);
        }
    }
    let single = single_market_scorecard(s);
    if let Some(market) = single {
        scopes.retain(|scope| *scope != Scope::of(Some(market)));
    }
    for scope in scopes {
        let kpis: Vec<&Kpi> = s.kpis.iter().filter(|k| k.market == scope).collect();
        let currency = kpis.iter().find_map(|k| match k.unit {
            Unit::Money(cur) => Some(cur.code()),
            _ => None,
        });
        // One market's figures printed once, under its own name.
        let named = match single {
            Some(market) if scope == Scope::All => Scope::of(Some(market)),
            _ => scope,
        };
        let group = match currency {
            Some(code) => format!("{} ({code})", c.scope(named)?),
            None => c.scope(named)?.to_string(),
        };
        rows.push(TableRow::spanning(RowKind::Group, group));
        for k in kpis {
            let number = definitions.iter().position(|(id, _)| *id == k.id).map_or(0, |i| i + 1);
            let value = match k.value {
                Some(v) => kpi_value(c, k.id, k.unit, v)?,
                None => c.text("values.none")?.to_string(),
            };
            let status = c.text(&format!("status.{}", status_id(k.status)))?.to_string();
            // The reference `kpiseal explain` takes, for a market's KPI with a value.
            let label = match (k.value, crate::explain::kpi_reference(k)) {
                (Some(_), Some(reference)) => format!("{} [{number}]\n{reference}", c.kpi(k.id)?),
                _ => format!("{} [{number}]", c.kpi(k.id)?),
            };
            let mut row = TableRow::body(vec![label, value, target_text(c, k)?, status]);
            if matches!(k.status, Status::Missed | Status::Alert) {
                row.highlight = Some(3);
            }
            rows.push(row);
            if let Some(note) = &k.note {
                rows.push(TableRow::spanning(RowKind::Note, c.note(note)?));
            }
        }
    }
    let title = c.text("sections.scorecard")?;
    canvas.heading(title, 60.0);
    canvas.table(&Table { columns, rows, style: TABLE }, &c.fill("document.continued", &[("section", title)])?);
    Ok(())
}

/// The contract's one market, when the scorecard prints its figures once:
/// a contract of a single market in the fee currency has overall KPIs equal
/// to the market's (value, unit and note), and the overall ones carry the
/// targets, so the market's own block would repeat them. `None` when any
/// KPI differs between the two scopes: then both are printed.
fn single_market_scorecard(s: &Statement) -> Option<crate::market::Market> {
    let [market] = s.contract.markets.as_slice() else { return None };
    if s.markets.iter().find(|m| m.market == *market).map(|m| m.currency) != Some(s.contract.fee_currency) {
        return None;
    }
    let scope = Scope::of(Some(*market));
    let same = s.kpis.iter().filter(|k| k.market == Scope::All).all(|overall| {
        s.kpis.iter().any(|k| {
            k.market == scope
                && k.id == overall.id
                && k.value == overall.value
                && k.unit == overall.unit
                && k.note == overall.note
        })
    });
    same.then_some(*market)
}

/// A comparison as printed: `≥` rather than the contract's `>=`.
fn op_symbol(op: crate::contract::CompareOp) -> &'static str {
    match op.symbol() {
        ">=" => "≥",
        "<=" => "≤",
        other => other,
    }
}

/// The scope a fee rule read, as printed: the market's name, "All markets",
/// or, when the overall value leaves some of the contract's markets out,
/// the markets it covers ("Amazon US only").
fn rule_scope(
    c: &Catalog,
    s: &Statement,
    scope: Scope,
    covers: &[crate::market::Market],
) -> Result<String, RenderError> {
    if scope == Scope::All && !covers.is_empty() && covers != s.contract.markets.as_slice() {
        return Ok(c.fill("scopes.all_covering", &[("markets", &c.market_list(covers)?)])?);
    }
    Ok(c.scope(scope)?.to_string())
}

fn status_id(status: Status) -> &'static str {
    match status {
        Status::Met => "met",
        Status::Missed => "missed",
        Status::Alert => "alert",
        Status::NoData => "no_data",
        Status::NoTarget => "no_target",
    }
}

fn service_fees(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    let f = &s.service_fees;
    let code = f.currency.code();
    let title = c.text("sections.service_fees")?;
    canvas.heading(title, 150.0);

    // The commission base: each market's GMV converted into the fee currency.
    let base = &s.commission_base;
    for line in &base.lines {
        let text = c.fill(
            "fees.commission_base",
            &[
                ("gmv", &format!("{} {} {}", c.market(line.market)?, line.currency.code(), c.money(line.gmv))),
                ("rate", &c.number(line.fx_rate)),
                ("converted", &format!("{code} {}", c.money(line.converted))),
            ],
        )?;
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &text, SMALL);
    }
    let tier_note = match f.tier_mode {
        crate::contract::TierMode::Marginal => "fees.tier_mode_marginal",
        crate::contract::TierMode::Whole => "fees.tier_mode_whole",
    };
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text(tier_note)?, SMALL.color(MUTED));
    canvas.advance(3.0);

    let columns = vec![
        Column { header: c.text("columns.item")?.to_string(), width: 235.0, align: Align::Left },
        Column { header: format!("{} ({code})", c.text("columns.base")?), width: 100.0, align: Align::Decimal },
        Column { header: c.text("columns.rate")?.to_string(), width: 70.0, align: Align::Decimal },
        Column {
            header: format!("{} ({code})", c.text("columns.amount")?),
            width: CONTENT_WIDTH - 405.0,
            align: Align::Decimal,
        },
    ];
    let none = c.text("values.none")?;
    let commission_lines = f.lines.iter().filter(|l| l.kind == FeeLineKind::Commission).count();
    let mut rows = Vec::new();
    for (index, line) in f.lines.iter().enumerate() {
        let item = match line.kind {
            FeeLineKind::BaseFee => c.text("fees.base_fee")?.to_string(),
            FeeLineKind::Commission if commission_lines > 1 => {
                c.fill("fees.commission", &[("tier", &line.tier.unwrap_or(1).to_string())])?
            }
            FeeLineKind::Commission => c.text("fees.commission_single")?.to_string(),
            FeeLineKind::Bonus | FeeLineKind::Penalty => {
                let key = if line.kind == FeeLineKind::Bonus { "fees.bonus" } else { "fees.penalty" };
                match &line.trigger {
                    Some(t) => {
                        let scope = Scope::of(t.market);
                        let unit =
                            s.kpis.iter().find(|k| k.id == t.kpi && k.market == scope).map_or(Unit::Ratio, |k| k.unit);
                        c.fill(
                            key,
                            &[
                                ("kpi", c.kpi(t.kpi)?),
                                ("scope", &rule_scope(c, s, scope, &t.covers)?),
                                ("value", &kpi_value(c, t.kpi, unit, t.value)?),
                                ("op", op_symbol(t.op)),
                                ("threshold", &kpi_value(c, t.kpi, unit, t.threshold)?),
                            ],
                        )?
                    }
                    None => line.description.clone(),
                }
            }
            FeeLineKind::MinimumAdjustment => c.text("fees.minimum_adjustment")?.to_string(),
            FeeLineKind::MaximumAdjustment => c.text("fees.maximum_adjustment")?.to_string(),
            FeeLineKind::HandlingMarkup => c.text("fees.handling_markup")?.to_string(),
        };
        rows.push(TableRow::body(vec![
            format!("{item}\n{}", crate::derivation::fee_line_reference(index)),
            line.base.map_or_else(|| none.to_string(), |b| c.money(b)),
            line.rate.map_or_else(|| none.to_string(), |r| c.percent(r)),
            c.money(line.amount),
        ]));
    }
    rows.push(TableRow {
        kind: RowKind::Total,
        cells: vec![c.text("fees.subtotal")?.to_string(), String::new(), String::new(), c.money(f.subtotal)],
        highlight: None,
    });
    rows.push(TableRow::body(vec![
        c.fill("fees.tax", &[("rate", &c.percent(f.tax_rate))])?,
        c.money(f.subtotal),
        c.percent(f.tax_rate),
        c.money(f.tax),
    ]));
    rows.push(TableRow {
        kind: RowKind::Total,
        cells: vec![c.text("fees.total")?.to_string(), String::new(), String::new(), c.money(f.total)],
        highlight: None,
    });
    canvas.table(&Table { columns, rows, style: TABLE }, &c.fill("document.continued", &[("section", title)])?);
    if let Some(text) = bounds_text(f, c)? {
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &text, SMALL.color(MUTED));
    }

    let not_applied: Vec<String> = f
        .rules
        .iter()
        .filter(|r| !r.applied)
        .map(|r| {
            let scope = Scope::of(r.market);
            let unit = s.kpis.iter().find(|k| k.id == r.kpi && k.market == scope).map_or(Unit::Ratio, |k| k.unit);
            let value = match r.value {
                Some(v) => kpi_value(c, r.kpi, unit, v)?,
                None => c.text("status.no_data")?.to_string(),
            };
            Ok(c.fill(
                "fees.rule_not_applied",
                &[
                    ("kpi", c.kpi(r.kpi)?),
                    ("scope", &rule_scope(c, s, scope, &r.covers)?),
                    ("value", &value),
                    ("op", op_symbol(r.op)),
                    ("threshold", &kpi_value(c, r.kpi, unit, r.threshold)?),
                ],
            )?)
        })
        .collect::<Result<_, RenderError>>()?;
    if !not_applied.is_empty() {
        let text = c.fill("fees.rules_not_applied", &[("rules", &not_applied.join("; "))])?;
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &text, SMALL.color(MUTED));
    }
    Ok(())
}

/// Which lines the contract's minimum and maximum fee bound, and whether the
/// handling markup is outside them; `None` when the contract sets neither.
fn bounds_text(f: &crate::fees::ServiceFees, c: &Catalog) -> Result<Option<String>, RenderError> {
    let Some(b) = &f.bounds else { return Ok(None) };
    let amount = |value: Decimal| format!("{} {}", f.currency.code(), c.money(value));
    let minimum = b.minimum.map(|m| c.fill("fees.bound_minimum", &[("amount", &amount(m))])).transpose()?;
    let maximum = b.maximum.map(|m| c.fill("fees.bound_maximum", &[("amount", &amount(m))])).transpose()?;
    let limits = match (minimum, maximum) {
        (Some(min), Some(max)) => c.fill("fees.bounds_both", &[("minimum", &min), ("maximum", &max)])?,
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => return Ok(None),
    };
    let key = if b.bounded.contains(&FeeLineKind::HandlingMarkup) { "fees.bounds_with_markup" } else { "fees.bounds" };
    let text = c.fill(key, &[("limits", &limits), ("sum", &amount(b.bounded_sum))])?;
    if !b.outside.contains(&FeeLineKind::HandlingMarkup) {
        return Ok(Some(text));
    }
    let outside = c.text("fees.bounds_markup_outside")?;
    Ok(Some(c.fill("fees.bounds_then_outside", &[("bounds", &text), ("outside", outside)])?))
}

fn pass_through(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    let p = &s.pass_through;
    let code = p.currency.code();
    let title = c.text("sections.pass_through")?;
    canvas.heading(title, 90.0);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("pass_through.note")?, SMALL.color(MUTED));
    canvas.advance(2.0);
    if p.lines.is_empty() {
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("pass_through.none")?, BODY);
        return Ok(());
    }
    let columns = vec![
        Column { header: c.text("columns.date")?.to_string(), width: 68.0, align: Align::Left },
        Column { header: c.text("columns.category")?.to_string(), width: 64.0, align: Align::Left },
        Column { header: c.text("columns.vendor")?.to_string(), width: 122.0, align: Align::Left },
        Column { header: c.text("columns.invoice")?.to_string(), width: 76.0, align: Align::Left },
        Column { header: c.text("columns.original")?.to_string(), width: 72.0, align: Align::Right },
        Column { header: c.text("columns.fx_rate")?.to_string(), width: 47.0, align: Align::Decimal },
        Column {
            header: format!("{} ({code})", c.text("columns.converted")?),
            width: CONTENT_WIDTH - 449.0,
            align: Align::Decimal,
        },
    ];
    let mut rows = Vec::with_capacity(p.lines.len() + 1);
    for (i, l) in p.lines.iter().enumerate() {
        let vendor =
            if l.description.is_empty() { l.vendor.clone() } else { format!("{}\n{}", l.vendor, l.description) };
        rows.push(TableRow::body(vec![
            c.date(l.date),
            c.text(&format!("cost_categories.{}", l.category.id()))?.to_string(),
            vendor,
            format!("{}\n{}", l.invoice_no, crate::explain::pass_through_reference(i)),
            format!("{} {}", l.currency.code(), c.money(l.amount)),
            c.number(l.fx_rate),
            c.money(l.converted),
        ]));
    }
    rows.push(TableRow {
        kind: RowKind::Total,
        cells: vec![
            String::new(),
            String::new(),
            c.text("pass_through.total")?.to_string(),
            String::new(),
            String::new(),
            String::new(),
            c.money(p.total),
        ],
        highlight: None,
    });
    canvas.table(&Table { columns, rows, style: TABLE }, &c.fill("document.continued", &[("section", title)])?);
    Ok(())
}

fn fx_rates(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    let title = c.text("sections.fx")?;
    let quotes: Vec<_> = s.fx.iter().filter(|q| q.method != FxMethod::Identity).collect();
    if quotes.is_empty() {
        return Ok(());
    }
    canvas.heading(title, 60.0);
    if let Some(fx) = &s.contract.fx {
        let rule = match fx.rate_date {
            crate::contract::RateDate::PeriodEnd => c.text("fx.rule_period_end")?,
            crate::contract::RateDate::PeriodAverage => c.text("fx.rule_period_average")?,
        };
        let text = c.fill("fx.agreed", &[("source", &fx.source), ("rule", rule)])?;
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &text, SMALL.color(MUTED));
        canvas.advance(2.0);
    }
    let columns = vec![
        Column { header: c.text("columns.pair")?.to_string(), width: 120.0, align: Align::Left },
        Column { header: c.text("columns.rate")?.to_string(), width: 70.0, align: Align::Decimal },
        Column { header: c.text("columns.rate_date")?.to_string(), width: 170.0, align: Align::Left },
        Column { header: c.text("columns.source")?.to_string(), width: CONTENT_WIDTH - 360.0, align: Align::Left },
    ];
    let mut rows = Vec::new();
    for q in quotes {
        let method = c.text(&format!(
            "fx.method_{}",
            match q.method {
                FxMethod::Identity => "identity",
                FxMethod::Direct => "direct",
                FxMethod::Inverse => "inverse",
                FxMethod::CrossViaUsd => "cross_via_usd",
            }
        ))?;
        rows.push(TableRow::spanning(RowKind::Group, format!("{} → {} ({method})", q.from.code(), q.to.code())));
        for leg in &q.legs {
            let date = match &leg.basis {
                FxRateBasis::Day { date } => c.date(*date),
                FxRateBasis::Average { first, last, .. } => {
                    c.fill("fx.basis_average", &[("start", &c.date(*first)), ("end", &c.date(*last))])?
                }
            };
            let op = match leg.operation {
                crate::fx::FxOperation::Multiply => "×",
                crate::fx::FxOperation::Divide => "÷",
            };
            rows.push(TableRow::body(vec![
                format!("{op} {}/{}", leg.base.code(), leg.quote.code()),
                c.number(RoundingMode::HalfUp.round_dp(leg.rate, 6).normalize()),
                date,
                leg.source.clone(),
            ]));
        }
    }
    canvas.table(&Table { columns, rows, style: TABLE }, &c.fill("document.continued", &[("section", title)])?);
    Ok(())
}

fn markets(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    let title = c.text("sections.markets")?;
    canvas.heading(title, 60.0);
    let money_col = |key: &str| -> Result<Column, RenderError> {
        Ok(Column { header: c.text(key)?.to_string(), width: 68.0, align: Align::Decimal })
    };
    let columns = vec![
        Column { header: c.text("columns.market")?.to_string(), width: 85.0, align: Align::Left },
        money_col("columns.gmv")?,
        Column { header: c.text("columns.orders")?.to_string(), width: 40.0, align: Align::Right },
        Column { header: c.text("columns.units")?.to_string(), width: 40.0, align: Align::Right },
        money_col("columns.refunds")?,
        money_col("columns.platform_fees")?,
        money_col("columns.net_proceeds")?,
        Column { header: c.text("columns.reconciled")?.to_string(), width: CONTENT_WIDTH - 437.0, align: Align::Left },
    ];
    let none = c.text("values.none")?;
    let money = |v: Option<Decimal>| v.map_or_else(|| none.to_string(), |d| c.money(d));
    let count = |v: Option<i64>| v.map_or_else(|| none.to_string(), |n| c.number(Decimal::from(n)));
    let mut rows = Vec::new();
    for m in &s.markets {
        rows.push(TableRow::body(vec![
            format!("{} ({})", c.market(m.market)?, m.currency.code()),
            money(m.gmv),
            count(m.orders),
            count(m.units),
            money(m.refunds),
            money(m.platform_fees),
            money(m.net_proceeds),
            c.text(match m.reconciled {
                Reconciled::Yes => "values.yes",
                Reconciled::Differs => "values.differs",
                Reconciled::NotReconciled => "values.not_reconciled",
            })?
            .to_string(),
        ]));
    }
    canvas.table(&Table { columns, rows, style: TABLE }, &c.fill("document.continued", &[("section", title)])?);
    Ok(())
}

fn reconciliation(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    let title = c.text("sections.reconciliation")?;
    canvas.heading(title, 60.0);
    if s.reconciliation.is_empty() {
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("reconciliation.none")?, BODY);
        return Ok(());
    }
    let columns = vec![
        Column { header: c.text("columns.file")?.to_string(), width: 215.0, align: Align::Left },
        Column { header: c.text("columns.currency")?.to_string(), width: 40.0, align: Align::Left },
        Column { header: c.text("columns.reported")?.to_string(), width: 80.0, align: Align::Decimal },
        Column { header: c.text("columns.computed")?.to_string(), width: 80.0, align: Align::Decimal },
        Column { header: c.text("columns.result")?.to_string(), width: CONTENT_WIDTH - 415.0, align: Align::Left },
    ];
    let mut rows = Vec::new();
    for check in &s.reconciliation {
        let result = if check.ok {
            c.text("reconciliation.ok")?.to_string()
        } else {
            c.fill("reconciliation.mismatch", &[("difference", &c.money(check.computed - check.reported))])?
        };
        let mut row = TableRow::body(vec![
            check.file.clone(),
            check.currency.code().to_string(),
            c.money(check.reported),
            c.money(check.computed),
            result,
        ]);
        if !check.ok {
            row.highlight = Some(4);
        }
        rows.push(row);
    }
    canvas.table(&Table { columns, rows, style: TABLE }, &c.fill("document.continued", &[("section", title)])?);
    if s.reconciliation.iter().any(|r| !r.ok) {
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("reconciliation.warning")?, SMALL.color(super::layout::ALERT));
    }
    Ok(())
}

/// The contract choices that took effect and the data notes, each with the
/// files and lines it comes from (`crate::notes`).
fn data_notes(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    canvas.heading(c.text("sections.data_notes")?, 40.0);
    if s.notes.is_empty() {
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("data_notes.none")?, BODY);
        return Ok(());
    }
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("data_notes.intro")?, SMALL.color(MUTED));
    canvas.advance(3.0);
    let number_width = 22.0;
    for (i, note) in s.notes.iter().enumerate() {
        let label_style = Style::new(Face::Bold, 8.0);
        canvas.ensure(label_style.leading() * 2.0);
        let y = canvas.y();
        let class = match note.class {
            NoteClass::Choice => c.text("data_notes.choice")?,
            NoteClass::Data => c.text("data_notes.data")?,
        };
        let color = if note.class == NoteClass::Data { super::layout::ALERT } else { MUTED };
        canvas.text_at(MARGIN_X, y + label_style.size, &format!("({})", i + 1), label_style);
        canvas.text_at(MARGIN_X + number_width, y + label_style.size, class, label_style.color(color));
        canvas.advance(label_style.leading());
        canvas.paragraph(MARGIN_X + number_width, CONTENT_WIDTH - number_width, &c.data_note(&note.kind)?, SMALL);
        if !note.at.is_empty() {
            canvas.paragraph(
                MARGIN_X + number_width,
                CONTENT_WIDTH - number_width,
                &note.at.join(" · "),
                SMALL.color(MUTED),
            );
        }
        canvas.advance(2.0);
    }
    Ok(())
}

fn definitions_section(
    canvas: &mut Canvas,
    s: &Statement,
    c: &Catalog,
    definitions: &[(KpiId, String)],
) -> Result<(), RenderError> {
    canvas.heading(c.text("sections.definitions")?, 30.0);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("definitions.intro")?, SMALL.color(MUTED));
    canvas.advance(3.0);
    let number_width = 22.0;
    for (i, (id, key)) in definitions.iter().enumerate() {
        let name_style = Style::new(Face::Bold, 8.0);
        canvas.ensure(name_style.leading() * 2.0);
        let y = canvas.y();
        canvas.text_at(MARGIN_X, y + name_style.size, &format!("[{}]", i + 1), name_style);
        canvas.text_at(MARGIN_X + number_width, y + name_style.size, c.kpi(*id)?, name_style);
        canvas.advance(name_style.leading());
        let text = c.text(&format!("kpi_definitions.{key}"))?;
        canvas.paragraph(MARGIN_X + number_width, CONTENT_WIDTH - number_width, text, SMALL);
        canvas.advance(2.0);
    }
    canvas.advance(2.0);
    let name_style = Style::new(Face::Bold, 8.0);
    canvas.ensure(name_style.leading() * 3.0);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("definitions.rounding_title")?, name_style);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &c.rounding_rule(s.rounding.mode)?, SMALL);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("definitions.percent_note")?, SMALL);
    Ok(())
}

fn evidence(canvas: &mut Canvas, s: &Statement, c: &Catalog) -> Result<(), RenderError> {
    let title = c.text("sections.evidence")?;
    canvas.heading(title, 70.0);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("evidence.intro")?, SMALL.color(MUTED));
    canvas.advance(2.0);
    let columns = vec![
        Column { header: c.text("columns.file")?.to_string(), width: 126.0, align: Align::Left },
        Column { header: c.text("columns.format")?.to_string(), width: 74.0, align: Align::Left },
        Column { header: c.text("columns.dates")?.to_string(), width: 52.0, align: Align::Left },
        Column { header: c.text("columns.rows")?.to_string(), width: 34.0, align: Align::Right },
        Column { header: c.text("columns.sha256")?.to_string(), width: CONTENT_WIDTH - 286.0, align: Align::Left },
    ];
    let rows = s
        .inputs
        .iter()
        .map(|i| {
            TableRow::body(vec![
                i.path.clone(),
                i.format.id().to_string(),
                i.dates.map_or_else(String::new, |d| {
                    if d.first == d.last { d.first.to_string() } else { format!("{} –\n{}", d.first, d.last) }
                }),
                c.number(Decimal::from(i.rows)),
                i.sha256.clone(),
            ])
        })
        .collect();
    let style = Style::new(Face::Regular, 6.5);
    canvas.table(&Table { columns, rows, style }, &c.fill("document.continued", &[("section", title)])?);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("evidence.data")?, SMALL);
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("evidence.provenance")?, SMALL);
    let key_id = [("key_id", s.signing.key_id.as_str())];
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &c.fill("evidence.signed", &key_id)?, SMALL);
    if s.signing.demo {
        canvas.paragraph(MARGIN_X, CONTENT_WIDTH, c.text("evidence.demo")?, SMALL.color(super::layout::ALERT));
    }
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &c.fill("evidence.verify", &key_id)?, SMALL);
    let generator = c.fill("evidence.generator", &[("name", &s.generator.name), ("version", &s.generator.version)])?;
    canvas.paragraph(MARGIN_X, CONTENT_WIDTH, &generator, SMALL.color(MUTED));
    Ok(())
}
