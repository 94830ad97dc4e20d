//! The period's batch summaries: `batch-summary.json` and `.csv` in the
//! period folder (or one pair per shard, `batch-summary.shard-<i>-of-<n>.*`).
//!
//! A summary describes the statements of the period, one row per seller,
//! not one run: a run records its sellers' outcomes into the summary that
//! holds them, replacing their rows and keeping the other sellers' rows. So
//! a correction with `--seller`, a resumed run and an uninterrupted run all
//! leave a summary that lists every seller once, and `kpiseal merge` can
//! rely on it. Rows of sellers that no longer have a contract are dropped.
//!
//! Where a run's outcomes go: a sharded run's into its shard's summary; an
//! unsharded run's into `batch-summary.json`, except when the period was run
//! in shards of one count `n` (shard summaries present, no unsharded one):
//! then each seller's outcome goes to the summary of the shard that shard
//! hash v1 gives it, so corrections after a sharded month end keep the
//! shards' summaries complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::batch::{BatchSummary, OutcomeStatus, SellerOutcome};
use crate::error::Error;
use crate::output::{remove_stale_temporaries, write_file_atomically};
use crate::shard::{self, ShardSpec, SummaryName};

/// Records `run`'s outcomes in the summaries of `period_dir` (see the module
/// documentation); `sellers` are the workspace's sellers with a contract.
/// Returns the JSON summaries written, each with its `.csv` beside it.
///
/// # Errors
/// [`Error::Io`] naming a summary that could not be written. An existing
/// summary that cannot be read as one is replaced by this run's rows.
pub fn record(period_dir: &Path, run: &BatchSummary, sellers: &[String]) -> Result<Vec<PathBuf>, Error> {
    let mut groups: BTreeMap<Option<ShardSpec>, Vec<&SellerOutcome>> = BTreeMap::new();
    match (run.shard, existing_shard_count(period_dir)) {
        (None, Some(count)) => {
            for outcome in &run.sellers {
                groups.entry(shard_of(&outcome.seller, count)).or_default().push(outcome);
            }
        }
        (spec, _) => groups.entry(spec).or_default().extend(&run.sellers),
    }
    let mut written = Vec::new();
    for (spec, outcomes) in groups {
        let path = period_dir.join(shard::summary_file_name(spec));
        let mut rows: BTreeMap<String, SellerOutcome> =
            read(&path).map(|old| old.sellers.into_iter().map(|o| (o.seller.clone(), o)).collect()).unwrap_or_default();
        rows.retain(|seller, _| sellers.contains(seller) && spec.is_none_or(|s| s.contains(seller)));
        for outcome in outcomes {
            rows.insert(outcome.seller.clone(), outcome.clone());
        }
        let rows: Vec<SellerOutcome> = rows.into_values().collect();
        let failed = rows.iter().filter(|o| o.status == OutcomeStatus::Failed).count();
        let summary = BatchSummary {
            period: run.period.clone(),
            draft: run.draft,
            written: rows.len() - failed,
            failed,
            sellers: rows,
            shard: spec,
            files: Vec::new(),
        };
        write(&path, &summary)?;
        written.push(path);
    }
    Ok(written)
}

/// The shard count of the summaries in `dir` when they are all shard
/// summaries of one count (an unsharded summary, or mixed counts: `None`).
fn existing_shard_count(dir: &Path) -> Option<u32> {
    let mut counts = Vec::new();
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        match shard::parse_summary_file_name(&entry.file_name().to_string_lossy()) {
            SummaryName::Unsharded => return None,
            SummaryName::Shard(spec) => counts.push(spec.count()),
            SummaryName::Unrecognized | SummaryName::NotASummary => {}
        }
    }
    counts.sort_unstable();
    counts.dedup();
    match counts.as_slice() {
        [count] => Some(*count),
        _ => None,
    }
}

fn shard_of(seller: &str, count: u32) -> Option<ShardSpec> {
    let n = std::num::NonZeroU32::new(count)?;
    ShardSpec::new(shard::shard_of(seller, n), count).ok()
}

/// The summary at `path`, if there is one that reads as a summary.
fn read(path: &Path) -> Option<BatchSummary> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Writes `summary` as JSON at `path` and as CSV beside it (first clearing
/// what a killed run's summary write left).
fn write(path: &Path, summary: &BatchSummary) -> Result<(), Error> {
    let csv_path = path.with_extension("csv");
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    remove_stale_temporaries(path.parent().unwrap_or(Path::new(".")), &[name(path), name(&csv_path)])?;
    let mut json = serde_json::to_vec_pretty(summary).map_err(|e| Error::Internal(e.to_string()))?;
    json.push(b'\n');
    write_file_atomically(path, &json)?;
    write_file_atomically(&csv_path, &to_csv(summary)?)
}

/// `cell` as a spreadsheet will show it and never run it: a cell beginning
/// with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula (or
/// starts one) in Excel, LibreOffice and Google Sheets, so it gets a
/// leading `'` (OWASP's CSV-injection advice), unless it is a plain decimal
/// number such as `-12.50`, which stays a number. Seller ids, file names
/// and error texts come from inputs, so any of them may begin that way.
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.strip_prefix('-').is_some_and(|rest| {
        let mut parts = rest.splitn(2, '.');
        let whole = parts.next().unwrap_or("");
        let fraction = parts.next();
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
    });
    if risky && !number { std::borrow::Cow::Owned(format!("'{cell}")) } else { std::borrow::Cow::Borrowed(cell) }
}

/// The summary as CSV: a header, then one row per seller, in seller order;
/// every cell [`spreadsheet_safe`].
fn to_csv(summary: &BatchSummary) -> Result<Vec<u8>, Error> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let csv_error = |e: csv::Error| Error::Internal(format!("batch-summary.csv: {e}"));
    w.write_record([
        "seller",
        "status",
        "statement_number",
        "currency",
        "amount_due",
        "input_rows",
        "key_id",
        "warnings",
        "choices",
        "error",
    ])
    .map_err(csv_error)?;
    for s in &summary.sellers {
        let status = match s.status {
            OutcomeStatus::Written => "written",
            OutcomeStatus::Failed => "failed",
        };
        let cells = [
            s.seller.as_str(),
            status,
            s.statement_number.as_deref().unwrap_or(""),
            s.currency.map(|c| c.code()).unwrap_or(""),
            &s.amount_due.map(|d| d.to_string()).unwrap_or_default(),
            &s.input_rows.to_string(),
            s.key_id.as_deref().unwrap_or(""),
            &s.warnings.join("; "),
            &s.choices.join("; "),
            s.error.as_deref().unwrap_or(""),
        ];
        w.write_record(cells.iter().map(|cell| spreadsheet_safe(cell).into_owned())).map_err(csv_error)?;
    }
    w.into_inner().map_err(|e| Error::Internal(format!("batch-summary.csv: {e}")))
}

#[cfg(test)]
mod spreadsheet_tests {
    use super::spreadsheet_safe;

    #[test]
    fn formula_openers_are_neutralised_and_negative_amounts_stay_numbers() {
        for (cell, shown) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+1+1", "'+1+1"),
            ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "'-"),
            ("-.5", "'-.5"),
            ("-12.50", "-12.50"),
            ("-3", "-3"),
            ("acme-home", "acme-home"),
            ("12.50", "12.50"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), shown, "{cell:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(seller: &str, status: OutcomeStatus, number: &str) -> SellerOutcome {
        SellerOutcome {
            seller: seller.into(),
            status,
            statement_number: Some(number.into()),
            currency: None,
            amount_due: None,
            warnings: Vec::new(),
            choices: Vec::new(),
            error: None,
            input_rows: 1,
            key_id: None,
            action: None,
        }
    }

    fn run(shard: Option<ShardSpec>, outcomes: Vec<SellerOutcome>) -> BatchSummary {
        BatchSummary {
            period: "2026-10".into(),
            draft: false,
            written: 0,
            failed: 0,
            sellers: outcomes,
            shard,
            files: Vec::new(),
        }
    }

    fn numbers(path: &Path) -> Vec<(String, String)> {
        read(path).unwrap().sellers.into_iter().map(|o| (o.seller, o.statement_number.unwrap_or_default())).collect()
    }

    #[test]
    fn a_partial_run_replaces_its_sellers_rows_and_keeps_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let sellers: Vec<String> = ["a", "b", "c"].map(String::from).into();
        let first = run(
            None,
            vec![
                outcome("a", OutcomeStatus::Written, "A"),
                outcome("b", OutcomeStatus::Failed, "B"),
                outcome("c", OutcomeStatus::Written, "C"),
            ],
        );
        record(dir.path(), &first, &sellers).unwrap();
        let files =
            record(dir.path(), &run(None, vec![outcome("b", OutcomeStatus::Written, "B-R1")]), &sellers[..2]).unwrap();
        assert_eq!(files, [dir.path().join("batch-summary.json")]);
        assert_eq!(numbers(&files[0]), [("a".into(), "A".into()), ("b".into(), "B-R1".into())], "c lost its contract");
        let summary = read(&files[0]).unwrap();
        assert_eq!((summary.written, summary.failed), (2, 0));
        let csv = std::fs::read_to_string(dir.path().join("batch-summary.csv")).unwrap();
        assert_eq!(csv.lines().count(), 3);
    }

    #[test]
    fn an_unsharded_run_after_a_sharded_month_end_updates_each_sellers_shard_summary() {
        let dir = tempfile::tempdir().unwrap();
        let sellers: Vec<String> = (0..12).map(|i| format!("seller-{i}")).collect();
        for index in 0..3 {
            let spec = ShardSpec::new(index, 3).unwrap();
            let mine = sellers.iter().filter(|s| spec.contains(s));
            let outcomes = mine.map(|s| outcome(s, OutcomeStatus::Written, s)).collect();
            record(dir.path(), &run(Some(spec), outcomes), &sellers).unwrap();
        }
        let correction = vec![outcome("seller-4", OutcomeStatus::Written, "seller-4-R1")];
        let files = record(dir.path(), &run(None, correction), &sellers).unwrap();
        let spec = shard_of("seller-4", 3).unwrap();
        assert_eq!(files, [dir.path().join(shard::summary_file_name(Some(spec)))]);
        assert!(!dir.path().join("batch-summary.json").exists());
        let listed = numbers(&files[0]);
        assert!(listed.contains(&("seller-4".into(), "seller-4-R1".into())), "{listed:?}");
        assert_eq!(listed.len(), sellers.iter().filter(|s| spec.contains(s)).count());
    }
}
