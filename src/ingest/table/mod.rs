//! A header-addressed table read from a delimited text file or an XLSX sheet.
//!
//! Every parser reads its export through [`Table`], so the quirks DOMAIN.md
//! lists are handled once: a UTF-8 BOM, Windows-1252 text, trailing spaces in
//! headers, cells holding a single space, title rows above the header, and
//! XLSX floats (turned into decimals here and never carried as `f64`).
//!
//! `decode` turns a text file's bytes into text, `text` and `xlsx` read a
//! table from each kind of file; this module holds the table itself, whose
//! rows share one arena of cells.

use std::borrow::Cow;
use std::ops::Range;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::error::{InputError, Location};
use crate::money::{DecimalStyle, RoundingMode, check_money_limit, parse_trimmed_amount, parse_trimmed_decimal};

mod decode;
mod text;
mod xlsx;

pub use decode::{decode_text, decode_text_checked};
pub use text::{TextFormat, read_decoded, read_decoded_columns, read_text};
pub(crate) use xlsx::NO_HEADER;
pub use xlsx::{MAX_XLSX_PART, MAX_XLSX_TOTAL, Workbook, read_xlsx};

/// The largest count (units, clicks, impressions) a cell may hold.
pub const COUNT_LIMIT: i64 = 1_000_000_000;

/// One cell, as typed as its source allows: 12 bytes, since a month's
/// exports hold tens of millions of cells. Offsets and indices are `u32`:
/// a table's text is refused beyond [`MAX_TABLE_TEXT`] bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Empty,
    /// Non-blank text, trimmed, where it stands in the file's own decoded
    /// text (every cell of an unquoted file): `Table::source[start..end]`.
    Source {
        start: u32,
        end: u32,
    },
    /// Non-blank text, trimmed, copied into the arena (a cell of a quoted
    /// record, an XLSX string): `Arena::text[start..end]`.
    Copied {
        start: u32,
        end: u32,
    },
    /// A numeric XLSX cell, already exact (see [`decimal_from_xlsx_float`]):
    /// `Arena::numbers[i]`.
    Number(u32),
    /// A date-formatted XLSX cell: `Arena::datetimes[i]`.
    DateTime(u32),
}

/// The most text (bytes) a table may hold, in its source or copied: what
/// a `u32` offset reaches. No export comes near it (inputs are at most
/// 1 GiB); a workbook repeating one long shared string could.
pub const MAX_TABLE_TEXT: usize = u32::MAX as usize;

/// A table's text went past [`MAX_TABLE_TEXT`]; the reader names the file
/// and line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooMuchText;

impl TooMuchText {
    /// The refusal, for the reader to place at a line or row.
    pub(crate) fn message() -> String {
        format!("the table holds more than {MAX_TABLE_TEXT} bytes of text, more than kpiseal reads of one file")
    }
}

/// A `u32` offset or index, or [`TooMuchText`] beyond what one reaches.
fn offset(n: usize) -> Result<u32, TooMuchText> {
    u32::try_from(n).map_err(|_| TooMuchText)
}

/// A `u32` offset or index as a `usize` (lossless on every target kpiseal builds for).
fn at(n: u32) -> usize {
    n as usize
}

/// One data row and where it came from (1-based line or sheet row): a run
/// of its table's cells. Cells past the last non-blank one are not stored
/// (they read as blank).
#[derive(Debug, Clone)]
pub struct Row {
    pub number: usize,
    cells: Range<usize>,
    /// The row's line in the source text (without its line break), which
    /// a projected table splits again to read a column it did not keep;
    /// empty for rows of other tables.
    line: Range<u32>,
}

/// Every cell of a table's rows in one vector, and what cells do not
/// borrow from the file's text (copied text, XLSX numbers and dates) in
/// three more, so that reading a file allocates a handful of times, not per
/// row or cell. A text cell that is a slice of the file's decoded text
/// (`source`, given by address when the arena is made) is kept as its
/// offsets into it, not copied.
#[derive(Debug, Clone, Default)]
struct Arena {
    cells: Vec<Cell>,
    text: String,
    numbers: Vec<Decimal>,
    datetimes: Vec<NaiveDateTime>,
    /// The address and length of the source text, to tell its slices from
    /// other text; (0, 0) when there is none (XLSX).
    source_at: usize,
    source_len: usize,
}

/// Where a row being read begins in the [`Arena`].
#[derive(Debug, Clone, Copy)]
struct RowStart {
    cell: usize,
    text: usize,
    numbers: usize,
    datetimes: usize,
}

impl Arena {
    /// An arena for the cells of `source`, room made for about `cells` of
    /// them and `copied` bytes of text that is not a slice of `source`.
    fn for_source(source: &str, cells: usize, copied: usize) -> Self {
        Arena {
            cells: Vec::with_capacity(cells),
            text: String::with_capacity(copied),
            source_at: source.as_ptr().addr(),
            source_len: source.len(),
            ..Arena::default()
        }
    }

    /// Begins a row: what follows is its cells.
    fn begin(&self) -> RowStart {
        RowStart {
            cell: self.cells.len(),
            text: self.text.len(),
            numbers: self.numbers.len(),
            datetimes: self.datetimes.len(),
        }
    }

    /// Appends a text cell (blank when it holds only spaces): its offsets
    /// when it is a slice of the source, else a copy.
    #[inline]
    fn push_text(&mut self, text: &str) -> Result<(), TooMuchText> {
        // Nearly every cell begins and ends with a visible ASCII byte and
        // needs no trimming; only the others pay for `str::trim`.
        let visible = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
        let bytes = text.as_bytes();
        let text =
            if bytes.is_empty() || (visible(bytes.first()) && visible(bytes.last())) { text } else { text.trim() };
        if text.is_empty() {
            self.cells.push(Cell::Empty);
            return Ok(());
        }
        let from = text.as_ptr().addr().wrapping_sub(self.source_at);
        let cell = if self.source_len > 0 && from < self.source_len && self.source_len - from >= text.len() {
            Cell::Source { start: offset(from)?, end: offset(from + text.len())? }
        } else {
            let start = offset(self.text.len())?;
            self.text.push_str(text);
            Cell::Copied { start, end: offset(self.text.len())? }
        };
        self.cells.push(cell);
        Ok(())
    }

    /// Appends the cell `source[cell]` (blank when it holds only spaces),
    /// `source` being the text the arena was made for and `cell` a range
    /// of it between delimiters or line breaks (ASCII bytes).
    #[inline]
    fn push_source(&mut self, source: &str, cell: Range<usize>) -> Result<(), TooMuchText> {
        let cell = source_cell(source, cell)?;
        self.cells.push(cell);
        Ok(())
    }

    /// Appends a numeric cell.
    fn push_number(&mut self, number: Decimal) -> Result<(), TooMuchText> {
        let cell = Cell::Number(offset(self.numbers.len())?);
        self.numbers.push(number);
        self.cells.push(cell);
        Ok(())
    }

    /// Appends a date cell.
    fn push_datetime(&mut self, datetime: NaiveDateTime) -> Result<(), TooMuchText> {
        let cell = Cell::DateTime(offset(self.datetimes.len())?);
        self.datetimes.push(datetime);
        self.cells.push(cell);
        Ok(())
    }

    /// Appends `count` blank cells.
    fn push_blanks(&mut self, count: usize) {
        self.cells.resize(self.cells.len() + count, Cell::Empty);
    }

    /// Whether every cell since `start` is blank.
    fn is_blank_since(&self, start: RowStart) -> bool {
        self.cells[start.cell..].iter().all(|c| matches!(c, Cell::Empty))
    }

    /// The cells since `start` as header names (text cells trimmed, others
    /// empty); `source` is the text the arena was made for.
    fn header_names_since(&self, start: RowStart, source: &str) -> Vec<String> {
        self.cells[start.cell..].iter().map(|cell| self.text_of(*cell, source).to_string()).collect()
    }

    /// Forgets the cells since `start` (a blank or header row).
    fn discard(&mut self, start: RowStart) {
        self.cells.truncate(start.cell);
        self.text.truncate(start.text);
        self.numbers.truncate(start.numbers);
        self.datetimes.truncate(start.datetimes);
    }

    /// Ends the row begun at `start`, without its trailing blank cells;
    /// `line` is its line in the source text (see [`Row`]).
    fn finish(&mut self, number: usize, start: RowStart, line: Range<u32>) -> Row {
        while self.cells.len() > start.cell && matches!(self.cells.last(), Some(Cell::Empty)) {
            self.cells.pop();
        }
        Row { number, cells: start.cell..self.cells.len(), line }
    }

    /// The text of a text cell, empty for any other; `source` is the text
    /// the arena was made for.
    #[inline]
    fn text_of<'s>(&'s self, cell: Cell, source: &'s str) -> &'s str {
        match cell {
            Cell::Source { start, end } => source.get(at(start)..at(end)).unwrap_or(""),
            Cell::Copied { start, end } => self.text.get(at(start)..at(end)).unwrap_or(""),
            Cell::Empty | Cell::Number(_) | Cell::DateTime(_) => "",
        }
    }
}

/// The cell `source[cell]`, `cell` being a range of `source` between
/// delimiters or line breaks (ASCII bytes): its text trimmed
/// ([`str::trim`]), blank when nothing is left.
///
/// # Errors
/// [`TooMuchText`] when an offset passes what a `u32` holds.
#[inline]
fn source_cell(source: &str, cell: Range<usize>) -> Result<Cell, TooMuchText> {
    let bytes = source.as_bytes();
    let graphic = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_graphic);
    if cell.is_empty() {
        return Ok(Cell::Empty);
    }
    if graphic(cell.start) && graphic(cell.end - 1) {
        // Nearly every cell: nothing to trim.
        return Ok(Cell::Source { start: offset(cell.start)?, end: offset(cell.end)? });
    }
    let Some(text) = source.get(cell.clone()) else { return Ok(Cell::Empty) };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Cell::Empty);
    }
    let start = cell.start + (trimmed.as_ptr().addr() - text.as_ptr().addr());
    Ok(Cell::Source { start: offset(start)?, end: offset(start + trimmed.len())? })
}

/// Which columns of an unquoted text table keep their cells in the
/// [`Arena`]: those a parser reads, named when the table is read. A cell
/// of another column is not lost: it is split from its row's line when
/// read (slower), so a projected table reads exactly as the whole one.
#[derive(Debug, Clone)]
struct Projection {
    /// For each column of the header, where its cell sits among a row's
    /// kept cells; [`Projection::NOT_KEPT`] for a column not kept (as for
    /// any column past the header).
    slots: Vec<u32>,
    delimiter: u8,
    /// How many cells were read outside the projection (tests check that
    /// a parser's named columns cover what it reads).
    #[cfg(test)]
    reads_outside: std::cell::Cell<usize>,
}

impl Projection {
    /// The slot of a column not kept.
    const NOT_KEPT: u32 = u32::MAX;

    /// The projection of a table whose header is `headers` keeping the
    /// columns named in `columns` (compared with [`fold_header`]).
    fn new(headers: &[String], columns: &[&str], delimiter: u8) -> Self {
        let wanted: Vec<String> = columns.iter().map(|c| fold_header(c)).collect();
        let mut next = 0u32;
        let slots = headers
            .iter()
            .map(|name| {
                if !wanted.contains(&fold_header(name)) {
                    return Self::NOT_KEPT;
                }
                next += 1;
                next - 1
            })
            .collect();
        Projection {
            slots,
            delimiter,
            #[cfg(test)]
            reads_outside: std::cell::Cell::new(0),
        }
    }

    /// Where column `col`'s cell sits among a row's kept cells, if it is kept.
    #[inline]
    fn slot(&self, col: usize) -> Option<usize> {
        self.slots.get(col).filter(|slot| **slot != Self::NOT_KEPT).map(|slot| at(*slot))
    }
}

/// A table whose columns are found by header name, never by position. It
/// borrows the decoded text of the file it was read from (`'a`), or owns
/// it when decoding had to convert it.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    /// The file's path relative to the workspace, as errors print it.
    pub file: String,
    /// The sheet name for XLSX, `None` for text files.
    pub sheet: Option<String>,
    /// Header cells, trimmed, as written.
    pub headers: Vec<String>,
    /// Line/row number of the header.
    pub header_number: usize,
    /// Data rows below the header (blank rows skipped).
    pub rows: Vec<Row>,
    /// How text cells write their decimal separator.
    pub style: DecimalStyle,
    /// The text file's decoded text, which `Source` cells are slices of
    /// (empty for XLSX).
    source: Cow<'a, str>,
    /// The rows' cells.
    arena: Arena,
    /// The columns whose cells the arena holds, when not all of them.
    projection: Option<Projection>,
}

/// Folds a header for comparison: trimmed, inner whitespace collapsed,
/// lower-case, BOM removed.
pub fn fold_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Table<'_> {
    /// The index of the first column whose header equals one of `names`
    /// (compared with [`fold_header`]). When a header repeats, the first wins.
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        let wanted: Vec<String> = names.iter().map(|n| fold_header(n)).collect();
        self.headers.iter().position(|h| wanted.contains(&fold_header(h)))
    }

    /// Like [`Table::column`], but a missing column is an error naming the
    /// file, the header line and the accepted names.
    pub fn require(&self, names: &[&str]) -> Result<usize, InputError> {
        self.column(names).ok_or_else(|| InputError {
            file: self.file.clone(),
            location: self.location(self.header_number),
            column: Some(names[0].to_string()),
            message: if names.len() == 1 {
                "missing column in the header".to_string()
            } else {
                format!("missing column in the header (accepted names: {})", names.join(", "))
            },
        })
    }

    /// Refuses a header in which a name appears twice (compared with
    /// [`fold_header`]), for the formats whose real layouts never repeat one
    /// (Amazon's reports, the cost ledger, the FX table): with two `amount`
    /// columns, which one holds the figures cannot be told, and reading the
    /// first would silently ignore the other. (Mercado Livre's Vendas export
    /// repeats names under its column groups and reads the first.)
    ///
    /// # Errors
    /// An [`InputError`] at the header line naming the column and both
    /// positions (1-based).
    pub fn refuse_repeated_headers(&self) -> Result<(), InputError> {
        let folded: Vec<String> = self.headers.iter().map(|h| fold_header(h)).collect();
        for (i, name) in folded.iter().enumerate().filter(|(_, n)| !n.is_empty()) {
            if let Some(j) = folded[i + 1..].iter().position(|n| n == name) {
                return Err(InputError {
                    file: self.file.clone(),
                    location: self.location(self.header_number),
                    column: Some(self.headers[i].clone()),
                    message: format!(
                        "the column appears twice in the header (columns {} and {}), so which one holds the figures cannot be told: remove or rename one",
                        i + 1,
                        i + j + 2
                    ),
                });
            }
        }
        Ok(())
    }

    /// Whether any header equals one of `names`.
    pub fn has(&self, names: &[&str]) -> bool {
        self.column(names).is_some()
    }

    /// The location of line/row `number` in this table's file.
    pub fn location(&self, number: usize) -> Location {
        match &self.sheet {
            Some(sheet) => Location::Row { sheet: sheet.clone(), row: number },
            None => Location::Line(number),
        }
    }

    /// An error at `row`, column `col`, saying `message`.
    pub fn error(&self, row: &Row, col: usize, message: impl Into<String>) -> InputError {
        InputError {
            file: self.file.clone(),
            location: self.location(row.number),
            column: self.headers.get(col).cloned(),
            message: message.into(),
        }
    }

    #[inline]
    fn cell(&self, row: &Row, col: usize) -> Cell {
        let slot = match &self.projection {
            None => col,
            Some(projection) => match projection.slot(col) {
                Some(slot) => slot,
                None => return self.cell_outside(projection, row, col),
            },
        };
        self.arena.cells.get(row.cells.clone()).and_then(|cells| cells.get(slot)).copied().unwrap_or(Cell::Empty)
    }

    /// The cell of a column `projection` did not keep, split from the row's
    /// line as reading it whole would have. (The line is a range of the
    /// source, and its offsets were checked against `u32` when the row was
    /// read, so neither look-up below can fail.)
    #[cold]
    fn cell_outside(&self, projection: &Projection, row: &Row, col: usize) -> Cell {
        #[cfg(test)]
        projection.reads_outside.set(projection.reads_outside.get() + 1);
        let (start, end) = (at(row.line.start), at(row.line.end));
        let Some(line) = self.source.as_bytes().get(start..end) else { return Cell::Empty };
        let bounds = text::cell_bounds(line, projection.delimiter).nth(col);
        bounds
            .and_then(|cell| source_cell(&self.source, start + cell.start..start + cell.end).ok())
            .unwrap_or(Cell::Empty)
    }

    /// How many cells were read outside the table's projection.
    #[cfg(test)]
    pub(crate) fn reads_outside_projection(&self) -> usize {
        self.projection.as_ref().map_or(0, |p| p.reads_outside.get())
    }

    /// Whether the table was read keeping only some columns' cells.
    #[cfg(test)]
    pub(crate) fn is_projected(&self) -> bool {
        self.projection.is_some()
    }

    /// The cell as trimmed text; empty for blank cells and cells holding only
    /// spaces. Numbers print as decimals, dates as `YYYY-MM-DD HH:MM:SS`.
    pub fn text(&self, row: &Row, col: usize) -> String {
        self.text_ref(row, col).into_owned()
    }

    /// [`Table::text`], borrowed from the table when the cell holds text.
    #[inline]
    pub fn text_ref(&self, row: &Row, col: usize) -> Cow<'_, str> {
        match self.cell(row, col) {
            Cell::Empty => Cow::Borrowed(""),
            cell @ (Cell::Source { .. } | Cell::Copied { .. }) => Cow::Borrowed(self.arena.text_of(cell, &self.source)),
            Cell::Number(i) => Cow::Owned(self.number(i).map(|d| d.normalize().to_string()).unwrap_or_default()),
            Cell::DateTime(i) => {
                Cow::Owned(self.datetime(i).map(|dt| dt.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default())
            }
        }
    }

    /// The cell as trimmed text, which must not be blank.
    ///
    /// # Errors
    /// An [`InputError`] at the cell saying `what` (e.g. "the order id") is missing.
    pub fn required_text(&self, row: &Row, col: usize, what: &str) -> Result<String, InputError> {
        let text = self.text(row, col);
        if text.is_empty() {
            return Err(self.error(row, col, format!("{what} is missing")));
        }
        Ok(text)
    }

    /// Whether the cell is blank (or only spaces).
    #[inline]
    pub fn is_blank(&self, row: &Row, col: usize) -> bool {
        match self.cell(row, col) {
            Cell::Empty => true,
            Cell::Source { .. } | Cell::Copied { .. } | Cell::Number(_) | Cell::DateTime(_) => false,
        }
    }

    /// The cell as a decimal, `None` when blank. Text is read in the table's
    /// [`DecimalStyle`]; an unreadable value is an error naming the cell.
    pub fn decimal(&self, row: &Row, col: usize) -> Result<Option<Decimal>, InputError> {
        match self.cell(row, col) {
            Cell::Number(i) => self
                .number(i)
                .map(Some)
                .ok_or_else(|| self.error(row, col, "internal error: the cell's number is lost")),
            Cell::DateTime(_) => Err(self.error(row, col, "expected a number, found a date")),
            _ => {
                let text = self.text_ref(row, col);
                if text.is_empty() {
                    return Ok(None);
                }
                parse_trimmed_decimal(&text, self.style).map(Some).map_err(|m| self.error(row, col, m))
            }
        }
    }

    /// The cell as money rounded half-up to 2 decimal places (the minor unit
    /// of USD, BRL and CNY); blank reads as zero.
    ///
    /// # Errors
    /// An [`InputError`] naming the cell for an unreadable number, a
    /// percentage (`12%` is a ratio, not an amount) or an amount of
    /// [`crate::money::MONEY_LIMIT`] or more, which no marketplace row carries and whose
    /// sums could overflow.
    pub fn money(&self, row: &Row, col: usize) -> Result<Decimal, InputError> {
        let cell = self.cell(row, col);
        let d = match cell {
            Cell::Empty => Decimal::ZERO,
            // One look at the cell: a text cell is never blank.
            Cell::Source { .. } | Cell::Copied { .. } => {
                let text = self.arena.text_of(cell, &self.source);
                parse_trimmed_amount(text, self.style).map_err(|m| self.error(row, col, m))?
            }
            Cell::Number(_) | Cell::DateTime(_) => self.decimal(row, col)?.unwrap_or(Decimal::ZERO),
        };
        check_money_limit(d).map_err(|m| self.error(row, col, m))?;
        let mut r = RoundingMode::HalfUp.round_dp(d, 2);
        r.rescale(2);
        Ok(r)
    }

    /// The cell as a whole number (`3`, `3.0`); blank reads as zero.
    ///
    /// # Errors
    /// An [`InputError`] naming the cell for an unreadable or fractional
    /// number, or one beyond ±[`COUNT_LIMIT`] (a count no row carries).
    pub fn whole(&self, row: &Row, col: usize) -> Result<i64, InputError> {
        let Some(d) = self.decimal(row, col)? else { return Ok(0) };
        // A count written without decimals (nearly all) is whole as it is.
        let whole = d.scale() == 0 || d.fract().is_zero();
        if !whole {
            return Err(self.error(row, col, format!("expected a whole number, found {d}")));
        }
        if d.abs() > Decimal::from(COUNT_LIMIT) {
            return Err(self.error(
                row,
                col,
                format!("{d} is out of range: a count must be at most {COUNT_LIMIT} in magnitude"),
            ));
        }
        // `d` is whole, so converting it drops no fraction.
        i64::try_from(d).map_err(|_| self.error(row, col, format!("{d} is out of range")))
    }

    /// The date-time of a date-formatted XLSX cell, if it is one.
    pub fn datetime_cell(&self, row: &Row, col: usize) -> Option<NaiveDateTime> {
        match self.cell(row, col) {
            Cell::DateTime(i) => self.datetime(i),
            _ => None,
        }
    }

    /// The number a `Cell::Number` points at (always there: the arena
    /// made the index when it stored the number).
    fn number(&self, i: u32) -> Option<Decimal> {
        self.arena.numbers.get(at(i)).copied()
    }

    /// The date a `Cell::DateTime` points at.
    fn datetime(&self, i: u32) -> Option<NaiveDateTime> {
        self.arena.datetimes.get(at(i)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: TextFormat = TextFormat { delimiter: b'\t', quoting: false, style: DecimalStyle::Point };

    #[test]
    fn finds_columns_by_name_despite_bom_trailing_spaces_and_case() {
        let bytes = "\u{feff}Spend \tCampaign Name\n3.00\tA\n".as_bytes();
        let t = read_text("ads.tsv", bytes, TSV, |_| true).unwrap();
        assert_eq!(t.column(&["spend"]), Some(0));
        assert_eq!(t.column(&["Campaign  Name"]), Some(1));
        assert_eq!(t.rows[0].number, 2);
    }

    #[test]
    fn an_unquoted_files_cells_are_read_in_place_and_quoted_ones_copied() {
        let t = read_text("s.tsv", b"id\tnote\n 7 \tsaid \"hi\"\n", TSV, |_| true).unwrap();
        assert_eq!((t.text(&t.rows[0], 0), t.text(&t.rows[0], 1)), ("7".to_string(), "said \"hi\"".to_string()));
        assert!(t.arena.text.is_empty(), "nothing copied: {:?}", t.arena.text);
        let csv = TextFormat { delimiter: b',', quoting: true, style: DecimalStyle::Point };
        let t = read_text("s.csv", b"id,note\n7,\"said \"\"hi\"\"\"\n", csv, |_| true).unwrap();
        assert_eq!(t.text(&t.rows[0], 1), "said \"hi\"");
        assert_eq!(t.arena.text, "7said \"hi\"", "a quoted record's cells are unquoted copies");
    }

    #[test]
    fn a_cell_takes_twelve_bytes_and_offsets_past_u32_are_refused() {
        assert_eq!(std::mem::size_of::<Cell>(), 12);
        assert_eq!(offset(MAX_TABLE_TEXT), Ok(u32::MAX));
        assert_eq!(offset(MAX_TABLE_TEXT + 1), Err(TooMuchText));
    }

    #[test]
    fn a_text_cell_outside_the_source_is_copied_even_when_it_ends_where_the_source_begins() {
        let source = "abc";
        let mut arena = Arena::for_source(&source[1..], 4, 0);
        arena.push_text(&source[..1]).unwrap();
        arena.push_text(&source[1..3]).unwrap();
        assert_eq!(arena.cells, [Cell::Copied { start: 0, end: 1 }, Cell::Source { start: 0, end: 2 }]);
        assert_eq!(arena.text_of(arena.cells[0], &source[1..]), "a");
        assert_eq!(arena.text_of(arena.cells[1], &source[1..]), "bc");
    }

    #[test]
    fn single_space_cells_read_as_blank() {
        let t = read_text("f.tsv", b"a\tb\n \t1\n", TSV, |_| true).unwrap();
        assert!(t.is_blank(&t.rows[0], 0));
        assert_eq!(t.decimal(&t.rows[0], 0).unwrap(), None);
    }

    #[test]
    fn header_is_found_below_title_rows() {
        let csv = "Vendas\n\n;Grupo\nN.\u{ba} de venda;Total (BRL)\n1;2,50\n";
        let fmt = TextFormat { delimiter: b';', quoting: true, style: DecimalStyle::Comma };
        let t = read_text("v.csv", csv.as_bytes(), fmt, |c| c.iter().any(|h| h.trim() == "N.\u{ba} de venda")).unwrap();
        assert_eq!(t.header_number, 4);
        assert_eq!(t.money(&t.rows[0], 1).unwrap().to_string(), "2.50");
    }

    #[test]
    fn missing_column_error_names_file_header_line_and_column() {
        let t = read_text("s.txt", b"x\ty\n1\t2\n", TSV, |_| true).unwrap();
        let e = t.require(&["amount"]).unwrap_err();
        assert_eq!(e.to_string(), "s.txt:1: column \"amount\": missing column in the header");
    }

    #[test]
    fn bad_number_error_names_line_and_column() {
        let t = read_text("s.txt", b"id\tamount\n1\t12,34.5\n", TSV, |_| true).unwrap();
        let e = t.decimal(&t.rows[0], 1).unwrap_err();
        assert_eq!(e.to_string(), "s.txt:2: column \"amount\": \"12,34.5\" is not a number (expected e.g. 1,234.56)");
    }

    #[test]
    fn line_numbers_count_blank_lines_above_a_row() {
        let t = read_text("s.txt", b"id\tamount\n1\t2\n\n\n3\tx\n", TSV, |_| true).unwrap();
        assert_eq!(t.rows[1].number, 5);
        assert_eq!(t.decimal(&t.rows[1], 1).unwrap_err().location, Location::Line(5));
    }

    #[test]
    fn windows_1252_text_is_decoded() {
        let bytes = b"Descri\xe7\xe3o\n1\n";
        let t = read_text("v.csv", bytes, TSV, |_| true).unwrap();
        assert_eq!(t.headers[0], "Descri\u{e7}\u{e3}o");
    }

    const CSV: TextFormat = TextFormat { delimiter: b',', quoting: true, style: DecimalStyle::Point };
    const LEDGER: &str = "vendor,amount\n东莞市恒印包装制品有限公司,1.00\nArmazém Paulista,2.00\n";

    fn vendor(bytes: &[u8]) -> String {
        let t = read_text("c.csv", bytes, CSV, |_| true).unwrap();
        t.text(&t.rows[0], 0)
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded_either_way() {
        for big_endian in [false, true] {
            let mut bytes = if big_endian { vec![0xFE, 0xFF] } else { vec![0xFF, 0xFE] };
            for unit in LEDGER.encode_utf16() {
                bytes.extend(if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
            }
            assert_eq!(vendor(&bytes), "东莞市恒印包装制品有限公司");
        }
    }

    #[test]
    fn gb18030_text_is_read_as_chinese_not_as_windows_1252() {
        let (bytes, _, unmappable) = encoding_rs::GB18030.encode(LEDGER);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "the fixture really is not UTF-8");
        let t = read_text("c.csv", &bytes, CSV, |_| true).unwrap();
        assert_eq!(t.text(&t.rows[0], 0), "东莞市恒印包装制品有限公司");
        assert_eq!(t.text(&t.rows[1], 0), "Armazém Paulista", "ã/é are four-byte GB18030 codes");
    }

    #[test]
    fn nul_bytes_and_mixed_encodings_are_refused_naming_the_line() {
        let e = read_text("c.csv", b"vendor,amount\nx\0y,1\n", CSV, |_| true).unwrap_err();
        assert_eq!(e.location, Location::Line(2));
        assert!(e.message.starts_with("holds a NUL byte"), "{e}");
        let mut mixed = "vendor,amount\nArmazém,1\n".as_bytes().to_vec();
        mixed.extend(encoding_rs::GBK.encode("东莞,2\n").0.iter());
        let e = read_text("c.csv", &mixed, CSV, |_| true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.csv:3: the file mixes encodings: line 2 is UTF-8 and line 3 is not, so no one reading of it is right; save it as UTF-8 (e.g. Excel: Save As \"CSV UTF-8\")"
        );
    }

    #[test]
    fn excels_sep_line_is_skipped_before_the_header() {
        let t = read_text("c.csv", b"sep=,\r\nvendor,amount\r\nA,1\r\n", CSV, |_| true).unwrap();
        assert_eq!((t.headers[0].as_str(), t.header_number, t.rows[0].number), ("vendor", 2, 3));
    }

    #[test]
    fn a_last_line_cut_short_is_refused_and_a_whole_one_without_a_line_break_is_read() {
        let e = read_text("s.txt", b"id\tamount\tdate\n1\t2\t3\n2\t4", TSV, |_| true).unwrap_err();
        assert_eq!(e.location, Location::Line(3));
        assert!(
            e.message.starts_with("the file ends in the middle of line 3: it has 2 of the header's 3 cells"),
            "{e}"
        );
        let t = read_text("s.txt", b"id\tamount\tdate\n1\t2\t3\n2\t4\t5", TSV, |_| true).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert!(
            read_text("s.txt", b"id\tamount\tdate\n1\t2\t3\n2\t4\n", TSV, |_| true).is_ok(),
            "a line break: not cut"
        );
    }

    #[test]
    fn money_refuses_percentages_and_amounts_beyond_the_limit_and_counts_beyond_theirs() {
        let t = read_text("s.txt", b"a\tb\n12%\t9999999999.99\n10000000000\t1000000001\n", TSV, |_| true).unwrap();
        assert!(t.money(&t.rows[0], 0).unwrap_err().message.contains("is a percentage"));
        assert_eq!(t.money(&t.rows[0], 1).unwrap().to_string(), "9999999999.99");
        assert!(t.money(&t.rows[1], 0).unwrap_err().message.contains("is out of range"));
        assert!(t.whole(&t.rows[1], 1).unwrap_err().message.contains("is out of range"));
    }

    #[test]
    fn amounts_are_read_from_cells_with_spaces_around_them_ascii_or_not() {
        let t =
            read_text("s.txt", " a\tb\tc\n 12.50 \t\u{a0}-3\u{a0}\t\u{3000}7.1\n".as_bytes(), TSV, |_| true).unwrap();
        let row = &t.rows[0];
        assert_eq!([0, 1, 2].map(|c| t.money(row, c).unwrap().to_string()), ["12.50", "-3.00", "7.10"]);
        assert_eq!(t.decimal(row, 1).unwrap().map(|d| d.to_string()), Some("-3".to_string()));
    }

    #[test]
    fn a_count_is_read_with_or_without_zero_decimals_and_a_fraction_is_refused() {
        let t = read_text("s.txt", b"a\tb\tc\td\te\n3\t3.00\t-2\t3.5\t\n", TSV, |_| true).unwrap();
        let row = &t.rows[0];
        assert_eq!([0, 1, 2, 4].map(|c| t.whole(row, c).unwrap()), [3, 3, -2, 0]);
        assert_eq!(t.whole(row, 3).unwrap_err().message, "expected a whole number, found 3.5");
    }

    #[test]
    fn a_repeated_header_is_refused_naming_both_columns() {
        let t = read_text("s.txt", b"id\tAmount\tamount \n1\t2\t3\n", TSV, |_| true).unwrap();
        assert_eq!(
            t.refuse_repeated_headers().unwrap_err().to_string(),
            "s.txt:1: column \"Amount\": the column appears twice in the header (columns 2 and 3), so which one holds the figures cannot be told: remove or rename one"
        );
    }

    /// A zip holding one empty stored entry whose central directory
    /// declares it unpacks to `size` bytes.
    fn zip_declaring(size: u32) -> Vec<u8> {
        let name = b"xl/sharedStrings.xml";
        let mut z = Vec::new();
        z.extend(b"PK\x03\x04");
        z.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend((name.len() as u16).to_le_bytes());
        z.extend([0, 0]);
        z.extend(name);
        let cd = z.len() as u32;
        z.extend(b"PK\x01\x02");
        z.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend(size.to_le_bytes());
        z.extend((name.len() as u16).to_le_bytes());
        z.extend([0; 12]);
        z.extend(0u32.to_le_bytes());
        z.extend(name);
        let cd_len = z.len() as u32 - cd;
        z.extend(b"PK\x05\x06");
        z.extend([0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend(cd_len.to_le_bytes());
        z.extend(cd.to_le_bytes());
        z.extend([0, 0]);
        z
    }

    #[test]
    fn a_workbook_part_declared_larger_than_the_limit_is_refused_before_inflating() {
        let e = Workbook::open("b.xlsx", &zip_declaring(1 << 30)).err().unwrap();
        assert!(e.message.contains("its part xl/sharedStrings.xml unpacks to 1073741824 bytes"), "{e}");
        let e = Workbook::open("b.xlsx", &zip_declaring(0)).err().unwrap();
        assert!(!e.message.contains("unpacks to"), "a small part is left to the workbook reader: {e}");
    }
}
