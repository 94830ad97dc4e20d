//! The kpiseal binary: parse the command line, run one command, map the
//! outcome to an exit code (0 all statements written, 1 some sellers failed,
//! 2 usage or configuration error, including an unusable signing key; for
//! `merge`, 1 is an incomplete or invalid period).

mod cli;
mod heap;
mod progress;

use std::process::ExitCode;

use clap::Parser;
use kpiseal::batch::{BatchOptions, run_batch, select_sellers};
use kpiseal::lifecycle::IssueMode;
use kpiseal::merge::{MergeError, MergeOptions};
use kpiseal::pipeline::RunOptions;
use kpiseal::workspace::Workspace;

use kpiseal::output::write_file_atomically;
use kpiseal::render::fonts::Fonts;
use kpiseal::render::{RenderOptions, render_pdf};
use kpiseal::statement::Statement;

use kpiseal::seal_config::Signer;

use cli::{CheckArgs, Cli, Command, ExplainArgs, KeygenArgs, MergeArgs, RenderArgs, ReviewArgs, RunArgs};
use progress::{LogMode, RunLog};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Check(args) => check(args),
        Command::Render(args) => render(args),
        Command::Keygen(args) => keygen(args),
        Command::Verify(args) => verify(&args),
        Command::VerifyPage(args) => kpiseal_verify::run_verify_page(&args),
        Command::Merge(args) => merge(args),
        Command::Review(args) => review(args),
        Command::Explain(args) => explain(args),
    }
}

/// `kpiseal explain`: the rows that make one figure of a verified
/// statement folder; exit 0 they make the printed value, 1 they do not, 2
/// refused (the folder does not verify, has no provenance.csv, or the
/// figure is not one explain walks).
fn explain(args: ExplainArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("kpiseal: {message}");
        ExitCode::from(2)
    };
    let key = match args.key.as_deref().map(kpiseal_seal::keys::load_public_key).transpose() {
        Ok(key) => key,
        Err(e) => return fail(e.to_string()),
    };
    let ws = match args.workspace.as_deref().map(Workspace::open).transpose() {
        Ok(ws) => ws,
        Err(e) => return fail(e.to_string()),
    };
    let sealed = kpiseal::explain::read_sealed(&args.folder, key.as_ref());
    // A figure derived from other printed figures: its arithmetic, each
    // part with the figure to explain next.
    if let Ok((statement, ..)) = &sealed
        && let Some(derived) = kpiseal::derivation::derive(statement, &args.figure)
    {
        return match derived {
            Ok(d) => {
                stdout(&kpiseal::derivation::to_text(&d));
                if d.agrees() { ExitCode::SUCCESS } else { ExitCode::from(1) }
            }
            Err(message) => fail(message),
        };
    }
    let explained = sealed.and_then(|(statement, groups, table)| {
        let Some(ws) = &ws else {
            return kpiseal::explain::explain(&statement, &groups, None, &args.figure);
        };
        let out = kpiseal::reread::out_of(&args.folder, ws);
        let again = kpiseal::reread::reread(ws, &statement, &out)?;
        let mut differ = kpiseal::reread::differences(&table, &again.table);
        differ.splice(0..0, again.inputs_differ);
        if !differ.is_empty() {
            return Err(format!("{}: {}", args.folder.display(), differ.join("; ")));
        }
        kpiseal::explain::explain(&statement, &groups, Some(&again.facts), &args.figure)
    });
    match explained {
        Ok(e) => {
            if args.csv {
                let _ = std::io::Write::write_all(&mut std::io::stdout(), &kpiseal::explain::to_csv(&e));
            } else {
                let lines = ws.as_ref().map(kpiseal::reread::RawLines::new);
                let raw = lines.as_ref().map(|l| move |file: &str, n: usize| l.line(file, n));
                let raw = raw.as_ref().map(|f| f as kpiseal::explain::RawLine);
                stdout(&kpiseal::explain::to_text(&e, raw));
            }
            if e.agrees() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(message) => fail(message),
    }
}

/// Writes `text` to standard output; a closed pipe (`| head`) ends the
/// output, not the program with a panic.
fn stdout(text: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
}

/// `kpiseal verify`: the checks of `kpiseal-verify`, and with `--workspace`,
/// for each statement folder, evidence bag or zip given, its inputs read again:
/// they must make its provenance.csv and every figure its rows make
/// (`reread::check`). A failed re-read (inputs changed, rows or figures
/// that differ) is NOT VALID (exit 1); one that cannot be made (not a
/// statement folder, bag or zip, no table, inputs that no longer read) is
/// refused (exit 2). The worst outcome wins as in `kpiseal_verify::run`.
fn verify(args: &kpiseal_verify::VerifyArgs) -> ExitCode {
    let verified = kpiseal_verify::run(args);
    let Some(dir) = &args.workspace else { return verified };
    let ws = match Workspace::open(dir) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("kpiseal: {e}");
            return ExitCode::from(2);
        }
    };
    let mut worst = 0u8;
    for path in &args.paths {
        stdout(&format!("\nre-read from {}: {}\n", dir.display(), path.display()));
        match kpiseal::reread::check(path, &ws) {
            Ok(lines) => {
                for (passed, name, detail) in &lines {
                    stdout(&format!("  {}  {name}  {detail}\n", if *passed { "PASS" } else { "FAIL" }));
                }
                let failed = lines.iter().filter(|l| !l.0).count();
                if failed == 0 {
                    let figures = lines.iter().filter(|l| l.1 != "inputs" && l.1 != "rows").count();
                    stdout(&format!("  RECOMPUTED ({figures} figures from their rows and parts)\n"));
                } else {
                    stdout(&format!("  NOT VALID ({failed} of {} checks failed)\n", lines.len()));
                    worst = worst.max(1);
                }
            }
            Err(message) => {
                stdout(&format!("  REFUSED {message}\n"));
                eprintln!("kpiseal: {message}");
                worst = 2;
            }
        }
    }
    match worst {
        0 => verified,
        1 if verified == ExitCode::from(2) => verified,
        n => ExitCode::from(n),
    }
}

/// `kpiseal merge`: the period's shards checked complete and verified, then
/// its signed period manifest written; every problem is one `INCOMPLETE`
/// line naming the seller, shard or file (exit 1), nothing written.
/// `kpiseal review`: writes the review folder and prints where, with the
/// months it found statements for. Exit 0 written, 2 otherwise.
fn review(args: ReviewArgs) -> ExitCode {
    let out = args.out.unwrap_or_else(|| args.workspace.join("out"));
    let written = (|| {
        let ws = Workspace::open(&args.workspace)?;
        let signer = Signer::load(&ws)?;
        let review = kpiseal::review::build(&out, &args.seller, args.from, args.to)?;
        let (_, contract) = kpiseal::pipeline::read_contract(&ws, &args.seller)?;
        let language = args.language.unwrap_or(contract.seller.language);
        let fonts = kpiseal::render::fonts::Fonts::for_workspace(&ws)?;
        let options = RenderOptions { language, draft: false, fonts: &fonts };
        let json = kpiseal::review::json(&review)?;
        let pdf = kpiseal::render::render_review(&review, &json, &ws.config.provider, &options, signer.is_demo())
            .map_err(|e| kpiseal::error::Error::Internal(e.to_string()))?;
        let signed = kpiseal::review::sign(&pdf, &review, signer.key(), &ws.config.provider.name)?;
        let dir = kpiseal::review::write(&out, &review, &signed)?;
        Ok::<_, kpiseal::error::Error>((review, dir))
    })();
    match written {
        Ok((review, dir)) => {
            let issued = review.periods.iter().filter(|p| p.statement.is_some()).count();
            println!(
                "review of {} from {} to {}: {issued} of {} months issued; wrote {}",
                review.seller,
                review.from,
                review.to,
                review.periods.len(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kpiseal: {e}");
            ExitCode::from(2)
        }
    }
}

fn merge(args: MergeArgs) -> ExitCode {
    let loaded = Workspace::open(&args.workspace).and_then(|ws| Signer::load(&ws).map(|signer| (ws, signer)));
    let (ws, signer) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("kpiseal: {e}");
            return ExitCode::from(2);
        }
    };
    if signer.is_demo() {
        eprintln!("WARNING signing the period manifest with the public demo key {}", signer.key().key_id());
    }
    let opts = MergeOptions { out: args.out.unwrap_or_else(|| args.workspace.join("out")), period: args.period };
    match kpiseal::merge::merge(&ws, &opts, &signer) {
        Ok(merged) => {
            println!(
                "merged {} statements from {}: merkle root {}; wrote {}",
                merged.manifest.count,
                merged.summaries.join(", "),
                merged.manifest.merkle_root,
                merged.path.display()
            );
            ExitCode::SUCCESS
        }
        Err(MergeError::Incomplete(problems)) => {
            for problem in &problems {
                eprintln!("INCOMPLETE {problem}");
            }
            eprintln!("kpiseal: merge: {} problem(s); period-manifest.json not written", problems.len());
            ExitCode::from(1)
        }
        Err(MergeError::Usage(e)) => {
            eprintln!("kpiseal: {e}");
            ExitCode::from(2)
        }
    }
}

/// `kpiseal keygen`: a new provider key and its public files; prints the key
/// id and the files written, never the key.
fn keygen(args: KeygenArgs) -> ExitCode {
    use kpiseal_seal::keys::{OsRng, ProviderKey, save_key_files};
    let not_before = match args.not_before.or_else(today_utc) {
        Some(date) => date,
        None => {
            eprintln!("kpiseal: cannot read today's date from the clock; give --not-before YYYY-MM-DD");
            return ExitCode::from(2);
        }
    };
    let result = std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("{}: {e}", args.out.display()))
        .and_then(|()| ProviderKey::generate(&mut OsRng, &args.provider, not_before).map_err(|e| e.to_string()))
        .and_then(|key| save_key_files(&args.out, &key).map(|files| (key, files)).map_err(|e| e.to_string()));
    match result {
        Ok((key, files)) => {
            println!("key id {}", key.key_id());
            for path in [
                &files.private_key,
                &files.certificate,
                &files.spki_public_key,
                &files.minisign_public_key,
                &files.ssh_public_key,
                &files.pades_certificate,
            ] {
                println!("wrote  {}", path.display());
            }
            println!(
                "keep {} private (mode 0600); name it in kpiseal.toml: [signing] key = \"keys/provider.key\", certificate = \"keys/provider.cert.pem\"",
                files.private_key.display()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("kpiseal: {message}");
            ExitCode::from(2)
        }
    }
}

/// Today's date in UTC (for a new certificate's first valid day).
fn today_utc() -> Option<chrono::NaiveDate> {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    chrono::DateTime::from_timestamp(i64::try_from(seconds).ok()?, 0).map(|t| t.date_naive())
}

/// `kpiseal render`: statement.pdf from a statement.json, written atomically.
fn render(args: RenderArgs) -> ExitCode {
    match render_file(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kpiseal: {message}");
            ExitCode::from(2)
        }
    }
}

fn render_file(args: &RenderArgs) -> Result<(), String> {
    let show = |p: &std::path::Path| p.display().to_string();
    let bytes = std::fs::read(&args.json).map_err(|e| format!("{}: {e}", show(&args.json)))?;
    let statement = Statement::from_json(&bytes).map_err(|e| format!("{}: {e}", show(&args.json)))?;
    let owned;
    let fonts = match &args.font {
        Some(path) => {
            owned = Fonts::from_files(path, None).map_err(|e| e.to_string())?;
            &owned
        }
        None => Fonts::builtin().map_err(|e| e.to_string())?,
    };
    let options =
        RenderOptions { language: args.language.unwrap_or(statement.seller.language), draft: args.draft, fonts };
    let pdf = render_pdf(&statement, &statement.to_json(), &options).map_err(|e| e.to_string())?;
    write_file_atomically(&args.out, &pdf).map_err(|e| e.to_string())
}

/// `kpiseal run`: every selected seller's statement, reported as each
/// finishes, then the summary line. Exit 0 all written, 1 some failed, 2
/// nothing could run.
fn run(args: RunArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("kpiseal: {message}");
        ExitCode::from(2)
    };
    let shard = match kpiseal::shard::requested(args.shard, args.shards, |name| {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }) {
        Ok(shard) => shard,
        Err(e) => return fail(e.to_string()),
    };
    let ws = match Workspace::open(&args.workspace) {
        Ok(ws) => ws,
        Err(e) => return fail(e.to_string()),
    };
    let mut run_opts = RunOptions::new(args.period);
    if let Some(d) = args.issue_date {
        run_opts.issue_date = d;
    }
    run_opts.allow_missing = args.allow_missing.iter().copied().collect();
    if let Some(as_of) = args.as_of.filter(|d| !args.period.contains(*d)) {
        return fail(format!(
            "--as-of {as_of} is not a day of period {}: draft the period the date is in",
            args.period
        ));
    }
    run_opts.as_of = args.as_of;
    let mode = match (args.draft, args.supersede) {
        (true, _) => IssueMode::Draft,
        (false, Some(reason)) => IssueMode::Supersede { reason },
        (false, None) => IssueMode::Final,
    };
    let opts = BatchOptions {
        run: run_opts,
        out: args.out.unwrap_or_else(|| args.workspace.join("out")),
        sellers: args.sellers,
        strict: args.strict,
        language: args.language,
        mode,
        resume: args.resume,
        include_inputs: args.include_inputs,
        shard,
    };
    let sellers = match select_sellers(&ws, &opts) {
        Ok(sellers) => sellers,
        Err(e) => return fail(e.to_string()),
    };
    if let Err(message) = start_workers(args.jobs.map(usize::from), Workers::WritingFolders, sellers.len()) {
        return fail(message);
    }
    let signer = match Signer::load(&ws) {
        Ok(signer) => signer,
        Err(e) => return fail(e.to_string()),
    };
    if signer.is_demo() {
        eprintln!(
            "WARNING signing with the public demo key {} ({}): every statement is marked DEMO KEY — NOT A VALID STATEMENT",
            signer.key().key_id(),
            signer.key_path().display()
        );
    }
    let log = RunLog::new(LogMode::choose(args.quiet, args.json_log));
    match run_batch(&ws, &opts, &signer, &log) {
        Ok(summary) => {
            log.finish_run(&summary);
            if summary.all_written() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => fail(e.to_string()),
    }
}

/// `kpiseal check`: the preflight report (table or JSON) on stdout. Exit 0
/// every seller clean, 1 some refused or with data notes, 2 nothing could run.
/// With `--as-of`, see [`as_of_report`].
fn check(args: CheckArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("kpiseal: {message}");
        ExitCode::from(2)
    };
    let ws = match Workspace::open(&args.workspace) {
        Ok(ws) => ws,
        Err(e) => return fail(e.to_string()),
    };
    let mut opts = BatchOptions::new(args.period, args.out.unwrap_or_else(|| args.workspace.join("out")));
    opts.sellers = args.sellers;
    opts.strict = args.strict;
    opts.run.allow_missing = args.allow_missing.into_iter().collect();
    if let Some(as_of) = args.as_of.filter(|d| !args.period.contains(*d)) {
        return fail(format!(
            "--as-of {as_of} is not a day of period {}: check the period the date is in",
            args.period
        ));
    }
    opts.run.as_of = args.as_of;
    let sellers = match select_sellers(&ws, &opts) {
        Ok(sellers) => sellers,
        Err(e) => return fail(e.to_string()),
    };
    if let Err(message) = start_workers(args.jobs.map(usize::from), Workers::Computing, sellers.len()) {
        return fail(message);
    }
    match kpiseal::preflight::check(&ws, &opts) {
        Ok(report) if report.as_of.is_some() => match as_of_report(&report, args.period, &opts.out, args.json) {
            Ok(code) => code,
            Err(e) => fail(e.to_string()),
        },
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(text) => println!("{text}"),
                    Err(e) => return fail(e.to_string()),
                }
            } else {
                print!("{}", kpiseal::preflight::table(&report, &[]));
            }
            if report.clean() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => fail(e.to_string()),
    }
}

/// An as-of check's output: the alerts not raised before in the period
/// are added to `<out>/<period>/alerts.json` and printed, as JSON lines
/// with `json` (nothing else on stdout; refused sellers' problems go to
/// stderr), or in the table. Exit 1 when some alert was raised now, else 3
/// when some seller could not be checked, else 0.
fn as_of_report(
    report: &kpiseal::preflight::CheckReport,
    period: kpiseal::period::Period,
    out: &std::path::Path,
    json: bool,
) -> Result<ExitCode, kpiseal::error::Error> {
    use kpiseal::alerts::{AlertLog, to_raise};
    use kpiseal::preflight::CheckOutcome;
    let mut log = AlertLog::load(out, period)?;
    let current: Vec<_> = report.sellers.iter().flat_map(|s| s.alerts.iter().cloned()).collect();
    let new = to_raise(&log.raised, &current);
    if !new.is_empty() {
        log.raised.extend(new.iter().cloned());
        log.save(out, period)?;
    }
    if json {
        for a in &new {
            println!("{}", serde_json::to_string(a).map_err(|e| kpiseal::error::Error::Internal(e.to_string()))?);
        }
        for s in report.sellers.iter().filter(|s| s.outcome == CheckOutcome::Refused) {
            for e in &s.errors {
                eprintln!("kpiseal: {}: {e}", s.seller);
            }
        }
    } else {
        print!("{}", kpiseal::preflight::table(report, &new));
    }
    let refused = report.sellers.iter().any(|s| s.outcome == CheckOutcome::Refused);
    Ok(if !new.is_empty() {
        ExitCode::from(1)
    } else if refused {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// What a command's workers do, which sets how many run by default.
#[derive(Debug, Clone, Copy)]
enum Workers {
    /// Each seller ends by writing its folder and waiting for the disk to
    /// make it durable (fsync): one worker more than the cores keeps them
    /// busy meanwhile (`kpiseal run`, on 100 sellers: −4 % of wall for one
    /// seller more in memory; README, Performance).
    WritingFolders,
    /// Computing only: one worker per core.
    Computing,
}

/// Tunes the allocator ([`heap::keep_freed_memory`]) and sizes the worker
/// pools before any work starts: `jobs` sellers at a time (by default as
/// `workers` says), and polars' own pool the cores left over per running
/// seller (at least one), unless POLARS_MAX_THREADS is set.
fn start_workers(jobs: Option<usize>, workers: Workers, sellers: usize) -> Result<(), String> {
    heap::keep_freed_memory();
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
    let default = match workers {
        Workers::WritingFolders => cores + 1,
        Workers::Computing => cores,
    };
    let jobs = jobs.unwrap_or(default).max(1);
    if std::env::var_os("POLARS_MAX_THREADS").is_none() {
        let polars_threads = (cores / jobs.min(sellers.max(1))).max(1);
        // SAFETY: called from main before any other thread exists (no worker
        // pool, progress bar or polars pool has started), so nothing can read
        // the environment concurrently.
        unsafe { std::env::set_var("POLARS_MAX_THREADS", polars_threads.to_string()) };
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build_global()
        .map_err(|e| format!("cannot start {jobs} workers: {e}"))
}
