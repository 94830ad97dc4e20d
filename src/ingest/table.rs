//! A header-addressed table read from a delimited text file or an XLSX sheet.
//!
//! Every parser reads its export through [`Table`], so the quirks DOMAIN.md
//! lists are handled once: a UTF-8 BOM, Windows-1252 text, trailing spaces in
//! headers, cells holding a single space, title rows above the header, and
//! XLSX floats (turned into decimals here and never carried as `f64`).

use std::borrow::Cow;
use std::io::Cursor;
use std::ops::Range;
use std::str::FromStr;

use calamine::{Data, Reader, Sheets};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::error::{InputError, Location};
use crate::money::{DecimalStyle, RoundingMode, check_money_limit, decimal_from_xlsx_float, parse_decimal};

/// The largest count (units, clicks, impressions) a cell may hold.
pub const COUNT_LIMIT: i64 = 1_000_000_000;

/// One cell, as typed as its source allows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Empty,
    /// Non-blank text, trimmed: `Arena::text[start..end]`.
    Text {
        start: usize,
        end: usize,
    },
    /// A numeric XLSX cell, already exact (see [`decimal_from_xlsx_float`]).
    Number(Decimal),
    /// A date-formatted XLSX cell.
    DateTime(NaiveDateTime),
}

/// One data row and where it came from (1-based line or sheet row): a run
/// of its table's cells. Cells past the last non-blank one are not stored
/// (they read as blank).
#[derive(Debug, Clone)]
pub struct Row {
    pub number: usize,
    cells: Range<usize>,
}

/// Every cell of a table's rows in one vector and every text cell's text in
/// one string, so that reading a file allocates a handful of times, not per
/// row, and dropping the table frees three buffers.
#[derive(Debug, Clone, Default)]
struct Arena {
    cells: Vec<Cell>,
    text: String,
}

/// Where a row being read begins in the [`Arena`].
#[derive(Debug, Clone, Copy)]
struct RowStart {
    cell: usize,
    text: usize,
}

impl Arena {
    fn with_capacity(cells: usize, text_bytes: usize) -> Self {
        Arena { cells: Vec::with_capacity(cells), text: String::with_capacity(text_bytes) }
    }

    /// Begins a row: what follows is its cells.
    fn begin(&self) -> RowStart {
        RowStart { cell: self.cells.len(), text: self.text.len() }
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

    /// Appends `count` blank cells.
    fn push_blanks(&mut self, count: usize) {
        self.cells.resize(self.cells.len() + count, Cell::Empty);
    }

    /// Whether every cell since `start` is blank.
    fn is_blank_since(&self, start: RowStart) -> bool {
        self.cells[start.cell..].iter().all(|c| matches!(c, Cell::Empty))
    }

    /// The cells since `start` as header names (text cells trimmed, others empty).
    fn header_names_since(&self, start: RowStart) -> Vec<String> {
        self.cells[start.cell..].iter().map(|cell| self.text_of(*cell).to_string()).collect()
    }

    /// Forgets the cells since `start` (a blank or header row).
    fn discard(&mut self, start: RowStart) {
        self.cells.truncate(start.cell);
        self.text.truncate(start.text);
    }

    /// Ends the row begun at `start`, without its trailing blank cells.
    fn finish(&mut self, number: usize, start: RowStart) -> Row {
        while self.cells.len() > start.cell && matches!(self.cells.last(), Some(Cell::Empty)) {
            self.cells.pop();
        }
        Row { number, cells: start.cell..self.cells.len() }
    }

    /// The text of a text cell, empty for any other.
    fn text_of(&self, cell: Cell) -> &str {
        match cell {
            Cell::Text { start, end } => self.text.get(start..end).unwrap_or(""),
            _ => "",
        }
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
    /// The rows' cells.
    arena: Arena,
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

    fn cell(&self, row: &Row, col: usize) -> Cell {
        self.arena.cells.get(row.cells.clone()).and_then(|cells| cells.get(col)).copied().unwrap_or(Cell::Empty)
    }

    /// The cell as trimmed text; empty for blank cells and cells holding only
    /// spaces. Numbers print as decimals, dates as `YYYY-MM-DD HH:MM:SS`.
    pub fn text(&self, row: &Row, col: usize) -> String {
        self.text_ref(row, col).into_owned()
    }

    /// [`Table::text`], borrowed from the table when the cell holds text.
    pub fn text_ref(&self, row: &Row, col: usize) -> Cow<'_, str> {
        match self.cell(row, col) {
            Cell::Empty => Cow::Borrowed(""),
            cell @ Cell::Text { .. } => Cow::Borrowed(self.arena.text_of(cell)),
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
    ///
    /// # Errors
    /// An [`InputError`] naming the cell for an unreadable number, a
    /// percentage (`12%` is a ratio, not an amount) or an amount of
    /// [`crate::money::MONEY_LIMIT`] or more, which no marketplace row carries and whose
    /// sums could overflow.
    pub fn money(&self, row: &Row, col: usize) -> Result<Decimal, InputError> {
        let cell = self.cell(row, col);
        if matches!(cell, Cell::Text { .. }) && self.arena.text_of(cell).contains('%') {
            return Err(self.error(
                row,
                col,
                format!("{:?} is a percentage; expected an amount such as 1,234.56", self.arena.text_of(cell)),
            ));
        }
        let d = self.decimal(row, col)?.unwrap_or(Decimal::ZERO);
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
        if !d.fract().is_zero() {
            return Err(self.error(row, col, format!("expected a whole number, found {d}")));
        }
        if d.abs() > Decimal::from(COUNT_LIMIT) {
            return Err(self.error(
                row,
                col,
                format!("{d} is out of range: a count must be at most {COUNT_LIMIT} in magnitude"),
            ));
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

/// Decodes text bytes leniently, for sniffing a format: as
/// [`decode_text_checked`] does, or lossily as UTF-8 when it refuses.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    match decode_text_checked("", bytes) {
        Ok(text) => text,
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Decodes the bytes of a text input, read correctly or refused by name,
/// never read as the wrong encoding:
///
/// - a byte-order mark decides: UTF-8, UTF-16 LE or UTF-16 BE;
/// - otherwise valid UTF-8 is UTF-8;
/// - otherwise the legacy encodings the exports and ledgers are written in:
///   Windows-1252 (older Brazilian exports) when every non-ASCII byte reads
///   as a Latin letter or common sign and stands alone or in a pair
///   (`ção`), else GB18030 (which contains GBK), the encoding of Chinese
///   text saved by Excel or WPS on a Chinese Windows, when it decodes
///   without error.
///
/// UTF-8 text is borrowed, not copied.
///
/// # Errors
/// An [`InputError`] naming `file` when the bytes hold NUL bytes (a binary
/// file, or UTF-16 without a byte-order mark), mix UTF-8 lines with lines in
/// another encoding (naming one line of each), are malformed UTF-16, or fit
/// none of the encodings above.
pub fn decode_text_checked<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>, InputError> {
    const SAVE_AS: &str = "save it as UTF-8 (e.g. Excel: Save As \"CSV UTF-8\")";
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(file, rest, encoding_rs::UTF_16LE);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(file, rest, encoding_rs::UTF_16BE);
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // `str::find` looks for the NUL with memchr: the common case, UTF-8,
    // costs one validation pass and one fast scan.
    let utf8 = std::str::from_utf8(body);
    let nul = match utf8 {
        Ok(text) => text.find('\0'),
        Err(_) => body.iter().position(|b| *b == 0),
    };
    if let Some(at) = nul {
        let line = body[..at].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(InputError {
            file: file.to_string(),
            location: Location::Line(line),
            column: None,
            message: format!(
                "holds a NUL byte: it is not a text file, or is UTF-16 without a byte-order mark; {SAVE_AS}"
            ),
        });
    }
    if let Ok(text) = utf8 {
        return Ok(Cow::Borrowed(text));
    }
    let (mut utf8_line, mut other_line) = (None, None);
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.is_ascii() {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(_) => utf8_line.get_or_insert(i + 1),
            Err(_) => other_line.get_or_insert(i + 1),
        };
    }
    if let (Some(utf8), Some(other)) = (utf8_line, other_line) {
        return Err(InputError {
            file: file.to_string(),
            location: Location::Line(other),
            column: None,
            message: format!(
                "the file mixes encodings: line {utf8} is UTF-8 and line {other} is not, so no one reading of it is right; {SAVE_AS}"
            ),
        });
    }
    if looks_like_windows_1252(body) {
        return Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(body).0);
    }
    if let Some(text) = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(body) {
        return Ok(Cow::Owned(text.into_owned()));
    }
    Err(InputError::file(
        file,
        format!(
            "is not text kpiseal can read: neither UTF-8, UTF-16 with a byte-order mark, Windows-1252 nor GB18030 (GBK); {SAVE_AS}"
        ),
    ))
}

fn utf16<'a>(file: &str, body: &[u8], encoding: &'static encoding_rs::Encoding) -> Result<Cow<'a, str>, InputError> {
    match encoding.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => Ok(Cow::Owned(text.into_owned())),
        None => Err(InputError::file(
            file,
            format!(
                "starts with a {} byte-order mark but is not valid {0} text (a truncated or mixed file?)",
                encoding.name()
            ),
        )),
    }
}

/// Whether non-UTF-8 `bytes` read as Latin text in Windows-1252: every run
/// of non-ASCII bytes is at most two long (Portuguese `ção`, `ões`) and
/// each reads as a letter or a sign such exports use (`N.º`, `€`, `–`).
/// Chinese text in GBK/GB18030 has runs of two bytes per character, most
/// words two characters or more, and four-byte codes starting at 0x81,
/// which Windows-1252 does not define.
fn looks_like_windows_1252(bytes: &[u8]) -> bool {
    const SIGNS: &str = "ºª°€–—‘’“”•…§©®±²³µ·¹«»¿ ";
    let mut run = 0;
    for &b in bytes {
        if b < 0x80 {
            run = 0;
            continue;
        }
        run += 1;
        if run > 2 {
            return false;
        }
        let byte = [b];
        let (text, bad) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        let Some(c) = text.chars().next() else { return false };
        if bad || !(c.is_alphabetic() || SIGNS.contains(c)) {
            return false;
        }
    }
    true
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
/// `is_header` holds (so title rows above it are skipped, and so is the
/// `sep=,` line Excel writes first when asked to keep the delimiter). Blank
/// lines are skipped; line numbers are the file's own, 1-based. The text is
/// decoded by [`decode_text_checked`].
///
/// # Errors
/// An [`InputError`] naming the file (and line) when it cannot be decoded or
/// parsed, has no header, or ends in the middle of its last line: the last
/// line has no line break and fewer cells than the header and than the row
/// above it (a download cut short).
pub fn read_text(
    file: &str,
    bytes: &[u8],
    format: TextFormat,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Table, InputError> {
    read_decoded(file, &decode_text_checked(file, bytes)?, format, is_header)
}

/// [`read_text`] of a file already decoded by [`decode_text_checked`]
/// (which a caller that looked at the text to detect its format has done).
pub fn read_decoded(
    file: &str,
    text: &str,
    format: TextFormat,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Table, InputError> {
    let mut found = TextRows {
        is_header,
        header: None,
        rows: Vec::new(),
        // The cells' text is at most the file's; a cell takes about 8 bytes of it.
        arena: Arena::with_capacity(text.len() / 8, text.len()),
        lines: LineCounter { text: text.as_bytes(), byte: 0, line: 1 },
        last_len: 0,
        previous_len: 0,
        last_line: 0,
        first: true,
    };
    if format.quoting {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(format.delimiter)
            .quoting(true)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        // One record buffer for the whole file.
        let mut record = csv::StringRecord::new();
        loop {
            let more = reader.read_record(&mut record).map_err(|e| {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                InputError {
                    file: file.to_string(),
                    location: Location::Line(line),
                    column: None,
                    message: e.to_string(),
                }
            })?;
            if !more {
                break;
            }
            let offset = record.position().map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
            let fields = record.as_byte_record().as_slice();
            found.take(offset, record.iter(), record.len(), has_visible_ascii(fields));
        }
    } else {
        // Without quoting a record is a line and a cell what lies between
        // delimiters: split in place, as the csv crate would (a line ends at
        // `\n`, `\r` or both; empty lines are skipped), without copying
        // each record into a buffer and validating it again.
        let mut start = 0;
        // The delimiters' offsets in the current line, one buffer for the file.
        let mut bounds = Vec::new();
        for end in memchr::memchr2_iter(b'\n', b'\r', text.as_bytes()).chain(std::iter::once(text.len())) {
            if end > start {
                let line = &text[start..end];
                bounds.clear();
                bounds.extend(memchr::memchr_iter(format.delimiter, line.as_bytes()));
                let cells = Fields { line, bounds: &bounds, index: 0 };
                found.take(start, cells, bounds.len() + 1, has_visible_ascii(line.as_bytes()));
            }
            start = end + 1;
        }
    }
    let TextRows { header, rows, arena, last_len, previous_len, last_line, .. } = found;
    let (header_number, headers) =
        header.ok_or_else(|| InputError::file(file, "no header row found (the file is empty or not this format)"))?;
    let cut = !text.ends_with(['\n', '\r']) && !rows.is_empty();
    if cut && last_len < headers.len() && (rows.len() == 1 || last_len < previous_len) {
        return Err(InputError {
            file: file.to_string(),
            location: Location::Line(last_line),
            column: None,
            message: format!(
                "the file ends in the middle of line {last_line}: it has {last_len} of the header's {} cells and no line break (a download cut short?); download the file again",
                headers.len()
            ),
        });
    }
    Ok(Table { file: file.to_string(), sheet: None, headers, header_number, rows, style: format.style, arena })
}

/// The cells of one unquoted line, between the delimiters at `bounds`.
#[derive(Clone)]
struct Fields<'a> {
    line: &'a str,
    bounds: &'a [usize],
    index: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let start = match self.index {
            0 => 0,
            i => self.bounds.get(i - 1)? + 1,
        };
        let end = self.bounds.get(self.index).copied().unwrap_or(self.line.len());
        self.index += 1;
        // The delimiter is ASCII, so every bound is a character boundary.
        self.line.get(start..end)
    }
}

/// The header and rows of a text file, found record by record.
struct TextRows<'t, H> {
    is_header: H,
    header: Option<(usize, Vec<String>)>,
    rows: Vec<Row>,
    arena: Arena,
    lines: LineCounter<'t>,
    /// Cell counts of the last two non-blank records and the last one's line.
    last_len: usize,
    previous_len: usize,
    last_line: usize,
    first: bool,
}

impl<H: Fn(&[String]) -> bool> TextRows<'_, H> {
    /// Takes the record that begins at byte `offset`, of `len` cells, which
    /// holds an ASCII byte other than whitespace when `visible_ascii`:
    /// skipped when blank or Excel's `sep=` line, the header when it is the
    /// first that `is_header` accepts, a row after it, nothing before it.
    fn take<'a>(
        &mut self,
        offset: usize,
        cells: impl Iterator<Item = &'a str> + Clone,
        len: usize,
        visible_ascii: bool,
    ) {
        // Without a visible ASCII byte a record may still hold other text.
        if !visible_ascii && cells.clone().all(|c| c.trim().is_empty()) {
            return;
        }
        let line = self.lines.line_at(offset);
        (self.previous_len, self.last_len, self.last_line) = (self.last_len, len, line);
        if std::mem::take(&mut self.first) && is_sep_line(cells.clone()) {
            return;
        }
        if self.header.is_none() {
            let texts: Vec<String> = cells.map(str::to_string).collect();
            if (self.is_header)(&texts) {
                let names = texts.iter().map(|c| c.trim_start_matches('\u{feff}').trim().to_string()).collect();
                self.header = Some((line, names));
            }
            return;
        }
        let start = self.arena.begin();
        for cell in cells {
            self.arena.push_text(cell);
        }
        self.rows.push(self.arena.finish(line, start));
    }
}

/// Whether `bytes` hold an ASCII byte that is not whitespace: a record
/// that does is not blank (nearly every one), told without trimming cells.
fn has_visible_ascii(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| b.is_ascii() && !b.is_ascii_whitespace())
}

/// Whether a file's first record is Excel's `sep=<delimiter>` line (read
/// with that delimiter, it is the cells `sep=` and an empty one).
fn is_sep_line<'a>(mut cells: impl Iterator<Item = &'a str> + Clone) -> bool {
    let first = cells.next().unwrap_or("").trim_start_matches('\u{feff}');
    first.starts_with("sep=") && first.chars().count() <= 5 && cells.clone().count() <= 1 && cells.all(str::is_empty)
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
            self.line += memchr::memchr_iter(b'\n', &self.text[self.byte..offset]).count();
            self.byte = offset;
        }
        self.line
    }
}

/// The most one part of a workbook (a sheet, the shared strings) may unpack
/// to: 256 MiB, some 2 million rows of a Vendas export.
pub const MAX_XLSX_PART: u64 = 256 << 20;
/// The most all parts of a workbook may unpack to together.
pub const MAX_XLSX_TOTAL: u64 = 512 << 20;

/// Refuses a workbook whose zip central directory ([APPNOTE] 4.3.12, 4.3.16)
/// declares a part larger than [`MAX_XLSX_PART`] or parts larger than
/// [`MAX_XLSX_TOTAL`] together, before anything is inflated. A size field
/// of 0xFFFFFFFF (the ZIP64 marker) counts as over the limit. A zip whose
/// directory cannot be found is left to the workbook reader to refuse.
fn check_zip_sizes(file: &str, bytes: &[u8]) -> Result<(), InputError> {
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let search_from = bytes.len().saturating_sub(22 + 65_535);
    let Some(eocd) = (search_from..bytes.len().saturating_sub(21)).rev().find(|&i| u32_at(i) == Some(0x0605_4b50))
    else {
        return Ok(());
    };
    let u64_at = |at: usize| bytes.get(at..at + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0xFF; 8])));
    let (Some(mut count), Some(offset)) = (u16_at(eocd + 10), u32_at(eocd + 16)) else { return Ok(()) };
    let mut at = offset as usize;
    // ZIP64 (4.3.14, 4.3.15): the locator just before the record names the
    // ZIP64 end record, which holds the real count and offset.
    if (count == 0xFFFF || offset == u32::MAX) && eocd >= 20 && u32_at(eocd - 20) == Some(0x0706_4b50) {
        let record = u64_at(eocd - 12).and_then(|r| usize::try_from(r).ok()).unwrap_or(usize::MAX);
        if u32_at(record) == Some(0x0606_4b50) {
            count = u64_at(record + 32).and_then(|c| usize::try_from(c).ok()).unwrap_or(0);
            at = u64_at(record + 48).and_then(|o| usize::try_from(o).ok()).unwrap_or(usize::MAX);
        }
    }
    let mut total: u64 = 0;
    for _ in 0..count {
        if u32_at(at) != Some(0x0201_4b50) {
            break;
        }
        let (Some(size), Some(name_len), Some(extra_len), Some(comment_len)) =
            (u32_at(at + 24), u16_at(at + 28), u16_at(at + 30), u16_at(at + 32))
        else {
            break;
        };
        let name = bytes.get(at + 46..at + 46 + name_len).map(String::from_utf8_lossy).unwrap_or_default();
        // A ZIP64 entry's size is in its extended information extra field
        // (4.5.3), whose first value is the uncompressed size.
        let size = if size == u32::MAX {
            let extra = at + 46 + name_len;
            let mut field = extra;
            let mut found = u64::MAX;
            while field + 4 <= extra + extra_len {
                let (Some(id), Some(len)) = (u16_at(field), u16_at(field + 2)) else { break };
                if id == 1 {
                    found = u64_at(field + 4).unwrap_or(u64::MAX);
                    break;
                }
                field += 4 + len;
            }
            found
        } else {
            u64::from(size)
        };
        total = total.saturating_add(size);
        if size > MAX_XLSX_PART || total > MAX_XLSX_TOTAL {
            let shown = if size == u64::MAX { "4 GiB or more".to_string() } else { format!("{size} bytes") };
            return Err(InputError::file(
                file,
                format!(
                    "not a readable XLSX workbook: its part {name} unpacks to {shown} (at most {MAX_XLSX_PART} bytes per part and {MAX_XLSX_TOTAL} in all are read): a zip bomb, or a workbook too large to be an export"
                ),
            ));
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(())
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
    /// An [`InputError`] naming the file when it is not a readable workbook,
    /// or when a part would unpack to more than [`MAX_XLSX_PART`] bytes or
    /// all parts to more than [`MAX_XLSX_TOTAL`] (a zip bomb), as its zip
    /// directory declares.
    pub fn open(file: &str, bytes: &'a [u8]) -> Result<Self, InputError> {
        check_zip_sizes(file, bytes)?;
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

/// How [`Workbook::read`]'s error for a sheet without a header row ends.
pub(crate) const NO_HEADER: &str = "has no header row of this format";

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
    let mut arena = Arena::default();
    for (i, raw) in range.rows().enumerate() {
        let number = first_row + i + 1;
        let start = arena.begin();
        arena.push_blanks(first_col);
        for data in raw {
            push_xlsx_cell(&mut arena, number, file, sheet, data)?;
        }
        if arena.is_blank_since(start) {
            arena.discard(start);
            continue;
        }
        if header.is_none() {
            let texts = arena.header_names_since(start);
            arena.discard(start);
            if is_header(&texts) {
                header = Some((number, texts));
            }
            continue;
        }
        rows.push(arena.finish(number, start));
    }
    let (header_number, headers) =
        header.ok_or_else(|| InputError::file(file, format!("sheet {sheet:?} {NO_HEADER}")))?;
    Ok(Table {
        file: file.to_string(),
        sheet: Some(sheet.to_string()),
        headers,
        header_number,
        rows,
        style: DecimalStyle::Point,
        arena,
    })
}

/// Appends one XLSX cell of sheet row `number` to `arena`, typed as the sheet stores it.
fn push_xlsx_cell(arena: &mut Arena, number: usize, file: &str, sheet: &str, data: &Data) -> Result<(), InputError> {
    let bad = |message: String| InputError {
        file: file.to_string(),
        location: Location::Row { sheet: sheet.to_string(), row: number },
        column: None,
        message,
    };
    let cell = match data {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DurationIso(s) => {
            arena.push_text(s);
            return Ok(());
        }
        Data::Int(i) => Cell::Number(Decimal::from(*i)),
        Data::Float(f) => {
            Cell::Number(decimal_from_xlsx_float(*f).ok_or_else(|| bad(format!("unreadable number {f}")))?)
        }
        Data::Bool(b) => {
            arena.push_text(if *b { "TRUE" } else { "FALSE" });
            return Ok(());
        }
        Data::DateTime(dt) => Cell::DateTime(dt.as_datetime().ok_or_else(|| bad("unreadable date cell".to_string()))?),
        Data::DateTimeIso(s) => match NaiveDateTime::from_str(s) {
            Ok(dt) => Cell::DateTime(dt),
            Err(_) => {
                arena.push_text(s);
                return Ok(());
            }
        },
        Data::Error(e) => return Err(bad(format!("the cell holds the spreadsheet error {e:?}"))),
    };
    arena.cells.push(cell);
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
