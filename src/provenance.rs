//! Row-level provenance: every fact a statement is computed from, with the
//! file and line it comes from and the figures it adds to, so that a
//! disputed figure can be traced to the rows that make it.
//!
//! The table is `provenance.csv`, one of the sealed files (listed in the
//! signed manifest and carried in the evidence bag). Its columns:
//!
//! | column | holds |
//! | --- | --- |
//! | `file` | the input's workspace-relative path, as the manifest lists it (with its SHA-256) |
//! | `line` | the 1-based line (text) or sheet row (XLSX) of the fact's row |
//! | `market` | the market id (`amazon_us`, `mercadolivre_br`); blank for a pass-through cost |
//! | `record` | `money_line`, `order_event`, `ads_row` or `cost_line` |
//! | `kind` | the money kind, order-event kind or cost category id; `ads` for an ads row |
//! | `date` | the fact's date in the market's time zone (an ads row: `first/last` day) |
//! | `reference` | the order id (an FNSKU for inventory days, the campaign for ads, the invoice number for a cost; blank for a line of no order) |
//! | `amount` | the money line's amount, the event's principal, the ads row's spend, the cost's amount |
//! | `shipping` | the event's shipping; the ads row's attributed sales |
//! | `units` | the event's units (blank for the other records) |
//! | `currency` | the currency of `amount` and `shipping` |
//! | `feeds` | what the fact adds to, space-separated: fields of the market's figures (`sales.gross_principal`, the names of [`crate::ledger::MarketFigures`]) or, for a cost, `pass_through.lines[i]` of statement.json |
//! | `excluded` | blank for a fact counted; for one left out, why (`feeds` is then blank) |
//!
//! Rows left out come first (as duplicate detection finds them), then the
//! counted ones in the order of the statement's inputs (exports by path,
//! then the cost ledger) and, within a file, in the order its parser read
//! them, so the same inputs give the same bytes. The facts of units dropped as
//! identical repeats of others (a settlement in two files, a cost billed
//! before) are listed too, with `excluded` saying which unit they repeat;
//! rows outside the period or the contract term are not (their notes on the
//! statement say where they are).

use std::ops::Range;

use rust_decimal::Decimal;

use crate::ingest::ParsedExport;
use crate::ingest::records::CostLine;
use crate::ingest::units::Unit;
use crate::ledger::{AD_ROW_FEEDS, event_feeds, money_line_feeds};

/// The file name of the provenance table in a sealed folder and its bag.
pub const PROVENANCE_CSV: &str = "provenance.csv";

/// The header row of `provenance.csv`.
pub(crate) const HEADER: [&str; 13] = [
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

/// A finished provenance table: its CSV bytes and how many facts it lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    csv: Vec<u8>,
    rows: usize,
}

impl Provenance {
    /// The table as written to `provenance.csv` (UTF-8, header first, `\n`).
    pub fn csv(&self) -> &[u8] {
        &self.csv
    }

    /// The number of facts listed (rows below the header).
    pub fn rows(&self) -> usize {
        self.rows
    }
}

/// Writes a provenance table fact by fact.
pub struct ProvenanceWriter {
    writer: csv::Writer<Vec<u8>>,
    rows: usize,
}

impl Default for ProvenanceWriter {
    fn default() -> Self {
        ProvenanceWriter::new()
    }
}

impl ProvenanceWriter {
    /// A table with its header row and no facts.
    pub fn new() -> Self {
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        // Writing into memory cannot fail.
        let _ = writer.write_record(HEADER);
        ProvenanceWriter { writer, rows: 0 }
    }

    fn row(&mut self, cells: [&str; 13]) {
        let _ = self.writer.write_record(cells);
        self.rows += 1;
    }

    /// Lists every fact of the export `file` the statement counts: its money
    /// lines, order events and ads rows.
    pub fn add_export(&mut self, file: &str, parsed: &ParsedExport) {
        self.add_facts(file, parsed, 0..parsed.lines.len(), 0..parsed.events.len(), 0..parsed.ads.len(), "");
    }

    /// Lists the facts of `unit` of the export `file` as left out, saying
    /// `why` (e.g. which unit it repeats).
    pub fn add_excluded_unit(&mut self, file: &str, parsed: &ParsedExport, unit: &Unit, why: &str) {
        self.add_facts(file, parsed, unit.lines.clone(), unit.events.clone(), unit.ads.clone(), why);
    }

    /// Lists the facts of `parsed` in the three ranges; `excluded` blank
    /// for counted facts (which then name what they feed).
    fn add_facts(
        &mut self,
        file: &str,
        parsed: &ParsedExport,
        lines: Range<usize>,
        events: Range<usize>,
        ads: Range<usize>,
        excluded: &str,
    ) {
        let feeds = |f: &'static str| if excluded.is_empty() { f } else { "" };
        for l in parsed.lines.get(lines).unwrap_or_default() {
            let (line, date, amount) = (l.line.to_string(), l.date.to_string(), l.amount.to_string());
            let currency = l.market.currency().code();
            let cells = [file, &line, l.market.id(), "money_line", l.kind.id(), &date, &l.order_id, &amount, "", ""];
            self.row(with(cells, currency, feeds(money_line_feeds(l.kind)), excluded));
        }
        for e in parsed.events.get(events).unwrap_or_default() {
            let (line, date) = (e.line.to_string(), e.date.to_string());
            let (amount, shipping, units) = (blank_zero(e.principal), blank_zero(e.shipping), e.units.to_string());
            let currency = e.market.currency().code();
            let cells = [
                file,
                &line,
                e.market.id(),
                "order_event",
                e.kind.id(),
                &date,
                &e.order_id,
                &amount,
                &shipping,
                &units,
            ];
            self.row(with(cells, currency, feeds(event_feeds(e.kind)), excluded));
        }
        for a in parsed.ads.get(ads).unwrap_or_default() {
            let (line, dates) = (a.line.to_string(), format!("{}/{}", a.start, a.end));
            let (spend, sales) = (a.spend.to_string(), a.sales.to_string());
            let cells = [file, &line, a.market.id(), "ads_row", "ads", &dates, &a.campaign, &spend, &sales, ""];
            self.row(with(cells, a.currency.code(), feeds(AD_ROW_FEEDS), excluded));
        }
    }

    /// Lists the pass-through costs of the cost ledger `file`, each feeding
    /// the pass-through line of statement.json at its position.
    pub fn add_costs(&mut self, file: &str, costs: &[CostLine]) {
        for (i, c) in costs.iter().enumerate() {
            self.add_cost(file, c, &format!("pass_through.lines[{i}]"), "");
        }
    }

    /// Lists the cost `c` of the ledger `file` as left out, saying `why`.
    pub fn add_excluded_cost(&mut self, file: &str, c: &CostLine, why: &str) {
        self.add_cost(file, c, "", why);
    }

    fn add_cost(&mut self, file: &str, c: &CostLine, feeds: &str, excluded: &str) {
        let (line, date, amount) = (c.line.to_string(), c.date.to_string(), c.amount.to_string());
        let cells = [file, &line, "", "cost_line", c.category.id(), &date, &c.invoice_no, &amount, "", ""];
        self.row(with(cells, c.currency.code(), feeds, excluded));
    }

    /// The finished table.
    pub fn finish(self) -> Provenance {
        let rows = self.rows;
        // Flushing into memory cannot fail; an empty table still has its header.
        let csv = self.writer.into_inner().unwrap_or_default();
        Provenance { csv, rows }
    }
}

/// The ten leading cells and the last three, as one record.
fn with<'a>(cells: [&'a str; 10], currency: &'a str, feeds: &'a str, excluded: &'a str) -> [&'a str; 13] {
    let [a, b, c, d, e, f, g, h, i, j] = cells;
    [a, b, c, d, e, f, g, h, i, j, currency, feeds, excluded]
}

/// An amount, blank when zero (an event that carries no money).
fn blank_zero(amount: Decimal) -> String {
    if amount.is_zero() { String::new() } else { amount.to_string() }
}
