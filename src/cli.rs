//! Every command-line flag and its help text.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use kpiseal::period::Period;

/// Month-end KPI and fee statements for cross-border marketplace sellers.
#[derive(Debug, Parser)]
#[command(name = "kpiseal", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute every seller's statement for a period and write statement.json
    /// per seller plus batch-summary.json.
    Run(RunArgs),
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
    /// Sellers processed in parallel. Default: one per core.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Print only failures and the summary line.
    #[arg(long)]
    pub quiet: bool,
}
