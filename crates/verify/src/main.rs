//! `kpiseal-verify`: `kpiseal verify` without the statement engine.

use std::process::ExitCode;

use clap::Parser;
use kpiseal_verify::{VerifyArgs, run};

/// Check delivered kpiseal statements by exactly the bytes named: a PDF, a
/// statement folder, an evidence bag or zip, or a period folder. Every file
/// read is listed with its SHA-256; files no signature covers, links,
/// special files and PDF/zip polyglots are refused. Exit 0 all VALID, 1
/// something NOT VALID, 2 refused or unreadable, 3 valid but a draft (not a
/// statement).
#[derive(Debug, Parser)]
#[command(name = "kpiseal-verify", version)]
struct Cli {
    #[command(flatten)]
    args: VerifyArgs,
}

fn main() -> ExitCode {
    run(&Cli::parse().args)
}
