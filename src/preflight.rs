//! `kpiseal check`: the preflight finance runs before the final month end.
//!
//! Every selected seller goes through exactly what `run` computes
//! ([`crate::pipeline::build_statement`]: ingest, every check of
//! `crate::notes`, KPIs and fees), but nothing is rendered, sealed or
//! written. The report lists, per seller, every problem that would refuse
//! its statement and every choice and data note it would carry.

use std::sync::Arc;

use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use chrono::NaiveDate;

use crate::alerts::{Alert, AlertKind, Limit, alerts_of};
use crate::batch::{BatchOptions, select_sellers};
use crate::error::Error;
use crate::money::Currency;
use crate::notes::{DataNote, NoteClass};
use crate::pipeline::build_statement;
use crate::register::Register;
use crate::statement::SigningBlock;
use crate::workspace::Workspace;

/// What `run` would make of one seller.
#[derive(Debug, Clone, Serialize)]
pub struct SellerCheck {
    pub seller: String,
    /// `issued`, or `refused` when some problem stops the statement.
    pub outcome: CheckOutcome,
    pub currency: Option<Currency>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub amount_due: Option<Decimal>,
    /// Every problem that refuses the statement, each naming file, line and column.
    pub errors: Vec<String>,
    /// The choices and data notes the statement would carry.
    pub notes: Vec<DataNote>,
    /// As of a date (`check --as-of`): every KPI at or past its alert
    /// threshold or limit, raised before or not (see `crate::alerts`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<Alert>,
}

/// Whether `run` would issue the seller's statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    Issued,
    Refused,
}

impl SellerCheck {
    /// Issued with no data note (contract choices may be there).
    pub fn clean(&self) -> bool {
        self.outcome == CheckOutcome::Issued && !self.notes.iter().any(|n| n.class == NoteClass::Data)
    }
}

/// The preflight of one period.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub period: String,
    /// The day an as-of check counts to; absent for a month-end preflight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<NaiveDate>,
    pub sellers: Vec<SellerCheck>,
}

impl CheckReport {
    /// Every seller would be issued without a data note.
    pub fn clean(&self) -> bool {
        self.sellers.iter().all(SellerCheck::clean)
    }
}

/// Checks every seller `opts` selects (its `--seller`s and shard) for
/// `opts.run.period`, in parallel, writing nothing.
///
/// # Errors
/// Only what stops the whole check: an unreadable workspace or an unknown
/// `--seller`. A seller's own problems are in its [`SellerCheck`].
pub fn check(ws: &Workspace, opts: &BatchOptions) -> Result<CheckReport, Error> {
    let sellers = select_sellers(ws, opts)?;
    let run = opts.run_options(&Arc::new(Register::open(&opts.out)?));
    // Nothing is signed: the block only fills the model's field.
    let signing = SigningBlock { key_id: String::new(), demo: false };
    let sellers = sellers
        .par_iter()
        .map(|seller| match build_statement(ws, seller, &run, signing.clone()) {
            Ok(st) => {
                let alerts = match run.as_of {
                    Some(as_of) => match crate::pipeline::read_contract(ws, seller) {
                        Ok((_, contract)) => alerts_of(seller, &st.kpis, as_of, &contract),
                        Err(e) => return refused(seller, e),
                    },
                    None => Vec::new(),
                };
                let mut errors = Vec::new();
                if opts.strict
                    && let Some(c) = st.failed_checks().next()
                {
                    errors.push(Error::Reconciliation(format!("{} {}: {}", c.file, c.scope, c.detail)).to_string());
                }
                SellerCheck {
                    seller: seller.clone(),
                    outcome: if errors.is_empty() { CheckOutcome::Issued } else { CheckOutcome::Refused },
                    currency: Some(st.totals.currency),
                    amount_due: Some(st.totals.amount_due),
                    errors,
                    notes: st.notes,
                    alerts,
                }
            }
            Err(e) => refused(seller, e),
        })
        .collect();
    Ok(CheckReport { period: opts.run.period.to_string(), as_of: run.as_of, sellers })
}

/// A seller whose statement `e` refuses.
fn refused(seller: &str, e: Error) -> SellerCheck {
    SellerCheck {
        seller: seller.to_string(),
        outcome: CheckOutcome::Refused,
        currency: None,
        amount_due: None,
        errors: e.problems(),
        notes: Vec::new(),
        alerts: Vec::new(),
    }
}

/// The report as a table for a terminal: one line per seller, then one
/// indented line per problem, note and alert. An as-of report opens with
/// "AS OF <date>: NOT A STATEMENT" and marks the alerts in `raised_now`
/// as new.
pub fn table(report: &CheckReport, raised_now: &[Alert]) -> String {
    let mut out = String::new();
    if let Some(as_of) = report.as_of {
        out.push_str(&format!(
            "AS OF {as_of}: NOT A STATEMENT (figures to {as_of} from the exports downloaded so far)\n"
        ));
    }
    for s in &report.sellers {
        let due = match (s.currency, s.amount_due) {
            (Some(c), Some(d)) => format!("amount due {} {d}", c.code()),
            _ => String::new(),
        };
        let word = match (s.outcome, s.clean()) {
            (CheckOutcome::Refused, _) => "REFUSED",
            (CheckOutcome::Issued, true) => "ok",
            (CheckOutcome::Issued, false) => "NOTES",
        };
        out.push_str(&format!("{word:<8} {:<24} {due}\n", s.seller));
        for e in &s.errors {
            out.push_str(&format!("  error  {e}\n"));
        }
        for n in &s.notes {
            let kind = match n.class {
                NoteClass::Choice => "choice",
                NoteClass::Data => "note",
            };
            out.push_str(&format!("  {kind:<6} {}\n", n.line()));
        }
        for a in &s.alerts {
            let word = match a.kind {
                AlertKind::Alert => "ALERT",
                AlertKind::Breach => "BREACH",
            };
            let (side, limit) = match a.limit {
                Limit::Min => ("≤", "minimum"),
                Limit::Max => ("≥", "maximum"),
            };
            let reached = if a.kind == AlertKind::Alert {
                format!("{side} alert {}", a.threshold)
            } else {
                format!("past the {limit} {}", a.threshold)
            };
            let when = if raised_now.contains(a) { "new" } else { "raised before" };
            out.push_str(&format!("  {word:<6} {} {} {} {reached} ({when})\n", a.market.id(), a.kpi, a.value));
        }
    }
    let refused = report.sellers.iter().filter(|s| s.outcome == CheckOutcome::Refused).count();
    let noted = report.sellers.iter().filter(|s| s.outcome == CheckOutcome::Issued && !s.clean()).count();
    out.push_str(&format!(
        "{} sellers for {}: {} would be refused, {noted} issued with data notes, {} clean\n",
        report.sellers.len(),
        report.period,
        refused,
        report.sellers.len() - refused - noted
    ));
    out
}
