//! Shopify Payments' transactions export (admin › Finance › Payouts ›
//! Export transactions, `payment_transactions_export_1.csv`) into a
//! store's payment fees and the payout money its orders export lacks.
//!
//! The layout and its sources are in
//! `fixtures/layouts/shopify/payment_transactions.md`. Columns are found by
//! header name: `Transaction Date`, `Type`, `Order`, `Amount`, `Fee`, `Net`
//! and `Currency` are read.
//!
//! **What counts** (dated by `Transaction Date`, written with the offset of
//! its moment, in the store's zone):
//! - every row's `Fee` is a platform fee (the export writes it positive;
//!   the statement, as the marketplaces' own reports, negative);
//! - a `charge` or `refund` row's `Amount` is the buyer's payment or its
//!   refund, which the orders export already counts: only its fee is taken;
//! - any other row (`adjustment`, `chargeback`, `shop_cash_credit`,
//!   `marketplace sales tax`, …) is payout money the orders export does
//!   not carry: its `Amount` counts in net proceeds (`marketplace sales tax`
//!   as tax), and a `chargeback` or `dispute` row is also a dispute on its
//!   order.
//!
//! **Reconciliation**, per row: `Net` = `Amount` − `Fee`.

use std::collections::BTreeMap;

use chrono::DateTime;
use rust_decimal::Decimal;

use super::records::{MoneyKind, MoneyLine, OrderEvent, OrderEventKind, OrderId, ReconciliationCheck};
use super::table::Table;
use super::units::{Fingerprint, Unit, UnitKey};
use super::{IngestContext, ParsedExport};
use crate::error::InputError;
use crate::money::Currency;

const DATE: &[&str] = &["Transaction Date"];
const TYPE: &[&str] = &["Type"];
const ORDER: &[&str] = &["Order"];
const AMOUNT: &[&str] = &["Amount"];
const FEE: &[&str] = &["Fee"];
const NET: &[&str] = &["Net"];
const CURRENCY: &[&str] = &["Currency"];

/// Whether a header row is a Shopify Payments transactions export's.
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["Transaction Date", "Type", "Order", "Amount", "Fee", "Net", "Payout Status"])
}

/// Reads a Shopify Payments transactions export for the store
/// `ctx.market`: per row dated in the period a platform fee line (its
/// `Fee`), and for a row that is not a charge or refund its `Amount` as
/// other money (tax for `marketplace sales tax`), with a `Disputed` event
/// for a chargeback or dispute. See the module for the rules.
///
/// **Identity:** each row is a [`Unit`] keyed by store, time, type and
/// order as written and its occurrence among identical ones; its
/// fingerprint is its amounts. The same transaction in two overlapping
/// exports counts once.
///
/// # Errors
/// An [`InputError`] naming the file, line and column: a required column
/// missing or repeated, a time or amount that cannot be read, a negative
/// fee, or a currency other than the store's.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let [date, kind, order, amount, fee, net, currency] =
        [DATE, TYPE, ORDER, AMOUNT, FEE, NET, CURRENCY].map(|names| t.require(names));
    let (date, kind, order, amount, fee, net, currency) = (date?, kind?, order?, amount?, fee?, net?, currency?);
    let mut out = ParsedExport::default();
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut unbalanced = Vec::new();
    let (mut reported, mut computed) = (Decimal::ZERO, Decimal::ZERO);
    for row in &t.rows {
        if t.is_blank(row, date) && t.is_blank(row, kind) {
            continue;
        }
        out.rows_total += 1;
        let written = t.text(row, date);
        let at = DateTime::parse_from_str(written.trim(), "%Y-%m-%d %H:%M:%S %z").map_err(|_| {
            t.error(
                row,
                date,
                format!("{written:?} is not a time as Shopify writes it (expected e.g. 2026-10-05 14:23:05 -0400)"),
            )
        })?;
        let day = at.with_timezone(&ctx.tz).date_naive();
        out.saw(day);
        let row_currency: Currency = t.text_ref(row, currency).parse().map_err(|m| t.error(row, currency, m))?;
        if row_currency != ctx.currency {
            return Err(t.error(
                row,
                currency,
                format!(
                    "a transaction in {row_currency}, and {} is a store in {} (contract.currencies): kpiseal neither relabels nor converts it",
                    ctx.market, ctx.currency
                ),
            ));
        }
        let kind_text = t.required_text(row, kind, "the transaction type")?;
        let order_id = t.text(row, order);
        let (gross, charged, paid_out) = (t.money(row, amount)?, t.money(row, fee)?, t.money(row, net)?);
        if charged < Decimal::ZERO {
            return Err(t.error(row, fee, "a fee is written positive in Shopify's transactions export"));
        }
        reported += paid_out;
        computed += gross - charged;
        if gross - charged != paid_out {
            unbalanced.push(row.number);
        }
        let occurrence = seen.entry((written.clone(), kind_text.clone(), order_id.clone())).or_default();
        *occurrence += 1;
        let key = UnitKey::StoreTransaction {
            market: ctx.market,
            at: written.clone(),
            kind: kind_text.clone(),
            order_id: order_id.clone(),
            occurrence: *occurrence,
        };
        let mut unit = Unit::new(
            key,
            t.location(row.number),
            t.headers[date].clone(),
            format!("{kind_text} {order_id} at {written}"),
        );
        unit.fingerprint = Fingerprint::of((gross, charged, paid_out));
        unit.summary = format!("amount {gross}, fee {charged}, net {paid_out}").into();
        if !ctx.period.contains(day) {
            out.leave_out(row.number, day);
            out.units.push(unit);
            continue;
        }
        out.rows_in_period += 1;
        unit.rows_in_period = 1;
        let (first_line, first_event) = (out.lines.len(), out.events.len());
        let order_id = OrderId::from(order_id);
        let mut money = |kind, value: Decimal| {
            if !value.is_zero() {
                out.lines.push(MoneyLine {
                    market: ctx.market,
                    line: row.number,
                    date: day,
                    order_id: order_id.clone(),
                    kind,
                    amount: value,
                });
            }
        };
        money(MoneyKind::PlatformFee, -charged);
        let folded = kind_text.trim().to_ascii_lowercase();
        match folded.as_str() {
            "charge" | "refund" => {}
            "marketplace sales tax" => money(MoneyKind::Tax, gross),
            _ => money(MoneyKind::Other, gross),
        }
        if folded.starts_with("chargeback") && folded != "chargeback won" || folded == "dispute" {
            out.events.push(OrderEvent {
                market: ctx.market,
                line: row.number,
                date: day,
                order_id: order_id.clone(),
                kind: OrderEventKind::Disputed,
                units: 0,
                principal: Decimal::ZERO,
                shipping: Decimal::ZERO,
            });
        }
        unit.lines = first_line..out.lines.len();
        unit.events = first_event..out.events.len();
        out.units.push(unit);
    }
    let failing: Vec<String> = unbalanced.iter().map(usize::to_string).collect();
    out.checks.push(ReconciliationCheck::of_items(
        &t.file,
        format!("{} transactions: Amount less Fee makes Net", out.rows_total),
        ctx.currency,
        (reported, computed),
        "lines",
        &failing,
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Format, read_export};
    use crate::market::Market;
    use crate::period::Period;

    fn ctx() -> IngestContext {
        IngestContext {
            tz: chrono_tz::America::New_York,
            currency: Currency::Usd,
            ..IngestContext::new(Period::new(2026, 10).unwrap(), Market::shopify("acme-home").unwrap())
        }
    }

    const HEADER: &str = "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency";

    fn read(rows: &[&str]) -> Result<ParsedExport, InputError> {
        let text = format!("{HEADER}\n{}\n", rows.join("\n"));
        let (format, p) = read_export("payment_transactions_export_1.csv", text.as_bytes(), &ctx())?;
        assert_eq!(format, Format::ShopifyPayments);
        Ok(p)
    }

    #[test]
    fn the_real_sample_rows_read_as_fees_and_payout_money() {
        // The layout's sample rows (fixtures/layouts/shopify/payment_transactions.md), moved to October 2026.
        let p = read(&[
            "2026-10-30 23:32:39 -0400,charge,#43033,visa,online,paid,2026-11-03,2026-11-03,64.00,1.84,62.16,#35756536135773,card,64.00,USD,USD",
            "2026-10-28 15:15:52 -0400,refund,#41973,american_express,online,paid,2026-10-30,2026-10-28,-179.55,0.00,-179.55,#35602861916253,card,179.55,USD,USD",
            "2026-10-04 19:03:10 -0400,shop_cash_campaign_billing_debit,#40539,unknown,online,paid,2026-10-07,2026-10-05,-27.00,0.00,-27.00,,,,,USD",
            "2026-10-04 21:29:20 -0400,marketplace sales tax,#40560,unknown,online,paid,2026-10-07,2026-10-05,-9.52,0.00,-9.52,,,,,USD",
            "2026-10-31 23:59:00 -0500,charge,#43040,visa,online,paid,2026-11-03,2026-11-03,10.00,0.59,9.41,#1,card,10.00,USD,USD",
        ])
        .unwrap();
        assert!(p.checks[0].ok, "{:?}", p.checks[0]);
        let lines: Vec<(MoneyKind, String)> = p.lines.iter().map(|l| (l.kind, l.amount.to_string())).collect();
        assert_eq!(
            lines,
            [
                (MoneyKind::PlatformFee, "-1.84".into()),
                (MoneyKind::Other, "-27.00".into()),
                (MoneyKind::Tax, "-9.52".into()),
            ]
        );
        // 23:59 at -0500 is 1 November 00:59 in New York.
        assert_eq!(p.left_out_by_date.len(), 1);
        assert_eq!((p.rows_total, p.rows_in_period), (5, 4));
    }

    #[test]
    fn a_chargeback_is_a_dispute_and_its_amount_payout_money() {
        let p = read(&["2026-10-10 10:00:00 -0400,chargeback,#7,visa,online,paid,2026-10-12,2026-10-10,-50.00,15.00,-65.00,,,,,USD"]).unwrap();
        assert!(p.events.iter().any(|e| e.kind == OrderEventKind::Disputed && e.order_id == "#7"));
        let sum: Decimal = p.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum.to_string(), "-65.00");
    }

    #[test]
    fn a_row_whose_net_is_not_amount_less_fee_fails_the_check_and_bad_rows_are_refused() {
        let p = read(&["2026-10-10 10:00:00 -0400,charge,#1,visa,online,paid,2026-10-12,2026-10-10,10.00,1.00,8.00,#1,card,10.00,USD,USD"]).unwrap();
        assert!(!p.checks[0].ok);
        assert_eq!(p.checks[0].detail, "lines that do not add up: 2");
        let e = read(&["2026-10-10 10:00:00 -0400,charge,#1,visa,online,paid,2026-10-12,2026-10-10,10.00,1.00,9.00,#1,card,10.00,BRL,BRL"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":2: column \"Currency\": a transaction in BRL, and shopify:acme-home is a store in USD"),
            "{e}"
        );
        let e = read(&[
            "10/10/2026,charge,#1,visa,online,paid,2026-10-12,2026-10-10,10.00,1.00,9.00,#1,card,10.00,USD,USD",
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("column \"Transaction Date\""), "{e}");
    }
}
