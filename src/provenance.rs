//! Row-level provenance: which rows of which input file make each figure of
//! a statement, so that a disputed figure can be traced to them.
//!
//! Two tables are made from the same walk over the facts:
//!
//! - **`provenance.csv`**, sealed with every statement (listed in the signed
//!   manifest and carried in the evidence bag): one row per *group* of
//!   facts, a group being the facts of one file of one record kind feeding
//!   the same figures (or left out for the same reason), with their count,
//!   their subtotals and the set of lines they are on. It references the
//!   input lines instead of copying each one's figures, so it stays a few
//!   hundred rows however large the exports (see the README's
//!   provenance.csv for what that saves); the inputs it names are pinned by
//!   their SHA-256 in the manifest, so each line's own amount is one re-read
//!   away (`kpiseal explain --workspace`).
//! - **the fact rows** ([`FACT_HEADER`]), one per fact with its own line,
//!   date, reference and amounts: made only on request
//!   ([`ProvenanceWriter::with_facts`]), by `explain --workspace` re-reading
//!   the inputs, never sealed.
//!
//! Columns of `provenance.csv`:
//!
//! | column | holds |
//! | --- | --- |
//! | `file` | the input's workspace-relative path, as the manifest lists it (with its SHA-256) |
//! | `market` | the market id (`amazon_us`, `mercadolivre_br`); blank for a pass-through cost |
//! | `record` | `money_line`, `order_event`, `ads_row`, `cost_line`; `row` for a data row left out for its date, which gives no fact |
//! | `kind` | the money kind, order-event kind or cost category id; `ads` for ads rows |
//! | `currency` | the currency of `amount` and `shipping` |
//! | `feeds` | what the group adds to, space-separated: fields of the market's figures (`sales.gross_principal`, the names of [`crate::ledger::MarketFigures`]) or, for a cost, `pass_through.lines[i]` of statement.json and `pass_through.lines[i].converted` (its amount at the FX quote, see `crate::derivation`); blank when left out |
//! | `excluded` | blank for facts counted; for facts left out, why |
//! | `rows` | how many facts the group has |
//! | `references` | how many distinct references (order ids, FNSKUs, campaigns, invoice numbers) they name |
//! | `reference` | the reference, when they all name the same one (a cost's invoice number); blank otherwise |
//! | `dates` | the first and last of their dates (`first/last`; one date when equal) |
//! | `amount`, `shipping`, `units` | the sums of the facts' amounts, shipping (an ads row's attributed sales) and units |
//! | `lines` | the 1-based lines (text) or sheet rows (XLSX) the facts are on, ascending, runs written `first-last` |
//!
//! Groups left out come first (as they are found), then the counted ones in
//! the order of the statement's inputs (exports by path, then the cost
//! ledger) and, within a file, in the order its parser first met each
//! kind, so the same inputs give the same bytes.

use std::fmt::Write as _;
use std::hash::BuildHasher as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::ingest::ParsedExport;
use crate::ingest::records::{AdRow, CostLine, MoneyLine, OrderEvent};
use crate::ingest::units::Unit;
use crate::ledger::{AD_ROW_FEEDS, event_feeds, money_line_feeds};

/// The file name of the provenance table in a sealed folder and its bag.
pub const PROVENANCE_CSV: &str = "provenance.csv";

/// The header row of `provenance.csv` (one row per group of facts).
pub const HEADER: [&str; 15] = [
    "file",
    "market",
    "record",
    "kind",
    "currency",
    "feeds",
    "excluded",
    "rows",
    "references",
    "reference",
    "dates",
    "amount",
    "shipping",
    "units",
    "lines",
];

/// The header row of the fact rows (one row per fact).
pub const FACT_HEADER: [&str; 13] = [
    "file",
    "line",
    "market",
    "record",
    "kind",
    "date",
    "reference",
    "amount",
    "shipping",
    "units",
    "currency",
    "feeds",
    "excluded",
];

/// A finished provenance table, and the fact rows when they were asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    csv: Vec<u8>,
    groups: usize,
    facts: Option<Vec<u8>>,
}

impl Provenance {
    /// `provenance.csv` as sealed (UTF-8, header first, `\n`).
    pub fn csv(&self) -> &[u8] {
        &self.csv
    }

    /// The number of groups it lists (rows below the header).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// The fact rows ([`FACT_HEADER`] first), when made
    /// [`ProvenanceWriter::with_facts`].
    pub fn facts(&self) -> Option<&[u8]> {
        self.facts.as_deref()
    }
}

/// One fact, as both tables see it.
struct Fact<'a> {
    line: usize,
    market: &'static str,
    record: &'static str,
    kind: &'static str,
    first: NaiveDate,
    last: NaiveDate,
    reference: &'a str,
    amount: Decimal,
    shipping: Decimal,
    units: i64,
    currency: &'static str,
}

impl<'a> Fact<'a> {
    fn money_line(l: &'a MoneyLine, currency: &'static str) -> Self {
        Fact {
            line: l.line,
            market: l.market.id(),
            record: "money_line",
            kind: l.kind.id(),
            first: l.date,
            last: l.date,
            reference: &l.order_id,
            amount: l.amount,
            shipping: Decimal::ZERO,
            units: 0,
            currency,
        }
    }

    fn order_event(e: &'a OrderEvent, currency: &'static str) -> Self {
        Fact {
            line: e.line,
            market: e.market.id(),
            record: "order_event",
            kind: e.kind.id(),
            first: e.date,
            last: e.date,
            reference: &e.order_id,
            amount: e.principal,
            shipping: e.shipping,
            units: e.units,
            currency,
        }
    }

    fn ads_row(a: &'a AdRow) -> Self {
        Fact {
            line: a.line,
            market: a.market.id(),
            record: "ads_row",
            kind: "ads",
            first: a.start,
            last: a.end,
            reference: &a.campaign,
            amount: a.spend,
            shipping: a.sales,
            units: 0,
            currency: a.currency.code(),
        }
    }

    fn cost_line(c: &'a CostLine) -> Self {
        Fact {
            line: c.line,
            market: "",
            record: "cost_line",
            kind: c.category.id(),
            first: c.date,
            last: c.date,
            reference: &c.invoice_no,
            amount: c.amount,
            shipping: Decimal::ZERO,
            units: 0,
            currency: c.currency.code(),
        }
    }
}

/// The facts of one group so far.
struct Group {
    file: String,
    market: &'static str,
    record: &'static str,
    kind: &'static str,
    currency: &'static str,
    feeds: String,
    excluded: String,
    rows: usize,
    /// The distinct references (read only for their number, and for the
    /// one reference when there is one).
    references: References,
    dates: (NaiveDate, NaiveDate),
    amount: Decimal,
    shipping: Decimal,
    units: i64,
    lines: Vec<usize>,
}

impl Group {
    fn new(file: &str, fact: &Fact, feeds: &str, excluded: &str) -> Self {
        Group {
            file: file.to_string(),
            market: fact.market,
            record: fact.record,
            kind: fact.kind,
            currency: fact.currency,
            feeds: feeds.to_string(),
            excluded: excluded.to_string(),
            rows: 0,
            references: References::default(),
            dates: (fact.first, fact.last),
            amount: Decimal::ZERO,
            shipping: Decimal::ZERO,
            units: 0,
            lines: Vec::new(),
        }
    }

    fn holds(&self, file: &str, fact: &Fact, feeds: &str, excluded: &str) -> bool {
        self.record == fact.record
            && self.kind == fact.kind
            && self.market == fact.market
            && self.currency == fact.currency
            && self.feeds == feeds
            && self.excluded == excluded
            && self.file == file
    }

    fn add(&mut self, fact: &Fact) {
        self.rows += 1;
        if !fact.reference.is_empty() {
            self.references.insert(fact.reference);
        }
        self.dates = (self.dates.0.min(fact.first), self.dates.1.max(fact.last));
        self.amount += fact.amount;
        self.shipping += fact.shipping;
        self.units += fact.units;
        self.lines.push(fact.line);
    }

    fn write(mut self, out: &mut csv::Writer<Vec<u8>>) {
        self.lines.sort_unstable();
        self.lines.dedup();
        let reference = self.references.only().unwrap_or_default().to_string();
        let dates = match self.dates {
            (first, last) if first == last => first.to_string(),
            (first, last) => format!("{first}/{last}"),
        };
        let (rows, references) = (self.rows.to_string(), self.references.len().to_string());
        let (amount, shipping, units) = (self.amount.to_string(), self.shipping.to_string(), self.units.to_string());
        // Writing into memory cannot fail.
        let _ = out.write_record([
            self.file.as_str(),
            self.market,
            self.record,
            self.kind,
            self.currency,
            &self.feeds,
            &self.excluded,
            &rows,
            &references,
            &reference,
            &dates,
            &amount,
            &shipping,
            &units,
            &line_set(&self.lines),
        ]);
    }
}

/// A set of distinct strings that allocates per buffer, not per string:
/// their text in one string, their ends in one vector, and a hash table
/// (fixed seed) of their indices. A group names thousands of order ids: as
/// a set of boxed strings, inserting and dropping them was over half of the
/// provenance table's time.
#[derive(Default)]
struct References {
    text: String,
    /// Where each string ends in `text` (it begins where the one before ends).
    ends: Vec<usize>,
    table: hashbrown::HashTable<usize>,
}

impl References {
    /// Adds `reference` unless it is there already.
    fn insert(&mut self, reference: &str) {
        let hasher = foldhash::fast::FixedState::default();
        let References { text, ends, table } = self;
        let nth = |i: usize| {
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &text[start..ends[i]]
        };
        let entry = table.entry(hasher.hash_one(reference), |&i| nth(i) == reference, |&i| hasher.hash_one(nth(i)));
        if let hashbrown::hash_table::Entry::Vacant(slot) = entry {
            text.push_str(reference);
            ends.push(text.len());
            slot.insert(ends.len() - 1);
        }
    }

    /// How many distinct strings it holds.
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The string, when it holds exactly one.
    fn only(&self) -> Option<&str> {
        (self.ends.len() == 1).then_some(self.text.as_str())
    }
}

/// Ascending, deduplicated line numbers as `2-5 7 9-12`.
pub fn line_set(lines: &[usize]) -> String {
    let mut out = String::with_capacity(lines.len() * 5);
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start;
        while i + 1 < lines.len() && lines[i + 1] == end + 1 {
            i += 1;
            end = lines[i];
        }
        if !out.is_empty() {
            out.push(' ');
        }
        // Writing into a String cannot fail.
        let _ = if end == start { write!(out, "{start}") } else { write!(out, "{start}-{end}") };
        i += 1;
    }
    out
}

/// Reads a line set written by [`line_set`].
///
/// # Errors
/// The part that is not a line number or an ascending `first-last` run.
pub fn parse_line_set(text: &str) -> Result<Vec<usize>, String> {
    let mut lines = Vec::new();
    for part in text.split(' ').filter(|p| !p.is_empty()) {
        let number = |s: &str| s.parse::<usize>().map_err(|_| format!("{part:?} is not a line number or a run"));
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (number(a)?, number(b)?);
                if a > b {
                    return Err(format!("{part:?}: a run runs upwards"));
                }
                lines.extend(a..=b);
            }
            None => lines.push(number(part)?),
        }
    }
    Ok(lines)
}

/// Builds a statement's provenance fact by fact: the groups always, the
/// fact rows when asked.
pub struct ProvenanceWriter {
    groups: Vec<Group>,
    facts: Option<csv::Writer<Vec<u8>>>,
    /// The currency of each market whose site fixes none (a store's, from
    /// the contract); other markets' facts are in their site's.
    currencies: Currencies,
}

/// The currency of each market's facts (see [`ProvenanceWriter::currencies`]).
#[derive(Debug, Clone, Default)]
struct Currencies(std::collections::BTreeMap<crate::market::Market, crate::money::Currency>);

impl Currencies {
    fn of(&self, market: crate::market::Market) -> &'static str {
        market.fixed_currency().or_else(|| self.0.get(&market).copied()).map_or("", |c| c.code())
    }
}

impl Default for ProvenanceWriter {
    fn default() -> Self {
        ProvenanceWriter::new()
    }
}

impl ProvenanceWriter {
    /// A table of groups only.
    pub fn new() -> Self {
        ProvenanceWriter { groups: Vec::new(), facts: None, currencies: Currencies::default() }
    }

    /// The same writer, listing each store market's facts in its currency
    /// (`currency_of`: the contract's).
    pub fn with_currencies(
        mut self,
        stores: impl IntoIterator<Item = (crate::market::Market, crate::money::Currency)>,
    ) -> Self {
        self.currencies.0.extend(stores);
        self
    }

    /// A table of groups that also lists every fact as a row of its own.
    pub fn with_facts() -> Self {
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        // Writing into memory cannot fail.
        let _ = writer.write_record(FACT_HEADER);
        ProvenanceWriter { groups: Vec::new(), facts: Some(writer), currencies: Currencies::default() }
    }

    /// Lists every fact of the export `file` the statement counts: its money
    /// lines, order events and ads rows.
    pub fn add_export(&mut self, file: &str, parsed: &ParsedExport) {
        let c = self.currencies.clone();
        let facts = parsed.lines.iter().map(|l| (Fact::money_line(l, c.of(l.market)), money_line_feeds(l.kind)));
        let facts =
            facts.chain(parsed.events.iter().map(|e| (Fact::order_event(e, c.of(e.market)), event_feeds(e.kind))));
        let facts = facts.chain(parsed.ads.iter().map(|a| (Fact::ads_row(a), AD_ROW_FEEDS)));
        self.add_facts(file, facts, "");
    }

    /// Lists the facts of `unit` of the export `file` as left out, saying
    /// `why` (e.g. which file it repeats).
    pub fn add_excluded_unit(&mut self, file: &str, parsed: &ParsedExport, unit: &Unit, why: &str) {
        let lines = parsed.lines.get(unit.lines.clone()).unwrap_or_default();
        let events = parsed.events.get(unit.events.clone()).unwrap_or_default();
        let ads = parsed.ads.get(unit.ads.clone()).unwrap_or_default();
        self.add_excluded(file, lines, events, ads, why);
    }

    /// Lists money lines, events and ads rows of the export `file` as left
    /// out, saying `why` (e.g. dated outside the contract term).
    pub fn add_excluded(&mut self, file: &str, lines: &[MoneyLine], events: &[OrderEvent], ads: &[AdRow], why: &str) {
        let c = self.currencies.clone();
        let facts = lines.iter().map(|l| (Fact::money_line(l, c.of(l.market)), ""));
        let facts = facts.chain(events.iter().map(|e| (Fact::order_event(e, c.of(e.market)), "")));
        let facts = facts.chain(ads.iter().map(|a| (Fact::ads_row(a), "")));
        self.add_facts(file, facts, why);
    }

    /// Lists the data rows of the export `file` (of `market`) that give no
    /// fact for their date (line and date each) as left out, saying why
    /// (`why` of each date: outside the period, the term or the as-of day).
    pub fn add_rows_left_out(
        &mut self,
        file: &str,
        market: Option<crate::market::Market>,
        rows: &[(usize, NaiveDate)],
        why: impl Fn(NaiveDate) -> String,
    ) {
        // The reason is asked once per date (a settlement has thousands of
        // rows over a few days either side of the period).
        let mut reasons: Vec<(String, Vec<(usize, NaiveDate)>)> = Vec::new();
        let mut of_date: std::collections::BTreeMap<NaiveDate, usize> = std::collections::BTreeMap::new();
        for &(line, date) in rows {
            let slot = *of_date.entry(date).or_insert_with(|| {
                let reason = why(date);
                reasons.iter().position(|(r, _)| *r == reason).unwrap_or_else(|| {
                    reasons.push((reason, Vec::new()));
                    reasons.len() - 1
                })
            });
            reasons[slot].1.push((line, date));
        }
        let currency = market.map_or("", |m| self.currencies.of(m));
        for (reason, rows) in &reasons {
            let facts = rows.iter().map(|&(line, date)| {
                let fact = Fact {
                    line,
                    market: market.map_or("", crate::market::Market::id),
                    record: "row",
                    kind: "",
                    first: date,
                    last: date,
                    reference: "",
                    amount: Decimal::ZERO,
                    shipping: Decimal::ZERO,
                    units: 0,
                    currency,
                };
                (fact, "")
            });
            self.add_facts(file, facts, reason);
        }
    }

    /// Lists the pass-through costs of the cost ledger `file`, each feeding
    /// the pass-through line of statement.json at its position and that
    /// line's converted amount (whose derivation names the FX quote).
    pub fn add_costs(&mut self, file: &str, costs: &[CostLine]) {
        for (i, c) in costs.iter().enumerate() {
            let feeds = format!("pass_through.lines[{i}] pass_through.lines[{i}].converted");
            self.add_facts(file, std::iter::once((Fact::cost_line(c), feeds.as_str())), "");
        }
    }

    /// Lists the cost `c` of the ledger `file` as left out, saying `why`.
    pub fn add_excluded_cost(&mut self, file: &str, c: &CostLine, why: &str) {
        self.add_facts(file, std::iter::once((Fact::cost_line(c), "")), why);
    }

    /// Adds each fact to its group (a group of this file and reason is
    /// looked for among the last ones: the groups of one call are
    /// contiguous), and writes its row when fact rows are kept.
    fn add_facts<'a>(&mut self, file: &str, facts: impl Iterator<Item = (Fact<'a>, &'a str)>, excluded: &str) {
        // The groups of earlier calls for the same file and reason are the
        // last ones; a reason names one file, so few groups are scanned.
        let mut start = self.groups.len();
        while start > 0 && self.groups[start - 1].file == file && self.groups[start - 1].excluded == excluded {
            start -= 1;
        }
        // Within one call the file and reason are fixed: a fact whose names
        // (record, kind, market, currency, feeds) are at the same addresses as
        // an earlier one's belongs to its group. Equal names elsewhere in
        // memory only miss this and are found by the scan.
        type Names = [*const u8; 5];
        let mut seen: Vec<(Names, usize)> = Vec::new();
        for (fact, feeds) in facts {
            if let Some(writer) = self.facts.as_mut() {
                write_fact(writer, file, &fact, feeds, excluded);
            }
            let names: Names = [fact.record, fact.kind, fact.market, fact.currency, feeds].map(|n| n.as_ptr());
            let lengths_match = |i: usize| {
                let g = &self.groups[i];
                (g.record.len(), g.kind.len(), g.market.len(), g.currency.len(), g.feeds.len())
                    == (fact.record.len(), fact.kind.len(), fact.market.len(), fact.currency.len(), feeds.len())
            };
            let remembered = seen.iter().find(|(n, _)| *n == names).map(|s| s.1).filter(|&i| lengths_match(i));
            let index = match remembered {
                Some(i) => i,
                None => {
                    let found = self.groups[start..].iter().position(|g| g.holds(file, &fact, feeds, excluded));
                    let i = match found {
                        Some(i) => start + i,
                        None => {
                            self.groups.push(Group::new(file, &fact, feeds, excluded));
                            self.groups.len() - 1
                        }
                    };
                    seen.retain(|(n, _)| *n != names);
                    seen.push((names, i));
                    i
                }
            };
            self.groups[index].add(&fact);
        }
    }

    /// The finished tables: groups left out first, then the counted ones.
    pub fn finish(self) -> Provenance {
        let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        // Writing into memory cannot fail.
        let _ = out.write_record(HEADER);
        let groups = self.groups.len();
        let (excluded, counted): (Vec<Group>, Vec<Group>) =
            self.groups.into_iter().partition(|g| !g.excluded.is_empty());
        for g in excluded.into_iter().chain(counted) {
            g.write(&mut out);
        }
        let csv = out.into_inner().unwrap_or_default();
        let facts = self.facts.map(|w| w.into_inner().unwrap_or_default());
        Provenance { csv, groups, facts }
    }
}

/// Writes `fact` as one fact row.
fn write_fact(out: &mut csv::Writer<Vec<u8>>, file: &str, fact: &Fact, feeds: &str, excluded: &str) {
    let date = if fact.first == fact.last { fact.first.to_string() } else { format!("{}/{}", fact.first, fact.last) };
    let blank_zero = |d: Decimal| if d.is_zero() { String::new() } else { d.to_string() };
    let units = if fact.record == "order_event" { fact.units.to_string() } else { String::new() };
    let (amount, shipping) = match fact.record {
        "order_event" => (blank_zero(fact.amount), blank_zero(fact.shipping)),
        "ads_row" => (fact.amount.to_string(), fact.shipping.to_string()),
        _ => (fact.amount.to_string(), String::new()),
    };
    // Writing into memory cannot fail.
    let _ = out.write_record([
        file,
        &fact.line.to_string(),
        fact.market,
        fact.record,
        fact.kind,
        &date,
        fact.reference,
        &amount,
        &shipping,
        &units,
        fact.currency,
        feeds,
        excluded,
    ]);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_line_set_writes_runs_as_first_last() {
        assert_eq!(line_set(&[2, 3, 4, 5, 7, 9, 10]), "2-5 7 9-10");
        assert_eq!(line_set(&[]), "");
        assert_eq!(parse_line_set("2-5 7 9-10").unwrap(), [2, 3, 4, 5, 7, 9, 10]);
        assert!(parse_line_set("5-2").unwrap_err().contains("upwards"));
        assert!(parse_line_set("x").unwrap_err().contains("not a line number"));
    }

    #[test]
    fn a_reference_set_counts_each_string_once_and_names_the_only_one() {
        let mut refs = References::default();
        assert_eq!((refs.len(), refs.only()), (0, None));
        for r in ["114-1", "114-1", "114-1"] {
            refs.insert(r);
        }
        assert_eq!((refs.len(), refs.only()), (1, Some("114-1")));
        // "114-1" + "2" and "114-12" share their text's bytes, not their strings.
        refs.insert("2");
        refs.insert("114-12");
        assert_eq!((refs.len(), refs.only()), (3, None));
    }

    proptest! {
        #[test]
        fn a_reference_set_holds_what_a_hash_set_holds(strings in proptest::collection::vec("[a-c]{0,3}", 0..200)) {
            let mut refs = References::default();
            for s in &strings {
                refs.insert(s);
            }
            let distinct: std::collections::HashSet<&String> = strings.iter().collect();
            prop_assert_eq!(refs.len(), distinct.len());
            let only = (distinct.len() == 1).then(|| strings[0].as_str());
            prop_assert_eq!(refs.only(), only);
        }

        #[test]
        fn a_line_set_reads_back_as_the_lines_written(mut lines in proptest::collection::vec(1usize..500, 0..80)) {
            lines.sort_unstable();
            lines.dedup();
            prop_assert_eq!(parse_line_set(&line_set(&lines)).unwrap(), lines);
        }
    }
}
