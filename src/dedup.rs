//! The same money never counts twice.
//!
//! Every parsed export names the units of money it carries
//! (`crate::ingest::units`): Amazon settlements by settlement-id (V1 and V2
//! alike), Mercado Livre sales by sale number, sponsored-ads rows by dates,
//! campaign, ad group, SKU and ASIN, pass-through costs by vendor and invoice
//! number. [`compare`] looks at all of a seller's units together, in reading
//! order, with the costs already billed on the seller's statements of other
//! periods in front:
//!
//! - a unit whose key was seen before, with the same fingerprint, is an
//!   identical repeat: it is dropped (its facts are not counted) and reported
//!   as a [`Repeat`], which the statement prints as a data note naming both
//!   places;
//! - a unit whose key was seen before with a different fingerprint is a
//!   conflict: two files disagree about the same money, and the seller is
//!   refused with an error naming both places;
//! - ads rows with different keys whose money overlaps (the same campaign,
//!   ad group and SKU on intersecting days, e.g. a monthly and a daily
//!   report) are a conflict too.
//!
//! Costs already billed are the reference: they are never dropped, and a
//! ledger line repeating one is dropped (identical) or refused (different).

use std::collections::HashMap;

use crate::billed::BilledStatement;
use crate::error::{Error, InputError, Location};
use crate::ingest::ParsedExport;
use crate::ingest::costs;
use crate::ingest::records::CostLine;
use crate::ingest::units::{Unit, UnitKey};
use crate::notes::{Findings, NoteKind};
use crate::provenance::ProvenanceWriter;

/// How many conflicts between one pair of files are listed one by one; the
/// rest are counted in one more error.
const CONFLICTS_LISTED: usize = 10;

/// Where a source's units come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An input file of this run (workspace-relative path).
    Input { file: String },
    /// A statement already issued to the seller for another period: its
    /// statement.json and its number.
    Issued { file: String, statement_number: String, period: String },
}

impl Origin {
    /// The file the units are in.
    pub fn file(&self) -> &str {
        match self {
            Origin::Input { file } | Origin::Issued { file, .. } => file,
        }
    }
}

/// One file's units, in the order the file lists them.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub origin: &'a Origin,
    pub units: &'a [Unit],
}

/// A unit dropped as an identical repeat of an earlier one: indexes into
/// the sources and their units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub source: usize,
    pub unit: usize,
    /// The unit it repeats (counted once, there).
    pub of_source: usize,
    pub of_unit: usize,
}

/// What [`compare`] decided.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Per source, per unit: dropped as an identical repeat.
    pub dropped: Vec<Vec<bool>>,
    /// The identical repeats, in reading order.
    pub repeats: Vec<Repeat>,
    /// Conflicting repeats and overlapping ads rows, each naming both places
    /// (at most [`CONFLICTS_LISTED`] per pair of files, then a count).
    pub conflicts: Vec<InputError>,
}

/// How many units a note names before it only counts them.
const UNITS_NAMED: usize = 3;

/// Counts one seller's money once: compares the units of its `exports` (in
/// reading order), of its cost `ledger` (the file and its lines) and the
/// costs its statements of other periods `billed`, then drops every
/// identical repeat from the exports and the ledger, notes each drop in
/// `findings` (one [`NoteKind::DuplicateDropped`] per pair of files, one
/// [`NoteKind::CostAlreadyBilled`] per ledger line billed before) and
/// refuses every conflict there. With a `provenance` table, the facts of
/// every dropped unit are listed in it as left out, naming the unit they
/// repeat and where.
///
/// # Errors
/// An internal error when a note has no text (see `DataNote::new`).
pub fn count_once(
    exports: &mut [(&str, &mut ParsedExport)],
    ledger: Option<(&str, &mut Vec<CostLine>)>,
    billed: &[BilledStatement],
    findings: &mut Findings,
    provenance: &mut ProvenanceWriter,
) -> Result<(), Error> {
    let mut origins: Vec<Origin> = Vec::new();
    let mut units: Vec<Vec<Unit>> = Vec::new();
    for b in billed {
        origins.push(b.origin.clone());
        units.push(b.costs.iter().map(|c| costs::unit(c, Location::File)).collect());
    }
    let first_export = origins.len();
    for (file, _) in exports.iter() {
        origins.push(Origin::Input { file: file.to_string() });
        units.push(Vec::new());
    }
    let ledger_source = ledger.as_ref().map(|(file, lines)| {
        origins.push(Origin::Input { file: file.to_string() });
        units.push(lines.iter().map(|c| costs::unit(c, Location::Line(c.line))).collect());
        origins.len() - 1
    });
    let verdict = {
        let sources: Vec<Source> = origins
            .iter()
            .enumerate()
            .map(|(i, origin)| {
                let units = match i.checked_sub(first_export).and_then(|e| exports.get(e)) {
                    Some((_, parsed)) => parsed.units.as_slice(),
                    None => units[i].as_slice(),
                };
                Source { origin, units }
            })
            .collect();
        let verdict = compare(&sources);
        note_repeats(&sources, &verdict.repeats, findings)?;
        for r in &verdict.repeats {
            let (of, file) = (&sources[r.of_source], sources[r.source].origin.file());
            if let Some((_, parsed)) = r.source.checked_sub(first_export).and_then(|e| exports.get(e)) {
                // One reason per pair of files, so that the table has one group
                // per kind for them; the data note names each unit.
                let why = match of.origin {
                    Origin::Input { file: of_file } if of_file.as_str() == file => {
                        "repeats a unit found earlier in this file".to_string()
                    }
                    _ => format!("repeats {}", of.origin.file()),
                };
                if let Some(unit) = parsed.units.get(r.unit) {
                    provenance.add_excluded_unit(file, parsed, unit, &why);
                }
            } else if Some(r.source) == ledger_source
                && let Some(cost) = ledger.as_ref().and_then(|(_, lines)| lines.get(r.unit))
            {
                let why = match of.units.get(r.of_unit) {
                    Some(u) => format!("repeats {} {}", u.label(), place(of.origin.file(), &u.location, file)),
                    None => format!("repeats a cost of {}", of.origin.file()),
                };
                provenance.add_excluded_cost(file, cost, &why);
            }
        }
        verdict
    };
    for conflict in verdict.conflicts {
        findings.refuse(conflict);
    }
    for (e, (_, parsed)) in exports.iter_mut().enumerate() {
        parsed.drop_units(&verdict.dropped[first_export + e]);
    }
    if let (Some(s), Some((_, lines))) = (ledger_source, ledger) {
        let mut i = 0;
        lines.retain(|_| {
            i += 1;
            !verdict.dropped[s][i - 1]
        });
    }
    Ok(())
}

/// One note per pair of files for the repeats among the inputs (naming the
/// units, and their lines when there is one), one per ledger line for costs
/// billed before.
fn note_repeats(sources: &[Source], repeats: &[Repeat], findings: &mut Findings) -> Result<(), Error> {
    let mut pairs: Vec<((usize, usize), Vec<Repeat>)> = Vec::new();
    for r in repeats {
        if let Origin::Issued { statement_number, period, .. } = sources[r.of_source].origin {
            let unit = &sources[r.source].units[r.unit];
            findings.note(
                NoteKind::CostAlreadyBilled {
                    invoice: unit.label().into_owned(),
                    statement: statement_number.clone(),
                    period: period.clone(),
                },
                vec![at(sources[r.source].origin.file(), &unit.location)],
            )?;
            continue;
        }
        match pairs.iter_mut().find(|(pair, _)| *pair == (r.source, r.of_source)) {
            Some((_, list)) => list.push(*r),
            None => pairs.push(((r.source, r.of_source), vec![*r])),
        }
    }
    for ((source, of_source), list) in pairs {
        let (file, of_file) = (sources[source].origin.file(), sources[of_source].origin.file());
        let named: Vec<&Unit> = list.iter().map(|r| &sources[r.source].units[r.unit]).collect();
        let (dropped, kept) = match list.as_slice() {
            [one] => (
                at(file, &sources[source].units[one.unit].location),
                at(of_file, &sources[of_source].units[one.of_unit].location),
            ),
            _ => (file.to_string(), of_file.to_string()),
        };
        let what = match named.as_slice() {
            [one] => one.label().into_owned(),
            all => {
                let shown: Vec<String> = all.iter().take(UNITS_NAMED).map(|u| u.label().into_owned()).collect();
                let more = if all.len() > UNITS_NAMED {
                    format!(" and {} more", all.len() - UNITS_NAMED)
                } else {
                    String::new()
                };
                format!("{} {} ({}{more})", all.len(), all[0].key.plural(), shown.join(", "))
            }
        };
        findings.note(
            NoteKind::DuplicateDropped { what, kept: kept.clone(), dropped: dropped.clone() },
            vec![dropped, kept],
        )?;
    }
    Ok(())
}

/// `file`, `file:line` or `file [sheet "S"] row N`, as notes name places.
pub fn at(file: &str, location: &Location) -> String {
    match location {
        Location::File => file.to_string(),
        Location::Line(n) => format!("{file}:{n}"),
        Location::Row { sheet, row } => format!("{file} [sheet {sheet:?}] row {row}"),
    }
}

/// Compares the units of `sources` (in reading order: statements already
/// issued first, then the period's files) and says which to drop and which
/// conflict. A unit of an `Issued` source is never dropped nor reported;
/// among input units, the first of each key is kept.
pub fn compare(sources: &[Source]) -> Verdict {
    let mut verdict =
        Verdict { dropped: sources.iter().map(|s| vec![false; s.units.len()]).collect(), ..Verdict::default() };
    let mut conflicts = Conflicts::default();
    // Keys are looked up, never iterated, so a fixed-seed hasher (cheaper
    // than the default SipHash on order ids) cannot change what is found.
    let units = sources.iter().map(|s| s.units.len()).sum();
    let mut first: HashMap<&UnitKey, (usize, usize), foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(units, foldhash::fast::FixedState::default());
    for (s, source) in sources.iter().enumerate() {
        let issued = matches!(source.origin, Origin::Issued { .. });
        for (u, unit) in source.units.iter().enumerate() {
            let Some(&(fs, fu)) = first.get(&unit.key) else {
                first.insert(&unit.key, (s, u));
                continue;
            };
            if issued {
                continue;
            }
            let earlier = &sources[fs].units[fu];
            if earlier.fingerprint == unit.fingerprint {
                verdict.dropped[s][u] = true;
                verdict.repeats.push(Repeat { source: s, unit: u, of_source: fs, of_unit: fu });
            } else {
                conflicts.push((fs, s), || differing(sources[fs].origin, earlier, source.origin, unit));
            }
        }
    }
    overlapping_ads(sources, &verdict.dropped, &mut conflicts);
    verdict.conflicts = conflicts.finish(sources);
    verdict
}

/// Conflicts, listed one by one up to [`CONFLICTS_LISTED`] per pair of
/// sources and counted beyond.
#[derive(Default)]
struct Conflicts {
    listed: Vec<InputError>,
    /// Per (earlier, later) source: how many conflicts, in first-seen order.
    counts: Vec<((usize, usize), usize)>,
}

impl Conflicts {
    fn push(&mut self, pair: (usize, usize), error: impl FnOnce() -> InputError) {
        let count = match self.counts.iter_mut().find(|(p, _)| *p == pair) {
            Some((_, n)) => n,
            None => {
                self.counts.push((pair, 0));
                &mut self.counts.last_mut().expect("just pushed").1
            }
        };
        *count += 1;
        if *count <= CONFLICTS_LISTED {
            self.listed.push(error());
        }
    }

    fn finish(mut self, sources: &[Source]) -> Vec<InputError> {
        for ((earlier, later), n) in self.counts {
            if n > CONFLICTS_LISTED {
                let (earlier, later) = (sources[earlier].origin.file(), sources[later].origin.file());
                self.listed.push(InputError::file(
                    later,
                    format!(
                        "and {} more conflicts with {}, not listed one by one",
                        n - CONFLICTS_LISTED,
                        if earlier == later { "other lines of this file" } else { earlier }
                    ),
                ));
            }
        }
        self.listed
    }
}

/// The error for `later`, which has the key of `earlier` but not its contents.
fn differing(earlier_origin: &Origin, earlier: &Unit, later_origin: &Origin, later: &Unit) -> InputError {
    let same_summary =
        if earlier.summary.to_string() == later.summary.to_string() { " (same totals, different detail)" } else { "" };
    let message = match earlier_origin {
        Origin::Issued { file, statement_number, period } => format!(
            "{} was already billed on statement {statement_number} for {period} ({file}) as {}; this line reads {}{same_summary}. A cost is billed once: remove this line, or correct its invoice number if it is another invoice",
            later.label(),
            earlier.summary,
            later.summary
        ),
        Origin::Input { file } => format!(
            "{} is also {} with different contents: there {}, here {}{same_summary}. {}: keep the copy that is right and remove or correct the other",
            later.label(),
            place(file, &earlier.location, later_origin.file()),
            earlier.summary,
            later.summary,
            match later.key {
                UnitKey::Feedback { .. } =>
                    "One feedback must not count twice (a buyer may have changed it between the downloads)",
                UnitKey::Return { .. } => "One return must not count twice",
                _ => "The same money must not count twice",
            }
        ),
    };
    InputError {
        file: later_origin.file().to_string(),
        location: later.location.clone(),
        column: Some(later.column.to_string()),
        message,
    }
}

/// Reports every pair of kept ads rows whose keys differ but overlap, at the
/// later of the two (by reading order).
fn overlapping_ads(sources: &[Source], dropped: &[Vec<bool>], conflicts: &mut Conflicts) {
    let mut by_campaign: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    for (s, source) in sources.iter().enumerate() {
        for (u, unit) in source.units.iter().enumerate() {
            if let Some(campaign) = unit.key.campaign()
                && !dropped[s][u]
            {
                by_campaign.entry(campaign).or_default().push((s, u));
            }
        }
    }
    let mut campaigns: Vec<_> = by_campaign.into_iter().collect();
    campaigns.sort_by(|a, b| a.0.cmp(b.0));
    let mut found: Vec<((usize, usize), (usize, usize))> = Vec::new();
    for (_, mut rows) in campaigns {
        let unit = |&(s, u): &(usize, usize)| &sources[s].units[u];
        rows.sort_by_key(|r| (unit(r).key.days(), *r));
        for i in 0..rows.len() {
            for j in i + 1..rows.len() {
                let (a, b) = (unit(&rows[i]), unit(&rows[j]));
                // Sorted by start: once a row starts after `a` ends, none later overlaps it.
                if let (Some((_, end)), Some((start, _))) = (a.key.days(), b.key.days())
                    && start > end
                {
                    break;
                }
                if a.key.overlaps(&b.key) {
                    let (first, second) = if rows[i] < rows[j] { (rows[i], rows[j]) } else { (rows[j], rows[i]) };
                    found.push((first, second));
                }
            }
        }
    }
    found.sort_by_key(|&(first, second)| (second, first));
    for (first, second) in found {
        let (earlier, later) = (&sources[first.0].units[first.1], &sources[second.0].units[second.1]);
        let (earlier_file, later_file) = (sources[first.0].origin.file(), sources[second.0].origin.file());
        conflicts.push((first.0, second.0), || InputError {
            file: later_file.to_string(),
            location: later.location.clone(),
            column: Some(later.column.to_string()),
            message: format!(
                "{} overlaps {} {}: the same campaign, ad group and SKU on the same days would count twice. Use reports that do not overlap (e.g. daily reports only), or remove one",
                later.label(),
                earlier.label(),
                place(earlier_file, &earlier.location, later_file)
            ),
        });
    }
}

/// Where `location` of `file` is, said from `here` (the file being reported):
/// `at line 5 of this file`, or `in exports/…/a.txt (line 5)`.
pub fn place(file: &str, location: &Location, here: &str) -> String {
    let at = describe(location);
    match (file == here, at.is_empty()) {
        (true, false) => format!("at {at} of this file"),
        (true, true) => "elsewhere in this file".to_string(),
        (false, false) => format!("in {file} ({at})"),
        (false, true) => format!("in {file}"),
    }
}

/// `line 5`, `sheet "Vendas BR" row 7`, or nothing for a whole file.
pub fn describe(location: &Location) -> String {
    match location {
        Location::File => String::new(),
        Location::Line(n) => format!("line {n}"),
        Location::Row { sheet, row } => format!("sheet {sheet:?} row {row}"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::ingest::units::Fingerprint;

    fn unit(key: UnitKey, line: usize, money: i64) -> Unit {
        let mut u = Unit::new(key, Location::Line(line), "key", "the unit");
        u.fingerprint = Fingerprint::of(money);
        u.summary = format!("{money}").into();
        u
    }

    fn sale(id: &str, line: usize, money: i64) -> Unit {
        let mut u = unit(UnitKey::Sale(id.into()), line, money);
        u.set_label(format!("sale {id}"));
        u
    }

    fn input(file: &str) -> Origin {
        Origin::Input { file: file.into() }
    }

    #[test]
    fn an_identical_repeat_in_a_later_file_is_dropped_and_the_first_is_kept() {
        let (a, b) = (input("a.csv"), input("b.csv"));
        let (ua, ub) = ([sale("1", 2, 10), sale("2", 3, 20)], [sale("2", 7, 20)]);
        let v = compare(&[Source { origin: &a, units: &ua }, Source { origin: &b, units: &ub }]);
        assert_eq!(v.dropped, vec![vec![false, false], vec![true]]);
        assert_eq!(v.repeats, vec![Repeat { source: 1, unit: 0, of_source: 0, of_unit: 1 }]);
        assert!(v.conflicts.is_empty());
    }

    #[test]
    fn a_conflicting_repeat_is_refused_naming_both_places() {
        let (a, b) = (input("a.csv"), input("b.csv"));
        let (ua, ub) = ([sale("2", 3, 20)], [sale("2", 7, 21)]);
        let v = compare(&[Source { origin: &a, units: &ua }, Source { origin: &b, units: &ub }]);
        assert_eq!(v.dropped, vec![vec![false], vec![false]]);
        assert_eq!(v.conflicts.len(), 1);
        assert_eq!(
            v.conflicts[0].to_string(),
            "b.csv:7: column \"key\": sale 2 is also in a.csv (line 3) with different contents: there 20, here 21. The same money must not count twice: keep the copy that is right and remove or correct the other"
        );
    }

    #[test]
    fn repeats_within_one_file_are_found_too() {
        let a = input("a.csv");
        let ua = [sale("2", 3, 20), sale("2", 9, 20), sale("2", 11, 25)];
        let v = compare(&[Source { origin: &a, units: &ua }]);
        assert_eq!(v.dropped, vec![vec![false, true, false]]);
        assert!(v.conflicts[0].message.contains("is also at line 3 of this file"), "{}", v.conflicts[0]);
    }

    #[test]
    fn issued_costs_are_the_reference_and_never_dropped() {
        let issued = Origin::Issued {
            file: "out/2026-09/acme/statement.json".into(),
            statement_number: "C-202609-acme".into(),
            period: "2026-09".into(),
        };
        let ledger = input("costs/2026-10/acme.csv");
        let key = || UnitKey::Invoice { vendor: "v".into(), invoice_no: "1".into() };
        let (ui, ul) = ([unit(key(), 0, 5), unit(key(), 0, 5)], [unit(key(), 2, 5), unit(key(), 3, 6)]);
        let v = compare(&[Source { origin: &issued, units: &ui }, Source { origin: &ledger, units: &ul }]);
        assert_eq!(v.dropped, vec![vec![false, false], vec![true, false]]);
        assert_eq!(v.conflicts.len(), 1);
        assert!(
            v.conflicts[0].message.starts_with(
                "the unit was already billed on statement C-202609-acme for 2026-09 (out/2026-09/acme/statement.json) as 5; this line reads 6"
            ),
            "{}",
            v.conflicts[0]
        );
    }

    fn ad(start: u32, end: u32, sku: &str, line: usize) -> Unit {
        let day = |d| NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        let key = UnitKey::Ad {
            start: day(start),
            end: day(end),
            campaign: "C".into(),
            ad_group: None,
            sku: Some(sku.into()),
            asin: None,
        };
        let mut u = unit(key, line, 1);
        u.set_label(format!("ads row {start}-{end} {sku}"));
        u
    }

    #[test]
    fn overlapping_ads_rows_across_reports_are_refused_at_the_later_one() {
        let (a, b) = (input("daily.csv"), input("month.csv"));
        let ua = [ad(1, 1, "S", 2), ad(2, 2, "S", 3), ad(2, 2, "T", 4)];
        let ub = [ad(1, 31, "S", 2), ad(1, 31, "U", 3)];
        let v = compare(&[Source { origin: &a, units: &ua }, Source { origin: &b, units: &ub }]);
        let messages: Vec<String> = v.conflicts.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(
            messages[0].starts_with(
                "month.csv:2: column \"key\": ads row 1-31 S overlaps ads row 1-1 S in daily.csv (line 2)"
            )
        );
        assert!(
            messages[1].starts_with(
                "month.csv:2: column \"key\": ads row 1-31 S overlaps ads row 2-2 S in daily.csv (line 3)"
            )
        );
    }

    #[test]
    fn conflicts_beyond_the_listed_ones_are_counted() {
        let (a, b) = (input("a.csv"), input("b.csv"));
        let ua: Vec<Unit> = (0..15).map(|i| sale(&i.to_string(), i + 2, 1)).collect();
        let ub: Vec<Unit> = (0..15).map(|i| sale(&i.to_string(), i + 2, 2)).collect();
        let v = compare(&[Source { origin: &a, units: &ua }, Source { origin: &b, units: &ub }]);
        assert_eq!(v.conflicts.len(), CONFLICTS_LISTED + 1);
        assert_eq!(
            v.conflicts.last().unwrap().to_string(),
            "b.csv: and 5 more conflicts with a.csv, not listed one by one"
        );
    }

    fn cost(date: u32, amount: i64, line: usize) -> CostLine {
        CostLine {
            date: NaiveDate::from_ymd_opt(2026, 10, date).unwrap(),
            category: crate::ingest::records::CostCategory::Freight,
            vendor: "Bluewave Forwarding Inc.".into(),
            invoice_no: "INV-1".into(),
            description: "Ocean freight".into(),
            amount: rust_decimal::Decimal::new(amount, 2),
            currency: crate::money::Currency::Usd,
            evidence: None,
            line,
        }
    }

    #[test]
    fn a_ledger_line_billed_before_is_not_billed_again_and_the_statement_says_where() {
        let billed = [BilledStatement {
            origin: Origin::Issued {
                file: "out/2026-09/acme/statement.json".into(),
                statement_number: "C-202609-acme".into(),
                period: "2026-09".into(),
            },
            costs: vec![cost(3, 10000, 0)],
            figures: crate::billed::PastFigures {
                period: "2026-09".into(),
                statement_number: "C-202609-acme".into(),
                manifest_sha256: String::new(),
                kpis: Vec::new(),
                currency: crate::money::Currency::Usd,
                amount_due: rust_decimal::Decimal::ZERO,
            },
        }];
        let mut lines = vec![cost(3, 10000, 2), cost(4, 500, 3)];
        lines[1].invoice_no = "INV-2".into();
        let mut findings = Findings::default();
        count_once(
            &mut [],
            Some(("costs/2026-10/acme.csv", &mut lines)),
            &billed,
            &mut findings,
            &mut ProvenanceWriter::new(),
        )
        .unwrap();
        assert!(findings.check().is_ok());
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), [3], "the line billed in September is dropped");
        let notes = findings.into_notes();
        assert_eq!(notes.len(), 1);
        assert_eq!(
            notes[0].kind,
            NoteKind::CostAlreadyBilled {
                invoice: "invoice INV-1 of Bluewave Forwarding Inc.".into(),
                statement: "C-202609-acme".into(),
                period: "2026-09".into(),
            }
        );
        assert_eq!(notes[0].at, ["costs/2026-10/acme.csv:2"]);
        assert_eq!(
            notes[0].text,
            "Already billed on statement C-202609-acme (2026-09): invoice INV-1 of Bluewave Forwarding Inc.; this ledger line repeats it exactly and was not billed again."
        );
    }
}
