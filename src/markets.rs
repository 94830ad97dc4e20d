//! Which exports each market of a seller's contract needs for the period,
//! and what a missing one comes to.
//!
//! - Every market of `contract.markets` needs its **sales export** (Amazon
//!   settlement report, Mercado Livre Vendas export): without it the
//!   market's GMV is not in the commission base and the overall KPIs leave
//!   it out.
//! - Amazon also needs its **Sponsored Products report** when the contract
//!   sets a target or a fee rule on an ads KPI (`ad_spend`, `acos`, `roas`,
//!   `tacos`) of `amazon_us` or of the overall figure: without it that
//!   target reads "no data" and that rule never applies, whatever the
//!   seller's ads did. Mercado Livre's Product Ads reports are not read, so
//!   no Mercado Livre ads KPI has data and none is required (the scorecard
//!   says so on each).
//!
//! A required export that is missing refuses the statement, naming the
//! folder it belongs in and what to do; unless `--allow-missing MARKET` or
//! the contract's `contract.allow_missing` names the market, when the
//! statement is issued with a choice note saying "no data for …" and which
//! of the two allowed it. An export that is there but cannot be read is
//! refused by its own error, not reported missing.

use std::collections::BTreeSet;

use crate::contract::Contract;
use crate::error::{Error, InputError};
use crate::kpi_id::KpiId;
use crate::market::Market;
use crate::notes::{Findings, NoteKind};

/// The kinds of export a market may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Export {
    /// Amazon settlement report or Mercado Livre Vendas export.
    Sales,
    /// Amazon Sponsored Products report.
    Ads,
}

/// One export a contract needs, and the contract key that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    pub market: Market,
    pub export: Export,
    /// `contract.markets`, or the first target or rule that needs an ads
    /// report, e.g. `fees.rules[0] (roas)`.
    pub needed_by: String,
}

/// Whether `id` is computed from the ads report.
fn is_ads_kpi(id: KpiId) -> bool {
    matches!(id, KpiId::AdSpend | KpiId::Acos | KpiId::Roas | KpiId::Tacos)
}

/// Every export `contract` needs each period, markets in contract order,
/// the sales export before the ads report.
pub fn required(contract: &Contract) -> Vec<Required> {
    let mut out = Vec::new();
    for &market in &contract.contract.markets {
        out.push(Required { market, export: Export::Sales, needed_by: "contract.markets".to_string() });
        if market != Market::AmazonUs {
            continue;
        }
        // A target or rule on the overall figure or on Amazon's own.
        let reads_amazon = |m: Option<Market>| m.is_none_or(|m| m == market);
        let target = contract
            .kpi
            .targets
            .iter()
            .enumerate()
            .find(|(_, t)| is_ads_kpi(t.kpi) && reads_amazon(t.market))
            .map(|(i, t)| format!("kpi.targets[{i}] ({})", t.kpi));
        let rule = contract
            .fees
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| is_ads_kpi(r.kpi) && reads_amazon(r.market))
            .map(|(i, r)| format!("fees.rules[{i}] ({})", r.kpi));
        if let Some(needed_by) = rule.or(target) {
            out.push(Required { market, export: Export::Ads, needed_by });
        }
    }
    out
}

/// Checks that every export the seller's contract needs was given for the
/// period: `given(market, export)` says whether one was read. Each missing
/// one is refused in `findings` (naming `folder`, the seller's exports
/// folder for the period, and what to do) unless `allowed` (the
/// `--allow-missing` markets) or `contract.allow_missing` names its
/// market; then a choice note says there is no data for it and which
/// allowed it. `contract_file` names the contract in messages.
///
/// # Errors
/// An internal error when a note's English text is missing from the
/// templates.
pub fn check_exports(
    contract: &Contract,
    contract_file: &str,
    folder: &str,
    given: impl Fn(Market, Export) -> bool,
    allowed: &BTreeSet<Market>,
    findings: &mut Findings,
) -> Result<(), Error> {
    for r in required(contract) {
        if given(r.market, r.export) {
            continue;
        }
        let m = r.market.id();
        let allowed_by = if allowed.contains(&r.market) {
            Some(format!("--allow-missing {m}"))
        } else if contract.contract.allow_missing.contains(&r.market) {
            Some(format!("{contract_file} contract.allow_missing"))
        } else {
            None
        };
        match (allowed_by, r.export) {
            (Some(allowed_by), Export::Sales) => findings
                .note(NoteKind::MarketSalesMissing { market: m.to_string(), allowed_by }, vec![folder.to_string()])?,
            (Some(allowed_by), Export::Ads) => findings.note(
                NoteKind::MarketAdsMissing { market: m.to_string(), needed_by: r.needed_by, allowed_by },
                vec![folder.to_string()],
            )?,
            (None, export) => {
                let (what, why, had_none) = match (export, r.market) {
                    (Export::Sales, Market::AmazonUs) => (
                        "no Amazon settlement report",
                        format!("a market of contract {} ({contract_file} contract.markets)", contract.contract.id),
                        "had no sales there",
                    ),
                    (Export::Sales, Market::MercadoLivreBr) => (
                        "no Mercado Livre Vendas export",
                        format!("a market of contract {} ({contract_file} contract.markets)", contract.contract.id),
                        "had no sales there",
                    ),
                    (Export::Ads, _) => (
                        "no Sponsored Products report",
                        format!("which {contract_file} {} reads", r.needed_by),
                        "ran no ads there",
                    ),
                };
                findings.refuse(InputError::file(
                    folder,
                    format!(
                        "{what} for {m}, {why}: add the period's export to this folder, or, if the seller {had_none} \
                         this period, run with --allow-missing {m} (or list {m} in contract.allow_missing) to issue \
                         the statement saying there is no data for it"
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> Contract {
        Contract::parse("c.toml", include_str!("../fixtures/contracts/domain-example.toml")).unwrap()
    }

    fn check(c: &Contract, given: &[(Market, Export)], allowed: &[Market]) -> (Vec<String>, Vec<String>) {
        let mut findings = Findings::default();
        let allowed: BTreeSet<Market> = allowed.iter().copied().collect();
        check_exports(
            c,
            "contracts/acme.toml",
            "exports/2026-10/acme",
            |m, e| given.contains(&(m, e)),
            &allowed,
            &mut findings,
        )
        .unwrap();
        let errors = match findings.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.problems(),
        };
        (errors, findings.into_notes().into_iter().map(|n| n.line()).collect())
    }

    #[test]
    fn every_market_needs_its_sales_export_and_amazon_its_ads_report_for_a_roas_rule() {
        let r = required(&contract());
        let needs: Vec<(Market, Export, &str)> = r.iter().map(|r| (r.market, r.export, r.needed_by.as_str())).collect();
        assert_eq!(
            needs,
            vec![
                (Market::AmazonUs, Export::Sales, "contract.markets"),
                (Market::AmazonUs, Export::Ads, "fees.rules[0] (roas)"),
                (Market::MercadoLivreBr, Export::Sales, "contract.markets"),
            ]
        );
    }

    #[test]
    fn without_an_ads_target_or_rule_the_ads_report_is_optional() {
        let mut c = contract();
        c.fees.rules.retain(|r| !is_ads_kpi(r.kpi));
        c.kpi.targets.retain(|t| !is_ads_kpi(t.kpi));
        assert!(required(&c).iter().all(|r| r.export == Export::Sales));
        // A rule on Mercado Livre's ROAS (whose reports are not read) needs nothing either.
        let mut c = contract();
        for r in &mut c.fees.rules {
            r.market = Some(Market::MercadoLivreBr);
        }
        c.kpi.targets.retain(|t| !is_ads_kpi(t.kpi));
        assert!(required(&c).iter().all(|r| r.export == Export::Sales));
    }

    #[test]
    fn a_missing_sales_export_is_refused_naming_the_folder_and_the_way_out() {
        let (errors, notes) =
            check(&contract(), &[(Market::AmazonUs, Export::Sales), (Market::AmazonUs, Export::Ads)], &[]);
        assert_eq!(
            errors,
            vec![
                "exports/2026-10/acme: no Mercado Livre Vendas export for mercadolivre_br, a market of contract \
                 LX-2026-017 (contracts/acme.toml contract.markets): add the period's export to this folder, or, if \
                 the seller had no sales there this period, run with --allow-missing mercadolivre_br (or list \
                 mercadolivre_br in contract.allow_missing) to issue the statement saying there is no data for it"
            ]
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn allowed_missing_markets_are_a_printed_choice_naming_what_allowed_them() {
        let given = [(Market::AmazonUs, Export::Sales)];
        let (errors, notes) = check(&contract(), &given, &[Market::MercadoLivreBr, Market::AmazonUs]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(
            notes[0].contains("--allow-missing amazon_us") && notes[0].contains("fees.rules[0] (roas)"),
            "{notes:?}"
        );
        assert!(notes[1].contains("--allow-missing mercadolivre_br"), "{notes:?}");
        let mut c = contract();
        c.contract.allow_missing = vec![Market::MercadoLivreBr];
        let (errors, notes) = check(&c, &[(Market::AmazonUs, Export::Sales), (Market::AmazonUs, Export::Ads)], &[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("contracts/acme.toml contract.allow_missing"), "{notes:?}");
    }

    #[test]
    fn a_missing_ads_report_is_refused_naming_the_rule_that_reads_it() {
        let (errors, _) =
            check(&contract(), &[(Market::AmazonUs, Export::Sales), (Market::MercadoLivreBr, Export::Sales)], &[]);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with(
                "exports/2026-10/acme: no Sponsored Products report for amazon_us, which contracts/acme.toml \
                 fees.rules[0] (roas) reads: add the period's export to this folder, or, if the seller ran no ads"
            ),
            "{errors:?}"
        );
    }
}
