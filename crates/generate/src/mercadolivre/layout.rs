//! The Vendas table: its 64 columns (some names repeat in later blocks),
//! how a sale becomes one or more rows, and the two files it is written to
//! (an XLSX with a title, merged group headers and a note above the header
//! row; the older `;` CSV with decimal comma, BOM and a title line, which
//! lacks "Custo de envio por troca de produto").

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use chrono::{Datelike, NaiveDateTime};
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use super::{Claim, Sale, Status};
use crate::data::{FIRST_NAMES, LAST_NAMES, MlProduct, PLACES, STREETS};
use crate::text::{CentsComma, PT_MONTHS, PtDateTime};
use crate::{Workspace, add_days};

/// The header row, left to right; later blocks repeat some names.
pub(crate) const HEADERS: [&str; 64] = [
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
    ("Vendas", 0, 19),
    ("Anúncios", 20, 26),
    ("Faturamento ao comprador", 27, 32),
    ("Compradores", 33, 40),
    ("Envios", 41, 46),
    ("Devoluções", 47, 59),
    ("Reclamações", 60, 63),
];

const SALE: usize = 0;
const DATE: usize = 1;
const STATUS: usize = 2;
const STATUS_DESC: usize = 3;
const PACK: usize = 4;
const UNITS: usize = 5;
const RECEITA: usize = 6;
const ACRESCIMO: usize = 7;
const PARCELAMENTO: usize = 8;
const TARIFA: usize = 9;
const RECEITA_ENVIO: usize = 10;
const TARIFAS_ENVIO: usize = 11;
/// Custo de envio por troca de produto: not in the older CSV form.
const TROCA: usize = 12;
const DECLARADO: usize = 13;
const DIFERENCA: usize = 14;
const DESCONTOS: usize = 15;
const CANCEL: usize = 16;
const TOTAL: usize = 17;
const BILLING_MONTH: usize = 18;
const FROM_ADS: usize = 19;
const SKU: usize = 20;
const LISTING: usize = 21;
const CHANNEL: usize = 22;
const TITLE: usize = 23;
const VARIATION: usize = 24;
const UNIT_PRICE: usize = 25;
const LISTING_TYPE: usize = 26;
const NFE: usize = 27;
const BILL_NAME: usize = 28;
const BILL_DOC: usize = 29;
const BILL_ADDRESS: usize = 30;
const BUYER: usize = 33;
const CPF: usize = 35;
const ADDRESS: usize = 36;
const CITY: usize = 37;
const STATE: usize = 38;
const CEP: usize = 39;
const COUNTRY: usize = 40;
const SHIP_MODE: usize = 41;
const SHIP_OUT: usize = 42;
const SHIP_DELIVERED: usize = 43;
const DRIVER: usize = 44;
const TRACKING: usize = 45;
const RET_UNITS: usize = 47;
const RET_MODE: usize = 48;
const RET_OUT: usize = 49;
const RET_DELIVERED: usize = 50;
const RET_TRACKING: usize = 52;
const REVIEWED: usize = 54;
const REVIEW_DATE: usize = 55;
const MONEY_TO: usize = 56;
const RESULT: usize = 57;
const DESTINATION: usize = 58;
const RESULT_REASON: usize = 59;
const CLAIM_UNITS: usize = 60;
const CLAIM_OPEN: usize = 61;
const CLAIM_CLOSED: usize = 62;
const MEDIATION: usize = 63;

const SHIP_MODES: [&str; 3] = ["Mercado Envios Full", "Mercado Envios Flex", "Correios e pontos de envio"];
const RETURN_REASONS: [&str; 4] =
    ["Produto com defeito", "Produto diferente do anunciado", "Chegou danificado", "Desistiu da compra"];

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
    row.money(ACRESCIMO, s.acrescimo);
    row.money(PARCELAMENTO, s.parcelamento);
    row.money(TARIFA, s.tarifa);
    row.money(RECEITA_ENVIO, s.receita_envio);
    row.money(TARIFAS_ENVIO, s.tarifas_envio);
    // Shipping by exchange, declared measures and size difference: blank
    // unless charged.
    for (col, cents) in [(TROCA, s.troca), (DECLARADO, s.declarado), (DIFERENCA, s.diferenca)] {
        if cents != 0 {
            row.money(col, cents);
        }
    }
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
    if (s.number + k as u64).is_multiple_of(2) {
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

pub(super) fn write_xlsx(ws: &Workspace, catalog: &[MlProduct], sales: &[Sale]) -> io::Result<Workbook> {
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

/// The older CSV form: BOM, a title line, `;`, decimal comma, CRLF,
/// headers without the "(BRL)" suffix, and no "Custo de envio por troca de
/// produto" column (the generator puts no exchange cost in it).
pub(super) fn write_csv(w: &mut impl Write, catalog: &[MlProduct], sales: &[Sale]) -> io::Result<()> {
    w.write_all("\u{feff}Vendas\r\n".as_bytes())?;
    let mut out = csv::WriterBuilder::new().delimiter(b';').terminator(csv::Terminator::CRLF).from_writer(w);
    out.write_record(
        HEADERS.iter().enumerate().filter(|(c, _)| *c != TROCA).map(|(_, h)| h.trim_end_matches(" (BRL)")),
    )?;
    for_each_row(catalog, sales, true, |row| {
        out.write_record(row.text.iter().enumerate().filter(|(c, _)| *c != TROCA).map(|(_, t)| t))?;
        Ok(())
    })?;
    out.flush()
}
