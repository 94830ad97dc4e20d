//! The contract's `fx.source`: whose published rates a statement may convert
//! with.
//!
//! `fx.source` is free text naming the agreed publisher(s), e.g.
//! `"PBoC central parity / BCB PTAX"`. A rate the statement uses is agreed
//! when its source (the FX table's `source` column, or `BCB PTAX` for a PTAX
//! file) appears in that text, ignoring case and surrounding spaces. A rate
//! from any other publisher is a data note on the statement naming the rate,
//! its date and its source: the source column of an FX file is free text
//! (`PBOC`, `中国人民银行`, `Banco Central do Brasil`), so a spelling the
//! contract does not use is shown to the reader rather than refusing a
//! month end over a label.

use crate::contract::Contract;
use crate::fx::FxQuote;
use crate::notes::NoteKind;

/// Whether the contract's `fx.source` text names `source`.
pub fn is_agreed(contract: &Contract, source: &str) -> bool {
    let wanted = source.trim().to_lowercase();
    !wanted.is_empty() && contract.fx.source.to_lowercase().contains(&wanted)
}

/// The data note for the rates among `quotes` whose source the contract's
/// `fx.source` does not name (each as pair, rate, date and source), or
/// `None` when every rate's source is named.
pub fn note<'a>(contract: &Contract, quotes: impl IntoIterator<Item = &'a FxQuote>) -> Option<NoteKind> {
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
        return None;
    }
    Some(NoteKind::FxSourceNotNamed { agreed: contract.fx.source.clone(), rates: strangers })
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
