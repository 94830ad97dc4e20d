//! Mercado Livre "Vendas" exports: the XLSX (`rio-casa` profile, sheet
//! "Vendas BR", title and merged group headers above the header row) and the
//! older CSV (`acme-home` profile: `;`, decimal comma, UTF-8 BOM, no "(BRL)"
//! suffixes, a title line above the header).
//!
//! One row per sale, newest first, dated in São Paulo time, from four days
//! before the period through the first day after it. The money columns
//! (Receita por produtos … Cancelamentos e reembolsos, the layout of
//! `fixtures/ingest/mercadolivre/README.md`) sum to Total on every row —
//! except ONE row of the XLSX, whose Total is 0.01 above the sum on purpose:
//! real exports carry such rounding glitches, and the reconciliation check
//! must surface it rather than trust either figure.
//!
//! Every money column carries money somewhere: some sales are paid in
//! installments (the buyer's surcharge and the equal installment fee), some
//! ship by declared measures (some with a charge for a size difference),
//! and, in the XLSX only (the older CSV has no such column), some cost an
//! exchange's shipping. A cancelled or refunded sale's `Cancelamentos e
//! reembolsos` returns the buyer's payment less the fees Mercado Livre gives
//! back: the sale fee (shown, then given back, on sales the buyer
//! cancelled) and the installment fee; the seller's shipping is lost.
//! Multi-product carts ("Pacote de diversos produtos" = Sim) keep their own
//! money; a few sales are split over several lines, with every amount on the
//! first line and blank money on the others.

pub(super) mod ads;
mod layout;

use std::io;

use chrono::{NaiveDate, NaiveDateTime};

use super::data::{ACME_ML, FIRST_NAMES, LAST_NAMES, MlProduct, PLACES, RIO_ML, STREETS};
use super::text::PT_MONTHS;
use super::{
    Gen, GenerateSummary, Profile, Purpose, Seller, Truth, Workspace, add_days, allocate, between, chance, div_round,
    index,
};
use layout::{write_csv, write_xlsx};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Delivered,
    InTransit,
    ReadyToShip,
    CancelledByBuyer,
    CancelledDoNotShip,
    CancelledByMl,
    RefundedAfterClaim,
    Refunded,
}

impl Status {
    fn text(self) -> &'static str {
        match self {
            Status::Delivered => "Entregue",
            Status::InTransit => "A caminho",
            Status::ReadyToShip => "Pronto para enviar",
            Status::CancelledByBuyer => "Cancelada pelo comprador",
            Status::CancelledDoNotShip => "Venda cancelada. Não envie.",
            Status::CancelledByMl => "Pacote cancelado pelo Mercado Livre",
            Status::RefundedAfterClaim => "Reclamação encerrada com reembolso para o comprador",
            Status::Refunded => "Reembolsamos o valor ao comprador",
        }
    }

    fn cancelled(self) -> bool {
        matches!(self, Status::CancelledByBuyer | Status::CancelledDoNotShip | Status::CancelledByMl)
    }

    fn refunded(self) -> bool {
        matches!(self, Status::RefundedAfterClaim | Status::Refunded)
    }

    fn shipped(self) -> bool {
        !self.cancelled() && self != Status::ReadyToShip
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    None,
    Open,
    Mediation,
    ClosedWithRefund,
}

#[derive(Clone, Copy)]
struct Buyer {
    first: u8,
    last: u8,
    second_last: u8,
    place: u8,
    street: u8,
    number: u16,
    cep_suffix: u16,
    cpf: u64,
}

/// One sale and its money, in centavos.
struct Sale {
    number: u64,
    time: NaiveDateTime,
    status: Status,
    claim: Claim,
    product: u8,
    units: u8,
    /// Extra product lines of a split sale: (product, units).
    extra: Vec<(u8, u8)>,
    pack: bool,
    from_ads: bool,
    receita: i64,
    /// Receita por acréscimo no preço: the installment surcharge the buyer paid.
    acrescimo: i64,
    /// Taxa de parcelamento equivalente ao acréscimo (negative).
    parcelamento: i64,
    tarifa: i64,
    /// The sale fee Mercado Livre computes for the sale (negative), shown or not.
    fee: i64,
    receita_envio: i64,
    tarifas_envio: i64,
    /// Custo de envio por troca de produto (negative; XLSX only).
    troca: i64,
    /// Custo de envio com base nas medidas e peso declarados (negative).
    declarado: i64,
    /// Custo por diferenças nas medidas e no peso do pacote (negative).
    diferenca: i64,
    descontos: i64,
    cancel: i64,
    /// The deliberate 0.01 difference between Total and the sum.
    glitch: bool,
    buyer: Buyer,
    ship_mode: u8,
    tracking: u64,
    delivery_days: u8,
    nfe: bool,
}

/// Writes the seller's Vendas export: an XLSX for the `rio-casa` profile,
/// the older CSV form otherwise.
pub fn write(ws: &Workspace, seller: &Seller) -> io::Result<GenerateSummary> {
    let xlsx = seller.profile == Profile::RioCasa;
    let catalog = if xlsx { RIO_ML } else { ACME_ML };
    let mut rng = seller.rng_for(ws.seed, Purpose::MercadoLivre, ws.period);
    let mut sales = generate_sales(ws, catalog, &mut rng);
    add_money_details(&mut sales, xlsx, &mut seller.rng_for(ws.seed, Purpose::MercadoLivreMoney, ws.period));
    if xlsx {
        // The one deliberate glitch: a delivered single-line sale of the
        // period whose Total (BRL) is 0.01 above its money columns' sum.
        let candidates: Vec<usize> = (0..sales.len())
            .filter(|&i| {
                let s = &sales[i];
                s.status == Status::Delivered && s.extra.is_empty() && ws.period.contains(s.time.date())
            })
            .collect();
        if !candidates.is_empty() {
            let i = candidates[index(&mut rng, candidates.len())];
            sales[i].glitch = true;
        }
    }
    let rows: u64 = sales.iter().map(|s| 1 + s.extra.len() as u64).sum();
    let dir = ws.exports_dir(seller);
    let export_day = ws.period.next().first_day();
    let mut summary = if xlsx {
        let mut workbook = write_xlsx(ws, catalog, &sales)?;
        let name = format!("Vendas_BR_{export_day}_09-15hs_{}.xlsx", between(&mut rng, 1_000_000_000, 9_999_999_999));
        ws.write_xlsx(&format!("{dir}/{name}"), rows, &mut workbook)?
    } else {
        let month = PT_MONTHS[ws.period.month() as usize - 1];
        let name = format!("Vendas_BR_{month}_{}.csv", ws.period.year());
        ws.write_text(&format!("{dir}/{name}"), rows, |w| write_csv(w, catalog, &sales))?
    };
    summary.add(ads::write(
        ws,
        &dir,
        catalog,
        &sales,
        &mut seller.rng_for(ws.seed, Purpose::MercadoLivreAds, ws.period),
    )?);
    Ok(summary.with_truth(ws.period, seller, "mercadolivre_br", truth(ws.period, &sales)))
}

/// The period's sales (São Paulo days) as counts: every sale placed, the
/// cancelled ones (never shipped), the units of the others, and the units
/// of the refunded ones' returns (a refunded sale's return carries its
/// first line's units, as [`layout`] writes its Devoluções block).
fn truth(period: kpiseal::period::Period, sales: &[Sale]) -> Truth {
    let mut t = Truth::default();
    for s in sales.iter().filter(|s| period.contains(s.time.date())) {
        t.orders_placed += 1;
        if s.status.cancelled() {
            t.orders_cancelled += 1;
            continue;
        }
        t.units_sold += i64::from(s.units) + s.extra.iter().map(|&(_, units)| i64::from(units)).sum::<i64>();
        if s.status.refunded() {
            t.units_returned += i64::from(s.units);
        }
    }
    t
}

fn weighted(rng: &mut super::Gen, catalog: &[MlProduct]) -> u8 {
    let total: u32 = catalog.iter().map(|p| p.weight).sum();
    let mut x = between(rng, 0, i64::from(total) - 1) as u32;
    for (i, p) in catalog.iter().enumerate() {
        if x < p.weight {
            return i as u8;
        }
        x -= p.weight;
    }
    0
}

/// A CPF-shaped number whose second check digit is deliberately wrong, so no
/// generated buyer can be a real taxpayer.
fn fake_cpf(rng: &mut super::Gen) -> u64 {
    let base = between(rng, 100_000_000, 999_999_999) as u64;
    let digits: Vec<u64> = (0..9).rev().map(|k| base / 10u64.pow(k) % 10).collect();
    let check = |ds: &[u64]| {
        let n = ds.len() as u64 + 1;
        let s: u64 = ds.iter().enumerate().map(|(i, d)| d * (n - i as u64)).sum();
        let r = s * 10 % 11;
        if r == 10 { 0 } else { r }
    };
    let d1 = check(&digits);
    let mut with_d1 = digits.clone();
    with_d1.push(d1);
    let d2 = (check(&with_d1) + 1) % 10;
    base * 100 + d1 * 10 + d2
}

fn generate_sales(ws: &Workspace, catalog: &[MlProduct], rng: &mut super::Gen) -> Vec<Sale> {
    let period = ws.period;
    let first = add_days(period.first_day(), -4);
    let last = period.next().first_day();
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let weights: Vec<u64> = days.iter().map(|_| between(rng, 85, 115) as u64).collect();
    let in_period: Vec<usize> = (0..days.len()).filter(|&i| period.contains(days[i])).collect();
    let period_weights: Vec<u64> = in_period.iter().map(|&i| weights[i]).collect();
    let counts = allocate(ws.orders, &period_weights);
    let sum_w: u64 = period_weights.iter().sum::<u64>().max(1);

    let mut sales: Vec<Sale> = Vec::with_capacity(ws.orders + ws.orders / 5);
    let mut number = between(rng, 2_000_009_000_000_000, 2_000_009_500_000_000) as u64;
    let mut times: Vec<u32> = Vec::new();
    for (di, &day) in days.iter().enumerate() {
        let count = match in_period.iter().position(|&i| i == di) {
            Some(p) => counts[p],
            None => {
                let scaled = ws.orders as u64 * weights[di];
                (scaled / sum_w) as usize + usize::from(chance(rng, ((scaled % sum_w) * 1000 / sum_w) as u32))
            }
        };
        // The export is pulled at 09:15 on the day after the period.
        let day_end = if day == last { 9 * 3600 } else { 86_400 };
        times.clear();
        times.extend((0..count).map(|_| between(rng, 0, day_end - 1) as u32));
        // Sales a minute either side of midnight at the end of the period.
        if day == period.last_day() && !times.is_empty() {
            times[0] = 23 * 3600 + 58 * 60 + 10;
        }
        if day == last && !times.is_empty() {
            times[0] = 3 * 60 + 20;
        }
        times.sort_unstable();
        let day_start = sales.len();
        for (k, &secs) in times.iter().enumerate() {
            let time = day.and_hms_opt(secs / 3600, secs / 60 % 60, secs % 60).expect("valid time");
            number += between(rng, 100_000, 3_000_000) as u64;
            // At least one split sale per file: the first of the period's 15th day.
            let force_split = k == 0 && day == add_days(period.first_day(), 14);
            sales.push(new_sale(rng, catalog, period, day, last, time, number, force_split));
        }
        // Carts of two sales shipped together: same buyer and time, own money.
        let mut k = day_start;
        while k + 1 < sales.len() {
            if chance(rng, 30) {
                sales[k].pack = true;
                sales[k + 1].pack = true;
                sales[k + 1].time = sales[k].time;
                sales[k + 1].buyer = sales[k].buyer;
                k += 2;
            } else {
                k += 1;
            }
        }
    }
    sales.reverse();
    sales
}

#[allow(clippy::too_many_arguments)]
fn new_sale(
    rng: &mut super::Gen,
    catalog: &[MlProduct],
    period: kpiseal::period::Period,
    day: NaiveDate,
    last: NaiveDate,
    time: NaiveDateTime,
    number: u64,
    force_split: bool,
) -> Sale {
    let product = weighted(rng, catalog);
    let p = &catalog[product as usize];
    let units: u8 = match between(rng, 0, 99) {
        0..=84 => 1,
        85..=96 => 2,
        _ => 3,
    };
    let status = if force_split {
        Status::Delivered
    } else if day == last {
        Status::ReadyToShip
    } else if day >= add_days(period.last_day(), -1) && chance(rng, 600) {
        Status::InTransit
    } else {
        match between(rng, 0, 999) {
            0..=17 => Status::CancelledByBuyer,
            18..=29 => Status::CancelledDoNotShip,
            30..=37 => Status::CancelledByMl,
            38..=45 => Status::RefundedAfterClaim,
            46..=60 => Status::Refunded,
            _ => Status::Delivered,
        }
    };
    let claim = match status {
        Status::RefundedAfterClaim => Claim::ClosedWithRefund,
        Status::Delivered if !force_split && chance(rng, 10) => {
            if chance(rng, 500) {
                Claim::Mediation
            } else {
                Claim::Open
            }
        }
        _ => Claim::None,
    };
    let mut extra = Vec::new();
    if force_split || (matches!(status, Status::Delivered | Status::InTransit) && chance(rng, 20)) {
        for _ in 0..between(rng, 1, 2) {
            extra.push((weighted(rng, catalog), 1u8));
        }
    }
    let receita =
        p.price * i64::from(units) + extra.iter().map(|&(q, u)| catalog[q as usize].price * i64::from(u)).sum::<i64>();
    let rate = if p.premium { 165 } else { 115 };
    let fixed = if p.price < 7900 { 625 * i64::from(units) } else { 0 };
    let fee = -(div_round(receita * rate, 1000) + fixed);
    let mut tarifa = fee;
    let (mut receita_envio, mut tarifas_envio) = if p.price < 7900 || p.shipping_cost == 0 {
        let paid = between(rng, 1590, 2490);
        (paid, -paid)
    } else {
        (0, -p.shipping_cost)
    };
    let mut descontos = if chance(rng, 80) { between(rng, 300, 2500) } else { 0 };
    let mut cancel = 0;
    if status.cancelled() {
        tarifa = 0;
        receita_envio = 0;
        descontos = 0;
        // A package Mercado Livre cancels after the label was bought still
        // costs the seller the label.
        tarifas_envio = if status == Status::CancelledByMl { -between(rng, 400, 900) } else { 0 };
        cancel = -receita;
    } else if status.refunded() {
        // The buyer gets product and shipping back, the seller its tarifa;
        // the outbound shipping is lost.
        descontos = 0;
        cancel = -(receita + receita_envio + tarifa);
    }
    let place = index(rng, PLACES.len()) as u8;
    Sale {
        number,
        time,
        status,
        claim,
        product,
        units,
        extra,
        pack: false,
        from_ads: chance(rng, 200),
        receita,
        acrescimo: 0,
        parcelamento: 0,
        tarifa,
        fee,
        receita_envio,
        tarifas_envio,
        troca: 0,
        declarado: 0,
        diferenca: 0,
        descontos,
        cancel,
        glitch: false,
        buyer: Buyer {
            first: index(rng, FIRST_NAMES.len()) as u8,
            last: index(rng, LAST_NAMES.len()) as u8,
            second_last: index(rng, LAST_NAMES.len()) as u8,
            place,
            street: index(rng, STREETS.len()) as u8,
            number: between(rng, 10, 2999) as u16,
            cep_suffix: between(rng, 0, 999) as u16,
            cpf: fake_cpf(rng),
        },
        ship_mode: match between(rng, 0, 99) {
            0..=59 => 0,
            60..=74 => 1,
            _ => 2,
        },
        tracking: between(rng, 10_000_000_000, 99_999_999_999) as u64,
        delivery_days: between(rng, 1, 5) as u8,
        nfe: chance(rng, 300),
    }
}

/// Fills the money columns beyond the first six, from their own stream
/// (`rng`), and settles `Cancelamentos e reembolsos` for them: see the module
/// documentation. `xlsx`: whether the export has Custo de envio por troca de
/// produto.
fn add_money_details(sales: &mut [Sale], xlsx: bool, rng: &mut Gen) {
    for s in sales.iter_mut() {
        let (installments, declared, difference, exchange) =
            (chance(rng, 70), chance(rng, 300), chance(rng, 400), chance(rng, 10));
        let surcharge_permille = between(rng, 40, 140);
        let difference_cost = between(rng, 150, 900);
        let exchange_cost = between(rng, 1200, 2600);
        if s.status.cancelled() {
            if s.status == Status::CancelledByBuyer {
                // The fee was charged when the buyer paid, and given back.
                s.tarifa = s.fee;
                s.cancel = -s.receita - s.fee;
            }
            continue;
        }
        if installments {
            s.acrescimo = div_round(s.receita * surcharge_permille, 1000);
            s.parcelamento = -s.acrescimo;
        }
        if declared && s.ship_mode == 2 && s.tarifas_envio < 0 && s.receita_envio == 0 {
            s.declarado = s.tarifas_envio;
            s.tarifas_envio = 0;
            if difference {
                s.diferenca = -difference_cost;
            }
        }
        if exchange && xlsx && s.status == Status::Delivered {
            s.troca = -exchange_cost;
        }
        if s.status.refunded() {
            // The buyer gets back what they paid; the seller its sale and
            // installment fees.
            s.cancel = -(s.receita + s.acrescimo + s.receita_envio + s.tarifa + s.parcelamento);
        }
    }
}

impl Sale {
    fn total(&self) -> i64 {
        self.receita
            + self.acrescimo
            + self.parcelamento
            + self.tarifa
            + self.receita_envio
            + self.tarifas_envio
            + self.troca
            + self.declarado
            + self.diferenca
            + self.descontos
            + self.cancel
            + i64::from(self.glitch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_cpfs_never_pass_the_check_digit_test() {
        let mut rng = super::super::rng(7, 99);
        for _ in 0..500 {
            let cpf = fake_cpf(&mut rng);
            let digits: Vec<u64> = (0..11).rev().map(|k| cpf / 10u64.pow(k) % 10).collect();
            let check = |n: usize| {
                let s: u64 = digits[..n].iter().enumerate().map(|(i, d)| d * (n as u64 + 1 - i as u64)).sum();
                let r = s * 10 % 11;
                if r == 10 { 0 } else { r }
            };
            assert_eq!(digits[9], check(9));
            assert_ne!(digits[10], check(10));
        }
    }
}
