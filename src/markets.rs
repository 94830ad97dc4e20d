//! Which exports each market of a seller's contract needs for the period,
//! and what a missing one comes to.
//!
//! - Every market of `contract.markets` needs its **sales export** (Amazon
//!   settlement report, Mercado Livre Vendas export): without it the
//!   market's GMV is not in the commission base and the overall KPIs leave
//!   it out.
//! - A market also needs each **other report** a target or a fee rule of
//!   the contract reads (on that market's KPI or on the overall figure),
//!   when kpiseal reads such a report for the market: Amazon's Sponsored
//!   Products report for `ad_spend`, `acos`, `roas`, `tacos`; its returns
//!   report for `return_rate`; its seller Feedback report for
//!   `negative_feedback_rate`; its All Orders report for `cancel_rate`;
//!   its Business Report for `conversion_rate`; its Inventory Ledger for
//!   `inventory_turnover_days`. Without it that target reads "no data" and
//!   that rule never applies, whatever the seller's month was. Mercado
//!   Livre's Vendas export is also its orders export, and its returns
//!   export when it has its Devoluções columns; reports kpiseal does not
//!   read for a market (Mercado Livre feedback, visits, stock) are not
//!   required: the scorecard says why each such KPI has no data.
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
use crate::ingest::Format;
use crate::kpi::{DataKind, data_kinds};
use crate::market::{Market, Marketplace};
use crate::notes::{Findings, NoteKind};

/// One export a contract needs, and the contract key that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    pub market: Market,
    pub export: DataKind,
    /// `contract.markets`, or the first target or rule that reads the
    /// export, e.g. `fees.rules[0] (roas)`.
    pub needed_by: String,
}

/// The report of `kind` kpiseal reads for `market`, by the name sellers
/// know it by; `None` when it reads none (or, for Mercado Livre's orders,
/// when the sales export is that report).
pub fn report_name(market: Market, kind: DataKind) -> Option<&'static str> {
    match (market.marketplace(), kind) {
        (Marketplace::Amazon, DataKind::Sales) => Some("Amazon settlement report"),
        (Marketplace::Amazon, DataKind::Ads) => Some("Sponsored Products report"),
        (Marketplace::Amazon, DataKind::Returns) => {
            Some("FBA customer returns report (or merchant-fulfilled returns report)")
        }
        (Marketplace::Amazon, DataKind::Feedback) => Some("seller Feedback report"),
        (Marketplace::Amazon, DataKind::Orders) => Some("All Orders report"),
        (Marketplace::Amazon, DataKind::Traffic) => Some("Business Report (Detail Page Sales and Traffic, by date)"),
        (Marketplace::Amazon, DataKind::Inventory) => Some("Inventory Ledger (Summary view, by day)"),
        (Marketplace::MercadoLivre, DataKind::Sales) => Some("Mercado Livre Vendas export"),
        (Marketplace::MercadoLivre, DataKind::Ads) => Some("Mercado Livre Product Ads report"),
        (Marketplace::MercadoLivre, DataKind::Returns) => {
            Some("Mercado Livre Vendas export with its Devoluções (returns) columns")
        }
        (Marketplace::MercadoLivre, _) => None,
        (Marketplace::Shopee, DataKind::Sales) => Some("Shopee order export (Order.all)"),
        (Marketplace::Shopee, _) => None,
        (Marketplace::Shopify, DataKind::Sales) => Some("Shopify orders export (orders_export)"),
        (Marketplace::Shopify, _) => None,
    }
}

/// What an export of `format` is, by the name sellers know it by, for messages.
pub fn format_name(format: Format) -> &'static str {
    match format {
        Format::AmazonSettlementV2 | Format::AmazonSettlementV1 => "an Amazon settlement report",
        Format::AmazonAdsCsv | Format::AmazonAdsXlsx => "an Amazon Sponsored Products report",
        Format::AmazonFbaReturns | Format::AmazonMfnReturns => "an Amazon returns report",
        Format::AmazonFeedback => "an Amazon seller Feedback report",
        Format::AmazonAllOrders => "an Amazon All Orders report",
        Format::AmazonBusinessReport => "an Amazon Business Report",
        Format::AmazonInventoryLedger => "an Amazon Inventory Ledger",
        Format::AmazonDateRange => "an Amazon Date Range report",
        Format::MercadolivreVendasXlsx | Format::MercadolivreVendasCsv => "a Mercado Livre Vendas export",
        Format::MercadolivreAdsXlsx => "a Mercado Livre Product Ads report",
        Format::ShopeeOrders => "a Shopee order export",
        Format::ShopifyOrders => "a Shopify orders export",
        Format::ShopifyPayments => "a Shopify Payments transactions export",
        Format::CostLedger => "a cost ledger",
        Format::FxTable | Format::FxPtax => "an FX table",
        Format::Contract => "a contract",
    }
}

/// The folder `market`'s exports go in: the seller's export folder
/// `folder` for the home market of its marketplace, else its own folder in it.
pub fn export_folder(folder: &str, market: Market) -> String {
    if Market::home_of(market.marketplace()) == Some(market) {
        folder.to_string()
    } else {
        format!("{folder}/{}", market.folder())
    }
}

/// Every export `contract` needs each period, markets in contract order,
/// the sales export first, then the others in the order of the first
/// target or rule that reads them (rules before targets).
pub fn required(contract: &Contract) -> Vec<Required> {
    let mut out = Vec::new();
    for &market in &contract.contract.markets {
        out.push(Required { market, export: DataKind::Sales, needed_by: "contract.markets".to_string() });
        // A target or rule on the overall figure or on this market's own.
        let reads = |m: Option<Market>| m.is_none_or(|m| m == market);
        let rules = contract.fees.rules.iter().enumerate().filter(|(_, r)| reads(r.market));
        let rules = rules.map(|(i, r)| (r.kpi, format!("fees.rules[{i}] ({})", r.kpi)));
        let targets = contract.kpi.targets.iter().enumerate().filter(|(_, t)| reads(t.market));
        let targets = targets.map(|(i, t)| (t.kpi, format!("kpi.targets[{i}] ({})", t.kpi)));
        for (kpi, needed_by) in rules.chain(targets) {
            for &export in data_kinds(kpi) {
                let known = out.iter().any(|r: &Required| r.market == market && r.export == export);
                if !known && report_name(market, export).is_some() {
                    out.push(Required { market, export, needed_by: needed_by.clone() });
                }
            }
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
    given: impl Fn(Market, DataKind) -> bool,
    allowed: &BTreeSet<Market>,
    findings: &mut Findings,
) -> Result<(), Error> {
    for r in required(contract) {
        if given(r.market, r.export) {
            continue;
        }
        let m = r.market.id();
        let folder = &export_folder(folder, r.market);
        let report = report_name(r.market, r.export).unwrap_or("export");
        let allowed_by = if allowed.contains(&r.market) {
            Some(format!("--allow-missing {m}"))
        } else if contract.contract.allow_missing.contains(&r.market) {
            Some(format!("{contract_file} contract.allow_missing"))
        } else {
            None
        };
        let note = match (allowed_by, r.export) {
            (None, export) => {
                let (why, had_none) = match export {
                    DataKind::Sales => (
                        format!("a market of contract {} ({contract_file} contract.markets)", contract.contract.id),
                        "had no sales there",
                    ),
                    DataKind::Ads => (format!("which {contract_file} {} reads", r.needed_by), "ran no ads there"),
                    DataKind::Returns => {
                        (format!("which {contract_file} {} reads", r.needed_by), "had no returns there")
                    }
                    DataKind::Feedback => {
                        (format!("which {contract_file} {} reads", r.needed_by), "received no feedback there")
                    }
                    DataKind::Orders => (format!("which {contract_file} {} reads", r.needed_by), "had no orders there"),
                    DataKind::Traffic => {
                        (format!("which {contract_file} {} reads", r.needed_by), "had no sessions there")
                    }
                    DataKind::Inventory => {
                        (format!("which {contract_file} {} reads", r.needed_by), "held no FBA stock there")
                    }
                };
                findings.refuse(InputError::file(
                    folder,
                    format!(
                        "no {report} for {m}, {why}: add the period's export to this folder, or, if the seller \
                         {had_none} this period, run with --allow-missing {m} (or list {m} in \
                         contract.allow_missing) to issue the statement saying there is no data for it"
                    ),
                ));
                continue;
            }
            (Some(allowed_by), DataKind::Sales) => NoteKind::MarketSalesMissing { market: m.to_string(), allowed_by },
            (Some(allowed_by), DataKind::Ads) if r.market == Market::AMAZON_US => {
                NoteKind::MarketAdsMissing { market: m.to_string(), needed_by: r.needed_by, allowed_by }
            }
            (Some(allowed_by), _) => NoteKind::MarketReportMissing {
                market: m.to_string(),
                report: report.to_string(),
                needed_by: r.needed_by,
                allowed_by,
            },
        };
        findings.note(note, vec![folder.to_string()])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi_id::KpiId;

    fn is_ads_kpi(id: KpiId) -> bool {
        data_kinds(id).contains(&DataKind::Ads)
    }

    fn contract() -> Contract {
        Contract::parse("c.toml", include_str!("../fixtures/contracts/domain-example.toml")).unwrap()
    }

    fn check(c: &Contract, given: &[(Market, DataKind)], allowed: &[Market]) -> (Vec<String>, Vec<String>) {
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
    fn every_market_needs_its_sales_export_and_its_ads_report_for_a_roas_rule() {
        let r = required(&contract());
        let needs: Vec<(Market, DataKind, &str)> =
            r.iter().map(|r| (r.market, r.export, r.needed_by.as_str())).collect();
        assert_eq!(
            needs,
            vec![
                (Market::AMAZON_US, DataKind::Sales, "contract.markets"),
                (Market::AMAZON_US, DataKind::Ads, "fees.rules[0] (roas)"),
                (Market::MERCADOLIVRE_BR, DataKind::Sales, "contract.markets"),
                (Market::MERCADOLIVRE_BR, DataKind::Ads, "fees.rules[0] (roas)"),
            ]
        );
    }

    #[test]
    fn without_an_ads_target_or_rule_the_ads_report_is_optional() {
        let mut c = contract();
        c.fees.rules.retain(|r| !is_ads_kpi(r.kpi));
        c.kpi.targets.retain(|t| !is_ads_kpi(t.kpi));
        c.kpi.targets.retain(|t| t.kpi != KpiId::CancelRate);
        assert!(required(&c).iter().all(|r| r.export == DataKind::Sales));
        // A rule on Mercado Livre's ROAS needs its Product Ads report, not Amazon's.
        let mut c = contract();
        for r in &mut c.fees.rules {
            r.market = Some(Market::MERCADOLIVRE_BR);
        }
        c.kpi.targets.retain(|t| !is_ads_kpi(t.kpi) && t.kpi != KpiId::CancelRate);
        let ads: Vec<Market> = required(&c).iter().filter(|r| r.export == DataKind::Ads).map(|r| r.market).collect();
        assert_eq!(ads, [Market::MERCADOLIVRE_BR]);
    }

    #[test]
    fn a_missing_sales_export_is_refused_naming_the_folder_and_the_way_out() {
        let (errors, notes) = check(
            &contract(),
            &[
                (Market::AMAZON_US, DataKind::Sales),
                (Market::AMAZON_US, DataKind::Ads),
                (Market::MERCADOLIVRE_BR, DataKind::Ads),
            ],
            &[],
        );
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
        let given = [(Market::AMAZON_US, DataKind::Sales)];
        let (errors, notes) = check(&contract(), &given, &[Market::MERCADOLIVRE_BR, Market::AMAZON_US]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[2].contains("no Mercado Livre Product Ads report"), "{notes:?}");
        assert!(
            notes[0].contains("--allow-missing amazon_us") && notes[0].contains("fees.rules[0] (roas)"),
            "{notes:?}"
        );
        assert!(notes[1].contains("--allow-missing mercadolivre_br"), "{notes:?}");
        let mut c = contract();
        c.contract.allow_missing = vec![Market::MERCADOLIVRE_BR];
        let given = [
            (Market::AMAZON_US, DataKind::Sales),
            (Market::AMAZON_US, DataKind::Ads),
            (Market::MERCADOLIVRE_BR, DataKind::Ads),
        ];
        let (errors, notes) = check(&c, &given, &[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("contracts/acme.toml contract.allow_missing"), "{notes:?}");
    }

    #[test]
    fn a_missing_ads_report_is_refused_naming_the_rule_that_reads_it() {
        let (errors, _) = check(
            &contract(),
            &[
                (Market::AMAZON_US, DataKind::Sales),
                (Market::MERCADOLIVRE_BR, DataKind::Sales),
                (Market::MERCADOLIVRE_BR, DataKind::Ads),
            ],
            &[],
        );
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with(
                "exports/2026-10/acme: no Sponsored Products report for amazon_us, which contracts/acme.toml \
                 fees.rules[0] (roas) reads: add the period's export to this folder, or, if the seller ran no ads"
            ),
            "{errors:?}"
        );
    }

    #[test]
    fn a_target_on_a_kpi_of_another_amazon_report_needs_that_report_and_mercado_livre_none_it_cannot_read() {
        let mut c = contract();
        let mut target = c.kpi.targets[0].clone();
        target.kpi = KpiId::CancelRate;
        target.market = None;
        c.kpi.targets.push(target);
        let needs: Vec<(Market, DataKind, String)> =
            required(&c).into_iter().map(|r| (r.market, r.export, r.needed_by)).collect();
        let n = c.kpi.targets.len() - 1;
        assert!(needs.contains(&(Market::AMAZON_US, DataKind::Orders, format!("kpi.targets[{n}] (cancel_rate)"))));
        assert!(
            !needs.iter().any(|(m, e, _)| *m == Market::MERCADOLIVRE_BR && *e == DataKind::Orders),
            "Vendas is Mercado Livre's orders export: {needs:?}"
        );
        let given = [
            (Market::AMAZON_US, DataKind::Sales),
            (Market::AMAZON_US, DataKind::Ads),
            (Market::MERCADOLIVRE_BR, DataKind::Sales),
            (Market::MERCADOLIVRE_BR, DataKind::Ads),
        ];
        let (errors, _) = check(&c, &given, &[]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with(&format!(
                "exports/2026-10/acme: no All Orders report for amazon_us, which contracts/acme.toml kpi.targets[{n}] \
                 (cancel_rate) reads: add the period's export to this folder"
            )),
            "{errors:?}"
        );
        let (errors, notes) = check(&c, &given, &[Market::AMAZON_US]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(
            notes.iter().any(|n| n.contains("All Orders report") && n.contains("--allow-missing amazon_us")),
            "{notes:?}"
        );
    }
}
