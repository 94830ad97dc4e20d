//! The contract term against the statement period: whether a statement is
//! due at all, and which days of the period count when the term starts or
//! ends inside it.
//!
//! The rule (README, "What kpiseal refuses, and why"): a period wholly
//! outside `contract.start`..=`contract.end` is refused; a period the term
//! covers in part is billed for the days inside the term only: the base fee
//! by days (`base_monthly × covered days / days in the period`), commission
//! and KPIs on the sales and ads dated inside the term.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::contract::ContractTerms;
use crate::error::Error;
use crate::fees::TermDays;
use crate::ingest::ParsedExport;
use crate::ingest::records::{MoneyLine, OrderEvent};
use crate::notes::NoteKind;
use crate::period::Period;

/// The days of `period` the contract term covers: `first..=last`, never
/// empty; and, for an as-of run (`kpiseal check --as-of`), the day the
/// counted days stop at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    pub period: Period,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// The last day counted, when it is before `last`: an as-of run counts
    /// `first..=as_of`. The term (`first..=last`) still decides the base
    /// fee's days.
    pub as_of: Option<NaiveDate>,
}

impl Coverage {
    /// The whole of `period`.
    pub fn whole(period: Period) -> Self {
        Coverage { period, first: period.first_day(), last: period.last_day(), as_of: None }
    }

    /// This coverage counted only to `as_of` (a day of the period), for an
    /// as-of run; `None` leaves it as it is. A day on or after the term's
    /// last day changes nothing.
    ///
    /// # Errors
    /// [`Error::Config`] naming `file` when `as_of` is outside the period,
    /// or before the contract term starts in it (nothing to count yet).
    pub fn to(self, as_of: Option<NaiveDate>, file: &str) -> Result<Coverage, Error> {
        let Some(as_of) = as_of else { return Ok(self) };
        if !self.period.contains(as_of) {
            return Err(Error::config(
                file,
                "--as-of",
                format!("{as_of} is not a day of period {}: run the period the date is in", self.period),
            ));
        }
        if as_of < self.first {
            return Err(Error::config(
                file,
                "contract.start",
                format!("is {}, after the as-of date {as_of}: the term has no day to count yet", self.first),
            ));
        }
        Ok(Coverage { as_of: (as_of < self.last).then_some(as_of), ..self })
    }

    /// The first and last day whose facts count: the term's days in the
    /// period, stopped at the as-of date if there is one.
    pub fn counted(&self) -> (NaiveDate, NaiveDate) {
        (self.first, self.as_of.map_or(self.last, |a| a.min(self.last)))
    }

    /// Days of the period the term covers: from `first` to `last`, both
    /// included, whatever the as-of date.
    pub fn term_day_count(&self) -> u32 {
        days(self.first, self.last)
    }

    /// Days counted: from `first` to the as-of date (or `last`), both included.
    pub fn counted_days(&self) -> u32 {
        let (first, last) = self.counted();
        days(first, last)
    }

    /// Whether the term covers every day of the period.
    pub fn is_whole(&self) -> bool {
        self.first == self.period.first_day() && self.last == self.period.last_day()
    }

    /// Whether `date` is a day counted: inside the term, and not after the
    /// as-of date.
    pub fn contains(&self, date: NaiveDate) -> bool {
        let (first, last) = self.counted();
        first <= date && date <= last
    }

    /// The covered days against the period's days, when the term covers only
    /// part of the period (`None` when it covers all of it).
    pub fn term_days(&self) -> Option<TermDays> {
        (!self.is_whole()).then(|| TermDays { covered: days(self.first, self.last), period: self.period_days() })
    }

    /// Days in the period.
    pub fn period_days(&self) -> u32 {
        days(self.period.first_day(), self.period.last_day())
    }

    /// The runs of days of the period outside the term (at most two: before
    /// the term starts and after it ends), as first and last day.
    pub fn excluded(&self) -> Vec<(NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        if let Some(before) = self.first.pred_opt().filter(|d| *d >= self.period.first_day()) {
            out.push((self.period.first_day(), before));
        }
        if let Some(after) = self.last.succ_opt().filter(|d| *d <= self.period.last_day()) {
            out.push((after, self.period.last_day()));
        }
        out
    }
}

impl Coverage {
    /// Drops the sales facts (money lines and order events) of `parsed`
    /// dated outside the term, so commission and KPIs count only the days
    /// inside it. Ads are kept or refused by the ads parser itself
    /// (`IngestContext::counted`); reconciliation checks still cover the
    /// whole file.
    ///
    /// Returns the facts dropped, each group with why (see
    /// [`Coverage::left_out_because`]), for the provenance table.
    pub fn keep_inside(&self, parsed: &mut ParsedExport) -> Vec<(String, Vec<MoneyLine>, Vec<OrderEvent>)> {
        if self.is_whole() && self.as_of.is_none() {
            return Vec::new();
        }
        let (lines, events) = parsed.retain_facts(|l| self.contains(l.date), |e| self.contains(e.date));
        type Facts = (String, Vec<MoneyLine>, Vec<OrderEvent>);
        fn slot(by_reason: &mut Vec<Facts>, why: String) -> &mut Facts {
            match by_reason.iter().position(|(w, _, _)| *w == why) {
                Some(i) => &mut by_reason[i],
                None => {
                    by_reason.push((why, Vec::new(), Vec::new()));
                    let last = by_reason.len() - 1;
                    &mut by_reason[last]
                }
            }
        }
        let mut by_reason: Vec<Facts> = Vec::new();
        for l in lines {
            slot(&mut by_reason, self.left_out_because(l.date)).1.push(l);
        }
        for e in events {
            slot(&mut by_reason, self.left_out_because(e.date)).2.push(e);
        }
        by_reason
    }

    /// Why a fact dated `date` is not counted (a day this coverage does not
    /// count): before or after the period, before the term starts, after it
    /// ends, or after the as-of day.
    pub fn left_out_because(&self, date: NaiveDate) -> String {
        match self.as_of {
            _ if date < self.period.first_day() => format!("dated before {}", self.period),
            _ if date > self.period.last_day() => format!("dated after {}", self.period),
            _ if date < self.first => format!("dated before the contract term starts ({})", self.first),
            _ if date > self.last => format!("dated after the contract term ends ({})", self.last),
            Some(as_of) if date > as_of => format!("dated after the as-of day ({as_of})"),
            _ => format!("dated {date}, a day not counted"),
        }
    }

    /// The choice note printed when the term covers only part of the
    /// period, `base_monthly` being the contract's monthly base fee; `None`
    /// when it covers all of it.
    pub fn note(&self, base_monthly: Decimal) -> Option<NoteKind> {
        let TermDays { covered, period } = self.term_days()?;
        Some(NoteKind::TermPartial {
            first: self.first,
            last: self.last,
            covered_days: covered,
            period_days: period,
            base_monthly: base_monthly.to_string(),
            excluded: self
                .excluded()
                .iter()
                .map(|(a, b)| if a == b { a.to_string() } else { format!("{a}/{b}") })
                .collect(),
        })
    }
}

/// Days from `first` to `last`, both included.
fn days(first: NaiveDate, last: NaiveDate) -> u32 {
    u32::try_from((last - first).num_days() + 1).unwrap_or(0)
}

/// The part of `period` the term of the contract in `file` covers.
///
/// # Errors
/// [`Error::Config`] naming `file` and the key (`contract.end` when the term
/// ended before the period begins, `contract.start` when it starts after
/// the period ends), the date found and what to do: a period wholly outside
/// the term has no statement.
pub fn coverage(file: &str, terms: &ContractTerms, period: Period) -> Result<Coverage, Error> {
    let (first, last) = (period.first_day(), period.last_day());
    if terms.end < first {
        return Err(Error::config(
            file,
            "contract.end",
            format!(
                "is {}, before period {period} begins: a period outside the contract term is not billed; run a period inside the term, or extend contract.end if the contract was renewed",
                terms.end
            ),
        ));
    }
    if terms.start > last {
        return Err(Error::config(
            file,
            "contract.start",
            format!(
                "is {}, after period {period} ends: a period outside the contract term is not billed; run a period inside the term, or correct contract.start",
                terms.start
            ),
        ));
    }
    Ok(Coverage { period, first: terms.start.max(first), last: terms.end.min(last), as_of: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Market;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn terms(start: NaiveDate, end: NaiveDate) -> ContractTerms {
        let example = include_str!("../fixtures/contracts/domain-example.toml");
        let mut terms = crate::contract::Contract::parse("c.toml", example).unwrap().contract;
        (terms.start, terms.end) = (start, end);
        terms
    }

    fn october() -> Period {
        Period::new(2026, 10).unwrap()
    }

    #[test]
    fn a_term_around_the_period_covers_all_of_it() {
        let c = coverage("c.toml", &terms(day(2026, 1, 1), day(2026, 12, 31)), october()).unwrap();
        assert!(c.is_whole());
        assert_eq!(c.term_days(), None);
        assert!(c.excluded().is_empty());
        assert_eq!(c, Coverage::whole(october()));
    }

    #[test]
    fn a_term_starting_mid_month_covers_the_days_from_its_start() {
        let c = coverage("c.toml", &terms(day(2026, 10, 15), day(2027, 10, 14)), october()).unwrap();
        assert_eq!((c.first, c.last), (day(2026, 10, 15), day(2026, 10, 31)));
        assert_eq!(c.term_days(), Some(TermDays { covered: 17, period: 31 }));
        assert_eq!(c.excluded(), vec![(day(2026, 10, 1), day(2026, 10, 14))]);
        assert!(!c.contains(day(2026, 10, 14)) && c.contains(day(2026, 10, 15)));
    }

    #[test]
    fn a_term_ending_mid_month_covers_the_days_to_its_end() {
        let c = coverage("c.toml", &terms(day(2025, 11, 1), day(2026, 10, 31)), october()).unwrap();
        assert!(c.is_whole(), "ending on the period's last day covers all of it");
        let c = coverage("c.toml", &terms(day(2026, 10, 10), day(2026, 10, 10)), october()).unwrap();
        assert_eq!(c.term_days(), Some(TermDays { covered: 1, period: 31 }));
        assert_eq!(c.excluded(), vec![(day(2026, 10, 1), day(2026, 10, 9)), (day(2026, 10, 11), day(2026, 10, 31))]);
    }

    #[test]
    fn only_sales_facts_inside_the_term_are_kept_and_those_left_out_say_why() {
        use crate::ingest::records::{MoneyKind, OrderEventKind};
        let c = coverage("c.toml", &terms(day(2026, 10, 15), day(2027, 10, 14)), october()).unwrap();
        let line = |d| MoneyLine {
            market: Market::AMAZON_US,
            line: 2,
            date: d,
            order_id: "A".into(),
            kind: MoneyKind::Principal,
            amount: Decimal::ONE,
        };
        let event = |d| OrderEvent {
            market: Market::AMAZON_US,
            line: 2,
            date: d,
            order_id: "A".into(),
            kind: OrderEventKind::Placed,
            units: 1,
            principal: Decimal::ONE,
            shipping: Decimal::ZERO,
        };
        let mut parsed = ParsedExport {
            lines: vec![line(day(2026, 10, 14)), line(day(2026, 10, 15))],
            events: vec![event(day(2026, 10, 1)), event(day(2026, 10, 31))],
            ..ParsedExport::default()
        };
        let left_out = c.keep_inside(&mut parsed);
        assert_eq!(parsed.lines, vec![line(day(2026, 10, 15))]);
        assert_eq!(parsed.events, vec![event(day(2026, 10, 31))]);
        let why = "dated before the contract term starts (2026-10-15)".to_string();
        assert_eq!(left_out, vec![(why, vec![line(day(2026, 10, 14))], vec![event(day(2026, 10, 1))])]);
    }

    #[test]
    fn the_note_states_the_days_the_rule_and_the_days_left_out() {
        let c = coverage("c.toml", &terms(day(2026, 10, 15), day(2027, 10, 14)), october()).unwrap();
        assert_eq!(
            c.note(Decimal::new(800000, 2)),
            Some(NoteKind::TermPartial {
                first: day(2026, 10, 15),
                last: day(2026, 10, 31),
                covered_days: 17,
                period_days: 31,
                base_monthly: "8000.00".into(),
                excluded: vec!["2026-10-01/2026-10-14".into()],
            })
        );
        assert_eq!(Coverage::whole(october()).note(Decimal::ONE), None);
    }

    #[test]
    fn a_period_after_the_term_is_refused_naming_contract_end() {
        let e = coverage("contracts/acme.toml", &terms(day(2026, 1, 1), day(2026, 9, 30)), october()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "contracts/acme.toml: contract.end: is 2026-09-30, before period 2026-10 begins: a period outside the contract term is not billed; run a period inside the term, or extend contract.end if the contract was renewed"
        );
    }

    #[test]
    fn a_period_before_the_term_is_refused_naming_contract_start() {
        let e = coverage("contracts/acme.toml", &terms(day(2026, 11, 1), day(2027, 10, 31)), october()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "contracts/acme.toml: contract.start: is 2026-11-01, after period 2026-10 ends: a period outside the contract term is not billed; run a period inside the term, or correct contract.start"
        );
    }
}
