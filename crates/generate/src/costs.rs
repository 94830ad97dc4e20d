//! The pass-through cost ledger, `costs/<P>/<seller>.csv`: 8–20 costs the
//! provider paid on the seller's behalf during the period, in the currency
//! each vendor invoiced (USD ads and freight, BRL import taxes, CNY
//! certification and warehousing), each with its invoice number and, for
//! most, an evidence file name.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io;

use chrono::{Datelike, NaiveDate};

use super::data::{ACME_COSTS, CostTemplate, InvoiceStyle, RIO_COSTS, SUNNY_COSTS};
use super::text::{Cents, Ymd};
use super::{Gen, GenerateSummary, Profile, Purpose, Seller, Workspace, add_days, between, chance, index};

struct CostLine {
    date: NaiveDate,
    template: &'static CostTemplate,
    amount: i64,
    invoice: String,
    evidence: String,
}

/// Writes the seller's cost ledger.
pub fn write(ws: &Workspace, seller: &Seller) -> io::Result<GenerateSummary> {
    let templates: &'static [CostTemplate] = match seller.profile {
        Profile::AcmeHome => ACME_COSTS,
        Profile::SunnyGadgets => SUNNY_COSTS,
        Profile::RioCasa | Profile::LojaMix => RIO_COSTS,
    };
    // Each month bills its own invoices.
    let mut rng = seller.rng_for(ws.seed, Purpose::Costs, ws.period);
    let n = between(&mut rng, 8, 20) as usize;
    // Every template once, in random order, then random repeats.
    let mut order: Vec<usize> = (0..templates.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, index(&mut rng, i + 1));
    }
    while order.len() < n {
        order.push(index(&mut rng, templates.len()));
    }
    order.truncate(n);

    let days = ws.period.last_day().day() as i64;
    // A vendor's invoice is billed once: a number drawn twice for the same
    // vendor is drawn again (which leaves ledgers without a repeat unchanged).
    let mut issued: BTreeSet<(&str, String)> = BTreeSet::new();
    let mut lines: Vec<CostLine> = order
        .iter()
        .map(|&t| {
            let template = &templates[t];
            let date = add_days(ws.period.first_day(), between(&mut rng, 0, days - 1));
            let amount = between(&mut rng, template.min, template.max);
            let mut invoice = invoice_number(&mut rng, template.invoice, date);
            while !issued.insert((template.vendor, invoice.clone())) {
                invoice = invoice_number(&mut rng, template.invoice, date);
            }
            let evidence =
                if chance(&mut rng, 650) { evidence_name(template.invoice, &invoice) } else { String::new() };
            CostLine { date, template, amount, invoice, evidence }
        })
        .collect();
    lines.sort_by_key(|l| l.date);

    let path = format!("costs/{}/{}.csv", ws.period, seller.id);
    ws.write_text(&path, lines.len() as u64, |w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record([
            "date",
            "category",
            "vendor",
            "invoice_no",
            "description",
            "amount",
            "currency",
            "evidence",
        ])?;
        for l in &lines {
            let t = l.template;
            let date = Ymd(l.date).to_string();
            let amount = Cents(l.amount).to_string();
            out.write_record([
                date.as_str(),
                t.category,
                t.vendor,
                &l.invoice,
                t.description,
                &amount,
                t.currency,
                &l.evidence,
            ])?;
        }
        out.flush()
    })
}

fn digits(rng: &mut Gen, out: &mut String, n: usize) {
    for _ in 0..n {
        let _ = write!(out, "{}", between(rng, 0, 9));
    }
}

/// An invoice number in the vendor's style, dated `date`.
fn invoice_number(rng: &mut Gen, style: InvoiceStyle, date: NaiveDate) -> String {
    let mut s = String::new();
    match style {
        InvoiceStyle::Inv => {
            let _ = write!(s, "INV-{}-{:02}-{:04}", date.year(), date.month(), between(rng, 1, 9999));
        }
        InvoiceStyle::CustomsEntry => {
            let _ = write!(s, "9JK-{:07}-{}", between(rng, 0, 9_999_999), between(rng, 0, 9));
        }
        InvoiceStyle::Fapiao => {
            // 数电票: year, region (44 = Guangdong), channel, serial.
            let _ = write!(s, "{:02}442", date.year() % 100);
            digits(rng, &mut s, 15);
        }
        InvoiceStyle::NfE => {
            // Chave de acesso: UF 35 (SP), AAMM, CNPJ, modelo 55, série,
            // número, tipo de emissão, código, dígito verificador (mod 11).
            let mut key = String::with_capacity(44);
            let _ = write!(key, "35{:02}{:02}", date.year() % 100, date.month());
            digits(rng, &mut key, 8);
            key.push_str("000190550010");
            digits(rng, &mut key, 8);
            key.push('1');
            digits(rng, &mut key, 8);
            let sum: u32 = key.bytes().rev().enumerate().map(|(i, b)| u32::from(b - b'0') * (2 + (i as u32 % 8))).sum();
            let dv = match 11 - sum % 11 {
                10 | 11 => 0,
                d => d,
            };
            let _ = write!(s, "NF-e {key}{dv}");
        }
    }
    s
}

/// The scanned invoice's file name, as the provider files them.
fn evidence_name(style: InvoiceStyle, invoice: &str) -> String {
    match style {
        InvoiceStyle::Inv => format!("{invoice}.pdf"),
        InvoiceStyle::CustomsEntry => format!("CBP7501_{invoice}.pdf"),
        InvoiceStyle::Fapiao => format!("dzfp_{invoice}.pdf"),
        InvoiceStyle::NfE => format!("NFe{}.xml", invoice.trim_start_matches("NF-e ")),
    }
}
