//! Mercado Livre "Vendas" exports: the XLSX (`rio-casa` profile, sheet
//! "Vendas BR", title and merged group headers above the header row) and the
//! older CSV (`acme-home` profile: `;`, decimal comma, UTF-8 BOM, no "(BRL)"
//! suffixes, a title line above the header).
//!
//! One row per sale, newest first, dated in São Paulo time, from four days
//! before the period through the first day after it. The money columns
//! (Receita por produtos … Cancelamentos e reembolsos) sum to Total on every
//! row — except ONE row of the XLSX, whose Total is 0.01 above the sum on
//! purpose: real exports carry such rounding glitches, and the
//! reconciliation check must surface it rather than trust either figure.
//! Multi-product carts ("Pacote de diversos produtos" = Sim) keep their own
//! money; a few sales are split over several lines, with every amount on the
//! first line and blank money on the others.

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use super::data::{ACME_ML, FIRST_NAMES, LAST_NAMES, MlProduct, PLACES, RIO_ML, STREETS};
use super::text::{CentsComma, PT_MONTHS, PtDateTime};
use super::{
    GenerateSummary, Profile, Purpose, Seller, Workspace, add_days, allocate, between, chance, div_round, index,
};

/// The header row, left to right; later blocks repeat some names.
pub(super) const HEADERS: [&str; 63] = [
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
    "Custo de envio com base nas medidas e peso declarados",
    "Cobrança por diferenças nas medidas e no peso do pacote",
    "Descontos e bônus",
    "Cancelamentos e reembolsos (BRL)",
    "Total (BRL)",
    "Mês de faturamento das suas tarifas",
    "Venda por publicidade",
    "SKU",
    "# de anúncio",
    "Canal de venda",
    "Título do anúncio",
    "Variação",
    "Preço unitário de venda do anúncio (BRL)",
    "Tipo de anúncio",
    "NF-e em anexo",
    "Dados pessoais ou da empresa",
    "Tipo e número do documento",
    "Endereço",
    "Tipo de contribuinte",
    "Inscrição estadual",
    "Comprador",
    "Negócio",
    "CPF",
    "Endereço",
    "Cidade",
    "Estado",
    "CEP",
    "País",
    "Forma de entrega",
    "Data a caminho",
    "Data de entrega",
    "Motorista",
    "Número de rastreamento",
    "URL de acompanhamento",
    "Unidades",
    "Forma de entrega",
    "Data a caminho",
    "Data de entrega",
    "Motorista",
    "Número de rastreamento",
    "URL de acompanhamento",
    "Revisado pelo Mercado Livre",
    "Data de revisão",
    "Dinheiro a favor",
    "Resultado",
    "Destino",
    "Motivo do resultado",
    "Unidades",
    "Reclamação aberta",
    "Reclamação encerrada",
    "Em mediação",
];

/// Group headers of the XLSX's second row, over these column spans.
const GROUPS: [(&str, u16, u16); 7] = [
    ("Vendas", 0, 18),
    ("Anúncios", 19, 25),
    ("Faturamento ao comprador", 26, 31),
    ("Compradores", 32, 39),
    ("Envios", 40, 45),
    ("Devoluções", 46, 58),
    ("Reclamações", 59, 62),
];

const SALE: usize = 0;
const DATE: usize = 1;
const STATUS: usize = 2;
const STATUS_DESC: usize = 3;
const PACK: usize = 4;
const UNITS: usize = 5;
/// First and last of the money columns that sum to [`TOTAL`].
#[cfg(test)]
pub(super) const MONEY_FIRST: usize = 6;
#[cfg(test)]
pub(super) const MONEY_LAST: usize = 15;
const RECEITA: usize = 6;
const ACRESCIMO: usize = 7;
const PARCELAMENTO: usize = 8;
const TARIFA: usize = 9;
const RECEITA_ENVIO: usize = 10;
const TARIFAS_ENVIO: usize = 11;
const DESCONTOS: usize = 14;
const CANCEL: usize = 15;
pub(super) const TOTAL: usize = 16;
const BILLING_MONTH: usize = 17;
const FROM_ADS: usize = 18;
const SKU: usize = 19;
const LISTING: usize = 20;
const CHANNEL: usize = 21;
const TITLE: usize = 22;
const VARIATION: usize = 23;
const UNIT_PRICE: usize = 24;
const LISTING_TYPE: usize = 25;
const NFE: usize = 26;
const BILL_NAME: usize = 27;
const BILL_DOC: usize = 28;
const BILL_ADDRESS: usize = 29;
const BUYER: usize = 32;
const CPF: usize = 34;
const ADDRESS: usize = 35;
const CITY: usize = 36;
const STATE: usize = 37;
const CEP: usize = 38;
const COUNTRY: usize = 39;
const SHIP_MODE: usize = 40;
const SHIP_OUT: usize = 41;
const SHIP_DELIVERED: usize = 42;
const DRIVER: usize = 43;
const TRACKING: usize = 44;
const RET_UNITS: usize = 46;
const RET_MODE: usize = 47;
const RET_OUT: usize = 48;
const RET_DELIVERED: usize = 49;
const RET_TRACKING: usize = 51;
const REVIEWED: usize = 53;
const REVIEW_DATE: usize = 54;
const MONEY_TO: usize = 55;
const RESULT: usize = 56;
const DESTINATION: usize = 57;
const RESULT_REASON: usize = 58;
const CLAIM_UNITS: usize = 59;
const CLAIM_OPEN: usize = 60;
const CLAIM_CLOSED: usize = 61;
const MEDIATION: usize = 62;

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
    tarifa: i64,
    receita_envio: i64,
    tarifas_envio: i64,
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

const SHIP_MODES: [&str; 3] = ["Mercado Envios Full", "Mercado Envios Flex", "Correios e pontos de envio"];
const RETURN_REASONS: [&str; 4] =
    ["Produto com defeito", "Produto diferente do anunciado", "Chegou danificado", "Desistiu da compra"];

/// Writes the seller's Vendas export: an XLSX for the `rio-casa` profile,
/// the older CSV form otherwise.
pub fn write(ws: &Workspace, seller: &Seller) -> io::Result<GenerateSummary> {
    let xlsx = seller.profile == Profile::RioCasa;
    let catalog = if xlsx { RIO_ML } else { ACME_ML };
    let mut rng = seller.rng(ws.seed, Purpose::MercadoLivre);
    let mut sales = generate_sales(ws, catalog, &mut rng);
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
    if xlsx {
        let mut workbook = write_xlsx(ws, catalog, &sales)?;
        let name = format!("Vendas_BR_{export_day}_09-15hs_{}.xlsx", between(&mut rng, 1_000_000_000, 9_999_999_999));
        ws.write_xlsx(&format!("{dir}/{name}"), rows, &mut workbook)
    } else {
        let month = PT_MONTHS[ws.period.month() as usize - 1];
        let name = format!("Vendas_BR_{month}_{}.csv", ws.period.year());
        ws.write_text(&format!("{dir}/{name}"), rows, |w| write_csv(w, catalog, &sales))
    }
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
    period: crate::period::Period,
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
    let mut tarifa = -(div_round(receita * rate, 1000) + fixed);
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
        tarifa,
        receita_envio,
        tarifas_envio,
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

impl Sale {
    fn total(&self) -> i64 {
        self.receita
            + self.tarifa
            + self.receita_envio
            + self.tarifas_envio
            + self.descontos
            + self.cancel
            + i64::from(self.glitch)
    }
}

/// One row being assembled: text cells, or numbers for the XLSX. In CSV
/// mode numbers are printed straight into the text with a decimal comma.
struct RowBuf {
    text: Vec<String>,
    numbers: Vec<Option<f64>>,
    csv: bool,
}

impl RowBuf {
    fn new(csv: bool) -> RowBuf {
        RowBuf { text: vec![String::new(); HEADERS.len()], numbers: vec![None; HEADERS.len()], csv }
    }

    fn clear(&mut self) {
        self.text.iter_mut().for_each(String::clear);
        self.numbers.iter_mut().for_each(|n| *n = None);
    }

    fn set(&mut self, col: usize, value: impl fmt::Display) {
        let _ = write!(self.text[col], "{value}");
    }

    fn money(&mut self, col: usize, cents: i64) {
        if self.csv {
            self.set(col, CentsComma(cents));
        } else {
            // XLSX stores numbers as floats: the cents become f64 only here.
            self.numbers[col] = Some(cents as f64 / 100.0);
        }
    }

    fn count(&mut self, col: usize, n: u8) {
        if self.csv {
            self.set(col, n);
        } else {
            self.numbers[col] = Some(f64::from(n));
        }
    }
}

/// `23 de outubro de 2026 14:05 hs.` for a later event of the sale.
fn later(time: NaiveDateTime, days: i64, hour: u32, minute: u32) -> PtDateTime {
    PtDateTime(add_days(time.date(), days).and_hms_opt(hour, minute, 0).expect("valid time"))
}

fn product_cells(row: &mut RowBuf, p: &MlProduct) {
    row.set(SKU, p.sku);
    row.set(LISTING, p.listing);
    row.set(CHANNEL, "Mercado Livre");
    row.set(TITLE, p.title);
    row.set(VARIATION, p.variation);
    row.money(UNIT_PRICE, p.price);
    row.set(LISTING_TYPE, if p.premium { "Premium" } else { "Clássico" });
}

/// Fills the first (or only) row of a sale.
fn fill_sale(row: &mut RowBuf, catalog: &[MlProduct], s: &Sale) {
    let p = &catalog[s.product as usize];
    let b = &s.buyer;
    row.set(SALE, s.number);
    row.set(DATE, PtDateTime(s.time));
    row.set(STATUS, s.status.text());
    let delivered = add_days(s.time.date(), 1 + i64::from(s.delivery_days));
    let month = PT_MONTHS[delivered.month0() as usize];
    match s.status {
        Status::Delivered if s.claim != Claim::None => row.set(STATUS_DESC, "O comprador abriu uma reclamação."),
        Status::Delivered => row.set(STATUS_DESC, format_args!("Chegou no dia {} de {month}.", delivered.day())),
        Status::InTransit => row.set(STATUS_DESC, format_args!("Chegará no dia {} de {month}.", delivered.day())),
        Status::ReadyToShip => row.set(STATUS_DESC, "Você deve despachar o pacote até amanhã."),
        Status::CancelledByBuyer => row.set(STATUS_DESC, "O comprador cancelou a compra antes do envio."),
        Status::CancelledDoNotShip => row.set(STATUS_DESC, "A venda foi cancelada. Não envie o produto."),
        Status::CancelledByMl => row.set(STATUS_DESC, "Cancelamos o pacote porque não chegou à nossa central a tempo."),
        Status::RefundedAfterClaim => row.set(STATUS_DESC, "A reclamação foi encerrada e devolvemos o dinheiro."),
        Status::Refunded => row.set(STATUS_DESC, "Devolvemos o dinheiro após a devolução do produto."),
    }
    row.set(PACK, if s.pack { "Sim" } else { "Não" });
    row.count(UNITS, s.units);
    row.money(RECEITA, s.receita);
    row.money(ACRESCIMO, 0);
    row.money(PARCELAMENTO, 0);
    row.money(TARIFA, s.tarifa);
    row.money(RECEITA_ENVIO, s.receita_envio);
    row.money(TARIFAS_ENVIO, s.tarifas_envio);
    row.money(DESCONTOS, s.descontos);
    row.money(CANCEL, s.cancel);
    row.money(TOTAL, s.total());
    row.set(BILLING_MONTH, format_args!("{} {}", PT_MONTHS[s.time.month0() as usize], s.time.year()));
    row.set(FROM_ADS, if s.from_ads { "Sim" } else { "Não" });
    product_cells(row, p);

    let place = &PLACES[b.place as usize];
    let name = format_args!(
        "{} {} {}",
        FIRST_NAMES[b.first as usize], LAST_NAMES[b.second_last as usize], LAST_NAMES[b.last as usize]
    );
    let cpf = b.cpf;
    row.set(NFE, if s.nfe { "Sim" } else { "Não" });
    row.set(BILL_NAME, name);
    row.set(
        BILL_DOC,
        format_args!(
            "CPF {:03}.{:03}.{:03}-{:02}",
            cpf / 100_000_000,
            cpf / 100_000 % 1000,
            cpf / 100 % 1000,
            cpf % 100
        ),
    );
    row.set(BILL_ADDRESS, format_args!("{} {}, {}, {}", STREETS[b.street as usize], b.number, place.city, place.state));
    row.set(BUYER, name);
    row.set(CPF, format_args!("{cpf:011}"));
    row.set(ADDRESS, format_args!("{} {}", STREETS[b.street as usize], b.number));
    row.set(CITY, place.city);
    row.set(STATE, place.state);
    row.set(CEP, format_args!("{}-{:03}", place.cep, b.cep_suffix));
    row.set(COUNTRY, "Brasil");

    row.set(SHIP_MODE, SHIP_MODES[s.ship_mode as usize]);
    if s.status.shipped() {
        row.set(SHIP_OUT, later(s.time, 1, 10, 12));
        if s.status != Status::InTransit {
            row.set(SHIP_DELIVERED, later(s.time, 1 + i64::from(s.delivery_days), 15, 40));
        }
        if s.ship_mode == 1 {
            row.set(DRIVER, format_args!("{} {}", FIRST_NAMES[b.last as usize % FIRST_NAMES.len()], "M."));
        }
        if s.ship_mode == 2 {
            row.set(TRACKING, format_args!("QB{:09}BR", s.tracking % 1_000_000_000));
        } else {
            row.set(TRACKING, format_args!("4{:010}", s.tracking % 10_000_000_000));
        }
    }

    if s.status.refunded() {
        let back = 1 + i64::from(s.delivery_days) + 4;
        row.count(RET_UNITS, s.units);
        row.set(RET_MODE, SHIP_MODES[2]);
        row.set(RET_OUT, later(s.time, back, 11, 30));
        row.set(RET_DELIVERED, later(s.time, back + 3, 14, 5));
        row.set(RET_TRACKING, format_args!("QR{:09}BR", (s.tracking / 7) % 1_000_000_000));
        let reviewed = s.status == Status::RefundedAfterClaim;
        row.set(REVIEWED, if reviewed { "Sim" } else { "Não" });
        if reviewed {
            row.set(REVIEW_DATE, later(s.time, back + 4, 9, 0));
        }
        row.set(MONEY_TO, "Comprador");
        row.set(RESULT, "Reembolso para o comprador");
        row.set(DESTINATION, "Vendedor");
        row.set(RESULT_REASON, RETURN_REASONS[(s.tracking % RETURN_REASONS.len() as u64) as usize]);
    }

    if s.claim != Claim::None {
        row.count(CLAIM_UNITS, s.units);
        row.set(CLAIM_OPEN, "Sim");
        row.set(CLAIM_CLOSED, if s.claim == Claim::ClosedWithRefund { "Sim" } else { "Não" });
        row.set(MEDIATION, if s.claim == Claim::Mediation { "Sim" } else { "Não" });
    }
}

/// Fills an extra product line of a split sale: sale number (or blank),
/// product and units; money left blank.
fn fill_extra(row: &mut RowBuf, catalog: &[MlProduct], s: &Sale, k: usize) {
    let (product, units) = s.extra[k];
    if (s.number + k as u64) % 2 == 0 {
        row.set(SALE, s.number);
    }
    row.count(UNITS, units);
    product_cells(row, &catalog[product as usize]);
}

fn for_each_row(
    catalog: &[MlProduct],
    sales: &[Sale],
    csv: bool,
    mut f: impl FnMut(&RowBuf) -> io::Result<()>,
) -> io::Result<()> {
    let mut row = RowBuf::new(csv);
    for s in sales {
        row.clear();
        fill_sale(&mut row, catalog, s);
        f(&row)?;
        for k in 0..s.extra.len() {
            row.clear();
            fill_extra(&mut row, catalog, s, k);
            f(&row)?;
        }
    }
    Ok(())
}

fn write_xlsx(ws: &Workspace, catalog: &[MlProduct], sales: &[Sale]) -> io::Result<Workbook> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let x = io::Error::other;
    sheet.set_name("Vendas BR").map_err(x)?;
    let bold = Format::new().set_bold();
    let group = Format::new().set_bold().set_align(FormatAlign::Center);
    sheet.write_string_with_format(0, 0, "Vendas", &bold).map_err(x)?;
    for (name, first, last) in GROUPS {
        sheet.merge_range(1, first, 1, last, name, &group).map_err(x)?;
    }
    let first = ws.period.first_day();
    sheet
        .write_string(
            2,
            0,
            format!(
                "Vendas de {} de {} a {} de {} de {}. Valores em reais (R$).",
                add_days(first, -4).day(),
                PT_MONTHS[add_days(first, -4).month0() as usize],
                ws.period.next().first_day().day(),
                PT_MONTHS[ws.period.next().first_day().month0() as usize],
                ws.period.next().first_day().year()
            ),
        )
        .map_err(x)?;
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(3, c as u16, *h, &bold).map_err(x)?;
    }
    let mut r = 4u32;
    for_each_row(catalog, sales, false, |row| {
        for c in 0..HEADERS.len() {
            let col = c as u16;
            if let Some(n) = row.numbers[c] {
                sheet.write_number(r, col, n).map_err(x)?;
            } else if !row.text[c].is_empty() {
                sheet.write_string(r, col, &row.text[c]).map_err(x)?;
            }
        }
        r += 1;
        Ok(())
    })?;
    Ok(workbook)
}

/// The older CSV form: BOM, a title line, `;`, decimal comma, CRLF, and
/// headers without the "(BRL)" suffix.
fn write_csv(w: &mut impl Write, catalog: &[MlProduct], sales: &[Sale]) -> io::Result<()> {
    w.write_all("\u{feff}Vendas\r\n".as_bytes())?;
    let mut out = csv::WriterBuilder::new().delimiter(b';').terminator(csv::Terminator::CRLF).from_writer(w);
    out.write_record(HEADERS.iter().map(|h| h.trim_end_matches(" (BRL)")))?;
    for_each_row(catalog, sales, true, |row| {
        out.write_record(&row.text)?;
        Ok(())
    })?;
    out.flush()
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
