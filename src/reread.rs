//! A sealed statement's inputs read again from the workspace: the same
//! parsers, the same duplicate and term rules, giving the provenance table
//! they make now and, row by row, the facts behind it. Compared with the
//! sealed table, it says whether the statement's rows are still what its
//! input files hold, and names the figure whose rows differ.

use std::path::Path;

use crate::billed::Billed;
use crate::explain::{Group, Row, read_groups, read_rows};
use crate::notes::NoteKind;
use crate::pipeline::{RunOptions, read_seller_inputs};
use crate::statement::Statement;
use crate::workspace::Workspace;

/// The inputs of a statement read again: the table they make and its facts.
#[derive(Debug, Clone)]
pub struct Reread {
    /// provenance.csv as these inputs make it.
    pub table: Vec<u8>,
    pub groups: Vec<Group>,
    /// One row per fact, with its own line, reference and amounts.
    pub facts: Vec<Row>,
    /// How the workspace's inputs differ from those the statement lists
    /// (paths and SHA-256); `None` when they are the same files.
    pub inputs_differ: Option<String>,
}

/// Reads `statement`'s inputs again from `ws`, with the choices it was made
/// with: its period, issue date and as-of day, the statements issued before
/// it in `out`'s register (costs billed there are left out again), and
/// every market allowed to be missing (a missing export changes no row; the
/// statement's own notes say which were).
///
/// Inputs that are no longer the statement's (a file added, removed or
/// changed since) are read as they are now, and named in
/// [`Reread::inputs_differ`].
///
/// # Errors
/// Reading the inputs fails or is refused (the message says why).
pub fn reread(ws: &Workspace, statement: &Statement, out: &Path) -> Result<Reread, String> {
    let mut opts = RunOptions::new(statement.period.id);
    opts.issue_date = statement.issue_date;
    opts.as_of = statement.notes.iter().find_map(|n| match n.kind {
        NoteKind::AsOf { as_of, .. } => Some(as_of),
        _ => None,
    });
    // A missing export fails on the inputs' hashes, not as a refusal.
    opts.allow_missing = statement.contract.markets.iter().copied().collect();
    opts.billed = Some(Billed::open(out).map_err(|e| e.to_string())?);
    opts.fact_rows = true;
    let seller = &statement.seller.id;
    let inputs = read_seller_inputs(ws, seller, &opts)
        .map_err(|e| format!("reading {seller}'s inputs again from {}: {e}", ws.root.display()))?;
    let now: Vec<(&str, &str)> = inputs.inputs.iter().map(|i| (i.path.as_str(), i.sha256.as_str())).collect();
    let then: Vec<(&str, &str)> = statement.inputs.iter().map(|i| (i.path.as_str(), i.sha256.as_str())).collect();
    let inputs_differ = (now != then).then(|| inputs_differ(&then, &now));
    let table = inputs.provenance.csv().to_vec();
    let groups = read_groups(&table)?;
    let facts = read_rows(inputs.provenance.facts().unwrap_or_default())?;
    Ok(Reread { table, groups, facts, inputs_differ })
}

/// What differs between the statement's inputs (`then`) and the
/// workspace's (`now`), each a list of (path, SHA-256).
fn inputs_differ(then: &[(&str, &str)], now: &[(&str, &str)]) -> String {
    let mut differences = Vec::new();
    for (path, sha) in then {
        match now.iter().find(|(p, _)| p == path) {
            None => differences.push(format!("{path} is gone")),
            Some((_, s)) if s != sha => differences.push(format!("{path} is sha256 {s}, the statement read {sha}")),
            Some(_) => {}
        }
    }
    for (path, _) in now.iter().filter(|(p, _)| !then.iter().any(|(q, _)| q == p)) {
        differences.push(format!("{path} is new"));
    }
    if differences.is_empty() {
        differences.push("the same files in another order".to_string());
    }
    format!("the workspace's inputs are not the statement's: {}", differences.join("; "))
}

/// How many differing groups [`differences`] describes one by one.
const DIFFERENCES_LISTED: usize = 10;

/// Where the sealed table and the re-read one differ: each differing group
/// (at most [`DIFFERENCES_LISTED`], then how many more), as the figures it
/// feeds (or the reason it is left out) with both rows; empty when they are
/// the same bytes.
pub fn differences(sealed: &[u8], reread: &[u8]) -> Vec<String> {
    if sealed == reread {
        return Vec::new();
    }
    let (a, b) = (read_groups(sealed), read_groups(reread));
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) => return vec![format!("provenance.csv does not read: {e}")],
        (_, Err(e)) => return vec![format!("the re-read table does not read: {e}")],
    };
    let line = |g: Option<&Group>| match g {
        Some(g) => format!(
            "{} {} {} {}: {} rows, amount {}, shipping {}, units {}, lines {}",
            g.file, g.market, g.record, g.kind, g.rows, g.amount, g.shipping, g.units, g.lines
        ),
        None => "no such group".to_string(),
    };
    let differing: Vec<usize> = (0..a.len().max(b.len())).filter(|&i| a.get(i) != b.get(i)).collect();
    let mut out: Vec<String> = differing
        .iter()
        .take(DIFFERENCES_LISTED)
        .map(|&at| {
            let what = match a.get(at).or(b.get(at)) {
                Some(g) if !g.feeds.is_empty() => format!("the rows of {} of {}", g.feeds.join(", "), g.market),
                Some(g) if !g.excluded.is_empty() => format!("the rows left out ({})", g.excluded),
                _ => "the table".to_string(),
            };
            format!(
                "{what} differ from what the inputs hold: provenance.csv line {} reads {}; the inputs make {}",
                at + 2,
                line(a.get(at)),
                line(b.get(at))
            )
        })
        .collect();
    if differing.len() > DIFFERENCES_LISTED {
        out.push(format!("and {} more groups differ", differing.len() - DIFFERENCES_LISTED));
    }
    if out.is_empty() {
        out.push("provenance.csv differs from the re-read table in its bytes, not in its groups".to_string());
    }
    out
}

/// What `kpiseal verify --workspace` adds for one statement folder,
/// evidence bag or zip (whose signatures and hashes `verify` checks beside
/// it):
/// the workspace's inputs are the ones the statement lists, read again
/// they make its provenance.csv byte for byte (else the figure whose rows
/// differ is named), and every figure [`recompute`] walks is what its
/// rows make. Each line is `(passed, name, detail)`.
///
/// # Errors
/// The path is not a statement folder, bag or zip whose manifest reads, it
/// has no provenance.csv (sealed before the table), or the inputs cannot be
/// read again (their message).
pub fn check(folder: &Path, ws: &Workspace) -> Result<Vec<(bool, String, String)>, String> {
    // The statement's files as verify reads them (a folder, bag or zip), be
    // they valid or not: verify's own checks are reported beside these.
    let options = kpiseal_seal::verify::Options { key: None, workspace: None, allow_extra: true };
    let verification =
        kpiseal_seal::verify::verify_path(folder, &options).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut outputs = verification.outputs;
    let mut take = |name: &str| match outputs.remove(name) {
        Some(bytes) => Ok(bytes),
        None if name == crate::provenance::PROVENANCE_CSV => Err(format!(
            "{}: sealed without provenance.csv (by a kpiseal from before the table): its rows cannot be re-read",
            folder.display()
        )),
        None => Err(format!("{}: no {name} was read: not a statement folder, bag or zip", folder.display())),
    };
    let json = take(crate::sealing::STATEMENT_JSON)?;
    let statement = Statement::from_json(&json).map_err(|e| format!("{}: {e}", folder.display()))?;
    let sealed = take(crate::provenance::PROVENANCE_CSV)?;
    let again = match reread(ws, &statement, &out_of(folder, ws)) {
        Ok(again) => again,
        Err(e) => {
            // Inputs changed since the statement: its verification fails on
            // them, and this says why the rows cannot be made again.
            let Some(changed) = changed_inputs(ws, &statement) else { return Err(e) };
            return Ok(vec![
                (false, "inputs".to_string(), changed),
                (false, "rows".to_string(), format!("not made again: {e}")),
            ]);
        }
    };
    let mut lines = vec![match &again.inputs_differ {
        None => {
            (true, "inputs".to_string(), format!("the {} files the statement lists, unchanged", statement.inputs.len()))
        }
        Some(difference) => (false, "inputs".to_string(), difference.clone()),
    }];
    let differ = differences(&sealed, &again.table);
    if differ.is_empty() {
        let detail = format!(
            "provenance.csv is what the inputs make: {} groups, {} facts, each on the line it names",
            again.groups.len(),
            again.facts.len()
        );
        lines.push((true, "rows".to_string(), detail));
    }
    lines.extend(differ.into_iter().map(|d| (false, "rows".to_string(), d)));
    // The figures from the rows as the inputs hold them (the same as the
    // sealed table's when the line above passes).
    for r in recompute(&statement, &again.groups, &again.facts)? {
        let detail = if r.agrees && r.made == r.printed {
            format!("{} from {} rows", r.made, r.rows)
        } else if r.agrees {
            format!("{} ({} unrounded) from {} rows", r.printed, r.made, r.rows)
        } else {
            format!("the statement prints {}, its {} rows make {}", r.printed, r.rows, r.made)
        };
        lines.push((r.agrees, r.figure, detail));
    }
    // The figures derived from those: fee lines, fees, totals.
    for d in crate::derivation::all(&statement).into_iter().filter(|d| d.checked) {
        let detail = if d.agrees() {
            format!("{} from {} parts", d.value, d.parts.len())
        } else {
            format!("the statement prints {}, its parts make {}", d.printed, d.value)
        };
        lines.push((d.agrees(), d.figure, detail));
    }
    Ok(lines)
}

/// How the files `statement` lists differ from the same paths in `ws`
/// (gone, or another SHA-256); `None` when each is the same.
fn changed_inputs(ws: &Workspace, statement: &Statement) -> Option<String> {
    let then: Vec<(&str, &str)> = statement.inputs.iter().map(|i| (i.path.as_str(), i.sha256.as_str())).collect();
    let hashes: Vec<(String, String)> = statement
        .inputs
        .iter()
        .filter_map(|i| {
            let bytes = std::fs::read(ws.root.join(&i.path)).ok()?;
            Some((i.path.clone(), kpiseal_seal::manifest::hash_bytes(&bytes).sha256))
        })
        .collect();
    let now: Vec<(&str, &str)> = hashes.iter().map(|(p, h)| (p.as_str(), h.as_str())).collect();
    let differ = then.iter().any(|t| !now.contains(t));
    differ.then(|| inputs_differ(&then, &now))
}

/// The text lines of a workspace's input files, each file read (and
/// decoded as the parsers decode it) when a line of it is first asked for.
pub struct RawLines<'w> {
    ws: &'w Workspace,
    files: std::cell::RefCell<std::collections::BTreeMap<String, Option<Vec<String>>>>,
}

impl<'w> RawLines<'w> {
    pub fn new(ws: &'w Workspace) -> Self {
        RawLines { ws, files: Default::default() }
    }

    /// Line `number` (1-based) of the text input `file`; `None` for an XLSX
    /// workbook (its rows are sheet rows, not lines), a file that cannot be
    /// read or a number past its end.
    pub fn line(&self, file: &str, number: usize) -> Option<String> {
        let mut files = self.files.borrow_mut();
        let lines = files.entry(file.to_string()).or_insert_with(|| {
            if file.to_ascii_lowercase().ends_with(".xlsx") {
                return None;
            }
            let bytes = std::fs::read(self.ws.root.join(file)).ok()?;
            let text = crate::ingest::table::decode_text(&bytes);
            Some(text.lines().map(str::to_string).collect())
        });
        lines.as_ref()?.get(number.checked_sub(1)?).cloned()
    }
}

/// The output folder whose register lists the statement in `folder`: the
/// nearest folder above it holding `statements.log`, else `<workspace>/out`.
pub fn out_of(folder: &Path, ws: &Workspace) -> std::path::PathBuf {
    folder
        .ancestors()
        .skip(1)
        .find(|d| d.join("statements.log").is_file())
        .map_or_else(|| ws.root.join("out"), Path::to_path_buf)
}

/// One figure of a statement recomputed from its rows.
#[derive(Debug, Clone)]
pub struct Recomputed {
    pub figure: String,
    /// What statement.json prints.
    pub printed: rust_decimal::Decimal,
    /// What the rows make (a ratio unrounded).
    pub made: rust_decimal::Decimal,
    /// How many fact rows make it.
    pub rows: usize,
    /// Whether `made` is `printed` (a ratio: rounds to it as printed).
    pub agrees: bool,
}

/// Every figure of `statement` that is made of rows, recomputed from the
/// `groups` and `facts` of its inputs: every KPI that has a value, of each
/// market and overall (money, counts and ratios, by the composition its
/// definition key states; overall ones combined at the statement's quotes), each market summary's counts (`orders`, `units`, `refunds`,
/// `orders_placed`, `orders_cancelled`) and each pass-through line.
///
/// # Errors
/// A figure the statement prints that explain cannot walk (a bug: every
/// figure listed here is one it walks).
pub fn recompute(statement: &Statement, groups: &[Group], facts: &[Row]) -> Result<Vec<Recomputed>, String> {
    let mut figures: Vec<(String, Option<rust_decimal::Decimal>)> = Vec::new();
    let kpis = statement.kpis.iter().filter(|k| k.value.is_some());
    figures.extend(kpis.filter_map(crate::explain::kpi_reference).map(|r| (r, None)));
    for m in &statement.markets {
        let id = m.market.id();
        let count = |v: Option<i64>| v.map(rust_decimal::Decimal::from);
        for (field, printed) in [
            ("sales.orders", count(m.orders)),
            ("sales.units", count(m.units)),
            ("sales.refunded_principal", m.refunds),
            ("orders.placed", count(m.orders_placed)),
            ("orders.cancelled", count(m.orders_cancelled)),
        ] {
            if printed.is_some() {
                figures.push((format!("{id}.{field}"), printed));
            }
        }
    }
    figures.extend((0..statement.pass_through.lines.len()).map(|i| (format!("pass_through.lines[{i}]"), None)));
    figures
        .into_iter()
        .map(|(figure, printed)| {
            let mut e = crate::explain::explain(statement, groups, Some(facts), &figure)?;
            if printed.is_some() {
                e.printed = printed;
            }
            let rows = e.steps.iter().map(|s| s.rows.as_ref().map_or(0, Vec::len)).sum();
            let agrees = e.exact() && e.agrees();
            Ok(Recomputed { figure, printed: e.printed.unwrap_or_default(), made: e.value, rows, agrees })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_or_missing_input_is_named_with_both_hashes() {
        let then = [("a.txt", "11"), ("b.txt", "22")];
        let text = inputs_differ(&then, &[("a.txt", "33"), ("c.txt", "44")]);
        assert!(text.contains("a.txt is sha256 33, the statement read 11"), "{text}");
        assert!(text.contains("b.txt is gone") && text.contains("c.txt is new"), "{text}");
    }
}
