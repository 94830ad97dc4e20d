//! The month-end run over many sellers: each seller isolated, in parallel,
//! outputs written atomically, and a summary of what was written and what
//! failed and why.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::contract::Language;
use crate::error::Error;
use crate::money::Currency;
use crate::output::{write_file_atomically, write_tree_atomically};
use crate::pipeline::{RunOptions, build_statement};
use crate::render::fonts::Fonts;
use crate::render::{RenderOptions, render_pdf};
use crate::seal_config::Signer;
use crate::sealing::{seal, write_sealed};
use crate::shard::{self, ShardSpec};
use crate::statement::Statement;
use crate::workspace::Workspace;

/// How a batch run is set up.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub run: RunOptions,
    pub out: PathBuf,
    /// Only these sellers; all of the workspace's when empty.
    pub sellers: Vec<String>,
    /// Make a failed reconciliation check fatal for its seller.
    pub strict: bool,
    /// Print every statement in this language instead of its contract's.
    pub language: Option<Language>,
    /// Watermark every statement as a draft.
    pub draft: bool,
    /// Copy every input file into the seller's evidence bag (`data/inputs/`).
    pub include_inputs: bool,
    /// Only the sellers of this shard (of those selected); all when `None`.
    pub shard: Option<ShardSpec>,
}

/// One seller's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct SellerOutcome {
    pub seller: String,
    pub status: OutcomeStatus,
    pub statement_number: Option<String>,
    pub currency: Option<Currency>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub amount_due: Option<Decimal>,
    /// Failed reconciliation checks (written anyway unless --strict).
    pub warnings: Vec<String>,
    pub error: Option<String>,
    pub input_rows: usize,
    /// The id of the key the statement is signed with.
    pub key_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    Written,
    Failed,
}

/// The whole run's outcome, written as batch-summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct BatchSummary {
    pub period: String,
    pub sellers: Vec<SellerOutcome>,
    pub written: usize,
    pub failed: usize,
    /// The shard this run made (`{index, count, hash}`); null when unsharded.
    pub shard: Option<ShardSpec>,
}

impl BatchSummary {
    pub fn all_written(&self) -> bool {
        self.failed == 0
    }
}

/// Runs every selected seller, writing the sealed file set of
/// `crate::sealing` to `<out>/<period>/<seller>/` for each that succeeds,
/// signed with `signer`, and `<out>/<period>/batch-summary.json`; with
/// `opts.shard`, only that shard's sellers, and the summary named by
/// `shard::summary_file_name`. `report`
/// is called as each seller finishes (from worker threads).
///
/// # Errors
/// Only problems that stop the whole run: an unreadable workspace, an
/// unknown `--seller`, or an unwritable summary. A seller's own failure is
/// in its [`SellerOutcome`], never an error here.
pub fn run_batch(
    ws: &Workspace,
    opts: &BatchOptions,
    signer: &Signer,
    report: &(dyn Fn(&SellerOutcome, std::time::Duration) + Sync),
) -> Result<BatchSummary, Error> {
    let all = ws.sellers()?;
    let sellers = if opts.sellers.is_empty() {
        all
    } else {
        for s in &opts.sellers {
            if !all.contains(s) {
                return Err(Error::config(
                    "contracts/",
                    s,
                    "no such seller: there is no contracts/<seller>.toml for it",
                ));
            }
        }
        opts.sellers.clone()
    };
    let sellers = shard::select(opts.shard, sellers);
    let fonts = ws.fonts()?;
    let period_dir = opts.out.join(opts.run.period.to_string());
    let outcomes: Vec<SellerOutcome> = sellers
        .par_iter()
        .map(|seller| {
            let started = Instant::now();
            let outcome = run_seller(ws, opts, signer, fonts.as_ref(), &period_dir, seller);
            report(&outcome, started.elapsed());
            outcome
        })
        .collect();
    let failed = outcomes.iter().filter(|o| o.status == OutcomeStatus::Failed).count();
    let summary = BatchSummary {
        period: opts.run.period.to_string(),
        written: outcomes.len() - failed,
        failed,
        sellers: outcomes,
        shard: opts.shard,
    };
    let mut json = serde_json::to_vec_pretty(&summary).map_err(|e| Error::Internal(e.to_string()))?;
    json.push(b'\n');
    write_file_atomically(&period_dir.join(shard::summary_file_name(opts.shard)), &json)?;
    Ok(summary)
}

fn run_seller(
    ws: &Workspace,
    opts: &BatchOptions,
    signer: &Signer,
    fonts: &Fonts,
    period_dir: &Path,
    seller: &str,
) -> SellerOutcome {
    let mut outcome = SellerOutcome {
        seller: seller.to_string(),
        status: OutcomeStatus::Failed,
        statement_number: None,
        currency: None,
        amount_due: None,
        warnings: Vec::new(),
        error: None,
        input_rows: 0,
        key_id: None,
    };
    match statement_for(ws, opts, signer, fonts, period_dir, seller) {
        Ok(st) => {
            outcome.status = OutcomeStatus::Written;
            outcome.statement_number = Some(st.statement_number.clone());
            outcome.currency = Some(st.totals.currency);
            outcome.amount_due = Some(st.totals.amount_due);
            outcome.warnings = st.failed_checks().map(describe_check).collect();
            outcome.input_rows = st.inputs.iter().map(|i| i.rows).sum();
            outcome.key_id = Some(st.signing.key_id.clone());
        }
        Err(e) => outcome.error = Some(e.to_string()),
    }
    outcome
}

fn describe_check(c: &crate::ingest::records::ReconciliationCheck) -> String {
    format!("reconciliation failed: {} {}: {}", c.file, c.scope, c.detail)
}

/// Builds, renders, seals and writes one seller's statement: its whole
/// folder appears together or not at all.
fn statement_for(
    ws: &Workspace,
    opts: &BatchOptions,
    signer: &Signer,
    fonts: &Fonts,
    period_dir: &Path,
    seller: &str,
) -> Result<Statement, Error> {
    let st = build_statement(ws, seller, &opts.run, signer.block())?;
    if opts.strict
        && let Some(c) = st.failed_checks().next()
    {
        return Err(Error::Reconciliation(format!("{} {}: {}", c.file, c.scope, c.detail)));
    }
    let json = st.to_json();
    let language = opts.language.unwrap_or(st.seller.language);
    let pdf = render_pdf(&st, &json, &RenderOptions { language, draft: opts.draft, fonts })?;
    let sealed = seal(&st, &json, &pdf, signer.key())?;
    let inputs_from = opts.include_inputs.then_some(ws.root.as_path());
    write_tree_atomically(&period_dir.join(seller), |dir| Ok(write_sealed(dir, &st, &sealed, inputs_from)?))?;
    Ok(st)
}
