//! `kpiseal explain`: the groups of a sealed statement's provenance.csv
//! (and, given the inputs, their rows) that make one of its figures, with
//! file and lines, a subtotal per step and the value set beside the printed
//! one.
//!
//! The folder (a statement folder or its evidence bag) is verified first
//! (as `kpiseal verify` does: every signature and every output's hash), so
//! the table explained is the one the provider signed. What can be explained:
//!
//! - `pass_through.lines[N]`: the cost ledger row that is that line;
//! - `<market>.<group>.<field>`: a field of a market's figures, as the
//!   table's `feeds` name them (`amazon_us.sales.platform_fees`);
//! - `kpis.<id>.<market>` for the money KPIs made of those fields (`gmv`,
//!   `platform_fees`, `net_proceeds`, `ad_spend`), following the KPI's
//!   definition key as statement.json prints it (e.g. GMV net of refunds,
//!   excluding shipping: gross principal less refunded principal).
//!
//! Sums are exact from the groups alone. A count of distinct orders made of
//! several groups (an order may appear in two settlements) is exact only
//! from the fact rows, which re-reading the inputs gives.

use std::collections::BTreeSet;
use std::path::Path;

use kpiseal_seal::keys::PublicKey;
use kpiseal_seal::verify::{Options, PROVENANCE, Verdict, verify_path};
use rust_decimal::Decimal;

use crate::ledger::{Make, make_of};
use crate::statement::Statement;

/// The reference `kpiseal explain` takes for a KPI (`kpis.roas.amazon_us`,
/// `kpis.roas.all`), as the statement prints it beside the KPI; `None` for
/// one not computed from the inputs.
pub fn kpi_reference(k: &crate::kpi::Kpi) -> Option<String> {
    (k.id != crate::kpi_id::KpiId::LateShipmentRate).then(|| format!("kpis.{}.{}", k.id.id(), k.market.id()))
}

/// The reference `kpiseal explain` takes for pass-through line `index`
/// (0-based, as statement.json lists it), as the statement prints it.
pub fn pass_through_reference(index: usize) -> String {
    format!("pass_through.lines[{index}]")
}

/// One group of provenance.csv, as read back (see [`crate::provenance`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub file: String,
    pub market: String,
    pub record: String,
    pub kind: String,
    pub currency: String,
    pub feeds: Vec<String>,
    /// Why the facts are left out; empty for facts counted.
    pub excluded: String,
    pub rows: usize,
    pub references: usize,
    pub reference: String,
    pub dates: String,
    pub amount: Decimal,
    pub shipping: Decimal,
    pub units: i64,
    /// The line set as written (`2-5 7 9-12`).
    pub lines: String,
}

/// One fact row (see [`crate::provenance::FACT_HEADER`]), as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub file: String,
    pub line: usize,
    pub market: String,
    pub record: String,
    pub kind: String,
    pub reference: String,
    pub amount: Decimal,
    pub shipping: Decimal,
    pub units: i64,
    pub currency: String,
    pub feeds: Vec<String>,
    /// Why the fact is left out; empty for a fact counted.
    pub excluded: String,
}

/// Reads the records of `csv_bytes` after checking its header is `header`,
/// giving each record with its 1-based line.
fn records(csv_bytes: &[u8], header: &[&str], table: &str) -> Result<Vec<(usize, csv::StringRecord)>, String> {
    let mut reader = csv::Reader::from_reader(csv_bytes);
    let found = reader.headers().map_err(|e| format!("line 1: {e}"))?.clone();
    if found.iter().collect::<Vec<_>>() != header {
        return Err(format!("line 1: the header is not {table}'s: {}", found.iter().collect::<Vec<_>>().join(",")));
    }
    reader
        .records()
        .enumerate()
        .map(|(i, r)| r.map(|r| (i + 2, r)).map_err(|e| format!("line {}: {e}", i + 2)))
        .collect()
}

/// A cell read as a decimal (blank: zero), an error naming `at` otherwise.
fn decimal(text: &str, at: usize, column: &str) -> Result<Decimal, String> {
    if text.is_empty() {
        Ok(Decimal::ZERO)
    } else {
        text.parse().map_err(|e| format!("line {at}: {column} {text:?}: {e}"))
    }
}

/// A cell read as a whole number (blank: zero), an error naming `at` otherwise.
fn whole<T: std::str::FromStr + Default>(text: &str, at: usize, column: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    if text.is_empty() {
        Ok(T::default())
    } else {
        text.parse().map_err(|e| format!("line {at}: {column} {text:?}: {e}"))
    }
}

fn feeds(text: &str) -> Vec<String> {
    text.split(' ').filter(|f| !f.is_empty()).map(str::to_string).collect()
}

/// Reads provenance.csv (see [`crate::provenance`]).
///
/// # Errors
/// The line and what is wrong, for a header other than the table's or a
/// cell that does not read.
pub fn read_groups(csv_bytes: &[u8]) -> Result<Vec<Group>, String> {
    records(csv_bytes, &crate::provenance::HEADER, "provenance.csv")?
        .into_iter()
        .map(|(at, r)| {
            crate::provenance::parse_line_set(&r[14]).map_err(|e| format!("line {at}: lines: {e}"))?;
            Ok(Group {
                file: r[0].to_string(),
                market: r[1].to_string(),
                record: r[2].to_string(),
                kind: r[3].to_string(),
                currency: r[4].to_string(),
                feeds: feeds(&r[5]),
                excluded: r[6].to_string(),
                rows: whole(&r[7], at, "rows")?,
                references: whole(&r[8], at, "references")?,
                reference: r[9].to_string(),
                dates: r[10].to_string(),
                amount: decimal(&r[11], at, "amount")?,
                shipping: decimal(&r[12], at, "shipping")?,
                units: whole(&r[13], at, "units")?,
                lines: r[14].to_string(),
            })
        })
        .collect()
}

/// Reads fact rows (see [`crate::provenance::FACT_HEADER`]).
///
/// # Errors
/// The line and what is wrong, for a header other than the fact rows' or a
/// cell that does not read.
pub fn read_rows(csv_bytes: &[u8]) -> Result<Vec<Row>, String> {
    records(csv_bytes, &crate::provenance::FACT_HEADER, "the fact rows")?
        .into_iter()
        .map(|(at, r)| {
            Ok(Row {
                file: r[0].to_string(),
                line: whole(&r[1], at, "line")?,
                market: r[2].to_string(),
                record: r[3].to_string(),
                kind: r[4].to_string(),
                reference: r[6].to_string(),
                amount: decimal(&r[7], at, "amount")?,
                shipping: decimal(&r[8], at, "shipping")?,
                units: whole(&r[9], at, "units")?,
                currency: r[10].to_string(),
                feeds: feeds(&r[11]),
                excluded: r[12].to_string(),
            })
        })
        .collect()
}

/// One step of an explanation: a field (or pass-through line), its sign in
/// the figure, its groups (and their fact rows, when the inputs were read)
/// and their subtotal.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub sign: i8,
    /// A step of a ratio's denominator (the figure is the other steps' sum
    /// over these steps' sum).
    pub denominator: bool,
    pub groups: Vec<Group>,
    pub rows: Option<Vec<Row>>,
    pub subtotal: Decimal,
    /// False for a count of distinct orders over several groups made
    /// without the fact rows: then `subtotal` is the most it can be.
    pub exact: bool,
}

/// A figure explained: its steps, the value they make and the value the
/// statement prints (`None` for a field the statement does not print).
#[derive(Debug, Clone)]
pub struct Explanation {
    pub figure: String,
    pub formula: String,
    pub steps: Vec<Step>,
    /// What the steps make: their signed sum, or for a ratio the numerator
    /// steps' sum over the denominator steps' sum (unrounded).
    pub value: Decimal,
    pub printed: Option<Decimal>,
    /// The printed value is a ratio, rounded half-up to its own places
    /// (`kpi::printed_ratio`): it agrees when `value` rounds to it.
    pub rounded: bool,
}

impl Explanation {
    /// Whether every step is exact.
    pub fn exact(&self) -> bool {
        self.steps.iter().all(|s| s.exact)
    }

    /// Whether the rows make the printed value (true when nothing is
    /// printed); without exact steps, whether the printed value is within
    /// what they can make.
    pub fn agrees(&self) -> bool {
        match self.printed {
            None => true,
            Some(p) if self.exact() && self.rounded => {
                crate::money::RoundingMode::HalfUp.round_dp(self.value, p.scale()) == p
            }
            Some(p) if self.exact() => p == self.value,
            // A ratio of an inexact count: cannot tell without the rows.
            Some(_) if self.rounded => true,
            Some(p) => p <= self.value,
        }
    }
}

/// The step of `field` of `market`: its groups (and rows) and their subtotal.
fn step(groups: &[Group], facts: Option<&[Row]>, market: &str, field: &str, sign: i8) -> Result<Step, String> {
    let make = make_of(field).ok_or_else(|| format!("{field} is not a field of a market's figures"))?;
    let named: Vec<Group> =
        groups.iter().filter(|g| g.market == market && g.feeds.iter().any(|f| f == field)).cloned().collect();
    let rows: Option<Vec<Row>> = facts.map(|facts| {
        facts.iter().filter(|r| r.market == market && r.feeds.iter().any(|f| f == field)).cloned().collect()
    });
    let mut exact = true;
    let subtotal = match make {
        Make::Amount => named.iter().map(|g| g.amount).sum(),
        Make::MinusAmount => -named.iter().map(|g| g.amount).sum::<Decimal>(),
        Make::Shipping => named.iter().map(|g| g.shipping).sum(),
        Make::Units => Decimal::from(named.iter().map(|g| g.units).sum::<i64>()),
        Make::DistinctReferences => match &rows {
            Some(rows) => {
                let distinct: BTreeSet<&str> =
                    rows.iter().map(|r| r.reference.as_str()).filter(|r| !r.is_empty()).collect();
                Decimal::from(distinct.len())
            }
            None => {
                exact = named.len() <= 1;
                Decimal::from(named.iter().map(|g| g.references).sum::<usize>())
            }
        },
    };
    Ok(Step { name: format!("{market}.{field}"), sign, denominator: false, groups: named, rows, subtotal, exact })
}

/// Explains `figure` of `statement` from its provenance `groups` and, when
/// the inputs were read again, their fact rows `facts`.
///
/// # Errors
/// A figure name that is not one of the forms above, or names no line or
/// KPI of the statement.
pub fn explain(
    statement: &Statement,
    groups: &[Group],
    facts: Option<&[Row]>,
    figure: &str,
) -> Result<Explanation, String> {
    if let Some(index) = figure.strip_prefix("pass_through.lines[").and_then(|r| r.strip_suffix(']')) {
        let i: usize = index.parse().map_err(|_| format!("{figure}: expected pass_through.lines[N]"))?;
        let line = statement.pass_through.lines.get(i).ok_or_else(|| {
            format!("{figure}: the statement has {} pass-through lines", statement.pass_through.lines.len())
        })?;
        let feeds_it = |feeds: &[String]| feeds.iter().any(|f| f == figure);
        let named: Vec<Group> = groups.iter().filter(|g| feeds_it(&g.feeds)).cloned().collect();
        let rows = facts.map(|facts| facts.iter().filter(|r| feeds_it(&r.feeds)).cloned().collect());
        let subtotal = named.iter().map(|g| g.amount).sum();
        return Ok(Explanation {
            figure: figure.to_string(),
            formula: format!("the cost ledger's row ({} {}, before conversion)", line.vendor, line.invoice_no),
            steps: vec![Step {
                name: figure.to_string(),
                sign: 1,
                denominator: false,
                groups: named,
                rows,
                subtotal,
                exact: true,
            }],
            value: subtotal,
            printed: Some(line.amount),
            rounded: false,
        });
    }
    let parts: Vec<&str> = figure.split('.').collect();
    match parts.as_slice() {
        ["kpis", id, market] => explain_kpi(statement, groups, facts, figure, id, market),
        [market, group, field] => {
            let step = step(groups, facts, market, &format!("{group}.{field}"), 1)?;
            let (formula, value) = (step.name.clone(), step.subtotal);
            Ok(Explanation {
                figure: figure.to_string(),
                formula,
                steps: vec![step],
                value,
                printed: None,
                rounded: false,
            })
        }
        _ => Err(format!("{figure}: expected kpis.<id>.<market>, <market>.<group>.<field> or pass_through.lines[N]")),
    }
}

/// Explains the KPI `id` of `market` by its composition under the terms the
/// statement's definition keys state ([`crate::kpi::composition`]).
fn explain_kpi(
    statement: &Statement,
    groups: &[Group],
    facts: Option<&[Row]>,
    figure: &str,
    id: &str,
    market: &str,
) -> Result<Explanation, String> {
    use crate::kpi::Composition;
    let kpi = statement
        .kpis
        .iter()
        .find(|k| k.id.id() == id && k.market.id() == market)
        .ok_or_else(|| format!("{figure}: the statement has no KPI {id} for {market}"))?;
    let terms = crate::kpi::terms_of_keys(statement.kpis.iter().map(|k| k.definition_key.as_str()));
    if market == "all" {
        return explain_overall(statement, groups, facts, figure, kpi, &terms);
    }
    let steps_of = |terms: &[crate::kpi::Term], denominator: bool| -> Result<Vec<Step>, String> {
        terms
            .iter()
            .map(|(field, sign)| step(groups, facts, market, field, *sign).map(|s| Step { denominator, ..s }))
            .collect()
    };
    let sum =
        |steps: &[Step]| -> Decimal { steps.iter().map(|s| if s.sign < 0 { -s.subtotal } else { s.subtotal }).sum() };
    let written = |steps: &[Step]| -> String {
        steps
            .iter()
            .enumerate()
            .map(|(i, s)| match (i, s.sign < 0) {
                (0, true) => format!("−{}", s.name),
                (0, false) => s.name.clone(),
                (_, true) => format!("− {}", s.name),
                (_, false) => format!("+ {}", s.name),
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (steps, value, formula, rounded) = match crate::kpi::composition(kpi.id, &terms) {
        Composition::Sum(t) => {
            let steps = steps_of(&t, false)?;
            let (value, formula) = (sum(&steps), written(&steps));
            (steps, value, formula, false)
        }
        Composition::Ratio { numerator, denominator } => {
            let (top, bottom) = (steps_of(&numerator, false)?, steps_of(&denominator, true)?);
            let (n, d) = (sum(&top), sum(&bottom));
            let value = if d.is_zero() { Decimal::ZERO } else { n.checked_div(d).unwrap_or_default() };
            let formula = format!("({}) ÷ ({})", written(&top), written(&bottom));
            (top.into_iter().chain(bottom).collect(), value, formula, true)
        }
        Composition::OverTarget(t) => {
            let steps = steps_of(&t, false)?;
            let target = gmv_target(statement, market)
                .ok_or_else(|| format!("{figure}: the statement prints no GMV target for {market}"))?;
            let value = sum(&steps).checked_div(target).unwrap_or_default();
            let formula = format!("({}) ÷ the contract's GMV target {target}", written(&steps));
            (steps, value, formula, true)
        }
        Composition::NotComputed => return Err(format!("{figure}: not computed from the inputs (see its note)")),
    };
    let formula = format!("{formula} (definition {})", kpi.definition_key);
    Ok(Explanation { figure: figure.to_string(), formula, steps, value, printed: kpi.value, rounded })
}

/// The GMV target the statement prints for `scope` (a market id or `all`).
fn gmv_target(statement: &Statement, scope: &str) -> Option<Decimal> {
    let gmv = statement.kpis.iter().find(|k| k.id == crate::kpi_id::KpiId::Gmv && k.market.id() == scope)?;
    match gmv.target? {
        crate::kpi::Bound::Min { value, .. } => Some(value),
        crate::kpi::Bound::Max { .. } => None,
    }
}

/// Whether a field of a market's figures is money (converted into the fee
/// currency when markets are combined) rather than a count.
fn is_money(field: &str) -> bool {
    matches!(make_of(field), Some(Make::Amount | Make::MinusAmount | Make::Shipping))
}

/// The currency the statement lists `market` in.
fn market_currency(statement: &Statement, market: &str) -> Result<crate::money::Currency, String> {
    let market: crate::market::Market = market.parse()?;
    statement
        .markets
        .iter()
        .find(|m| m.market == market)
        .map(|m| m.currency)
        .or(market.fixed_currency())
        .ok_or_else(|| format!("the statement lists no market {market}"))
}

/// `amount` of `market`'s currency in `to`, by the statement's own quote
/// (its `fx`) and the fees' rounding, as the statement converted it.
pub fn converted(
    statement: &Statement,
    market: &str,
    amount: Decimal,
    to: crate::money::Currency,
) -> Result<Decimal, String> {
    converted_from(statement, market_currency(statement, market)?, amount, to)
}

/// `amount` in `from` converted into `to` by the statement's own quote for
/// the pair (its `fx`) and the fees' rounding, as the statement converts
/// GMV and pass-through costs.
pub fn converted_from(
    statement: &Statement,
    from: crate::money::Currency,
    amount: Decimal,
    to: crate::money::Currency,
) -> Result<Decimal, String> {
    let mode = statement.service_fees.rounding;
    if from == to {
        return Ok(mode.round_dp(amount, to.minor_digits()));
    }
    let quote = statement
        .fx
        .iter()
        .find(|q| q.from == from && q.to == to)
        .ok_or_else(|| format!("the statement lists no {}/{} quote to convert with", from.code(), to.code()))?;
    quote.checked_convert(amount, mode).map_err(|e| e.to_string())
}

/// An overall KPI: the markets it covers combined as the statement combines
/// them. A money KPI (and TACoS's and GMV attainment's money) sums each
/// market's own value converted into the fee currency; another ratio sums
/// each market's fields, money ones converted field by field.
fn explain_overall(
    statement: &Statement,
    groups: &[Group],
    facts: Option<&[Row]>,
    figure: &str,
    kpi: &crate::kpi::Kpi,
    terms: &crate::contract::KpiTerms,
) -> Result<Explanation, String> {
    use crate::kpi::{Composition, Term, Unit};
    use crate::kpi_id::KpiId;
    let fee = statement.service_fees.currency;
    let markets: Vec<&str> = kpi.covers.iter().map(|m| m.id()).collect();
    let signed = |s: &Step| if s.sign < 0 { -s.subtotal } else { s.subtotal };
    // Each market's value of `terms` converted as a whole: one step per market.
    let money_of = |terms: &[Term], denominator: bool| -> Result<Vec<Step>, String> {
        markets
            .iter()
            .map(|m| {
                let parts: Vec<Step> =
                    terms.iter().map(|(f, sign)| step(groups, facts, m, f, *sign)).collect::<Result<_, _>>()?;
                let own = parts.iter().map(signed).sum::<Decimal>();
                let names: Vec<String> = parts.iter().map(|p| p.name.clone()).collect();
                Ok(Step {
                    name: format!(
                        "{} ({own} {}) in {}",
                        names.join(" ± "),
                        market_currency(statement, m)?.code(),
                        fee.code()
                    ),
                    sign: 1,
                    denominator,
                    groups: parts.iter().flat_map(|p| p.groups.clone()).collect(),
                    rows: facts.map(|_| parts.iter().flat_map(|p| p.rows.clone().unwrap_or_default()).collect()),
                    subtotal: converted(statement, m, own, fee)?,
                    exact: parts.iter().all(|p| p.exact),
                })
            })
            .collect()
    };
    // Each market's fields, money ones converted one by one.
    let fields_of = |terms: &[Term], denominator: bool| -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        for m in &markets {
            for (field, sign) in terms {
                let mut s = step(groups, facts, m, field, *sign)?;
                if is_money(field) {
                    s.subtotal = converted(statement, m, s.subtotal, fee)?;
                    s.name = format!("{} in {}", s.name, fee.code());
                }
                s.denominator = denominator;
                steps.push(s);
            }
        }
        Ok(steps)
    };
    let sum = |steps: &[Step]| steps.iter().map(signed).sum::<Decimal>();
    let quotient =
        |n: Decimal, d: Decimal| if d.is_zero() { Decimal::ZERO } else { n.checked_div(d).unwrap_or_default() };
    let composition = crate::kpi::composition(kpi.id, terms);
    let (steps, value, rounded) = match (&composition, kpi.unit) {
        (Composition::Sum(t), Unit::Money(_)) => {
            let steps = money_of(t, false)?;
            let value = sum(&steps);
            (steps, value, false)
        }
        (Composition::Sum(t), _) => {
            let steps = fields_of(t, false)?;
            let value = sum(&steps);
            (steps, value, false)
        }
        (Composition::Ratio { numerator, denominator }, _) if kpi.id == KpiId::Tacos => {
            let (top, bottom) = (money_of(numerator, false)?, money_of(denominator, true)?);
            let value = quotient(sum(&top), sum(&bottom));
            (top.into_iter().chain(bottom).collect(), value, true)
        }
        (Composition::Ratio { numerator, denominator }, _) => {
            let (top, bottom) = (fields_of(numerator, false)?, fields_of(denominator, true)?);
            let value = quotient(sum(&top), sum(&bottom));
            (top.into_iter().chain(bottom).collect(), value, true)
        }
        (Composition::OverTarget(t), _) => {
            let target = gmv_target(statement, "all")
                .ok_or_else(|| format!("{figure}: the statement prints no overall GMV target"))?;
            let steps = money_of(t, false)?;
            let value = quotient(sum(&steps), target);
            (steps, value, true)
        }
        (Composition::NotComputed, _) => return Err(format!("{figure}: not computed from the inputs (see its note)")),
    };
    let formula = format!(
        "{} of {}, combined in {} at the statement's quotes (definition {})",
        kpi.id.id(),
        markets.join(" + "),
        fee.code(),
        kpi.definition_key
    );
    Ok(Explanation { figure: figure.to_string(), formula, steps, value, printed: kpi.value, rounded })
}

/// A sealed statement folder's (or its evidence bag's or zip's) statement
/// and provenance groups, as the verification with `key` (or the key
/// delivered with it) read them, when it is valid (or a valid draft); also
/// the table's bytes.
///
/// # Errors
/// What fails: the verification (its verdict), a folder sealed without
/// provenance.csv, or a table that does not read.
pub fn read_sealed(folder: &Path, key: Option<&PublicKey>) -> Result<(Statement, Vec<Group>, Vec<u8>), String> {
    let options = Options { key, workspace: None, allow_extra: false };
    let verification = verify_path(folder, &options).map_err(|e| format!("{}: {e}", folder.display()))?;
    if verification.verdict() == Verdict::NotValid {
        let failed: Vec<String> =
            verification.checks.iter().filter(|c| !c.passed).map(|c| format!("{} {}", c.name, c.path)).collect();
        return Err(format!(
            "{}: does not verify ({}); run kpiseal verify on it: explain reads only what the provider signed",
            folder.display(),
            failed.join("; ")
        ));
    }
    let manifest = verification.manifest.ok_or_else(|| format!("{}: no manifest was read", folder.display()))?;
    if !manifest.outputs.iter().any(|o| o.name == PROVENANCE) {
        return Err(format!(
            "{}: sealed without provenance.csv (by a kpiseal from before the table); draft the seller again with this one (run --draft) to explain its figures",
            folder.display()
        ));
    }
    // The files as verify read and checked them (a folder, bag or zip is
    // read once: what is explained is what was verified).
    let mut outputs = verification.outputs;
    let mut take = |name: &str| {
        outputs
            .remove(name)
            .ok_or_else(|| format!("{}: {name} was not read whole by the verification", folder.display()))
    };
    let (bytes, json) = (take(PROVENANCE)?, take(crate::sealing::STATEMENT_JSON)?);
    let statement = Statement::from_json(&json).map_err(|e| format!("{}: statement.json: {e}", folder.display()))?;
    let groups = read_groups(&bytes).map_err(|e| format!("{}: provenance.csv: {e}", folder.display()))?;
    Ok((statement, groups, bytes))
}

/// Line `n` of input file `file`, as text (see `crate::reread::RawLines`).
pub type RawLine<'a> = &'a dyn Fn(&str, usize) -> Option<String>;

/// The explanation as text: the formula, each step's groups (file, kind,
/// count, sums and lines) or, when the inputs were read, its rows
/// (file:line, kind, reference, amounts, and the line itself as `raw`
/// gives it), its subtotal, then the value beside the printed one.
pub fn to_text(e: &Explanation, raw: Option<RawLine>) -> String {
    let mut out = format!("{} = {}\n", e.figure, e.formula);
    for s in &e.steps {
        let rows: usize = s.groups.iter().map(|g| g.rows).sum();
        let part = if s.denominator { "denominator: " } else { "" };
        out.push_str(&format!("\n{} ({part}{} rows in {} groups)\n", s.name, rows, s.groups.len()));
        match &s.rows {
            Some(rows) => {
                for r in rows {
                    out.push_str(&format!(
                        "  {}:{}  {} {}  {}  amount {}  shipping {}  units {}  {}\n",
                        r.file, r.line, r.record, r.kind, r.reference, r.amount, r.shipping, r.units, r.currency
                    ));
                    if let Some(text) = raw.and_then(|raw| raw(&r.file, r.line)) {
                        out.push_str(&format!("      | {}\n", text.trim_end()));
                    }
                }
            }
            None => {
                for g in &s.groups {
                    let reference = if g.reference.is_empty() { String::new() } else { format!(" {}", g.reference) };
                    out.push_str(&format!(
                        "  {} {} {}{reference}: {} rows, {} references, {}  amount {}  shipping {}  units {}  {}\n    lines {}\n",
                        g.file, g.record, g.kind, g.rows, g.references, g.dates, g.amount, g.shipping, g.units, g.currency, g.lines
                    ));
                }
            }
        }
        if s.exact {
            out.push_str(&format!("  subtotal {}\n", s.subtotal));
        } else {
            out.push_str(&format!(
                "  subtotal at most {}: an order in several groups counts once; give --workspace to count them\n",
                s.subtotal
            ));
        }
    }
    out.push_str(&match e.printed {
        Some(p) if e.rounded && e.exact() && e.agrees() => {
            format!("\nvalue {}: the statement prints {p}, the same rounded half-up to {} places\n", e.value, p.scale())
        }
        Some(p) if e.rounded && !e.exact() => {
            format!("\nvalue about {}: the statement prints {p}; exact with --workspace\n", e.value)
        }
        Some(p) if p == e.value && e.exact() => format!("\nvalue {}: the statement prints {p}, the same\n", e.value),
        Some(p) if e.agrees() => {
            format!("\nvalue at most {}: the statement prints {p}, within it (exact with --workspace)\n", e.value)
        }
        Some(p) => format!("\nvalue {}: the statement prints {p}: THEY DIFFER\n", e.value),
        None => format!("\nvalue {} (a field the KPIs are computed from; the statement does not print it)\n", e.value),
    });
    out
}

/// The explanation as CSV: with the inputs read, one row per fact (the
/// step it is in, then its columns); otherwise one per group.
pub fn to_csv(e: &Explanation) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let with_rows = e.steps.iter().all(|s| s.rows.is_some());
    if with_rows {
        let _ = w.write_record([
            "step",
            "file",
            "line",
            "record",
            "kind",
            "reference",
            "amount",
            "shipping",
            "units",
            "currency",
        ]);
    } else {
        let _ = w.write_record([
            "step",
            "file",
            "record",
            "kind",
            "reference",
            "rows",
            "references",
            "dates",
            "amount",
            "shipping",
            "units",
            "currency",
            "lines",
        ]);
    }
    for s in &e.steps {
        match (&s.rows, with_rows) {
            (Some(rows), true) => {
                for r in rows {
                    let (line, amount, shipping, units) =
                        (r.line.to_string(), r.amount.to_string(), r.shipping.to_string(), r.units.to_string());
                    let _ = w.write_record([
                        s.name.as_str(),
                        &r.file,
                        &line,
                        &r.record,
                        &r.kind,
                        &r.reference,
                        &amount,
                        &shipping,
                        &units,
                        &r.currency,
                    ]);
                }
            }
            _ => {
                for g in &s.groups {
                    let (rows, references) = (g.rows.to_string(), g.references.to_string());
                    let (amount, shipping, units) = (g.amount.to_string(), g.shipping.to_string(), g.units.to_string());
                    let _ = w.write_record([
                        s.name.as_str(),
                        &g.file,
                        &g.record,
                        &g.kind,
                        &g.reference,
                        &rows,
                        &references,
                        &g.dates,
                        &amount,
                        &shipping,
                        &units,
                        &g.currency,
                        &g.lines,
                    ]);
                }
            }
        }
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_with_another_header_is_refused() {
        assert!(read_groups(b"file,line\nx,1\n").unwrap_err().contains("not provenance.csv's"));
        let header = crate::provenance::HEADER.join(",");
        let bad =
            format!("{header}\nf,amazon_us,money_line,principal,USD,sales.net_proceeds,,x,1,,2026-10-01,1.00,0,0,2\n");
        assert!(read_groups(bad.as_bytes()).unwrap_err().starts_with("line 2: rows"));
        let bad = format!(
            "{header}\nf,amazon_us,money_line,principal,USD,sales.net_proceeds,,1,1,,2026-10-01,1.00,0,0,9-2\n"
        );
        assert!(read_groups(bad.as_bytes()).unwrap_err().contains("line 2: lines"));
        assert!(read_rows(crate::provenance::HEADER.join(",").as_bytes()).unwrap_err().contains("the fact rows"));
    }

    fn group(file: &str, references: usize, amount: i64) -> Group {
        Group {
            file: file.into(),
            market: "amazon_us".into(),
            record: "order_event".into(),
            kind: "placed".into(),
            currency: "USD".into(),
            feeds: vec!["sales.gross_principal".into(), "sales.orders".into()],
            excluded: String::new(),
            rows: references,
            references,
            reference: String::new(),
            dates: "2026-10-01".into(),
            amount: Decimal::from(amount),
            shipping: Decimal::ZERO,
            units: 0,
            lines: "2".into(),
        }
    }

    #[test]
    fn orders_counted_over_several_groups_are_exact_only_from_the_rows() {
        let groups = [group("a.txt", 3, 10), group("b.txt", 2, 5)];
        let sum = step(&groups, None, "amazon_us", "sales.gross_principal", 1).unwrap();
        assert_eq!((sum.subtotal, sum.exact), (Decimal::from(15), true), "a sum is exact from the groups");
        let orders = step(&groups, None, "amazon_us", "sales.orders", 1).unwrap();
        assert_eq!((orders.subtotal, orders.exact), (Decimal::from(5), false), "at most 5: one order may be in both");
        let row = |file: &str, reference: &str| Row {
            file: file.into(),
            line: 2,
            market: "amazon_us".into(),
            record: "order_event".into(),
            kind: "placed".into(),
            reference: reference.into(),
            amount: Decimal::ONE,
            shipping: Decimal::ZERO,
            units: 1,
            currency: "USD".into(),
            feeds: vec!["sales.orders".into()],
            excluded: String::new(),
        };
        let facts = [row("a.txt", "1"), row("a.txt", "2"), row("a.txt", "3"), row("b.txt", "3"), row("b.txt", "4")];
        let orders = step(&groups, Some(&facts), "amazon_us", "sales.orders", 1).unwrap();
        assert_eq!((orders.subtotal, orders.exact), (Decimal::from(4), true), "order 3 counts once");
    }
}
