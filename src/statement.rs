//! The Statement: the single model every output is made from (statement.json
//! now; the PDF and the manifest read it too). Nothing is computed when an
//! output is rendered; every figure is here, with the text that explains it.

use chrono::NaiveDate;
use kpiseal_seal::manifest::Supersedes;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contract::{FxTerms, Language};
use crate::fees::ServiceFees;
use crate::fx::FxQuote;
use crate::ingest::Format;
use crate::ingest::records::{CostCategory, ReconciliationCheck};
use crate::kpi::Kpi;
use crate::market::Market;
use crate::money::{Currency, RoundingMode};
use crate::notes::DataNote;
use crate::period::Period;
use crate::workspace::Provider;

/// The schema id statement.json carries; bumped on any incompatible change.
pub const SCHEMA: &str = "kpiseal.statement/1";

mod dec {
    pub use rust_decimal::serde::str;
}

/// One seller's statement for one period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Statement {
    pub schema: String,
    pub statement_number: String,
    pub issue_date: NaiveDate,
    pub provider: Provider,
    pub seller: SellerBlock,
    pub contract: ContractBlock,
    pub period: PeriodBlock,
    pub rounding: RoundingBlock,
    pub totals: Totals,
    pub kpis: Vec<Kpi>,
    pub commission_base: CommissionBase,
    pub service_fees: ServiceFees,
    pub pass_through: PassThrough,
    pub fx: Vec<FxQuote>,
    pub markets: Vec<MarketSummary>,
    /// The KPIs with targets and the amount due over the last six periods,
    /// from the statements in force (`crate::trend`); absent when no earlier
    /// period of the six has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<crate::trend::Trend>,
    pub reconciliation: Vec<ReconciliationCheck>,
    /// The contract choices that took effect and what the inputs showed
    /// (`crate::notes`), printed in the statement's "Data notes" section.
    pub notes: Vec<DataNote>,
    pub inputs: Vec<InputRecord>,
    pub generator: Generator,
    pub signing: SigningBlock,
    /// The final statement this one corrects (`run --supersede`); absent on
    /// a first issue, and then not written to statement.json at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Supersedes>,
    /// Which input rows make each figure ([`crate::provenance`]): sealed
    /// beside statement.json as `provenance.csv`, never part of it (`None`
    /// for a statement read back from its JSON).
    #[serde(skip)]
    pub provenance: Option<crate::provenance::Provenance>,
}

/// Which key signs the statement (its PDF signature and its manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningBlock {
    /// The key id: 16 uppercase hex digits, the first 8 bytes of the SHA-256
    /// of the raw Ed25519 public key (see `kpiseal_seal::keys::KeyId`).
    pub key_id: String,
    /// True for the published demo key: such a statement is not valid and
    /// says so on every page.
    pub demo: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SellerBlock {
    pub id: String,
    pub legal_name: String,
    pub tax_id: String,
    pub language: Language,
    pub settlement_currency: Currency,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContractBlock {
    pub id: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub markets: Vec<Market>,
    pub fee_currency: Currency,
    /// The contract's FX terms: the agreed source (`fx.source`, which every
    /// rate used must come from) and the rate-date rule, printed with the
    /// rates. `None` only in statements written before this field existed.
    #[serde(default)]
    pub fx: Option<FxTerms>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeriodBlock {
    pub id: Period,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The rounding rule, printed on the statement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundingBlock {
    pub mode: RoundingMode,
    pub rule: String,
}

/// What the seller owes, in the settlement currency: service fees and their
/// tax (the provider's income) apart from pass-through costs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Totals {
    pub currency: Currency,
    #[serde(with = "dec::str")]
    pub service_fees: Decimal,
    #[serde(with = "dec::str")]
    pub tax: Decimal,
    #[serde(with = "dec::str")]
    pub pass_through: Decimal,
    #[serde(with = "dec::str")]
    pub amount_due: Decimal,
    /// How fee-currency amounts reached the settlement currency, if they differ.
    pub conversion: Option<TotalsConversion>,
}

/// The conversion of service fees and tax from the fee currency into the
/// settlement currency.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TotalsConversion {
    pub from: Currency,
    pub to: Currency,
    /// The effective rate 1 `from` converted at (printed; the conversion
    /// itself applied the quote's legs at full precision).
    #[serde(with = "dec::str")]
    pub rate: Decimal,
    pub date: NaiveDate,
    pub source: String,
    /// The quote in English, e.g. `USD/CNY 7.1159 on 2026-10-30 (PBoC central parity)`.
    pub description: String,
}

/// The GMV commission is charged on, market by market, in the fee currency.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommissionBase {
    pub currency: Currency,
    pub lines: Vec<CommissionBaseLine>,
    #[serde(with = "dec::str")]
    pub total: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommissionBaseLine {
    pub market: Market,
    #[serde(with = "dec::str")]
    pub gmv: Decimal,
    pub currency: Currency,
    #[serde(with = "dec::str")]
    pub fx_rate: Decimal,
    #[serde(with = "dec::str")]
    pub converted: Decimal,
}

/// Costs the provider paid on the seller's behalf: not income, no commission.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassThrough {
    pub currency: Currency,
    pub lines: Vec<PassThroughLine>,
    #[serde(with = "dec::str")]
    pub total: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassThroughLine {
    pub date: NaiveDate,
    pub category: CostCategory,
    pub vendor: String,
    pub invoice_no: String,
    pub description: String,
    #[serde(with = "dec::str")]
    pub amount: Decimal,
    pub currency: Currency,
    #[serde(with = "dec::str")]
    pub fx_rate: Decimal,
    pub fx_date: NaiveDate,
    pub fx_source: String,
    #[serde(with = "dec::str")]
    pub converted: Decimal,
    pub evidence: Option<String>,
}

/// One market's figures for the period, in its own currency.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarketSummary {
    pub market: Market,
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub gmv: Option<Decimal>,
    pub orders: Option<i64>,
    pub units: Option<i64>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub refunds: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub platform_fees: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub net_proceeds: Option<Decimal>,
    /// Orders the buyers placed in the period (dated by order date, unlike
    /// `orders`, which Amazon dates at shipment), cancelled ones included,
    /// and of those the cancelled ones (by anyone): from the orders export
    /// (Amazon All Orders, Mercado Livre Vendas); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_placed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_cancelled: Option<i64>,
    /// Whether this market's figures agree with the marketplace's own totals.
    pub reconciled: Reconciled,
}

/// How a market's figures compare with the marketplace's own totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reconciled {
    /// Every check of the market's files passed (and there was at least one).
    Yes,
    /// Some check failed.
    Differs,
    /// No file of the market carries a total to check against.
    NotReconciled,
}

impl Reconciled {
    /// The outcome of a market's checks, given whether each passed.
    pub fn of(checks: impl IntoIterator<Item = bool>) -> Reconciled {
        let mut any = false;
        for ok in checks {
            if !ok {
                return Reconciled::Differs;
            }
            any = true;
        }
        if any { Reconciled::Yes } else { Reconciled::NotReconciled }
    }
}

/// One input file, so a reviewer can tell which inputs produced the figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputRecord {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    pub format: Format,
    /// Data rows used for this period.
    pub rows: usize,
    /// The first and last date of the file's dated rows, whatever the
    /// period (absent for files without dated rows, and for contracts, FX
    /// tables and cost ledgers): what the download covers, so a reader sees
    /// a report downloaded for part of the month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<DateSpan>,
}

/// A first and a last calendar date, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateSpan {
    pub first: chrono::NaiveDate,
    pub last: chrono::NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Generator {
    pub name: String,
    pub version: String,
}

impl Generator {
    pub fn current() -> Self {
        Generator { name: env!("CARGO_PKG_NAME").to_string(), version: env!("CARGO_PKG_VERSION").to_string() }
    }
}

impl Statement {
    /// The notes that are data notes (not contract choices).
    pub fn data_notes(&self) -> impl Iterator<Item = &DataNote> {
        self.notes.iter().filter(|n| n.class == crate::notes::NoteClass::Data)
    }

    /// The reconciliation checks that failed.
    pub fn failed_checks(&self) -> impl Iterator<Item = &ReconciliationCheck> {
        self.reconciliation.iter().filter(|c| !c.ok)
    }

    /// Reads statement.json back (for `kpiseal render`).
    ///
    /// # Errors
    /// The JSON error, with line and column, when `bytes` is not a statement
    /// of schema [`SCHEMA`].
    pub fn from_json(bytes: &[u8]) -> Result<Statement, String> {
        let statement: Statement = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if statement.schema != SCHEMA {
            return Err(format!("schema is {:?}, expected {SCHEMA:?}", statement.schema));
        }
        Ok(statement)
    }

    /// statement.json: pretty-printed, keys in a fixed order, trailing newline.
    /// The same Statement always gives the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a Statement always serializes");
        bytes.push(b'\n');
        bytes
    }
}
