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
                }
            }
            Err(e) => SellerCheck {
                seller: seller.clone(),
                outcome: CheckOutcome::Refused,
                currency: None,
                amount_due: None,
                errors: e.problems(),
                notes: Vec::new(),
            },
        })
        .collect();
    Ok(CheckReport { period: opts.run.period.to_string(), sellers })
}

/// The report as a table for a terminal: one line per seller, then one
/// indented line per problem and note.
pub fn table(report: &CheckReport) -> String {
    let mut out = String::new();
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
