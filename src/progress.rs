//! What `kpiseal run` shows while it works: a progress bar on a terminal
//! (sellers done / failed / total, rows per second, ETA), otherwise one
//! plain line per seller, only failures with `--quiet`, or one JSON object
//! per seller with `--json-log`. Failures always go to standard error,
//! except in the JSON log, which carries them.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kpiseal::batch::{BatchSummary, OutcomeStatus, Progress, SellerOutcome};
use serde_json::json;

/// How the run reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogMode {
    /// A live bar on standard error; failures and warnings printed above it.
    Bar,
    /// One line per seller on standard output.
    Lines,
    /// Failures only.
    Quiet,
    /// JSON lines on standard output.
    Json,
}

impl LogMode {
    /// The mode for these flags: JSON or quiet when asked, else a bar when
    /// standard error is a terminal, else plain lines.
    pub fn choose(quiet: bool, json: bool) -> LogMode {
        match (json, quiet) {
            (true, _) => LogMode::Json,
            (false, true) => LogMode::Quiet,
            _ if std::io::stderr().is_terminal() => LogMode::Bar,
            _ => LogMode::Lines,
        }
    }
}

/// The run's reporter.
pub struct RunLog {
    mode: LogMode,
    bar: Option<ProgressBar>,
    started: Instant,
    rows: AtomicUsize,
    failed: AtomicUsize,
}

impl RunLog {
    pub fn new(mode: LogMode) -> RunLog {
        let bar = (mode == LogMode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{elapsed_precise:.dim} {wide_bar:.cyan/blue} {pos}/{len} sellers · {msg} · ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("█▉▊▋▌▍▎▏ "));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        RunLog { mode, bar, started: Instant::now(), rows: AtomicUsize::new(0), failed: AtomicUsize::new(0) }
    }

    /// Rows read per second so far.
    fn rows_per_second(&self) -> f64 {
        self.rows.load(Ordering::Relaxed) as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    /// Ends the bar and prints the run's last line, naming the summary
    /// files the run recorded its outcomes in.
    pub fn finish_run(&self, summary: &BatchSummary) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let rows: usize = summary.sellers.iter().map(|s| s.input_rows).sum();
        let warned = summary.sellers.iter().filter(|s| !s.warnings.is_empty()).count();
        let seconds = self.started.elapsed().as_secs_f64();
        let files: Vec<String> = summary.files.iter().map(|f| f.display().to_string()).collect();
        let of_shard = summary.shard.map(|s| format!(" of shard {s}")).unwrap_or_default();
        if self.mode == LogMode::Json {
            let line = json!({
                "event": "run",
                "period": summary.period,
                "shard": summary.shard.map(|s| s.to_string()),
                "sellers": summary.sellers.len(),
                "written": summary.written,
                "failed": summary.failed,
                "with_warnings": warned,
                "rows": rows,
                "seconds": (seconds * 1e3).round() / 1e3,
                "summary": files,
            });
            println!("{line}");
            return;
        }
        println!(
            "{} sellers{of_shard}: {} written, {} failed, {warned} with data notes; {rows} rows in {seconds:.2} s; summary: {}",
            summary.sellers.len(),
            summary.written,
            summary.failed,
            files.join(", ")
        );
    }

    /// Prints `line` above the bar, or to standard error without one.
    fn alert(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Progress for RunLog {
    fn start(&self, sellers: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(sellers as u64);
            bar.set_message("0 failed");
        }
    }

    fn finish(&self, o: &SellerOutcome, took: Duration) {
        self.rows.fetch_add(o.input_rows, Ordering::Relaxed);
        if o.status == OutcomeStatus::Failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let ms = (took.as_secs_f64() * 1e4).round() / 10.0;
        match self.mode {
            LogMode::Json => {
                let line = json!({
                    "event": "seller",
                    "seller": o.seller,
                    "status": o.status,
                    "action": o.action,
                    "statement_number": o.statement_number,
                    "currency": o.currency.map(|c| c.code()),
                    "amount_due": o.amount_due.map(|d| d.to_string()),
                    "rows": o.input_rows,
                    "ms": ms,
                    "warnings": o.warnings,
                    "choices": o.choices,
                    "error": o.error,
                });
                println!("{line}");
                return;
            }
            LogMode::Lines if o.status == OutcomeStatus::Written => {
                let due = o.amount_due.map(|d| d.to_string()).unwrap_or_default();
                let cur = o.currency.map(|c| c.code()).unwrap_or("");
                let action = o.action.map(|a| a.word()).unwrap_or("");
                println!(
                    "{action:<10} {:<20} amount due {cur} {due:>14}  {:>7} rows  {ms:>7.1} ms",
                    o.seller, o.input_rows
                );
            }
            _ => {}
        }
        if o.status == OutcomeStatus::Failed {
            self.alert(format!("FAILED     {:<20} {}", o.seller, o.error.as_deref().unwrap_or("")));
        } else if self.mode != LogMode::Quiet {
            for w in &o.warnings {
                self.alert(format!("WARNING    {:<20} {w}", o.seller));
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} failed · {:.0} rows/s",
                self.failed.load(Ordering::Relaxed),
                self.rows_per_second()
            ));
            bar.inc(1);
        }
    }
}
