//! Amazon settlement report. Being written.
use super::table::Table;
use super::{Format, IngestContext, ParsedExport};
use crate::error::InputError;

pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["settlement-id"])
}

pub fn layout(_t: &Table) -> Format {
    Format::AmazonSettlementV2
}

pub fn parse(_t: &Table, _ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    Err(InputError::file(&_t.file, "not read yet"))
}
