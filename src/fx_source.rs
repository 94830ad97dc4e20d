//! The contract's `fx.source`: whose published rates a statement may convert
//! with.
//!
//! `fx.source` is free text naming the agreed publisher(s), e.g.
//! `"PBoC central parity / BCB PTAX"`. A rate the statement uses is agreed
//! when its source (the FX table's `source` column, or `BCB PTAX` for a PTAX
//! file) appears in that text, ignoring case and surrounding spaces. A rate
//! from any other publisher refuses the statement: the seller agreed to be
//! billed at the named source's rates, not at whatever the FX folder holds.

use crate::contract::Contract;
use crate::error::Error;
use crate::fx::FxQuote;

/// Whether the contract's `fx.source` text names `source`.
pub fn is_agreed(contract: &Contract, source: &str) -> bool {
    let wanted = source.trim().to_lowercase();
    !wanted.is_empty() && contract.fx.source.to_lowercase().contains(&wanted)
}

/// Checks that every rate of every quote in `quotes` comes from a source the
/// contract names.
///
/// # Errors
/// [`Error::Config`] at `fx.source` of `contract_file`, listing each rate
/// (pair, date and source) from an unnamed source and what to do.
pub fn check<'a>(
    contract: &Contract,
    contract_file: &str,
    quotes: impl IntoIterator<Item = &'a FxQuote>,
) -> Result<(), Error> {
    let mut strangers: Vec<String> = Vec::new();
    for quote in quotes {
        for leg in &quote.legs {
            if !is_agreed(contract, &leg.source) {
                let rate = format!("{}/{} {} ({}, {:?})", leg.base, leg.quote, leg.rate, leg.basis, leg.source);
                if !strangers.contains(&rate) {
                    strangers.push(rate);
                }
            }
        }
    }
    if strangers.is_empty() {
        return Ok(());
    }
    Err(Error::config(
        contract_file,
        "fx.source",
        format!(
            "is {:?}, which does not name the source of the FX rate(s) the statement would use: {}; \
             put rates from the agreed source in the period's FX files, or name this source in fx.source",
            contract.fx.source,
            strangers.join("; ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../fixtures/contracts/domain-example.toml");

    #[test]
    fn a_source_named_anywhere_in_the_text_is_agreed_ignoring_case() {
        let c = Contract::parse("c.toml", EXAMPLE).unwrap();
        assert_eq!(c.fx.source, "PBoC central parity / BCB PTAX");
        assert!(is_agreed(&c, "PBoC central parity"));
        assert!(is_agreed(&c, "bcb ptax"));
        assert!(is_agreed(&c, " BCB PTAX "));
        assert!(!is_agreed(&c, "ECB reference rate"));
        assert!(!is_agreed(&c, ""));
        assert!(!is_agreed(&c, "PBoC central parity (Shanghai)"));
    }
}
