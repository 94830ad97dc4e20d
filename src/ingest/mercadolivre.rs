//! Mercado Livre "Vendas" export: the XLSX sheet "Vendas BR", or the CSV form
//! (`;`, decimal comma, sometimes Windows-1252), read into money lines, order
//! events and one reconciliation check per file.
//!
//! The export has one row per sale, with the sale's money in six signed
//! columns that add up to `Total (BRL)`. A sale split over several product
//! lines carries every amount on its first line; the extra lines leave the
//! money blank and either repeat the sale number or leave it blank
//! ("continuations"): they add units to the sale and nothing else.
//!
//! Dates are taken as printed: `Data da venda` is already São Paulo local
//! time, so a sale belongs to the month of its printed date
//! (`IngestContext::mercadolivre_tz` is not applied: the export's dates carry
//! no offset to convert from).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::dates;
use super::records::{MoneyKind, MoneyLine, OrderEvent, OrderEventKind, ReconciliationCheck};
use super::table::{Row, Table};
use super::units::{Unit, UnitKey};
use super::{IngestContext, ParsedExport};
use crate::error::InputError;
use crate::market::Market;

const MARKET: Market = Market::MercadoLivreBr;

/// The sale-number header as [`fold_sale_number_header`] leaves it.
const SALE_NUMBER_FOLDED: &str = "n de venda";
/// Spellings of the sale-number header seen in exports (for error messages).
const SALE_NUMBER: &[&str] = &["N.º de venda", "N.° de venda", "Nº de venda", "N. de venda"];

const DATE: &[&str] = &["Data da venda"];
const STATUS: &[&str] = &["Estado"];
const STATUS_DESCRIPTION: &[&str] = &["Descrição do status"];
const UNITS: &[&str] = &["Unidades"];
const PRODUCTS: &[&str] = &["Receita por produtos (BRL)", "Receita por produtos"];
const SALE_FEE: &[&str] = &["Tarifa de venda e impostos (BRL)", "Tarifa de venda e impostos"];
const SHIPPING: &[&str] = &["Receita por envio (BRL)", "Receita por envio"];
const SHIPPING_FEES: &[&str] = &["Tarifas de envio (BRL)", "Tarifas de envio"];
const DISCOUNTS: &[&str] = &["Descontos e bônus (BRL)", "Descontos e bônus"];
const CANCELLATIONS: &[&str] = &["Cancelamentos e reembolsos (BRL)", "Cancelamentos e reembolsos"];
const TOTAL: &[&str] = &["Total (BRL)", "Total"];
const CLAIM_OPEN: &[&str] = &["Reclamação aberta"];
const IN_MEDIATION: &[&str] = &["Em mediação"];

/// How many mismatching rows the reconciliation detail names.
const MISMATCHES_SHOWN: usize = 5;

/// Whether `headers` is the header row of a Vendas export: some cell reads
/// "N.º de venda" or a variant ("N.° de venda", "Nº de venda", "N. de venda").
pub fn is_header(headers: &[String]) -> bool {
    headers.iter().any(|h| fold_sale_number_header(h) == SALE_NUMBER_FOLDED)
}

/// Reads a Vendas export (XLSX or CSV, already a [`Table`]).
///
/// Every sale dated in `ctx.period` yields one money line per non-zero money
/// column (signed as printed; cancelled sales included, so the lines add up to
/// the period's `Total (BRL)`) and its order events:
/// - a sale cancelled before shipment yields `CancelledBySeller` or
///   `CancelledOther` and never `Placed`;
/// - any other sale yields `Placed` with its units (continuation lines
///   included), `Receita por produtos` as principal and `Receita por envio`
///   as shipping;
/// - a sale refunded after delivery additionally yields `Refunded`. Mercado
///   Livre returns the whole sale to the buyer in these cases and the export
///   does not split the refund by product and shipping, so the event carries
///   the sale's whole `Receita por produtos` and `Receita por envio`, not the
///   (net-of-fees) `Cancelamentos e reembolsos` amount;
/// - an open claim, a mediation, or a status that mentions a reclamação or
///   mediação additionally yields `Disputed`.
///
/// The rule that the money columns add up to `Total (BRL)` is checked on
/// every row of the file, whatever its date, and reported as one
/// [`ReconciliationCheck`]; a mismatch is reported, not an error.
///
/// # Errors
/// An [`InputError`] naming the file, line/row and column when a required
/// column is missing, a number, unit count or sale date cannot be read, or a
/// line with amounts has no sale number.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    let cols = Columns::find(t)?;
    let sales = read_sales(t, &cols)?;
    let mut out = ParsedExport { rows_total: t.rows.len(), ..ParsedExport::default() };
    out.checks.push(reconcile(t, &cols, &sales));
    for sale in &sales {
        let mut unit = unit(t, &cols, sale);
        if ctx.period.contains(sale.date) {
            let (lines, events) = (out.lines.len(), out.events.len());
            out.rows_in_period += sale.rows;
            emit(sale, &mut out);
            unit.lines = lines..out.lines.len();
            unit.events = events..out.events.len();
            unit.rows_in_period = sale.rows;
        }
        out.units.push(unit);
    }
    Ok(out)
}

/// The sale as a unit of money, keyed by its sale number; its date,
/// outcome, units and every money column are the fingerprint.
fn unit(t: &Table, cols: &Columns, sale: &Sale) -> Unit {
    let column = t.headers.get(cols.sale).cloned().unwrap_or_else(|| SALE_NUMBER[0].to_string());
    let total_header = t.headers.get(cols.total).map_or("Total (BRL)", String::as_str);
    let mut unit = Unit::new(
        UnitKey::Sale(sale.order_id.clone()),
        t.location(sale.number),
        column,
        format!("sale {}", sale.order_id),
    );
    let o = sale.outcome;
    unit.fingerprint.add((sale.date, o.cancelled.map(OrderEventKind::id), o.refunded, o.disputed, sale.units));
    for (i, (kind, amount)) in sale.amounts.iter().enumerate() {
        unit.fingerprint.add((i, kind.id(), amount));
    }
    unit.fingerprint.add(("total", sale.total));
    unit.summary = format!("{total_header} {}, sold {}", sale.total, sale.date);
    unit
}

/// Where the columns this parser reads sit in the table.
struct Columns {
    sale: usize,
    date: usize,
    status: usize,
    status_description: Option<usize>,
    units: usize,
    /// The money columns that add up to the total, each with its kind, in the
    /// order their money lines are emitted.
    money: Vec<(usize, MoneyKind)>,
    total: usize,
    claim_open: Option<usize>,
    in_mediation: Option<usize>,
}

impl Columns {
    fn find(t: &Table) -> Result<Self, InputError> {
        // The sale number is matched with its own fold (the dot and the
        // ordinal sign vary between exports); the first occurrence wins.
        let sale = match t.headers.iter().position(|h| fold_sale_number_header(h) == SALE_NUMBER_FOLDED) {
            Some(col) => col,
            None => t.require(SALE_NUMBER)?,
        };
        // Receita por produtos is the only Principal column and Receita por
        // envio the only Shipping one: `Sale::amount` relies on it.
        let mut money = vec![
            (t.require(PRODUCTS)?, MoneyKind::Principal),
            (t.require(SHIPPING)?, MoneyKind::Shipping),
            (t.require(SALE_FEE)?, MoneyKind::PlatformFee),
            (t.require(SHIPPING_FEES)?, MoneyKind::PlatformFee),
        ];
        if let Some(col) = t.column(DISCOUNTS) {
            money.push((col, MoneyKind::Promotion));
        }
        money.push((t.require(CANCELLATIONS)?, MoneyKind::Refund));
        Ok(Columns {
            sale,
            date: t.require(DATE)?,
            status: t.require(STATUS)?,
            status_description: t.column(STATUS_DESCRIPTION),
            units: t.require(UNITS)?,
            money,
            total: t.require(TOTAL)?,
            claim_open: t.column(CLAIM_OPEN),
            in_mediation: t.column(IN_MEDIATION),
        })
    }

    /// Whether every money column of `row`, the total included, is blank.
    fn money_blank(&self, t: &Table, row: &Row) -> bool {
        self.money.iter().all(|&(col, _)| t.is_blank(row, col)) && t.is_blank(row, self.total)
    }
}

/// What a sale's status says happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    /// `CancelledBySeller` or `CancelledOther` when cancelled before shipment.
    cancelled: Option<OrderEventKind>,
    /// Money returned to the buyer after delivery (never set when cancelled).
    refunded: bool,
    disputed: bool,
}

/// One sale: its first row, plus the units of its continuation lines.
struct Sale {
    order_id: String,
    /// Line/row number of the sale's first row.
    number: usize,
    date: NaiveDate,
    outcome: Outcome,
    units: i64,
    /// Each money column's amount, rounded to cents, in `Columns::money` order.
    amounts: Vec<(MoneyKind, Decimal)>,
    total: Decimal,
    /// Data rows this sale spans (its first row and its continuations).
    rows: usize,
}

impl Sale {
    /// The amount of the (only) column of `kind`: Receita por produtos for
    /// `Principal`, Receita por envio for `Shipping`.
    fn amount(&self, kind: MoneyKind) -> Decimal {
        self.amounts.iter().find(|(k, _)| *k == kind).map_or(Decimal::new(0, 2), |&(_, a)| a)
    }

    fn columns_sum(&self) -> Decimal {
        self.amounts.iter().fold(Decimal::new(0, 2), |acc, (_, a)| acc + a)
    }
}

fn read_sales(t: &Table, cols: &Columns) -> Result<Vec<Sale>, InputError> {
    let mut sales: Vec<Sale> = Vec::new();
    for row in &t.rows {
        let order_id = t.text(row, cols.sale);
        if cols.money_blank(t, row) {
            if let Some(sale) = sales.last_mut().filter(|s| order_id.is_empty() || order_id == s.order_id) {
                sale.units += t.whole(row, cols.units)?;
                sale.rows += 1;
                continue;
            }
        }
        if order_id.is_empty() {
            return Err(t.error(
                row,
                cols.sale,
                "the sale number is missing (only an extra product line of the sale above, with blank amounts, may leave it blank)",
            ));
        }
        let amounts =
            cols.money.iter().map(|&(col, kind)| Ok((kind, t.money(row, col)?))).collect::<Result<Vec<_>, _>>()?;
        sales.push(Sale {
            order_id,
            number: row.number,
            date: sale_date(t, row, cols.date)?,
            outcome: outcome(t, row, cols),
            units: t.whole(row, cols.units)?,
            amounts,
            total: t.money(row, cols.total)?,
            rows: 1,
        });
    }
    Ok(sales)
}

/// The sale's calendar date: a date-formatted XLSX cell, or text such as
/// `21 de agosto de 2026 16:10 hs.` (already São Paulo time).
fn sale_date(t: &Table, row: &Row, col: usize) -> Result<NaiveDate, InputError> {
    if let Some(dt) = t.datetime_cell(row, col) {
        return Ok(dt.date());
    }
    let text = t.text_ref(row, col);
    if text.is_empty() {
        return Err(t.error(row, col, "the sale date is missing"));
    }
    dates::mercadolivre_date(&text).map_err(|m| t.error(row, col, m))
}

/// Classifies a sale by its Estado and Descrição do status (free text,
/// compared without case or accents) and its claim/mediation flags.
fn outcome(t: &Table, row: &Row, cols: &Columns) -> Outcome {
    let mut status = fold_text(&t.text_ref(row, cols.status));
    if let Some(col) = cols.status_description {
        status.push_str(" | ");
        status.push_str(&fold_text(&t.text_ref(row, col)));
    }
    let cancelled = (status.contains("cancelad") || status.contains("cancelou")).then(|| {
        let by_seller = ["pelo vendedor", "voce cancelou", "cancelada por voce", "cancelado por voce"]
            .iter()
            .any(|s| status.contains(s));
        if by_seller { OrderEventKind::CancelledBySeller } else { OrderEventKind::CancelledOther }
    });
    let flagged = |col: Option<usize>| col.is_some_and(|c| fold_text(&t.text_ref(row, c)) == "sim");
    Outcome {
        cancelled,
        refunded: cancelled.is_none() && status.contains("reembols"),
        disputed: flagged(cols.claim_open)
            || flagged(cols.in_mediation)
            || status.contains("reclamacao")
            || status.contains("mediacao"),
    }
}

/// The file's check that the money columns add up to the total on every
/// sale row; continuation lines have neither and are counted as matching.
fn reconcile(t: &Table, cols: &Columns, sales: &[Sale]) -> ReconciliationCheck {
    let total_header = t.headers.get(cols.total).map_or("Total (BRL)", String::as_str);
    let unit = if t.sheet.is_some() { "row" } else { "line" };
    let mut reported = Decimal::new(0, 2);
    let mut computed = Decimal::new(0, 2);
    let mut mismatches = Vec::new();
    for sale in sales {
        let sum = sale.columns_sum();
        reported += sale.total;
        computed += sum;
        if sum != sale.total {
            mismatches
                .push(format!("{unit} {}: columns sum to {sum}, {total_header} reads {}", sale.number, sale.total));
        }
    }
    let mut detail = mismatches.iter().take(MISMATCHES_SHOWN).cloned().collect::<Vec<_>>().join("; ");
    if mismatches.len() > MISMATCHES_SHOWN {
        detail.push_str(&format!("; and {} more", mismatches.len() - MISMATCHES_SHOWN));
    }
    ReconciliationCheck {
        file: t.file.clone(),
        scope: format!(
            "{} {}: money columns = {total_header}",
            t.rows.len(),
            if t.rows.len() == 1 { "row" } else { "rows" }
        ),
        currency: MARKET.currency(),
        reported,
        computed,
        ok: mismatches.is_empty(),
        detail,
    }
}

/// Appends the money lines and order events of one sale dated in the period.
fn emit(sale: &Sale, out: &mut ParsedExport) {
    for &(kind, amount) in &sale.amounts {
        if !amount.is_zero() {
            out.lines.push(MoneyLine {
                market: MARKET,
                date: sale.date,
                order_id: sale.order_id.clone(),
                kind,
                amount,
            });
        }
    }
    let event = |kind, units, principal, shipping| OrderEvent {
        market: MARKET,
        date: sale.date,
        order_id: sale.order_id.clone(),
        kind,
        units,
        principal,
        shipping,
    };
    let zero = Decimal::new(0, 2);
    let (principal, shipping) = (sale.amount(MoneyKind::Principal), sale.amount(MoneyKind::Shipping));
    match sale.outcome.cancelled {
        Some(kind) => out.events.push(event(kind, 0, zero, zero)),
        None => out.events.push(event(OrderEventKind::Placed, sale.units, principal, shipping)),
    }
    if sale.outcome.refunded {
        out.events.push(event(OrderEventKind::Refunded, 0, principal.abs(), shipping.abs()));
    }
    if sale.outcome.disputed {
        out.events.push(event(OrderEventKind::Disputed, 0, zero, zero));
    }
}

/// Folds a header for the sale-number match: BOM, '.', 'º' and '°' dropped,
/// spaces collapsed, lower-case ("N.º de venda" → "n de venda").
fn fold_sale_number_header(h: &str) -> String {
    let kept: String = h.chars().filter(|c| !matches!(c, '.' | 'º' | '°' | '\u{feff}')).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Folds free text for matching: lower-case, Portuguese accents removed,
/// spaces collapsed ("Reclamação  Aberta" → "reclamacao aberta").
fn fold_text(s: &str) -> String {
    let plain: String = s
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

    use super::*;
    use crate::ingest::table::{self, TextFormat};
    use crate::ingest::units::UnitKey;
    use crate::ingest::{Format as ExportFormat, read_export};
    use crate::money::{Currency, DecimalStyle};
    use crate::period::Period;

    const SHEET: &str = "Vendas BR";
    const CSV: TextFormat = TextFormat { delimiter: b';', quoting: true, style: DecimalStyle::Comma };

    /// Today's export: the returns block repeats "Unidades" and "Estado",
    /// the buyer block repeats "Estado" (the buyer's state).
    const HEADERS: [&str; 20] = [
        "N.º de venda",
        "Data da venda",
        "Estado",
        "Descrição do status",
        "Pacote de diversos produtos",
        "Unidades",
        "Receita por produtos (BRL)",
        "Tarifa de venda e impostos (BRL)",
        "Receita por envio (BRL)",
        "Tarifas de envio (BRL)",
        "Descontos e bônus",
        "Cancelamentos e reembolsos (BRL)",
        "Total (BRL)",
        "SKU",
        "Reclamação aberta",
        "Em mediação",
        "Unidades",
        "Estado",
        "Comprador",
        "Estado",
    ];

    /// An older export: no "(BRL)" suffix, "N.° de venda" with a degree sign.
    const OLD_HEADERS: [&str; 20] = [
        "N.° de venda",
        "Data da venda",
        "Estado",
        "Descrição do status",
        "Pacote de diversos produtos",
        "Unidades",
        "Receita por produtos",
        "Tarifa de venda e impostos",
        "Receita por envio",
        "Tarifas de envio",
        "Descontos e bônus",
        "Cancelamentos e reembolsos",
        "Total",
        "SKU",
        "Reclamação aberta",
        "Em mediação",
        "Unidades",
        "Estado",
        "Comprador",
        "Estado",
    ];

    const OCT_3: &str = "3 de outubro de 2026 10:15 hs.";
    const OCT_5: &str = "5 de outubro de 2026 14:02 hs.";
    const OCT_9: &str = "9 de outubro de 2026 08:40 hs.";
    const NO_MONEY: [&str; 6] = ["", "", "", "", "", ""];
    /// 59.90 − 11.98 − 21.45 = 26.47
    const DELIVERED: [&str; 6] = ["59.90", "-11.98", "0", "-21.45", "0", "0"];
    /// 1234.56 − 185.18 + 25.90 − 25.90 + 10.00 = 1059.38
    const BIG: [&str; 6] = ["1234.56", "-185.18", "25.90", "-25.90", "10.00", "0"];
    /// 89.90 − 13.49 − 76.41 = 0
    const CANCELLED: [&str; 6] = ["89.90", "-13.49", "0", "0", "0", "-76.41"];
    /// 120.00 − 18.00 + 15.00 − 15.00 − 102.00 = 0
    const REFUNDED: [&str; 6] = ["120.00", "-18.00", "15.00", "-15.00", "0", "-102.00"];

    /// One line of the export, as text; numbers written with a decimal point
    /// (the CSV writer turns them into decimal commas, the XLSX writer into
    /// float cells). A date `cell:2026-10-05 14:30:00` becomes a date cell.
    #[derive(Clone, Default)]
    struct S {
        id: &'static str,
        date: &'static str,
        status: &'static str,
        description: &'static str,
        pacote: &'static str,
        units: &'static str,
        money: [&'static str; 6],
        total: &'static str,
        sku: &'static str,
        claim: &'static str,
        mediation: &'static str,
        returned_units: &'static str,
        return_status: &'static str,
        buyer: &'static str,
        buyer_state: &'static str,
    }

    fn sale(
        id: &'static str,
        date: &'static str,
        status: &'static str,
        units: &'static str,
        money: [&'static str; 6],
        total: &'static str,
    ) -> S {
        S {
            id,
            date,
            status,
            units,
            money,
            total,
            sku: "LUM-0042",
            buyer: "Maria Souza",
            buyer_state: "SP",
            ..S::default()
        }
    }

    /// An extra product line: blank money, the sale number repeated or blank.
    fn extra_line(id: &'static str, units: &'static str) -> S {
        S { id, units, money: NO_MONEY, sku: "LUM-0043", ..S::default() }
    }

    impl S {
        fn cells(&self) -> [&'static str; 20] {
            let m = self.money;
            [
                self.id,
                self.date,
                self.status,
                self.description,
                self.pacote,
                self.units,
                m[0],
                m[1],
                m[2],
                m[3],
                m[4],
                m[5],
                self.total,
                self.sku,
                self.claim,
                self.mediation,
                self.returned_units,
                self.return_status,
                self.buyer,
                self.buyer_state,
            ]
        }
    }

    /// The CSV form: a title line and a group line above the header, `;`,
    /// decimal comma, text quoted. Data starts on line 4.
    fn csv_text(headers: &[&str], sales: &[S]) -> String {
        let mut text = String::from("Vendas BR\n");
        text.push_str("Vendas;;;;;;Faturamento;;;;;;;Anúncios;Reclamações;;Devoluções;;Comprador;\n");
        text.push_str(&headers.join(";"));
        text.push('\n');
        for s in sales {
            let cells: Vec<String> = s
                .cells()
                .iter()
                .enumerate()
                .map(|(i, c)| match i {
                    5..=12 => c.replace('.', ","),
                    _ if c.chars().any(char::is_alphabetic) => format!("\"{c}\""),
                    _ => c.to_string(),
                })
                .collect();
            text.push_str(&cells.join(";"));
            text.push('\n');
        }
        text
    }

    fn write_cell(ws: &mut Worksheet, row: u32, col: u16, value: &str) {
        if value.is_empty() {
            return;
        }
        if let Some(dt) = value.strip_prefix("cell:") {
            let date = ExcelDateTime::parse_from_str(dt).unwrap();
            ws.write_datetime_with_format(row, col, date, &Format::new().set_num_format("dd/mm/yyyy hh:mm")).unwrap();
        } else if let Ok(number) = value.parse::<f64>() {
            ws.write_number(row, col, number).unwrap();
        } else {
            ws.write_string(row, col, value).unwrap();
        }
    }

    /// The XLSX form, sheet "Vendas BR": a merged title on row 1, a blank
    /// row 2, merged group headers on row 3, the header on row 4, data from
    /// row 5. Numbers (sale numbers, units, money) are float cells.
    fn xlsx_bytes(sales: &[S]) -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(SHEET).unwrap();
        let plain = Format::new();
        ws.merge_range(0, 0, 0, 5, "Relatório de vendas: 1 a 31 de outubro de 2026", &plain).unwrap();
        for (first, last, group) in [
            (0, 5, "Vendas"),
            (6, 12, "Faturamento"),
            (14, 15, "Reclamações"),
            (16, 17, "Devoluções"),
            (18, 19, "Comprador"),
        ] {
            ws.merge_range(2, first, 2, last, group, &plain).unwrap();
        }
        ws.write_string(2, 13, "Anúncios").unwrap();
        for (col, header) in HEADERS.iter().enumerate() {
            ws.write_string(3, col as u16, *header).unwrap();
        }
        for (i, s) in sales.iter().enumerate() {
            for (col, value) in s.cells().iter().enumerate() {
                write_cell(ws, 4 + i as u32, col as u16, value);
            }
        }
        wb.save_to_buffer().unwrap()
    }

    fn ctx() -> IngestContext {
        IngestContext::new(Period::new(2026, 10).unwrap())
    }

    fn parse_csv_bytes(bytes: &[u8]) -> Result<ParsedExport, InputError> {
        let t = table::read_text("vendas.csv", bytes, CSV, is_header)?;
        parse(&t, &ctx())
    }

    fn parse_csv(sales: &[S]) -> Result<ParsedExport, InputError> {
        parse_csv_bytes(csv_text(&HEADERS, sales).as_bytes())
    }

    fn parse_xlsx(sales: &[S]) -> Result<ParsedExport, InputError> {
        let t = table::read_xlsx("vendas.xlsx", &xlsx_bytes(sales), SHEET, is_header)?;
        parse(&t, &ctx())
    }

    /// Both forms of the same export, labelled for assertion messages.
    fn parse_both(sales: &[S]) -> Vec<(&'static str, ParsedExport)> {
        vec![("csv", parse_csv(sales).unwrap()), ("xlsx", parse_xlsx(sales).unwrap())]
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn kinds(p: &ParsedExport, order: &str) -> Vec<OrderEventKind> {
        p.events.iter().filter(|e| e.order_id == order).map(|e| e.kind).collect()
    }

    fn lines(p: &ParsedExport, order: &str) -> Vec<(MoneyKind, Decimal)> {
        p.lines.iter().filter(|l| l.order_id == order).map(|l| (l.kind, l.amount)).collect()
    }

    fn placed<'a>(p: &'a ParsedExport, order: &str) -> Vec<&'a OrderEvent> {
        p.events.iter().filter(|e| e.order_id == order && e.kind == OrderEventKind::Placed).collect()
    }

    fn check(p: &ParsedExport) -> &ReconciliationCheck {
        assert_eq!(p.checks.len(), 1, "one reconciliation check per file");
        &p.checks[0]
    }

    #[test]
    fn is_header_accepts_every_spelling_of_the_sale_number_column() {
        for h in
            ["N.º de venda", "N.° de venda", "Nº de venda", "N. de venda", " n.º  DE venda ", "\u{feff}N.º de venda"]
        {
            assert!(is_header(&["Data da venda".to_string(), h.to_string()]), "{h:?}");
        }
        for h in ["Número da venda", "Venda", "N.º de anúncio", "# de anúncio"] {
            assert!(!is_header(&[h.to_string(), "Estado".to_string()]), "{h:?}");
        }
        assert!(!is_header(&[]));
    }

    #[test]
    fn xlsx_export_is_read_by_header_name_below_title_and_group_rows() {
        // The returns block says a return was cancelled and its "Unidades"
        // reads 1: the sale's own (first) "Estado" and "Unidades" win.
        let mut s = sale("2000009876543210", OCT_3, "Entregue", "2", DELIVERED, "26.47");
        s.returned_units = "1";
        s.return_status = "Devolução cancelada";
        let p = parse_xlsx(&[s]).unwrap();
        assert_eq!((p.rows_total, p.rows_in_period), (1, 1));
        assert_eq!(
            p.events,
            vec![OrderEvent {
                market: Market::MercadoLivreBr,
                date: date(2026, 10, 3),
                order_id: "2000009876543210".into(),
                kind: OrderEventKind::Placed,
                units: 2,
                principal: dec("59.90"),
                shipping: dec("0.00"),
            }]
        );
        assert_eq!(
            lines(&p, "2000009876543210"),
            vec![
                (MoneyKind::Principal, dec("59.90")),
                (MoneyKind::PlatformFee, dec("-11.98")),
                (MoneyKind::PlatformFee, dec("-21.45")),
            ],
            "zero columns are skipped"
        );
        assert!(p.lines.iter().all(|l| l.market == Market::MercadoLivreBr && l.date == date(2026, 10, 3)));
        assert_eq!(p.lines[0].amount.to_string(), "59.90", "XLSX 59.9 is read as cents");
    }

    #[test]
    fn every_money_column_maps_to_its_kind_signed_as_printed() {
        let p = parse_csv(&[sale("2000009876543211", OCT_5, "Entregue", "2", BIG, "1059.38")]).unwrap();
        assert_eq!(
            lines(&p, "2000009876543211"),
            vec![
                (MoneyKind::Principal, dec("1234.56")),
                (MoneyKind::Shipping, dec("25.90")),
                (MoneyKind::PlatformFee, dec("-185.18")),
                (MoneyKind::PlatformFee, dec("-25.90")),
                (MoneyKind::Promotion, dec("10.00")),
            ]
        );
        let cancelled = parse_csv(&[sale("2000009876543212", OCT_5, "Cancelada pelo comprador", "1", CANCELLED, "0")]);
        assert_eq!(
            lines(&cancelled.unwrap(), "2000009876543212"),
            vec![
                (MoneyKind::Principal, dec("89.90")),
                (MoneyKind::PlatformFee, dec("-13.49")),
                (MoneyKind::Refund, dec("-76.41")),
            ]
        );
    }

    #[test]
    fn cancelled_sales_never_count_as_placed() {
        let by_seller = S {
            description: "Você cancelou a venda.",
            ..sale("2", OCT_5, "Venda cancelada. Não envie.", "1", CANCELLED, "0")
        };
        let p = parse_csv(&[
            sale("1", OCT_3, "Cancelada pelo comprador", "1", CANCELLED, "0"),
            by_seller,
            sale("3", OCT_5, "Pacote cancelado pelo Mercado Livre", "2", CANCELLED, "0"),
            sale("4", OCT_9, "Cancelada pelo vendedor", "1", CANCELLED, "0"),
            sale("5", OCT_9, "Venda cancelada. Não envie.", "1", CANCELLED, "0"),
        ])
        .unwrap();
        assert_eq!(kinds(&p, "1"), vec![OrderEventKind::CancelledOther]);
        assert_eq!(kinds(&p, "2"), vec![OrderEventKind::CancelledBySeller]);
        assert_eq!(kinds(&p, "3"), vec![OrderEventKind::CancelledOther]);
        assert_eq!(kinds(&p, "4"), vec![OrderEventKind::CancelledBySeller]);
        assert_eq!(kinds(&p, "5"), vec![OrderEventKind::CancelledOther], "no one named: not the seller");
        assert!(p.events.iter().all(|e| e.kind != OrderEventKind::Placed));
        assert!(p.events.iter().all(|e| e.units == 0 && e.principal.is_zero() && e.shipping.is_zero()));
        // Their money still shows, so the lines add up to Total (BRL).
        assert_eq!(p.lines.len(), 15);
        assert_eq!(p.lines.iter().map(|l| l.amount).sum::<Decimal>(), Decimal::ZERO);
    }

    #[test]
    fn status_matching_ignores_case_and_accents() {
        let seller = S {
            description: "cancelada por voce",
            ..sale("1", OCT_3, "VENDA CANCELADA. NAO ENVIE.", "1", CANCELLED, "0")
        };
        let p = parse_csv(&[
            seller,
            sale("2", OCT_3, "reembolsamos o valor ao comprador", "1", REFUNDED, "0"),
            sale("3", OCT_3, "EM MEDIAÇÃO", "1", DELIVERED, "26.47"),
            sale("4", OCT_3, "Reclamacao aberta", "1", DELIVERED, "26.47"),
        ])
        .unwrap();
        assert_eq!(kinds(&p, "1"), vec![OrderEventKind::CancelledBySeller]);
        assert_eq!(kinds(&p, "2"), vec![OrderEventKind::Placed, OrderEventKind::Refunded]);
        assert_eq!(kinds(&p, "3"), vec![OrderEventKind::Placed, OrderEventKind::Disputed]);
        assert_eq!(kinds(&p, "4"), vec![OrderEventKind::Placed, OrderEventKind::Disputed]);
    }

    #[test]
    fn status_description_is_read_with_the_estado() {
        let cancelled =
            S { description: "Cancelada pelo comprador", ..sale("1", OCT_3, "Não enviar", "1", CANCELLED, "0") };
        let refunded =
            S { description: "Reembolsamos o valor ao comprador", ..sale("2", OCT_3, "Entregue", "1", REFUNDED, "0") };
        let p = parse_xlsx(&[cancelled, refunded]).unwrap();
        assert_eq!(kinds(&p, "1"), vec![OrderEventKind::CancelledOther]);
        assert_eq!(kinds(&p, "2"), vec![OrderEventKind::Placed, OrderEventKind::Refunded]);
    }

    #[test]
    fn refund_after_delivery_refunds_the_whole_sale() {
        let p = parse_csv(&[
            sale("1", OCT_3, "Reclamação encerrada com reembolso para o comprador", "1", REFUNDED, "0"),
            sale("2", OCT_5, "Reembolsamos o valor ao comprador", "1", REFUNDED, "0"),
        ])
        .unwrap();
        let events: Vec<_> =
            p.events.iter().filter(|e| e.order_id == "1").map(|e| (e.kind, e.units, e.principal, e.shipping)).collect();
        assert_eq!(
            events,
            vec![
                (OrderEventKind::Placed, 1, dec("120.00"), dec("15.00")),
                (OrderEventKind::Refunded, 0, dec("120.00"), dec("15.00")),
                (OrderEventKind::Disputed, 0, dec("0"), dec("0")),
            ],
            "a refund after a reclamação is also a dispute"
        );
        assert_eq!(kinds(&p, "2"), vec![OrderEventKind::Placed, OrderEventKind::Refunded]);
        assert!(lines(&p, "2").contains(&(MoneyKind::Refund, dec("-102.00"))));
    }

    #[test]
    fn open_claims_and_mediations_are_disputes() {
        let claim = S { claim: "Sim", ..sale("1", OCT_3, "Entregue", "1", DELIVERED, "26.47") };
        let mediation = S { mediation: "SIM", ..sale("2", OCT_3, "Entregue", "1", DELIVERED, "26.47") };
        let neither = S { claim: "Não", mediation: "Não", ..sale("3", OCT_3, "Entregue", "1", DELIVERED, "26.47") };
        let status = sale("4", OCT_3, "Em mediação", "1", DELIVERED, "26.47");
        for (form, p) in parse_both(&[claim, mediation, neither, status]) {
            assert_eq!(kinds(&p, "1"), vec![OrderEventKind::Placed, OrderEventKind::Disputed], "{form}");
            assert_eq!(kinds(&p, "2"), vec![OrderEventKind::Placed, OrderEventKind::Disputed], "{form}");
            assert_eq!(kinds(&p, "3"), vec![OrderEventKind::Placed], "{form}");
            assert_eq!(kinds(&p, "4"), vec![OrderEventKind::Placed, OrderEventKind::Disputed], "{form}");
        }
    }

    #[test]
    fn a_sale_split_over_several_lines_is_one_order_with_summed_units() {
        let sales = [
            sale("2000009876543211", OCT_5, "Entregue", "2", BIG, "1059.38"),
            extra_line("2000009876543211", "3"),
            // A blank sale number, and cells holding a single space.
            S { money: [" "; 6], total: " ", date: " ", ..extra_line("", "1") },
            sale("2000009876543299", OCT_9, "Entregue", "1", DELIVERED, "26.47"),
        ];
        for (form, p) in parse_both(&sales) {
            let big = placed(&p, "2000009876543211");
            assert_eq!(big.len(), 1, "{form}: counted once");
            assert_eq!(big[0].units, 6, "{form}");
            assert_eq!(big[0].principal, dec("1234.56"), "{form}");
            assert_eq!(lines(&p, "2000009876543211").len(), 5, "{form}: money only from the first line");
            assert_eq!(placed(&p, "2000009876543299")[0].units, 1, "{form}");
            assert_eq!(p.events.len(), 2, "{form}");
            assert_eq!((p.rows_total, p.rows_in_period), (4, 4), "{form}");
            assert!(check(&p).ok, "{form}: {}", check(&p).detail);
        }
    }

    #[test]
    fn pacote_rows_are_ordinary_sales_with_their_own_money() {
        let a = S { pacote: "Sim", ..sale("2000009876543301", OCT_9, "Entregue", "1", DELIVERED, "26.47") };
        let b = S { pacote: "Sim", ..sale("2000009876543302", OCT_9, "Entregue", "3", BIG, "1059.38") };
        let p = parse_csv(&[a, b]).unwrap();
        assert_eq!(placed(&p, "2000009876543301")[0].units, 1);
        assert_eq!(placed(&p, "2000009876543302")[0].units, 3);
        assert_eq!(lines(&p, "2000009876543301").len(), 3);
        assert_eq!(lines(&p, "2000009876543302").len(), 5);
        assert_eq!(p.events.len(), 2);
    }

    #[test]
    fn only_sales_dated_in_the_period_produce_facts() {
        let sales = [
            sale("1", "30 de setembro de 2026 23:59 hs.", "Entregue", "1", DELIVERED, "26.47"),
            extra_line("1", "1"),
            sale("2", "1 de outubro de 2026 00:05 hs.", "Entregue", "1", DELIVERED, "26.47"),
            // A continuation belongs to its sale's date, whatever it prints.
            S { date: "1 de novembro de 2026 00:00 hs.", ..extra_line("2", "2") },
            sale("3", "31 de outubro de 2026 23:59 hs.", "Entregue", "1", BIG, "1059.38"),
            sale("4", "1 de novembro de 2026 00:00 hs.", "Entregue", "1", DELIVERED, "26.47"),
        ];
        for (form, p) in parse_both(&sales) {
            assert_eq!((p.rows_total, p.rows_in_period), (6, 3), "{form}");
            let orders: Vec<&str> = p.events.iter().map(|e| e.order_id.as_str()).collect();
            assert_eq!(orders, ["2", "3"], "{form}");
            assert_eq!(placed(&p, "2")[0].units, 3, "{form}");
            assert!(p.lines.iter().all(|l| l.order_id == "2" || l.order_id == "3"), "{form}");
            assert!(p.lines.iter().all(|l| Period::new(2026, 10).unwrap().contains(l.date)), "{form}");
            // The check still covers the whole file.
            assert_eq!(check(&p).reported, dec("1138.79"), "{form}");
            assert_eq!(check(&p).scope, "6 rows: money columns = Total (BRL)", "{form}");
        }
    }

    #[test]
    fn each_sale_is_a_unit_keyed_by_its_number_whatever_its_date() {
        let sales = [
            sale("1", "30 de setembro de 2026 23:59 hs.", "Entregue", "1", DELIVERED, "26.47"),
            sale("2", OCT_5, "Entregue", "2", BIG, "1059.38"),
            extra_line("2", "1"),
        ];
        for (form, p) in parse_both(&sales) {
            let keys: Vec<&UnitKey> = p.units.iter().map(|u| &u.key).collect();
            assert_eq!(keys, [&UnitKey::Sale("1".into()), &UnitKey::Sale("2".into())], "{form}");
            let (september, october) = (&p.units[0], &p.units[1]);
            assert_eq!((september.lines.len(), september.events.len(), september.rows_in_period), (0, 0, 0), "{form}");
            assert_eq!(
                (october.lines.clone(), october.events.clone()),
                (0..p.lines.len(), 0..p.events.len()),
                "{form}"
            );
            assert_eq!(october.rows_in_period, 2, "{form}: the extra product line is the sale's");
            assert!(october.summary.starts_with("Total (BRL) 1059.38, sold 2026-10-05"), "{form}: {}", october.summary);
        }
        let (a, b) = (parse_csv(&sales).unwrap(), parse_xlsx(&sales).unwrap());
        assert_eq!(a.units[1].fingerprint, b.units[1].fingerprint, "the CSV and XLSX of one export agree");
        let dearer = [sales[0].clone(), S { total: "1059.39", ..sales[1].clone() }, sales[2].clone()];
        assert_ne!(parse_csv(&dearer).unwrap().units[1].fingerprint, a.units[1].fingerprint);
    }

    #[test]
    fn money_lines_add_up_to_the_total_and_the_file_reconciles() {
        let p = parse_csv(&[
            sale("1", OCT_3, "Entregue", "1", DELIVERED, "26.47"),
            sale("2", OCT_5, "Entregue", "2", BIG, "1059.38"),
            extra_line("2", "1"),
            sale("3", OCT_5, "Cancelada pelo comprador", "1", CANCELLED, "0"),
            sale("4", OCT_9, "Reembolsamos o valor ao comprador", "1", REFUNDED, "0"),
        ])
        .unwrap();
        let sum: Decimal = p.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, dec("1085.85"));
        assert_eq!(
            check(&p),
            &ReconciliationCheck {
                file: "vendas.csv".into(),
                scope: "5 rows: money columns = Total (BRL)".into(),
                currency: Currency::Brl,
                reported: dec("1085.85"),
                computed: dec("1085.85"),
                ok: true,
                detail: String::new(),
            }
        );
    }

    #[test]
    fn reconciliation_mismatch_names_the_first_five_rows_and_counts_the_rest() {
        const IDS: [&str; 8] = ["11", "12", "13", "14", "15", "16", "17", "18"];
        let mut sales: Vec<S> = IDS
            .iter()
            .map(|id| sale(id, OCT_3, "Entregue", "1", ["10.00", "0", "0", "0", "0", "0"], "12.00"))
            .collect();
        sales[2].total = "10.00";
        let p = parse_xlsx(&sales).expect("a mismatch is reported, not an error");
        let c = check(&p);
        assert!(!c.ok);
        assert_eq!((c.reported, c.computed), (dec("94.00"), dec("80.00")));
        assert_eq!(
            c.detail,
            "row 5: columns sum to 10.00, Total (BRL) reads 12.00; \
             row 6: columns sum to 10.00, Total (BRL) reads 12.00; \
             row 8: columns sum to 10.00, Total (BRL) reads 12.00; \
             row 9: columns sum to 10.00, Total (BRL) reads 12.00; \
             row 10: columns sum to 10.00, Total (BRL) reads 12.00; \
             and 2 more"
        );
        // The facts are still there: the statement shows the mismatch.
        assert_eq!(p.events.len(), 8);
    }

    #[test]
    fn reconciliation_covers_rows_outside_the_period_and_names_csv_lines() {
        let p = parse_csv(&[
            sale("1", OCT_3, "Entregue", "1", DELIVERED, "26.47"),
            sale("2", "28 de setembro de 2026 09:00 hs.", "Entregue", "1", ["10.00", "0", "0", "0", "0", "0"], "12.00"),
        ])
        .unwrap();
        let c = check(&p);
        assert!(!c.ok);
        assert_eq!(c.detail, "line 5: columns sum to 10.00, Total (BRL) reads 12.00");
        assert_eq!((c.reported, c.computed), (dec("38.47"), dec("36.47")));
        assert_eq!(p.rows_in_period, 1);
    }

    /// An old export line by line: BOM, no "(BRL)", decimal comma with
    /// thousands dots, cells holding a single space, a quoted status.
    fn old_csv() -> String {
        [
            "\u{feff}Vendas BR",
            &OLD_HEADERS.join(";"),
            "2000001111111111;21 de agosto de 2026 16:10 hs.;\"Entregue\"; ;Não;3,0;1.234,56;-185,18; ;-25,90;10,00;0;1.033,48;LUM-7;Não;Não; ; ;Ana;RJ",
            "2000001111111112;22 de agosto de 2026 09:00 hs.;\"Venda cancelada. Não envie.\";Você cancelou a venda;Não;1;89,90;-13,49;0;0;0;-76,41;0;LUM-8;Não;Não; ; ;Rui;MG",
        ]
        .join("\r\n")
    }

    fn august() -> IngestContext {
        IngestContext::new(Period::new(2026, 8).unwrap())
    }

    fn assert_old_export(p: &ParsedExport) {
        let sold = placed(p, "2000001111111111");
        assert_eq!((sold[0].units, sold[0].principal, sold[0].shipping), (3, dec("1234.56"), dec("0.00")));
        assert_eq!(kinds(p, "2000001111111112"), vec![OrderEventKind::CancelledBySeller]);
        assert_eq!(lines(p, "2000001111111111")[0], (MoneyKind::Principal, dec("1234.56")));
        let c = check(p);
        assert!(c.ok, "{}", c.detail);
        assert_eq!(c.scope, "2 rows: money columns = Total");
        assert_eq!(c.reported, dec("1033.48"));
    }

    #[test]
    fn old_csv_export_without_brl_suffix_is_read() {
        let t = table::read_text("vendas.csv", old_csv().as_bytes(), CSV, is_header).unwrap();
        assert_old_export(&parse(&t, &august()).unwrap());
    }

    #[test]
    fn windows_1252_csv_export_is_read() {
        let text = old_csv().replace('\u{feff}', "");
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "the fixture really is Windows-1252");
        let t = table::read_text("vendas.csv", &bytes, CSV, is_header).unwrap();
        assert_old_export(&parse(&t, &august()).unwrap());
    }

    #[test]
    fn unreadable_amount_is_an_error_naming_file_line_and_column() {
        let bad = sale("1", OCT_3, "Entregue", "1", ["59.9O", "-11.98", "0", "-21.45", "0", "0"], "26.47");
        let e = parse_csv(&[sale("2", OCT_3, "Entregue", "1", DELIVERED, "26.47"), bad]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "vendas.csv:5: column \"Receita por produtos (BRL)\": \"59,9O\" is not a number (expected e.g. 1.234,56)"
        );
        let e = parse_xlsx(&[S { total: "vinte", ..sale("1", OCT_3, "Entregue", "1", DELIVERED, "") }]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "vendas.xlsx [sheet \"Vendas BR\"] row 5: column \"Total (BRL)\": \"vinte\" is not a number (expected e.g. 1,234.56)"
        );
    }

    #[test]
    fn unreadable_or_missing_date_is_an_error_naming_row_and_column() {
        let e = parse_xlsx(&[sale("1", "31 de outubri de 2026 10:00 hs.", "Entregue", "1", DELIVERED, "26.47")])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "vendas.xlsx [sheet \"Vendas BR\"] row 5: column \"Data da venda\": \"31 de outubri de 2026 10:00 hs.\" is not a date (expected e.g. \"21 de agosto de 2026 16:10 hs.\")"
        );
        let e = parse_csv(&[sale("1", "", "Entregue", "1", DELIVERED, "26.47")]).unwrap_err();
        assert_eq!(e.to_string(), "vendas.csv:4: column \"Data da venda\": the sale date is missing");
    }

    #[test]
    fn fractional_units_are_an_error() {
        let e = parse_xlsx(&[sale("1", OCT_3, "Entregue", "1.5", DELIVERED, "26.47")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "vendas.xlsx [sheet \"Vendas BR\"] row 5: column \"Unidades\": expected a whole number, found 1.5"
        );
    }

    #[test]
    fn missing_required_column_is_an_error_naming_the_header_line() {
        let headers: Vec<&str> = HEADERS.iter().map(|h| if *h == "Total (BRL)" { "Saldo" } else { h }).collect();
        let text = csv_text(&headers, &[sale("1", OCT_3, "Entregue", "1", DELIVERED, "26.47")]);
        let e = parse_csv_bytes(text.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "vendas.csv:3: column \"Total (BRL)\": missing column in the header (accepted names: Total (BRL), Total)"
        );
    }

    #[test]
    fn a_line_with_amounts_but_no_sale_number_is_an_error() {
        let e = parse_csv(&[sale("", OCT_3, "Entregue", "1", DELIVERED, "26.47")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "vendas.csv:4: column \"N.º de venda\": the sale number is missing (only an extra product line of the sale above, with blank amounts, may leave it blank)"
        );
    }

    #[test]
    fn xlsx_date_cells_are_read_as_their_date() {
        let p = parse_xlsx(&[
            sale("1", "cell:2026-10-31 23:30:00", "Entregue", "1", DELIVERED, "26.47"),
            sale("2", "cell:2026-11-01 00:10:00", "Entregue", "1", DELIVERED, "26.47"),
        ])
        .unwrap();
        assert_eq!(p.events.len(), 1);
        assert_eq!(p.events[0].date, date(2026, 10, 31));
    }

    #[test]
    fn read_export_detects_the_xlsx_and_csv_forms() {
        let sales = [sale("2000009876543210", OCT_3, "Entregue", "1", DELIVERED, "26.47")];
        let (format, p) = read_export("vendas.xlsx", &xlsx_bytes(&sales), &ctx()).unwrap();
        assert_eq!(format, ExportFormat::MercadolivreVendasXlsx);
        assert_eq!(placed(&p, "2000009876543210").len(), 1);
        let (format, p) = read_export("vendas.csv", csv_text(&HEADERS, &sales).as_bytes(), &ctx()).unwrap();
        assert_eq!(format, ExportFormat::MercadolivreVendasCsv);
        assert_eq!(placed(&p, "2000009876543210").len(), 1);
        let (format, _) = read_export("old.csv", old_csv().as_bytes(), &august()).unwrap();
        assert_eq!(format, ExportFormat::MercadolivreVendasCsv);
    }

    proptest! {
        #[test]
        fn arbitrary_cells_never_panic(rows in prop::collection::vec(prop::collection::vec("[0-9a-zç ,.;\"-]{0,12}", 0..22), 0..6)) {
            let mut text = HEADERS.join(";");
            for row in &rows {
                text.push('\n');
                text.push_str(&row.join(";"));
            }
            if let Ok(t) = table::read_text("f.csv", text.as_bytes(), CSV, is_header) {
                let _ = parse(&t, &ctx());
            }
        }
    }
}
