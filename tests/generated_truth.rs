//! The KPIs a statement computes from the files equal a straightforward
//! recomputation from the orders the generator made (its `Truth`, counted
//! from its own model while it writes the files, never read back from
//! them): the return, negative-feedback, cancel and conversion rates and
//! inventory turnover days, per market, over any generated workspace.

use std::str::FromStr;

use kpiseal::contract::ConversionBasis;
use kpiseal::kpi::Scope;
use kpiseal::kpi_id::KpiId;
use kpiseal::market::Market;
use kpiseal::pipeline::{RunOptions, compute_kpis, read_seller_inputs};
use kpiseal::workspace::Workspace;
use kpiseal_generate::{GenerateOptions, Truth, generate_workspace};
use proptest::prelude::*;
use rust_decimal::Decimal;

const PERIOD: &str = "2026-10";

/// `n ÷ d`, `None` for a zero denominator (the statement's "no data").
fn quotient(n: i64, d: i64) -> Option<Decimal> {
    (d != 0).then(|| Decimal::from(n) / Decimal::from(d))
}

/// The value each of the KPIs under test must have in a market, from `t`.
fn expected(id: KpiId, t: &Truth, basis: ConversionBasis) -> Option<Decimal> {
    match id {
        KpiId::ReturnRate => quotient(t.units_returned, t.units_sold),
        KpiId::NegativeFeedbackRate => quotient(t.feedback_negative, t.feedback_received),
        KpiId::CancelRate => quotient(t.orders_cancelled_by_seller, t.orders_placed),
        KpiId::ConversionRate => match basis {
            ConversionBasis::Units => quotient(t.units_ordered, t.sessions),
            ConversionBasis::OrderItems => quotient(t.order_items, t.sessions),
        },
        KpiId::InventoryTurnoverDays => quotient(t.sellable_unit_days, t.shipped_from_stock),
        _ => unreachable!("not a KPI under test"),
    }
}

/// The KPIs under test that `market`'s reports let kpiseal compute: Mercado
/// Livre's feedback, visits and stock are not read (the statement says so).
fn computed_in(market: Market) -> &'static [KpiId] {
    if market == Market::AMAZON_US {
        &[
            KpiId::ReturnRate,
            KpiId::NegativeFeedbackRate,
            KpiId::CancelRate,
            KpiId::ConversionRate,
            KpiId::InventoryTurnoverDays,
        ]
    } else if market == Market::MERCADOLIVRE_BR || market == Market::SHOPEE_BR {
        &[KpiId::ReturnRate, KpiId::CancelRate]
    } else if market == Market::AMAZON_BR {
        // Only its settlements: no returns or orders report.
        &[]
    } else {
        // A Shopify store: its orders export has cancellations, not returned units.
        &[KpiId::CancelRate]
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]

    /// For every seller and market of a generated workspace, the ledger's
    /// counts are the generator's, and each KPI is their quotient as
    /// printed (four places, or more where a threshold needs them).
    #[test]
    fn prop_the_new_kpis_equal_their_recomputation_from_the_generated_orders(
        seed in any::<u64>(), orders in 1usize..60, sellers in 3usize..=5,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let period = PERIOD.parse().unwrap();
        let summary = generate_workspace(dir.path(), &GenerateOptions { seed, sellers, orders, period }).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let opts = RunOptions::new(period);
        // Profiles cycle acme-home (2 markets), sunny-gadgets, rio-casa, loja-mix (3).
        prop_assert_eq!(summary.truth.len(), (0..sellers).map(|i| [2, 1, 1, 3][i % 4]).sum::<usize>());
        for ((_, seller, market_id), truth) in &summary.truth {
            let market = Market::from_str(market_id).unwrap();
            let inputs = read_seller_inputs(&ws, seller, &opts).map_err(|e| TestCaseError::fail(format!("{seller}: {e}")))?;
            let stage = compute_kpis(&inputs).map_err(|e| TestCaseError::fail(format!("{seller}: {e}")))?;
            let f = &stage.figures[&market];
            let what = format!("{seller} {market_id}");
            let sales = f.sales.as_ref().unwrap();
            prop_assert_eq!(sales.units, truth.units_sold, "{}: units", what);
            if computed_in(market).contains(&KpiId::ReturnRate) {
                prop_assert_eq!(f.returns.as_ref().map(|r| r.units), Some(truth.units_returned), "{}: returned", what);
            }
            if computed_in(market).contains(&KpiId::CancelRate) {
                let orders = f.orders.as_ref().unwrap();
                prop_assert_eq!(
                    (orders.placed, orders.cancelled, orders.seller_cancelled),
                    (truth.orders_placed, truth.orders_cancelled, truth.orders_cancelled_by_seller),
                    "{}: orders", what
                );
            }
            if market == Market::AMAZON_US {
                let feedback = f.feedback.as_ref().unwrap();
                prop_assert_eq!((feedback.received, feedback.negative), (truth.feedback_received, truth.feedback_negative), "{}", what);
                let traffic = f.traffic.as_ref().unwrap();
                prop_assert_eq!(
                    (traffic.sessions, traffic.units_ordered, traffic.order_items),
                    (truth.sessions, truth.units_ordered, truth.order_items),
                    "{}: traffic", what
                );
                let stock = f.inventory.as_ref().unwrap();
                prop_assert_eq!(
                    (stock.on_hand_unit_days, stock.shipped),
                    (truth.sellable_unit_days, truth.shipped_from_stock),
                    "{}: stock", what
                );
            }
            let scope = Scope::Market(market);
            for &id in computed_in(market) {
                let k = stage.kpis.iter().find(|k| k.id == id && k.market == scope).unwrap();
                let e = expected(id, truth, inputs.contract.kpi.conversion_basis);
                match (k.value, e) {
                    (Some(v), Some(e)) => {
                        let printed = kpiseal::kpi::printed_ratio(e, &[]);
                        prop_assert!((v - e).abs() <= Decimal::new(5, 5), "{} {}: {} vs exact {}", what, id, v, e);
                        prop_assert!(v == printed || v.scale() > printed.scale(), "{} {}: {} vs {}", what, id, v, printed);
                    }
                    (None, None) => {}
                    (v, e) => prop_assert!(false, "{} {}: statement {:?}, recomputed {:?}", what, id, v, e),
                }
            }
        }
    }
}
