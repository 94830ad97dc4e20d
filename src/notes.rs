//! What every assumption about a seller's inputs came to.
//!
//! kpiseal assumes things about the files it is given: that they are for the
//! period, in the currency they say, each counted once, complete for every
//! market of the contract. Each assumption is checked, and ends in exactly
//! one of three ways:
//!
//! - a **refusal**: the seller's statement is not issued; the error names
//!   file, line/row and column and what to do ([`Findings::refuse`], turned
//!   into [`crate::error::Error::Refused`] at the end of a stage);
//! - a **choice**: a contract key or command-line flag decided it, and the
//!   statement says so where it takes effect ([`NoteClass::Choice`]);
//! - a **data note**: the statement is issued and says what was found
//!   ([`NoteClass::Data`]).
//!
//! Choices and data notes are [`DataNote`]s: printed in the statement's
//! "Data notes" section in its language (`templates/<language>.toml`,
//! `[data_notes]`, one text per code with `{param}` placeholders filled
//! from the note's fields), written to statement.json `notes` with their
//! English text, and listed in the batch summary. Nothing is dropped,
//! doubled, relabelled or assumed without one of the three.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::i18n::Catalog;

/// Whether a note records a choice the contract or command line made, or
/// a fact found in the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteClass {
    /// A contract key or command-line flag took effect (`kpiseal check` lists
    /// it, but it does not make the check fail).
    Choice,
    /// Something found in the inputs that a reader of the statement must know.
    Data,
}

/// What a note says, with the figures it says it with. The variant's
/// snake_case name is the note's `code` and its template key
/// (`data_notes.<code>`); every field is a `{field}` placeholder there.
/// Fields named `market` or `markets` hold market ids, which the statement
/// prints as the market's name in its language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum NoteKind {
    /// A reconciliation check of one file failed: the marketplace's own total
    /// disagrees with the sum of its detail.
    ReconciliationFailed { scope: String, detail: String },
    /// No check could compare this market's figures with the marketplace's
    /// own totals (e.g. no file of it carries one).
    MarketNotReconciled { market: String },
    /// The same export (byte-identical content, or the same settlement / sale
    /// / row with identical money) was given twice; the copy was not counted.
    DuplicateDropped { what: String, kept: String, dropped: String },
    /// The contract term covers only `first..=last` of the period: the base
    /// fee is prorated by days, and sales and ads dated on the `excluded`
    /// days (`first/last` runs) are not counted (`crate::term`).
    TermPartial {
        first: NaiveDate,
        last: NaiveDate,
        covered_days: u32,
        period_days: u32,
        base_monthly: String,
        excluded: Vec<String>,
    },
    /// An as-of run (`kpiseal check --as-of`): the figures count `first` to
    /// `as_of`, `counted_days` of the term's `term_days` in the period, from
    /// the exports downloaded so far; GMV targets are pro-rated by those
    /// days (`prorated`: each as "before → after"). Not a statement.
    AsOf { as_of: NaiveDate, first: NaiveDate, counted_days: u32, term_days: u32, prorated: Vec<String> },
    /// A cost dated before the period, billed in it because the contract
    /// sets `[costs] allow_late_billed` (`crate::cost_dates`).
    LateBilledCost { invoice_no: String, date: NaiveDate },
    /// Two input files are byte-identical; the content was read once, as
    /// `kept`.
    DuplicateFile { kept: String, dropped: String },
    /// A pass-through cost of the ledger was already billed, identically, on
    /// the seller's statement of another period; it was not billed again.
    CostAlreadyBilled { invoice: String, statement: String, period: String },
    /// `[contract.time_zones]` dates this market's rows in another zone than
    /// the marketplace's own.
    TimeZone { market: String, zone: String, default_zone: String },
    /// A market of the contract had no sales export for the period, and
    /// `--allow-missing` or `contract.allow_missing` (`allowed_by`) allowed
    /// it: no data for the market (`crate::markets`).
    MarketSalesMissing { market: String, allowed_by: String },
    /// Amazon's Sponsored Products report was missing although the contract
    /// key `needed_by` reads an ads KPI, and `allowed_by` allowed it.
    MarketAdsMissing { market: String, needed_by: String, allowed_by: String },
    /// A market's `report` (returns, feedback, All Orders) was missing
    /// although the contract key `needed_by` reads a KPI made of it, and
    /// `allowed_by` allowed it.
    MarketReportMissing { market: String, report: String, needed_by: String, allowed_by: String },
    /// `fees.bounds_include_markup = true` took effect: the handling markup
    /// (`markup`, with its currency) counts towards the minimum and maximum
    /// fee with the other service-fee lines.
    MarkupInsideFeeLimits { markup: String },
    /// Rates the statement converts with come from sources the contract's
    /// `fx.source` (`agreed`) does not name: each as pair, rate, date and source.
    FxSourceNotNamed { agreed: String, rates: Vec<String> },
    /// The contract names its own time zone for `market`, but `rows` rows of
    /// one file near the month boundary carry a date without a time of day:
    /// the zone cannot be applied to them, so they count on the date printed.
    TimeZoneNotApplied { market: String, zone: String, rows: String },
    /// A returns report (`file`) has no row dated in the period: it is read
    /// as no returns in the period (a month without returns downloads as a
    /// header, or as rows of the days either side), not refused like an
    /// empty sales export. `rows` data rows, dated `dates` (empty: none).
    NoReturnsInPeriod { file: String, rows: String, dates: String },
    /// A seller Feedback report (`file`) has no feedback dated in the
    /// period: read as none received (its negative feedback rate then has
    /// no value: nothing to divide by), not refused.
    NoFeedbackInPeriod { file: String, rows: String, dates: String },
    /// `rows` return requests of a merchant-fulfilled returns report
    /// (`file`), requested by the end of the period, have no delivery date:
    /// not back yet, so not counted as returned.
    ReturnsNotDelivered { file: String, rows: String },
    /// `orders` merchant-fulfilled orders of an All Orders report (`file`)
    /// were cancelled, and the report does not say by whom: they count as
    /// cancelled by the seller.
    CancellerNotStated { file: String, orders: String },
    /// `orders` orders of a store's orders export (`file`) carry a refund,
    /// which the export gives as the order's refunded total without its
    /// date: each counts with its order.
    StoreRefundsWithTheirOrder { file: String, orders: String },
    /// `orders` orders placed in the period in a store's orders export
    /// (`file`) were not paid when it was downloaded: no sale yet.
    StoreOrdersUnpaid { file: String, orders: String },
    /// `orders` orders of an order export (`file`) whose return was
    /// approved are refunded the agreed price of their returned units: the
    /// export carries no refund amount or date.
    RefundsFromReturnedUnits { file: String, orders: String },
    /// A store market (`market`) has its orders export but no Shopify
    /// Payments transactions export: its payment fees are in no input.
    StorePaymentFeesNotGiven { market: String },
    /// `rows` rows of an All Orders report (`file`) are Multi-Channel
    /// Fulfillment orders (sales channel Non-Amazon): not Amazon.com
    /// orders, not counted.
    MultiChannelOrders { file: String, rows: String },
    /// `rows` rows of a Date Range report (`file`) belong to `settlements`,
    /// each given as its own settlement report: counted from that report.
    SettlementCountedFromReport { file: String, rows: String, settlements: Vec<String> },
    /// The All Orders reports given have orders dated only from `first` to
    /// `last`, more than [`crate::pipeline::ORDERS_EDGE_DAYS`] days short of
    /// the counted period's start or end: perhaps a download of part of the
    /// month, whose missing orders would be in no figure. A quiet day at the
    /// month's edge looks the same, so this is said, not refused.
    OrdersReportPartial { files: Vec<String>, first: String, last: String },
}

impl NoteKind {
    /// The note's code: its variant's snake_case name.
    pub fn code(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map.get("code").and_then(|c| c.as_str()).unwrap_or("").to_string(),
            _ => String::new(),
        }
    }

    /// Whether this is a choice or a data note.
    pub fn class(&self) -> NoteClass {
        match self {
            NoteKind::ReconciliationFailed { .. }
            | NoteKind::MarketNotReconciled { .. }
            | NoteKind::DuplicateDropped { .. }
            | NoteKind::DuplicateFile { .. }
            | NoteKind::CostAlreadyBilled { .. }
            | NoteKind::TimeZoneNotApplied { .. }
            | NoteKind::NoReturnsInPeriod { .. }
            | NoteKind::NoFeedbackInPeriod { .. }
            | NoteKind::ReturnsNotDelivered { .. }
            | NoteKind::CancellerNotStated { .. }
            | NoteKind::StoreRefundsWithTheirOrder { .. }
            | NoteKind::StoreOrdersUnpaid { .. }
            | NoteKind::RefundsFromReturnedUnits { .. }
            | NoteKind::StorePaymentFeesNotGiven { .. }
            | NoteKind::MultiChannelOrders { .. }
            | NoteKind::SettlementCountedFromReport { .. }
            | NoteKind::OrdersReportPartial { .. }
            | NoteKind::FxSourceNotNamed { .. } => NoteClass::Data,
            NoteKind::TimeZone { .. }
            | NoteKind::MarketSalesMissing { .. }
            | NoteKind::MarketAdsMissing { .. }
            | NoteKind::MarketReportMissing { .. }
            | NoteKind::MarkupInsideFeeLimits { .. }
            | NoteKind::TermPartial { .. }
            | NoteKind::AsOf { .. }
            | NoteKind::LateBilledCost { .. } => NoteClass::Choice,
        }
    }

    /// The `{placeholder}` values of the note's text, in field order: every
    /// field but `code`, each as text (lists joined by `list_separator`).
    pub fn params(&self) -> Vec<(String, Param)> {
        let Ok(serde_json::Value::Object(map)) = serde_json::to_value(self) else { return Vec::new() };
        map.into_iter()
            .filter(|(k, _)| k != "code")
            .map(|(k, v)| {
                let param = match v {
                    serde_json::Value::String(s) => Param::Text(s),
                    serde_json::Value::Array(items) => Param::List(
                        items
                            .into_iter()
                            .map(|i| match i {
                                serde_json::Value::String(s) => s,
                                other => other.to_string(),
                            })
                            .collect(),
                    ),
                    other => Param::Text(other.to_string()),
                };
                (k, param)
            })
            .collect()
    }
}

/// One placeholder value of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Text(String),
    List(Vec<String>),
}

/// A choice or data note as the statement carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataNote {
    pub class: NoteClass,
    #[serde(flatten)]
    pub kind: NoteKind,
    /// Where it was found: workspace-relative `file`, `file:line` or
    /// `file [sheet "S"] row N`; empty for notes about no file in particular.
    pub at: Vec<String>,
    /// The note in English (the PDF prints it in the statement's language
    /// from `code` and the fields).
    pub text: String,
}

impl DataNote {
    /// The note `kind`, found `at` those places, with its English text.
    ///
    /// # Errors
    /// An internal error when the English template lacks the note's text
    /// (a test checks every code has one in every language).
    pub fn new(kind: NoteKind, at: Vec<String>) -> Result<DataNote, Error> {
        let english = Catalog::get(crate::contract::Language::En).map_err(|e| Error::Internal(e.to_string()))?;
        let text = english.data_note(&kind).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(DataNote { class: kind.class(), kind, at, text })
    }

    /// The note as one line for logs and summaries: `text (at …)`.
    pub fn line(&self) -> String {
        if self.at.is_empty() { self.text.clone() } else { format!("{} ({})", self.text, self.at.join(", ")) }
    }
}

/// Ascending line numbers as short ranges: `[3, 4, 5, 9]` → `3-5,9`.
pub fn line_ranges(lines: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j + 1 < lines.len() && lines[j + 1] == lines[j] + 1 {
            j += 1;
        }
        parts.push(if j == i { lines[i].to_string() } else { format!("{}-{}", lines[i], lines[j]) });
        i = j + 1;
    }
    parts.join(",")
}

/// The notes and refusals of one seller's run, gathered as its stages go.
#[derive(Debug, Default)]
pub struct Findings {
    notes: Vec<DataNote>,
    refusals: Vec<Error>,
}

impl Findings {
    /// Records a choice or data note.
    ///
    /// # Errors
    /// As [`DataNote::new`].
    pub fn note(&mut self, kind: NoteKind, at: Vec<String>) -> Result<(), Error> {
        self.notes.push(DataNote::new(kind, at)?);
        Ok(())
    }

    /// Records a problem that refuses the statement; the stage goes on so
    /// that every such problem is reported together.
    pub fn refuse(&mut self, error: impl Into<Error>) {
        self.refusals.push(error.into());
    }

    /// Whether anything refuses the statement so far.
    pub fn refused(&self) -> bool {
        !self.refusals.is_empty()
    }

    /// Ends a stage: every refusal so far as one [`Error::Refused`], or
    /// nothing.
    ///
    /// # Errors
    /// [`Error::Refused`] with every refusal recorded, in order.
    pub fn check(&mut self) -> Result<(), Error> {
        match self.refusals.len() {
            0 => Ok(()),
            _ => Err(Error::Refused(std::mem::take(&mut self.refusals))),
        }
    }

    /// The notes, in the order recorded, with exact repeats removed.
    pub fn into_notes(self) -> Vec<DataNote> {
        let mut out: Vec<DataNote> = Vec::with_capacity(self.notes.len());
        for n in self.notes {
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }

    /// Adds `other`'s notes and refusals after this one's.
    pub fn extend(&mut self, other: Findings) {
        self.notes.extend(other.notes);
        self.refusals.extend(other.refusals);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Vec<NoteKind> {
        vec![
            NoteKind::ReconciliationFailed { scope: "s".into(), detail: "d".into() },
            NoteKind::MarketNotReconciled { market: "amazon_us".into() },
            NoteKind::DuplicateDropped { what: "w".into(), kept: "a".into(), dropped: "b".into() },
            NoteKind::TermPartial {
                first: NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(),
                last: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
                covered_days: 17,
                period_days: 31,
                base_monthly: "8000.00".into(),
                excluded: vec!["2026-10-01/2026-10-14".into()],
            },
            NoteKind::LateBilledCost {
                invoice_no: "INV-1".into(),
                date: NaiveDate::from_ymd_opt(2026, 9, 28).unwrap(),
            },
            NoteKind::DuplicateFile { kept: "a".into(), dropped: "b".into() },
            NoteKind::CostAlreadyBilled { invoice: "i".into(), statement: "s".into(), period: "p".into() },
            NoteKind::TimeZone {
                market: "amazon_us".into(),
                zone: "UTC".into(),
                default_zone: "America/Los_Angeles".into(),
            },
            NoteKind::MarketSalesMissing { market: "mercadolivre_br".into(), allowed_by: "--allow-missing".into() },
            NoteKind::MarketReportMissing {
                market: "amazon_us".into(),
                report: "All Orders report".into(),
                needed_by: "kpi.targets[2] (cancel_rate)".into(),
                allowed_by: "--allow-missing amazon_us".into(),
            },
            NoteKind::MarketAdsMissing {
                market: "amazon_us".into(),
                needed_by: "fees.rules[0] (roas)".into(),
                allowed_by: "contract.allow_missing".into(),
            },
            NoteKind::MarkupInsideFeeLimits { markup: "USD 1.00".into() },
            NoteKind::FxSourceNotNamed {
                agreed: "PBoC".into(),
                rates: vec!["USD/CNY 7.1 (2026-10-30, \"ECB\")".into()],
            },
            NoteKind::TimeZoneNotApplied { market: "amazon_us".into(), zone: "UTC".into(), rows: "3".into() },
            NoteKind::NoReturnsInPeriod { file: "r.txt".into(), rows: "1".into(), dates: "2026-09-30".into() },
            NoteKind::NoFeedbackInPeriod { file: "f.txt".into(), rows: "0".into(), dates: "—".into() },
            NoteKind::ReturnsNotDelivered { file: "r.txt".into(), rows: "2".into() },
            NoteKind::CancellerNotStated { file: "o.txt".into(), orders: "1".into() },
            NoteKind::StoreRefundsWithTheirOrder { file: "o.csv".into(), orders: "2".into() },
            NoteKind::StoreOrdersUnpaid { file: "o.csv".into(), orders: "3".into() },
            NoteKind::RefundsFromReturnedUnits { file: "o.xlsx".into(), orders: "4".into() },
            NoteKind::StorePaymentFeesNotGiven { market: "shopify:acme-home".into() },
            NoteKind::MultiChannelOrders { file: "o.txt".into(), rows: "3".into() },
            NoteKind::SettlementCountedFromReport {
                file: "d.csv".into(),
                rows: "40".into(),
                settlements: vec!["17732218302 (s.txt)".into()],
            },
            NoteKind::AsOf {
                as_of: NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(),
                first: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                counted_days: 15,
                term_days: 31,
                prorated: vec!["gmv amazon_us min 150000.00 → 72580.65".into()],
            },
            NoteKind::OrdersReportPartial {
                files: vec!["o.txt".into()],
                first: "2026-10-05".into(),
                last: "2026-10-31".into(),
            },
        ]
    }

    #[test]
    fn every_note_has_a_text_in_every_language_with_every_placeholder_filled() {
        for language in
            [crate::contract::Language::En, crate::contract::Language::ZhCn, crate::contract::Language::PtBr]
        {
            let catalog = Catalog::get(language).unwrap();
            for kind in kinds() {
                let text = catalog.data_note(&kind).unwrap();
                assert!(!text.contains('{'), "{language:?} {}: {text}", kind.code());
            }
        }
    }

    #[test]
    fn a_note_round_trips_through_json_with_its_code_and_fields_at_top_level() {
        let note = DataNote::new(NoteKind::MarketNotReconciled { market: "amazon_us".into() }, vec![]).unwrap();
        let json = serde_json::to_value(&note).unwrap();
        assert_eq!(json["code"], "market_not_reconciled");
        assert_eq!(json["market"], "amazon_us");
        assert_eq!(json["class"], "data");
        let back: DataNote = serde_json::from_value(json).unwrap();
        assert_eq!(back, note);
    }

    #[test]
    fn line_ranges_join_consecutive_lines() {
        assert_eq!(line_ranges(&[3, 4, 5, 9, 11, 12]), "3-5,9,11-12");
        assert_eq!(line_ranges(&[7]), "7");
        assert_eq!(line_ranges(&[]), "");
    }

    #[test]
    fn findings_check_refuses_with_every_problem_in_order() {
        let mut f = Findings::default();
        assert!(f.check().is_ok());
        f.refuse(Error::Fx("first".into()));
        f.refuse(Error::Fx("second".into()));
        let e = f.check().unwrap_err();
        let Error::Refused(all) = &e else { panic!("{e}") };
        assert_eq!(all.len(), 2);
        assert!(e.to_string().contains("first") && e.to_string().contains("second"), "{e}");
        assert!(f.check().is_ok(), "the refusals were handed over");
    }
}
