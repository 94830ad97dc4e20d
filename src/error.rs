//! Errors a user can cause in building a statement, each naming where in
//! which file and what was expected: the inputs, the contract and the
//! configuration, FX, reconciliation, I/O and the signing key.
//!
//! This is the bottom layer: it imports nothing of kpiseal's. Rendering,
//! sealing and the statement lifecycle, which sit above the modules that
//! return [`Error`], keep their own error types in their layers
//! (`render::RenderError`, `sealing::SealingError`,
//! `lifecycle::LifecycleError`), and `seller_error::SellerError` wraps all
//! of them for one seller's run.

use std::fmt;
use std::path::PathBuf;

/// Where in an input file a problem sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole (e.g. an unrecognised format).
    File,
    /// A 1-based line of a text file.
    Line(usize),
    /// A 1-based row of a spreadsheet's sheet.
    Row { sheet: String, row: usize },
}

/// A problem with one input file: its path (relative to the workspace), the
/// line or row, the column, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    pub file: String,
    pub location: Location,
    pub column: Option<String>,
    pub message: String,
}

impl InputError {
    /// An error about the file as a whole.
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError { file: file.into(), location: Location::File, column: None, message: message.into() }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::File => write!(f, "{}", self.file)?,
            Location::Line(n) => write!(f, "{}:{n}", self.file)?,
            Location::Row { sheet, row } => write!(f, "{} [sheet {sheet:?}] row {row}", self.file)?,
        }
        if let Some(column) = &self.column {
            write!(f, ": column {column:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything that can stop building one seller's statement (see
/// `seller_error::SellerError` for what can stop it after that).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] InputError),
    /// A contract or configuration value that does not make sense, named by its key path.
    #[error("{file}: {key}: {message}")]
    Config { file: String, key: String, message: String },
    /// An exchange rate the statement needs is not in the FX table.
    #[error("{0}")]
    Fx(String),
    /// A reconciliation check failed and `--strict` was given.
    #[error("reconciliation failed: {0}")]
    Reconciliation(String),
    /// A failure that no input should cause (e.g. inside polars), reported
    /// for the seller instead of a panic.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The signing key or certificate cannot be used (the error names the file).
    #[error(transparent)]
    Key(#[from] kpiseal_seal::keys::KeyError),
    /// The inputs break one or more of the checks that keep a statement from
    /// being silently wrong (`crate::notes`): every problem found, in order.
    #[error("{}", refusals_text(.0))]
    Refused(Vec<Error>),
}

/// Refusals as one text: a single one as is, several as `N problems: a; b`.
fn refusals_text(all: &[Error]) -> String {
    match all {
        [one] => one.to_string(),
        _ => format!("{} problems: {}", all.len(), all.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
    }
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// Every problem this error stands for, one message each: the refusals
    /// of [`Error::Refused`] (flattened), or the error itself.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Error::Refused(all) => all.iter().flat_map(Error::problems).collect(),
            other => vec![other.to_string()],
        }
    }

    /// A configuration error at `key` of `file`.
    pub fn config(file: impl Into<String>, key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config { file: file.into(), key: key.into(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_error_names_file_line_column_and_expectation() {
        let e = InputError {
            file: "exports/2026-10/acme/settlement.txt".into(),
            location: Location::Line(1042),
            column: Some("amount".into()),
            message: "\"12,34.5\" is not a number".into(),
        };
        assert_eq!(
            e.to_string(),
            "exports/2026-10/acme/settlement.txt:1042: column \"amount\": \"12,34.5\" is not a number"
        );
    }

    #[test]
    fn spreadsheet_errors_name_sheet_and_row() {
        let e = InputError {
            file: "vendas.xlsx".into(),
            location: Location::Row { sheet: "Vendas BR".into(), row: 7 },
            column: Some("Unidades".into()),
            message: "expected a whole number".into(),
        };
        assert_eq!(
            e.to_string(),
            "vendas.xlsx [sheet \"Vendas BR\"] row 7: column \"Unidades\": expected a whole number"
        );
    }
}
