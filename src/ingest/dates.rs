//! Dates as marketplace exports write them, brought to the marketplace's
//! local calendar date.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Reads an Amazon date or timestamp and returns its calendar date in `tz`.
///
/// Accepted: `10/01/26` and `10/01/2026` (MM/DD, already local),
/// `2026-10-01` (local), `2026-10-01 07:00:00 UTC`, `2026-10-01T07:00:00+00:00`,
/// `2026-10-01T07:00:00Z` and `2026-10-01 07:00:00` (UTC unless an offset is
/// given). Returns a message saying what was expected otherwise.
pub fn amazon_local_date(text: &str, tz: Tz) -> Result<NaiveDate, String> {
    amazon_local_date_any_year(text, tz).and_then(|d| plausible(d, text))
}

fn amazon_local_date_any_year(text: &str, tz: Tz) -> Result<NaiveDate, String> {
    let s = text.trim();
    let expected = || {
        format!(
            "{s:?} is not a date (expected MM/DD/YY, YYYY-MM-DD, \"2026-10-01 07:00:00 UTC\" or \"2026-10-01T07:00:00+00:00\")"
        )
    };
    if s.is_empty() {
        return Err("the date is missing".to_string());
    }
    if let Some(date) = fixed_width::amazon_date(s, tz) {
        return Ok(date);
    }
    if let Some(utc) = s.strip_suffix(" UTC").or_else(|| s.strip_suffix(" GMT")) {
        // Amazon's European sites write `14.03.2023 07:49:55 UTC`.
        let naive = NaiveDateTime::parse_from_str(utc.trim(), "%Y-%m-%d %H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(utc.trim(), "%d.%m.%Y %H:%M:%S"))
            .map_err(|_| expected())?;
        return Ok(tz.from_utc_datetime(&naive).date_naive());
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.with_timezone(&tz).date_naive());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(tz.from_utc_datetime(&naive).date_naive());
        }
    }
    for fmt in ["%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Ok(d);
        }
    }
    Err(expected())
}

/// Fast readers for the fixed-width spellings that fill large Amazon exports
/// (`2026-10-01 07:00:00 UTC`, `10/01/26`, `10/01/2026`, `2026-10-01`),
/// giving exactly what [`amazon_local_date`]'s general parsing gives. Any
/// other spelling, or an impossible date or time, is left to it (`None`).
mod fixed_width {
    use chrono::{NaiveDate, NaiveTime, TimeZone};
    use chrono_tz::Tz;

    /// The number written by the ASCII digits `digits`, if all are digits.
    fn number(digits: &[u8]) -> Option<u32> {
        digits.iter().try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    }

    /// `YYYY-MM-DD` at the start of `b`.
    fn iso_date(b: &[u8]) -> Option<NaiveDate> {
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = i32::try_from(number(&b[0..4])?).ok()?;
        NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)
    }

    /// The local date of an Amazon date or timestamp in one of the
    /// fixed-width spellings above.
    pub(super) fn amazon_date(s: &str, tz: Tz) -> Option<NaiveDate> {
        let b = s.as_bytes();
        match b.len() {
            // 2026-10-01 07:00:00 UTC (or GMT): a UTC instant.
            23 if b[10] == b' ' && b[13] == b':' && b[16] == b':' && (s.ends_with(" UTC") || s.ends_with(" GMT")) => {
                let time = NaiveTime::from_hms_opt(number(&b[11..13])?, number(&b[14..16])?, number(&b[17..19])?)?;
                let naive = iso_date(b)?.and_time(time);
                Some(tz.from_utc_datetime(&naive).date_naive())
            }
            // 2026-10-01: already local.
            10 if b[4] == b'-' => iso_date(b),
            // 10/01/2026 and 10/01/26 (MM/DD): already local; a two-digit
            // year is 2000-2069 below 70, else 1970-1999.
            10 | 8 if b[2] == b'/' && b[5] == b'/' => {
                let year = number(&b[6..])?;
                let year = match b.len() {
                    8 if year < 70 => 2000 + year,
                    8 => 1900 + year,
                    _ => year,
                };
                NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, number(&b[0..2])?, number(&b[3..5])?)
            }
            _ => None,
        }
    }
}

/// Reads a calendar date as report cells write them: `2026-10-01`,
/// `10/01/2026`, `10/01/26`, `Oct 01, 2026`, `01/10/2026` is read as US
/// month-first. Returns what was expected otherwise.
pub fn report_date(text: &str) -> Result<NaiveDate, String> {
    report_date_any_year(text).and_then(|d| plausible(d, text))
}

fn report_date_any_year(text: &str) -> Result<NaiveDate, String> {
    let s = text.trim();
    for fmt in ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%b %d, %Y", "%B %d, %Y", "%Y-%m-%d %H:%M:%S", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Ok(d);
        }
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(dt.date());
        }
    }
    Err(format!("{s:?} is not a date (expected YYYY-MM-DD, MM/DD/YYYY or \"Oct 01, 2026\")"))
}

/// Portuguese month names, lower case, as Mercado Livre writes them.
/// The years an export's date may fall in. A date outside them (1969, 2999)
/// is a corrupted cell or a placeholder, not a sale: were it read, the row
/// would fall outside every period and its money vanish from all of them.
pub const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// `date` when its year is in [`PLAUSIBLE_YEARS`].
///
/// # Errors
/// A message naming the cell's text and the years accepted.
pub fn plausible(date: NaiveDate, text: &str) -> Result<NaiveDate, String> {
    use chrono::Datelike;
    if PLAUSIBLE_YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(format!(
            "{:?} is dated {date}, outside the years {} to {} an export's rows are read in (a corrupted cell or a placeholder date?)",
            text.trim(),
            PLAUSIBLE_YEARS.start(),
            PLAUSIBLE_YEARS.end()
        ))
    }
}

/// Portuguese month abbreviations, as Mercado Livre's ads reports write
/// their dates (`17-ago-2026`).
pub const PT_MONTHS_SHORT: [&str; 12] =
    ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"];

pub const PT_MONTHS: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];

/// Reads a Mercado Livre sale date, `21 de agosto de 2026 16:10 hs.`, already
/// in São Paulo time; also `21/08/2026 16:10` and ISO dates. The time is
/// ignored: see [`mercadolivre_datetime`].
pub fn mercadolivre_date(text: &str) -> Result<NaiveDate, String> {
    mercadolivre_datetime(text).map(|(date, _)| date)
}

/// Reads a Mercado Livre sale date as printed (São Paulo wall time): its
/// calendar date, and its time of day when one is printed
/// (`21 de agosto de 2026 16:10 hs.`, `21/08/2026 16:10`,
/// `2026-08-21 16:10:00`; `21/08/2026` and `2026-08-21` have none).
/// Returns a message saying what was expected otherwise.
pub fn mercadolivre_datetime(text: &str) -> Result<(NaiveDate, Option<NaiveTime>), String> {
    let (date, time) = mercadolivre_datetime_any_year(text)?;
    Ok((plausible(date, text)?, time))
}

fn mercadolivre_datetime_any_year(text: &str) -> Result<(NaiveDate, Option<NaiveTime>), String> {
    let s = text.trim();
    let expected = || format!("{s:?} is not a date (expected e.g. \"21 de agosto de 2026 16:10 hs.\")");
    let mut words = s.split_whitespace();
    // Read in order: day, "de", month, "de", year, then the rest.
    if let (Some(day), Some("de"), Some(month_name), Some("de"), Some(year)) =
        (words.next(), words.next(), words.next(), words.next(), words.next())
    {
        let day: u32 = day.parse().map_err(|_| expected())?;
        let month = pt_month(month_name).ok_or_else(expected)?;
        let year: i32 = year.parse().map_err(|_| expected())?;
        let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(expected)?;
        // The time follows, sometimes after "às": `16:10 hs.`, `às 16:10`.
        let time = match words.find(|w| w.contains(':')) {
            Some(hm) => Some(hours_minutes(hm).ok_or_else(expected)?),
            None => None,
        };
        return Ok((date, time));
    }
    for fmt in ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok((dt.date(), Some(dt.time())));
        }
    }
    for fmt in ["%d/%m/%Y", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Ok((d, None));
        }
    }
    Err(expected())
}

/// The month (1–12) a Portuguese month name names, in any case (`outubro`,
/// `Março`; `marco` without the cedilla too), compared as lower case.
fn pt_month(name: &str) -> Option<u32> {
    let index = if name.is_ascii() {
        // Every export's spelling: lower-casing ASCII is ASCII's own (and
        // no ASCII name equals `março`).
        PT_MONTHS
            .iter()
            .position(|m| name.eq_ignore_ascii_case(m))
            .or_else(|| name.eq_ignore_ascii_case("marco").then_some(2))
    } else {
        let lower = || name.chars().flat_map(char::to_lowercase);
        PT_MONTHS.iter().position(|m| lower().eq(m.chars())).or_else(|| lower().eq("marco".chars()).then_some(2))
    }?;
    u32::try_from(index + 1).ok()
}

/// `HH:MM` as a time of day, as chrono's `%H:%M` reads it: two digits for
/// the hour (one is accepted too) and two for the minute.
fn hours_minutes(text: &str) -> Option<NaiveTime> {
    // The spelling every Vendas row uses, without chrono's format parser.
    if let [h1, h2, b':', m1, m2] = *text.as_bytes()
        && [h1, h2, m1, m2].iter().all(u8::is_ascii_digit)
    {
        let digit = |b: u8| u32::from(b - b'0');
        return NaiveTime::from_hms_opt(digit(h1) * 10 + digit(h2), digit(m1) * 10 + digit(m2), 0);
    }
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

/// The calendar date in `tz` of `printed`, a wall time in the zone
/// Mercado Livre prints its exports in (America/São Paulo).
///
/// When `tz` is São Paulo itself the printed date is returned unchanged. A
/// wall time São Paulo's clocks skipped (the start of its former summer
/// time) is read one hour later; one they showed twice, as the earlier.
pub fn sao_paulo_date_in(printed: NaiveDateTime, tz: Tz) -> NaiveDate {
    const SAO_PAULO: Tz = chrono_tz::America::Sao_Paulo;
    if tz == SAO_PAULO {
        return printed.date();
    }
    let instant = SAO_PAULO
        .from_local_datetime(&printed)
        .earliest()
        .or_else(|| SAO_PAULO.from_local_datetime(&(printed + chrono::TimeDelta::hours(1))).earliest());
    instant.map_or(printed.date(), |i| i.with_timezone(&tz).date_naive())
}

/// A US report date: `M/D/YY` (no zero padding needed; a two-digit year is
/// 20YY), `MM/DD/YYYY` or `YYYY-MM-DD`.
pub fn us_short_date(text: &str) -> Result<NaiveDate, String> {
    let expected = || format!("{text:?} is not a date (expected M/D/YY as Amazon US writes it, e.g. 10/5/26)");
    let parts: Vec<&str> = text.split('/').collect();
    let date = match parts.as_slice() {
        [m, d, y] if [m, d, y].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) => {
            let year: i32 = match y.len() {
                2 => 2000 + y.parse::<i32>().map_err(|_| expected())?,
                4 => y.parse().map_err(|_| expected())?,
                _ => return Err(expected()),
            };
            NaiveDate::from_ymd_opt(year, m.parse().map_err(|_| expected())?, d.parse().map_err(|_| expected())?)
                .ok_or_else(expected)?
        }
        [iso] => NaiveDate::parse_from_str(iso, "%Y-%m-%d").map_err(|_| expected())?,
        _ => return Err(expected()),
    };
    plausible(date, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const LA: Tz = chrono_tz::America::Los_Angeles;

    proptest::proptest! {
        /// The fast reading of `HH:MM` agrees with chrono's `%H:%M` on any
        /// five characters of digits, colons and signs.
        #[test]
        fn a_time_of_day_is_read_as_chrono_reads_it(text in "[0-9:+ -]{0,6}") {
            proptest::prop_assert_eq!(hours_minutes(&text), NaiveTime::parse_from_str(&text, "%H:%M").ok());
        }

        /// A month name is recognised exactly when its lower-case form is
        /// one of [`PT_MONTHS`] (or `marco`), whatever its case.
        #[test]
        fn a_portuguese_month_is_read_in_any_case(
            month in 0usize..13,
            caps in proptest::collection::vec(proptest::bool::ANY, 9),
            noise in "[a-zçÇA-Z]{0,10}",
        ) {
            let name = PT_MONTHS.get(month).copied().unwrap_or("marco");
            let cased: String = name.chars().zip(caps.iter().cycle()).flat_map(|(c, &up)| {
                let s: String = if up { c.to_uppercase().collect() } else { c.to_string() };
                s.chars().collect::<Vec<_>>()
            }).collect();
            let by_lowercase = |w: &str| {
                let w = w.to_lowercase();
                PT_MONTHS.iter().position(|m| *m == w || (w == "marco" && *m == "março")).map(|i| i as u32 + 1)
            };
            proptest::prop_assert_eq!(pt_month(&cased), by_lowercase(&cased));
            let number = if month < 12 { month + 1 } else { 3 };
            proptest::prop_assert_eq!(pt_month(&cased), u32::try_from(number).ok());
            proptest::prop_assert_eq!(pt_month(&noise), by_lowercase(&noise));
        }
    }

    #[test]
    fn a_time_of_day_of_two_digit_hours_and_minutes_is_read() {
        assert_eq!(hours_minutes("08:59"), NaiveTime::from_hms_opt(8, 59, 0));
        assert_eq!(hours_minutes("24:00"), None);
        assert_eq!(hours_minutes("23:60"), None);
    }

    #[test]
    fn utc_midnight_of_november_first_is_still_october_in_los_angeles() {
        assert_eq!(amazon_local_date("2026-11-01 06:59:59 UTC", LA).unwrap(), d(2026, 10, 31));
        assert_eq!(amazon_local_date("2026-11-01T07:00:00+00:00", LA).unwrap(), d(2026, 11, 1));
        assert_eq!(amazon_local_date("2026-10-01T07:00:00Z", LA).unwrap(), d(2026, 10, 1));
    }

    #[test]
    fn amazon_short_us_dates_are_local() {
        assert_eq!(amazon_local_date("10/31/26", LA).unwrap(), d(2026, 10, 31));
        assert_eq!(amazon_local_date("10/31/2026", LA).unwrap(), d(2026, 10, 31));
        assert_eq!(amazon_local_date("2026-10-31", LA).unwrap(), d(2026, 10, 31));
        assert!(amazon_local_date("31/10/2026", LA).is_err());
    }

    #[test]
    fn mercadolivre_portuguese_dates() {
        assert_eq!(mercadolivre_date("21 de agosto de 2026 16:10 hs.").unwrap(), d(2026, 8, 21));
        assert_eq!(mercadolivre_date("3 de março de 2026 09:00 hs.").unwrap(), d(2026, 3, 3));
        assert_eq!(mercadolivre_date("21/08/2026 16:10").unwrap(), d(2026, 8, 21));
        assert!(mercadolivre_date("21 de agosti de 2026").is_err());
        assert!(mercadolivre_date("21 de agosto de 2026 25:10 hs.").is_err());
    }

    #[test]
    fn mercadolivre_times_are_read_when_printed() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(
            mercadolivre_datetime("31 de outubro de 2026 22:30 hs.").unwrap(),
            (d(2026, 10, 31), Some(t(22, 30)))
        );
        assert_eq!(mercadolivre_datetime("31/10/2026 22:30").unwrap(), (d(2026, 10, 31), Some(t(22, 30))));
        assert_eq!(
            mercadolivre_datetime("31 de outubro de 2026 às 22:30").unwrap(),
            (d(2026, 10, 31), Some(t(22, 30)))
        );
        assert_eq!(mercadolivre_datetime("31/10/2026").unwrap(), (d(2026, 10, 31), None));
        assert_eq!(mercadolivre_datetime("31 de outubro de 2026").unwrap(), (d(2026, 10, 31), None));
    }

    #[test]
    fn mercadolivre_month_names_are_read_in_any_case_and_marco_without_its_cedilla() {
        for written in ["3 de março de 2026", "3 de Março de 2026", "3 de MARÇO de 2026", "3 de marco de 2026"] {
            assert_eq!(mercadolivre_datetime(written).unwrap(), (d(2026, 3, 3), None), "{written}");
        }
        assert_eq!(mercadolivre_datetime("3 de Outubro de 2026 9:05").unwrap().0, d(2026, 10, 3));
        assert!(mercadolivre_datetime("3 de outubr de 2026").is_err());
        assert!(mercadolivre_datetime("3 de outubro de").is_err(), "four words");
    }

    #[test]
    fn sao_paulo_wall_time_moves_to_the_contract_zone() {
        let at = |y, mo, day, h, mi| d(y, mo, day).and_hms_opt(h, mi, 0).unwrap();
        let sp = chrono_tz::America::Sao_Paulo;
        assert_eq!(sao_paulo_date_in(at(2026, 10, 31, 22, 30), sp), d(2026, 10, 31));
        // 22:30 at UTC−3 is 01:30 UTC the next day.
        assert_eq!(sao_paulo_date_in(at(2026, 10, 31, 22, 30), chrono_tz::UTC), d(2026, 11, 1));
        assert_eq!(sao_paulo_date_in(at(2026, 10, 31, 20, 59), chrono_tz::UTC), d(2026, 10, 31));
        // 01:00 in São Paulo is still the day before in Los Angeles.
        assert_eq!(sao_paulo_date_in(at(2026, 11, 1, 1, 0), LA), d(2026, 10, 31));
        // 4 Nov 2018 00:30 did not exist in São Paulo (summer time began): read as 01:30 (−02:00).
        assert_eq!(sao_paulo_date_in(at(2018, 11, 4, 0, 30), chrono_tz::UTC), d(2018, 11, 4));
    }

    #[test]
    fn report_dates_in_us_and_iso_forms() {
        assert_eq!(report_date("Oct 01, 2026").unwrap(), d(2026, 10, 1));
        assert_eq!(report_date("10/01/2026").unwrap(), d(2026, 10, 1));
        assert_eq!(report_date("2026-10-01").unwrap(), d(2026, 10, 1));
    }

    #[test]
    fn dates_outside_the_plausible_years_are_refused_naming_the_cell() {
        let tz = chrono_tz::America::Los_Angeles;
        let e = amazon_local_date("1969-12-31 10:00:00 UTC", tz).unwrap_err();
        assert!(e.contains("\"1969-12-31 10:00:00 UTC\" is dated 1969-12-31, outside the years 2000 to 2099"), "{e}");
        assert!(report_date("Oct 10, 2999").is_err());
        assert!(mercadolivre_datetime("10 de outubro de 1999 10:00 hs.").is_err());
        assert_eq!(report_date("Oct 10, 2026").unwrap(), NaiveDate::from_ymd_opt(2026, 10, 10).unwrap());
    }
}
