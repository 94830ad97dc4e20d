//! Which rows of a pass-through cost ledger a period bills, by their dates.
//!
//! The ledger `costs/<period>/<seller>.csv` is kept per period, so a row
//! dated in another month is a mistake (a row copied from last month's
//! ledger, a typo) unless the contract says invoices that arrive late are
//! billed when they are recorded:
//!
//! - a row dated in the period is billed;
//! - a row dated before the period is refused, unless the contract sets
//!   `[costs] allow_late_billed = true`: then it is billed with its own date
//!   and marked on the statement as late-billed;
//! - a row dated after the period is always refused (it belongs to a later
//!   month's ledger);
//! - a row dated outside the contract term is always refused.

use chrono::NaiveDate;

use crate::contract::ContractTerms;
use crate::error::{InputError, Location};
use crate::ingest::records::CostLine;
use crate::period::Period;

/// The ledger's column that holds a row's date, as errors name it.
const DATE_COLUMN: &str = "date";

/// A cost row billed in a later period than its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateCost {
    pub line: usize,
    pub date: NaiveDate,
    pub invoice_no: String,
}

/// What the dates of a ledger's rows lead to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostDating {
    /// Rows dated before the period and billed under `allow_late_billed`, in file order.
    pub late: Vec<LateCost>,
    /// One refusal per row that may not be billed in the period, in file order.
    pub refused: Vec<InputError>,
}

/// Sorts the rows of the ledger `file` for `period` by their dates (see the
/// module documentation); `allow_late_billed` is the contract's
/// `[costs] allow_late_billed`. `term` is `None` when the period itself is
/// outside the contract term (refused on its own): the rows are then not
/// refused once more each for being outside it.
pub fn check_cost_dates(
    file: &str,
    costs: &[CostLine],
    period: Period,
    term: Option<&ContractTerms>,
    allow_late_billed: bool,
) -> CostDating {
    let mut out = CostDating::default();
    let refuse = |line: usize, message: String| InputError {
        file: file.to_string(),
        location: Location::Line(line),
        column: Some(DATE_COLUMN.to_string()),
        message,
    };
    for c in costs {
        if let Some(term) = term.filter(|t| c.date < t.start || c.date > t.end) {
            out.refused.push(refuse(
                c.line,
                format!(
                    "{} is outside the contract term ({} to {}): only costs paid under the contract are passed through; correct the date or remove the row",
                    c.date, term.start, term.end
                ),
            ));
        } else if c.date > period.last_day() {
            out.refused.push(refuse(
                c.line,
                format!(
                    "{} is after period {period} ends: a cost is billed in the month of its date or later, never earlier; move the row to the ledger of {}",
                    c.date,
                    month_of(c.date)
                ),
            ));
        } else if c.date < period.first_day() && !allow_late_billed {
            out.refused.push(refuse(
                c.line,
                format!(
                    "{} is before period {period} begins: bill the row in the ledger of {}, or set [costs] allow_late_billed = true in the contract to bill invoices that arrive late in the month they are recorded (each is marked on the statement)",
                    c.date,
                    month_of(c.date)
                ),
            ));
        } else if c.date < period.first_day() {
            out.late.push(LateCost { line: c.line, date: c.date, invoice_no: c.invoice_no.clone() });
        }
    }
    out
}

/// The `YYYY-MM` of `date`.
fn month_of(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::ingest::records::CostCategory;
    use crate::money::Currency;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn cost(line: usize, date: NaiveDate, invoice: &str) -> CostLine {
        CostLine {
            line,
            date,
            category: CostCategory::Freight,
            vendor: "Bluewave".into(),
            invoice_no: invoice.into(),
            description: String::new(),
            amount: Decimal::new(10000, 2),
            currency: Currency::Usd,
            evidence: None,
        }
    }

    /// The example contract's term: 2026-01-01 to 2026-12-31.
    fn term() -> ContractTerms {
        let example = include_str!("../fixtures/contracts/domain-example.toml");
        crate::contract::Contract::parse("c.toml", example).unwrap().contract
    }

    const FILE: &str = "costs/2026-10/acme-home.csv";

    fn october() -> Period {
        Period::new(2026, 10).unwrap()
    }

    #[test]
    fn rows_dated_in_the_period_are_billed() {
        let costs = [cost(2, day(2026, 10, 1), "A"), cost(3, day(2026, 10, 31), "B")];
        assert_eq!(check_cost_dates(FILE, &costs, october(), Some(&term()), false), CostDating::default());
    }

    #[test]
    fn a_row_dated_before_the_period_is_refused_by_default() {
        let d = check_cost_dates(FILE, &[cost(4, day(2026, 9, 28), "A")], october(), Some(&term()), false);
        assert!(d.late.is_empty());
        assert_eq!(
            d.refused.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "costs/2026-10/acme-home.csv:4: column \"date\": 2026-09-28 is before period 2026-10 begins: bill the row in the ledger of 2026-09, or set [costs] allow_late_billed = true in the contract to bill invoices that arrive late in the month they are recorded (each is marked on the statement)"
            ]
        );
    }

    #[test]
    fn a_row_dated_before_the_period_is_late_billed_when_the_contract_allows_it() {
        let d = check_cost_dates(FILE, &[cost(4, day(2026, 9, 28), "INV-9")], october(), Some(&term()), true);
        assert!(d.refused.is_empty());
        assert_eq!(d.late, vec![LateCost { line: 4, date: day(2026, 9, 28), invoice_no: "INV-9".into() }]);
    }

    #[test]
    fn a_row_dated_after_the_period_is_refused_even_when_late_billing_is_allowed() {
        let d = check_cost_dates(FILE, &[cost(2, day(2026, 11, 3), "A")], october(), Some(&term()), true);
        assert_eq!(
            d.refused[0].to_string(),
            "costs/2026-10/acme-home.csv:2: column \"date\": 2026-11-03 is after period 2026-10 ends: a cost is billed in the month of its date or later, never earlier; move the row to the ledger of 2026-11"
        );
    }

    #[test]
    fn a_row_dated_outside_the_contract_term_is_refused() {
        let d = check_cost_dates(FILE, &[cost(2, day(2025, 12, 30), "A")], october(), Some(&term()), true);
        assert_eq!(
            d.refused[0].to_string(),
            "costs/2026-10/acme-home.csv:2: column \"date\": 2025-12-30 is outside the contract term (2026-01-01 to 2026-12-31): only costs paid under the contract are passed through; correct the date or remove the row"
        );
    }

    #[test]
    fn without_a_term_rows_are_judged_by_the_period_alone() {
        // March 2027 is after the term: the period is refused on its own, so
        // its rows are not refused once more each.
        let march = Period::new(2027, 3).unwrap();
        let rows = [cost(2, day(2027, 3, 3), "A")];
        assert!(check_cost_dates(FILE, &rows, march, None, false).refused.is_empty());
        assert_eq!(check_cost_dates(FILE, &rows, march, Some(&term()), false).refused.len(), 1);
    }

    #[test]
    fn every_refused_row_is_reported_in_file_order() {
        let costs = [cost(2, day(2026, 8, 1), "A"), cost(3, day(2026, 10, 2), "B"), cost(4, day(2026, 9, 1), "C")];
        let d = check_cost_dates(FILE, &costs, october(), Some(&term()), false);
        let lines: Vec<_> = d.refused.iter().map(|e| e.location.clone()).collect();
        assert_eq!(lines, [Location::Line(2), Location::Line(4)]);
    }
}
