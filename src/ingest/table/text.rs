//! A delimited text file read into a [`Table`]: the header found by name,
//! blank lines and Excel's `sep=` line skipped, a file cut short refused.

use crate::error::{InputError, Location};
use crate::money::DecimalStyle;

use std::borrow::Cow;

use super::decode::decode_text_checked;
use super::{Arena, MAX_TABLE_TEXT, Projection, Row, Table, TooMuchText, offset, source_cell};

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
pub fn read_text<'a>(
    file: &str,
    bytes: &'a [u8],
    format: TextFormat,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Table<'a>, InputError> {
    read_source(file, decode_text_checked(file, bytes)?, format, is_header, None)
}

/// [`read_text`] of a file already decoded by [`decode_text_checked`]
/// (which a caller that looked at the text to detect its format has done).
pub fn read_decoded<'a>(
    file: &str,
    text: &'a str,
    format: TextFormat,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Table<'a>, InputError> {
    read_source(file, Cow::Borrowed(text), format, is_header, None)
}

/// [`read_decoded`] for a parser that reads only the columns named in
/// `columns` (compared with [`fold_header`]): when the file is split in
/// place (it holds no `"`, or is read without quoting), only their cells
/// are kept as it is read. The table reads exactly as the whole one: a
/// cell of another column is split from its row's line when asked for,
/// and a row is blank only when every one of its cells is.
///
/// # Errors
/// As [`read_text`].
pub fn read_decoded_columns<'a>(
    file: &str,
    text: &'a str,
    format: TextFormat,
    is_header: impl Fn(&[String]) -> bool,
    columns: &[&str],
) -> Result<Table<'a>, InputError> {
    read_source(file, Cow::Borrowed(text), format, is_header, Some(columns))
}

/// How a text file's records are split into cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Splitter {
    /// The csv crate, which unquotes `"`-quoted cells (copied).
    Quoted,
    /// In place: a record is a line and a cell what lies between
    /// delimiters (kept as offsets into the text).
    InPlace,
}

/// Reads the table of decoded text `source`, which the table keeps: its
/// cells are offsets into it, or, for quoted records (which the csv crate
/// unquotes into a buffer of its own), copies. A file read with quoting
/// that holds no `"` at all (a Vendas export, as Mercado Livre writes it)
/// reads the same either way, and is split in place.
/// With `columns`, a file split in place keeps only those columns' cells
/// (see [`read_decoded_columns`]).
fn read_source<'a>(
    file: &str,
    source: Cow<'a, str>,
    format: TextFormat,
    is_header: impl Fn(&[String]) -> bool,
    columns: Option<&[&str]>,
) -> Result<Table<'a>, InputError> {
    let quoted = format.quoting && memchr::memchr(b'"', source.as_bytes()).is_some();
    let splitter = if quoted { Splitter::Quoted } else { Splitter::InPlace };
    read_split(file, source, format, is_header, splitter, columns)
}

/// [`read_source`] with the given [`Splitter`]; `columns` applies to
/// [`Splitter::InPlace`] only.
fn read_split<'a>(
    file: &str,
    source: Cow<'a, str>,
    format: TextFormat,
    is_header: impl Fn(&[String]) -> bool,
    splitter: Splitter,
    columns: Option<&[&str]>,
) -> Result<Table<'a>, InputError> {
    let text: &str = &source;
    if text.len() > MAX_TABLE_TEXT {
        return Err(InputError::file(file, TooMuchText::message()));
    }
    // Quoted cells are copied; their text is at most the file's.
    let copied = if splitter == Splitter::Quoted { text.len() } else { 0 };
    let mut found = TextRows {
        is_header,
        header: None,
        rows: Vec::new(),
        arena: Arena::for_source(text, cell_estimate(text.as_bytes(), format.delimiter), copied),
        file,
        lines: LineCounter { text: text.as_bytes(), byte: 0, line: 1 },
        last_len: 0,
        previous_len: 0,
        last_line: 0,
        first: true,
        columns: columns.filter(|_| splitter == Splitter::InPlace),
        delimiter: format.delimiter,
        projection: None,
    };
    match splitter {
        Splitter::Quoted => split_quoted(file, text, format.delimiter, &mut found)?,
        Splitter::InPlace => split_in_place(text, format.delimiter, &mut found)?,
    }
    let TextRows { header, rows, arena, last_len, previous_len, last_line, projection, .. } = found;
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
    Ok(Table {
        file: file.to_string(),
        sheet: None,
        headers,
        header_number,
        rows,
        style: format.style,
        source,
        arena,
        projection,
    })
}

/// Splits `text` into records with the csv crate (`"` quotes cells) and
/// hands them to `found`.
fn split_quoted<H: Fn(&[String]) -> bool>(
    file: &str,
    text: &str,
    delimiter: u8,
    found: &mut TextRows<'_, H>,
) -> Result<(), InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(true)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // One record buffer for the whole file.
    let mut record = csv::ByteRecord::new();
    loop {
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            InputError { file: file.to_string(), location: Location::Line(line), column: None, message: e.to_string() }
        })?;
        if !more {
            break;
        }
        let offset = record.position().map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        // The text is UTF-8 and the reader splits and unquotes it at
        // ASCII bytes, so the record's cells are too: one check of the
        // whole record, then each cell is a slice of it.
        let whole = simdutf8::basic::from_utf8(record.as_slice())
            .ok()
            .filter(|whole| {
                let mut end = 0;
                record.iter().all(|cell| {
                    end += cell.len();
                    whole.is_char_boundary(end)
                })
            })
            .ok_or_else(|| InputError {
                file: file.to_string(),
                location: Location::Line(found.lines.line_at(offset)),
                column: None,
                message: "the record's cells are not valid UTF-8".to_string(),
            })?;
        let cells = RecordCells { whole, ends: record.iter().map(<[u8]>::len), start: 0 };
        found.take(offset, cells, record.len(), has_visible_ascii_besides(record.as_slice(), delimiter))?;
    }
    Ok(())
}

/// Splits `text` in place, a record per line, and hands the records to `found`.
///
/// Without quoting a record is a line and a cell what lies between
/// delimiters: split in place, as the csv crate would (a line ends at
/// `\n`, `\r` or both; empty lines are skipped), without copying each
/// record into a buffer and validating it again. Lines are counted (a `\n`
/// each) as they are found. The lines above the header go through
/// [`TextRows::take_at_line`] (header and `sep=` detection); the data lines
/// below it are split straight into the arena by [`TextRows::take_data_line`].
fn split_in_place<H: Fn(&[String]) -> bool>(
    text: &str,
    delimiter: u8,
    found: &mut TextRows<'_, H>,
) -> Result<(), InputError> {
    let bytes = text.as_bytes();
    let (mut start, mut line) = (0, 1);
    for end in memchr::memchr2_iter(b'\n', b'\r', bytes).chain(std::iter::once(text.len())) {
        if end > start {
            if found.header.is_some() {
                found.take_data_line(line, text, start..end, delimiter)?;
            } else {
                let record = &text[start..end];
                let bounds: Vec<usize> = memchr::memchr_iter(delimiter, record.as_bytes()).collect();
                let cells = Fields { line: record, bounds: &bounds, index: 0 };
                // The delimiters are not the cells' text: a line of only
                // delimiters (`;;;`) is as blank as the csv crate finds it.
                let visible = has_visible_ascii_besides(record.as_bytes(), delimiter);
                found.take_at_line(line, cells, bounds.len() + 1, visible)?;
            }
        }
        if bytes.get(end) == Some(&b'\n') {
            line += 1;
        }
        start = end + 1;
    }
    Ok(())
}

/// The offsets of `delimiter` in a line, found eight bytes at a time: each
/// word's bytes equal to the delimiter are flagged at once (without a
/// carry between bytes, so exactly), then read off lowest first. A cell is
/// a few bytes, so this beats a byte loop and a `memchr` call per cell.
struct Delimiters<'a> {
    line: &'a [u8],
    /// The offset of the current word, and its flags (0x80 in each byte
    /// that is the delimiter) not yet read.
    word: usize,
    flags: u64,
    delimiter: u8,
}

impl<'a> Delimiters<'a> {
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;

    fn new(line: &'a [u8], delimiter: u8) -> Self {
        let flags = Self::flags(line, 0, delimiter);
        Delimiters { line, word: 0, flags, delimiter }
    }

    /// The flags of the (up to) eight bytes of `line` from `at`.
    fn flags(line: &[u8], at: usize, delimiter: u8) -> u64 {
        let (word, valid) = match line.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
            Some(word) => (word, u64::MAX),
            None => {
                // The line's last bytes; those past its end are zero and,
                // should the delimiter be zero, must not match.
                let mut word = [0u8; 8];
                let rest = line.get(at..).unwrap_or_default();
                word[..rest.len().min(8)].copy_from_slice(&rest[..rest.len().min(8)]);
                (word, (1u64 << (rest.len().min(7) * 8)) - 1)
            }
        };
        let x = u64::from_le_bytes(word) ^ (u64::from(delimiter) * 0x0101_0101_0101_0101);
        // A byte is zero exactly when neither its high bit nor its low
        // seven bits (which, plus 0x7F, reach the high bit) are set.
        !(((x & Self::LOW) + Self::LOW) | x | Self::LOW) & valid
    }
}

impl Iterator for Delimiters<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.flags == 0 {
            self.word += 8;
            if self.word >= self.line.len() {
                return None;
            }
            self.flags = Self::flags(self.line, self.word, self.delimiter);
        }
        let at = self.word + (self.flags.trailing_zeros() / 8) as usize;
        self.flags &= self.flags - 1;
        Some(at)
    }
}

/// The cells of `line` (no line break in it) between `delimiter`s, as
/// ranges of it.
pub(super) fn cell_bounds(line: &[u8], delimiter: u8) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    Delimiters::new(line, delimiter).chain(std::iter::once(line.len())).map(move |end| {
        let cell = start..end;
        start = end + 1;
        cell
    })
}

/// About how many cells `text` holds, from the delimiters and line breaks
/// of its first 64 KiB, with an eighth to spare: a capacity that the cells
/// rarely outgrow, found without scanning the whole file.
fn cell_estimate(text: &[u8], delimiter: u8) -> usize {
    const SAMPLE: usize = 64 * 1024;
    let sample = &text[..text.len().min(SAMPLE)];
    let count = memchr::memchr2_iter(delimiter, b'\n', sample).count() + 1;
    let estimate = count.saturating_mul(text.len() / sample.len().max(1)).max(count);
    estimate.saturating_add(estimate / 8)
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

/// The cells of one quoted record: consecutive slices of `whole`, of the
/// lengths `ends` yields.
#[derive(Clone)]
struct RecordCells<'a, L> {
    whole: &'a str,
    ends: L,
    start: usize,
}

impl<'a, L: Iterator<Item = usize>> Iterator for RecordCells<'a, L> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let end = self.start + self.ends.next()?;
        let cell = self.whole.get(self.start..end);
        self.start = end;
        // Every cell boundary was checked to be a character boundary.
        Some(cell.unwrap_or(""))
    }
}

/// The header and rows of a text file, found record by record.
struct TextRows<'t, H> {
    is_header: H,
    /// The file, as errors name it.
    file: &'t str,
    header: Option<(usize, Vec<String>)>,
    rows: Vec<Row>,
    arena: Arena,
    lines: LineCounter<'t>,
    /// Cell counts of the last two non-blank records and the last one's line.
    last_len: usize,
    previous_len: usize,
    last_line: usize,
    first: bool,
    /// The names of the columns to keep, when not all of them.
    columns: Option<&'t [&'t str]>,
    delimiter: u8,
    /// The columns kept, once the header is found (`None`: all of them).
    projection: Option<Projection>,
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
    ) -> Result<(), InputError> {
        let line = self.lines.line_at(offset);
        self.take_at_line(line, cells, len, visible_ascii)
    }

    /// [`TextRows::take`] of a record whose line the caller counted.
    ///
    /// # Errors
    /// An [`InputError`] at the line when the table's text would pass
    /// [`MAX_TABLE_TEXT`].
    fn take_at_line<'a>(
        &mut self,
        line: usize,
        cells: impl Iterator<Item = &'a str> + Clone,
        len: usize,
        visible_ascii: bool,
    ) -> Result<(), InputError> {
        // Without a visible ASCII byte a record may still hold other text.
        if !visible_ascii && cells.clone().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        (self.previous_len, self.last_len, self.last_line) = (self.last_len, len, line);
        if std::mem::take(&mut self.first) && is_sep_line(cells.clone()) {
            return Ok(());
        }
        if self.header.is_none() {
            let texts: Vec<String> = cells.map(str::to_string).collect();
            if (self.is_header)(&texts) {
                let names: Vec<String> =
                    texts.iter().map(|c| c.trim_start_matches('\u{feff}').trim().to_string()).collect();
                self.projection = self.columns.map(|columns| Projection::new(&names, columns, self.delimiter));
                self.header = Some((line, names));
            }
            return Ok(());
        }
        let start = self.arena.begin();
        for cell in cells {
            self.arena.push_text(cell).map_err(|TooMuchText| too_much_text(self.file, line))?;
        }
        self.rows.push(self.arena.finish(line, start, 0..0));
        Ok(())
    }

    /// Takes the line `bytes` of `text` (no line break in it), at line
    /// `line`, below the header: its cells, split at `delimiter`, go
    /// straight into the arena as offsets into `text`; a line whose cells
    /// are all blank is skipped, as [`TextRows::take_at_line`] skips it.
    ///
    /// # Errors
    /// As [`TextRows::take_at_line`].
    fn take_data_line(
        &mut self,
        line: usize,
        text: &str,
        bytes: std::ops::Range<usize>,
        delimiter: u8,
    ) -> Result<(), InputError> {
        let file = self.file;
        let too_much = |TooMuchText| too_much_text(file, line);
        let start = self.arena.begin();
        let mut cell = bytes.start;
        let mut cells = 1;
        match &self.projection {
            None => {
                for at in Delimiters::new(&text.as_bytes()[bytes.clone()], delimiter) {
                    self.arena.push_source(text, cell..bytes.start + at).map_err(too_much)?;
                    cell = bytes.start + at + 1;
                    cells += 1;
                }
                self.arena.push_source(text, cell..bytes.end).map_err(too_much)?;
            }
            Some(projection) => {
                let kept = |column: usize| projection.slot(column).is_some();
                for at in Delimiters::new(&text.as_bytes()[bytes.clone()], delimiter) {
                    if kept(cells - 1) {
                        self.arena.push_source(text, cell..bytes.start + at).map_err(too_much)?;
                    }
                    cell = bytes.start + at + 1;
                    cells += 1;
                }
                if kept(cells - 1) {
                    self.arena.push_source(text, cell..bytes.end).map_err(too_much)?;
                }
            }
        }
        // A row whose kept cells are blank is blank only if the others are too.
        if self.arena.is_blank_since(start)
            && (self.projection.is_none() || is_blank_line(text, bytes.clone(), delimiter))
        {
            self.arena.discard(start);
            return Ok(());
        }
        (self.previous_len, self.last_len, self.last_line) = (self.last_len, cells, line);
        let line_range = offset(bytes.start).map_err(too_much)?..offset(bytes.end).map_err(too_much)?;
        self.rows.push(self.arena.finish(line, start, line_range));
        Ok(())
    }
}

/// Whether every cell of the line `text[bytes]` is blank, as the arena
/// reads a cell.
fn is_blank_line(text: &str, bytes: std::ops::Range<usize>, delimiter: u8) -> bool {
    cell_bounds(&text.as_bytes()[bytes.clone()], delimiter).all(|cell| {
        matches!(source_cell(text, bytes.start + cell.start..bytes.start + cell.end), Ok(super::Cell::Empty))
    })
}

/// The refusal of a table whose text would pass [`MAX_TABLE_TEXT`] at `line` of `file`.
fn too_much_text(file: &str, line: usize) -> InputError {
    InputError { file: file.to_string(), location: Location::Line(line), column: None, message: TooMuchText::message() }
}

/// Whether `bytes` hold an ASCII byte that is neither whitespace nor
/// `delimiter`: a record that does is not blank (nearly every one), told
/// without trimming cells. A record without one may still hold text (a
/// quoted delimiter, a non-ASCII letter): its cells then decide.
fn has_visible_ascii_besides(bytes: &[u8], delimiter: u8) -> bool {
    bytes.iter().any(|&b| b.is_ascii() && !b.is_ascii_whitespace() && b != delimiter)
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The records of unquoted `text` as a reader of the file sees them:
    /// runs of bytes between line breaks (`\n`, `\r`), each with its line
    /// (1 + the `\n` before it) and its cells between tabs, trimmed, blank
    /// records left out.
    fn records_by_hand(text: &str) -> Vec<(usize, Vec<String>)> {
        let mut out = Vec::new();
        let (mut line, mut current) = (1, String::new());
        for c in text.chars().chain(std::iter::once('\n')) {
            if c == '\n' || c == '\r' {
                let cells: Vec<String> = current.split('\t').map(|c| c.trim().to_string()).collect();
                if cells.iter().any(|c| !c.is_empty()) {
                    out.push((line, cells));
                }
                current.clear();
                line += usize::from(c == '\n');
            } else {
                current.push(c);
            }
        }
        out
    }

    /// A table as plain values: its header line and names, and each row's
    /// line and cells (one past the header's, which must read blank).
    type Plain = (usize, Vec<String>, Vec<(usize, Vec<String>)>);

    /// The table `text` gives with `splitter`, or its error.
    fn read_with(text: &str, splitter: Splitter) -> Result<Plain, String> {
        let format = TextFormat { delimiter: b';', quoting: true, style: DecimalStyle::Comma };
        let is_header = |cells: &[String]| cells.iter().any(|c| c.trim() == "h");
        let t =
            read_split("f.csv", Cow::Borrowed(text), format, is_header, splitter, None).map_err(|e| e.to_string())?;
        let rows = t.rows.iter().map(|r| (r.number, (0..=t.headers.len()).map(|c| t.text(r, c)).collect())).collect();
        Ok((t.header_number, t.headers.clone(), rows))
    }

    #[test]
    fn a_row_with_text_only_in_a_column_not_kept_is_a_row_and_its_cell_reads_back() {
        let text = "a\tb\tc\n1\t\t\n\t \tkept?\n\t\t\n";
        let format = TextFormat { delimiter: b'\t', quoting: false, style: DecimalStyle::Point };
        let t = read_decoded_columns("f.tsv", text, format, |_| true, &["a"]).unwrap();
        assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 3]);
        assert_eq!((t.text(&t.rows[0], 0), t.text(&t.rows[1], 0)), (String::from("1"), String::new()));
        assert_eq!(t.reads_outside_projection(), 0);
        assert_eq!(t.text(&t.rows[1], 2), "kept?");
        assert_eq!(t.reads_outside_projection(), 1, "read from its line, not the arena");
    }

    proptest! {
        #[test]
        fn a_file_without_quotes_splits_in_place_as_the_csv_crate_splits_it(
            body in proptest::collection::vec(prop_oneof![Just("a"), Just("h"), Just("1,5"), Just(" "), Just(";"), Just("\n"), Just("\r"), Just("\r\n"), Just("é")], 0..60)
        ) {
            let text = body.concat();
            prop_assert_eq!(read_with(&text, Splitter::InPlace), read_with(&text, Splitter::Quoted));
        }

        #[test]
        fn a_table_keeping_some_columns_reads_every_cell_and_row_as_the_whole_table(
            body in proptest::collection::vec(prop_oneof![Just("a"), Just("h1"), Just(" "), Just("\u{a0}"), Just("\t"), Just("\n"), Just("\r\n"), Just("é"), Just("x y")], 0..80),
            keep in proptest::collection::vec(any::<bool>(), 3),
            cut in any::<bool>(),
        ) {
            let mut text = format!("h0\th1\th2\n{}", body.concat());
            if !cut {
                text.push('\n');
            }
            let names: Vec<&str> = ["h0", "H1 ", "h2"].into_iter().zip(&keep).filter(|(_, k)| **k).map(|(n, _)| n).collect();
            let format = TextFormat { delimiter: b'\t', quoting: false, style: DecimalStyle::Point };
            let plain = |t: &Table<'_>| -> Plain {
                let rows = t.rows.iter().map(|r| (r.number, (0..6).map(|c| t.text(r, c)).collect())).collect();
                (t.header_number, t.headers.clone(), rows)
            };
            let whole = read_decoded("f.tsv", &text, format, |_| true).map(|t| plain(&t)).map_err(|e| e.to_string());
            let projected = read_decoded_columns("f.tsv", &text, format, |_| true, &names).map(|t| {
                assert!(t.is_projected());
                plain(&t)
            });
            prop_assert_eq!(projected.map_err(|e| e.to_string()), whole);
        }

        #[test]
        fn delimiters_are_found_where_a_byte_loop_finds_them(line in proptest::collection::vec(prop_oneof![Just(b';'), Just(0u8), Just(0x7Fu8), Just(0x80u8), Just(0xBBu8), Just(b'a'), Just(0xFFu8)], 0..40), delimiter in prop_oneof![Just(b';'), Just(b'\t'), Just(0u8), Just(0xBBu8)]) {
            let expected: Vec<usize> = line.iter().enumerate().filter(|(_, b)| **b == delimiter).map(|(i, _)| i).collect();
            prop_assert_eq!(Delimiters::new(&line, delimiter).collect::<Vec<_>>(), expected);
        }

        #[test]
        #[test]
        fn an_unquoted_file_splits_into_the_lines_and_cells_a_reader_sees(
            body in proptest::collection::vec(prop_oneof![Just("a"), Just("bc"), Just(" "), Just("\t"), Just("\n"), Just("\r"), Just("\r\n")], 0..60)
        ) {
            let text = format!("h1\th2\n{}\n", body.concat());
            let format = TextFormat { delimiter: b'\t', quoting: false, style: DecimalStyle::Point };
            let table = read_text("f.tsv", text.as_bytes(), format, |_| true).unwrap();
            let expected = records_by_hand(&text);
            prop_assert_eq!(table.header_number, expected[0].0);
            prop_assert_eq!(table.rows.len(), expected.len() - 1);
            for (row, (line, cells)) in table.rows.iter().zip(&expected[1..]) {
                prop_assert_eq!(row.number, *line);
                for (i, cell) in cells.iter().enumerate() {
                    prop_assert_eq!(&table.text(row, i), cell, "line {} cell {}", line, i);
                }
                prop_assert!(table.text(row, cells.len()).is_empty());
            }
        }
    }
}
