//! The `loja-mix` profile's three markets, each from its own orders: an
//! Amazon.com.br settlement per 14-day cycle (flat file V2 as Amazon
//! localises it outside the US: decimal comma, `dd.MM.yyyy HH:mm:ss UTC`;
//! `fixtures/layouts/amazon/README.md`), a Shopee Brasil `Order.all` export
//! (`fixtures/layouts/shopee/order_all.md`: sheet `orders`, every cell text,
//! one row per item with the order's fields repeated) and a Shopify
//! `orders_export_1.csv` (`fixtures/layouts/shopify/orders_export.md`: one
//! row per line item, order fields on the first) with its Shopify Payments
//! `payment_transactions_export_1.csv` (a charge per paid order, a refund
//! per refunded one; `fixtures/layouts/shopify/payment_transactions.md`).
//!
//! Orders are drawn over the period and a few days either side, dated in
//! the market's zone (São Paulo; the Shopify store's New York), and the
//! [`Truth`] of each market is counted from them as they are made.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

use super::text::Cents;
use super::{Gen, GenerateSummary, Purpose, Seller, Truth, Workspace, add_days, allocate, between, chance, index};

/// The São Paulo zone Amazon.com.br and Shopee Brasil date in.
const SAO_PAULO: Tz = chrono_tz::America::Sao_Paulo;
/// The demo Shopify store's zone (its contract says so).
pub(crate) const STORE_ZONE: Tz = chrono_tz::America::New_York;

/// A product: SKU, name and unit price in cents.
struct Product {
    sku: &'static str,
    name: &'static str,
    price: i64,
}

const BR_CATALOG: &[Product] = &[
    Product { sku: "LM-CAFE-01", name: "Cafeteira elétrica 600 ml", price: 12990 },
    Product { sku: "LM-LUMI-02", name: "Luminária LED de mesa", price: 8990 },
    Product { sku: "LM-ORGA-03", name: "Organizador de gaveta 6 peças", price: 3990 },
    Product { sku: "LM-GARR-04", name: "Garrafa térmica 1 L", price: 5990 },
];

const US_CATALOG: &[Product] = &[
    Product { sku: "LM-US-LAMP", name: "LED Desk Lamp", price: 3499 },
    Product { sku: "LM-US-MUG", name: "Insulated Travel Mug", price: 1899 },
    Product { sku: "LM-US-ORG", name: "Drawer Organizer Set", price: 2299 },
];

/// What happened to an order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Sold,
    /// Cancelled before shipment: by the seller or not.
    Cancelled {
        by_seller: bool,
    },
    /// Never paid.
    Unpaid,
    /// Sold, then `units` of it came back and were refunded.
    Returned {
        units: i64,
    },
}

struct Order {
    id: String,
    /// When it was placed, in the market's zone.
    placed: NaiveDateTime,
    items: Vec<(usize, i64)>,
    shipping: i64,
    fate: Fate,
}

impl Order {
    fn gross(&self, catalog: &[Product]) -> i64 {
        self.items.iter().map(|&(p, q)| catalog[p].price * q).sum()
    }

    fn units(&self) -> i64 {
        self.items.iter().map(|&(_, q)| q).sum()
    }
}

/// Draws `count` orders placed over the period and `before`/`after` days
/// either side, in the zone's local time.
fn draw(
    rng: &mut Gen,
    ws: &Workspace,
    count: usize,
    catalog: &[Product],
    id: impl Fn(&mut Gen, usize) -> String,
) -> Vec<Order> {
    let first = add_days(ws.period.first_day(), -3);
    let days = (ws.period.last_day() - first).num_days() + 3;
    let weights: Vec<u64> = (0..days).map(|_| between(rng, 8, 12) as u64).collect();
    let per_day = allocate(count + count / 10, &weights);
    let mut orders = Vec::new();
    for (d, &n) in per_day.iter().enumerate() {
        let day = add_days(first, d as i64);
        for _ in 0..n {
            let time =
                NaiveTime::from_num_seconds_from_midnight_opt(between(rng, 0, 86_399) as u32, 0).unwrap_or_default();
            let lines = if chance(rng, 150) { 2 } else { 1 };
            let items = (0..lines).map(|_| (index(rng, catalog.len()), between(rng, 1, 3))).collect();
            let fate = match between(rng, 0, 999) {
                0..=29 => Fate::Cancelled { by_seller: chance(rng, 400) },
                30..=39 => Fate::Unpaid,
                40..=79 => Fate::Returned { units: 1 },
                _ => Fate::Sold,
            };
            let shipping = if chance(rng, 500) { between(rng, 990, 1990) } else { 0 };
            let k = orders.len();
            orders.push(Order { id: id(rng, k), placed: day.and_time(time), items, shipping, fate });
        }
    }
    orders.sort_by(|a, b| a.placed.cmp(&b.placed).then(a.id.cmp(&b.id)));
    // One sale mid-month at least: a market of the contract always has one.
    let mid = add_days(ws.period.first_day(), 10);
    if let Some(o) = orders.iter_mut().find(|o| o.placed.date() >= mid) {
        o.fate = Fate::Sold;
    }
    orders
}

/// The instant of `local` in `tz` (the earlier of an ambiguous hour).
fn instant(tz: Tz, local: NaiveDateTime) -> chrono::DateTime<Tz> {
    tz.from_local_datetime(&local).earliest().unwrap_or_else(|| tz.from_utc_datetime(&local))
}

/// Writes the three markets' exports of a `loja-mix` seller.
pub fn write(ws: &Workspace, seller: &Seller) -> io::Result<GenerateSummary> {
    let mut rng = seller.rng_for(ws.seed, Purpose::Stores, ws.period);
    // At least 40, so that every settlement cycle and every market has
    // sales in the period however small the workspace.
    let count = ws.orders.div_ceil(2).max(40);
    let mut summary = GenerateSummary::default();
    summary.add(amazon_br(ws, seller, &mut rng, count)?);
    summary.add(shopee(ws, seller, &mut rng, count)?);
    summary.add(shopify(ws, seller, &mut rng, count)?);
    Ok(summary)
}

/// Integer cents with a decimal comma and no grouping (`1141,18`), as
/// Amazon's non-US settlement files write amounts.
struct CommaCents(i64);

impl std::fmt::Display for CommaCents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{},{:02}", a / 100, a % 100)
    }
}

fn amazon_br(ws: &Workspace, seller: &Seller, rng: &mut Gen, count: usize) -> io::Result<GenerateSummary> {
    let orders = draw(rng, ws, count, BR_CATALOG, |rng, _| {
        format!("70{}-{:07}-{:07}", between(rng, 1, 9), between(rng, 0, 9_999_999), between(rng, 0, 9_999_999))
    });
    // Each row: (posted instant, type, order, amount-type, description, amount, sku, qty).
    type Row =
        (chrono::DateTime<chrono::Utc>, &'static str, String, &'static str, &'static str, i64, &'static str, i64);
    let mut rows: Vec<Row> = Vec::new();
    let mut truth = Truth::default();
    let in_period = |t: chrono::DateTime<chrono::Utc>| ws.period.contains(t.with_timezone(&SAO_PAULO).date_naive());
    for o in &orders {
        if matches!(o.fate, Fate::Cancelled { .. } | Fate::Unpaid) {
            continue; // never reaches a settlement
        }
        let posted =
            instant(SAO_PAULO, o.placed).with_timezone(&chrono::Utc) + chrono::Duration::hours(between(rng, 6, 40));
        for &(p, q) in &o.items {
            let product = &BR_CATALOG[p];
            let principal = product.price * q;
            rows.push((posted, "Order", o.id.clone(), "ItemPrice", "Principal", principal, product.sku, q));
            rows.push((
                posted,
                "Order",
                o.id.clone(),
                "ItemFees",
                "Commission",
                -(principal * 15).div_euclid(100),
                product.sku,
                0,
            ));
            rows.push((
                posted,
                "Order",
                o.id.clone(),
                "ItemFees",
                "FBAPerUnitFulfillmentFee",
                -790 * q,
                product.sku,
                0,
            ));
            if in_period(posted) {
                truth.units_sold += q;
            }
        }
        if o.shipping > 0 {
            let sku = BR_CATALOG[o.items[0].0].sku;
            rows.push((posted, "Order", o.id.clone(), "ItemPrice", "Shipping", o.shipping, sku, 0));
        }
        if let Fate::Returned { units } = o.fate {
            let (p, _) = o.items[0];
            let refund_at = posted + chrono::Duration::days(between(rng, 3, 12));
            let product = &BR_CATALOG[p];
            rows.push((
                refund_at,
                "Refund",
                o.id.clone(),
                "ItemPrice",
                "Principal",
                -product.price * units,
                product.sku,
                0,
            ));
            rows.push((
                refund_at,
                "Refund",
                o.id.clone(),
                "ItemFees",
                "RefundCommission",
                product.price * units * 3 / 100,
                product.sku,
                0,
            ));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
    let dir = format!("{}/amazon_br", ws.exports_dir(seller));
    let first_cycle = add_days(ws.period.first_day(), -7);
    let mut summary = GenerateSummary::default();
    let mut id = between(rng, 21_000_000_000, 29_999_999_999) as u64;
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%d.%m.%Y %H:%M:%S UTC").to_string();
    for k in 0..3i64 {
        let start =
            instant(SAO_PAULO, add_days(first_cycle, k * 14).and_time(NaiveTime::MIN)).with_timezone(&chrono::Utc);
        let end = start + chrono::Duration::days(14);
        let inside: Vec<&Row> = rows.iter().filter(|r| r.0 >= start && r.0 < end).collect();
        // Amazon sends no settlement without a transaction; one without a
        // row in the period belongs to another month's folder.
        if !inside.iter().any(|r| in_period(r.0)) {
            id += between(rng, 1_000_000, 9_000_000) as u64;
            continue;
        }
        let total: i64 = inside.iter().map(|r| r.5).sum();
        let name = format!("{dir}/{id}.txt");
        summary.add(ws.write_text_rows(&name, |w| {
            writeln!(w, "{}", SETTLEMENT_HEADER)?;
            writeln!(
                w,
                "{id}\t{}\t{}\t{}\t{}\tBRL{}",
                stamp(start),
                stamp(end),
                stamp(end + chrono::Duration::days(2)),
                CommaCents(total),
                "\t".repeat(18)
            )?;
            let mut line = String::new();
            for r in &inside {
                line.clear();
                let qty = if r.7 > 0 { r.7.to_string() } else { String::new() };
                let _ = write!(
                    line,
                    "{id}\t\t\t\t\t\t{}\t{}\t\t\t\tAmazon.com.br\t{}\t{}\t{}\tAFN\t{}\t{}\t\t\t\t{}\t{qty}\t",
                    r.1,
                    r.2,
                    r.3,
                    r.4,
                    CommaCents(r.5),
                    r.0.format("%d.%m.%Y"),
                    stamp(r.0),
                    r.6
                );
                writeln!(w, "{line}")?;
            }
            Ok(inside.len() as u64 + 1)
        })?);
        id += between(rng, 1_000_000, 9_000_000) as u64;
    }
    Ok(summary.with_truth(ws.period, seller, "amazon_br", truth))
}

const SETTLEMENT_HEADER: &str = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id";

/// The 58 headers of a real Brazilian `Order.all` export.
const SHOPEE_HEADERS: &str = include_str!("../../../fixtures/layouts/shopee/order_all.headers.txt");

fn shopee(ws: &Workspace, seller: &Seller, rng: &mut Gen, count: usize) -> io::Result<GenerateSummary> {
    let orders = draw(rng, ws, count, BR_CATALOG, |rng, k| {
        let letters: String = (0..6).map(|_| (b'A' + index(rng, 26) as u8) as char).collect();
        format!("{:02}{letters}{k:04}", ws.period.first_day().format("%y%m"))
    });
    let headers: Vec<&str> = SHOPEE_HEADERS.lines().filter(|l| !l.is_empty()).collect();
    let col = |name: &str| headers.iter().position(|h| *h == name).unwrap_or(0) as u16;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("orders").map_err(io::Error::other)?;
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(io::Error::other)?;
    }
    let mut truth = Truth::default();
    let mut r = 1u32;
    let local = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M").to_string();
    // Newest first, as the Seller Centre lists them.
    for o in orders.iter().rev() {
        let gross = o.gross(BR_CATALOG);
        let cancelled = matches!(o.fate, Fate::Cancelled { .. });
        let paid = match o.fate {
            Fate::Unpaid => None,
            Fate::Cancelled { by_seller: false } if chance(rng, 500) => None,
            _ => Some(o.placed + chrono::Duration::minutes(between(rng, 1, 90))),
        };
        let (status, reason) = match o.fate {
            Fate::Cancelled { by_seller: true } => ("Cancelado", "Cancelado pelo vendedor. Motivo : Fora de estoque"),
            Fate::Cancelled { by_seller: false } if paid.is_none() => {
                ("Cancelado", "Cancelado automaticamente pelo sistema da Shopee. Motivo : Pedido não pago")
            }
            Fate::Cancelled { by_seller: false } => {
                ("Cancelado", "Cancelado pelo comprador. Motivo : Não quero mais comprar")
            }
            Fate::Unpaid => ("Não pago", ""),
            _ => ("Concluído", ""),
        };
        let (total, commission, service) = if cancelled {
            (0, 0, 0)
        } else {
            (gross + o.shipping, (gross * 14).div_euclid(100), (gross * 6).div_euclid(100))
        };
        let returned = if let Fate::Returned { units } = o.fate { units } else { 0 };
        if ws.period.contains(o.placed.date()) {
            truth.orders_placed += 1;
            if let Fate::Cancelled { by_seller } = o.fate {
                truth.orders_cancelled += 1;
                truth.orders_cancelled_by_seller += i64::from(by_seller);
            }
        }
        if let Some(p) = paid.filter(|p| !cancelled && ws.period.contains(p.date())) {
            let _ = p;
            truth.units_sold += o.units();
            truth.units_returned += returned;
        }
        for (i, &(p, q)) in o.items.iter().enumerate() {
            let product = &BR_CATALOG[p];
            let item_returned = if i == 0 { returned.min(q) } else { 0 };
            let cells: Vec<(&str, String)> = vec![
                ("ID do pedido", o.id.clone()),
                ("Status do pedido", status.to_string()),
                ("Cancelar Motivo", reason.to_string()),
                (
                    "Status da Devolução / Reembolso",
                    if returned > 0 { "Solicitação aprovada".into() } else { String::new() },
                ),
                ("Data de criação do pedido", local(o.placed)),
                ("Hora do pagamento do pedido", paid.map_or("-".to_string(), local)),
                ("Número de referência SKU", product.sku.to_string()),
                ("Nome do Produto", product.name.to_string()),
                ("Preço original", Cents(product.price).to_string()),
                ("Preço acordado", Cents(product.price).to_string()),
                ("Quantidade", q.to_string()),
                ("Returned quantity", item_returned.to_string()),
                ("Subtotal do produto", Cents(product.price * q).to_string()),
                ("Valor Total", Cents(total).to_string()),
                ("Taxa de envio pagas pelo comprador", Cents(if cancelled { 0 } else { o.shipping }).to_string()),
                ("Taxa de transação", "0.00".to_string()),
                ("Taxa de comissão", Cents(commission).to_string()),
                ("Taxa de serviço", Cents(service).to_string()),
                ("País", "BR".to_string()),
            ];
            for (name, value) in cells {
                sheet.write_string(r, col(name), value).map_err(io::Error::other)?;
            }
            r += 1;
        }
    }
    let day = |d: NaiveDate| d.format("%Y%m%d").to_string();
    let name = format!(
        "{}/shopee_br/Order.all.{}_{}.xlsx",
        ws.exports_dir(seller),
        day(ws.period.first_day()),
        day(ws.period.last_day())
    );
    let summary = ws.write_xlsx(&name, u64::from(r - 1), &mut wb)?;
    Ok(summary.with_truth(ws.period, seller, "shopee_br", truth))
}

/// The header of a 2025 Shopify Payments transactions export.
const PAYMENTS_HEADER: &str = "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency";

/// The 79 headers of a 2025 Shopify orders export.
const SHOPIFY_HEADER: &str = include_str!("../../../fixtures/layouts/shopify/orders_export.header.csv");

fn shopify(ws: &Workspace, seller: &Seller, rng: &mut Gen, count: usize) -> io::Result<GenerateSummary> {
    let mut orders = draw(rng, ws, count, US_CATALOG, |_, _| String::new());
    for (k, o) in orders.iter_mut().enumerate() {
        o.id = format!("#{}", 1001 + k);
    }
    let headers: Vec<&str> = SHOPIFY_HEADER.trim_end().split(',').collect();
    let col = |name: &str| headers.iter().position(|h| *h == name).unwrap_or(0);
    let stamp = |t: NaiveDateTime| instant(STORE_ZONE, t).format("%Y-%m-%d %H:%M:%S %z").to_string();
    let mut truth = Truth::default();
    let mut text = String::new();
    let mut rows = 0u64;
    // Shopify Payments' transactions: (time, type, order, amount, fee).
    let mut payments: Vec<(NaiveDateTime, &'static str, String, i64, i64)> = Vec::new();
    text.push_str(SHOPIFY_HEADER.trim_end());
    text.push('\n');
    // Newest first, as the admin exports them.
    for o in orders.iter().rev() {
        let gross = o.gross(US_CATALOG);
        let discount = if chance(rng, 150) { gross / 10 } else { 0 };
        let subtotal = gross - discount;
        let taxes = (subtotal * 7 + 50) / 100;
        let total = subtotal + o.shipping + taxes;
        let paid = match o.fate {
            Fate::Unpaid | Fate::Cancelled { .. } => None,
            _ => Some(o.placed + chrono::Duration::seconds(between(rng, 5, 600))),
        };
        let (financial, refunded) = match o.fate {
            Fate::Unpaid => ("pending", 0),
            Fate::Cancelled { .. } => ("voided", 0),
            Fate::Returned { units } => ("partially_refunded", US_CATALOG[o.items[0].0].price * units),
            Fate::Sold => ("paid", 0),
        };
        let placed_in_period = ws.period.contains(o.placed.date());
        if placed_in_period {
            truth.orders_placed += 1;
            if let Fate::Cancelled { .. } = o.fate {
                truth.orders_cancelled += 1;
                truth.orders_cancelled_by_seller += 1;
            }
        }
        if paid.is_some_and(|p| ws.period.contains(p.date())) {
            truth.units_sold += o.units();
        }
        if let Some(p) = paid {
            payments.push((p, "charge", o.id.clone(), total, (total * 29 + 500) / 1000 + 30));
            if refunded > 0 {
                let at = p + chrono::Duration::days(between(rng, 2, 9));
                payments.push((at, "refund", o.id.clone(), -refunded, 0));
            }
        }
        for (i, &(p, q)) in o.items.iter().enumerate() {
            let product = &US_CATALOG[p];
            let mut cells = vec![String::new(); headers.len()];
            cells[col("Name")] = o.id.clone();
            cells[col("Created at")] = stamp(o.placed);
            cells[col("Lineitem quantity")] = q.to_string();
            cells[col("Lineitem name")] = product.name.to_string();
            cells[col("Lineitem price")] = Cents(product.price).to_string();
            cells[col("Lineitem sku")] = product.sku.to_string();
            cells[col("Lineitem requires shipping")] = "true".into();
            cells[col("Lineitem taxable")] = "true".into();
            cells[col("Lineitem discount")] = "0.00".into();
            if i == 0 {
                cells[col("Financial Status")] = financial.into();
                cells[col("Paid at")] = paid.map(stamp).unwrap_or_default();
                cells[col("Fulfillment Status")] =
                    if matches!(o.fate, Fate::Sold | Fate::Returned { .. }) { "fulfilled" } else { "unfulfilled" }
                        .into();
                cells[col("Accepts Marketing")] = "no".into();
                cells[col("Currency")] = "USD".into();
                cells[col("Subtotal")] = Cents(subtotal).to_string();
                cells[col("Shipping")] = Cents(o.shipping).to_string();
                cells[col("Taxes")] = Cents(taxes).to_string();
                cells[col("Total")] = Cents(total).to_string();
                cells[col("Discount Amount")] = Cents(discount).to_string();
                cells[col("Cancelled at")] = if matches!(o.fate, Fate::Cancelled { .. }) {
                    stamp(o.placed + chrono::Duration::hours(2))
                } else {
                    String::new()
                };
                cells[col("Payment Method")] = "Shopify Payments".into();
                cells[col("Refunded Amount")] = Cents(refunded).to_string();
                cells[col("Outstanding Balance")] = "0.00".into();
                cells[col("Risk Level")] = "Low".into();
                cells[col("Source")] = "web".into();
            }
            text.push_str(&cells.join(","));
            text.push('\n');
            rows += 1;
        }
    }
    let folder = format!("{}/shopify-{}", ws.exports_dir(seller), seller.id);
    let mut summary =
        ws.write_text(&format!("{folder}/orders_export_1.csv"), rows, |w| w.write_all(text.as_bytes()))?;
    // Newest first, as the admin exports them.
    payments.sort_by(|a, b| b.0.cmp(&a.0).then(b.2.cmp(&a.2)));
    let count = payments.len() as u64;
    summary.add(ws.write_text(&format!("{folder}/payment_transactions_export_1.csv"), count, |w| {
        writeln!(w, "{PAYMENTS_HEADER}")?;
        for (at, kind, order, amount, fee) in &payments {
            let payout = (*at + chrono::Duration::days(3)).date();
            let presented = Cents(amount.abs());
            writeln!(
                w,
                "{},{kind},{order},visa,online,paid,{payout},{payout},{},{},{},#{},card,{presented},USD,USD",
                stamp(*at),
                Cents(*amount),
                Cents(*fee),
                Cents(amount - fee),
                35_756_536_135_773u64 + order.trim_start_matches('#').parse::<u64>().unwrap_or(0),
            )?;
        }
        Ok(())
    })?);
    let market: &'static str = Box::leak(format!("shopify:{}", seller.id).into_boxed_str());
    Ok(summary.with_truth(ws.period, seller, market, truth))
}
