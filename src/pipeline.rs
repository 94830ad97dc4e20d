//! One seller's statement, end to end: read the inputs, ingest, aggregate,
//! compute KPIs and fees, and assemble the [`Statement`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::billed::Billed;
use crate::contract::{Contract, Language};
use crate::cost_dates::check_cost_dates;
use crate::error::Error;
use crate::fees::{FeeInputs, KpiReading, ServiceFees, compute_prorated_service_fees};
use crate::fx::{self, FxQuote, FxTable};
use crate::i18n::Catalog;
use crate::ingest::costs::read_costs;
use crate::ingest::records::{CostLine, ReconciliationCheck};
use crate::ingest::units::{Unit, UnitKey};
use crate::ingest::{Format, IngestContext, ParsedExport, read_export_for};
use crate::kpi::{self, DataKind, Kpi, Scope};
use crate::kpi_id::KpiId;
use crate::ledger::{Ledger, MarketFigures, Provides};
use crate::market::Market;
use crate::markets::check_exports;
use crate::money::{Currency, RoundingMode};
use crate::notes::{DataNote, Findings, NoteKind};
use crate::period::Period;
use crate::provenance::{Provenance, ProvenanceWriter};
use crate::statement::*;
use crate::term::{self, Coverage};
use crate::workspace::{InputFile, Workspace};

/// How far outside the period the rows of a returns or feedback report
/// with none in the period may be dated for it to be read as "none this
/// month" (a download of the month with a few days either side); rows all
/// further away are a file of another month, refused like any export.
const NEAR_PERIOD_DAYS: u64 = 7;

/// What a run needs besides the workspace.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub period: Period,
    /// The statement's issue date (an input, never the clock).
    pub issue_date: NaiveDate,
    /// The statements already issued (the register of the output folder),
    /// whose pass-through costs are not billed again; `None`: none issued.
    pub billed: Option<Billed>,
    /// `--allow-missing MARKET`: contract markets whose exports may be
    /// absent this period (see [`crate::markets::check_exports`]); each
    /// seller's contract may allow more (`contract.allow_missing`).
    pub allow_missing: BTreeSet<Market>,
    /// `check --as-of DATE`: count the period only to this day (the
    /// exports downloaded so far), pro-rating time-scaled targets; `None`:
    /// the whole period.
    pub as_of: Option<NaiveDate>,
    /// Also list every fact as a row of its own ([`Provenance::facts`]):
    /// what `explain --workspace` prints. provenance.csv, the table of
    /// groups that is sealed, is made either way.
    pub fact_rows: bool,
}

impl RunOptions {
    /// Options with the default issue date (the day after the period ends)
    /// and no market allowed to be missing.
    pub fn new(period: Period) -> Self {
        RunOptions {
            period,
            issue_date: period.next().first_day(),
            allow_missing: BTreeSet::new(),
            billed: None,
            as_of: None,
            fact_rows: false,
        }
    }
}

fn record(file: &InputFile, format: Format, rows: usize) -> InputRecord {
    hashed_record(file, file.sha256_hex(), format, rows)
}

fn hashed_record(file: &InputFile, sha256: String, format: Format, rows: usize) -> InputRecord {
    InputRecord { path: file.path.clone(), sha256, bytes: file.bytes().len() as u64, format, rows, dates: None }
}

/// An export read and parsed, before its units are compared with the others'.
struct ReadExport {
    file: String,
    parsed: ParsedExport,
    provides: Provides,
    /// Its entry in `SellerInputs::inputs`.
    record: usize,
}

/// The FX quotes a statement uses, each fetched once and listed once.
struct Rates<'a> {
    table: &'a FxTable,
    contract: &'a Contract,
    period: Period,
    used: BTreeMap<(Currency, Currency), FxQuote>,
}

impl<'a> Rates<'a> {
    /// The rates of `inputs`' FX table and contract, with the quotes `used` so far.
    fn new(inputs: &'a SellerInputs, used: BTreeMap<(Currency, Currency), FxQuote>) -> Self {
        Rates { table: &inputs.fx, contract: &inputs.contract, period: inputs.period, used }
    }

    fn quote(&mut self, from: Currency, to: Currency) -> Result<FxQuote, Error> {
        if let Some(q) = self.used.get(&(from, to)) {
            return Ok(q.clone());
        }
        let q = self.table.quote(from, to, self.contract.fx.rate_date, self.period)?;
        q.check_age(self.period, self.contract.fx.max_age_days)?;
        if from != to {
            self.used.insert((from, to), q.clone());
        }
        Ok(q)
    }

    fn convert(&mut self, amount: Decimal, from: Currency, to: Currency) -> Result<(Decimal, FxQuote), Error> {
        let q = self.quote(from, to)?;
        Ok((q.checked_convert(amount, self.contract.fees.rounding)?, q))
    }
}

/// Builds one seller's statement from the workspace, to be signed with the
/// key `signing` describes: [`read_seller_inputs`], [`compute_kpis`],
/// [`compute_fees`] and [`assemble_statement`], in that order.
///
/// # Errors
/// [`Error::Refused`] with every problem a stage found (each naming file,
/// line and column, or the contract key), or the first error that stops a
/// stage outright (an unreadable workspace, an invalid contract).
pub fn build_statement(
    ws: &Workspace,
    seller: &str,
    opts: &RunOptions,
    signing: SigningBlock,
) -> Result<Statement, Error> {
    let inputs = read_seller_inputs(ws, seller, opts)?;
    let kpis = compute_kpis(&inputs)?;
    let fees = compute_fees(&inputs, kpis)?;
    assemble_statement(ws, inputs, fees, opts, signing)
}

/// The contract of `seller` (`contracts/<seller>.toml`), with the file it
/// was read from.
///
/// # Errors
/// [`Error::Config`] naming the file and key when it is not UTF-8 text, is
/// not a valid contract, or is for another seller (`seller.id`);
/// [`Error::Io`] when it cannot be read.
pub fn read_contract(ws: &Workspace, seller: &str) -> Result<(InputFile, Contract), Error> {
    let file = ws.read(&Workspace::contract_path(seller))?;
    let text =
        std::str::from_utf8(file.bytes()).map_err(|_| Error::config(&file.path, "(document)", "is not UTF-8 text"))?;
    let contract = Contract::parse(&file.path, text)?;
    if contract.seller.id != seller {
        return Err(Error::config(
            &file.path,
            "seller.id",
            format!("is {:?} but the file is named for {seller:?}", contract.seller.id),
        ));
    }
    Ok((file, contract))
}

/// One seller's period, read and ingested: the contract, the FX table, every
/// export's facts, the cost ledger and what each input file was.
#[derive(Debug)]
pub struct SellerInputs {
    pub seller: String,
    pub period: Period,
    pub contract: Contract,
    pub fx: FxTable,
    pub ledger: Ledger,
    pub costs: Vec<CostLine>,
    pub checks: Vec<ReconciliationCheck>,
    /// The market of each check (in `checks` order) and whether it passed.
    check_markets: Vec<(Option<Market>, bool)>,
    /// Every file read, in reading order: contract, FX files, exports, costs.
    pub inputs: Vec<InputRecord>,
    /// The choices and data notes reading the inputs led to.
    pub notes: Vec<DataNote>,
    /// The days of the period the contract term covers.
    pub coverage: Coverage,
    /// What the statements in force of other periods printed (the register),
    /// for the trend.
    pub history: Vec<crate::billed::PastFigures>,
    /// Which rows of which input make each figure, and which were left
    /// out and why ([`crate::provenance`]), sealed as provenance.csv.
    pub provenance: Provenance,
}

/// Reads and ingests every input of `seller` for `opts.period`: the
/// contract (checked to be the seller's), the period's FX files, the
/// seller's exports (each checked to be for a market of the contract, and
/// every export each contract market needs checked to be there, unless
/// `opts.allow_missing` or the contract allows it: [`check_exports`]) and
/// its cost ledger.
///
/// Every export and cost file is read even after one fails, so that all
/// their problems are reported together.
///
/// The same money never counts twice (`crate::dedup`): a byte-identical
/// copy of an export is read once, and a settlement, sale, ads row or cost
/// invoice given again (in another file, the same file, or, for costs, on a
/// statement of another period in `opts.billed`) is counted once when the
/// copies agree, with a note naming both, and refused when they do not.
/// Files of the period that no seller reads are reported (`crate::strays`).
///
/// # Errors
/// An unreadable or invalid contract or FX file (naming the file and key or
/// line); or [`Error::Refused`] with every export or cost file that cannot
/// be read or breaks a check, each naming file, line and column.
pub fn read_seller_inputs(ws: &Workspace, seller: &str, opts: &RunOptions) -> Result<SellerInputs, Error> {
    let period = opts.period;
    let mut inputs = Vec::new();
    let mut findings = Findings::default();

    let (contract_file, mut contract) = read_contract(ws, seller)?;
    inputs.push(record(&contract_file, Format::Contract, 1));
    let coverage = term::coverage(&contract_file.path, &contract.contract, period);
    let in_term = coverage.is_ok();
    let coverage = coverage.and_then(|c| c.to(opts.as_of, &contract_file.path)).unwrap_or_else(|e| {
        findings.refuse(e);
        Coverage::whole(period)
    });
    if let Some(as_of) = coverage.as_of {
        let prorated = prorate_gmv_targets(&mut contract, &coverage);
        let term_days = coverage.term_day_count();
        let kind = NoteKind::AsOf {
            as_of,
            first: coverage.first,
            counted_days: coverage.counted_days(),
            term_days,
            prorated: if prorated.is_empty() { vec!["—".to_string()] } else { prorated },
        };
        findings.note(kind, vec![format!("--as-of {as_of}")])?;
    }
    // A store's zone is the contract's own (there is no other), so only a
    // site's zone changed by the contract is a choice worth printing.
    for &m in contract.contract.time_zones.keys() {
        let Some(default_zone) = m.default_time_zone() else { continue };
        let zone = contract.time_zone(m);
        if zone != default_zone {
            let kind = NoteKind::TimeZone {
                market: m.id().to_string(),
                zone: zone.name().to_string(),
                default_zone: default_zone.name().to_string(),
            };
            findings.note(kind, vec![format!("{}: contract.time_zones.{m}", contract_file.path)])?;
        }
    }

    let mut rates = Vec::new();
    let mut fx_copies: BTreeMap<String, String> = BTreeMap::new();
    for rel in ws.fx_files(period)? {
        let file = ws.read(&rel)?;
        let format = if fx::looks_like_ptax(file.bytes()) { Format::FxPtax } else { Format::FxTable };
        let sha256 = file.sha256_hex();
        if let Some(kept) = fx_copies.get(&sha256) {
            findings.note(
                NoteKind::DuplicateFile { kept: kept.clone(), dropped: file.path.clone() },
                vec![file.path.clone(), kept.clone()],
            )?;
            inputs.push(hashed_record(&file, sha256, format, 0));
            continue;
        }
        fx_copies.insert(sha256.clone(), file.path.clone());
        let parsed = fx::read_rates(&file.path, file.bytes())?;
        inputs.push(hashed_record(&file, sha256, format, parsed.len()));
        rates.extend(parsed);
    }
    let fx = FxTable::new(rates);

    let counted = coverage.counted();
    let context = |market: Market| IngestContext {
        period,
        market,
        tz: contract.time_zone(market),
        currency: contract.currency(market),
        counted,
    };
    let mut ledger = Ledger::default();
    let mut checks = Vec::new();
    let mut check_markets = Vec::new();
    let mut read = Vec::new();
    let provenance = if opts.fact_rows { ProvenanceWriter::with_facts() } else { ProvenanceWriter::new() };
    let mut provenance = provenance.with_currencies(contract.contract.currencies.clone());
    let mut copies: BTreeMap<String, (String, Option<Format>)> = BTreeMap::new();
    let mut unreadable_export = false;
    for (rel, folder) in ws.export_files(period, seller)? {
        let file = ws.read(&rel)?;
        let sha256 = file.sha256_hex();
        if let Some((kept, format)) = copies.get(&sha256) {
            findings.note(
                NoteKind::DuplicateFile { kept: kept.clone(), dropped: file.path.clone() },
                vec![file.path.clone(), kept.clone()],
            )?;
            if let Some(format) = *format {
                inputs.push(hashed_record(&file, sha256, format, 0));
            }
            continue;
        }
        copies.insert(sha256.clone(), (file.path.clone(), None));
        if let Some(m) = folder
            && !contract.contract.markets.contains(&m)
        {
            findings.refuse(crate::error::InputError::file(
                &file.path,
                format!("is in the folder of {m}, a market contract {} does not cover", contract.contract.id),
            ));
            unreadable_export = true;
            continue;
        }
        let ctx_for = |format: Format| market_of(&file.path, format, folder).map(context);
        let (format, mut parsed) = match read_export_for(&file.path, file.bytes(), &ctx_for) {
            Ok(read) => read,
            Err(e) => {
                findings.refuse(e);
                unreadable_export = true;
                continue;
            }
        };
        // A month without returns or feedback downloads as a header (or rows
        // of the days either side): none in the period, said in a note.
        let near_the_period = |(first, last): (NaiveDate, NaiveDate)| {
            first >= period.first_day() - chrono::Days::new(NEAR_PERIOD_DAYS)
                && last <= period.last_day() + chrono::Days::new(NEAR_PERIOD_DAYS)
        };
        if matches!(format, Format::AmazonFbaReturns | Format::AmazonMfnReturns | Format::AmazonFeedback)
            && parsed.rows_in_period == 0
            && parsed.dates.is_none_or(near_the_period)
        {
            let dates =
                parsed.dates.map_or("—".to_string(), |(a, b)| if a == b { a.to_string() } else { format!("{a}/{b}") });
            let (path, rows) = (file.path.clone(), parsed.rows_total.to_string());
            let note = if format != Format::AmazonFeedback {
                NoteKind::NoReturnsInPeriod { file: path, rows, dates }
            } else {
                NoteKind::NoFeedbackInPeriod { file: path, rows, dates }
            };
            findings.note(note, vec![file.path.clone()])?;
        } else if let Err(e) = parsed.check_in_period(&file.path, period) {
            findings.refuse(e);
            unreadable_export = true; // refused by its own error, not reported missing
            continue;
        }
        for (why, lines, events) in coverage.keep_inside(&mut parsed) {
            provenance.add_excluded(&file.path, &lines, &events, &[], &why);
        }
        let rows = std::mem::take(&mut parsed.left_out_by_date);
        // The market the parser read it for (`market_of` gave it).
        let market = folder.or(format.home_market());
        provenance.add_rows_left_out(&file.path, market, &rows, |d| coverage.left_out_because(d));
        let provides = provides(format, market);
        let provides = if parsed.lacks_returns { provides.lacking_returns() } else { provides };
        if let Some(m) = provides.market()
            && !contract.contract.markets.contains(&m)
        {
            findings.refuse(crate::error::InputError::file(
                &file.path,
                format!("is an export for {m}, which contract {} does not cover", contract.contract.id),
            ));
            continue;
        }
        if let Some(m) = provides.market()
            && !parsed.date_only_near_boundary.is_empty()
            && m.default_time_zone().is_some_and(|zone| contract.time_zone(m) != zone)
        {
            let lines = &parsed.date_only_near_boundary;
            findings.note(
                NoteKind::TimeZoneNotApplied {
                    market: m.id().to_string(),
                    zone: contract.time_zone(m).name().to_string(),
                    rows: lines.len().to_string(),
                },
                vec![format!("{}:{}", file.path, crate::notes::line_ranges(lines))],
            )?;
        }
        for (note, lines) in std::mem::take(&mut parsed.notes) {
            let evidence = if lines.is_empty() {
                file.path.clone()
            } else {
                format!("{}:{}", file.path, crate::notes::line_ranges(&lines))
            };
            findings.note(note, vec![evidence])?;
        }
        copies.insert(sha256.clone(), (file.path.clone(), Some(format)));
        read.push(ReadExport { file: file.path.clone(), parsed, provides, record: inputs.len() });
        inputs.push(hashed_record(&file, sha256, format, 0));
    }

    let mut ledger_file = None;
    let mut costs = match ws.cost_file(period, seller) {
        Some(rel) => {
            let file = ws.read(&rel)?;
            match read_costs(&file.path, file.bytes()) {
                Ok(lines) => {
                    ledger_file = Some((file.path.clone(), inputs.len()));
                    inputs.push(record(&file, Format::CostLedger, lines.len()));
                    let term = in_term.then_some(&contract.contract);
                    let dating = check_cost_dates(&file.path, &lines, period, term, contract.costs.allow_late_billed);
                    for e in dating.refused {
                        findings.refuse(e);
                    }
                    for late in dating.late {
                        findings.note(
                            NoteKind::LateBilledCost { invoice_no: late.invoice_no, date: late.date },
                            vec![format!("{}:{}", file.path, late.line)],
                        )?;
                    }
                    // As of a day, the costs dated after it are not there yet.
                    let mut lines = lines;
                    if let Some(as_of) = coverage.as_of {
                        let (kept, later): (Vec<CostLine>, Vec<CostLine>) =
                            lines.into_iter().partition(|c| c.date <= as_of);
                        for c in &later {
                            provenance.add_excluded_cost(
                                &file.path,
                                c,
                                &format!("dated after the as-of day ({as_of})"),
                            );
                        }
                        lines = kept;
                    }
                    lines
                }
                Err(e) => {
                    findings.refuse(e);
                    Vec::new()
                }
            }
        }
        None => Vec::new(),
    };

    let billed = match opts.billed.as_ref().map(|b| b.statements(seller, period)).transpose() {
        Ok(billed) => billed.unwrap_or_default(),
        Err(e) => {
            findings.refuse(e);
            Vec::new()
        }
    };
    note_partial_orders_reports(&read, &inputs, counted, &mut findings)?;
    count_settlements_once(&mut read, &mut findings)?;
    let mut exports: Vec<(&str, &mut ParsedExport)> =
        read.iter_mut().map(|r| (r.file.as_str(), &mut r.parsed)).collect();
    let ledger_lines = ledger_file.as_ref().map(|(file, _)| (file.as_str(), &mut costs));
    crate::dedup::count_once(&mut exports, ledger_lines, &billed, &mut findings, &mut provenance)?;
    let history: Vec<crate::billed::PastFigures> = billed.iter().map(|b| b.figures.clone()).collect();
    crate::strays::report(ws, period, seller, &inputs, &mut findings)?;
    if let Some((_, i)) = ledger_file {
        inputs[i].rows = costs.len();
    }
    let count = |f: fn(&ParsedExport) -> usize| read.iter().map(|r| f(&r.parsed)).sum();
    ledger.reserve(count(|p| p.lines.len()), count(|p| p.events.len()), count(|p| p.ads.len()));
    for ReadExport { file, parsed, provides, record } in read {
        provenance.add_export(&file, &parsed);
        inputs[record].rows = parsed.rows_in_period;
        inputs[record].dates = parsed.dates.map(|(first, last)| DateSpan { first, last });
        for c in &parsed.checks {
            check_markets.push((provides.market(), c.ok));
        }
        checks.extend(parsed.checks);
        ledger.add(parsed.lines, parsed.events, parsed.ads, provides);
    }

    if let Some((file, _)) = &ledger_file {
        provenance.add_costs(file, &costs);
    }

    // An unreadable export may be the one that seems missing: its own error says what is wrong.
    if !unreadable_export {
        let given = |m: Market, export: DataKind| match export {
            DataKind::Sales => ledger.has_sales(m),
            DataKind::Ads => ledger.has_ads(m),
            DataKind::Returns => ledger.has_returns(m),
            DataKind::Feedback => ledger.has_feedback(m),
            DataKind::Orders => ledger.has_orders(m),
            DataKind::Traffic => ledger.has_traffic(m),
            DataKind::Inventory => ledger.has_inventory(m),
        };
        let folder = Workspace::export_dir(period, seller);
        check_exports(&contract, &contract_file.path, &folder, given, &opts.allow_missing, &mut findings)?;
    }
    for c in checks.iter().filter(|c| !c.ok) {
        findings.note(
            NoteKind::ReconciliationFailed { scope: c.scope.clone(), detail: c.detail.clone() },
            vec![c.file.clone()],
        )?;
    }
    for &m in &contract.contract.markets {
        // A store's payment fees are in no export but its payment provider's.
        if m.marketplace() == crate::market::Marketplace::Shopify && ledger.has_sales(m) && !ledger.has_payouts(m) {
            findings.note(
                NoteKind::StorePaymentFeesNotGiven { market: m.id().to_string() },
                vec![format!("{}/{}", Workspace::export_dir(period, seller), m.folder())],
            )?;
        }
        let has_sales = ledger.has_sales(m);
        if has_sales && !check_markets.iter().any(|(cm, _)| *cm == Some(m)) {
            findings.note(NoteKind::MarketNotReconciled { market: m.id().to_string() }, vec![])?;
        }
    }
    let (fee_currency, settlement) = (contract.fees.currency, contract.seller.settlement_currency);
    let mut needed: Vec<(Currency, Currency)> = costs.iter().map(|c| (c.currency, settlement)).collect();
    needed.extend([(settlement, fee_currency), (fee_currency, settlement)]);
    let maybe: Vec<(Currency, Currency)> =
        contract.contract.markets.iter().map(|m| (contract.currency(*m), fee_currency)).collect();
    for e in fx.problems(&needed, &maybe, contract.fx.rate_date, period, contract.fx.max_age_days) {
        findings.refuse(e);
    }
    if let Some(note) = coverage.note(contract.fees.base_monthly) {
        findings.note(note, vec![contract_file.path.clone()])?;
    }
    findings.check()?;

    Ok(SellerInputs {
        seller: seller.to_string(),
        period,
        contract,
        fx,
        ledger,
        costs,
        checks,
        check_markets,
        inputs,
        notes: findings.into_notes(),
        coverage,
        history,
        provenance: provenance.finish(),
    })
}

/// A seller's per-market figures and KPIs, and the FX quotes used so far.
#[derive(Debug, Clone)]
pub struct KpiStage {
    pub figures: BTreeMap<Market, MarketFigures>,
    /// Every KPI of the contract, each with its English definition.
    pub kpis: Vec<Kpi>,
    fx_used: BTreeMap<(Currency, Currency), FxQuote>,
}

/// Aggregates the ledger per market and computes every KPI of the contract
/// (overall KPIs converted into the fee currency), each with the English
/// text of its definition.
///
/// # Errors
/// A missing FX rate, or an internal error from the aggregation or the
/// template catalog.
pub fn compute_kpis(inputs: &SellerInputs) -> Result<KpiStage, Error> {
    let figures = inputs.ledger.figures().map_err(Error::Internal)?;
    let fee_currency = inputs.contract.fees.currency;
    let mut fx = Rates::new(inputs, BTreeMap::new());
    let mut kpis = {
        let fx = std::cell::RefCell::new(&mut fx);
        kpi::compute(&inputs.contract, &figures, &|m: Market, d: Decimal| {
            fx.borrow_mut().convert(d, inputs.contract.currency(m), fee_currency).map(|(v, _)| v)
        })?
    };
    let english = english()?;
    for k in &mut kpis {
        k.inputs = kpi_inputs(k, &inputs.inputs);
        k.definition = english
            .text(&format!("kpi_definitions.{}", k.definition_key))
            .map_err(|e| Error::Internal(e.to_string()))?
            .to_string();
    }
    Ok(KpiStage { figures, kpis, fx_used: fx.used })
}

/// The exports `k`'s value is made of: the inputs whose format provides,
/// for a market `k` covers, a kind of data `k` reads (none without a value).
fn kpi_inputs(k: &kpi::Kpi, inputs: &[InputRecord]) -> Vec<String> {
    if k.value.is_none() {
        return Vec::new();
    }
    let kinds = kpi::data_kinds(k.id);
    inputs
        .iter()
        .filter(|record| {
            let p = provides(record.format, record_market(record));
            k.covers.iter().any(|&m| {
                kinds.iter().any(|kind| {
                    let market = match kind {
                        DataKind::Sales => p.sales,
                        DataKind::Ads => p.ads,
                        DataKind::Returns => p.returns,
                        DataKind::Feedback => p.feedback,
                        DataKind::Orders => p.orders,
                        DataKind::Traffic => p.traffic,
                        DataKind::Inventory => p.inventory,
                    };
                    market == Some(m)
                })
            })
        })
        .map(|record| record.path.clone())
        .fold(Vec::new(), |mut paths, path| {
            if !paths.contains(&path) {
                paths.push(path);
            }
            paths
        })
}

/// Drops the Date Range report rows of every settlement also given as a
/// settlement report: that report is the settlement's source (it carries
/// the settlement's own total to check against), and the two never add up.
/// A data note per Date Range file names the settlements counted from
/// their reports and how many of its rows that left out.
fn count_settlements_once(read: &mut [ReadExport], findings: &mut Findings) -> Result<(), Error> {
    let settled: BTreeMap<String, String> = read
        .iter()
        .flat_map(|r| {
            r.parsed.units.iter().filter_map(move |u| match &u.key {
                UnitKey::Settlement(id) => Some((id.clone(), r.file.clone())),
                _ => None,
            })
        })
        .collect();
    if settled.is_empty() {
        return Ok(());
    }
    for r in read.iter_mut() {
        let covered =
            |u: &Unit| matches!(&u.key, UnitKey::DateRangeRow { settlement, .. } if settled.contains_key(settlement));
        let drop: Vec<bool> = r.parsed.units.iter().map(covered).collect();
        if !drop.contains(&true) {
            continue;
        }
        let mut settlements: Vec<String> = Vec::new();
        for u in r.parsed.units.iter().filter(|u| covered(u)) {
            if let UnitKey::DateRangeRow { settlement, .. } = &u.key {
                let named = format!("{settlement} ({})", settled[settlement]);
                if !settlements.contains(&named) {
                    settlements.push(named);
                }
            }
        }
        let rows = drop.iter().filter(|&&d| d).count();
        r.parsed.drop_units(&drop);
        findings.note(
            NoteKind::SettlementCountedFromReport { file: r.file.clone(), rows: rows.to_string(), settlements },
            vec![r.file.clone()],
        )?;
    }
    Ok(())
}

/// Scales each GMV target of `contract` (its minimum and alert) by the share
/// of the month due over the days `coverage` counts against the share due
/// over the term's days in the period (by the contract's `kpi.gmv_curve`,
/// or the days elapsed without one), rounded half-up to the minor unit: a
/// month's GMV minimum, met at the expected pace, is met by the as-of date. Returns each change as "gmv <market> min <before> →
/// <after>". Other targets are ratios or counts of the days counted and
/// stay as they are.
fn prorate_gmv_targets(contract: &mut Contract, coverage: &term::Coverage) -> Vec<String> {
    // The share of the month's target due over the days counted, against
    // the share due over the term's days in the month: on the contract's
    // curve, which without one is the days themselves.
    let days = coverage.period_days();
    let share = |d: NaiveDate| contract.kpi.gmv_share(d.day(), days);
    let before = coverage.first.pred_opt().filter(|d| coverage.period.contains(*d)).map_or(Decimal::ZERO, share);
    let (_, counted_last) = coverage.counted();
    let (due, term) = (share(counted_last) - before, share(coverage.last) - before);
    let (due, term) = if term > Decimal::ZERO {
        (due, term)
    } else {
        (Decimal::from(coverage.counted_days()), Decimal::from(coverage.term_day_count()))
    };
    let scale = |d: Decimal| {
        let mut r = RoundingMode::HalfUp.round_dp(d * due / term, 2);
        r.rescale(2);
        r
    };
    let mut changes = Vec::new();
    for t in contract.kpi.targets.iter_mut().filter(|t| t.kpi == KpiId::Gmv) {
        let market = t.market.map_or("all", |m| m.id());
        for (name, bound) in [("min", &mut t.min), ("max", &mut t.max), ("alert", &mut t.alert)] {
            if let Some(v) = bound {
                let after = scale(*v);
                changes.push(format!("gmv {market} {name} {v} → {after}"));
                *v = after;
            }
        }
    }
    changes
}

/// Days the All Orders reports' orders may start after the counted
/// period's first day, or end before its last, before a note says so.
pub const ORDERS_EDGE_DAYS: u64 = 2;

/// Notes All Orders reports whose orders, all files together, start more
/// than [`ORDERS_EDGE_DAYS`] after the first day counted or end as long
/// before the last: the report does not say which dates it was downloaded
/// for, and one downloaded for part of the month would leave the other
/// orders out of every figure without a word.
fn note_partial_orders_reports(
    read: &[ReadExport],
    inputs: &[InputRecord],
    (counted_first, counted_last): (NaiveDate, NaiveDate),
    findings: &mut Findings,
) -> Result<(), Error> {
    let reports: Vec<&ReadExport> =
        read.iter().filter(|r| inputs[r.record].format == Format::AmazonAllOrders).collect();
    let spans = reports.iter().filter_map(|r| r.parsed.dates);
    let Some((first, last)) = spans.reduce(|(a, b), (c, d)| (a.min(c), b.max(d))) else { return Ok(()) };
    let edge = chrono::Days::new(ORDERS_EDGE_DAYS);
    if first > counted_first + edge || last + edge < counted_last {
        let files: Vec<String> = reports.iter().map(|r| r.file.clone()).collect();
        let kind =
            NoteKind::OrdersReportPartial { files: files.clone(), first: first.to_string(), last: last.to_string() };
        findings.note(kind, files)?;
    }
    Ok(())
}

/// The market an export of `format` in `path` is read for: the market of
/// its folder, or its format's home market when it lies in the seller's
/// folder itself (see [`Format::home_market`]).
///
/// # Errors
/// An [`InputError`](crate::error::InputError) naming the file when it is
/// an export of another marketplace than its folder's market, or of a
/// marketplace of stores outside a store's folder.
fn market_of(path: &str, format: Format, folder: Option<Market>) -> Result<Market, crate::error::InputError> {
    let marketplace = format.marketplace();
    match (folder, format.home_market()) {
        (Some(m), _) if Some(m.marketplace()) == marketplace => Ok(m),
        (Some(m), _) => Err(crate::error::InputError::file(
            path,
            format!(
                "is {} ({}), not an export of {m}: each market's folder holds that market's exports only; move it to the folder of its market",
                crate::markets::format_name(format),
                format.id()
            ),
        )),
        (None, Some(home)) => Ok(home),
        (None, None) => Err(crate::error::InputError::file(
            path,
            format!(
                "is {} ({}), whose store the file does not name: put it in the folder of its store, exports/<period>/<seller>/shopify-<store>/ (the contract's market shopify:<store>)",
                crate::markets::format_name(format),
                format.id()
            ),
        )),
    }
}

/// The market the export `record` was read for: the market of the folder
/// it lies in (`exports/<period>/<seller>/<market folder>/<file>`), else
/// its format's home market (as [`market_of`] chose it).
fn record_market(record: &InputRecord) -> Option<Market> {
    let parts: Vec<&str> = record.path.split('/').collect();
    match parts.as_slice() {
        ["exports", _, _, folder, _] => Market::of_folder(folder),
        _ => record.format.home_market(),
    }
}

/// What an export of `format`, read for `market`, provides: which market's
/// sales, ads, returns, feedback, orders, traffic or stock it is.
fn provides(format: Format, market: Option<Market>) -> Provides {
    let Some(m) = market else { return Provides::default() };
    let only = Provides::default();
    match format {
        Format::AmazonSettlementV1 | Format::AmazonSettlementV2 | Format::AmazonDateRange => {
            Provides { sales: Some(m), ..only }
        }
        // Vendas lists cancelled sales beside the others, and each sale's
        // return in its Devoluções block: also the orders and returns export.
        Format::MercadolivreVendasCsv | Format::MercadolivreVendasXlsx => {
            Provides { sales: Some(m), orders: Some(m), returns: Some(m), ..only }
        }
        // Every order placed is in it, cancelled or not: also the orders export.
        Format::ShopifyOrders => Provides { sales: Some(m), orders: Some(m), ..only },
        // Each item's returned quantity is in it too: also the returns export.
        Format::ShopeeOrders => Provides { sales: Some(m), orders: Some(m), returns: Some(m), ..only },
        Format::ShopifyPayments => Provides { payouts: Some(m), ..only },
        Format::AmazonAdsCsv | Format::AmazonAdsXlsx | Format::MercadolivreAdsXlsx => Provides { ads: Some(m), ..only },
        Format::AmazonFbaReturns | Format::AmazonMfnReturns => Provides { returns: Some(m), ..only },
        Format::AmazonFeedback => Provides { feedback: Some(m), ..only },
        Format::AmazonAllOrders => Provides { orders: Some(m), ..only },
        Format::AmazonBusinessReport => Provides { traffic: Some(m), ..only },
        Format::AmazonInventoryLedger => Provides { inventory: Some(m), ..only },
        Format::CostLedger | Format::FxTable | Format::FxPtax | Format::Contract => only,
    }
}

/// A seller's KPIs with the money they lead to: the commission base, the
/// pass-through costs, the service fees and the totals.
#[derive(Debug, Clone)]
pub struct FeeStage {
    pub kpis: KpiStage,
    pub commission_base: CommissionBase,
    pub pass_through: PassThrough,
    pub service_fees: ServiceFees,
    pub totals: Totals,
    /// The contract choices the fees took (e.g. the markup inside the fee limits).
    pub notes: Vec<DataNote>,
}

/// Computes the commission base (each market's GMV in the fee currency), the
/// pass-through lines in the settlement currency, the service fees by the
/// contract's rules and the totals due.
///
/// # Errors
/// A missing FX rate, or an internal error from the template catalog.
pub fn compute_fees(inputs: &SellerInputs, kpis: KpiStage) -> Result<FeeStage, Error> {
    let contract = &inputs.contract;
    let fee_currency = contract.fees.currency;
    let settlement = contract.seller.settlement_currency;
    let mut fx = Rates::new(inputs, kpis.fx_used.clone());

    let mut base_lines = Vec::new();
    for k in kpis.kpis.iter().filter(|k| k.id == KpiId::Gmv) {
        let (Some(market), Some(gmv)) = (k.market.market(), k.value) else { continue };
        let (converted, q) = fx.convert(gmv, contract.currency(market), fee_currency)?;
        base_lines.push(CommissionBaseLine {
            market,
            gmv,
            currency: contract.currency(market),
            fx_rate: q.effective_rate(),
            converted,
        });
    }
    let commission_base = CommissionBase {
        currency: fee_currency,
        total: base_lines.iter().map(|l| l.converted).sum(),
        lines: base_lines,
    };

    let mut pass_lines = Vec::new();
    for c in &inputs.costs {
        let (converted, q) = fx.convert(c.amount, c.currency, settlement)?;
        pass_lines.push(PassThroughLine {
            date: c.date,
            category: c.category,
            vendor: c.vendor.clone(),
            invoice_no: c.invoice_no.clone(),
            description: c.description.clone(),
            amount: c.amount,
            currency: c.currency,
            fx_rate: q.effective_rate(),
            fx_date: q.date,
            fx_source: q.source.clone(),
            converted,
            evidence: c.evidence.clone(),
        });
    }
    let pass_total: Decimal = pass_lines.iter().map(|l| l.converted).sum();
    let pass_total_fee = fx.convert(pass_total, settlement, fee_currency)?.0;

    let english = english()?;
    let readings: Vec<KpiReading> = kpis
        .kpis
        .iter()
        .map(|k| -> Result<KpiReading, Error> {
            Ok(KpiReading {
                kpi: k.id,
                market: k.market.market(),
                value: k.value,
                no_data_reason: match (&k.note, k.value) {
                    (Some(note), None) => Some(english.note(note).map_err(|e| Error::Internal(e.to_string()))?),
                    _ => None,
                },
                covers: k.covers.clone(),
            })
        })
        .collect::<Result<_, _>>()?;
    let service_fees = compute_prorated_service_fees(
        &FeeInputs {
            terms: &contract.fees,
            commission_base: commission_base.total,
            kpis: &readings,
            pass_through_total: pass_total_fee,
        },
        inputs.coverage.term_days(),
    );

    let (service_total, tax_total, conversion) = if fee_currency == settlement {
        (service_fees.subtotal, service_fees.tax, None)
    } else {
        let (s, q) = fx.convert(service_fees.subtotal, fee_currency, settlement)?;
        let (t, _) = fx.convert(service_fees.tax, fee_currency, settlement)?;
        (
            s,
            t,
            Some(TotalsConversion {
                from: fee_currency,
                to: settlement,
                rate: q.effective_rate(),
                date: q.date,
                source: q.source.clone(),
                description: q.describe(),
            }),
        )
    };
    let totals = Totals {
        currency: settlement,
        service_fees: service_total,
        tax: tax_total,
        pass_through: pass_total,
        amount_due: service_total + tax_total + pass_total,
        conversion,
    };
    let fx_used = fx.used;
    let notes = crate::fee_bounds::note(&service_fees)
        .into_iter()
        .chain(crate::fx_source::note(contract, fx_used.values()))
        .map(|kind| DataNote::new(kind, vec![Workspace::contract_path(&inputs.seller)]))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FeeStage {
        kpis: KpiStage { fx_used, ..kpis },
        commission_base,
        pass_through: PassThrough { currency: settlement, lines: pass_lines, total: pass_total },
        service_fees,
        totals,
        notes,
    })
}

/// Puts a seller's inputs, KPIs and fees together as its [`Statement`],
/// to be signed with the key `signing` describes; every money amount is
/// written with its minor unit and never as `-0.00` ([`crate::minor_units`]).
///
/// # Errors
/// An internal error from the template catalog.
pub fn assemble_statement(
    ws: &Workspace,
    inputs: SellerInputs,
    fees: FeeStage,
    opts: &RunOptions,
    signing: SigningBlock,
) -> Result<Statement, Error> {
    let SellerInputs { seller, period, contract, checks, check_markets, inputs, notes, history, provenance, .. } =
        inputs;
    let FeeStage {
        kpis: KpiStage { figures, kpis, fx_used },
        commission_base,
        pass_through,
        service_fees,
        totals,
        notes: fee_notes,
    } = fees;
    let notes: Vec<DataNote> = notes.into_iter().chain(fee_notes).collect();
    let mode = contract.fees.rounding;
    let markets = contract
        .contract
        .markets
        .iter()
        .map(|&m| {
            let value =
                |id: KpiId| kpis.iter().find(|k| k.id == id && k.market == Scope::of(Some(m))).and_then(|k| k.value);
            let sales = figures.get(&m).and_then(|f| f.sales.clone());
            let orders = figures.get(&m).and_then(|f| f.orders.clone());
            MarketSummary {
                market: m,
                currency: contract.currency(m),
                gmv: value(KpiId::Gmv),
                orders: sales.as_ref().map(|s| s.orders),
                units: sales.as_ref().map(|s| s.units),
                refunds: sales.as_ref().map(|s| s.refunded_principal),
                platform_fees: value(KpiId::PlatformFees),
                net_proceeds: value(KpiId::NetProceeds),
                orders_placed: orders.as_ref().map(|o| o.placed),
                orders_cancelled: orders.as_ref().map(|o| o.cancelled),
                reconciled: Reconciled::of(check_markets.iter().filter(|(cm, _)| *cm == Some(m)).map(|(_, ok)| *ok)),
            }
        })
        .collect();

    let mut statement = Statement {
        schema: SCHEMA.to_string(),
        statement_number: format!("{}-{}-{}", contract.contract.id, period.to_string().replace('-', ""), seller),
        issue_date: opts.issue_date,
        provider: ws.config.provider.clone(),
        seller: SellerBlock {
            id: contract.seller.id.clone(),
            legal_name: contract.seller.legal_name.clone(),
            tax_id: contract.seller.tax_id.clone(),
            language: contract.seller.language,
            settlement_currency: contract.seller.settlement_currency,
        },
        contract: ContractBlock {
            id: contract.contract.id.clone(),
            start: contract.contract.start,
            end: contract.contract.end,
            markets: contract.contract.markets.clone(),
            fee_currency: contract.fees.currency,
            fx: Some(contract.fx.clone()),
        },
        period: PeriodBlock { id: period, start: period.first_day(), end: period.last_day() },
        rounding: RoundingBlock {
            mode,
            rule: english()?.rounding_rule(mode).map_err(|e| Error::Internal(e.to_string()))?,
        },
        totals,
        kpis,
        commission_base,
        service_fees,
        pass_through,
        fx: fx_used.into_values().collect(),
        markets,
        trend: None,
        reconciliation: checks,
        inputs,
        generator: Generator::current(),
        signing,
        notes,
        supersedes: None,
        provenance: Some(provenance),
    };
    crate::minor_units::normalize(&mut statement);
    let due =
        crate::trend::TrendAmount { currency: statement.totals.currency, amount_due: statement.totals.amount_due };
    let past: Vec<&crate::billed::PastFigures> = history.iter().collect();
    statement.trend = crate::trend::build(
        &statement.statement_number,
        period,
        &statement.kpis,
        due,
        &past,
        statement.contract.markets.len() == 1,
    );
    Ok(statement)
}

/// The English catalog, whose texts statement.json carries.
fn english() -> Result<&'static Catalog, Error> {
    Catalog::get(Language::En).map_err(|e| Error::Internal(e.to_string()))
}
