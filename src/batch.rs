//! The month-end run over many sellers: each seller isolated, in parallel,
//! its outputs written as one folder that appears whole or not at all, the
//! statement lifecycle enforced (`crate::lifecycle`), every final statement
//! registered (`crate::register`), and a summary of what was written and
//! what failed and why (batch-summary.json and batch-summary.csv).
//!
//! The summary describes the statements, not the run: a run resumed after
//! a crash, or repeated over unchanged inputs, writes the same summary bytes
//! as one uninterrupted run. What this run did for each seller (issued,
//! unchanged, resumed, …) is [`SellerOutcome::action`], reported as sellers
//! finish and never written to the summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::billed::Billed;
use crate::contract::Language;
use crate::error::Error;
use crate::lifecycle::{self, IssueMode, LifecycleError, Prior, Reissue};
use crate::money::Currency;
use crate::notes::NoteClass;
use crate::output::{remove_stale_temporaries, write_tree_archiving_previous, write_tree_atomically};
use crate::pipeline::{RunOptions, build_statement};
use crate::register::{Issued, Register};
use crate::render::fonts::Fonts;
use crate::render::{RenderOptions, render_pdf};
use crate::seal_config::Signer;
use crate::sealing::{
    EVIDENCE_BAG, EVIDENCE_ZIP, MANIFEST_JSON, PROVENANCE_CSV, STATEMENT_JSON, STATEMENT_PDF, SealedFiles, seal,
    write_sealed,
};
use crate::seller_error::SellerError;
use crate::shard::{self, ShardSpec};
use crate::statement::Statement;
use crate::workspace::Workspace;
use kpiseal_seal::keys::PublicKey;
use kpiseal_seal::manifest::{DRAFT_SUFFIX, Status, hash_bytes};
use kpiseal_seal::verify::{Options as VerifyOptions, Verdict, verify_path};

/// Drafts live apart from final statements: `<out>/drafts/<period>/`.
pub const DRAFTS_DIR: &str = "drafts";
/// Superseded final statements are kept in `<out>/superseded/<period>/<number>/`.
pub const SUPERSEDED_DIR: &str = "superseded";

/// How a batch run is set up.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub run: RunOptions,
    /// The output folder: statements, drafts, superseded statements and the
    /// register `statements.log`.
    pub out: PathBuf,
    /// Only these sellers; all of the workspace's when empty.
    pub sellers: Vec<String>,
    /// Make a failed reconciliation check fatal for its seller.
    pub strict: bool,
    /// Print every statement in this language instead of its contract's.
    pub language: Option<Language>,
    /// Final statements, drafts, or corrections.
    pub mode: IssueMode,
    /// Keep every seller whose folder already holds its current statement
    /// and verifies with the signing key, instead of recomputing it.
    pub resume: bool,
    /// Copy every input file into the seller's evidence bag (`data/inputs/`).
    pub include_inputs: bool,
    /// Only the sellers of this shard (of those selected); all when `None`.
    pub shard: Option<ShardSpec>,
}

impl BatchOptions {
    /// Final statements for `period` into `out`, every seller, nothing else set.
    pub fn new(period: crate::period::Period, out: impl Into<PathBuf>) -> BatchOptions {
        BatchOptions {
            run: RunOptions::new(period),
            out: out.into(),
            sellers: Vec::new(),
            strict: false,
            language: None,
            mode: IssueMode::Final,
            resume: false,
            include_inputs: false,
            shard: None,
        }
    }

    /// The options each seller's statement is built with: `run`, knowing the
    /// statements issued in `register` (the register of `out`) unless
    /// `run.billed` is already set. `run` and `check` both use it.
    pub fn run_options(&self, register: &Arc<Register>) -> RunOptions {
        let mut run = self.run.clone();
        if run.billed.is_none() {
            run.billed = Some(Billed::new(&self.out, register.clone()));
        }
        run
    }

    /// True for a run of watermarked drafts.
    pub fn draft(&self) -> bool {
        self.mode == IssueMode::Draft
    }

    /// The folder this run's seller folders and summary go to:
    /// `<out>/<period>/`, or `<out>/drafts/<period>/` for drafts.
    pub fn period_dir(&self) -> PathBuf {
        let period = self.run.period.to_string();
        if self.draft() { self.out.join(DRAFTS_DIR).join(period) } else { self.out.join(period) }
    }
}

/// One seller's outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SellerOutcome {
    pub seller: String,
    pub status: OutcomeStatus,
    pub statement_number: Option<String>,
    pub currency: Option<Currency>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub amount_due: Option<Decimal>,
    /// The statement's data notes (`crate::notes`), one line each with the
    /// files and lines they come from.
    pub warnings: Vec<String>,
    /// The contract or command-line choices that took effect on the
    /// statement, one line each.
    #[serde(default)]
    pub choices: Vec<String>,
    pub error: Option<String>,
    pub input_rows: usize,
    /// The id of the key the statement is signed with.
    pub key_id: Option<String>,
    /// What this run did; `None` when the seller failed. Not in the summary.
    #[serde(skip)]
    pub action: Option<Action>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    Written,
    Failed,
}

/// What a run did for a seller whose statement is in place afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A first final statement, registered.
    Issued,
    /// The same final statement as already issued, written again byte for byte.
    Unchanged,
    /// A correction issued; the superseded statement archived.
    Superseded,
    /// `--resume`: the folder already held the statement and verified.
    Resumed,
    /// A draft written (or overwritten).
    Drafted,
}

impl Action {
    /// The word the log prints.
    pub fn word(self) -> &'static str {
        match self {
            Action::Issued => "issued",
            Action::Unchanged => "unchanged",
            Action::Superseded => "superseded",
            Action::Resumed => "resumed",
            Action::Drafted => "drafted",
        }
    }
}

/// A batch summary: this run's outcome as `run_batch` returns it, or the
/// contents of a batch-summary.json (see `crate::summary`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchSummary {
    pub period: String,
    pub draft: bool,
    pub sellers: Vec<SellerOutcome>,
    pub written: usize,
    pub failed: usize,
    /// The shard this summary is of (`{index, count, hash}`); null when unsharded.
    pub shard: Option<ShardSpec>,
    /// The summary files this run wrote or updated. Not written to them.
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

impl BatchSummary {
    pub fn all_written(&self) -> bool {
        self.failed == 0
    }
}

/// Told about a batch as it goes (from worker threads).
pub trait Progress: Sync {
    /// The run will process `sellers` sellers (called once, before any).
    fn start(&self, _sellers: usize) {}
    /// A seller finished, successfully or not, after `took`.
    fn finish(&self, outcome: &SellerOutcome, took: Duration);
}

/// Reports nothing (for library callers and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn finish(&self, _outcome: &SellerOutcome, _took: Duration) {}
}

/// The sellers a run over `ws` with `opts` processes, in id order: the
/// `--seller`s given (else every seller with a contract), then only those
/// of `opts.shard`.
///
/// # Errors
/// An unreadable `contracts/` folder, or a `--seller` with no contract.
pub fn select_sellers(ws: &Workspace, opts: &BatchOptions) -> Result<Vec<String>, Error> {
    let all = ws.sellers()?;
    if opts.sellers.is_empty() {
        return Ok(shard::select(opts.shard, all));
    }
    for s in &opts.sellers {
        if !all.contains(s) {
            return Err(Error::config("contracts/", s, "no such seller: there is no contracts/<seller>.toml for it"));
        }
    }
    Ok(shard::select(opts.shard, opts.sellers.clone()))
}

/// Runs every selected seller (of `opts.shard` only, when set), writing the
/// sealed file set of `crate::sealing` to `<period dir>/<seller>/` for each
/// that succeeds, signed with `signer`, then records the outcomes in the
/// period folder's summaries (`crate::summary::record`). Final statements
/// are registered in `<out>/statements.log`.
///
/// # Errors
/// Only problems that stop the whole run: an unreadable workspace or
/// register, an unknown `--seller`, or an unwritable summary. A seller's own
/// failure is in its [`SellerOutcome`], never an error here.
pub fn run_batch(
    ws: &Workspace,
    opts: &BatchOptions,
    signer: &Signer,
    progress: &dyn Progress,
) -> Result<BatchSummary, Error> {
    let sellers = select_sellers(ws, opts)?;
    let _lock = crate::run_lock::acquire(&opts.out, &opts.run.period.to_string(), opts.draft(), opts.shard)?;
    let fonts = Fonts::for_workspace(ws)?;
    // Drafts are not registered, but what was issued still must not be billed again.
    let issued = Arc::new(Register::open(&opts.out)?);
    let register = if opts.draft() { None } else { Some(issued.clone()) };
    let run = opts.run_options(&issued);
    let job = Job {
        ws,
        opts,
        signer,
        public_key: signer.key().public_key(),
        fonts: fonts.as_ref(),
        register: register.as_deref(),
        queue: Mutex::new(RegisterQueue::default()),
        run: &run,
        period_dir: opts.period_dir(),
    };
    remove_stale_temporaries(&job.period_dir, &sellers)?;
    progress.start(sellers.len());
    let mut outcomes: Vec<SellerOutcome> = sellers
        .par_iter()
        .enumerate()
        .map(|(index, seller)| {
            let started = Instant::now();
            let outcome = job.run_seller(index, seller);
            progress.finish(&outcome, started.elapsed());
            outcome
        })
        .collect();
    // A seller whose register line could not be appended failed, even if
    // another seller's worker found out.
    for (index, error) in job.queue.into_inner().unwrap_or_else(|p| p.into_inner()).failed {
        if let Some(outcome) = outcomes.get_mut(index) {
            outcome.status = OutcomeStatus::Failed;
            outcome.error = Some(error);
        }
    }
    let failed = outcomes.iter().filter(|o| o.status == OutcomeStatus::Failed).count();
    let summary = BatchSummary {
        period: opts.run.period.to_string(),
        draft: opts.draft(),
        written: outcomes.len() - failed,
        failed,
        sellers: outcomes,
        shard: opts.shard,
        files: Vec::new(),
    };
    let files = crate::summary::record(&job.period_dir, &summary, &ws.sellers()?)?;
    Ok(BatchSummary { files, ..summary })
}

/// What every seller of one run shares.
struct Job<'a> {
    ws: &'a Workspace,
    opts: &'a BatchOptions,
    signer: &'a Signer,
    public_key: PublicKey,
    fonts: &'a Fonts,
    register: Option<&'a Register>,
    /// The register lines waiting for the sellers before theirs.
    queue: Mutex<RegisterQueue>,
    /// `opts.run` with the statements already issued (`BatchOptions::run_options`).
    run: &'a RunOptions,
    period_dir: PathBuf,
}

/// Register lines in seller order, whatever order the sellers finish in:
/// a seller's line is appended once every seller before it has finished,
/// so the same run writes the same `statements.log`. (A crash leaves the
/// finished sellers still waiting unregistered, which `--resume` takes
/// over, as for a crash between a folder's rename and its line.)
#[derive(Default)]
struct RegisterQueue {
    /// The index of the first seller not released yet.
    next: usize,
    /// Sellers from `next` on that have finished, with the line each appends.
    finished: BTreeMap<usize, Option<Issued>>,
    /// Sellers whose line could not be appended, and why.
    failed: Vec<(usize, String)>,
}

impl Job<'_> {
    /// Seller `index` has finished, with `entry` to register: appends every
    /// waiting line that no unfinished seller comes before.
    fn release(&self, index: usize, entry: Option<Issued>) {
        let mut guard = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let queue = &mut *guard;
        queue.finished.insert(index, entry);
        while let Some(entry) = queue.finished.remove(&queue.next) {
            if let (Some(entry), Some(register)) = (entry, self.register)
                && let Err(e) = register.append(&entry)
            {
                queue.failed.push((queue.next, SellerError::from(e).to_string()));
            }
            queue.next += 1;
        }
    }

    fn run_seller(&self, index: usize, seller: &str) -> SellerOutcome {
        let mut outcome = SellerOutcome {
            seller: seller.to_string(),
            status: OutcomeStatus::Failed,
            statement_number: None,
            currency: None,
            amount_due: None,
            warnings: Vec::new(),
            choices: Vec::new(),
            error: None,
            input_rows: 0,
            key_id: None,
            action: None,
        };
        let (result, entry) = match self.statement_for(seller) {
            Ok((st, action, entry)) => (Ok((st, action)), entry),
            Err(e) => (Err(e), None),
        };
        self.release(index, entry);
        match result {
            Ok((st, action)) => {
                outcome.status = OutcomeStatus::Written;
                outcome.statement_number = Some(st.statement_number.clone());
                outcome.currency = Some(st.totals.currency);
                outcome.amount_due = Some(st.totals.amount_due);
                outcome.warnings = st.data_notes().map(|n| n.line()).collect();
                outcome.choices = st.notes.iter().filter(|n| n.class == NoteClass::Choice).map(|n| n.line()).collect();
                outcome.input_rows = st.inputs.iter().map(|i| i.rows).sum();
                outcome.key_id = Some(st.signing.key_id.clone());
                outcome.action = Some(action);
            }
            Err(e) => outcome.error = Some(e.to_string()),
        }
        outcome
    }

    /// The final statement in force for `seller`, if any (never for drafts):
    /// the register's latest entry, else the statement `in_folder`.
    fn prior(&self, seller: &str, in_folder: Option<&Prior>) -> Option<Prior> {
        let register = self.register?;
        register
            .latest(seller, &self.opts.run.period.to_string())
            .map(|entry| Prior::from_register(&entry))
            .or_else(|| in_folder.cloned())
    }

    /// Builds, renders, seals and writes one seller's statement (or keeps
    /// it, with `--resume`): its whole folder appears together or not at all.
    /// Also returns the register line it takes, appended by [`Job::release`].
    fn statement_for(&self, seller: &str) -> Result<(Statement, Action, Option<Issued>), SellerError> {
        let opts = self.opts;
        let folder = self.period_dir.join(seller);
        let in_folder = Prior::from_folder(&folder);
        let prior = self.prior(seller, in_folder.as_ref());
        // A final statement in the folder that the register does not list:
        // the register lost lines (truncated, restored from an old backup) or
        // a run crashed between the folder's rename and the register's append.
        // Only --resume, which verifies the folder first, may take it over.
        if !opts.resume
            && let Some(p) = prior.as_ref().filter(|p| !p.registered && !p.statement_number.ends_with(DRAFT_SUFFIX))
        {
            return Err(LifecycleError::Unregistered {
                number: p.statement_number.clone(),
                folder: folder.display().to_string(),
                manifest_sha256: p.manifest_sha256.clone(),
            }
            .into());
        }
        if opts.resume
            && let Some(kept) = self.resumable(&folder, in_folder.as_ref(), prior.as_ref())
        {
            return Ok((kept, Action::Resumed, None));
        }

        let mut st = build_statement(self.ws, seller, self.run, self.signer.block())?;
        if opts.strict
            && let Some(c) = st.failed_checks().next()
        {
            return Err(Error::Reconciliation(format!("{} {}: {}", c.file, c.scope, c.detail)).into());
        }
        let identity = lifecycle::identity(&opts.mode, prior.as_ref(), &st.statement_number)?;
        st.statement_number = identity.statement_number;
        st.supersedes = identity.supersedes;

        let json = st.to_json();
        let language = opts.language.unwrap_or(st.seller.language);
        let pdf = render_pdf(&st, &json, &RenderOptions { language, draft: opts.draft(), fonts: self.fonts })?;
        let status = if opts.draft() { Status::Draft } else { Status::Final };
        let sealed = seal(&st, &json, &pdf, self.signer.key(), status)?;
        let manifest_sha256 = sealed.get(MANIFEST_JSON).map(|m| hash_bytes(m).sha256).unwrap_or_default();
        let inputs_from = opts.include_inputs.then_some(self.ws.root.as_path());
        let fill = |dir: &Path| write_sealed(dir, &st, &sealed, inputs_from).map_err(SellerError::from);

        if self.register.is_none() {
            write_tree_atomically(&folder, fill)?;
            return Ok((st, Action::Drafted, None));
        }
        let reissue = lifecycle::reissue(&opts.mode, prior.as_ref(), &manifest_sha256)
            .map_err(|e| same_figures_other_files(e, &folder, &json, st.provenance.as_ref().map(|p| p.csv())))?;
        match (reissue, in_folder) {
            (Reissue::Correction, Some(current)) => {
                write_tree_archiving_previous(&folder, &self.archive_folder(&current.statement_number), fill)?;
            }
            _ => write_tree_atomically(&folder, fill)?,
        }
        let entry = (reissue != Reissue::Unchanged || prior.as_ref().is_some_and(|p| !p.registered))
            .then(|| self.register_entry(&st, &sealed, &folder));
        let action = match reissue {
            Reissue::First => Action::Issued,
            Reissue::Unchanged => Action::Unchanged,
            Reissue::Correction => Action::Superseded,
        };
        Ok((st, action, entry))
    }

    /// Where a superseded statement's folder is kept:
    /// `<out>/superseded/<period>/<number>/`.
    fn archive_folder(&self, statement_number: &str) -> PathBuf {
        self.opts.out.join(SUPERSEDED_DIR).join(self.opts.run.period.to_string()).join(statement_number)
    }

    /// The register line of final statement `st`, sealed as `sealed` and
    /// written to `folder`.
    fn register_entry(&self, st: &Statement, sealed: &SealedFiles, folder: &Path) -> Issued {
        let sha256 = |name: &str| sealed.get(name).map(|bytes| hash_bytes(bytes).sha256).unwrap_or_default();
        Issued {
            statement_number: st.statement_number.clone(),
            seller: st.seller.id.clone(),
            period: self.opts.run.period.to_string(),
            issue_date: st.issue_date.to_string(),
            currency: st.totals.currency.code().to_string(),
            amount_due: st.totals.amount_due.to_string(),
            manifest_sha256: sha256(MANIFEST_JSON),
            statement_pdf_sha256: sha256(STATEMENT_PDF),
            key_id: st.signing.key_id.clone(),
            folder: relative_folder(&self.opts.out, folder),
            supersedes: st.supersedes.clone(),
            prev: None,
        }
    }

    /// The statement in `folder` when `--resume` may keep it: it is the
    /// statement in force (the register's latest, or for drafts whatever
    /// is there; for a correction, one with this run's reason), its folder
    /// verifies with the signing key, and its evidence bag validates.
    /// `in_folder` is what the folder's manifest says it holds.
    fn resumable(&self, folder: &Path, in_folder: Option<&Prior>, prior: Option<&Prior>) -> Option<Statement> {
        if self.register.is_some() {
            let prior = prior.filter(|p| p.registered)?;
            let here = in_folder?;
            if here.manifest_sha256 != prior.manifest_sha256 {
                return None;
            }
            if let IssueMode::Supersede { reason } = &self.opts.mode
                && prior.supersedes.as_ref().is_none_or(|s| s.reason != reason.trim())
            {
                return None;
            }
        }
        // The folder's verification covers its bag and zip, when present.
        let options = VerifyOptions { key: Some(&self.public_key), ..VerifyOptions::default() };
        let expected = if self.opts.draft() { Verdict::Draft } else { Verdict::Valid };
        let complete = folder.join(EVIDENCE_BAG).is_dir() && folder.join(EVIDENCE_ZIP).is_file();
        if !complete || !verify_path(folder, &options).is_ok_and(|v| v.verdict() == expected) {
            return None;
        }
        Statement::from_json(&std::fs::read(folder.join(STATEMENT_JSON)).ok()?).ok()
    }
}

/// `e`, or, when it refuses to replace an issued final statement whose
/// statement.json in `folder` is this run's `json` byte for byte, the
/// refusal that says only the sealed files differ, and how: provenance.csv
/// missing from the issued one (sealed before kpiseal made the table) or
/// other than this run's `table`, or another file (a delivered key file or
/// verifier page of another version).
fn same_figures_other_files(e: LifecycleError, folder: &Path, json: &[u8], table: Option<&[u8]>) -> LifecycleError {
    let LifecycleError::AlreadyIssued { number, .. } = &e else { return e };
    if std::fs::read(folder.join(STATEMENT_JSON)).ok().as_deref() != Some(json) {
        return e;
    }
    let issued = std::fs::read(folder.join(PROVENANCE_CSV)).ok();
    let difference = match (issued.as_deref(), table) {
        (None, Some(_)) => {
            "it was sealed without provenance.csv (by a kpiseal from before the table) and this run seals one"
                .to_string()
        }
        (Some(a), Some(b)) if a != b => {
            "its provenance.csv differs from this run's (a kpiseal of another table layout)".to_string()
        }
        _ => "a file other than statement.json differs (a key file or verify.html of another kpiseal version)"
            .to_string(),
    };
    LifecycleError::SameFiguresOtherFiles { number: number.clone(), difference }
}

/// `folder` relative to `out`, with `/` separators (for the register).
fn relative_folder(out: &Path, folder: &Path) -> String {
    let rel = folder.strip_prefix(out).unwrap_or(folder);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
