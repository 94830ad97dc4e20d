//! Pass-through costs already billed: the cost lines of the statements in
//! force for a seller in other periods, found through the register
//! (`statements.log`) and read from each statement's statement.json, so that
//! a vendor invoice is never billed twice across periods (`crate::dedup`).
//!
//! The period being issued is left out: a re-run or a correction
//! (`--supersede`) of a period never counts that period's earlier issue.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::dedup::Origin;
use crate::error::Error;
use crate::ingest::records::{CostCategory, CostLine};
use crate::money::Currency;
use crate::period::Period;
use crate::register::Register;
use crate::sealing::STATEMENT_JSON;

/// The statements issued so far, as the pipeline asks about them.
#[derive(Debug, Clone)]
pub struct Billed {
    /// The output folder the register's folders are relative to.
    out: PathBuf,
    register: Arc<Register>,
}

/// One statement in force for another period and the costs it billed.
#[derive(Debug, Clone)]
pub struct BilledStatement {
    /// Its statement.json, number and period.
    pub origin: Origin,
    /// Its pass-through lines, in statement order (`line` is 0).
    pub costs: Vec<CostLine>,
    /// What it printed, for the trend of later statements.
    pub figures: PastFigures,
}

/// The figures a statement in force printed, as its statement.json has
/// them (never recomputed): its period, number, the manifest hash the
/// register holds for it, its KPIs and its amount due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastFigures {
    pub period: String,
    pub statement_number: String,
    pub manifest_sha256: String,
    pub kpis: Vec<PastKpi>,
    pub currency: Currency,
    pub amount_due: Decimal,
}

/// One KPI as a statement printed it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PastKpi {
    pub id: String,
    pub market: String,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    pub status: String,
}

impl Billed {
    /// The statements registered in `register`, whose folders are under `out`.
    pub fn new(out: &Path, register: Arc<Register>) -> Billed {
        Billed { out: out.to_path_buf(), register }
    }

    /// Reads the register of `out` (`<out>/statements.log`; none is empty).
    ///
    /// # Errors
    /// As [`Register::open`].
    pub fn open(out: &Path) -> Result<Billed, Error> {
        Ok(Billed::new(out, Arc::new(Register::open(out)?)))
    }

    /// Each final statement in force for `seller` in a period other than
    /// `period`, with the pass-through costs it billed, by period.
    ///
    /// # Errors
    /// [`Error::Io`] when a statement.json the register names cannot be
    /// read, [`Error::Config`] naming it when it is not a statement: without
    /// it, what was billed cannot be checked.
    pub fn statements(&self, seller: &str, period: Period) -> Result<Vec<BilledStatement>, Error> {
        let period = period.to_string();
        let mut out = Vec::new();
        for entry in self.register.in_force(seller).into_iter().filter(|e| e.period != period) {
            let path = self.out.join(&entry.folder).join(STATEMENT_JSON);
            let shown = path.display().to_string();
            let bytes = std::fs::read(&path).map_err(|e| {
                Error::io(
                    &path,
                    std::io::Error::new(
                        e.kind(),
                        format!(
                            "{e}; the register lists statement {} for {} here, and its pass-through costs must be known so that none is billed twice: restore the folder",
                            entry.statement_number, entry.period
                        ),
                    ),
                )
            })?;
            let view: StatementView = serde_json::from_slice(&bytes).map_err(|e| {
                Error::config(
                    &shown,
                    "(document)",
                    format!("cannot be read as a statement (its pass-through costs, KPIs and totals): {e}"),
                )
            })?;
            let figures = PastFigures {
                period: entry.period.clone(),
                statement_number: entry.statement_number.clone(),
                manifest_sha256: entry.manifest_sha256.clone(),
                kpis: view.kpis,
                currency: view.totals.currency,
                amount_due: view.totals.amount_due,
            };
            let costs = view
                .pass_through
                .lines
                .into_iter()
                .map(|l| CostLine {
                    date: l.date,
                    category: l.category,
                    vendor: l.vendor,
                    invoice_no: l.invoice_no,
                    description: l.description,
                    amount: l.amount,
                    currency: l.currency,
                    evidence: l.evidence,
                    line: 0,
                })
                .collect();
            out.push(BilledStatement {
                origin: Origin::Issued { file: shown, statement_number: entry.statement_number, period: entry.period },
                costs,
                figures,
            });
        }
        Ok(out)
    }
}

/// The part of a statement.json read here; other fields are ignored, so
/// statements written by other versions are read as long as these remain.
#[derive(Deserialize)]
struct StatementView {
    pass_through: PassThroughView,
    kpis: Vec<PastKpi>,
    totals: TotalsView,
}

#[derive(Deserialize)]
struct TotalsView {
    currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    amount_due: Decimal,
}

#[derive(Deserialize)]
struct PassThroughView {
    lines: Vec<LineView>,
}

#[derive(Deserialize)]
struct LineView {
    date: NaiveDate,
    category: CostCategory,
    vendor: String,
    invoice_no: String,
    description: String,
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
    evidence: Option<String>,
}
