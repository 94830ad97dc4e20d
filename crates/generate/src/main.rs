//! `kpiseal-generate`: writes a generated workspace (see the library, `kpiseal_generate`).
//!
//! ```text
//! cargo run --release -p kpiseal-generate -- --out DIR [--seed N] [--sellers N] [--orders N] [--period YYYY-MM] [--months N]
//! ```
//!
//! Defaults are the demo's: seed 2026, 3 sellers, 300 orders per market, 2026-10, one month.
//! `--months N` writes the N months ending at `--period`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use kpiseal_generate::{GenerateOptions, generate_months};

const USAGE: &str = "usage: generate --out DIR [--seed N] [--sellers N] [--orders N] [--period YYYY-MM] [--months N]\n\ndefaults: --seed 2026 --sellers 3 --orders 300 --period 2026-10 --months 1 (--months N: the N months ending at --period)";

fn parse(args: &[String]) -> Result<(PathBuf, GenerateOptions, usize), String> {
    let mut out = None;
    let mut months = 1;
    let mut opts = GenerateOptions::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| value.parse::<u64>().map_err(|_| format!("{flag} {value:?}: expected {what}"));
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value)),
            "--seed" => opts.seed = number("a whole number")?,
            "--sellers" => opts.sellers = number("a number of sellers")? as usize,
            "--orders" => opts.orders = number("a number of orders")? as usize,
            "--period" => opts.period = value.parse()?,
            "--months" => months = (number("a number of months")? as usize).clamp(1, 120),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let out = out.ok_or("--out DIR is required")?;
    Ok((out, opts, months))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, opts, months) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("generate: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    match generate_months(&out, &opts, months) {
        Ok(s) => {
            println!(
                "wrote {} files, {} bytes, {} rows to {} in {:.2}s (seed {}, {} sellers, {} orders per market in the demo month, {} month(s) to {})",
                s.files,
                s.bytes,
                s.rows,
                out.display(),
                started.elapsed().as_secs_f64(),
                opts.seed,
                opts.sellers,
                opts.orders,
                months,
                opts.period
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("generate: writing {}: {e}", out.display());
            ExitCode::from(1)
        }
    }
}
