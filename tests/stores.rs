//! The demo's `loja-mix` statement against figures recomputed by hand from
//! its raw exports, with nothing of kpiseal's ingest: the Amazon.com.br
//! settlements read as tab-separated text (decimal comma, `dd.MM.yyyy
//! HH:mm:ss UTC`), the Shopee `Order.all` workbook read cell by cell with
//! calamine, the Shopify orders export with the csv crate. Each market's
//! GMV (the contract's `net_of_refunds`, shipping excluded), its orders and
//! its platform fees must be what the statement prints.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::str::FromStr;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::Value;

const PERIOD: (i32, u32) = (2026, 10);

fn in_october(d: NaiveDate) -> bool {
    d >= NaiveDate::from_ymd_opt(PERIOD.0, PERIOD.1, 1).unwrap() && d <= NaiveDate::from_ymd_opt(2026, 10, 31).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s.trim()).unwrap_or_else(|_| panic!("{s:?}"))
}

/// The statement's `id` KPI of `market`, as printed.
fn kpi(st: &Value, id: &str, market: &str) -> String {
    let k = st["kpis"].as_array().unwrap().iter().find(|k| k["id"] == id && k["market"] == market).unwrap();
    k["value"].as_str().unwrap().to_string()
}

/// (GMV net of refunds, orders, platform fees) as text, two decimals for money.
type Figures = (String, String, String);

fn amazon_br(dir: &Path) -> Figures {
    let sao_paulo: Tz = chrono_tz::America::Sao_Paulo;
    let (mut gmv, mut fees) = (Decimal::ZERO, Decimal::ZERO);
    let mut orders = BTreeSet::new();
    for file in fs::read_dir(dir.join("amazon_br")).unwrap() {
        let text = fs::read_to_string(file.unwrap().path()).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        for line in lines.skip(1) {
            let cells: Vec<&str> = line.split('\t').collect();
            let at = NaiveDateTime::parse_from_str(
                cells[col("posted-date-time")].trim_end_matches(" UTC"),
                "%d.%m.%Y %H:%M:%S",
            )
            .unwrap();
            if !in_october(sao_paulo.from_utc_datetime(&at).date_naive()) {
                continue;
            }
            let amount = dec(&cells[col("amount")].replace(',', "."));
            let (kind, description) = (cells[col("transaction-type")], cells[col("amount-description")]);
            match (kind, cells[col("amount-type")], description) {
                ("Order", "ItemPrice", "Principal") => {
                    gmv += amount;
                    orders.insert(cells[col("order-id")].to_string());
                }
                ("Refund", "ItemPrice", "Principal") => gmv += amount,
                (_, "ItemFees", _) => fees -= amount,
                _ => {}
            }
        }
    }
    (gmv.to_string(), orders.len().to_string(), fees.to_string())
}

fn shopee(dir: &Path) -> Figures {
    let path = fs::read_dir(dir.join("shopee_br")).unwrap().next().unwrap().unwrap().path();
    let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let range = book.worksheet_range("orders").unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let text = |row: &[Data], name: &str| row[col(name)].to_string();
    let (mut gmv, mut fees) = (Decimal::ZERO, Decimal::ZERO);
    let mut orders: BTreeMap<String, ()> = BTreeMap::new();
    for row in rows {
        let paid = text(row, "Hora do pagamento do pedido");
        if text(row, "Status do pedido") == "Cancelado" || paid == "-" {
            continue;
        }
        let paid = NaiveDateTime::parse_from_str(&paid, "%Y-%m-%d %H:%M").unwrap();
        if !in_october(paid.date()) {
            continue;
        }
        gmv += dec(&text(row, "Subtotal do produto"));
        if text(row, "Status da Devolução / Reembolso") == "Solicitação aprovada" {
            let returned = dec(&text(row, "Returned quantity"));
            gmv -= returned * dec(&text(row, "Preço acordado"));
        }
        // Order fields repeat on every item row: once per order.
        if orders.insert(text(row, "ID do pedido"), ()).is_none() {
            for fee in ["Taxa de comissão", "Taxa de serviço", "Taxa de transação"] {
                fees += dec(&text(row, fee));
            }
        }
    }
    (gmv.to_string(), orders.len().to_string(), fees.to_string())
}

fn shopify(dir: &Path) -> Figures {
    let new_york: Tz = chrono_tz::America::New_York;
    let store = dir.join("shopify-loja-mix");
    let mut reader = csv::Reader::from_path(store.join("orders_export_1.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut items: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut first: BTreeMap<String, csv::StringRecord> = BTreeMap::new();
    for record in reader.records() {
        let r = record.unwrap();
        let name = r[col("Name")].to_string();
        *items.entry(name.clone()).or_default() += dec(&r[col("Lineitem price")]) * dec(&r[col("Lineitem quantity")]);
        first.entry(name).or_insert(r);
    }
    let (mut gmv, mut orders) = (Decimal::ZERO, 0);
    for (name, r) in &first {
        let paid = ["paid", "partially_paid", "partially_refunded", "refunded"].contains(&&r[col("Financial Status")]);
        if !paid || !r[col("Cancelled at")].is_empty() {
            continue;
        }
        let at = DateTime::parse_from_str(&r[col("Paid at")], "%Y-%m-%d %H:%M:%S %z").unwrap();
        if in_october(at.with_timezone(&new_york).date_naive()) {
            // A refund is principal at the items' price before the discount.
            let subtotal = dec(&r[col("Subtotal")]);
            let paid_for_items = dec(&r[col("Refunded Amount")]).min(subtotal);
            let refunded = if subtotal.is_zero() { Decimal::ZERO } else { paid_for_items * items[name] / subtotal };
            let refunded = refunded.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            gmv += items[name] - refunded;
            orders += 1;
        }
    }
    let mut reader = csv::Reader::from_path(store.join("payment_transactions_export_1.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut fees = Decimal::ZERO;
    for record in reader.records() {
        let r = record.unwrap();
        let at = DateTime::parse_from_str(&r[col("Transaction Date")], "%Y-%m-%d %H:%M:%S %z").unwrap();
        if in_october(at.with_timezone(&new_york).date_naive()) {
            fees += dec(&r[col("Fee")]);
        }
    }
    (gmv.to_string(), orders.to_string(), fees.to_string())
}

#[test]
fn each_market_of_loja_mix_is_what_its_raw_exports_add_up_to() {
    let out = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["run", "--workspace"])
        .arg(common::demo())
        .args(["--period", "2026-10", "--seller", "loja-mix", "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let st: Value =
        serde_json::from_slice(&fs::read(out.path().join("2026-10/loja-mix/statement.json")).unwrap()).unwrap();
    let dir = common::demo().join("exports/2026-10/loja-mix");
    for (market, (gmv, orders, fees)) in
        [("amazon_br", amazon_br(&dir)), ("shopee_br", shopee(&dir)), ("shopify:loja-mix", shopify(&dir))]
    {
        assert_eq!(kpi(&st, "gmv", market), gmv, "{market}: GMV");
        assert_eq!(kpi(&st, "orders", market), orders, "{market}: orders");
        assert_eq!(kpi(&st, "platform_fees", market), fees, "{market}: platform fees");
    }
}
