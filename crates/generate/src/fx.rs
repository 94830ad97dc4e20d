//! The period's FX files: `fx/<P>.csv` (USD/CNY, PBoC central parity) and
//! `fx/<P>-ptax.csv` (USD/BRL, the BCB PTAX file as published).
//!
//! Both cover the period and the week before it (the first settlement starts
//! then). Rates are random walks in ten-thousandths, never floats. Central
//! banks publish nothing on weekends; the PTAX file also skips Brazil's
//! fixed-date national holidays (12 October is one). PBoC's holiday calendar
//! moves every year, so the CNY table simply follows weekdays.

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};

use super::text::{Dmy, Fixed, Ymd};
use super::{GenerateSummary, Workspace, add_days, between, is_weekday, rng};

/// Brazil's fixed-date national holidays (month, day): no PTAX is published.
const BR_HOLIDAYS: [(u32, u32); 9] = [(1, 1), (4, 21), (5, 1), (9, 7), (10, 12), (11, 2), (11, 15), (11, 20), (12, 25)];

fn is_br_holiday(date: NaiveDate) -> bool {
    BR_HOLIDAYS.contains(&(date.month(), date.day()))
}

/// Days the files cover: a week before the period through its last day.
fn days(ws: &Workspace) -> impl Iterator<Item = NaiveDate> {
    let first = add_days(ws.period.first_day(), -7);
    let last = ws.period.last_day();
    first.iter_days().take_while(move |d| *d <= last)
}

/// Writes both FX files.
pub fn write(ws: &Workspace) -> io::Result<GenerateSummary> {
    let mut rng = rng(ws.seed, 0);
    let mut cny = 71150 + between(&mut rng, -60, 60);
    let mut brl = 53800 + between(&mut rng, -400, 400);
    let mut cny_rows = Vec::new();
    let mut brl_rows = Vec::new();
    for day in days(ws) {
        if !is_weekday(day) {
            continue;
        }
        cny = (cny + between(&mut rng, -25, 25)).clamp(71000, 71300);
        brl = (brl + between(&mut rng, -300, 300)).clamp(52000, 55500);
        cny_rows.push((day, cny));
        if !is_br_holiday(day) {
            brl_rows.push((day, brl));
        }
    }

    let mut summary = GenerateSummary::default();
    summary.add(ws.write_text(&format!("fx/{}.csv", ws.period), cny_rows.len() as u64, |w| {
        w.write_all(b"date,base,quote,rate,source\n")?;
        for (day, rate) in &cny_rows {
            writeln!(
                w,
                "{},USD,CNY,{},PBoC central parity",
                Ymd(*day),
                Fixed { value: *rate, places: 4, comma: false }
            )?;
        }
        Ok(())
    })?);
    summary.add(ws.write_text(&format!("fx/{}-ptax.csv", ws.period), brl_rows.len() as u64, |w| {
        // Data;Código;Tipo;Símbolo;Taxa Compra;Taxa Venda;Paridade Compra;Paridade Venda
        for (day, venda) in &brl_rows {
            let compra = venda - 6;
            writeln!(
                w,
                "{};220;A;USD;{};{};1,0000;1,0000",
                Dmy(*day),
                Fixed { value: compra, places: 4, comma: true },
                Fixed { value: *venda, places: 4, comma: true }
            )?;
        }
        Ok(())
    })?);
    Ok(summary)
}
