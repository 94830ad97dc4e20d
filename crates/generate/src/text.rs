//! How exports print amounts and dates. Each is a `Display` wrapper, so rows
//! are written straight into reused buffers without intermediate strings.

use std::fmt::{self, Display, Formatter, Write};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};

/// Integer cents as a plain decimal: `-12.34`, `1234.50`.
pub struct Cents(pub i64);

impl Display for Cents {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

fn write_grouped(f: &mut Formatter<'_>, mut n: u64, sep: char) -> fmt::Result {
    let mut groups = [0u64; 8];
    let mut len = 0;
    loop {
        groups[len] = n % 1000;
        len += 1;
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    write!(f, "{}", groups[len - 1])?;
    for g in groups[..len - 1].iter().rev() {
        write!(f, "{sep}{g:03}")?;
    }
    Ok(())
}

/// Integer cents the Brazilian way: `1.234,56`, `-15,90`.
pub struct CentsComma(pub i64);

impl Display for CentsComma {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_char('-')?;
        }
        let a = self.0.unsigned_abs();
        write_grouped(f, a / 100, '.')?;
        write!(f, ",{:02}", a % 100)
    }
}

/// Integer cents as a Sponsored Products CSV prints them: `$1,234.50`, or
/// with `short` the trailing zero dropped (`$3.0`, `$0.85`).
pub struct Dollars {
    pub cents: i64,
    pub short: bool,
}

impl Display for Dollars {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.cents < 0 {
            f.write_char('-')?;
        }
        f.write_char('$')?;
        let a = self.cents.unsigned_abs();
        write_grouped(f, a / 100, ',')?;
        let frac = a % 100;
        if self.short && frac.is_multiple_of(10) { write!(f, ".{}", frac / 10) } else { write!(f, ".{frac:02}") }
    }
}

/// A fixed-point value with `places` decimals, e.g. a rate in ten-thousandths
/// (`7.1234`) or a ratio in hundredths (`2.85`); `comma` writes `5,3756`.
pub struct Fixed {
    pub value: i64,
    pub places: u32,
    pub comma: bool,
}

impl Display for Fixed {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let scale = 10u64.pow(self.places);
        let sign = if self.value < 0 { "-" } else { "" };
        let a = self.value.unsigned_abs();
        let point = if self.comma { ',' } else { '.' };
        write!(f, "{sign}{}{point}{:0width$}", a / scale, a % scale, width = self.places as usize)
    }
}

/// `2026-10-01`.
pub struct Ymd(pub NaiveDate);

impl Display for Ymd {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), self.0.month(), self.0.day())
    }
}

/// US month-first dates: `10/01/26` (`long_year` false) or `10/01/2026`.
pub struct Mdy {
    pub date: NaiveDate,
    pub long_year: bool,
}

impl Display for Mdy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let d = self.date;
        if self.long_year {
            write!(f, "{:02}/{:02}/{:04}", d.month(), d.day(), d.year())
        } else {
            write!(f, "{:02}/{:02}/{:02}", d.month(), d.day(), d.year().rem_euclid(100))
        }
    }
}

/// `DDMMYYYY`, as the BCB PTAX file dates its rows.
pub struct Dmy(pub NaiveDate);

impl Display for Dmy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}{:02}{:04}", self.0.day(), self.0.month(), self.0.year())
    }
}

const EN_MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `Oct 01, 2026`, as Sponsored Products CSVs date their rows.
pub struct MonDdYyyy(pub NaiveDate);

impl Display for MonDdYyyy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:02}, {}", EN_MONTHS[self.0.month0() as usize], self.0.day(), self.0.year())
    }
}

/// Portuguese month names, as Mercado Livre writes them: the table the
/// ingest side reads them with.
pub use kpiseal::ingest::dates::PT_MONTHS;

/// `21 de outubro de 2026 16:10 hs.`, as Mercado Livre dates a sale.
pub struct PtDateTime(pub NaiveDateTime);

impl Display for PtDateTime {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{} de {} de {} {:02}:{:02} hs.",
            t.day(),
            PT_MONTHS[t.month0() as usize],
            t.year(),
            t.hour(),
            t.minute()
        )
    }
}

/// A UTC instant (seconds since the epoch) as `2026-10-01 07:00:00 UTC`, or
/// with `iso` as `2026-10-01T07:00:00+00:00`.
pub struct UtcStamp {
    pub ts: i64,
    pub iso: bool,
}

impl Display for UtcStamp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let t = DateTime::from_timestamp(self.ts, 0).expect("timestamp in range").naive_utc();
        let (sep, suffix) = if self.iso { ('T', "+00:00") } else { (' ', " UTC") };
        write!(f, "{}{sep}{:02}:{:02}:{:02}{suffix}", Ymd(t.date()), t.hour(), t.minute(), t.second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_as_each_export_writes_them() {
        assert_eq!(Cents(-1234).to_string(), "-12.34");
        assert_eq!(Cents(5).to_string(), "0.05");
        assert_eq!(Cents(-5).to_string(), "-0.05");
        assert_eq!(CentsComma(123456).to_string(), "1.234,56");
        assert_eq!(CentsComma(-1590).to_string(), "-15,90");
        assert_eq!(CentsComma(100_000_000).to_string(), "1.000.000,00");
        assert_eq!(Dollars { cents: 123450, short: false }.to_string(), "$1,234.50");
        assert_eq!(Dollars { cents: 300, short: true }.to_string(), "$3.0");
        assert_eq!(Dollars { cents: 85, short: true }.to_string(), "$0.85");
        assert_eq!(Fixed { value: 53756, places: 4, comma: true }.to_string(), "5,3756");
        assert_eq!(Fixed { value: 285, places: 2, comma: false }.to_string(), "2.85");
    }

    #[test]
    fn dates_print_as_each_export_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert_eq!(Mdy { date: d, long_year: false }.to_string(), "10/01/26");
        assert_eq!(Mdy { date: d, long_year: true }.to_string(), "10/01/2026");
        assert_eq!(Dmy(d).to_string(), "01102026");
        assert_eq!(MonDdYyyy(d).to_string(), "Oct 01, 2026");
        let t = NaiveDate::from_ymd_opt(2026, 10, 21).unwrap().and_hms_opt(16, 10, 0).unwrap();
        assert_eq!(PtDateTime(t).to_string(), "21 de outubro de 2026 16:10 hs.");
        let ts = d.and_hms_opt(7, 0, 0).unwrap().and_utc().timestamp();
        assert_eq!(UtcStamp { ts, iso: false }.to_string(), "2026-10-01 07:00:00 UTC");
        assert_eq!(UtcStamp { ts, iso: true }.to_string(), "2026-10-01T07:00:00+00:00");
    }
}
