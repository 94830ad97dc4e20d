//! Everything that can stop one seller's statement, from every layer: the
//! statement's computation ([`Error`]: inputs, contract, FX, I/O, key), then
//! rendering, sealing and the lifecycle rules, each with its own error type
//! in its own module. This enum sits above all of them, so imports point
//! only down: `error` knows nothing of the layers that use it.

use crate::error::Error;
use crate::lifecycle::LifecycleError;
use crate::render::RenderError;
use crate::sealing::SealingError;

/// Why one seller's statement was not written. Its message is the one the
/// batch summary, the log and `kpiseal run` print for that seller.
#[derive(Debug, thiserror::Error)]
pub enum SellerError {
    /// The statement could not be built from the inputs (or its files not written).
    #[error(transparent)]
    Statement(#[from] Error),
    /// The statement could not be printed (e.g. a character the font lacks).
    #[error("statement.pdf: {0}")]
    Render(#[from] RenderError),
    /// The statement could not be sealed (signed, its manifest signed, bagged).
    #[error(transparent)]
    Seal(#[from] SealingError),
    /// The statement lifecycle forbids this (re)issue, e.g. over a different
    /// final statement without --supersede.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_error_names_the_pdf_and_the_others_print_as_they_are() {
        let input = Error::config("contracts/acme.toml", "fees.commission", "must be at most 1");
        assert_eq!(SellerError::from(input).to_string(), "contracts/acme.toml: fees.commission: must be at most 1");
        let lifecycle = LifecycleError::Unregistered {
            number: "ACME-2026-10-acme".into(),
            folder: "out/2026-10/acme".into(),
            manifest_sha256: "ab".into(),
        };
        assert_eq!(SellerError::from(lifecycle.clone()).to_string(), lifecycle.to_string());
    }
}
