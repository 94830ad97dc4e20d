//! Mercado Livre "Vendas" export. Being written.
use super::table::Table;
use super::{IngestContext, ParsedExport};
use crate::error::InputError;

pub fn is_header(headers: &[String]) -> bool {
    headers.iter().any(|h| h.trim() == "N.º de venda")
}

pub fn parse(_t: &Table, _ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    Err(InputError::file(&_t.file, "Mercado Livre exports are not read yet"))
}
