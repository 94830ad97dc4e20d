//! An XLSX sheet read into a [`Table`]: cells typed as the sheet stores
//! them, the workbook's declared sizes checked before anything is inflated.

use std::borrow::Cow;
use std::io::Cursor;
use std::str::FromStr;

use calamine::{Data, Reader, Sheets};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::error::{InputError, Location};
use crate::money::{DecimalStyle, decimal_from_xlsx_float};

use super::{Arena, Table, TooMuchText};

/// The most one part of a workbook (a sheet, its shared strings) may unpack
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
    pub fn read(&mut self, sheet: &str, is_header: impl Fn(&[String]) -> bool) -> Result<Table<'static>, InputError> {
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
) -> Result<Table<'static>, InputError> {
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
) -> Result<Table<'static>, InputError> {
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
            let texts = arena.header_names_since(start, "");
            arena.discard(start);
            if is_header(&texts) {
                header = Some((number, texts));
            }
            continue;
        }
        rows.push(arena.finish(number, start, 0..0));
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
        source: Cow::Borrowed(""),
        arena,
        projection: None,
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
    let too_much = |_: TooMuchText| bad(TooMuchText::message());
    match data {
        Data::Empty => arena.push_blanks(1),
        Data::String(s) | Data::DurationIso(s) => arena.push_text(s).map_err(too_much)?,
        Data::Int(i) => arena.push_number(Decimal::from(*i)).map_err(too_much)?,
        Data::Float(f) => {
            let number = decimal_from_xlsx_float(*f).ok_or_else(|| bad(format!("unreadable number {f}")))?;
            arena.push_number(number).map_err(too_much)?;
        }
        Data::Bool(b) => arena.push_text(if *b { "TRUE" } else { "FALSE" }).map_err(too_much)?,
        Data::DateTime(dt) => {
            let datetime = dt.as_datetime().ok_or_else(|| bad("unreadable date cell".to_string()))?;
            arena.push_datetime(datetime).map_err(too_much)?;
        }
        Data::DateTimeIso(s) => match NaiveDateTime::from_str(s) {
            Ok(dt) => arena.push_datetime(dt).map_err(too_much)?,
            Err(_) => arena.push_text(s).map_err(too_much)?,
        },
        Data::Error(e) => return Err(bad(format!("the cell holds the spreadsheet error {e:?}"))),
    }
    Ok(())
}
