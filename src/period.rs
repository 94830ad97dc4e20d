//! A statement period (one calendar month) and the time zones rows are dated in.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One calendar month, e.g. `2026-10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    /// The month `year`-`month`; `None` unless `month` is 1..=12.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Period { year, month })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated in Period::new")
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a month always has a previous day")
    }

    /// The following month.
    pub fn next(self) -> Period {
        if self.month == 12 {
            Period { year: self.year + 1, month: 1 }
        } else {
            Period { year: self.year, month: self.month + 1 }
        }
    }

    /// The month before.
    pub fn prev(self) -> Period {
        if self.month == 1 {
            Period { year: self.year - 1, month: 12 }
        } else {
            Period { year: self.year, month: self.month - 1 }
        }
    }

    /// Whether `date` falls within this month.
    pub fn contains(self, date: NaiveDate) -> bool {
        date.year() == self.year && date.month() == self.month
    }

    /// The month's days, in order.
    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        self.first_day().iter_days().take_while(move |d| self.contains(*d))
    }

    /// Whether `date` is the month's first or last day or the day next to
    /// either outside it: a calendar date a change of time zone (less than a
    /// day) could move into or out of the month.
    pub fn near_boundary(self, date: NaiveDate) -> bool {
        let (first, last) = (self.first_day(), self.last_day());
        [first.pred_opt(), Some(first), Some(last), last.succ_opt()].contains(&Some(date))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a period (expected YYYY-MM, e.g. 2026-10)");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Period::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prev_is_the_month_before_across_a_year_and_undoes_next() {
        let jan: Period = "2027-01".parse().unwrap();
        assert_eq!(jan.prev().to_string(), "2026-12");
        assert_eq!(jan.prev().next(), jan);
        assert_eq!(Period::new(2026, 10).unwrap().prev().to_string(), "2026-09");
    }

    #[test]
    fn near_boundary_is_the_first_and_last_day_and_their_neighbours_outside() {
        let p: Period = "2026-10".parse().unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let near: Vec<bool> =
            [day(9, 29), day(9, 30), day(10, 1), day(10, 2), day(10, 30), day(10, 31), day(11, 1), day(11, 2)]
                .into_iter()
                .map(|d| p.near_boundary(d))
                .collect();
        assert_eq!(near, [false, true, true, false, false, true, true, false]);
    }

    #[test]
    fn october_2026_runs_from_the_1st_to_the_31st() {
        let p: Period = "2026-10".parse().unwrap();
        assert_eq!(p.first_day(), NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        assert_eq!(p.last_day(), NaiveDate::from_ymd_opt(2026, 10, 31).unwrap());
        assert!(p.contains(NaiveDate::from_ymd_opt(2026, 10, 31).unwrap()));
        assert!(!p.contains(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()));
    }

    #[test]
    fn december_rolls_into_next_year() {
        let p: Period = "2026-12".parse().unwrap();
        assert_eq!(p.next().to_string(), "2027-01");
        assert_eq!(p.last_day(), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    }

    #[test]
    fn rejects_malformed_periods() {
        for bad in ["2026-13", "2026-1", "26-10", "2026/10", ""] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}
