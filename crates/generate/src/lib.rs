//! A seeded generator of realistic workspaces: the demo in `fixtures/demo`
//! and large ones for benchmarks.
//!
//! [`generate_workspace`] writes what a user points the tool at (DESIGN.md,
//! "Workspace a user points the tool at"): `kpiseal.toml`, one contract per
//! seller, the period's FX files, each seller's marketplace exports and its
//! pass-through cost ledger. The first three sellers are the demo sellers,
//! one per profile; further sellers (`seller-0004`, …) cycle through the
//! same three profiles:
//!
//! | profile | markets | exports |
//! | --- | --- | --- |
//! | `acme-home` | Amazon US + Mercado Livre | 3 V2 settlements, ads CSV, Vendas CSV (`;`, decimal comma) |
//! | `sunny-gadgets` | Amazon US | 1 V1 + 2 V2 settlements, ads XLSX (14-day columns) |
//! | `rio-casa` | Mercado Livre | Vendas XLSX with one deliberate rounding glitch |
//!
//! Promises:
//! - **Deterministic**: the same options give byte-identical files, on any
//!   platform. Every random choice comes from a `ChaCha8Rng` seeded from
//!   `(seed, seller, purpose)`; XLSX document properties carry a fixed
//!   creation time; nothing reads the clock or iterates a hash map.
//! - **Exact money**: amounts are generated as integer cents and printed as
//!   decimals; an `f64` appears only at the moment an XLSX number cell is
//!   written, because that is how the file format stores numbers.
//! - **Internally consistent**: every Amazon settlement's detail amounts sum
//!   exactly to its total-amount; every Mercado Livre row's money columns sum
//!   to its Total, except one row of the `rio-casa` profile's XLSX, which is
//!   off by 0.01 on purpose (see [`mercadolivre`]).
//! - **Fast**: sellers are generated in parallel and rows are streamed to
//!   buffered writers through reused buffers.

mod ads;
mod amazon;
mod contracts;
mod costs;
mod data;
mod demo_key;
mod fx;
mod mercadolivre;
mod stores;
mod text;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Datelike, Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use kpiseal::period::Period;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Every random choice derives from this seed.
    pub seed: u64,
    /// Number of sellers; the first three are the demo sellers.
    pub sellers: usize,
    /// Orders per market per seller dated in the period (exports also hold
    /// rows of the neighbouring months, so files contain more).
    pub orders: usize,
    /// The statement period the exports are for.
    pub period: Period,
}

impl Default for GenerateOptions {
    /// The demo: seed 2026, three sellers, 300 orders per market, October 2026.
    fn default() -> Self {
        GenerateOptions { seed: 2026, sellers: 4, orders: 300, period: Period::new(2026, 10).expect("valid period") }
    }
}

/// What [`generate_workspace`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Files written.
    pub files: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Data rows written (headers, titles and summary rows not counted).
    pub rows: u64,
    /// What each seller's period holds in each market, by (period, seller
    /// id, market id as contracts name it: `amazon_us`, `mercadolivre_br`).
    pub truth: BTreeMap<(Period, String, &'static str), Truth>,
}

impl GenerateSummary {
    fn add(&mut self, other: GenerateSummary) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.rows += other.rows;
        for (key, truth) in other.truth {
            self.truth.entry(key).or_default().add(&truth);
        }
    }

    /// This summary with `truth` recorded for `seller` in `market`.
    fn with_truth(mut self, period: Period, seller: &Seller, market: &'static str, truth: Truth) -> GenerateSummary {
        self.truth.entry((period, seller.id.clone(), market)).or_default().add(&truth);
        self
    }
}

/// What one seller's period holds in one market, counted from the
/// generator's own orders as it makes them, never read back from the files
/// it writes: the counts the period's KPIs must be made of, whatever the
/// files' layouts, time stamps and neighbouring days. Days are the
/// market's own (Los Angeles for Amazon US, São Paulo for Mercado Livre).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Truth {
    /// Units sold in the period and not cancelled before shipment (Amazon:
    /// the order items its settlements post in the period).
    pub units_sold: i64,
    /// Units buyers returned (Amazon: with a return date in the period;
    /// Mercado Livre: of the period's sales).
    pub units_returned: i64,
    /// Feedback left in the period, and how much of it rated 1 or 2.
    pub feedback_received: i64,
    pub feedback_negative: i64,
    /// Orders placed in the period, those cancelled before shipment, and
    /// of those the ones the seller cancelled.
    pub orders_placed: i64,
    pub orders_cancelled: i64,
    pub orders_cancelled_by_seller: i64,
    /// Detail-page sessions of the period's days, and the units and order
    /// items ordered in them.
    pub sessions: i64,
    pub units_ordered: i64,
    pub order_items: i64,
    /// Sellable units on hand at the end of each day of the period, summed
    /// over its days, and units shipped to buyers from that stock.
    pub sellable_unit_days: i64,
    pub shipped_from_stock: i64,
}

impl Truth {
    fn add(&mut self, o: &Truth) {
        self.units_sold += o.units_sold;
        self.units_returned += o.units_returned;
        self.feedback_received += o.feedback_received;
        self.feedback_negative += o.feedback_negative;
        self.orders_placed += o.orders_placed;
        self.orders_cancelled += o.orders_cancelled;
        self.orders_cancelled_by_seller += o.orders_cancelled_by_seller;
        self.sessions += o.sessions;
        self.units_ordered += o.units_ordered;
        self.order_items += o.order_items;
        self.sellable_unit_days += o.sellable_unit_days;
        self.shipped_from_stock += o.shipped_from_stock;
    }
}

/// Orders per market dated in `period` for a workspace of `orders`: exactly
/// `orders` in the demo's month (October 2026), other months moved by
/// seasonality (Prime Day in July, a quiet February, the November and
/// December peak) and by growth of 2 % a month, so consecutive months show
/// a trend.
pub fn orders_in(orders: usize, period: Period) -> usize {
    const SEASON_PERMILLE: [u64; 12] = [920, 860, 950, 960, 990, 1000, 1060, 970, 980, 1000, 1250, 1350];
    let demo = GenerateOptions::default().period;
    let months = |p: Period| i64::from(p.year()) * 12 + i64::from(p.month());
    let growth = (1000 + 20 * (months(period) - months(demo))).max(500) as u64;
    let season = SEASON_PERMILLE[period.month() as usize - 1];
    let scaled = (orders as u64 * season * growth + 500_000) / 1_000_000;
    if orders > 0 { (scaled as usize).max(1) } else { 0 }
}

/// Writes `months` consecutive periods ending at `opts.period` into one
/// workspace (each as [`generate_workspace`] writes it; the files every
/// period shares, such as contracts and keys, are the same each time), for
/// a trend and a review across months.
///
/// # Errors
/// As [`generate_workspace`].
pub fn generate_months(dir: &Path, opts: &GenerateOptions, months: usize) -> io::Result<GenerateSummary> {
    let mut periods = vec![opts.period];
    while periods.len() < months {
        periods.insert(0, periods[0].prev());
    }
    let mut summary = GenerateSummary::default();
    for period in periods {
        summary.add(generate_workspace(dir, &GenerateOptions { period, ..*opts })?);
    }
    Ok(summary)
}

/// Writes a complete workspace for `opts` under `dir` (created if missing;
/// files already there are overwritten, others left alone) and says what it
/// wrote. The same options always produce byte-identical files.
///
/// # Errors
/// The first I/O error met while creating a folder or writing a file
/// (XLSX writer errors are reported as [`io::ErrorKind::Other`]).
pub fn generate_workspace(dir: &Path, opts: &GenerateOptions) -> io::Result<GenerateSummary> {
    let ws = Workspace::new(dir, opts);
    let mut summary = GenerateSummary::default();
    summary.add(ws.write_text("kpiseal.toml", 0, |w| {
        w.write_all(contracts::workspace_config().as_bytes())?;
        w.write_all(demo_key::SIGNING_SECTION.as_bytes())
    })?);
    summary.add(demo_key::write(&ws)?);
    summary.add(fx::write(&ws)?);

    let sellers: Vec<Seller> = (0..opts.sellers).map(Seller::new).collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(sellers.len()).max(1);
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, io::Result<GenerateSummary>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(seller) = sellers.get(i) else { break };
                        let result = generate_seller(&ws, seller);
                        let failed = result.is_err();
                        done.push((i, result));
                        if failed {
                            break;
                        }
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a generator thread panicked")).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    for (_, result) in results {
        summary.add(result?);
    }
    Ok(summary)
}

/// One seller's files: contract, exports, cost ledger. A period its
/// contract term does not reach gets the contract only: the seller was not
/// (or no longer is) a client then.
fn generate_seller(ws: &Workspace, seller: &Seller) -> io::Result<GenerateSummary> {
    let mut summary = GenerateSummary::default();
    let text = contracts::contract(seller);
    let file = format!("contracts/{}.toml", seller.id);
    summary.add(ws.write_text(&file, 0, |w| w.write_all(text.as_bytes()))?);
    let contract = kpiseal::contract::Contract::parse(&file, &text).map_err(|e| io::Error::other(e.to_string()))?;
    if contract.contract.end < ws.period.first_day() || contract.contract.start > ws.period.last_day() {
        return Ok(summary);
    }
    if seller.profile.has_amazon() {
        summary.add(amazon::write(ws, seller)?);
    }
    if seller.profile.has_mercadolivre() {
        summary.add(mercadolivre::write(ws, seller)?);
    }
    if seller.profile == Profile::LojaMix {
        summary.add(stores::write(ws, seller)?);
    }
    summary.add(costs::write(ws, seller)?);
    Ok(summary)
}

/// The three kinds of seller the demo shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// Both markets, settles in CNY (the DOMAIN.md example contract).
    AcmeHome,
    /// Amazon US only, settles in USD.
    SunnyGadgets,
    /// Mercado Livre only, settles in BRL.
    RioCasa,
    /// Amazon.com.br, Shopee Brasil and its own Shopify store (in USD),
    /// settles in CNY.
    LojaMix,
}

impl Profile {
    fn has_amazon(self) -> bool {
        matches!(self, Profile::AcmeHome | Profile::SunnyGadgets)
    }

    fn has_mercadolivre(self) -> bool {
        matches!(self, Profile::AcmeHome | Profile::RioCasa)
    }
}

/// A seller to generate: its position (which fixes its random streams), id
/// and profile.
#[derive(Debug, Clone)]
pub(crate) struct Seller {
    pub index: usize,
    pub id: String,
    pub profile: Profile,
}

impl Seller {
    fn new(index: usize) -> Seller {
        let profile = [Profile::AcmeHome, Profile::SunnyGadgets, Profile::RioCasa, Profile::LojaMix][index % 4];
        let id = match index {
            0 => "acme-home".to_string(),
            1 => "sunny-gadgets".to_string(),
            2 => "rio-casa".to_string(),
            3 => "loja-mix".to_string(),
            _ => format!("seller-{:04}", index + 1),
        };
        Seller { index, id, profile }
    }

    /// Whether this is one of the three demo sellers (whose identities are
    /// fixed) rather than a benchmark seller.
    pub fn is_demo(&self) -> bool {
        self.index < 4
    }

    /// A random stream for one purpose of this seller in `period`; streams
    /// never overlap, and each month has its own, so months differ (and a
    /// vendor invoice is billed once). The demo period (October 2026) keeps
    /// the stream it always had, so the demo is what it always was; each
    /// month before or after it moves the stream by 2³² (seller streams stay
    /// below that).
    pub fn rng_for(&self, seed: u64, purpose: Purpose, period: Period) -> Gen {
        let demo = GenerateOptions::default().period;
        let months = |p: Period| i64::from(p.year()) * 12 + i64::from(p.month());
        let shift = (months(period) - months(demo)) as u64;
        rng(seed, ((self.index as u64 + 1) * 16 + purpose as u64).wrapping_add(shift.wrapping_mul(1 << 32)))
    }
}

/// What a random stream is for, so adding draws to one part of a seller's
/// data does not shift every other part.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    AmazonOrders = 1,
    AmazonAds = 2,
    AmazonFiles = 3,
    MercadoLivre = 4,
    Costs = 5,
    /// The Mercado Livre money columns beyond the first six (installment
    /// surcharge pair, shipping by declared measures, exchanges), drawn apart
    /// so that adding them left every sale of the `MercadoLivre` stream as it
    /// was.
    MercadoLivreMoney = 6,
    /// The FBA customer returns report, drawn apart so that adding it left
    /// every settlement and ads row as it was.
    AmazonReturns = 7,
    /// The seller Feedback report, drawn apart for the same reason.
    AmazonFeedback = 8,
    /// The All Orders report, drawn apart for the same reason.
    AmazonAllOrders = 9,
    /// The Business Report's sessions, drawn apart for the same reason.
    AmazonTraffic = 10,
    /// The Inventory Ledger's receipts and opening stock, drawn apart for the same reason.
    AmazonInventory = 11,
    /// Mercado Livre's Product Ads report, drawn apart for the same reason.
    MercadoLivreAds = 12,
    /// The `loja-mix` markets (Amazon.com.br, Shopee, Shopify).
    Stores = 13,
}

/// The generator's random number generator: portable and seedable.
pub(crate) type Gen = ChaCha8Rng;

/// The random stream `stream` of `seed` (stream 0 is the workspace's own:
/// FX rates).
pub(crate) fn rng(seed: u64, stream: u64) -> Gen {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// True with probability `permille` / 1000.
pub(crate) fn chance(rng: &mut Gen, permille: u32) -> bool {
    rng.random_range(0..1000u32) < permille
}

/// A uniform integer in `lo..=hi`.
pub(crate) fn between(rng: &mut Gen, lo: i64, hi: i64) -> i64 {
    rng.random_range(lo..=hi)
}

/// A uniform index into a collection of `len` items (drawn through `u32`,
/// so it is the same on 32- and 64-bit targets).
pub(crate) fn index(rng: &mut Gen, len: usize) -> usize {
    rng.random_range(0..len as u32) as usize
}

/// `a / b` rounded half up, for non-negative `a` and positive `b`.
pub(crate) fn div_round(a: i64, b: i64) -> i64 {
    (2 * a + b) / (2 * b)
}

/// `date + days` (negative goes back).
pub(crate) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        date.checked_add_days(Days::new(days as u64)).expect("date in range")
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs())).expect("date in range")
    }
}

/// Whether `date` is Monday to Friday.
pub(crate) fn is_weekday(date: NaiveDate) -> bool {
    date.weekday().number_from_monday() <= 5
}

/// Spreads exactly `total` events over days with the given weights, by
/// largest remainder (ties to the earlier day), so the period holds exactly
/// the requested number of orders.
pub(crate) fn allocate(total: usize, weights: &[u64]) -> Vec<usize> {
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let total = total as u64;
    let mut counts: Vec<usize> = weights.iter().map(|w| (total * w / sum) as usize).collect();
    let mut rest: Vec<(u64, usize)> = weights.iter().enumerate().map(|(i, w)| ((total * w) % sum, i)).collect();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let assigned: usize = counts.iter().sum();
    for &(_, i) in rest.iter().take(total as usize - assigned) {
        counts[i] += 1;
    }
    counts
}

/// Where files go, and the options every part reads.
pub(crate) struct Workspace {
    root: PathBuf,
    pub seed: u64,
    pub orders: usize,
    pub period: Period,
}

impl Workspace {
    fn new(root: &Path, opts: &GenerateOptions) -> Workspace {
        let orders = orders_in(opts.orders, opts.period);
        Workspace { root: root.to_path_buf(), seed: opts.seed, orders, period: opts.period }
    }

    /// The seller's export folder, relative to the workspace.
    pub fn exports_dir(&self, seller: &Seller) -> String {
        format!("exports/{}/{}", self.period, seller.id)
    }

    fn create(&self, relative: &str) -> io::Result<(PathBuf, File)> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let file = File::create(&path)?;
        Ok((path, file))
    }

    /// Streams a text file through a buffered writer; `rows` is how many data
    /// rows it holds, or the body returns them when given as `None`.
    pub fn write_text(
        &self,
        relative: &str,
        rows: u64,
        body: impl FnOnce(&mut BufWriter<CountingWriter<File>>) -> io::Result<()>,
    ) -> io::Result<GenerateSummary> {
        self.write_text_rows(relative, |w| body(w).map(|()| rows))
    }

    /// Like [`Workspace::write_text`], with the body returning its row count.
    pub fn write_text_rows(
        &self,
        relative: &str,
        body: impl FnOnce(&mut BufWriter<CountingWriter<File>>) -> io::Result<u64>,
    ) -> io::Result<GenerateSummary> {
        let (_, file) = self.create(relative)?;
        let mut w = BufWriter::with_capacity(1 << 16, CountingWriter { inner: file, bytes: 0 });
        let rows = body(&mut w)?;
        let counting = w.into_inner().map_err(|e| e.into_error())?;
        Ok(GenerateSummary { files: 1, bytes: counting.bytes, rows, ..GenerateSummary::default() })
    }

    /// Writes an XLSX workbook with fixed document properties, so its bytes
    /// depend only on its content.
    pub fn write_xlsx(
        &self,
        relative: &str,
        rows: u64,
        workbook: &mut rust_xlsxwriter::Workbook,
    ) -> io::Result<GenerateSummary> {
        let created = self.period.next().first_day();
        let created = rust_xlsxwriter::ExcelDateTime::from_ymd(created.year() as u16, created.month() as u8, 1)
            .and_then(|d| d.and_hms(9, 15, 0))
            .map_err(io::Error::other)?;
        let properties = rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created);
        workbook.set_properties(&properties);
        // Deflate dominates large workbooks; level 1 is several times faster
        // and just as deterministic.
        workbook.set_zip_compression_level(1);
        let bytes = workbook.save_to_buffer().map_err(io::Error::other)?;
        let (_, mut file) = self.create(relative)?;
        file.write_all(&bytes)?;
        Ok(GenerateSummary { files: 1, bytes: bytes.len() as u64, rows, ..GenerateSummary::default() })
    }
}

/// Counts the bytes written through it.
pub(crate) struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
