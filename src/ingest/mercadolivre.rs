//! Mercado Livre "Vendas" export: the XLSX sheet "Vendas BR", or the CSV form
//! (`;`, decimal comma, sometimes Windows-1252), read into money lines, order
//! events and one reconciliation check per file.
//!
//! # Money
//!
//! The export has one row per sale, with the sale's money in signed columns
//! that add up to `Total (BRL)` (the layout and its sources:
//! `fixtures/ingest/mercadolivre/README.md`). Every one of them is read by
//! its header, each as one kind of money line:
//!
//! | column | money line |
//! | --- | --- |
//! | Receita por produtos | principal |
//! | Receita por acréscimo no preço (pago pelo comprador) | other (net proceeds only) |
//! | Taxa de parcelamento equivalente ao acréscimo | platform fee |
//! | Tarifa de venda e impostos | platform fee |
//! | Receita por envio | shipping |
//! | Tarifas de envio | platform fee |
//! | Custo de envio por troca de produto | platform fee |
//! | Custo de envio com base nas medidas e peso declarados | platform fee |
//! | Custo por diferenças nas medidas e no peso do pacote | platform fee |
//! | Descontos e bônus | promotion |
//! | Cancelamentos e reembolsos | refund, and fees given back (see below) |
//!
//! Only Receita por produtos, Tarifa de venda e impostos, Receita por envio,
//! Tarifas de envio, Cancelamentos e reembolsos and Total are required; the
//! others are missing from older exports, and then count as zero.
//!
//! Every column is in the per-row check that the money columns add up to
//! `Total (BRL)`. A column this parser does not know that sits among them
//! (between Receita por produtos and Total) is not read: rows where it holds
//! money fail the check, and the check names the column.
//!
//! # Cancelamentos e reembolsos
//!
//! When a sale is cancelled or refunded, Mercado Livre returns the buyer's
//! money and gives the seller back the fees it charged on the sale; the
//! export keeps the fees in their own columns and puts both movements into
//! one `Cancelamentos e reembolsos` amount `C`. Platform fees are what
//! Mercado Livre retained, so the fees given back are split out of `C`:
//!
//! - when the status says the whole sale was cancelled or refunded, the
//!   buyer got back what they paid, `B` = Receita por produtos + Receita por
//!   acréscimo + Receita por envio. If `C + B` lies between zero and the fees
//!   charged on the row (the negative fee columns' total), `−B` is the refund
//!   to the buyer and `C + B` the fees given back, a positive platform-fee
//!   line that nets against them;
//! - otherwise (a partial refund, or amounts that do not fit that reading)
//!   the whole `C` is refund to the buyer and no fee is netted.
//!
//! Either way the two parts add up to `C`, so the row still reconciles.
//!
//! # Orders, refunds and disputes
//!
//! - A sale whose status says it was cancelled and that has no shipping date
//!   (`Data a caminho` or `Data de entrega` of the shipping block) was
//!   cancelled before shipment: `CancelledBySeller` or `CancelledOther`,
//!   never `Placed`.
//! - Every other sale is `Placed`, with its units (continuation lines
//!   included), Receita por produtos as principal and Receita por envio as
//!   shipping.
//! - It is also `Refunded` when its status says the money went back to the
//!   buyer, when it was cancelled after shipment, or when money was refunded
//!   to the buyer. A whole-sale refund carries the sale's principal and
//!   shipping; a partial one its refund to the buyer, taken from principal
//!   first, then shipping.
//! - It is also `Disputed` when a claim was opened or closed, a mediation
//!   started, or the status mentions a reclamação or mediação, whether or not
//!   it was refunded.
//! - It is also `Returned`, with the units of its return, when the
//!   Devoluções block's `Unidades` (the last `Unidades` left of `Revisado
//!   pelo Mercado Livre`; continuation lines add theirs) is above zero,
//!   whatever the return's review result. The export gives no date a return
//!   arrived, so the return is dated by its sale, and a return opened after
//!   the download is not in it. A return on a sale cancelled before shipment,
//!   or of more units than the sale sold, is refused. An export without the
//!   block (`ParsedExport::lacks_returns`) leaves the market's returns
//!   unknown, never zero.
//!
//! # Dates
//!
//! `Data da venda` is São Paulo wall time. A sale belongs to the month of its
//! date in `IngestContext::tz`: the printed time is converted
//! from São Paulo into that zone first (a date printed without a time is
//! taken as it is). The export carries no refund date, so a refund, like
//! every amount of the row, is dated by its sale's date.
//!
//! A sale split over several product lines carries every amount on its first
//! line; the extra lines leave the money blank and either repeat the sale
//! number or leave it blank ("continuations"): they add units to the sale and
//! nothing else.

use std::sync::Arc;

use arrayvec::ArrayVec;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::dates;
use super::records::{MoneyKind, MoneyLine, OrderEvent, OrderEventKind, OrderId, ReconciliationCheck};
use super::table::{Row, Table, fold_header};
use super::units::{ByValue, Summary, Unit, UnitKey};
use super::{IngestContext, ParsedExport};
use crate::error::InputError;
use crate::market::Market;

/// The sale-number header as [`fold_sale_number_header`] leaves it.
const SALE_NUMBER_FOLDED: &str = "n de venda";
/// Spellings of the sale-number header seen in exports (for error messages).
const SALE_NUMBER: &[&str] = &["N.º de venda", "N.° de venda", "Nº de venda", "N. de venda"];

const DATE: &[&str] = &["Data da venda"];
const STATUS: &[&str] = &["Estado"];
const STATUS_DESCRIPTION: &[&str] = &["Descrição do status"];
const UNITS: &[&str] = &["Unidades"];
const TOTAL: &[&str] = &["Total (BRL)", "Total"];
/// The shipping block's dates (the returns block repeats them further
/// right; the first occurrence is the shipping block's).
const SHIPPED: &[&str] = &["Data a caminho"];
const DELIVERED: &[&str] = &["Data de entrega"];
/// The first column of the Devoluções (returns) block's review, which
/// follows the block's own "Unidades" and return-shipping columns.
const RETURN_REVIEWED: &[&str] = &["Revisado pelo Mercado Livre"];
const CLAIM_OPEN: &[&str] = &["Reclamação aberta"];
const CLAIM_CLOSED: &[&str] = &["Reclamação encerrada"];
const IN_MEDIATION: &[&str] = &["Em mediação"];

/// What a money column of the export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Role {
    Products,
    Surcharge,
    InstallmentFee,
    SaleFee,
    ShippingRevenue,
    ShippingFee,
    ExchangeShipping,
    DeclaredShipping,
    ShippingDifference,
    Discounts,
    Cancellations,
}

impl Role {
    /// The kind of money line the column's amount becomes (Cancelamentos e
    /// reembolsos: its refund part; see [`split_cancellations`]).
    fn kind(self) -> MoneyKind {
        match self {
            Role::Products => MoneyKind::Principal,
            Role::Surcharge => MoneyKind::Other,
            Role::ShippingRevenue => MoneyKind::Shipping,
            Role::InstallmentFee
            | Role::SaleFee
            | Role::ShippingFee
            | Role::ExchangeShipping
            | Role::DeclaredShipping
            | Role::ShippingDifference => MoneyKind::PlatformFee,
            Role::Discounts => MoneyKind::Promotion,
            Role::Cancellations => MoneyKind::Refund,
        }
    }
}

/// A money column: its role, accepted header spellings, and whether every
/// export has it.
struct MoneyColumn {
    role: Role,
    names: &'static [&'static str],
    required: bool,
}

/// The money columns that add up to `Total (BRL)`, in the export's order.
/// How many money columns a Vendas export may have that this parser reads.
const MONEY_COLUMN_COUNT: usize = 11;

/// Every column name [`parse`] reads (its named columns and every name of
/// each money column): a Vendas export's others (36 of the generated
/// layout's 63 columns) are not kept as it is read (see `table::read_decoded_columns`).
pub fn columns() -> Vec<&'static str> {
    let named = [
        SALE_NUMBER,
        DATE,
        STATUS,
        STATUS_DESCRIPTION,
        UNITS,
        TOTAL,
        SHIPPED,
        DELIVERED,
        RETURN_REVIEWED,
        CLAIM_OPEN,
        CLAIM_CLOSED,
        IN_MEDIATION,
    ];
    named.into_iter().flatten().chain(MONEY_COLUMNS.iter().flat_map(|c| c.names)).copied().collect()
}

/// What cannot happen: more money columns than [`MONEY_COLUMNS`] lists.
const TOO_MANY_COLUMNS: &str = "internal error: more money columns than this parser reads";

const MONEY_COLUMNS: [MoneyColumn; MONEY_COLUMN_COUNT] = [
    MoneyColumn {
        role: Role::Products,
        names: &["Receita por produtos (BRL)", "Receita por produtos"],
        required: true,
    },
    MoneyColumn {
        role: Role::Surcharge,
        names: &[
            "Receita por acréscimo no preço (pago pelo comprador)",
            "Receita por acréscimo no preço (pago pelo comprador) (BRL)",
        ],
        required: false,
    },
    MoneyColumn {
        role: Role::InstallmentFee,
        names: &[
            "Taxa de parcelamento equivalente ao acréscimo",
            "Taxa de parcelamento equivalente ao acréscimo (BRL)",
        ],
        required: false,
    },
    MoneyColumn {
        role: Role::SaleFee,
        names: &["Tarifa de venda e impostos (BRL)", "Tarifa de venda e impostos"],
        required: true,
    },
    MoneyColumn {
        role: Role::ShippingRevenue,
        names: &["Receita por envio (BRL)", "Receita por envio"],
        required: true,
    },
    MoneyColumn { role: Role::ShippingFee, names: &["Tarifas de envio (BRL)", "Tarifas de envio"], required: true },
    MoneyColumn {
        role: Role::ExchangeShipping,
        names: &["Custo de envio por troca de produto", "Custo de envio por troca de produto (BRL)"],
        required: false,
    },
    MoneyColumn {
        role: Role::DeclaredShipping,
        names: &[
            "Custo de envio com base nas medidas e peso declarados",
            "Custo de envio com base nas medidas e peso declarados (BRL)",
        ],
        required: false,
    },
    MoneyColumn {
        role: Role::ShippingDifference,
        names: &[
            "Custo por diferenças nas medidas e no peso do pacote",
            "Custo por diferenças nas medidas e no peso do pacote (BRL)",
        ],
        required: false,
    },
    MoneyColumn { role: Role::Discounts, names: &["Descontos e bônus", "Descontos e bônus (BRL)"], required: false },
    MoneyColumn {
        role: Role::Cancellations,
        names: &["Cancelamentos e reembolsos (BRL)", "Cancelamentos e reembolsos"],
        required: true,
    },
];

/// How many mismatching rows the reconciliation detail names.
const MISMATCHES_SHOWN: usize = 5;

/// Whether `headers` is the header row of a Vendas export: some cell reads
/// "N.º de venda" or a variant ("N.° de venda", "Nº de venda", "N. de venda").
pub fn is_header(headers: &[String]) -> bool {
    headers.iter().any(|h| fold_sale_number_header(h) == SALE_NUMBER_FOLDED)
}

/// Reads a Vendas export (XLSX or CSV, already a [`Table`]); the module
/// documentation says what each column becomes.
///
/// Every sale dated in `ctx.period` (its date in `ctx.tz`)
/// yields its money lines (zero amounts skipped; cancelled sales included,
/// so the lines add up to the period's `Total (BRL)`) and its order events.
/// The rule that the money columns add up to `Total (BRL)` is checked on
/// every row of the file, whatever its date, and reported as one
/// [`ReconciliationCheck`]; a mismatch is reported, not an error.
///
/// # Errors
/// An [`InputError`] naming the file, line/row and column when a required
/// column is missing, a number, unit count or sale date cannot be read, or a
/// line with amounts has no sale number.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    refuse_other_currencies(t)?;
    let cols = Columns::find(t)?;
    let sales = read_sales(t, &cols, ctx.tz)?;
    // Sized for what a sale usually yields (a unit, a few money lines and
    // events), so that the vectors are rarely moved while they grow.
    let mut out = ParsedExport {
        rows_total: t.rows.len(),
        lacks_returns: cols.returned.is_none(),
        units: Vec::with_capacity(sales.len()),
        lines: Vec::with_capacity(sales.len() * 4),
        events: Vec::with_capacity(sales.len() * 2),
        ..ParsedExport::default()
    };
    for sale in &sales {
        out.saw(sale.date);
    }
    out.checks.push(reconcile(t, &cols, &sales, ctx));
    let headers = UnitHeaders::of(t, &cols);
    for sale in &sales {
        let mut unit = unit(t, &headers, sale);
        if ctx.period.contains(sale.date) {
            let (lines, events) = (out.lines.len(), out.events.len());
            out.rows_in_period += sale.rows;
            emit(sale, ctx.market, &mut out);
            unit.lines = lines..out.lines.len();
            unit.events = events..out.events.len();
            unit.rows_in_period = sale.rows;
        } else {
            out.leave_out(sale.number, sale.date);
        }
        out.units.push(unit);
    }
    Ok(out)
}

/// The sale as a unit of money, keyed by its sale number; its date,
/// outcome, units, every money column's amount and its total are the
/// fingerprint.
fn unit(t: &Table, headers: &UnitHeaders, sale: &Sale) -> Unit {
    let mut unit = Unit::keyed(UnitKey::Sale(sale.order_id.to_string()), t.location(sale.number), headers.sale.clone());
    let o = sale.outcome;
    unit.fingerprint.add((sale.date, o.cancelled.map(OrderEventKind::id), o.returned, o.disputed, sale.units));
    if sale.returned > 0 {
        unit.fingerprint.add(("returned", sale.returned));
    }
    // By role, zero amounts left out: the CSV and the XLSX of one export
    // agree even where one lacks a column the other shows as zero.
    for (role, amount) in sale.amounts.iter().filter(|(_, a)| !a.is_zero()) {
        unit.fingerprint.add((role, ByValue(*amount)));
    }
    unit.fingerprint.add(("total", ByValue(sale.total)));
    unit.summary = Summary::Total { header: headers.total.clone(), total: sale.total, sold: sale.date };
    unit
}

/// The headers a file's units name, shared by all of them.
struct UnitHeaders {
    /// The sale number's column.
    sale: Arc<str>,
    /// The total's column, which a unit's summary names.
    total: Arc<str>,
}

impl UnitHeaders {
    fn of(t: &Table, cols: &Columns) -> Self {
        UnitHeaders {
            sale: t.headers.get(cols.sale).map_or(SALE_NUMBER[0], String::as_str).into(),
            total: t.headers.get(cols.total).map_or("Total (BRL)", String::as_str).into(),
        }
    }
}

/// Where the columns this parser reads sit in the table.
struct Columns {
    sale: usize,
    date: usize,
    status: usize,
    status_description: Option<usize>,
    units: usize,
    /// The money columns present, each with its role, in the export's order
    /// (each of [`MONEY_COLUMNS`] at most once).
    money: ArrayVec<(usize, Role), MONEY_COLUMN_COUNT>,
    total: usize,
    /// Headers among the money columns (between Receita por produtos and
    /// Total) that this parser does not read.
    unread: Vec<String>,
    shipped: Option<usize>,
    delivered: Option<usize>,
    /// The Devoluções block's "Unidades" (`None`: the export has no such block).
    returned: Option<usize>,
    claim_open: Option<usize>,
    claim_closed: Option<usize>,
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
        let mut money = ArrayVec::new();
        for c in &MONEY_COLUMNS {
            let col = if c.required { Some(t.require(c.names)?) } else { t.column(c.names) };
            if let Some(col) = col {
                // At most one entry per element of MONEY_COLUMNS: it fits.
                money.try_push((col, c.role)).map_err(|_| InputError::file(&t.file, TOO_MANY_COLUMNS))?;
            }
        }
        let total = t.require(TOTAL)?;
        let products = money.iter().find(|(_, r)| *r == Role::Products).map_or(0, |&(col, _)| col);
        let unread = (products.min(total)..products.max(total))
            .filter(|i| !money.iter().any(|(col, _)| col == i))
            .filter_map(|i| t.headers.get(i))
            .filter(|h| !h.trim().is_empty())
            .cloned()
            .collect();
        Ok(Columns {
            sale,
            date: t.require(DATE)?,
            status: t.require(STATUS)?,
            status_description: t.column(STATUS_DESCRIPTION),
            units: t.require(UNITS)?,
            money,
            total,
            unread,
            shipped: t.column(SHIPPED),
            delivered: t.column(DELIVERED),
            returned: returned_units_column(t),
            claim_open: t.column(CLAIM_OPEN),
            claim_closed: t.column(CLAIM_CLOSED),
            in_mediation: t.column(IN_MEDIATION),
        })
    }

    /// Whether every money column of `row`, the total included, is blank.
    fn money_blank(&self, t: &Table, row: &Row) -> bool {
        self.money.iter().all(|&(col, _)| t.is_blank(row, col)) && t.is_blank(row, self.total)
    }
}

/// What a sale's status and flags say happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    /// `CancelledBySeller` or `CancelledOther` when cancelled before shipment.
    cancelled: Option<OrderEventKind>,
    /// The status says the whole sale was cancelled (before or after
    /// shipment) or its money returned to the buyer.
    returned: bool,
    disputed: bool,
}

/// One sale: its first row, plus the units of its continuation lines.
struct Sale {
    order_id: OrderId,
    /// Line/row number of the sale's first row.
    number: usize,
    /// Its date in the contract's time zone for Mercado Livre.
    date: NaiveDate,
    outcome: Outcome,
    units: i64,
    /// Units of the sale's return (the Devoluções block's "Unidades", its
    /// continuation lines included; zero without a return or without the block).
    returned: i64,
    /// Each money column's amount, rounded to cents, in the export's order.
    amounts: ArrayVec<(Role, Decimal), MONEY_COLUMN_COUNT>,
    total: Decimal,
    /// Data rows this sale spans (its first row and its continuations).
    rows: usize,
}

impl Sale {
    /// The amount of the column of `role` (zero when the export lacks it).
    fn amount(&self, role: Role) -> Decimal {
        self.amounts.iter().filter(|(r, _)| *r == role).fold(Decimal::new(0, 2), |acc, &(_, a)| acc + a)
    }

    fn columns_sum(&self) -> Decimal {
        self.amounts.iter().fold(Decimal::new(0, 2), |acc, (_, a)| acc + a)
    }

    /// What the buyer paid: products, installment surcharge and shipping.
    fn buyer_paid(&self) -> Decimal {
        self.amount(Role::Products) + self.amount(Role::Surcharge) + self.amount(Role::ShippingRevenue)
    }

    /// The fees Mercado Livre charged on the row, as a positive amount: the
    /// negative amounts of its platform-fee columns.
    fn fees_charged(&self) -> Decimal {
        -self
            .amounts
            .iter()
            .filter(|(r, a)| r.kind() == MoneyKind::PlatformFee && a.is_sign_negative())
            .fold(Decimal::new(0, 2), |acc, &(_, a)| acc + a)
    }
}

/// `Cancelamentos e reembolsos` split into what went back to the buyer and
/// the fees Mercado Livre gave back; the two add up to the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CancellationSplit {
    to_buyer: Decimal,
    fees_returned: Decimal,
}

/// Splits a sale's `Cancelamentos e reembolsos` by the rule in the module
/// documentation: only a whole-sale cancellation or refund (by its status)
/// whose amount is the buyer's payment less at most the fees charged gives
/// fees back; anything else is all refund to the buyer.
fn split_cancellations(sale: &Sale) -> CancellationSplit {
    let c = sale.amount(Role::Cancellations);
    let all_to_buyer = CancellationSplit { to_buyer: c, fees_returned: Decimal::new(0, 2) };
    if c.is_zero() || !sale.outcome.returned {
        return all_to_buyer;
    }
    let paid = sale.buyer_paid();
    let fees_returned = c + paid;
    if fees_returned < Decimal::ZERO || fees_returned > sale.fees_charged() {
        return all_to_buyer;
    }
    CancellationSplit { to_buyer: -paid, fees_returned }
}

fn read_sales(t: &Table, cols: &Columns, tz: Tz) -> Result<Vec<Sale>, InputError> {
    // A sale per row at most: sized once, never moved while growing.
    let mut sales: Vec<Sale> = Vec::with_capacity(t.rows.len());
    let mut statuses = Statuses::default();
    for row in &t.rows {
        let order_id = t.text_ref(row, cols.sale);
        if cols.money_blank(t, row)
            && let Some(sale) = sales.last_mut().filter(|s| order_id.is_empty() || s.order_id == *order_id)
        {
            sale.units += t.whole(row, cols.units)?;
            sale.returned += returned_units(t, row, cols)?;
            sale.rows += 1;
            continue;
        }
        if order_id.is_empty() {
            return Err(t.error(
                row,
                cols.sale,
                "the sale number is missing (only an extra product line of the sale above, with blank amounts, may leave it blank)",
            ));
        }
        let mut amounts = ArrayVec::new();
        for &(col, role) in &cols.money {
            // As many as `cols.money` holds: it fits.
            amounts.try_push((role, t.money(row, col)?)).map_err(|_| InputError::file(&t.file, TOO_MANY_COLUMNS))?;
        }
        sales.push(Sale {
            order_id: order_id.into(),
            number: row.number,
            date: sale_date(t, row, cols.date, tz)?,
            outcome: outcome(t, row, cols, &mut statuses),
            units: t.whole(row, cols.units)?,
            returned: returned_units(t, row, cols)?,
            amounts,
            total: t.money(row, cols.total)?,
            rows: 1,
        });
    }
    for sale in &sales {
        check_return(t, cols, sale)?;
    }
    Ok(sales)
}

/// The Devoluções block's "Unidades": the last "Unidades" column left of
/// "Revisado pelo Mercado Livre" (the block's review columns), other than
/// the sale's own. `None` when the export has no such block (an older or
/// trimmed download): its returns are then unknown, not zero.
fn returned_units_column(t: &Table) -> Option<usize> {
    let review = t.column(RETURN_REVIEWED)?;
    let sale_units = t.column(UNITS)?;
    let units = fold_header(UNITS[0]);
    (sale_units + 1..review).rev().find(|&i| t.headers.get(i).is_some_and(|h| fold_header(h) == units))
}

/// The returned units on `row` (blank: none).
///
/// # Errors
/// An [`InputError`] naming the cell when it is not a whole number of at
/// least zero.
fn returned_units(t: &Table, row: &Row, cols: &Columns) -> Result<i64, InputError> {
    let Some(col) = cols.returned else { return Ok(0) };
    let units = t.whole(row, col)?;
    if units < 0 {
        return Err(t.error(row, col, format!("returned units {units}: a return carries zero or more units")));
    }
    Ok(units)
}

/// Refuses a return the sale cannot have had: one of a sale cancelled
/// before shipment (nothing was sent to return), or of more units than
/// the sale sold. Either says the row was misread or edited, and counting
/// it would put more returned units than shipped ones in the return rate.
fn check_return(t: &Table, cols: &Columns, sale: &Sale) -> Result<(), InputError> {
    let Some(col) = cols.returned.filter(|_| sale.returned > 0) else { return Ok(()) };
    let problem = if sale.outcome.cancelled.is_some() {
        format!(
            "sale {} was cancelled before shipment (its Estado, with no shipping date), yet its Devoluções block returns {} units: a sale never shipped has nothing to return",
            sale.order_id, sale.returned
        )
    } else if sale.returned > sale.units {
        format!(
            "sale {} returns {} units in its Devoluções block but sold {}: a return cannot carry more units than the sale",
            sale.order_id, sale.returned, sale.units
        )
    } else {
        return Ok(());
    };
    Err(InputError {
        file: t.file.clone(),
        location: t.location(sale.number),
        column: t.headers.get(col).cloned(),
        message: problem,
    })
}

/// The sale's calendar date in `tz`: a date-formatted XLSX cell, or text such
/// as `21 de agosto de 2026 16:10 hs.`, both São Paulo wall time, converted
/// by [`dates::sao_paulo_date_in`]; a date printed without a time is kept.
fn sale_date(t: &Table, row: &Row, col: usize, tz: Tz) -> Result<NaiveDate, InputError> {
    if let Some(dt) = t.datetime_cell(row, col) {
        dates::plausible(dt.date(), &t.text(row, col)).map_err(|m| t.error(row, col, m))?;
        return Ok(dates::sao_paulo_date_in(dt, tz));
    }
    let text = t.text_ref(row, col);
    if text.is_empty() {
        return Err(t.error(row, col, "the sale date is missing"));
    }
    match dates::mercadolivre_datetime(&text).map_err(|m| t.error(row, col, m))? {
        (date, Some(time)) => Ok(dates::sao_paulo_date_in(date.and_time(time), tz)),
        (date, None) => Ok(date),
    }
}

/// Classifies a sale by its Estado and Descrição do status (free text,
/// compared without case or accents), its shipping dates and its
/// claim/mediation flags.
fn outcome(t: &Table, row: &Row, cols: &Columns, statuses: &mut Statuses) -> Outcome {
    let description = cols.status_description.map(|col| t.text_ref(row, col));
    let says = statuses.read(&t.text_ref(row, cols.status), description.as_deref());
    let shipped = [cols.shipped, cols.delivered].iter().flatten().any(|&c| !t.is_blank(row, c));
    let cancelled = (says.cancelled && !shipped).then_some(if says.by_seller {
        OrderEventKind::CancelledBySeller
    } else {
        OrderEventKind::CancelledOther
    });
    let flagged = |col: Option<usize>| col.is_some_and(|c| folded(&t.text_ref(row, c)).eq("sim".chars()));
    Outcome {
        cancelled,
        returned: says.cancelled || says.refunded,
        disputed: flagged(cols.claim_open) || flagged(cols.claim_closed) || flagged(cols.in_mediation) || says.disputed,
    }
}

/// What a sale's Estado and Descrição do status say, read from their
/// folded text ([`fold_text`], the two joined by ` | `).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StatusSays {
    /// Cancelled, before or after shipment.
    cancelled: bool,
    /// The seller cancelled it (read only when cancelled).
    by_seller: bool,
    refunded: bool,
    /// A claim (reclamação) or mediation.
    disputed: bool,
}

impl StatusSays {
    fn of(status: &str, description: Option<&str>) -> Self {
        let mut folded = fold_text(status);
        if let Some(description) = description {
            folded.push_str(" | ");
            folded.push_str(&fold_text(description));
        }
        let has = |s: &str| folded.contains(s);
        StatusSays {
            cancelled: has("cancelad") || has("cancelou"),
            by_seller: ["pelo vendedor", "voce cancelou", "cancelada por voce", "cancelado por voce"]
                .iter()
                .any(|s| has(s)),
            refunded: has("reembols") || has("devolvemos o dinheiro"),
            disputed: has("reclamacao") || has("mediacao"),
        }
    }
}

/// The status texts of a file read so far: an export repeats a handful of
/// them on every row, so each distinct pair is folded once. Holds at most
/// [`Statuses::LIMIT`] pairs; others are read each time.
#[derive(Default)]
struct Statuses {
    read: Vec<(Box<str>, Option<Box<str>>, StatusSays)>,
}

impl Statuses {
    const LIMIT: usize = 64;

    /// [`StatusSays::of`] the texts, remembered.
    fn read(&mut self, status: &str, description: Option<&str>) -> StatusSays {
        let same =
            |(s, d, _): &&(Box<str>, Option<Box<str>>, StatusSays)| &**s == status && d.as_deref() == description;
        if let Some(&(_, _, says)) = self.read.iter().find(same) {
            return says;
        }
        let says = StatusSays::of(status, description);
        if self.read.len() < Self::LIMIT {
            self.read.push((status.into(), description.map(Box::from), says));
        }
        says
    }
}

/// The file's check that the money columns add up to the total on every
/// sale row; continuation lines have neither and are counted as matching.
/// When rows mismatch and the export has money columns this parser does not
/// read, the detail names them first.
fn reconcile(t: &Table, cols: &Columns, sales: &[Sale], ctx: &IngestContext) -> ReconciliationCheck {
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
    let mut parts = Vec::new();
    if !mismatches.is_empty() && !cols.unread.is_empty() {
        let names: Vec<String> = cols.unread.iter().map(|h| format!("\"{h}\"")).collect();
        parts.push(format!(
            "not read among the money columns: {} (a column this version does not know)",
            names.join(", ")
        ));
    }
    parts.extend(mismatches.iter().take(MISMATCHES_SHOWN).cloned());
    let mut detail = parts.join("; ");
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
        currency: ctx.currency,
        reported,
        computed,
        ok: mismatches.is_empty(),
        detail,
    }
}

/// Appends the money lines and order events of one sale dated in the period.
fn emit(sale: &Sale, market: Market, out: &mut ParsedExport) {
    let line = |kind, amount| MoneyLine {
        market,
        line: sale.number,
        date: sale.date,
        order_id: sale.order_id.clone(),
        kind,
        amount,
    };
    let split = split_cancellations(sale);
    for &(role, amount) in &sale.amounts {
        if role == Role::Cancellations {
            for (kind, part) in [(MoneyKind::Refund, split.to_buyer), (MoneyKind::PlatformFee, split.fees_returned)] {
                if !part.is_zero() {
                    out.lines.push(line(kind, part));
                }
            }
        } else if !amount.is_zero() {
            out.lines.push(line(role.kind(), amount));
        }
    }
    let event = |kind, units, principal, shipping| OrderEvent {
        market,
        line: sale.number,
        date: sale.date,
        order_id: sale.order_id.clone(),
        kind,
        units,
        principal,
        shipping,
    };
    let zero = Decimal::new(0, 2);
    let (principal, shipping) = (sale.amount(Role::Products), sale.amount(Role::ShippingRevenue));
    // Vendas dates a sale when it was made: every sale of the period was ordered in it.
    out.events.push(event(OrderEventKind::Ordered, 0, zero, zero));
    if let Some(kind) = sale.outcome.cancelled {
        out.events.push(event(kind, 0, zero, zero));
    } else {
        out.events.push(event(OrderEventKind::Placed, sale.units, principal, shipping));
        if sale.outcome.returned {
            out.events.push(event(OrderEventKind::Refunded, 0, principal.abs(), shipping.abs()));
        } else if !split.to_buyer.is_zero() {
            // A partial refund: principal first, then shipping.
            let refunded = split.to_buyer.abs();
            let from_principal = refunded.min(principal.abs());
            let from_shipping = (refunded - from_principal).min(shipping.abs());
            out.events.push(event(OrderEventKind::Refunded, 0, from_principal, from_shipping));
        }
        if sale.returned > 0 {
            // Dated by its sale: the export gives no date a return arrived.
            out.events.push(event(OrderEventKind::Returned, sale.returned, zero, zero));
        }
    }
    if sale.outcome.disputed {
        out.events.push(event(OrderEventKind::Disputed, 0, zero, zero));
    }
}

/// Refuses a header naming a currency other than BRL in a trailing
/// `(XXX)`, e.g. `Receita por produtos (USD)` or `Total (ARS)`: Mercado
/// Livre Brasil's money is in BRL (headers say "(BRL)", or nothing in older
/// exports), and an export of another site is never read as if it were.
fn refuse_other_currencies(t: &Table) -> Result<(), InputError> {
    for header in &t.headers {
        let Some(inner) = header.trim().strip_suffix(')').and_then(|h| h.rsplit_once('(')).map(|(_, c)| c.trim())
        else {
            continue;
        };
        if inner.len() == 3 && inner.chars().all(|c| c.is_ascii_uppercase()) && inner != "BRL" {
            return Err(InputError {
                file: t.file.clone(),
                location: t.location(t.header_number),
                column: Some(header.trim().to_string()),
                message: format!(
                    "the column is in {inner}; a Mercado Livre Brasil export is in BRL and kpiseal neither relabels nor converts it: export the sales of the Brazilian account (mercadolivre.com.br)"
                ),
            });
        }
    }
    Ok(())
}

/// Folds a header for the sale-number match: BOM, '.', 'º' and '°' dropped,
/// spaces collapsed, lower-case ("N.º de venda" → "n de venda").
fn fold_sale_number_header(h: &str) -> String {
    let kept: String = h.chars().filter(|c| !matches!(c, '.' | 'º' | '°' | '\u{feff}')).collect();
    fold_header(&kept)
}

/// Folds free text for matching: lower-case, Portuguese accents removed,
/// spaces collapsed ("Reclamação  Aberta" → "reclamacao aberta").
fn fold_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    out.extend(folded(s));
    out
}

/// The characters of [`fold_text`], without collecting them.
fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
    s.split_whitespace().enumerate().flat_map(|(i, word)| {
        let space = (i > 0).then_some(' ');
        space.into_iter().chain(word.chars().flat_map(char::to_lowercase).map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        }))
    })
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

    /// Today's export, its money columns as real exports have them (see
    /// `fixtures/ingest/mercadolivre/README.md`), then its later blocks in
    /// their real order (`fixtures/layouts/mercadolivre/vendas_columns.md`),
    /// shortened: the buyer block repeating "Estado" (the buyer's state),
    /// the shipping block's dates, the Devoluções block repeating "Unidades"
    /// and "Data a caminho" before its review columns, and the claims block
    /// repeating "Unidades" again.
    const HEADERS: [&str; 31] = [
        "N.º de venda",
        "Data da venda",
        "Estado",
        "Descrição do status",
        "Pacote de diversos produtos",
        "Unidades",
        "Receita por produtos (BRL)",
        "Receita por acréscimo no preço (pago pelo comprador)",
        "Taxa de parcelamento equivalente ao acréscimo",
        "Tarifa de venda e impostos (BRL)",
        "Receita por envio (BRL)",
        "Tarifas de envio (BRL)",
        "Custo de envio por troca de produto",
        "Custo de envio com base nas medidas e peso declarados",
        "Custo por diferenças nas medidas e no peso do pacote",
        "Descontos e bônus",
        "Cancelamentos e reembolsos (BRL)",
        "Total (BRL)",
        "SKU",
        "Comprador",
        "Estado",
        "Data a caminho",
        "Data de entrega",
        "Unidades",
        "Data a caminho",
        "Revisado pelo Mercado Livre",
        "Resultado",
        "Unidades",
        "Reclamação aberta",
        "Reclamação encerrada",
        "Em mediação",
    ];

    /// An older export: no "(BRL)" suffix, "N.° de venda" with a degree sign,
    /// none of the optional money columns, no shipping dates.
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
    /// The six money columns every export has, in this order: Receita por
    /// produtos, Tarifa de venda e impostos, Receita por envio, Tarifas de
    /// envio, Descontos e bônus, Cancelamentos e reembolsos.
    const NO_MONEY: [&str; 6] = ["", "", "", "", "", ""];
    /// 59.90 − 11.98 − 21.45 = 26.47
    const DELIVERED: [&str; 6] = ["59.90", "-11.98", "0", "-21.45", "0", "0"];
    /// 1234.56 − 185.18 + 25.90 − 25.90 + 10.00 = 1059.38
    const BIG: [&str; 6] = ["1234.56", "-185.18", "25.90", "-25.90", "10.00", "0"];
    /// 89.90 − 13.49 − 76.41 = 0: the buyer gets 89.90 back, the seller its 13.49 fee.
    const CANCELLED: [&str; 6] = ["89.90", "-13.49", "0", "0", "0", "-76.41"];
    /// 120.00 − 18.00 + 15.00 − 15.00 − 102.00 = 0: the buyer gets 135.00
    /// back, the seller both fees (33.00).
    const REFUNDED: [&str; 6] = ["120.00", "-18.00", "15.00", "-15.00", "0", "-102.00"];

    /// One line of the export, as text; numbers written with a decimal point
    /// (the CSV writer turns money and units into decimal commas, the XLSX
    /// writer into float cells). A date `cell:2026-10-05 14:30:00` becomes a
    /// date cell.
    #[derive(Clone, Default)]
    struct S {
        id: &'static str,
        date: &'static str,
        status: &'static str,
        description: &'static str,
        pacote: &'static str,
        units: &'static str,
        money: [&'static str; 6],
        /// The optional money columns, in this order: Receita por
        /// acréscimo, Taxa de parcelamento, Custo de envio por troca de
        /// produto, Custo de envio com base nas medidas e peso declarados,
        /// Custo por diferenças.
        extra: [&'static str; 5],
        total: &'static str,
        sku: &'static str,
        shipped: &'static str,
        delivered: &'static str,
        claim: &'static str,
        claim_closed: &'static str,
        mediation: &'static str,
        returned_units: &'static str,
        return_shipped: &'static str,
        return_reviewed: &'static str,
        claim_units: &'static str,
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
        /// The cell under `header`, its `occurrence`-th appearance (from 0).
        fn value(&self, header: &str, occurrence: usize) -> &'static str {
            let (m, x) = (self.money, self.extra);
            match (header.trim_end_matches(" (BRL)"), occurrence) {
                ("N.º de venda" | "N.° de venda", 0) => self.id,
                ("Data da venda", 0) => self.date,
                ("Estado", 0) => self.status,
                ("Descrição do status", 0) => self.description,
                ("Pacote de diversos produtos", 0) => self.pacote,
                ("Unidades", 0) => self.units,
                ("Receita por produtos", 0) => m[0],
                ("Receita por acréscimo no preço (pago pelo comprador)", 0) => x[0],
                ("Taxa de parcelamento equivalente ao acréscimo", 0) => x[1],
                ("Tarifa de venda e impostos", 0) => m[1],
                ("Receita por envio", 0) => m[2],
                ("Tarifas de envio", 0) => m[3],
                ("Custo de envio por troca de produto", 0) => x[2],
                ("Custo de envio com base nas medidas e peso declarados", 0) => x[3],
                ("Custo por diferenças nas medidas e no peso do pacote", 0) => x[4],
                ("Descontos e bônus", 0) => m[4],
                ("Cancelamentos e reembolsos", 0) => m[5],
                ("Total", 0) => self.total,
                ("SKU", 0) => self.sku,
                ("Data a caminho", 0) => self.shipped,
                ("Data de entrega", 0) => self.delivered,
                ("Reclamação aberta", 0) => self.claim,
                ("Reclamação encerrada", 0) => self.claim_closed,
                ("Em mediação", 0) => self.mediation,
                ("Unidades", 1) => self.returned_units,
                ("Data a caminho", 1) => self.return_shipped,
                ("Revisado pelo Mercado Livre", 0) => self.return_reviewed,
                ("Unidades", 2) => self.claim_units,
                ("Comprador", 0) => self.buyer,
                ("Estado", 1) => self.buyer_state,
                _ => "",
            }
        }

        /// The row's cells under `headers`.
        fn cells(&self, headers: &[&str]) -> Vec<&'static str> {
            let mut seen: Vec<&str> = Vec::new();
            headers
                .iter()
                .map(|h| {
                    let occurrence = seen.iter().filter(|s| *s == h).count();
                    seen.push(h);
                    self.value(h, occurrence)
                })
                .collect()
        }
    }

    /// Whether `header` holds numbers: units, a money column or the total.
    fn numeric(header: &str) -> bool {
        header == "Unidades" || TOTAL.contains(&header) || MONEY_COLUMNS.iter().any(|c| c.names.contains(&header))
    }

    /// The CSV form: a title line and a group line above the header, `;`,
    /// decimal comma, text quoted. Data starts on line 4.
    fn csv_text(headers: &[&str], sales: &[S]) -> String {
        let mut text = String::from("Vendas BR\n");
        text.push_str("Vendas;;;;;;Faturamento;;;;;;;Anúncios;Reclamações;;Devoluções;;Comprador;\n");
        text.push_str(&headers.join(";"));
        text.push('\n');
        for s in sales {
            let cells: Vec<String> = headers
                .iter()
                .zip(s.cells(headers))
                .map(|(h, c)| match c {
                    _ if numeric(h) => c.replace('.', ","),
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

    /// The XLSX form under `headers`, sheet "Vendas BR": a merged title on
    /// row 1, a blank row 2, merged group headers on row 3, the header on
    /// row 4, data from row 5. Numbers (sale numbers, units, money) are float
    /// cells.
    fn xlsx_bytes_with(headers: &[&str], sales: &[S]) -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(SHEET).unwrap();
        let plain = Format::new();
        ws.merge_range(0, 0, 0, 5, "Relatório de vendas: 1 a 31 de outubro de 2026", &plain).unwrap();
        ws.merge_range(2, 0, 2, 5, "Vendas", &plain).unwrap();
        ws.merge_range(2, 6, 2, 12, "Faturamento ao comprador", &plain).unwrap();
        for (col, header) in headers.iter().enumerate() {
            ws.write_string(3, col as u16, *header).unwrap();
        }
        for (i, s) in sales.iter().enumerate() {
            for (col, value) in s.cells(headers).iter().enumerate() {
                write_cell(ws, 4 + i as u32, col as u16, value);
            }
        }
        wb.save_to_buffer().unwrap()
    }

    fn xlsx_bytes(sales: &[S]) -> Vec<u8> {
        xlsx_bytes_with(&HEADERS, sales)
    }

    fn ctx() -> IngestContext {
        IngestContext::new(Period::new(2026, 10).unwrap(), crate::market::Market::MERCADOLIVRE_BR)
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

    /// Both forms under `headers`, read with `ctx`.
    fn parse_both_with(headers: &[&str], sales: &[S], ctx: &IngestContext) -> Vec<(&'static str, ParsedExport)> {
        let text = csv_text(headers, sales);
        let csv = table::read_text("vendas.csv", text.as_bytes(), CSV, is_header).unwrap();
        let xlsx = table::read_xlsx("vendas.xlsx", &xlsx_bytes_with(headers, sales), SHEET, is_header).unwrap();
        vec![("csv", parse(&csv, ctx).unwrap()), ("xlsx", parse(&xlsx, ctx).unwrap())]
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The events other than the `Ordered` every sale of the period has
    /// (one each: checked).
    fn sale_events(p: &ParsedExport) -> Vec<OrderEvent> {
        let sales: std::collections::BTreeSet<&str> = p.events.iter().map(|e| e.order_id.as_str()).collect();
        let ordered = p.events.iter().filter(|e| e.kind == OrderEventKind::Ordered);
        assert_eq!(ordered.count(), sales.len(), "one Ordered event per sale of the period");
        p.events.iter().filter(|e| e.kind != OrderEventKind::Ordered).cloned().collect()
    }

    /// The events of `order` other than the `Ordered` every sale has.
    fn kinds(p: &ParsedExport, order: &str) -> Vec<OrderEventKind> {
        let all: Vec<OrderEventKind> = p.events.iter().filter(|e| e.order_id == order).map(|e| e.kind).collect();
        let ordered = all.iter().filter(|&&k| k == OrderEventKind::Ordered).count();
        assert_eq!(ordered, usize::from(!all.is_empty()), "one Ordered per sale of the period");
        all.into_iter().filter(|&k| k != OrderEventKind::Ordered).collect()
    }

    fn lines(p: &ParsedExport, order: &str) -> Vec<(MoneyKind, Decimal)> {
        p.lines.iter().filter(|l| l.order_id == order).map(|l| (l.kind, l.amount)).collect()
    }

    /// The sum of `order`'s money lines of `kind`.
    fn sum_of(p: &ParsedExport, order: &str, kind: MoneyKind) -> Decimal {
        lines(p, order).iter().filter(|(k, _)| *k == kind).map(|(_, a)| *a).sum()
    }

    fn placed<'a>(p: &'a ParsedExport, order: &str) -> Vec<&'a OrderEvent> {
        p.events.iter().filter(|e| e.order_id == order && e.kind == OrderEventKind::Placed).collect()
    }

    fn refunded<'a>(p: &'a ParsedExport, order: &str) -> Vec<&'a OrderEvent> {
        p.events.iter().filter(|e| e.order_id == order && e.kind == OrderEventKind::Refunded).collect()
    }

    fn check(p: &ParsedExport) -> &ReconciliationCheck {
        assert_eq!(p.checks.len(), 1, "one reconciliation check per file");
        &p.checks[0]
    }

    #[test]
    fn a_money_column_in_another_currency_is_refused_not_read_as_brl() {
        let headers: Vec<&str> = HEADERS.iter().map(|h| if *h == "Total (BRL)" { "Total (ARS)" } else { h }).collect();
        let text = csv_text(&headers, &[sale("2000009876543210", OCT_3, "Entregue", "2", DELIVERED, "26.47")]);
        assert_eq!(
            parse_csv_bytes(text.as_bytes()).unwrap_err().to_string(),
            "vendas.csv:3: column \"Total (ARS)\": the column is in ARS; a Mercado Livre Brasil export is in BRL and kpiseal neither relabels nor converts it: export the sales of the Brazilian account (mercadolivre.com.br)"
        );
    }

    #[test]
    fn the_dates_an_export_covers_are_its_sales_dates_whatever_the_period() {
        let p = parse_csv(&[sale("2000009876543210", OCT_3, "Entregue", "2", DELIVERED, "26.47")]).unwrap();
        assert_eq!(p.dates, Some((date(2026, 10, 3), date(2026, 10, 3))));
        let text = csv_text(&HEADERS, &[sale("1", OCT_3, "Entregue", "2", DELIVERED, "26.47")]);
        let t = table::read_text("vendas.csv", text.as_bytes(), CSV, is_header).unwrap();
        let november =
            parse(&t, &IngestContext::new(Period::new(2026, 11).unwrap(), crate::market::Market::MERCADOLIVRE_BR))
                .unwrap();
        assert_eq!((november.rows_in_period, november.dates), (0, Some((date(2026, 10, 3), date(2026, 10, 3)))));
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
        // The buyer's state (a second "Estado") and the claims block's
        // "Unidades" hold values: the sale's own (first) "Estado" and
        // "Unidades" win, and a claim's units are no return.
        let mut s = sale("2000009876543210", OCT_3, "Entregue", "2", DELIVERED, "26.47");
        s.buyer_state = "Cancelada pelo comprador";
        s.claim_units = "1";
        let p = parse_xlsx(&[s]).unwrap();
        assert!(!p.lacks_returns, "the export has its Devoluções block");
        assert_eq!((p.rows_total, p.rows_in_period), (1, 1));
        assert_eq!(
            sale_events(&p),
            vec![OrderEvent {
                market: Market::MERCADOLIVRE_BR,
                line: 5, // the sheet's row, below the title, blank and group rows and the header
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
        assert!(p.lines.iter().all(|l| l.market == Market::MERCADOLIVRE_BR && l.date == date(2026, 10, 3)));
        assert_eq!(p.lines[0].amount.to_string(), "59.90", "XLSX 59.9 is read as cents");
    }

    #[test]
    fn every_money_column_maps_to_its_kind_signed_as_printed() {
        let p = parse_csv(&[sale("2000009876543211", OCT_5, "Entregue", "2", BIG, "1059.38")]).unwrap();
        assert_eq!(
            lines(&p, "2000009876543211"),
            vec![
                (MoneyKind::Principal, dec("1234.56")),
                (MoneyKind::PlatformFee, dec("-185.18")),
                (MoneyKind::Shipping, dec("25.90")),
                (MoneyKind::PlatformFee, dec("-25.90")),
                (MoneyKind::Promotion, dec("10.00")),
            ],
            "in the export's column order"
        );
        let cancelled = parse_csv(&[sale("2000009876543212", OCT_5, "Cancelada pelo comprador", "1", CANCELLED, "0")]);
        assert_eq!(
            lines(&cancelled.unwrap(), "2000009876543212"),
            vec![
                (MoneyKind::Principal, dec("89.90")),
                (MoneyKind::PlatformFee, dec("-13.49")),
                (MoneyKind::Refund, dec("-89.90")),
                (MoneyKind::PlatformFee, dec("13.49")),
            ],
            "Cancelamentos e reembolsos: 89.90 back to the buyer, the 13.49 fee back to the seller"
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
        assert!(sale_events(&p).iter().all(|e| e.kind != OrderEventKind::Placed));
        assert!(sale_events(&p).iter().all(|e| e.units == 0 && e.principal.is_zero() && e.shipping.is_zero()));
        // Their money still shows, so the lines add up to Total (BRL).
        assert_eq!(p.lines.len(), 20);
        assert_eq!(p.lines.iter().map(|l| l.amount).sum::<Decimal>(), Decimal::ZERO);
        assert!(
            p.lines.iter().filter(|l| l.kind == MoneyKind::PlatformFee).map(|l| l.amount).sum::<Decimal>().is_zero()
        );
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
        let events: Vec<_> = sale_events(&p)
            .iter()
            .filter(|e| e.order_id == "1")
            .map(|e| (e.kind, e.units, e.principal, e.shipping))
            .collect();
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
        // −102.00 = −135.00 to the buyer + 33.00 of fees given back.
        assert_eq!(sum_of(&p, "2", MoneyKind::Refund), dec("-135.00"));
        assert_eq!(sum_of(&p, "2", MoneyKind::PlatformFee), dec("0.00"));
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
            assert_eq!(sale_events(&p).len(), 2, "{form}");
            assert_eq!((p.rows_total, p.rows_in_period), (4, 4), "{form}");
            assert!(check(&p).ok, "{form}: {}", check(&p).detail);
        }
    }

    fn returned<'a>(p: &'a ParsedExport, order: &str) -> Vec<&'a OrderEvent> {
        p.events.iter().filter(|e| e.order_id == order && e.kind == OrderEventKind::Returned).collect()
    }

    #[test]
    fn a_return_in_the_devolucoes_block_is_returned_units_dated_by_its_sale() {
        let mut refunded = sale("2000009876543220", OCT_5, "Reembolsamos o valor ao comprador", "2", REFUNDED, "0");
        (refunded.shipped, refunded.returned_units, refunded.return_shipped) = (OCT_9, "2", "12 de outubro | 11:30");
        refunded.return_reviewed = "Não";
        // A return of part of a sale, still under way: the sale stays delivered.
        let mut partly = sale("2000009876543221", OCT_3, "Entregue", "3", DELIVERED, "26.47");
        (partly.shipped, partly.returned_units) = (OCT_5, "1");
        let kept = sale("2000009876543222", OCT_9, "Entregue", "1", DELIVERED, "26.47");
        for (form, p) in parse_both(&[refunded, partly, kept]) {
            assert!(!p.lacks_returns, "{form}");
            let r = returned(&p, "2000009876543220");
            assert_eq!(r.len(), 1, "{form}");
            assert_eq!((r[0].units, r[0].date), (2, date(2026, 10, 5)), "{form}: dated by the sale");
            assert_eq!((r[0].principal, r[0].shipping), (dec("0.00"), dec("0.00")), "{form}: no money");
            let r = returned(&p, "2000009876543221");
            assert_eq!((r.len(), r[0].units), (1, 1), "{form}");
            assert!(returned(&p, "2000009876543222").is_empty(), "{form}: a blank block is no return");
        }
    }

    #[test]
    fn returned_units_on_continuation_lines_add_to_the_sales_return() {
        let mut first = sale("2000009876543230", OCT_5, "Entregue", "2", BIG, "1059.38");
        first.returned_units = "1";
        let second = S { returned_units: "2", ..extra_line("2000009876543230", "3") };
        for (form, p) in parse_both(&[first, second]) {
            let r = returned(&p, "2000009876543230");
            assert_eq!((r.len(), r[0].units), (1, 3), "{form}: one return of the sale's 1 + 2 units");
        }
    }

    #[test]
    fn an_export_without_the_devolucoes_block_lacks_returns_rather_than_having_none() {
        let sales = [sale("2000009876543240", OCT_3, "Entregue", "1", DELIVERED, "26.47")];
        for (form, p) in parse_both_with(&OLD_HEADERS, &sales, &ctx()) {
            assert!(p.lacks_returns, "{form}: returns unknown, not zero");
        }
        for (form, p) in parse_both(&sales) {
            assert!(!p.lacks_returns && p.events.iter().all(|e| e.kind != OrderEventKind::Returned), "{form}");
        }
    }

    #[test]
    fn a_return_of_a_sale_never_shipped_or_of_more_units_than_sold_is_refused_naming_the_row() {
        let mut never_shipped = sale("2000009876543250", OCT_3, "Cancelada pelo comprador", "1", CANCELLED, "0");
        never_shipped.returned_units = "1";
        let e = parse_xlsx(&[never_shipped]).unwrap_err();
        assert_eq!(e.location, crate::error::Location::Row { sheet: SHEET.into(), row: 5 }, "{e}");
        assert_eq!(e.column.as_deref(), Some("Unidades"));
        assert!(e.message.contains("cancelled before shipment") && e.message.contains("2000009876543250"), "{e}");

        let mut too_many = sale("2000009876543251", OCT_3, "Entregue", "2", DELIVERED, "26.47");
        too_many.returned_units = "3";
        let e = parse_csv(&[too_many]).unwrap_err();
        assert_eq!(e.location, crate::error::Location::Line(4), "{e}");
        assert!(e.message.contains("returns 3 units") && e.message.contains("sold 2"), "{e}");

        let mut negative = sale("2000009876543252", OCT_3, "Entregue", "2", DELIVERED, "26.47");
        negative.returned_units = "-1";
        let e = parse_csv(&[negative]).unwrap_err();
        assert!(e.message.contains("returned units -1"), "{e}");
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
        assert_eq!(sale_events(&p).len(), 2);
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
            let orders: Vec<String> = sale_events(&p).into_iter().map(|e| e.order_id.to_string()).collect();
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
            assert!(
                october.summary.to_string().starts_with("Total (BRL) 1059.38, sold 2026-10-05"),
                "{form}: {}",
                october.summary
            );
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
        assert_eq!(sale_events(&p).len(), 8);
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
        IngestContext::new(Period::new(2026, 8).unwrap(), crate::market::Market::MERCADOLIVRE_BR)
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
        let text = old_csv();
        let t = table::read_text("vendas.csv", text.as_bytes(), CSV, is_header).unwrap();
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
        assert_eq!(sale_events(&p).len(), 1);
        assert_eq!(sale_events(&p)[0].date, date(2026, 10, 31));
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

    /// `fixtures/ingest/mercadolivre/Vendas_BR_2026-10.csv`: today's layout
    /// in the CSV form (see the README beside it), one sale per situation.
    const FIXTURE: &[u8] = include_bytes!("../../fixtures/ingest/mercadolivre/Vendas_BR_2026-10.csv");

    fn fixture(ctx: &IngestContext) -> ParsedExport {
        let t = table::read_text("Vendas_BR_2026-10.csv", FIXTURE, CSV, is_header).unwrap();
        parse(&t, ctx).unwrap()
    }

    fn kind_total(p: &ParsedExport, kind: MoneyKind) -> Decimal {
        p.lines.iter().filter(|l| l.kind == kind).map(|l| l.amount).sum()
    }

    #[test]
    fn every_money_column_of_the_real_layout_is_read_and_reconciles() {
        let p = fixture(&ctx());
        let c = check(&p);
        assert!(c.ok, "{}", c.detail);
        assert_eq!((c.reported, c.computed), (dec("915.46"), dec("915.46")));
        // In October: the money lines add up to the October rows' Total.
        assert_eq!(p.lines.iter().map(|l| l.amount).sum::<Decimal>(), dec("890.45"));
        assert_eq!(kind_total(&p, MoneyKind::Principal), dec("1783.40"));
        assert_eq!(kind_total(&p, MoneyKind::Other), dec("43.84"), "the installment surcharges");
        assert_eq!(kind_total(&p, MoneyKind::Shipping), dec("18.90"));
        assert_eq!(kind_total(&p, MoneyKind::Promotion), dec("5.00"));
        assert_eq!(kind_total(&p, MoneyKind::PlatformFee), dec("-461.97"), "what Mercado Livre retained");
        assert_eq!(kind_total(&p, MoneyKind::Refund), dec("-498.72"), "what went back to buyers");
        // Each optional column lands where the module documentation says.
        assert_eq!(
            lines(&p, "2000012000000010"),
            vec![
                (MoneyKind::Principal, dec("299.00")),
                (MoneyKind::Other, dec("23.92")),
                (MoneyKind::PlatformFee, dec("-23.92")),
                (MoneyKind::PlatformFee, dec("-49.34")),
                (MoneyKind::PlatformFee, dec("-22.45")),
            ]
        );
        assert_eq!(
            lines(&p, "2000012000000004"),
            vec![
                (MoneyKind::Principal, dec("129.00")),
                (MoneyKind::PlatformFee, dec("-21.29")),
                (MoneyKind::PlatformFee, dec("-18.45")),
                (MoneyKind::PlatformFee, dec("-18.76")),
            ],
            "Custo de envio por troca de produto"
        );
        assert_eq!(
            lines(&p, "2000012000000003"),
            vec![
                (MoneyKind::Principal, dec("89.90")),
                (MoneyKind::PlatformFee, dec("-17.04")),
                (MoneyKind::PlatformFee, dec("-19.95")),
                (MoneyKind::PlatformFee, dec("-6.40")),
            ],
            "shipping by declared measures, and the charge for the difference"
        );
    }

    #[test]
    fn every_money_column_reconciles_in_both_forms() {
        // 200.00 + 16.00 − 16.00 − 33.00 + 0 − 20.00 − 12.50 − 9.80 − 4.20 + 3.00 + 0 = 123.50
        let s = S {
            extra: ["16.00", "-16.00", "-12.50", "-9.80", "-4.20"],
            ..sale("1", OCT_3, "Entregue", "1", ["200.00", "-33.00", "0", "-20.00", "3.00", "0"], "123.50")
        };
        // The same sale whose Total misses the difference charge.
        let off = S { total: "127.70", id: "2", ..s.clone() };
        for (form, p) in parse_both_with(&HEADERS, &[s, off], &ctx()) {
            assert_eq!(sum_of(&p, "1", MoneyKind::PlatformFee), dec("-95.50"), "{form}");
            assert_eq!(sum_of(&p, "1", MoneyKind::Other), dec("16.00"), "{form}");
            assert_eq!(lines(&p, "1").iter().map(|(_, a)| *a).sum::<Decimal>(), dec("123.50"), "{form}");
            let c = check(&p);
            assert!(!c.ok, "{form}");
            let unit = if form == "csv" { "line" } else { "row" };
            let n = if form == "csv" { 5 } else { 6 };
            assert_eq!(c.detail, format!("{unit} {n}: columns sum to 123.50, Total (BRL) reads 127.70"), "{form}");
        }
    }

    #[test]
    fn fee_refund_inside_cancelamentos_nets_out_of_platform_fees() {
        // Refunded after delivery: the buyer gets products + surcharge back
        // (268.92), the seller its sale fee and installment fee (61.01); the
        // shipping fee (22.45) stays charged.
        let refunded = S {
            extra: ["19.92", "-19.92", "", "", ""],
            shipped: "18 de outubro de 2026 10:00 hs.",
            ..sale(
                "6",
                OCT_9,
                "Reembolsamos o valor ao comprador",
                "1",
                ["249.00", "-41.09", "0", "-22.45", "0", "-207.91"],
                "-22.45",
            )
        };
        // Cancelled before shipment, the fee shown and given back.
        let cancelled = sale("5", OCT_3, "Cancelada pelo comprador", "1", CANCELLED, "0");
        // Cancelled before shipment, no fee ever charged.
        let never_charged =
            sale("4", OCT_3, "Cancelada pelo comprador", "1", ["89.90", "0", "0", "0", "0", "-89.90"], "0");
        for (form, p) in parse_both_with(&HEADERS, &[refunded, cancelled, never_charged], &ctx()) {
            assert_eq!(
                sum_of(&p, "6", MoneyKind::PlatformFee),
                dec("-22.45"),
                "{form}: only the shipping fee is retained"
            );
            assert_eq!(sum_of(&p, "6", MoneyKind::Refund), dec("-268.92"), "{form}");
            assert_eq!(sum_of(&p, "5", MoneyKind::PlatformFee), dec("0.00"), "{form}");
            assert_eq!(sum_of(&p, "5", MoneyKind::Refund), dec("-89.90"), "{form}");
            assert_eq!(lines(&p, "4"), vec![(MoneyKind::Principal, dec("89.90")), (MoneyKind::Refund, dec("-89.90"))]);
            assert!(check(&p).ok, "{form}: {}", check(&p).detail);
        }
    }

    #[test]
    fn a_cancelamentos_amount_that_is_not_a_whole_refund_nets_no_fee() {
        // Delivered, 30.00 given back: a partial refund, the fees stay.
        let partial = S {
            shipped: "4 de outubro de 2026 10:00 hs.",
            ..sale("8", OCT_3, "Entregue", "1", ["199.00", "-32.84", "0", "-22.45", "0", "-30.00"], "113.71")
        };
        // Refunded, but more came back than the buyer paid less the fees:
        // the amounts do not fit the reading, so nothing is netted.
        let odd = sale(
            "9",
            OCT_3,
            "Reembolsamos o valor ao comprador",
            "1",
            ["50.00", "-5.00", "0", "0", "0", "-40.00"],
            "5.00",
        );
        for (form, p) in parse_both(&[partial, odd]) {
            assert_eq!(sum_of(&p, "8", MoneyKind::PlatformFee), dec("-55.29"), "{form}");
            assert_eq!(sum_of(&p, "8", MoneyKind::Refund), dec("-30.00"), "{form}");
            let r = refunded(&p, "8");
            assert_eq!((r.len(), r[0].principal, r[0].shipping), (1, dec("30.00"), dec("0.00")), "{form}");
            assert_eq!(sum_of(&p, "9", MoneyKind::PlatformFee), dec("-5.00"), "{form}");
            assert_eq!(sum_of(&p, "9", MoneyKind::Refund), dec("-40.00"), "{form}");
        }
    }

    #[test]
    fn an_older_export_without_the_optional_money_columns_is_read() {
        let sales = [
            sale("1", OCT_3, "Entregue", "1", DELIVERED, "26.47"),
            sale("2", OCT_5, "Cancelada pelo comprador", "1", CANCELLED, "0"),
        ];
        for (form, p) in parse_both_with(&OLD_HEADERS, &sales, &ctx()) {
            assert!(check(&p).ok, "{form}: {}", check(&p).detail);
            assert_eq!(check(&p).scope, "2 rows: money columns = Total", "{form}");
            assert_eq!(sum_of(&p, "1", MoneyKind::PlatformFee), dec("-33.43"), "{form}");
            assert_eq!(sum_of(&p, "2", MoneyKind::PlatformFee), dec("0.00"), "{form}");
            assert_eq!(kinds(&p, "2"), vec![OrderEventKind::CancelledOther], "{form}: no shipping date column");
        }
    }

    #[test]
    fn a_money_column_the_parser_does_not_read_fails_the_reconciliation_and_is_named() {
        // A future export adds a column among the money columns.
        let mut headers: Vec<&str> = HEADERS.to_vec();
        headers[14] = "Custo por armazenamento prolongado";
        let sales = [
            // The new column holds −4.20 here: the row no longer adds up.
            S { extra: ["", "", "", "", "-4.20"], ..sale("1", OCT_3, "Entregue", "1", DELIVERED, "22.27") },
            // Blank here: the row adds up.
            sale("2", OCT_3, "Entregue", "1", DELIVERED, "26.47"),
        ];
        for (form, p) in parse_both_with(&headers, &sales, &ctx()) {
            let c = check(&p);
            assert!(!c.ok, "{form}");
            let unit = if form == "csv" { "line 4" } else { "row 5" };
            assert_eq!(
                c.detail,
                format!(
                    "not read among the money columns: \"Custo por armazenamento prolongado\" (a column this version does not know); {unit}: columns sum to 26.47, Total (BRL) reads 22.27"
                ),
                "{form}"
            );
        }
        // Where it holds no money anywhere, the file reconciles.
        let p = parse_both_with(&headers, &[sale("2", OCT_3, "Entregue", "1", DELIVERED, "26.47")], &ctx());
        assert!(p.iter().all(|(_, p)| check(p).ok));
    }

    #[test]
    fn shipped_then_refunded_after_a_claim_is_an_order_a_refund_and_a_dispute() {
        let claimed = S {
            shipped: "4 de outubro de 2026 10:00 hs.",
            delivered: "6 de outubro de 2026 15:00 hs.",
            description: "A reclamação foi encerrada e devolvemos o dinheiro.",
            claim: "Sim",
            claim_closed: "Sim",
            ..sale("1", OCT_3, "Entregue", "1", REFUNDED, "0")
        };
        // The claim closed; only "Reclamação encerrada" says there was one.
        let closed_only = S { id: "2", claim: "Não", ..claimed.clone() };
        // Refunded without a claim.
        let unclaimed = S {
            shipped: "4 de outubro de 2026 10:00 hs.",
            ..sale("3", OCT_3, "Reembolsamos o valor ao comprador", "1", REFUNDED, "0")
        };
        for (form, p) in parse_both(&[claimed, closed_only, unclaimed]) {
            for id in ["1", "2"] {
                let events: Vec<_> = sale_events(&p)
                    .into_iter()
                    .filter(|e| e.order_id == id)
                    .map(|e| (e.kind, e.units, e.principal, e.shipping))
                    .collect();
                assert_eq!(
                    events,
                    vec![
                        (OrderEventKind::Placed, 1, dec("120.00"), dec("15.00")),
                        (OrderEventKind::Refunded, 0, dec("120.00"), dec("15.00")),
                        (OrderEventKind::Disputed, 0, dec("0"), dec("0")),
                    ],
                    "{form}: sale {id}"
                );
            }
            assert_eq!(kinds(&p, "3"), vec![OrderEventKind::Placed, OrderEventKind::Refunded], "{form}");
        }
    }

    #[test]
    fn a_sale_cancelled_after_shipment_is_an_order_and_a_refund_not_a_cancellation() {
        let after = S {
            shipped: "22 de outubro de 2026 10:00 hs.",
            ..sale("7", OCT_9, "Venda cancelada", "1", ["119.90", "-14.39", "0", "-20.95", "0", "-105.51"], "-20.95")
        };
        let before = sale("5", OCT_9, "Venda cancelada", "1", CANCELLED, "0");
        for (form, p) in parse_both(&[after, before]) {
            assert_eq!(kinds(&p, "7"), vec![OrderEventKind::Placed, OrderEventKind::Refunded], "{form}");
            assert_eq!(refunded(&p, "7")[0].principal, dec("119.90"), "{form}");
            assert_eq!(sum_of(&p, "7", MoneyKind::PlatformFee), dec("-20.95"), "{form}: the sale fee came back");
            assert_eq!(kinds(&p, "5"), vec![OrderEventKind::CancelledOther], "{form}");
        }
    }

    #[test]
    fn the_fixture_has_one_order_refund_and_dispute_per_situation() {
        let p = fixture(&ctx());
        let orders: std::collections::BTreeSet<&str> =
            p.events.iter().filter(|e| e.kind == OrderEventKind::Placed).map(|e| e.order_id.as_str()).collect();
        assert_eq!(orders.len(), 9);
        assert_eq!(kinds(&p, "2000012000000005"), vec![OrderEventKind::CancelledOther]);
        assert_eq!(kinds(&p, "2000012000000007"), vec![OrderEventKind::Placed, OrderEventKind::Refunded]);
        assert_eq!(
            kinds(&p, "2000012000000006"),
            vec![OrderEventKind::Placed, OrderEventKind::Refunded, OrderEventKind::Disputed]
        );
        let refunds: Vec<(&str, Decimal)> = p
            .events
            .iter()
            .filter(|e| e.kind == OrderEventKind::Refunded)
            .map(|e| (e.order_id.as_str(), e.principal))
            .collect();
        assert_eq!(
            refunds,
            [
                ("2000012000000008", dec("30.00")),
                ("2000012000000007", dec("119.90")),
                ("2000012000000006", dec("249.00"))
            ]
        );
        assert_eq!(placed(&p, "2000012000000009")[0].units, 2, "a sale over two lines");
    }

    #[test]
    fn the_contract_time_zone_moves_a_sale_across_the_month_boundary() {
        let utc = IngestContext { tz: chrono_tz::UTC, ..ctx() };
        let sales = [
            // 22:30 in São Paulo is 01:30 UTC on 1 November.
            sale("1", "31 de outubro de 2026 22:30 hs.", "Entregue", "1", DELIVERED, "26.47"),
            // 21:10 on 30 September in São Paulo is 00:10 UTC on 1 October.
            sale("2", "30 de setembro de 2026 21:10 hs.", "Entregue", "1", DELIVERED, "26.47"),
            sale("3", "cell:2026-10-31 21:00:00", "Entregue", "1", DELIVERED, "26.47"),
        ];
        for (form, p) in parse_both_with(&HEADERS, &sales[..2], &ctx()) {
            assert_eq!(placed(&p, "1").len(), 1, "{form}: São Paulo time keeps the printed date");
            assert!(placed(&p, "2").is_empty(), "{form}");
        }
        for (form, p) in parse_both_with(&HEADERS, &sales[..2], &utc) {
            assert!(placed(&p, "1").is_empty(), "{form}: in November under UTC");
            assert_eq!(placed(&p, "2")[0].date, date(2026, 10, 1), "{form}: in October under UTC");
            assert!(p.lines.iter().all(|l| l.order_id == "2" && l.date == date(2026, 10, 1)), "{form}");
        }
        // A date cell of the XLSX is São Paulo wall time too.
        let t = table::read_xlsx("vendas.xlsx", &xlsx_bytes(&sales[2..]), SHEET, is_header).unwrap();
        assert!(sale_events(&parse(&t, &utc).unwrap()).is_empty());
        assert_eq!(sale_events(&parse(&t, &ctx()).unwrap()).len(), 1);
        // The fixture: its 31 October 22:30 sale leaves, its 30 September
        // 23:59 sale comes in.
        let p = fixture(&utc);
        assert!(kinds(&p, "2000012000000011").is_empty());
        assert_eq!(kinds(&p, "2000012000000001"), vec![OrderEventKind::Placed]);
    }

    #[test]
    fn status_text_is_folded_without_case_accents_or_repeated_spaces() {
        assert_eq!(fold_text("  Reclamação  Aberta\t"), "reclamacao aberta");
        assert_eq!(fold_text("Venda CANCELADA pelo vendedor"), "venda cancelada pelo vendedor");
        assert_eq!(fold_text("SÍM"), "sim");
        assert_eq!(fold_text(" \u{a0} "), "");
    }

    proptest! {
        #[test]
        fn folding_word_by_word_equals_folding_the_whole_text(s in "[A-Za-zÁÃÇÉÍÓÕÚáãçéíóõú \t\u{a0}]{0,24}") {
            let whole: String = s.chars().flat_map(char::to_lowercase).map(|c| match c {
                'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'í' | 'ì' | 'î' | 'ï' => 'i',
                'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
                'ú' | 'ù' | 'û' | 'ü' => 'u',
                'ç' => 'c',
                other => other,
            }).collect();
            prop_assert_eq!(fold_text(&s), whole.split_whitespace().collect::<Vec<_>>().join(" "));
        }

        /// Remembered status readings are the fresh ones, also past the
        /// memo's limit (texts drawn from the words the rules look for).
        #[test]
        fn a_remembered_status_reads_as_a_fresh_one(
            pairs in prop::collection::vec(
                (
                    prop::sample::select(vec!["Entregue", "Venda cancelada", "Cancelada pelo vendedor", "Reembolso", "Em mediação", "RECLAMAÇÃO aberta", "Você cancelou", ""]),
                    prop::option::of(0u32..80),
                ),
                0..200,
            ),
        ) {
            let mut statuses = Statuses::default();
            for (status, description) in &pairs {
                let description = description.map(|n| format!("nota {n} devolvemos o dinheiro"));
                let description = description.as_deref().filter(|d| !d.starts_with("nota 7"));
                prop_assert_eq!(statuses.read(status, description), StatusSays::of(status, description));
            }
            prop_assert!(statuses.read.len() <= Statuses::LIMIT);
        }

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
