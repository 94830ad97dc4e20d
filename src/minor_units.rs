//! Every money amount of a [`Statement`] written the way money is written:
//! with its currency's minor digits (`0.00`, not `0`; `12.50`, not `12.5`)
//! and never as `-0.00` (rust_decimal keeps the sign of a zero that came
//! from negating or rounding a negative amount). statement.json and the PDF
//! both read the model, so both print the same text.
//!
//! Only the written form changes: no amount is rounded or altered here
//! (see [`with_minor_digits`]). Rates, ratios and counts are not money and
//! are left as they are.

use rust_decimal::Decimal;

use crate::kpi::{Bound, Unit};
use crate::kpi_id::KpiId;
use crate::market::Market;
use crate::money::{Currency, with_minor_digits};
use crate::statement::Statement;

/// Writes every money amount of `s` with its currency's minor digits and
/// without a negative zero: totals, KPI values and targets in money, the
/// commission base, every service-fee line, rule amount and money
/// threshold, pass-through lines, market summaries and reconciliation
/// amounts.
pub fn normalize(s: &mut Statement) {
    let m = |d: &mut Decimal, c: Currency| *d = with_minor_digits(*d, c);
    let mo = |d: &mut Option<Decimal>, c: Currency| {
        if let Some(v) = d {
            *v = with_minor_digits(*v, c);
        }
    };

    let t = &mut s.totals;
    for d in [&mut t.service_fees, &mut t.tax, &mut t.pass_through, &mut t.amount_due] {
        m(d, t.currency);
    }

    for k in &mut s.kpis {
        if let Unit::Money(c) = k.unit {
            mo(&mut k.value, c);
            if let Some(Bound::Min { value, alert } | Bound::Max { value, alert }) = &mut k.target {
                m(value, c);
                mo(alert, c);
            }
        }
    }

    let cb = &mut s.commission_base;
    m(&mut cb.total, cb.currency);
    for l in &mut cb.lines {
        m(&mut l.gmv, l.currency);
        m(&mut l.converted, cb.currency);
    }

    let currencies: std::collections::BTreeMap<Market, Currency> =
        s.markets.iter().map(|ms| (ms.market, ms.currency)).collect();
    let money_currency = |market: Option<Market>, overall: Currency| {
        market.and_then(|m| currencies.get(&m).copied().or(m.fixed_currency())).unwrap_or(overall)
    };
    let f = &mut s.service_fees;
    let fc = f.currency;
    for d in [&mut f.commission_base, &mut f.commission, &mut f.subtotal, &mut f.tax, &mut f.total] {
        m(d, fc);
    }
    for l in &mut f.lines {
        m(&mut l.amount, fc);
        mo(&mut l.base, fc);
        if let Some(t) = &mut l.trigger
            && is_money(t.kpi)
        {
            m(&mut t.value, money_currency(t.market, fc));
            m(&mut t.threshold, money_currency(t.market, fc));
        }
    }
    for r in &mut f.rules {
        mo(&mut r.amount, fc);
        if is_money(r.kpi) {
            let c = money_currency(r.market, fc);
            mo(&mut r.value, c);
            m(&mut r.threshold, c);
        }
    }

    let p = &mut s.pass_through;
    m(&mut p.total, p.currency);
    for l in &mut p.lines {
        m(&mut l.amount, l.currency);
        m(&mut l.converted, p.currency);
    }

    for ms in &mut s.markets {
        for d in [&mut ms.gmv, &mut ms.refunds, &mut ms.platform_fees, &mut ms.net_proceeds] {
            mo(d, ms.currency);
        }
    }

    for r in &mut s.reconciliation {
        m(&mut r.reported, r.currency);
        m(&mut r.computed, r.currency);
    }
}

/// Whether `id`'s value is an amount of money.
fn is_money(id: KpiId) -> bool {
    matches!(Unit::of(id, Currency::Usd), Unit::Money(_))
}
