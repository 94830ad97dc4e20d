//! Reading a period's marketplace exports into normalized facts.
//!
//! The format of each file is detected from its content (its header), never
//! its name. This module and its children are the only code that knows a
//! marketplace's column names.

pub mod amazon_ads;
pub mod amazon_business_report;
pub mod amazon_date_range;
pub mod amazon_feedback;
pub mod amazon_inventory;
pub mod amazon_mfn_returns;
pub mod amazon_orders;
pub mod amazon_returns;
pub mod amazon_settlement;
pub mod costs;
pub mod dates;
pub mod mercadolivre;
pub mod mercadolivre_ads;
mod order_export;
pub mod records;
pub mod shopee_orders;
pub mod shopify_orders;
pub mod shopify_payments;
pub mod table;
pub mod units;

use std::ops::Range;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::market::{Market, Marketplace};
use crate::money::DecimalStyle;
use crate::period::Period;
use records::{AdRow, MoneyLine, OrderEvent, ReconciliationCheck};
use table::{Table, TextFormat};
use units::Unit;

/// A recognised input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    AmazonSettlementV2,
    AmazonSettlementV1,
    AmazonAdsCsv,
    AmazonAdsXlsx,
    /// The FBA customer returns report.
    AmazonFbaReturns,
    /// The seller Feedback report.
    AmazonFeedback,
    /// The merchant-fulfilled returns report.
    AmazonMfnReturns,
    /// The All Orders report.
    AmazonAllOrders,
    /// The Business Report by date (Detail Page Sales and Traffic).
    AmazonBusinessReport,
    /// The Inventory Ledger, Summary view by day.
    AmazonInventoryLedger,
    /// The Date Range (custom transaction) report.
    AmazonDateRange,
    MercadolivreVendasXlsx,
    MercadolivreVendasCsv,
    /// Mercado Livre's Product Ads report (XLSX).
    MercadolivreAdsXlsx,
    /// Shopee's order export (`Order.all…xlsx`).
    ShopeeOrders,
    /// Shopify's orders export (`orders_export_1.csv`).
    ShopifyOrders,
    /// Shopify Payments' transactions export (`payment_transactions_export_1.csv`).
    ShopifyPayments,
    CostLedger,
    FxTable,
    FxPtax,
    Contract,
}

impl Format {
    /// The marketplace whose export this is; `None` for the provider's own
    /// files (cost ledger, FX tables, contract).
    pub fn marketplace(self) -> Option<Marketplace> {
        match self {
            Format::AmazonSettlementV2
            | Format::AmazonSettlementV1
            | Format::AmazonAdsCsv
            | Format::AmazonAdsXlsx
            | Format::AmazonFbaReturns
            | Format::AmazonFeedback
            | Format::AmazonMfnReturns
            | Format::AmazonAllOrders
            | Format::AmazonBusinessReport
            | Format::AmazonInventoryLedger
            | Format::AmazonDateRange => Some(Marketplace::Amazon),
            Format::MercadolivreVendasXlsx | Format::MercadolivreVendasCsv | Format::MercadolivreAdsXlsx => {
                Some(Marketplace::MercadoLivre)
            }
            Format::ShopeeOrders => Some(Marketplace::Shopee),
            Format::ShopifyOrders | Format::ShopifyPayments => Some(Marketplace::Shopify),
            Format::CostLedger | Format::FxTable | Format::FxPtax | Format::Contract => None,
        }
    }

    /// The market an export of this format is of when it lies in the
    /// seller's export folder itself rather than a market's folder: the
    /// first site of its marketplace in [`crate::market::SITES`] (Amazon
    /// US, Mercado Livre BR, Shopee BR; see [`Market::home_of`]). `None` for a
    /// marketplace of stores, whose exports must name their store by folder.
    pub fn home_market(self) -> Option<Market> {
        Market::home_of(self.marketplace()?)
    }

    /// The id statement.json writes, e.g. `amazon_settlement_v2`.
    pub fn id(self) -> &'static str {
        match self {
            Format::AmazonSettlementV2 => "amazon_settlement_v2",
            Format::AmazonSettlementV1 => "amazon_settlement_v1",
            Format::AmazonAdsCsv => "amazon_ads_csv",
            Format::AmazonAdsXlsx => "amazon_ads_xlsx",
            Format::AmazonFbaReturns => "amazon_fba_returns",
            Format::AmazonFeedback => "amazon_feedback",
            Format::AmazonMfnReturns => "amazon_mfn_returns",
            Format::AmazonAllOrders => "amazon_all_orders",
            Format::AmazonBusinessReport => "amazon_business_report",
            Format::AmazonInventoryLedger => "amazon_inventory_ledger",
            Format::AmazonDateRange => "amazon_date_range",
            Format::MercadolivreVendasXlsx => "mercadolivre_vendas_xlsx",
            Format::MercadolivreVendasCsv => "mercadolivre_vendas_csv",
            Format::MercadolivreAdsXlsx => "mercadolivre_ads_xlsx",
            Format::ShopeeOrders => "shopee_orders",
            Format::ShopifyOrders => "shopify_orders",
            Format::ShopifyPayments => "shopify_payments",
            Format::CostLedger => "cost_ledger",
            Format::FxTable => "fx_table",
            Format::FxPtax => "fx_ptax",
            Format::Contract => "contract",
        }
    }
}

/// What the parsers need to know besides the file: the period, the market
/// the export is of, and the time zone and currency of that market.
#[derive(Debug, Clone, Copy)]
pub struct IngestContext {
    pub period: Period,
    /// The market the export is read for: the market folder it is in, or
    /// the home market of its format (see [`Format::home_market`]).
    pub market: Market,
    /// The zone the market's rows are dated in (the contract's, or the site's).
    pub tz: Tz,
    /// The currency the market pays out in (the site's, or the contract's for a store).
    pub currency: crate::money::Currency,
    /// The first and last day whose ads count: the period, or the part of it
    /// the contract term covers. A report row spanning one of these bounds
    /// is refused (see [`amazon_ads::parse`]).
    pub counted: (NaiveDate, NaiveDate),
}

impl IngestContext {
    /// The context for `market` (a market whose site fixes its zone and
    /// currency) with the site's own zone and currency, counting the whole period.
    pub fn new(period: Period, market: Market) -> Self {
        IngestContext {
            period,
            market,
            tz: market.default_time_zone().unwrap_or(chrono_tz::UTC),
            currency: market.fixed_currency().unwrap_or(crate::money::Currency::Usd),
            counted: (period.first_day(), period.last_day()),
        }
    }
}

/// The facts one export contributes to the period. Only rows dated in the
/// period are kept; reconciliation checks cover the whole file.
#[derive(Debug, Clone, Default)]
pub struct ParsedExport {
    pub lines: Vec<MoneyLine>,
    pub events: Vec<OrderEvent>,
    pub ads: Vec<AdRow>,
    pub checks: Vec<ReconciliationCheck>,
    /// Data rows read from the file.
    pub rows_total: usize,
    /// Data rows that contributed a fact dated in the period.
    pub rows_in_period: usize,
    /// The first and last date of the file's dated data rows, whatever the
    /// period (`None` when it has none): what a file of the wrong month covers.
    pub dates: Option<(NaiveDate, NaiveDate)>,
    /// Line (or sheet row) numbers of rows dated by a calendar date without a
    /// time of day within a day of the period's first or last day: no time
    /// zone can be applied to them, so a contract's own zone for the market
    /// cannot move them across the month boundary (see
    /// [`Period::near_boundary`](crate::period::Period::near_boundary)).
    pub date_only_near_boundary: Vec<usize>,
    /// Data notes the file's rows call for, each with the line (or sheet
    /// row) numbers it is about (empty: the file as a whole).
    pub notes: Vec<(crate::notes::NoteKind, Vec<usize>)>,
    /// The file is of a format that carries its market's returns (Mercado
    /// Livre's Vendas export, in its Devoluções block) but lacks them: the
    /// market's returned units are then unknown, not zero.
    pub lacks_returns: bool,
    /// The units of money the file carries (settlements, sales, ads rows),
    /// each naming its facts above; every fact belongs to one unit, except
    /// file-wide checks (see `crate::dedup`).
    pub units: Vec<Unit>,
    /// Data rows that give no fact because of their date, each as its line
    /// (or sheet row) and that date: outside the period, or (ads rows)
    /// inside it but outside the days counted. Listed in provenance.csv as
    /// left out, with why.
    pub left_out_by_date: Vec<(usize, NaiveDate)>,
}

impl ParsedExport {
    /// Removes the units for which `drop` is true, with their facts, their
    /// checks and their rows in the period; the other units' ranges are
    /// renumbered to match. `drop` is indexed like `units` (missing entries
    /// mean keep).
    pub fn drop_units(&mut self, drop: &[bool]) {
        if !drop.iter().any(|&d| d) {
            return;
        }
        fn mask(len: usize, units: &[Unit], drop: &[bool], range: impl Fn(&Unit) -> Range<usize>) -> Vec<bool> {
            let mut keep = vec![true; len];
            for (unit, _) in units.iter().zip(drop).filter(|(_, d)| **d) {
                for i in range(unit) {
                    keep[i] = false;
                }
            }
            keep
        }
        let lines = mask(self.lines.len(), &self.units, drop, |u| u.lines.clone());
        let events = mask(self.events.len(), &self.units, drop, |u| u.events.clone());
        let ads = mask(self.ads.len(), &self.units, drop, |u| u.ads.clone());
        let checks = mask(self.checks.len(), &self.units, drop, |u| u.checks.clone());
        let mut i = 0;
        let mut rows_in_period = self.rows_in_period;
        self.units.retain(|u| {
            i += 1;
            let dropped = drop.get(i - 1).copied().unwrap_or(false);
            if dropped {
                rows_in_period = rows_in_period.saturating_sub(u.rows_in_period);
            }
            !dropped
        });
        self.rows_in_period = rows_in_period;
        self.retain_masked(&lines, &events, &ads, &checks);
    }

    /// Keeps only the money lines and order events the predicates accept
    /// (e.g. those dated inside the contract term), renumbering the units'
    /// ranges so that each unit still names exactly its remaining facts.
    /// Returns the facts taken out, in their order.
    pub fn retain_facts(
        &mut self,
        keep_line: impl Fn(&MoneyLine) -> bool,
        keep_event: impl Fn(&OrderEvent) -> bool,
    ) -> (Vec<MoneyLine>, Vec<OrderEvent>) {
        let lines: Vec<bool> = self.lines.iter().map(keep_line).collect();
        let events: Vec<bool> = self.events.iter().map(keep_event).collect();
        let taken_lines = self.lines.iter().zip(&lines).filter(|(_, k)| !**k).map(|(l, _)| l.clone()).collect();
        let taken_events = self.events.iter().zip(&events).filter(|(_, k)| !**k).map(|(e, _)| e.clone()).collect();
        let (ads, checks) = (vec![true; self.ads.len()], vec![true; self.checks.len()]);
        self.retain_masked(&lines, &events, &ads, &checks);
        (taken_lines, taken_events)
    }

    /// Keeps the facts whose mask entry is true and renumbers every unit's
    /// ranges to the kept facts.
    fn retain_masked(&mut self, lines: &[bool], events: &[bool], ads: &[bool], checks: &[bool]) {
        fn retain<T>(items: &mut Vec<T>, keep: &[bool]) {
            let mut i = 0;
            items.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
        /// For each index, how many kept items come before it (and one
        /// more entry for the end): a range's new bounds.
        fn renumber(keep: &[bool]) -> Vec<usize> {
            let mut kept = Vec::with_capacity(keep.len() + 1);
            let mut n = 0;
            kept.push(0);
            for &k in keep {
                n += usize::from(k);
                kept.push(n);
            }
            kept
        }
        let (l, e, a, c) = (renumber(lines), renumber(events), renumber(ads), renumber(checks));
        for u in &mut self.units {
            u.lines = l[u.lines.start]..l[u.lines.end];
            u.events = e[u.events.start]..e[u.events.end];
            u.ads = a[u.ads.start]..a[u.ads.end];
            u.checks = c[u.checks.start]..c[u.checks.end];
        }
        retain(&mut self.lines, lines);
        retain(&mut self.events, events);
        retain(&mut self.ads, ads);
        retain(&mut self.checks, checks);
    }
}

impl ParsedExport {
    /// Checks the export has a row dated in `period`.
    ///
    /// # Errors
    /// An [`InputError`] about `file` as a whole saying which dates its rows
    /// cover (a file of another month left in this period's folder) or that
    /// it has no dated data row at all, and what to do.
    pub fn check_in_period(&self, file: &str, period: Period) -> Result<(), InputError> {
        if self.rows_in_period > 0 {
            return Ok(());
        }
        let message = match self.dates {
            Some((first, last)) => format!(
                "has no row dated in {period}: its rows run from {first} to {last} (a file of another month left in this period's folder?); move it to the folder of the month it covers, or remove it"
            ),
            None => format!(
                "has no data rows: an empty export cannot be told from a failed download; download it again, or remove it if the market had no activity in {period}"
            ),
        };
        Err(InputError::file(file, message))
    }

    /// Notes that line/row `number`, dated `date`, gives no fact for its
    /// date (see [`ParsedExport::left_out_by_date`]).
    pub fn leave_out(&mut self, number: usize, date: NaiveDate) {
        self.left_out_by_date.push((number, date));
    }

    /// Widens [`ParsedExport::dates`] to take in `date`.
    pub fn saw(&mut self, date: NaiveDate) {
        self.dates = Some(match self.dates {
            Some((first, last)) => (first.min(date), last.max(date)),
            None => (date, date),
        });
    }

    /// Counts line/row `number`, dated `date` in the period by a calendar
    /// date without a time of day, as a row in the period, and lists it in
    /// `date_only_near_boundary` when `date` is near the period's bounds.
    pub fn count_date_only_row(&mut self, period: Period, date: NaiveDate, number: usize) {
        if period.near_boundary(date) {
            self.date_only_near_boundary.push(number);
        }
        self.rows_in_period += 1;
    }
}

/// Refuses a day-by-day report (`days`: the days it has rows for) that
/// lacks a day counted (`first..=last`: the period, or the part the
/// contract term or an as-of date leaves): a day without a row cannot be
/// told from a day missing from the download. `download` says what to download.
/// A report without any day of the period is left to
/// [`ParsedExport::check_in_period`].
pub(crate) fn require_every_day(
    file: &str,
    days: &std::collections::BTreeSet<NaiveDate>,
    (first, last): (NaiveDate, NaiveDate),
    download: &str,
) -> Result<(), InputError> {
    let mut counted = first.iter_days().take_while(|d| *d <= last);
    match counted.find(|d| !days.contains(d)) {
        Some(missing) if !days.is_empty() => Err(InputError::file(
            file,
            format!(
                "has no row for {missing}: a day without a row cannot be told from a day missing from the \
                 download; download {download} for every day from {first} to {last}"
            ),
        )),
        _ => Ok(()),
    }
}

/// A tab-separated Amazon report: its format, how its header is told, its
/// parser, and the columns that parser reads when it names them (a large
/// report's others are then not kept as it is read).
type TabReport = (
    Format,
    fn(&[String]) -> bool,
    fn(&Table, &IngestContext) -> Result<ParsedExport, InputError>,
    Option<&'static [&'static str]>,
);

/// The tab-separated reports besides settlements, told apart by header.
const TAB_REPORTS: &[TabReport] = &[
    (Format::AmazonFbaReturns, amazon_returns::is_header, amazon_returns::parse, None),
    (Format::AmazonMfnReturns, amazon_mfn_returns::is_header, amazon_mfn_returns::parse, None),
    (Format::AmazonFeedback, amazon_feedback::is_header, amazon_feedback::parse, None),
    (Format::AmazonAllOrders, amazon_orders::is_header, amazon_orders::parse, Some(amazon_orders::COLUMNS)),
    (Format::AmazonInventoryLedger, amazon_inventory::is_header, amazon_inventory::parse, None),
];

const XLSX_MAGIC: &[u8] = b"PK\x03\x04";
/// The first bytes of an OLE2 compound file ([MS-CFB] 2.2), which is what
/// Office writes for an encrypted workbook ([MS-OFFCRYPTO] 2.3.4).
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Whether `line` is Excel's `sep=<delimiter>` line.
fn is_sep_line(line: &str) -> bool {
    let line = line.trim_start_matches('\u{feff}').trim_end_matches(['\r', '\n']);
    line.starts_with("sep=") && line.chars().count() <= 5
}

/// The context a parser of a format reads with: which market the file is
/// of, in its zone and currency; an error refuses the file for its format
/// (e.g. an export of another marketplace in a market's folder).
pub type ContextFor<'a> = &'a dyn Fn(Format) -> Result<IngestContext, InputError>;

/// Detects the format of a marketplace export from its content and parses
/// it with `ctx`, or with the home market of its format
/// ([`Format::home_market`], in the site's zone and currency) when `ctx`
/// is of another marketplace.
///
/// # Errors
/// As [`read_export_for`].
pub fn read_export(file: &str, bytes: &[u8], ctx: &IngestContext) -> Result<(Format, ParsedExport), InputError> {
    read_export_for(file, bytes, &|format: Format| match format.home_market() {
        Some(home) if Some(ctx.market.marketplace()) != format.marketplace() => {
            Ok(IngestContext { counted: ctx.counted, ..IngestContext::new(ctx.period, home) })
        }
        _ => Ok(*ctx),
    })
}

/// Detects the format of a marketplace export from its content and parses
/// it with the context `ctx_for` gives for that format.
///
/// # Errors
/// An [`InputError`] naming the file (and line/row and column where there is
/// one) when the format is not recognised or a cell cannot be read, or the
/// error `ctx_for` gives.
pub fn read_export_for(
    file: &str,
    bytes: &[u8],
    ctx_for: ContextFor<'_>,
) -> Result<(Format, ParsedExport), InputError> {
    if bytes.starts_with(XLSX_MAGIC) {
        return read_xlsx_export(file, bytes, ctx_for);
    }
    if bytes.starts_with(CFB_MAGIC) {
        return Err(InputError::file(
            file,
            "is an OLE2 compound file, not an export kpiseal reads: a password-protected (encrypted) workbook or an old .xls; open it in Excel, remove the password, and save it as .xlsx",
        ));
    }
    let text = table::decode_text_checked(file, bytes)?;
    // Excel's `sep=,` line, when present, comes before the header.
    let first = text.lines().find(|l| !l.trim().is_empty() && !is_sep_line(l)).unwrap_or("");
    if first.contains('\t') && amazon_settlement::is_header(&split(first, '\t')) {
        let t = table::read_decoded_columns(
            file,
            &text,
            TextFormat { delimiter: b'\t', quoting: false, style: amazon_settlement::decimal_style(&text) },
            amazon_settlement::is_header,
            amazon_settlement::COLUMNS,
        )?;
        let format = amazon_settlement::layout(&t);
        return Ok((format, amazon_settlement::parse(&t, &ctx_for(format)?)?));
    }
    if first.contains('\t') {
        let headers = split(first, '\t');
        if let Some(&(format, is_header, parse, columns)) =
            TAB_REPORTS.iter().find(|(_, is_header, _, _)| is_header(&headers))
        {
            let tab = TextFormat { delimiter: b'\t', quoting: false, style: DecimalStyle::Point };
            let t = match columns {
                Some(columns) => table::read_decoded_columns(file, &text, tab, is_header, columns)?,
                None => table::read_decoded(file, &text, tab, is_header)?,
            };
            return Ok((format, parse(&t, &ctx_for(format)?)?));
        }
    }
    if text.lines().take(50).any(|l| mercadolivre::is_header(&split(l, ';'))) {
        let t = table::read_decoded_columns(
            file,
            &text,
            TextFormat { delimiter: b';', quoting: true, style: DecimalStyle::Comma },
            mercadolivre::is_header,
            &mercadolivre::columns(),
        )?;
        return Ok((Format::MercadolivreVendasCsv, mercadolivre::parse(&t, &ctx_for(Format::MercadolivreVendasCsv)?)?));
    }
    // The Date Range report's header comes below a few preamble lines.
    if let Some(at) = text.lines().take(30).position(|l| amazon_date_range::is_header(&split(l, ','))) {
        let preamble: String = text.lines().take(at).collect::<Vec<_>>().join("\n");
        let csv = TextFormat { delimiter: b',', quoting: true, style: DecimalStyle::Point };
        let t = table::read_decoded(file, &text, csv, amazon_date_range::is_header)?;
        return Ok((
            Format::AmazonDateRange,
            amazon_date_range::parse(&t, &preamble, &ctx_for(Format::AmazonDateRange)?)?,
        ));
    }
    if shopify_payments::is_header(&split(first, ',')) {
        let csv = TextFormat { delimiter: b',', quoting: true, style: DecimalStyle::Point };
        let t = table::read_decoded(file, &text, csv, shopify_payments::is_header)?;
        return Ok((Format::ShopifyPayments, shopify_payments::parse(&t, &ctx_for(Format::ShopifyPayments)?)?));
    }
    if shopify_orders::is_header(&split(first, ',')) {
        let csv = TextFormat { delimiter: b',', quoting: true, style: DecimalStyle::Point };
        let t = table::read_decoded(file, &text, csv, shopify_orders::is_header)?;
        return Ok((Format::ShopifyOrders, shopify_orders::parse(&t, &ctx_for(Format::ShopifyOrders)?)?));
    }
    if amazon_business_report::is_header(&split(first, ',')) {
        let csv = TextFormat { delimiter: b',', quoting: true, style: DecimalStyle::Point };
        let t = table::read_decoded(file, &text, csv, amazon_business_report::is_header)?;
        return Ok((
            Format::AmazonBusinessReport,
            amazon_business_report::parse(&t, &ctx_for(Format::AmazonBusinessReport)?)?,
        ));
    }
    for delimiter in [b',', b'\t', b';'] {
        if amazon_ads::is_header(&split(first, delimiter as char)) {
            let t = table::read_decoded(
                file,
                &text,
                TextFormat { delimiter, quoting: true, style: DecimalStyle::Point },
                amazon_ads::is_header,
            )?;
            return Ok((Format::AmazonAdsCsv, amazon_ads::parse(&t, &ctx_for(Format::AmazonAdsCsv)?)?));
        }
    }
    Err(unrecognised(file, first))
}

fn read_xlsx_export(file: &str, bytes: &[u8], ctx_for: ContextFor<'_>) -> Result<(Format, ParsedExport), InputError> {
    let mut workbook = table::Workbook::open(file, bytes)?;
    let sheets = workbook.sheet_names();
    // The Vendas sheet is "Vendas BR" in real exports; try it first, then any.
    let mut ordered: Vec<&String> = sheets.iter().filter(|s| s.starts_with("Vendas")).collect();
    ordered.extend(sheets.iter().filter(|s| !s.starts_with("Vendas")));
    let is_header = |c: &[String]| {
        mercadolivre::is_header(c)
            || amazon_ads::is_header(c)
            || mercadolivre_ads::is_header(c)
            || shopee_orders::is_header(c)
    };
    let mut found: Option<table::Table> = None;
    // The first sheet that could not be read for another reason than having
    // no header (malformed XML, a spreadsheet error cell): what to report
    // when no sheet holds a report, rather than "unrecognised".
    let mut unreadable: Option<InputError> = None;
    for sheet in ordered {
        let t = match workbook.read(sheet, is_header) {
            Ok(t) => t,
            Err(e) => {
                if !e.message.ends_with(table::NO_HEADER) {
                    unreadable.get_or_insert(e);
                }
                continue;
            }
        };
        // A second sheet with a report's header (another week, a copy, a
        // hidden sheet): reading one and not the other would drop money,
        // reading both may count it twice.
        if let Some(first) = &found {
            return Err(InputError::file(
                file,
                format!(
                    "two sheets hold a report: {:?} (row {}) and {:?} (row {}); kpiseal reads one report per file: save each sheet as its own file, or remove the one that does not belong",
                    first.sheet.as_deref().unwrap_or(""),
                    first.header_number,
                    t.sheet.as_deref().unwrap_or(""),
                    t.header_number
                ),
            ));
        }
        found = Some(t);
    }
    if let Some(t) = found {
        if mercadolivre::is_header(&t.headers) {
            return Ok((
                Format::MercadolivreVendasXlsx,
                mercadolivre::parse(&t, &ctx_for(Format::MercadolivreVendasXlsx)?)?,
            ));
        }
        if shopee_orders::is_header(&t.headers) {
            return Ok((Format::ShopeeOrders, shopee_orders::parse(&t, &ctx_for(Format::ShopeeOrders)?)?));
        }
        if mercadolivre_ads::is_header(&t.headers) {
            return Ok((
                Format::MercadolivreAdsXlsx,
                mercadolivre_ads::parse(&t, &ctx_for(Format::MercadolivreAdsXlsx)?)?,
            ));
        }
        return Ok((Format::AmazonAdsXlsx, amazon_ads::parse(&t, &ctx_for(Format::AmazonAdsXlsx)?)?));
    }
    if let Some(e) = unreadable {
        return Err(e);
    }
    Err(InputError::file(
        file,
        format!(
            "unrecognised workbook: no sheet has a Mercado Livre Vendas header (\"N.º de venda\"), a Sponsored Products header (\"Campaign Name\", \"Spend\") or a Shopee order export header (\"ID do pedido\", \"Valor Total\"); sheets: {}",
            sheets.join(", ")
        ),
    ))
}

fn split(line: &str, delimiter: char) -> Vec<String> {
    line.split(delimiter).map(|c| c.trim().trim_matches('"').to_string()).collect()
}

fn unrecognised(file: &str, first_line: &str) -> InputError {
    let shown: String = first_line.chars().take(120).collect();
    InputError::file(
        file,
        format!(
            "unrecognised export format; expected an Amazon settlement report (tab-separated, settlement-id …), an FBA customer returns report (tab-separated, return-date, order-id …), a merchant-fulfilled returns report (tab-separated, Order ID, Return request date …), a seller Feedback report (tab-separated, Date, Rating, Comments, Order ID …), an All Orders report (tab-separated, amazon-order-id, purchase-date, order-status …), a Business Report by date (Date, Units Ordered, Total Order Items, Sessions - Total …), an Inventory Ledger summary (tab-separated, Date, FNSKU, Disposition, Ending Warehouse Balance …), a Date Range report (date/time, settlement id, type, order id … total), a Sponsored Products report (Campaign Name, Spend …) or a Mercado Livre Vendas export (N.º de venda …); first line reads {shown:?}"
        ),
    )
}

/// Whether `t` is a whole-table format whose header names all of `names`.
pub(crate) fn has_all(headers: &[String], names: &[&str]) -> bool {
    let folded: Vec<String> = headers.iter().map(|h| table::fold_header(h)).collect();
    names.iter().all(|n| folded.contains(&table::fold_header(n)))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    /// Every `.txt` and `.csv` file under `dir`, sorted.
    fn text_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                text_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "txt" || e == "csv") {
                out.push(path);
            }
        }
    }

    #[test]
    fn a_settlement_order_report_or_vendas_file_read_keeping_its_parsers_columns_parses_as_the_whole_table_and_reads_no_other()
     {
        type Parse = fn(&Table, &IngestContext) -> Result<ParsedExport, InputError>;
        /// What a file is, and how it is read and parsed.
        type Reading<'c> = (&'static str, TextFormat, fn(&[String]) -> bool, Parse, &'c [&'static str], Market);
        let mut files = Vec::new();
        text_files(std::path::Path::new("fixtures"), &mut files);
        let mut parsed = std::collections::BTreeMap::<&str, usize>::new();
        let vendas_columns = mercadolivre::columns();
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let Ok(text) = table::decode_text_checked("f", &bytes) else { continue };
            let cells = split(text.lines().next().unwrap_or(""), '\t');
            let tab = TextFormat { delimiter: b'\t', quoting: false, style: amazon_settlement::decimal_style(&text) };
            let vendas = TextFormat { delimiter: b';', quoting: true, style: DecimalStyle::Comma };
            let (kind, format, is_header, parse, columns, market): Reading<'_> = if amazon_settlement::is_header(&cells)
            {
                let br = path.to_string_lossy().contains("amazon_br");
                let market = if br { Market::AMAZON_BR } else { Market::AMAZON_US };
                (
                    "settlement",
                    tab,
                    amazon_settlement::is_header,
                    amazon_settlement::parse,
                    amazon_settlement::COLUMNS,
                    market,
                )
            } else if amazon_orders::is_header(&cells) {
                (
                    "all orders",
                    tab,
                    amazon_orders::is_header,
                    amazon_orders::parse,
                    amazon_orders::COLUMNS,
                    Market::AMAZON_US,
                )
            } else if text.lines().take(50).any(|l| mercadolivre::is_header(&split(l, ';'))) {
                (
                    "vendas",
                    vendas,
                    mercadolivre::is_header,
                    mercadolivre::parse,
                    &vendas_columns,
                    Market::MERCADOLIVRE_BR,
                )
            } else {
                continue;
            };
            let ctx = IngestContext::new(Period::new(2026, 10).unwrap(), market);
            let file = path.display().to_string();
            let whole = table::read_decoded(&file, &text, format, is_header).map(|t| format!("{:?}", parse(&t, &ctx)));
            let projected = table::read_decoded_columns(&file, &text, format, is_header, columns).map(|t| {
                let out = format!("{:?}", parse(&t, &ctx));
                // A file with quotes is split by the csv crate, whole.
                assert_eq!(t.is_projected(), !text.contains('"'), "{file}");
                assert_eq!(t.reads_outside_projection(), 0, "{file}: the parser read a column its list does not name");
                out
            });
            assert_eq!(format!("{projected:?}"), format!("{whole:?}"), "{file}");
            if whole.is_ok_and(|w| w.starts_with("Ok(")) && !text.contains('"') {
                *parsed.entry(kind).or_default() += 1;
            }
        }
        assert!(parsed.get("settlement").is_some_and(|n| *n >= 8), "{parsed:?}");
        assert!(parsed.get("all orders").is_some_and(|n| *n >= 3), "{parsed:?}");
        assert!(parsed.get("vendas").is_some_and(|n| *n >= 2), "{parsed:?}");
    }

    #[test]
    fn an_export_with_rows_only_in_another_month_is_refused_naming_its_dates() {
        let december = Period::new(2026, 12).unwrap();
        let mut parsed = ParsedExport { rows_total: 3, ..ParsedExport::default() };
        for d in [day(10, 8), day(9, 24), day(10, 2)] {
            parsed.saw(d);
        }
        assert_eq!(
            parsed.check_in_period("exports/2026-12/acme-home/17723285873.txt", december).unwrap_err().to_string(),
            "exports/2026-12/acme-home/17723285873.txt: has no row dated in 2026-12: its rows run from 2026-09-24 to 2026-10-08 (a file of another month left in this period's folder?); move it to the folder of the month it covers, or remove it"
        );
        parsed.rows_in_period = 1;
        assert!(parsed.check_in_period("f", december).is_ok());
    }

    #[test]
    fn an_export_without_data_rows_is_refused() {
        let e = ParsedExport::default().check_in_period("sp.csv", Period::new(2026, 10).unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sp.csv: has no data rows: an empty export cannot be told from a failed download; download it again, or remove it if the market had no activity in 2026-10"
        );
    }

    use crate::error::Location;
    use crate::ingest::records::MoneyKind;
    use crate::ingest::units::UnitKey;

    fn line(order: &str) -> MoneyLine {
        MoneyLine {
            market: Market::AMAZON_US,
            line: 2,
            date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            order_id: order.into(),
            kind: MoneyKind::Principal,
            amount: Decimal::ONE,
        }
    }

    fn unit(id: &str, lines: Range<usize>, rows: usize) -> Unit {
        let mut u = Unit::new(UnitKey::Sale(id.into()), Location::Line(1), "c", id);
        u.lines = lines;
        u.rows_in_period = rows;
        u
    }

    #[test]
    fn retaining_facts_renumbers_the_units_so_a_later_drop_takes_the_right_ones() {
        let mut p = ParsedExport {
            lines: vec![line("a"), line("x"), line("b"), line("x"), line("c")],
            rows_in_period: 3,
            units: vec![unit("a", 0..2, 1), unit("b", 2..4, 1), unit("c", 4..5, 1)],
            ..ParsedExport::default()
        };
        p.retain_facts(|l| l.order_id != "x", |_| true);
        let ranges: Vec<Range<usize>> = p.units.iter().map(|u| u.lines.clone()).collect();
        assert_eq!(ranges, [0..1, 1..2, 2..3]);
        p.drop_units(&[false, true, false]);
        let orders: Vec<&str> = p.lines.iter().map(|l| l.order_id.as_str()).collect();
        assert_eq!(orders, ["a", "c"]);
    }

    #[test]
    fn dropping_a_unit_removes_its_facts_and_rows_and_renumbers_the_rest() {
        let mut p = ParsedExport {
            lines: vec![line("a"), line("b"), line("b"), line("c")],
            rows_in_period: 4,
            units: vec![unit("a", 0..1, 1), unit("b", 1..3, 2), unit("c", 3..4, 1)],
            ..ParsedExport::default()
        };
        p.drop_units(&[false, true, false]);
        let orders: Vec<&str> = p.lines.iter().map(|l| l.order_id.as_str()).collect();
        assert_eq!(orders, ["a", "c"]);
        assert_eq!(p.rows_in_period, 2);
        let kept: Vec<(String, Range<usize>)> =
            p.units.iter().map(|u| (u.label().into_owned(), u.lines.clone())).collect();
        assert_eq!(kept, [("a".to_string(), 0..1), ("c".to_string(), 1..2)]);
    }

    #[test]
    fn an_encrypted_workbook_is_refused_as_password_protected() {
        let mut bytes = CFB_MAGIC.to_vec();
        bytes.resize(512, 0);
        let e = read_export("x.xlsx", &bytes, &IngestContext::new(Period::new(2026, 10).unwrap(), Market::AMAZON_US))
            .unwrap_err();
        assert!(e.message.contains("password-protected"), "{e}");
    }

    #[test]
    fn a_workbook_with_two_report_sheets_is_refused_naming_both() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        for name in ["Week 1", "Week 2"] {
            let s = wb.add_worksheet();
            s.set_name(name).unwrap();
            for (c, h) in ["Start Date", "End Date", "Campaign Name", "Spend"].iter().enumerate() {
                s.write_string(0, c as u16, *h).unwrap();
            }
            for (c, v) in ["Oct 10, 2026", "Oct 10, 2026", "A", "1.00"].iter().enumerate() {
                s.write_string(1, c as u16, *v).unwrap();
            }
        }
        let bytes = wb.save_to_buffer().unwrap();
        let e = read_export("x.xlsx", &bytes, &IngestContext::new(Period::new(2026, 10).unwrap(), Market::AMAZON_US))
            .unwrap_err();
        assert!(e.message.starts_with("two sheets hold a report: \"Week 1\" (row 1) and \"Week 2\" (row 1)"), "{e}");
    }
}
