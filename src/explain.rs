//! `kpiseal explain`: the rows of a sealed statement's provenance.csv that
//! make one of its figures, with file:line, a subtotal per step and the
//! value set beside the printed one.
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

use std::path::Path;

use kpiseal_seal::keys::PublicKey;
use kpiseal_seal::manifest;
use kpiseal_seal::verify::{Options, PROVENANCE, Verdict, verify_path};
use rust_decimal::Decimal;

use crate::statement::Statement;

/// One row of a provenance table, as read back.
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

/// Reads a provenance table (see [`crate::provenance`]).
///
/// # Errors
/// The line and what is wrong, for a header other than the table's or a
/// cell that does not read.
pub fn read_rows(csv_bytes: &[u8]) -> Result<Vec<Row>, String> {
    let mut reader = csv::Reader::from_reader(csv_bytes);
    let header = reader.headers().map_err(|e| format!("line 1: {e}"))?.clone();
    if header.iter().collect::<Vec<_>>() != crate::provenance::HEADER {
        return Err(format!(
            "line 1: the header is not provenance.csv's: {}",
            header.iter().collect::<Vec<_>>().join(",")
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let at = i + 2;
        let r = record.map_err(|e| format!("line {at}: {e}"))?;
        let decimal = |col: usize| -> Result<Decimal, String> {
            let text = &r[col];
            if text.is_empty() {
                Ok(Decimal::ZERO)
            } else {
                text.parse().map_err(|e| format!("line {at}: {text:?}: {e}"))
            }
        };
        rows.push(Row {
            file: r[0].to_string(),
            line: r[1].parse().map_err(|e| format!("line {at}: line {:?}: {e}", &r[1]))?,
            market: r[2].to_string(),
            record: r[3].to_string(),
            kind: r[4].to_string(),
            reference: r[6].to_string(),
            amount: decimal(7)?,
            shipping: decimal(8)?,
            units: if r[9].is_empty() { 0 } else { r[9].parse().map_err(|e| format!("line {at}: units: {e}"))? },
            currency: r[10].to_string(),
            feeds: r[11].split(' ').filter(|f| !f.is_empty()).map(str::to_string).collect(),
            excluded: r[12].to_string(),
        });
    }
    Ok(rows)
}

/// How a market figure is made of the rows that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Make {
    Amount,
    MinusAmount,
    Shipping,
    Units,
    DistinctReferences,
}

/// How each field of a market's figures is made of its rows (the
/// aggregation `crate::ledger` performs on the facts).
fn make_of(field: &str) -> Option<Make> {
    Some(match field {
        "sales.gross_principal" | "sales.refunded_principal" | "sales.net_proceeds" | "ads.spend" => Make::Amount,
        "sales.gross_shipping" | "sales.refunded_shipping" | "ads.sales" => Make::Shipping,
        "sales.platform_fees" => Make::MinusAmount,
        "sales.units"
        | "returns.units"
        | "feedback.received"
        | "feedback.negative"
        | "traffic.sessions"
        | "traffic.units_ordered"
        | "traffic.order_items"
        | "inventory.on_hand_unit_days"
        | "inventory.shipped" => Make::Units,
        "sales.orders"
        | "sales.refunded_orders"
        | "sales.disputed_orders"
        | "orders.placed"
        | "orders.seller_cancelled"
        | "orders.cancelled"
        | "returns.orders" => Make::DistinctReferences,
        _ => return None,
    })
}

/// One step of an explanation: a field (or pass-through line), its sign in
/// the figure, its rows and their subtotal.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub sign: i8,
    pub rows: Vec<Row>,
    pub subtotal: Decimal,
}

/// A figure explained: its steps, the value they make and the value the
/// statement prints (`None` for a field the statement does not print).
#[derive(Debug, Clone)]
pub struct Explanation {
    pub figure: String,
    pub formula: String,
    pub steps: Vec<Step>,
    pub value: Decimal,
    pub printed: Option<Decimal>,
}

impl Explanation {
    /// Whether the rows make the printed value (true when nothing is printed).
    pub fn agrees(&self) -> bool {
        self.printed.is_none_or(|p| p == self.value)
    }
}

/// The step of `field` of `market`: its rows and their subtotal.
fn step(rows: &[Row], market: &str, field: &str, sign: i8) -> Result<Step, String> {
    let make = make_of(field).ok_or_else(|| format!("{field} is not a field of a market's figures"))?;
    let named: Vec<Row> =
        rows.iter().filter(|r| r.market == market && r.feeds.iter().any(|f| f == field)).cloned().collect();
    let subtotal = match make {
        Make::Amount => named.iter().map(|r| r.amount).sum(),
        Make::MinusAmount => -named.iter().map(|r| r.amount).sum::<Decimal>(),
        Make::Shipping => named.iter().map(|r| r.shipping).sum(),
        Make::Units => Decimal::from(named.iter().map(|r| r.units).sum::<i64>()),
        Make::DistinctReferences => {
            Decimal::from(named.iter().map(|r| r.reference.as_str()).collect::<std::collections::BTreeSet<_>>().len())
        }
    };
    Ok(Step { name: format!("{market}.{field}"), sign, rows: named, subtotal })
}

/// The fields a money KPI is made of under its definition key, with signs.
fn kpi_fields(id: &str, definition_key: &str) -> Result<Vec<(&'static str, i8)>, String> {
    let including_shipping = definition_key.ends_with(".including_shipping");
    Ok(match id {
        "gmv" => {
            let mut fields = vec![("sales.gross_principal", 1)];
            if including_shipping {
                fields.push(("sales.gross_shipping", 1));
            }
            if definition_key.starts_with("gmv.net_of_refunds") {
                fields.push(("sales.refunded_principal", -1));
                if including_shipping {
                    fields.push(("sales.refunded_shipping", -1));
                }
            }
            fields
        }
        "platform_fees" => vec![("sales.platform_fees", 1)],
        "net_proceeds" => vec![("sales.net_proceeds", 1)],
        "ad_spend" => vec![("ads.spend", 1)],
        other => {
            return Err(format!(
                "kpis.{other}: explain walks the money KPIs (gmv, platform_fees, net_proceeds, ad_spend) and \
                 the fields they and the ratios are made of (e.g. amazon_us.sales.orders); a ratio's \
                 definition on the statement names its fields"
            ));
        }
    })
}

/// Explains `figure` of `statement` from its provenance `rows`.
///
/// # Errors
/// A figure name that is not one of the forms above, or names no line or
/// KPI of the statement.
pub fn explain(statement: &Statement, rows: &[Row], figure: &str) -> Result<Explanation, String> {
    if let Some(index) = figure.strip_prefix("pass_through.lines[").and_then(|r| r.strip_suffix(']')) {
        let i: usize = index.parse().map_err(|_| format!("{figure}: expected pass_through.lines[N]"))?;
        let line = statement.pass_through.lines.get(i).ok_or_else(|| {
            format!("{figure}: the statement has {} pass-through lines", statement.pass_through.lines.len())
        })?;
        let named: Vec<Row> = rows.iter().filter(|r| r.feeds.iter().any(|f| f == figure)).cloned().collect();
        let subtotal = named.iter().map(|r| r.amount).sum();
        return Ok(Explanation {
            figure: figure.to_string(),
            formula: format!("the cost ledger's row ({} {}, before conversion)", line.vendor, line.invoice_no),
            steps: vec![Step { name: figure.to_string(), sign: 1, rows: named, subtotal }],
            value: subtotal,
            printed: Some(line.amount),
        });
    }
    let parts: Vec<&str> = figure.split('.').collect();
    let (fields, market, printed, key) = match parts.as_slice() {
        ["kpis", id, market] => {
            let kpi = statement
                .kpis
                .iter()
                .find(|k| k.id.id() == *id && k.market.id() == *market)
                .ok_or_else(|| format!("{figure}: the statement has no KPI {id} for {market}"))?;
            let fields = kpi_fields(id, &kpi.definition_key)?.into_iter().map(|(f, sign)| (f.to_string(), sign));
            (fields.collect(), *market, kpi.value, Some(kpi.definition_key.clone()))
        }
        [market, group, field] => (vec![(format!("{group}.{field}"), 1)], *market, None, None),
        _ => {
            return Err(format!(
                "{figure}: expected kpis.<id>.<market>, <market>.<group>.<field> or pass_through.lines[N]"
            ));
        }
    };
    let steps: Vec<Step> = fields.iter().map(|(f, sign)| step(rows, market, f, *sign)).collect::<Result<_, _>>()?;
    let value = steps.iter().map(|s| if s.sign < 0 { -s.subtotal } else { s.subtotal }).sum();
    let formula = steps
        .iter()
        .enumerate()
        .map(|(i, s)| match (i, s.sign < 0) {
            (0, _) => s.name.clone(),
            (_, true) => format!("− {}", s.name),
            (_, false) => format!("+ {}", s.name),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let formula = match key {
        Some(key) => format!("{formula} (definition {key})"),
        None => formula,
    };
    Ok(Explanation { figure: figure.to_string(), formula, steps, value, printed })
}

/// A sealed statement folder's (or its evidence bag's) statement and
/// provenance rows, read after the folder verifies (valid, or a valid draft) with `key` (or the key
/// delivered with it) and its provenance.csv hashes as its manifest lists.
///
/// # Errors
/// What fails: the verification (its verdict), a folder sealed without
/// `--provenance`, or a table that does not read.
pub fn read_sealed(folder: &Path, key: Option<&PublicKey>) -> Result<(Statement, Vec<Row>), String> {
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
            "{}: sealed without provenance.csv; re-run the seller with --provenance (a draft: --draft)",
            folder.display()
        ));
    }
    // An evidence bag holds the statement's files under data/.
    let files = if folder.join("bagit.txt").is_file() { folder.join("data") } else { folder.to_path_buf() };
    // Read again after verifying: each must still be the bytes the manifest lists.
    let read_listed = |name: &str| -> Result<Vec<u8>, String> {
        let path = files.join(name);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let listed = manifest.outputs.iter().find(|o| o.name == name).map(|o| o.sha256.as_str());
        if listed != Some(manifest::hash_bytes(&bytes).sha256.as_str()) {
            return Err(format!("{}: changed since it was verified; run explain again", path.display()));
        }
        Ok(bytes)
    };
    let (bytes, json) = (read_listed(PROVENANCE)?, read_listed(crate::sealing::STATEMENT_JSON)?);
    let (path, json_path) = (files.join(PROVENANCE), files.join(crate::sealing::STATEMENT_JSON));
    let statement = Statement::from_json(&json).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let rows = read_rows(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((statement, rows))
}

/// The explanation as text: the formula, each step's rows (file:line,
/// kind, reference, the amount the step reads) and subtotal, then the value
/// beside the printed one.
pub fn to_text(e: &Explanation) -> String {
    let mut out = format!("{} = {}\n", e.figure, e.formula);
    for s in &e.steps {
        out.push_str(&format!("\n{} ({} rows)\n", s.name, s.rows.len()));
        for r in &s.rows {
            out.push_str(&format!(
                "  {}:{}  {} {}  {}  amount {}  shipping {}  units {}  {}\n",
                r.file, r.line, r.record, r.kind, r.reference, r.amount, r.shipping, r.units, r.currency
            ));
        }
        out.push_str(&format!("  subtotal {}\n", s.subtotal));
    }
    out.push_str(&match e.printed {
        Some(p) if p == e.value => format!("\nvalue {}: the statement prints {p}, the same\n", e.value),
        Some(p) => format!("\nvalue {}: the statement prints {p}: THEY DIFFER\n", e.value),
        None => format!("\nvalue {} (a field the KPIs are computed from; the statement does not print it)\n", e.value),
    });
    out
}

/// The explanation's rows as CSV: the step each row is in, then the
/// provenance columns.
pub fn to_csv(e: &Explanation) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
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
    for s in &e.steps {
        for r in &s.rows {
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
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmv_is_made_of_the_fields_its_definition_key_names() {
        let fields = |key| kpi_fields("gmv", key).unwrap();
        assert_eq!(fields("gmv.gross.excluding_shipping"), [("sales.gross_principal", 1)]);
        assert_eq!(fields("gmv.gross.including_shipping"), [("sales.gross_principal", 1), ("sales.gross_shipping", 1)]);
        assert_eq!(
            fields("gmv.net_of_refunds.excluding_shipping"),
            [("sales.gross_principal", 1), ("sales.refunded_principal", -1)]
        );
        assert_eq!(
            fields("gmv.net_of_refunds.including_shipping"),
            [
                ("sales.gross_principal", 1),
                ("sales.gross_shipping", 1),
                ("sales.refunded_principal", -1),
                ("sales.refunded_shipping", -1)
            ]
        );
        assert!(kpi_fields("refund_rate", "refund_rate.count").unwrap_err().contains("money KPIs"));
    }

    #[test]
    fn every_field_a_row_can_feed_has_a_way_to_be_made() {
        use crate::ingest::records::{MoneyKind, OrderEventKind};
        let money =
            [MoneyKind::Principal, MoneyKind::PlatformFee, MoneyKind::Other].map(crate::ledger::money_line_feeds);
        let events = OrderEventKind::ALL.map(crate::ledger::event_feeds);
        for feeds in money.iter().chain(&events).chain([&crate::ledger::AD_ROW_FEEDS]) {
            for field in feeds.split(' ') {
                assert!(make_of(field).is_some(), "{field}");
            }
        }
    }

    #[test]
    fn a_table_with_another_header_is_refused() {
        assert!(read_rows(b"file,line\nx,1\n").unwrap_err().contains("not provenance.csv's"));
        let header = crate::provenance::HEADER.join(",");
        let bad = format!(
            "{header}\nf,notanumber,amazon_us,money_line,principal,2026-10-01,o,1.00,,,USD,sales.net_proceeds\n"
        );
        assert!(read_rows(bad.as_bytes()).unwrap_err().starts_with("line 2"));
    }
}
