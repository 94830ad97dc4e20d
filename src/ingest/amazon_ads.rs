//! Amazon Sponsored Products advertised-product report (CSV or XLSX). Being written.
use super::table::Table;
use super::{IngestContext, ParsedExport};
use crate::error::InputError;

pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["Campaign Name", "Spend"])
}

pub fn parse(_t: &Table, _ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    Err(InputError::file(&_t.file, "Sponsored Products reports are not read yet"))
}
