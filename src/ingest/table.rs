//! A header-addressed table read from a delimited text file or an XLSX sheet.
//!
//! Every parser reads its export through [`Table`], so the quirks DOMAIN.md
//! lists are handled once: a UTF-8 BOM, Windows-1252 text, trailing spaces in
//! headers, cells holding a single space, title rows above the header, and
//! XLSX floats (turned into decimals here and never carried as `f64`).

use std::borrow::Cow;
use std::io::Cursor;
use std::str::FromStr;

use calamine::{Data, Reader, Sheets};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::error::{InputError, Location};
use crate::money::{DecimalStyle, RoundingMode, decimal_from_xlsx_float, parse_decimal};

/// One cell, as typed as its source allows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Empty,
    /// Non-blank text, trimmed: `Row::text[start..end]`.
    Text {
        start: usize,
        end: usize,
    },
    /// A numeric XLSX cell, already exact (see [`decimal_from_xlsx_float`]).
    Number(Decimal),
    /// A date-formatted XLSX cell.
    DateTime(NaiveDateTime),
}

/// One data row and where it came from (1-based line or sheet row).
///
/// A row's text cells share one buffer, so reading a row costs two
/// allocations whatever its width; cells past the last non-blank one are
/// not stored (they read as blank).
#[derive(Debug, Clone)]
pub struct Row {
    pub number: usize,
    text: String,
    cells: Vec<Cell>,
}

impl Row {
    fn new(number: usize) -> Self {
        Row { number, text: String::new(), cells: Vec::new() }
    }

    /// Appends a text cell (blank when it holds only spaces).
    fn push_text(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            self.cells.push(Cell::Empty);
        } else {
            let start = self.text.len();
            self.text.push_str(text);
            self.cells.push(Cell::Text { start, end: self.text.len() });
        }
    }

    /// Whether every cell is blank.
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| matches!(c, Cell::Empty))
    }

    /// The trimmed text of cell `col`, empty unless it is a text cell.
    fn text_of(&self, col: usize) -> &str {
        match self.cells.get(col) {
            Some(Cell::Text { start, end }) => self.text.get(*start..*end).unwrap_or(""),
            _ => "",
        }
    }

    /// The row's cells as header names (text cells trimmed, others empty).
    fn header_names(&self) -> Vec<String> {
        (0..self.cells.len()).map(|col| self.text_of(col).to_string()).collect()
    }

    /// The row without its trailing blank cells.
    fn finish(mut self) -> Self {
        while matches!(self.cells.last(), Some(Cell::Empty)) {
            self.cells.pop();
        }
        self
    }
}

/// A table whose columns are found by header name, never by position.
#[derive(Debug, Clone)]
pub struct Table {
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
}

/// Folds a header for comparison: trimmed, inner whitespace collapsed,
/// lower-case, BOM removed.
pub fn fold_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Table {
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

    fn cell(&self, row: &Row, col: usize) -> Cell {
        row.cells.get(col).copied().unwrap_or(Cell::Empty)
    }

    /// The cell as trimmed text; empty for blank cells and cells holding only
    /// spaces. Numbers print as decimals, dates as `YYYY-MM-DD HH:MM:SS`.
    pub fn text(&self, row: &Row, col: usize) -> String {
        self.text_ref(row, col).into_owned()
    }

    /// [`Table::text`], borrowed from the table when the cell holds text.
    pub fn text_ref<'a>(&self, row: &'a Row, col: usize) -> Cow<'a, str> {
        match self.cell(row, col) {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text { .. } => Cow::Borrowed(row.text_of(col)),
            Cell::Number(d) => Cow::Owned(d.normalize().to_string()),
            Cell::DateTime(dt) => Cow::Owned(dt.format("%Y-%m-%d %H:%M:%S").to_string()),
        }
    }

    /// Whether the cell is blank (or only spaces).
    pub fn is_blank(&self, row: &Row, col: usize) -> bool {
        match self.cell(row, col) {
            Cell::Empty => true,
            Cell::Text { .. } | Cell::Number(_) | Cell::DateTime(_) => false,
        }
    }

    /// The cell as a decimal, `None` when blank. Text is read in the table's
    /// [`DecimalStyle`]; an unreadable value is an error naming the cell.
    pub fn decimal(&self, row: &Row, col: usize) -> Result<Option<Decimal>, InputError> {
        match self.cell(row, col) {
            Cell::Number(d) => Ok(Some(d)),
            Cell::DateTime(_) => Err(self.error(row, col, "expected a number, found a date")),
            _ => {
                let text = self.text_ref(row, col);
                if text.is_empty() {
                    return Ok(None);
                }
                parse_decimal(&text, self.style).map(Some).map_err(|m| self.error(row, col, m))
            }
        }
    }

    /// The cell as money rounded half-up to 2 decimal places (the minor unit
    /// of USD, BRL and CNY); blank reads as zero.
    pub fn money(&self, row: &Row, col: usize) -> Result<Decimal, InputError> {
        let d = self.decimal(row, col)?.unwrap_or(Decimal::ZERO);
        let mut r = RoundingMode::HalfUp.round_dp(d, 2);
        r.rescale(2);
        Ok(r)
    }

    /// The cell as a whole number (`3`, `3.0`); blank reads as zero.
    pub fn whole(&self, row: &Row, col: usize) -> Result<i64, InputError> {
        let Some(d) = self.decimal(row, col)? else { return Ok(0) };
        if !d.fract().is_zero() {
            return Err(self.error(row, col, format!("expected a whole number, found {d}")));
        }
        i64::try_from(d.trunc()).map_err(|_| self.error(row, col, format!("{d} is out of range")))
    }

    /// The date-time of a date-formatted XLSX cell, if it is one.
    pub fn datetime_cell(&self, row: &Row, col: usize) -> Option<NaiveDateTime> {
        match self.cell(row, col) {
            Cell::DateTime(dt) => Some(dt),
            _ => None,
        }
    }
}

/// Decodes text bytes: UTF-8 (a BOM is dropped), falling back to
/// Windows-1252 as older Brazilian exports are written. UTF-8 text is
/// borrowed, not copied.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

/// How to read a delimited text file.
#[derive(Debug, Clone, Copy)]
pub struct TextFormat {
    pub delimiter: u8,
    /// Whether `"` quotes fields (false for Amazon's tab-separated files,
    /// whose descriptions may hold a bare `"`).
    pub quoting: bool,
    pub style: DecimalStyle,
}

/// Reads a delimited text file whose header is the first line for which
/// `is_header` holds (so title rows above it are skipped). Blank lines are
/// skipped; line numbers are the file's own, 1-based.
pub fn read_text(
    file: &str,
    bytes: &[u8],
    format: TextFormat,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Table, InputError> {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(format.delimiter)
        .quoting(format.quoting)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header: Option<(usize, Vec<String>)> = None;
    let mut rows = Vec::new();
    let mut lines = LineCounter { text: text.as_bytes(), byte: 0, line: 1 };
    // One record buffer for the whole file; a row keeps only its non-blank
    // cells' text (blank cells, and blank cells at the end, cost nothing).
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            InputError { file: file.to_string(), location: Location::Line(line), column: None, message: e.to_string() }
        })?;
        if !more {
            break;
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = record.position().map(|p| lines.line_at(p.byte() as usize)).unwrap_or(0);
        if header.is_none() {
            let cells: Vec<String> = record.iter().map(str::to_string).collect();
            if is_header(&cells) {
                header =
                    Some((line, cells.iter().map(|c| c.trim_start_matches('\u{feff}').trim().to_string()).collect()));
            }
            continue;
        }
        let mut row = Row::new(line);
        for cell in &record {
            row.push_text(cell);
        }
        rows.push(row.finish());
    }
    let (header_number, headers) =
        header.ok_or_else(|| InputError::file(file, "no header row found (the file is empty or not this format)"))?;
    Ok(Table { file: file.to_string(), sheet: None, headers, header_number, rows, style: format.style })
}

/// Turns a record's byte offset into its 1-based line number. The csv
/// crate's own line count puts a record that follows a blank line on the
/// blank line (rust-csv#208), so lines are counted here, skipping the line
/// breaks a record's offset may point at. Offsets only grow, so the count
/// is incremental.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn line_at(&mut self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while offset < self.text.len() && matches!(self.text[offset], b'\n' | b'\r') {
            offset += 1;
        }
        if offset >= self.byte {
            self.line += self.text[self.byte..offset].iter().filter(|b| **b == b'\n').count();
            self.byte = offset;
        }
        self.line
    }
}

/// An XLSX workbook opened once (its shared strings read once), from which
/// any of its sheets can be read as a [`Table`].
pub struct Workbook<'a> {
    file: String,
    sheets: Sheets<Cursor<&'a [u8]>>,
}

impl<'a> Workbook<'a> {
    /// Opens the workbook in `bytes`; `file` is its path as errors print it.
    ///
    /// # Errors
    /// An [`InputError`] naming the file when it is not a readable workbook.
    pub fn open(file: &str, bytes: &'a [u8]) -> Result<Self, InputError> {
        let sheets = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
            .map_err(|e| InputError::file(file, format!("not a readable XLSX workbook: {e}")))?;
        Ok(Workbook { file: file.to_string(), sheets })
    }

    /// The names of the workbook's sheets, in order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.sheet_names().to_vec()
    }

    /// Reads sheet `sheet`; the header is the first row for which
    /// `is_header` holds. Row numbers are the sheet's own, 1-based.
    ///
    /// # Errors
    /// An [`InputError`] naming the file (and sheet and row) when the sheet
    /// cannot be read, a cell holds a spreadsheet error, or no row is a header.
    pub fn read(&mut self, sheet: &str, is_header: impl Fn(&[String]) -> bool) -> Result<Table, InputError> {
        let file = self.file.as_str();
        let range = self
            .sheets
            .worksheet_range(sheet)
            .map_err(|e| InputError::file(file, format!("cannot read sheet {sheet:?}: {e}")))?;
        sheet_table(file, sheet, &range, is_header)
    }
}

/// Reads sheet `sheet` of an XLSX workbook; the header is the first row for
/// which `is_header` holds. Row numbers are the sheet's own, 1-based.
pub fn read_xlsx(
    file: &str,
    bytes: &[u8],
    sheet: &str,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Table, InputError> {
    Workbook::open(file, bytes)?.read(sheet, is_header)
}

/// The table of one sheet's cells (see [`Workbook::read`]).
fn sheet_table(
    file: &str,
    sheet: &str,
    range: &calamine::Range<Data>,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Table, InputError> {
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let mut header: Option<(usize, Vec<String>)> = None;
    let mut rows = Vec::new();
    for (i, raw) in range.rows().enumerate() {
        let number = first_row + i + 1;
        let mut row = Row::new(number);
        row.cells.resize(first_col, Cell::Empty);
        for data in raw {
            push_xlsx_cell(&mut row, file, sheet, data)?;
        }
        if row.is_blank() {
            continue;
        }
        if header.is_none() {
            let texts = row.header_names();
            if is_header(&texts) {
                header = Some((number, texts));
            }
            continue;
        }
        rows.push(row.finish());
    }
    let (header_number, headers) =
        header.ok_or_else(|| InputError::file(file, format!("sheet {sheet:?} has no header row of this format")))?;
    Ok(Table {
        file: file.to_string(),
        sheet: Some(sheet.to_string()),
        headers,
        header_number,
        rows,
        style: DecimalStyle::Point,
    })
}

/// Appends one XLSX cell to `row`, typed as the sheet stores it.
fn push_xlsx_cell(row: &mut Row, file: &str, sheet: &str, data: &Data) -> Result<(), InputError> {
    let number = row.number;
    let bad = |message: String| InputError {
        file: file.to_string(),
        location: Location::Row { sheet: sheet.to_string(), row: number },
        column: None,
        message,
    };
    let cell = match data {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DurationIso(s) => {
            row.push_text(s);
            return Ok(());
        }
        Data::Int(i) => Cell::Number(Decimal::from(*i)),
        Data::Float(f) => {
            Cell::Number(decimal_from_xlsx_float(*f).ok_or_else(|| bad(format!("unreadable number {f}")))?)
        }
        Data::Bool(b) => {
            row.push_text(if *b { "TRUE" } else { "FALSE" });
            return Ok(());
        }
        Data::DateTime(dt) => Cell::DateTime(dt.as_datetime().ok_or_else(|| bad("unreadable date cell".to_string()))?),
        Data::DateTimeIso(s) => match NaiveDateTime::from_str(s) {
            Ok(dt) => Cell::DateTime(dt),
            Err(_) => {
                row.push_text(s);
                return Ok(());
            }
        },
        Data::Error(e) => return Err(bad(format!("the cell holds the spreadsheet error {e:?}"))),
    };
    row.cells.push(cell);
    Ok(())
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
}
