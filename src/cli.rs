//! Every command-line flag and its help text.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use kpiseal::contract::Language;
use kpiseal::market::Market;
use kpiseal::period::Period;
use kpiseal::shard::ShardSpec;

/// Month-end KPI and fee statements for cross-border marketplace sellers.
#[derive(Debug, Parser)]
#[command(name = "kpiseal", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute every seller's statement for a period and write, per seller,
    /// the signed statement.pdf, statement.json, the signed manifest.json and
    /// the evidence bag, plus batch-summary.json and .csv. Exit 0 every
    /// seller written, 1 some seller failed or was refused, 2 usage or
    /// configuration error (nothing written).
    Run(RunArgs),
    /// The preflight before the final run: every seller through exactly what
    /// `run` computes (ingest, every input check, KPIs, fees), nothing
    /// rendered, signed or written. Prints every problem that would refuse a
    /// statement and every note it would carry, with file and line. Exit 0
    /// every seller would be issued without a data note, 1 some would be
    /// refused or carry data notes, 2 usage or configuration.
    Check(CheckArgs),
    /// Make the provider's Ed25519 signing key: provider.key (mode 0600), its
    /// certificate and public key files.
    Keygen(KeygenArgs),
    /// Re-render statement.pdf from a statement.json (same bytes as `run` made).
    Render(RenderArgs),
    /// After every shard of a month end has run: check that together they made
    /// every seller's statement exactly once and that each verifies, then write
    /// the signed period-manifest.json (Merkle root over the seller manifests).
    /// Exit 0 written, 1 incomplete or invalid, 2 usage or configuration.
    Merge(MergeArgs),
    /// The review (复盘) of one seller over consecutive months, from the
    /// statements already issued (never recomputed): per KPI its values and
    /// met/alert/missed counts, fees by kind, pass-through by category,
    /// market totals, the months' notes and the statements used, written as
    /// review.json and review.csv under <out>/reviews/. Exit 0 written, 2
    /// usage, configuration or no statement in the range.
    Review(ReviewArgs),
    /// Check delivered statements by exactly the bytes named: a PDF, a
    /// statement folder, an evidence bag or zip, or a period folder. Every
    /// file read is listed with its SHA-256; files no signature covers,
    /// links, special files and PDF/zip polyglots are refused. Exit 0 all
    /// VALID, 1 something NOT VALID, 2 refused or unreadable, 3 valid but
    /// a draft (not a statement).
    Verify(kpiseal_verify::VerifyArgs),
    /// The input rows that make one figure of a sealed statement, from its
    /// provenance.csv: `kpis.<id>.<market|all>` (every KPI),
    /// `<market>.<group>.<field>` (e.g. amazon_us.sales.orders) or
    /// `pass_through.lines[N]`, each group of rows with its file and lines, a
    /// subtotal per step and the value beside the printed one; or a figure
    /// derived from those (`totals.amount_due`, `service_fees.lines[N]`,
    /// `commission_base.lines[N]`, `pass_through.lines[N].converted`, …) as
    /// its arithmetic, each part naming the figure to explain next. The path
    /// is verified first. Exit 0 the rows make the printed value, 1 they do
    /// not, 2 refused or unreadable.
    Explain(ExplainArgs),
    /// Write verify.html, the offline page that checks statements in a
    /// browser (the same page every seller folder carries), optionally with
    /// the provider's key pinned in it, for the provider to publish.
    VerifyPage(kpiseal_verify::VerifyPageArgs),
}

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The statement.json to print.
    #[arg(long, value_name = "FILE")]
    pub json: PathBuf,
    /// Where to write the PDF.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print in this language instead of the contract's.
    #[arg(long, value_name = "zh-CN|en|pt-BR", value_parser = parse_language)]
    pub language: Option<Language>,
    /// Watermark every page as a draft.
    #[arg(long)]
    pub draft: bool,
    /// A font to print with instead of the built-in one (e.g. a fuller CJK font).
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,
}

/// `zh-CN`, `en` or `pt-BR`.
fn parse_language(s: &str) -> Result<Language, String> {
    [Language::ZhCn, Language::En, Language::PtBr]
        .into_iter()
        .find(|l| l.tag().eq_ignore_ascii_case(s))
        .ok_or_else(|| format!("unknown language {s:?}: expected zh-CN, en or pt-BR"))
}

/// A market id: `amazon_us`, `amazon_br`, `mercadolivre_br`, `shopee_br` or `shopify:<store>`.
fn parse_market(s: &str) -> Result<Market, String> {
    s.parse()
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The workspace folder (kpiseal.toml, contracts/, fx/, exports/, costs/).
    #[arg(long, value_name = "DIR")]
    pub workspace: PathBuf,
    /// The period, e.g. 2026-10.
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,
    /// Where statements go: <out>/<period>/<seller>/. Defaults to <workspace>/out.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only this seller (repeatable). Default: every seller with a contract.
    #[arg(long = "seller", value_name = "ID")]
    pub sellers: Vec<String>,
    /// The statement's issue date. Default: the day after the period ends.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub issue_date: Option<NaiveDate>,
    /// Fail a seller whose exports do not reconcile, instead of warning.
    #[arg(long)]
    pub strict: bool,
    /// A contract market whose exports may be missing this period
    /// (repeatable): its sellers' statements say "no data for MARKET"
    /// instead of being refused. Without it every market of a contract needs
    /// its sales export, and Amazon its Sponsored Products report when the
    /// contract sets a target or rule on an ads KPI.
    #[arg(long = "allow-missing", value_name = "MARKET", value_parser = parse_market)]
    pub allow_missing: Vec<Market>,
    /// Sellers processed in parallel. Default: one per core, and one more
    /// to keep the cores busy while a seller's folder is made durable on the
    /// disk. (polars' own thread pool gets the cores left over, at least
    /// one; POLARS_MAX_THREADS overrides.)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Print only failures and the summary line (no progress bar).
    #[arg(long, conflicts_with = "json_log")]
    pub quiet: bool,
    /// Print one JSON object per seller as it finishes, then one for the run,
    /// on standard output (no progress bar).
    #[arg(long)]
    pub json_log: bool,
    /// Keep every seller whose folder already holds its current statement and
    /// verifies with the signing key; redo the rest (after a crash or kill).
    #[arg(long)]
    pub resume: bool,
    /// Issue corrections: each selected seller's current final statement is
    /// superseded by a new one numbered <number>-R<k> that names it, its
    /// hashes and this reason; the old folder moves to <out>/superseded/.
    #[arg(long, value_name = "REASON", conflicts_with = "draft")]
    pub supersede: Option<String>,
    /// Print every statement in this language instead of its contract's.
    #[arg(long, value_name = "zh-CN|en|pt-BR", value_parser = parse_language)]
    pub language: Option<Language>,
    /// Make watermarked drafts (DRAFT / 草稿 / RASCUNHO) in <out>/drafts/<period>/:
    /// overwritten freely, never registered as issued.
    #[arg(long)]
    pub draft: bool,
    /// With --draft: count the period only to this day, as `check --as-of`
    /// does (figures to date, GMV targets pro-rated), each draft saying
    /// "As of <date>, not a statement".
    #[arg(long, value_name = "YYYY-MM-DD", requires = "draft")]
    pub as_of: Option<NaiveDate>,
    /// Also copy every input file into each seller's evidence bag (data/inputs/<path>).
    #[arg(long)]
    pub include_inputs: bool,
    /// Run only shard INDEX of COUNT (e.g. 0/4, indexes from 0): the sellers
    /// whose shard hash v1 modulo COUNT is INDEX. The summary is then
    /// batch-summary.shard-INDEX-of-COUNT.json; `kpiseal merge` joins the shards.
    #[arg(long, value_name = "INDEX/COUNT", conflicts_with = "shards")]
    pub shard: Option<ShardSpec>,
    /// Run one shard of COUNT, its index read from the job array's environment:
    /// JOB_COMPLETION_INDEX (Kubernetes Indexed Job), AWS_BATCH_JOB_ARRAY_INDEX
    /// or SLURM_ARRAY_TASK_ID, the first one set. Without --shard or --shards
    /// the run is not sharded, whatever the environment says.
    #[arg(long, value_name = "COUNT")]
    pub shards: Option<u32>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The workspace folder (kpiseal.toml, contracts/, fx/, exports/, costs/).
    #[arg(long, value_name = "DIR")]
    pub workspace: PathBuf,
    /// The period, e.g. 2026-10.
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,
    /// The output folder `run` writes to: its register (statements.log)
    /// lists the statements already issued, whose pass-through costs must
    /// not be billed again. Defaults to <workspace>/out.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only this seller (repeatable). Default: every seller with a contract.
    #[arg(long = "seller", value_name = "ID")]
    pub sellers: Vec<String>,
    /// Check as `run --strict` would: a failed reconciliation refuses the seller.
    #[arg(long)]
    pub strict: bool,
    /// Check as `run --allow-missing MARKET` would (repeatable): that
    /// market's missing exports are a printed choice, not a refusal.
    #[arg(long = "allow-missing", value_name = "MARKET", value_parser = parse_market)]
    pub allow_missing: Vec<Market>,
    /// Print the report as JSON (one object: period, sellers with outcome,
    /// amount due, errors and notes) instead of a table; with --as-of, the
    /// alerts raised now as JSON lines, one object each.
    #[arg(long)]
    pub json: bool,
    /// Count the period only to this day, from the exports downloaded so
    /// far: KPIs, statuses and fees to date (GMV targets pro-rated by days
    /// elapsed), and alerts for every KPI at or past its alert threshold or
    /// limit, each raised once per period (<out>/<period>/alerts.json). Not
    /// a statement. Exit 1 when an alert was raised now, 3 when none but a
    /// seller could not be checked.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Sellers checked in parallel. Default: one per core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The workspace the shards ran over (its contracts say which sellers to expect).
    #[arg(long, value_name = "DIR")]
    pub workspace: PathBuf,
    /// The period, e.g. 2026-10.
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,
    /// The folder the shards wrote into (<out>/<period>/). Defaults to <workspace>/out.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// The workspace (its output folder holds the register). Its out/ is the default --out.
    #[arg(long, value_name = "DIR")]
    pub workspace: PathBuf,
    /// The seller to review.
    #[arg(long, value_name = "ID")]
    pub seller: String,
    /// The first month, e.g. 2026-05.
    #[arg(long, value_name = "YYYY-MM")]
    pub from: Period,
    /// The last month, e.g. 2026-10.
    #[arg(long, value_name = "YYYY-MM")]
    pub to: Period,
    /// The output folder `run` wrote the statements and register to. Defaults to <workspace>/out.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The review PDF's language instead of the seller's contract language.
    #[arg(long, value_name = "zh-CN|en|pt-BR", value_parser = parse_language)]
    pub language: Option<Language>,
}

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// The folder to write the key files into (created if missing); existing
    /// key files are never overwritten.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The provider name the certificate is issued to (its CN and O).
    #[arg(long, value_name = "NAME")]
    pub provider: String,
    /// The first day the certificate is valid (it is valid for 20 years). Default: today (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub not_before: Option<NaiveDate>,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A sealed statement folder, its evidence bag folder or its evidence zip.
    #[arg(value_name = "PATH")]
    pub folder: PathBuf,
    /// The figure, named as statement.json names it (and the PDF prints it):
    /// kpis.gmv.amazon_us, kpis.roas.all, amazon_us.sales.platform_fees,
    /// pass_through.lines[2], service_fees.lines[1], totals.amount_due.
    #[arg(value_name = "FIGURE")]
    pub figure: String,
    /// The provider's public key to pin the signer to (as for verify).
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<PathBuf>,
    /// The workspace the statement was made from: read its inputs again,
    /// check they make the sealed table, and list each row with its own
    /// line and amounts (exact counts of distinct orders too).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Print the rows (or groups) as CSV, with the step each is in, instead of text.
    #[arg(long)]
    pub csv: bool,
}
