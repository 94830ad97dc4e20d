//! Mercado Livre through the whole month-end run, on copies of the demo with
//! one change each: the contract's time zone for `mercadolivre_br`, and a
//! sale refunded after a claim added to a Vendas export.

mod common;
use common::{copy_dir, demo};

use std::fs;
use std::path::Path;

use kpiseal::batch::{BatchOptions, Silent, run_batch};
use kpiseal::seal_config::Signer;
use kpiseal::workspace::Workspace;
use serde_json::Value;

const PERIOD: &str = "2026-10";

/// Runs the month end over `workspace` and returns `seller`'s statement.json.
fn statement(workspace: &Path, seller: &str) -> Value {
    let out = tempfile::tempdir().unwrap();
    let ws = Workspace::open(workspace).unwrap();
    let signer = Signer::load(&ws).unwrap();
    let summary = run_batch(&ws, &BatchOptions::new(PERIOD.parse().unwrap(), out.path()), &signer, &Silent).unwrap();
    assert_eq!(summary.failed, 0, "{:#?}", summary.sellers);
    let json = fs::read(out.path().join(PERIOD).join(seller).join("statement.json")).unwrap();
    serde_json::from_slice(&json).unwrap()
}

/// The statement's Mercado Livre market summary.
fn mercadolivre(statement: &Value) -> &Value {
    statement["markets"].as_array().unwrap().iter().find(|m| m["market"] == "mercadolivre_br").unwrap()
}

/// The value of KPI `id` for Mercado Livre, as printed.
fn kpi<'a>(statement: &'a Value, id: &str) -> &'a Value {
    let kpis = statement["kpis"].as_array().unwrap();
    &kpis.iter().find(|k| k["id"] == id && k["market"] == "mercadolivre_br").unwrap()["value"]
}

/// A copy of the demo whose `seller` contract ends with `extra`.
fn demo_with_contract_lines(seller: &str, extra: &str) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let contract = ws.path().join("contracts").join(format!("{seller}.toml"));
    let mut text = fs::read_to_string(&contract).unwrap();
    text.push_str(extra);
    fs::write(&contract, text).unwrap();
    ws
}

#[test]
fn the_contract_time_zone_for_mercadolivre_changes_the_statement() {
    let default = statement(&demo(), "rio-casa");
    // The export prints São Paulo time: naming São Paulo changes no figure.
    let sao_paulo =
        demo_with_contract_lines("rio-casa", "\n[contract.time_zones]\nmercadolivre_br = \"America/Sao_Paulo\"\n");
    let sao_paulo = statement(sao_paulo.path(), "rio-casa");
    assert_eq!(mercadolivre(&sao_paulo), mercadolivre(&default));
    assert_eq!(sao_paulo["kpis"], default["kpis"]);
    // Under UTC, sales after 21:00 on 31 October (São Paulo) fall in
    // November, and those after 21:00 on 30 September in October.
    let utc = demo_with_contract_lines("rio-casa", "\n[contract.time_zones]\nmercadolivre_br = \"UTC\"\n");
    let utc = statement(utc.path(), "rio-casa");
    let (before, after) = (mercadolivre(&default), mercadolivre(&utc));
    assert_ne!(before["gmv"], after["gmv"], "{before}\n{after}");
    assert_ne!(before["net_proceeds"], after["net_proceeds"]);
    assert_ne!(kpi(&utc, "gmv"), kpi(&default, "gmv"));
    assert_ne!(utc["commission_base"], default["commission_base"], "the commission base follows the GMV");
    // The Vendas file is still checked whole: the same rows reconcile.
    assert_eq!(default["reconciliation"], utc["reconciliation"]);
}

/// Appends one sale to acme-home's Vendas CSV, its cells given by header
/// name (decimal comma), every other cell blank.
fn append_sale(workspace: &Path, cells: &[(&str, &str)]) {
    let path = workspace.join("exports/2026-10/acme-home/Vendas_BR_outubro_2026.csv");
    let mut text = fs::read_to_string(&path).unwrap();
    let header_line = text.lines().nth(1).unwrap().to_string();
    let line: Vec<String> = header_line
        .split(';')
        .enumerate()
        .map(|(i, h)| {
            // The first "Estado" is the sale's; later ones belong to other blocks.
            let first = header_line.split(';').position(|x| x == h) == Some(i);
            cells.iter().find(|(name, _)| first && *name == h).map_or(String::new(), |(_, v)| v.to_string())
        })
        .collect();
    text.push_str(&line.join(";"));
    text.push_str("\r\n");
    fs::write(&path, text).unwrap();
}

#[test]
fn a_sale_shipped_then_refunded_after_a_claim_is_an_order_a_refund_and_a_dispute_and_its_fee_nets_out() {
    let before = statement(&demo(), "acme-home");
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    // 100.00 of products; the buyer gets 100.00 back, the seller its 16.50
    // sale fee; the 20.00 of shipping stays charged: Total −20.00.
    append_sale(
        ws.path(),
        &[
            ("N.º de venda", "2000009999999999"),
            ("Data da venda", "15 de outubro de 2026 10:00 hs."),
            ("Estado", "Reclamação encerrada com reembolso para o comprador"),
            ("Descrição do status", "A reclamação foi encerrada e devolvemos o dinheiro."),
            ("Unidades", "1"),
            ("Receita por produtos", "100,00"),
            ("Tarifa de venda e impostos", "-16,50"),
            ("Receita por envio", "0,00"),
            ("Tarifas de envio", "-20,00"),
            ("Descontos e bônus", "0,00"),
            ("Cancelamentos e reembolsos", "-83,50"),
            ("Total", "-20,00"),
            ("Data a caminho", "16 de outubro de 2026 10:00 hs."),
            ("Reclamação aberta", "Sim"),
            ("Reclamação encerrada", "Sim"),
        ],
    );
    let after = statement(ws.path(), "acme-home");
    let (b, a) = (mercadolivre(&before), mercadolivre(&after));
    let dec = |v: &Value| v.as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    let moved = |field: &str| dec(&a[field]) - dec(&b[field]);
    assert_eq!(moved("platform_fees").to_string(), "20.00", "only the shipping fee is retained");
    assert_eq!(moved("refunds").to_string(), "100.00");
    assert_eq!(moved("net_proceeds").to_string(), "-20.00");
    assert_eq!(moved("gmv").to_string(), "0.00", "net of refunds: placed and refunded");
    assert_eq!(a["orders"].as_i64().unwrap() - b["orders"].as_i64().unwrap(), 1, "it is an order");
    assert_eq!(a["reconciled"], "yes");
    // One more disputed order among one more order.
    let orders = a["orders"].as_i64().unwrap();
    let disputed = |s: &Value, n: i64| (dec(kpi(s, "dispute_rate")) * rust_decimal::Decimal::from(n)).round();
    assert_eq!(disputed(&after, orders) - disputed(&before, orders - 1), rust_decimal::Decimal::ONE);
}
