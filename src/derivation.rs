//! Figures of a statement derived from other printed figures: the totals,
//! the service fees and their lines, the commission base and the
//! pass-through total. Each is shown as the arithmetic the statement
//! states, every part with the reference to explain next (down to the
//! KPIs and pass-through lines `crate::explain` walks to rows), and checked
//! where the arithmetic is exact (sums, and a rate times a base rounded as
//! the fees are).

use rust_decimal::Decimal;

use crate::fees::FeeLineKind;
use crate::statement::Statement;

/// One part of a derivation: what it is, its value, its sign in the sum
/// (or `None` for a factor), and the figure to explain for more.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub label: String,
    pub value: Decimal,
    pub reference: Option<String>,
}

/// A derived figure: how the statement makes it from its parts, the value
/// that makes and the value it prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Derivation {
    pub figure: String,
    pub formula: String,
    pub parts: Vec<Part>,
    pub value: Decimal,
    pub printed: Decimal,
    /// False when the value is taken as printed (set by the contract, or
    /// converted at a quote this does not re-derive): nothing to check.
    pub checked: bool,
}

impl Derivation {
    pub fn agrees(&self) -> bool {
        !self.checked || self.value == self.printed
    }
}

fn part(label: impl Into<String>, value: Decimal, reference: Option<String>) -> Part {
    Part { label: label.into(), value, reference }
}

/// The reference `kpiseal explain` takes for service-fee line `index`
/// (0-based, as statement.json lists it), as the statement prints it.
pub fn fee_line_reference(index: usize) -> String {
    format!("service_fees.lines[{index}]")
}

/// The derivation of `figure`, or `None` when it is not a derived figure
/// (then it is a KPI, market field or pass-through line: `crate::explain`).
///
/// # Errors
/// A derived figure's name with an index the statement does not have.
pub fn derive(s: &Statement, figure: &str) -> Option<Result<Derivation, String>> {
    let fees = &s.service_fees;
    let minor = fees.currency.minor_digits();
    let round = |d: Decimal| fees.rounding.round_dp(d, minor);
    let sum = |parts: &[Part]| parts.iter().map(|p| p.value).sum::<Decimal>();
    let indexed = |prefix: &str| figure.strip_prefix(prefix).and_then(|r| r.strip_suffix(']')).map(str::parse::<usize>);
    let made = |formula: String, parts: Vec<Part>, printed: Decimal| {
        let value = sum(&parts);
        Derivation { figure: figure.to_string(), formula, parts, value, printed, checked: true }
    };
    let derivation = match figure {
        "totals.amount_due" => {
            let t = &s.totals;
            let parts = vec![
                part("service fees", t.service_fees, Some("service_fees.subtotal".into())),
                part("tax on them", t.tax, Some("service_fees.tax".into())),
                part("pass-through costs", t.pass_through, Some("pass_through.total".into())),
            ];
            let converted = t.conversion.as_ref().map_or(String::new(), |c| {
                format!(" (service fees and tax converted {}→{}: {})", c.from.code(), c.to.code(), c.description)
            });
            Ok(made(
                format!("service fees + tax + pass-through, in {}{converted}", t.currency.code()),
                parts,
                t.amount_due,
            ))
        }
        "service_fees.subtotal" => {
            let parts = fees
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| part(l.description.clone(), l.amount, Some(fee_line_reference(i))))
                .collect();
            Ok(made("the sum of the service-fee lines".into(), parts, fees.subtotal))
        }
        "service_fees.tax" => {
            let value = round(fees.subtotal * fees.tax_rate);
            let parts = vec![
                part("service fees", fees.subtotal, Some("service_fees.subtotal".into())),
                part("tax rate (contract)", fees.tax_rate, None),
            ];
            let formula = format!("subtotal × tax rate, rounded {} to {minor} places", fees.rounding.id());
            Ok(Derivation { figure: figure.into(), formula, parts, value, printed: fees.tax, checked: true })
        }
        "service_fees.commission" => {
            let parts = fees
                .lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.kind == FeeLineKind::Commission)
                .map(|(i, l)| part(l.description.clone(), l.amount, Some(fee_line_reference(i))))
                .collect();
            Ok(made(
                "the sum of the commission lines (what bonuses and penalties take a share of)".into(),
                parts,
                fees.commission,
            ))
        }
        "service_fees.total" => {
            let parts = vec![
                part("service fees", fees.subtotal, Some("service_fees.subtotal".into())),
                part("tax", fees.tax, Some("service_fees.tax".into())),
            ];
            Ok(made("subtotal + tax".into(), parts, fees.total))
        }
        "commission_base.total" => {
            let b = &s.commission_base;
            let parts = b
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    part(
                        format!("{} GMV in {}", l.market.id(), b.currency.code()),
                        l.converted,
                        Some(format!("commission_base.lines[{i}]")),
                    )
                })
                .collect();
            Ok(made("the sum of each market's GMV, converted".into(), parts, b.total))
        }
        "pass_through.total" => {
            let p = &s.pass_through;
            let parts = p
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    part(
                        format!("{} {} in {}", l.vendor, l.invoice_no, p.currency.code()),
                        l.converted,
                        Some(format!("pass_through.lines[{i}].converted")),
                    )
                })
                .collect();
            Ok(made("the sum of the pass-through lines, converted".into(), parts, p.total))
        }
        _ if figure.starts_with("pass_through.lines[") && figure.ends_with("].converted") => {
            let index = figure.strip_prefix("pass_through.lines[").and_then(|r| r.strip_suffix("].converted"));
            let i = index.and_then(|i| i.parse::<usize>().ok())?;
            let p = &s.pass_through;
            let Some(l) = p.lines.get(i) else {
                return Some(Err(format!("{figure}: the statement has {} pass-through lines", p.lines.len())));
            };
            let parts = vec![
                part(
                    format!("{} {} in {}", l.vendor, l.invoice_no, l.currency.code()),
                    l.amount,
                    Some(format!("pass_through.lines[{i}]")),
                ),
                part(
                    format!("rate {}→{} ({} {})", l.currency.code(), p.currency.code(), l.fx_date, l.fx_source),
                    l.fx_rate,
                    None,
                ),
            ];
            let formula =
                "the cost converted at the statement's quote (its fx legs, rounded as the fees are)".to_string();
            match crate::explain::converted_from(s, l.currency, l.amount, p.currency) {
                Ok(value) => {
                    Ok(Derivation { figure: figure.into(), formula, parts, value, printed: l.converted, checked: true })
                }
                Err(e) => Err(format!("{figure}: {e}")),
            }
        }
        _ => match (indexed("commission_base.lines["), indexed("service_fees.lines[")) {
            (Some(i), _) => {
                let i = i.ok()?;
                let Some(l) = s.commission_base.lines.get(i) else {
                    return Some(Err(format!(
                        "{figure}: the statement has {} commission base lines",
                        s.commission_base.lines.len()
                    )));
                };
                let parts = vec![
                    part(
                        format!("{} GMV in {}", l.market.id(), l.currency.code()),
                        l.gmv,
                        Some(format!("kpis.gmv.{}", l.market.id())),
                    ),
                    part(format!("rate {}→{}", l.currency.code(), s.commission_base.currency.code()), l.fx_rate, None),
                ];
                let formula =
                    "GMV converted at the statement's quote (its fx legs, rounded as the fees are)".to_string();
                match crate::explain::converted(s, l.market.id(), l.gmv, s.commission_base.currency) {
                    Ok(value) => Ok(Derivation {
                        figure: figure.into(),
                        formula,
                        parts,
                        value,
                        printed: l.converted,
                        checked: true,
                    }),
                    Err(e) => Err(format!("{figure}: {e}")),
                }
            }
            (_, Some(i)) => {
                let i = i.ok()?;
                let Some(l) = fees.lines.get(i) else {
                    return Some(Err(format!("{figure}: the statement has {} service-fee lines", fees.lines.len())));
                };
                Ok(fee_line(figure, l, fees))
            }
            _ => return None,
        },
    };
    Some(derivation)
}

/// A service-fee line: a rate times its base (checked, rounded as the fees
/// are; a penalty negative), or an amount the contract sets.
fn fee_line(figure: &str, l: &crate::fees::FeeLine, fees: &crate::fees::ServiceFees) -> Derivation {
    let minor = fees.currency.minor_digits();
    let base_reference = match l.kind {
        FeeLineKind::Commission => Some("commission_base.total".to_string()),
        FeeLineKind::Bonus | FeeLineKind::Penalty => Some("service_fees.commission".to_string()),
        FeeLineKind::HandlingMarkup => Some("pass_through.total".to_string()),
        _ => None,
    };
    let mut parts = Vec::new();
    if let Some(t) = &l.trigger {
        let label = format!("triggered: {} {} {} {}", t.kpi.id(), t.value, t.op.symbol(), t.threshold);
        // An overall KPI combines its markets': explain each of them.
        let markets: Vec<crate::market::Market> = t.market.map_or_else(|| t.covers.clone(), |m| vec![m]);
        let reference = (!markets.is_empty())
            .then(|| markets.iter().map(|m| format!("kpis.{}.{}", t.kpi.id(), m.id())).collect::<Vec<_>>().join(", "));
        parts.push(part(label, t.value, reference));
    }
    match (l.base, l.rate) {
        (Some(base), Some(rate)) => {
            parts.push(part("base", base, base_reference));
            parts.push(part("rate (contract)", rate, None));
            let magnitude = fees.rounding.round_dp(base * rate, minor);
            let value = if l.kind == FeeLineKind::Penalty { -magnitude } else { magnitude };
            let formula = format!("{}: base × rate, rounded {} to {minor} places", l.description, fees.rounding.id());
            Derivation { figure: figure.into(), formula, parts, value, printed: l.amount, checked: true }
        }
        _ => {
            if let Some(base) = l.base {
                parts.push(part("base", base, base_reference));
            }
            let formula = format!("{}: set by the contract", l.description);
            Derivation { figure: figure.into(), formula, parts, value: l.amount, printed: l.amount, checked: false }
        }
    }
}

/// The derivation as text: the formula, each part with the figure to
/// explain next, then the value beside the printed one.
pub fn to_text(d: &Derivation) -> String {
    let mut out = format!("{} = {}\n\n", d.figure, d.formula);
    for p in &d.parts {
        let next = p.reference.as_ref().map_or(String::new(), |r| format!("  (explain {r})"));
        out.push_str(&format!("  {:>16}  {}{next}\n", p.value.to_string(), p.label));
    }
    out.push_str(&match (d.checked, d.agrees()) {
        (false, _) => format!("\nvalue {} as printed\n", d.printed),
        (true, true) => format!("\nvalue {}: the statement prints {}, the same\n", d.value, d.printed),
        (true, false) => format!("\nvalue {}: the statement prints {}: THEY DIFFER\n", d.value, d.printed),
    });
    out
}

/// Every derived figure of `s`: the totals, the service fees with each
/// line, the commission base total and the pass-through total.
pub fn all(s: &Statement) -> Vec<Derivation> {
    let mut names: Vec<String> = [
        "totals.amount_due",
        "service_fees.subtotal",
        "service_fees.commission",
        "service_fees.tax",
        "service_fees.total",
        "commission_base.total",
        "pass_through.total",
    ]
    .map(String::from)
    .to_vec();
    names.extend((0..s.service_fees.lines.len()).map(|i| format!("service_fees.lines[{i}]")));
    names.extend((0..s.commission_base.lines.len()).map(|i| format!("commission_base.lines[{i}]")));
    names.extend((0..s.pass_through.lines.len()).map(|i| format!("pass_through.lines[{i}].converted")));
    names.iter().filter_map(|n| derive(s, n)).filter_map(Result::ok).collect()
}
