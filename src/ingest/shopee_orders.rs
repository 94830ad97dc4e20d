//! Shopee Brasil's order export (Seller Centre › Meus Pedidos › Exportar,
//! `Order.all.<from>_<to>.xlsx`, sheet `orders`) into the market's sales,
//! platform fees, cancellations, returns and orders placed.
//!
//! The layout, its sources and its drift are in
//! `fixtures/layouts/shopee/order_all.md`. Columns are found by header name;
//! some names repeat in the real file (`Desconto do vendedor`, `Cidade`):
//! kpiseal reads neither, and refuses a file in which a column it reads
//! repeats. Every cell of the real file is text: money with a decimal point
//! (`44.90`), times as `2025-07-24 14:32` (São Paulo time, as the Seller
//! Centre shows them), `-` for a time that never came.
//!
//! **Rows and orders.** One row per order item; the order's fields
//! (status, `Valor Total`, the fees, the buyer's shipping) repeat on each
//! of its rows, so they are read once per order (from its first row) and
//! must agree on every row: an order whose rows disagree is refused.
//!
//! **What counts, and when:**
//! - every order **created** in the period (`Data de criação do pedido`) is
//!   an order placed; a cancelled one (`Status do pedido` `Cancelado`) is
//!   also cancelled, by the seller when `Cancelar Motivo` says the seller
//!   cancelled it, else by the buyer or Shopee (its text names which);
//! - an order that is **paid** (`Hora do pagamento do pedido` is a time)
//!   and not cancelled is a sale dated when paid, as a Shopify sale is:
//!   its principal is the sum of `Subtotal do produto` over its items (the
//!   agreed price × quantity), with the shipping the buyer paid (`Taxa de
//!   envio pagas pelo comprador`) and Shopee's commission, service and
//!   transaction fees (`Taxa de comissão` or, in 2026 layouts, `Taxa de
//!   comissão líquida`; `Taxa de serviço` or `Taxa de serviço líquida`;
//!   `Taxa de transação`) as platform fees; an order not paid is no sale
//!   (`Não pago`), with a data note;
//! - **returns**: each item's `Returned quantity` is returned units; an
//!   order whose `Status da Devolução / Reembolso` reads as approved or
//!   completed is refunded the agreed price of its returned units. The
//!   export carries no refund amount or date (Shopee's income report does),
//!   so a data note says the refund is counted this way, with its order.
//!
//! **Reconciliation**, per order not cancelled: the items' subtotals plus
//! the buyer's shipping make `Valor Total`.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::order_export::{self, Found, Grouping};
use super::records::{MoneyKind, OrderEventKind, ReconciliationCheck};
use super::table::{Row, Table, fold_header};
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport};
use crate::error::InputError;
use crate::notes::NoteKind;

const ORDER_ID: &[&str] = &["ID do pedido"];
const STATUS: &[&str] = &["Status do pedido"];
const CANCEL_REASON: &[&str] = &["Cancelar Motivo"];
const RETURN_STATUS: &[&str] = &["Status da Devolução / Reembolso"];
const CREATED: &[&str] = &["Data de criação do pedido"];
const PAID: &[&str] = &["Hora do pagamento do pedido"];
const DEAL_PRICE: &[&str] = &["Preço acordado"];
const QUANTITY: &[&str] = &["Quantidade"];
const RETURNED: &[&str] = &["Returned quantity"];
const SUBTOTAL: &[&str] = &["Subtotal do produto"];
const TOTAL: &[&str] = &["Valor Total"];
const BUYER_SHIPPING: &[&str] = &["Taxa de envio pagas pelo comprador"];
const COMMISSION: &[&str] = &["Taxa de comissão líquida", "Taxa de comissão"];
const SERVICE: &[&str] = &["Taxa de serviço líquida", "Taxa de serviço"];
const TRANSACTION: &[&str] = &["Taxa de transação"];
const SKU: &[&str] = &["Número de referência SKU"];

/// Whether a header row is a Shopee order export's.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(
        headers,
        &["ID do pedido", "Status do pedido", "Data de criação do pedido", "Subtotal do produto", "Valor Total"],
    )
}

/// The columns read, by position.
struct Columns {
    order: usize,
    status: usize,
    reason: Option<usize>,
    return_status: Option<usize>,
    created: usize,
    paid: usize,
    price: usize,
    quantity: usize,
    returned: Option<usize>,
    subtotal: usize,
    total: usize,
    shipping: usize,
    fees: Vec<usize>,
    sku: Option<usize>,
}

impl Columns {
    fn find(t: &Table) -> Result<Columns, InputError> {
        let read: [&[&str]; 16] = [
            ORDER_ID,
            STATUS,
            CANCEL_REASON,
            RETURN_STATUS,
            CREATED,
            PAID,
            DEAL_PRICE,
            QUANTITY,
            RETURNED,
            SUBTOTAL,
            TOTAL,
            BUYER_SHIPPING,
            COMMISSION,
            SERVICE,
            TRANSACTION,
            SKU,
        ];
        for names in read {
            refuse_repeated(t, names)?;
        }
        let mut fees = vec![t.require(COMMISSION)?, t.require(SERVICE)?];
        fees.extend(t.column(TRANSACTION));
        Ok(Columns {
            order: t.require(ORDER_ID)?,
            status: t.require(STATUS)?,
            reason: t.column(CANCEL_REASON),
            return_status: t.column(RETURN_STATUS),
            created: t.require(CREATED)?,
            paid: t.require(PAID)?,
            price: t.require(DEAL_PRICE)?,
            quantity: t.require(QUANTITY)?,
            returned: t.column(RETURNED),
            subtotal: t.require(SUBTOTAL)?,
            total: t.require(TOTAL)?,
            shipping: t.require(BUYER_SHIPPING)?,
            fees,
            sku: t.column(SKU),
        })
    }
}

/// Refuses a header in which the column read as `names[0]` appears twice.
fn refuse_repeated(t: &Table, names: &[&str]) -> Result<(), InputError> {
    let wanted = fold_header(names[0]);
    let at: Vec<usize> =
        t.headers.iter().enumerate().filter(|(_, h)| fold_header(h) == wanted).map(|(i, _)| i + 1).collect();
    if let [first, second, ..] = at.as_slice() {
        return Err(InputError {
            file: t.file.clone(),
            location: t.location(t.header_number),
            column: Some(names[0].to_string()),
            message: format!(
                "the column appears twice in the header (columns {first} and {second}), so which one holds the figures cannot be told: remove or rename one"
            ),
        });
    }
    Ok(())
}

/// Who cancelled an order, from `Cancelar Motivo`.
fn canceller(t: &Table, row: &Row, c: &Columns) -> Result<OrderEventKind, InputError> {
    let Some(col) = c.reason else { return Ok(OrderEventKind::CancelledOther) };
    let reason = t.text(row, col).to_lowercase();
    if reason.contains("vendedor") {
        Ok(OrderEventKind::CancelledBySeller)
    } else if reason.contains("comprador") || reason.contains("sistema") || reason.contains("shopee") {
        Ok(OrderEventKind::CancelledOther)
    } else {
        Err(t.error(
            row,
            col,
            format!(
                "cancel reason {reason:?} names neither the seller (vendedor) nor the buyer (comprador) or Shopee (sistema): who cancelled the order cannot be told"
            ),
        ))
    }
}

/// A Seller Centre time (`2025-07-24 14:32`, seconds optional) as its
/// date; `None` for `-` or blank (a time that never came).
fn date(t: &Table, row: &Row, col: usize) -> Result<Option<NaiveDate>, InputError> {
    if let Some(dt) = t.datetime_cell(row, col) {
        return Ok(Some(dt.date()));
    }
    let text = t.text(row, col);
    let text = text.trim();
    if text.is_empty() || text == "-" {
        return Ok(None);
    }
    ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|dt| Some(dt.date()))
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(Some))
        .ok_or_else(|| {
            t.error(row, col, format!("{text:?} is not a time as Shopee writes it (expected e.g. 2026-10-05 14:32)"))
        })
}

/// One order, read from its first row, with its items summed.
struct Order<'t> {
    first: &'t Row,
    rows: Vec<usize>,
    id: String,
    status: String,
    cancelled: Option<OrderEventKind>,
    created: NaiveDate,
    paid: Option<NaiveDate>,
    items: Decimal,
    units: i64,
    returned_units: i64,
    returned_value: Decimal,
    refunded: bool,
    total: Decimal,
    shipping: Decimal,
    fees: Decimal,
    fingerprint: Fingerprint,
}

/// The order-level cells of `row`, as written: equal on every row of an order.
fn order_cells(t: &Table, row: &Row, c: &Columns) -> Vec<String> {
    let mut cols = vec![c.status, c.created, c.paid, c.total, c.shipping];
    cols.extend(&c.fees);
    cols.extend(c.reason);
    cols.extend(c.return_status);
    cols.into_iter().map(|col| t.text(row, col)).collect()
}

fn first_row<'t>(t: &'t Table, row: &'t Row, c: &Columns) -> Result<Order<'t>, InputError> {
    let id = t.required_text(row, c.order, "the order id")?;
    let status = t.required_text(row, c.status, "the order status")?;
    let cancelled = if status.trim() == "Cancelado" { Some(canceller(t, row, c)?) } else { None };
    let created = date(t, row, c.created)?.ok_or_else(|| t.error(row, c.created, "the order date is missing"))?;
    let paid = date(t, row, c.paid)?;
    if status.trim() == "Não pago" && paid.is_some() {
        return Err(t.error(row, c.paid, format!("order {id} is \"Não pago\" (not paid) but has a payment time")));
    }
    let refunded = c.return_status.is_some_and(|col| {
        let s = t.text(row, col).to_lowercase();
        s.contains("aprovad") || s.contains("concluíd") || s.contains("reembolsad")
    });
    let mut fees = Decimal::ZERO;
    for &col in &c.fees {
        let fee = t.money(row, col)?;
        if fee < Decimal::ZERO {
            return Err(t.error(row, col, "a fee is written positive in Shopee's order export"));
        }
        fees += fee;
    }
    Ok(Order {
        first: row,
        rows: Vec::new(),
        id,
        status,
        cancelled,
        created,
        paid,
        items: Decimal::ZERO,
        units: 0,
        returned_units: 0,
        returned_value: Decimal::ZERO,
        refunded,
        total: t.money(row, c.total)?,
        shipping: t.money(row, c.shipping)?,
        fees,
        fingerprint: Fingerprint::default(),
    })
}

fn add_item(t: &Table, row: &Row, c: &Columns, order: &mut Order<'_>) -> Result<(), InputError> {
    let quantity = t.whole(row, c.quantity)?;
    let returned = match c.returned {
        Some(col) => t.whole(row, col)?,
        None => 0,
    };
    if quantity < 0 || returned < 0 || returned > quantity {
        return Err(t.error(
            row,
            c.returned.unwrap_or(c.quantity),
            format!("{returned} returned of {quantity}: a quantity is never negative, and never more come back than were sold"),
        ));
    }
    let price = t.money(row, c.price)?;
    let subtotal = t.money(row, c.subtotal)?;
    order.items += subtotal;
    order.units += quantity;
    order.returned_units += returned;
    order.returned_value += price * Decimal::from(returned);
    order.rows.push(row.number);
    let sku = c.sku.map(|col| t.text(row, col)).unwrap_or_default();
    order.fingerprint.add((quantity, returned, price, subtotal, sku));
    Ok(())
}

/// Reads a Shopee order export: per order created in the period an
/// `Ordered` event (and a cancellation when cancelled); per paid,
/// uncancelled order paid in the period a `Placed` event and its money
/// lines (principal, buyer's shipping, fees), `Returned` units and a
/// `Refunded` event with its refund line when its return is approved. See
/// the module for the rules.
///
/// **Identity:** each order is a [`Unit`] keyed by market and order id,
/// its fingerprint its rows as written: the same order in two overlapping
/// exports counts once; two exports that disagree are refused by
/// `crate::dedup`.
///
/// # Errors
/// An [`InputError`] naming the file, sheet row and column: a required
/// column missing or repeated, a time or amount that cannot be read, an
/// order whose rows disagree on its order fields or are not adjacent, a
/// cancellation whose reason names no one, or more returned than sold.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    let c = Columns::find(t)?;
    let mut orders: Vec<Order<'_>> = Vec::new();
    let mut grouping = Grouping::default();
    for row in &t.rows {
        if t.is_blank(row, c.order) && t.is_blank(row, c.created) {
            continue;
        }
        let id = t.required_text(row, c.order, "the order id")?;
        let continues = orders.last().is_some_and(|o| o.id == id);
        if continues {
            let order = orders.last().map(|o| o.first);
            if let Some(first) = order
                && order_cells(t, row, &c) != order_cells(t, first, &c)
            {
                return Err(t.error(
                    row,
                    c.status,
                    format!(
                        "order {id}'s order fields differ from its first row's (row {}): Shopee repeats them on every item row; export the orders again rather than editing the file",
                        first.number
                    ),
                ));
            }
        } else {
            grouping.begin(t, row, c.order, &id, "Shopee")?;
            let mut order = first_row(t, row, &c)?;
            order.fingerprint.add(order_cells(t, row, &c));
            orders.push(order);
        }
        if let Some(order) = orders.last_mut() {
            add_item(t, row, &c, order)?;
        }
    }

    let mut out = ParsedExport::default();
    let mut found = Found::default();
    let mut unbalanced = Vec::new();
    let (mut reported, mut computed) = (Decimal::ZERO, Decimal::ZERO);
    for order in &orders {
        if order.cancelled.is_none() {
            reported += order.total;
            computed += order.items + order.shipping;
            if order.items + order.shipping != order.total {
                unbalanced.push(format!("{} (row {})", order.id, order.first.number));
            }
        }
        let mut unit = Unit::new(
            UnitKey::Order { market: ctx.market, order_id: order.id.clone() },
            t.location(order.first.number),
            t.headers[c.order].clone(),
            format!("order {}", order.id),
        );
        unit.fingerprint = order.fingerprint;
        unit.summary = format!("{}, total {}", order.status, order.total).into();
        let refund = if order.refunded { order.returned_value } else { Decimal::ZERO };
        let counted = order_export::Order {
            id: &order.id,
            line: order.first.number,
            rows: &order.rows,
            created: order.created,
            sale: order.paid.filter(|_| order.cancelled.is_none()),
            cancelled: order.cancelled,
            unpaid: order.paid.is_none(),
            units: order.units,
            principal: order.items,
            shipping: order.shipping,
            money: vec![
                (MoneyKind::Principal, order.items),
                (MoneyKind::Shipping, order.shipping),
                (MoneyKind::PlatformFee, -order.fees),
                (MoneyKind::Refund, -refund),
            ],
            returned_units: order.returned_units,
            refund: (!refund.is_zero()).then_some((refund, Decimal::ZERO)),
            unit,
        };
        order_export::count(counted, ctx.market, ctx.period, &mut out, &mut found);
    }
    let checked = orders.iter().filter(|o| o.cancelled.is_none()).count();
    out.checks.push(ReconciliationCheck::of_items(
        &t.file,
        format!("{checked} orders: item subtotals plus the buyer's shipping make Valor Total"),
        ctx.currency,
        (reported, computed),
        "orders",
        &unbalanced,
    ));
    found.note(&t.file, |file, orders| NoteKind::RefundsFromReturnedUnits { file, orders }, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::Workbook;

    use super::*;
    use crate::ingest::{Format, read_export};
    use crate::market::Market;
    use crate::period::Period;

    /// The 58 headers of a real July 2025 Brazilian `Order.all` export, in
    /// order (fixtures/layouts/shopee/order_all.md), repeats included.
    const HEADERS: &str = include_str!("../../fixtures/layouts/shopee/order_all.headers.txt");

    fn headers() -> Vec<&'static str> {
        HEADERS.lines().filter(|l| !l.is_empty()).collect()
    }

    /// An item row: `cells` by header name (the first of a repeated name), blank elsewhere.
    type Item<'a> = Vec<(&'a str, &'a str)>;

    fn order<'a>(id: &'a str, status: &'a str, created: &'a str, paid: &'a str, total: &'a str) -> Item<'a> {
        vec![
            ("ID do pedido", id),
            ("Status do pedido", status),
            ("Data de criação do pedido", created),
            ("Hora do pagamento do pedido", paid),
            ("Valor Total", total),
            ("Taxa de envio pagas pelo comprador", "0.00"),
            ("Taxa de comissão", "0.00"),
            ("Taxa de serviço", "0.00"),
            ("Taxa de transação", "0.00"),
            ("Returned quantity", "0"),
        ]
    }

    fn with<'a>(mut item: Item<'a>, cells: &[(&'a str, &'a str)]) -> Item<'a> {
        for (name, value) in cells {
            item.retain(|(n, _)| n != name);
            item.push((name, value));
        }
        item
    }

    /// The workbook Shopee writes: one sheet `orders`, every cell text.
    fn xlsx(items: &[Item<'_>]) -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("orders").unwrap();
        let names = headers();
        for (col, h) in names.iter().enumerate() {
            ws.write_string(0, col as u16, *h).unwrap();
        }
        for (r, item) in items.iter().enumerate() {
            for (name, value) in item {
                let col = names.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
                ws.write_string(r as u32 + 1, col as u16, *value).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    }

    fn ctx() -> IngestContext {
        IngestContext::new(Period::new(2026, 10).unwrap(), Market::SHOPEE_BR)
    }

    fn read(items: &[Item<'_>]) -> Result<ParsedExport, InputError> {
        let (format, p) = read_export("Order.all.20261001_20261031.xlsx", &xlsx(items), &ctx())?;
        assert_eq!(format, Format::ShopeeOrders);
        Ok(p)
    }

    fn sold<'a>(id: &'a str, qty: &'a str, price: &'a str, subtotal: &'a str, total: &'a str) -> Item<'a> {
        with(
            order(id, "Concluído", "2026-10-05 14:32", "2026-10-05 14:40", total),
            &[("Quantidade", qty), ("Preço acordado", price), ("Subtotal do produto", subtotal)],
        )
    }

    #[test]
    fn a_two_item_order_counts_once_with_its_fees_read_once() {
        let fees = [
            ("Taxa de envio pagas pelo comprador", "12.90"),
            ("Taxa de comissão", "9.40"),
            ("Taxa de serviço", "5.00"),
        ];
        let a = with(sold("2510057ABCDEFG", "1", "44.90", "44.90", "77.80"), &fees);
        let b = with(sold("2510057ABCDEFG", "2", "10.00", "20.00", "77.80"), &fees);
        let p = read(&[a, b]).unwrap();
        assert!(p.checks[0].ok, "{:?}", p.checks[0]);
        let lines: Vec<(MoneyKind, String)> = p.lines.iter().map(|l| (l.kind, l.amount.to_string())).collect();
        assert_eq!(
            lines,
            [
                (MoneyKind::Principal, "64.90".into()),
                (MoneyKind::Shipping, "12.90".into()),
                (MoneyKind::PlatformFee, "-14.40".into())
            ]
        );
        let placed = p.events.iter().find(|e| e.kind == OrderEventKind::Placed).unwrap();
        assert_eq!(placed.units, 3);
        assert_eq!((p.rows_total, p.units.len()), (2, 1));
    }

    #[test]
    fn cancellations_name_who_cancelled() {
        let by = |id, reason| {
            with(
                order(id, "Cancelado", "2026-10-05 14:32", "-", "0.00"),
                &[("Cancelar Motivo", reason), ("Quantidade", "1")],
            )
        };
        let p = read(&[
            by("1", "Cancelado pelo comprador. Motivo : Não quero mais comprar"),
            by("2", "Cancelado automaticamente pelo sistema da Shopee. Motivo : Pedido não pago"),
            by("3", "Cancelado pelo vendedor. Motivo : Fora de estoque"),
        ])
        .unwrap();
        let kinds: Vec<OrderEventKind> =
            p.events.iter().filter(|e| e.kind != OrderEventKind::Ordered).map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [OrderEventKind::CancelledOther, OrderEventKind::CancelledOther, OrderEventKind::CancelledBySeller]
        );
        assert!(p.lines.is_empty());
        let e = read(&[by("4", "Motivo desconhecido")]).unwrap_err().to_string();
        assert!(e.contains("column \"Cancelar Motivo\"") && e.contains("cannot be told"), "{e}");
    }

    #[test]
    fn an_approved_return_refunds_the_agreed_price_of_the_returned_units() {
        let item = with(
            sold("9", "2", "30.00", "60.00", "60.00"),
            &[("Returned quantity", "1"), ("Status da Devolução / Reembolso", "Solicitação aprovada")],
        );
        let p = read(&[item]).unwrap();
        let returned = p.events.iter().find(|e| e.kind == OrderEventKind::Returned).unwrap();
        assert_eq!(returned.units, 1);
        let refund = p.events.iter().find(|e| e.kind == OrderEventKind::Refunded).unwrap();
        assert_eq!(refund.principal.to_string(), "30.00");
        assert!(p.lines.iter().any(|l| l.kind == MoneyKind::Refund && l.amount.to_string() == "-30.00"));
        assert!(matches!(&p.notes[0].0, NoteKind::RefundsFromReturnedUnits { orders, .. } if orders == "1"));
    }

    #[test]
    fn unpaid_and_out_of_period_orders_give_no_sale() {
        let unpaid = with(
            order("1", "Não pago", "2026-10-05 14:32", "-", "10.00"),
            &[("Quantidade", "1"), ("Subtotal do produto", "10.00")],
        );
        let september = with(
            sold("2", "1", "10.00", "10.00", "10.00"),
            &[("Data de criação do pedido", "2026-09-30 10:00"), ("Hora do pagamento do pedido", "2026-09-30 10:05")],
        );
        let p = read(&[unpaid, september]).unwrap();
        assert!(p.events.iter().all(|e| e.kind == OrderEventKind::Ordered));
        assert!(matches!(&p.notes[0].0, NoteKind::StoreOrdersUnpaid { orders, .. } if orders == "1"));
        assert_eq!(p.left_out_by_date, [(3, NaiveDate::from_ymd_opt(2026, 9, 30).unwrap())]);
    }

    #[test]
    fn bad_orders_are_refused_naming_row_and_column() {
        let a = sold("1", "1", "10.00", "10.00", "10.00");
        let b = with(sold("1", "1", "10.00", "10.00", "10.00"), &[("Valor Total", "11.00")]);
        let e = read(&[a.clone(), b]).unwrap_err().to_string();
        assert!(e.contains("row 3") && e.contains("order 1's order fields differ from its first row's (row 2)"), "{e}");
        let e = read(&[a.clone(), sold("2", "1", "1.00", "1.00", "1.00"), a.clone()]).unwrap_err().to_string();
        assert!(e.contains("order 1 appears again, after other orders (it began at row 2)"), "{e}");
        let e = read(&[with(a.clone(), &[("Returned quantity", "2")])]).unwrap_err().to_string();
        assert!(e.contains("2 returned of 1"), "{e}");
        let e = read(&[with(a, &[("Data de criação do pedido", "05/10/2026")])]).unwrap_err().to_string();
        assert!(
            e.contains("column \"Data de criação do pedido\": \"05/10/2026\" is not a time as Shopee writes it"),
            "{e}"
        );
    }

    #[test]
    fn an_order_whose_items_and_shipping_do_not_make_its_total_fails_the_check() {
        let p = read(&[sold("7", "1", "10.00", "10.00", "12.00")]).unwrap();
        assert!(!p.checks[0].ok);
        assert_eq!(p.checks[0].detail, "orders that do not add up: 7 (row 2)");
    }
}
