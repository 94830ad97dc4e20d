//! Amazon US: orders, refunds, disputes and account-level fees over three
//! ~14-day settlements straddling the period, written as flat-file V2
//! settlement reports (and, for the `sunny-gadgets` profile, the earliest one
//! in the older wide V1 layout). Sponsored Products reports come from
//! [`super::ads`], which also decides the "Cost of Advertising" charges.
//!
//! Times are UTC instants (seconds since the epoch); posted-date columns
//! print the Los Angeles calendar date, so a row posted at
//! `2026-11-01 05:30:00 UTC` says `10/31/26`.

use std::fmt::{self, Display, Write as _};
use std::io::{self, Write};

use chrono::{DateTime, NaiveDate, TimeZone};
use chrono_tz::Tz;
use rand::Rng;

use super::ads;
use super::data::{ACME_AMAZON, AmazonProduct, SUNNY_AMAZON};
use super::text::{Cents, Mdy, UtcStamp, Ymd};
use super::{
    Gen, GenerateSummary, Profile, Purpose, Seller, Workspace, add_days, allocate, between, chance, div_round, index,
};

const LA: Tz = chrono_tz::America::Los_Angeles;
const DAY: i64 = 86_400;

/// Days of orders generated before the first settlement starts, so early
/// settlements carry refunds and claims of orders they do not contain.
const LEAD_DAYS: i64 = 21;
/// Three settlements of this many days, the first starting a week before the period.
const CYCLE_DAYS: i64 = 14;
const SETTLEMENTS: i64 = 3;

/// How a profile's Amazon business behaves (rates in permille).
pub(super) struct Behaviour {
    pub catalog: &'static [AmazonProduct],
    two_items: u32,
    two_units: u32,
    shipping: u32,
    promotion: u32,
    refund: u32,
    dispute: u32,
    /// Monthly storage fee per order of the period, in cents (range).
    storage_per_order: (i64, i64),
    /// Reserve held back per order of the period, in cents (range), and the
    /// settlements (by position) that show reserve lines.
    reserve_per_order: (i64, i64),
    reserve_in: &'static [usize],
}

pub(super) fn behaviour(profile: Profile) -> Behaviour {
    match profile {
        Profile::SunnyGadgets => Behaviour {
            catalog: SUNNY_AMAZON,
            two_items: 180,
            two_units: 120,
            shipping: 60,
            promotion: 160,
            refund: 60,
            dispute: 6,
            storage_per_order: (30, 60),
            reserve_per_order: (60, 150),
            reserve_in: &[2],
        },
        _ => Behaviour {
            catalog: ACME_AMAZON,
            two_items: 180,
            two_units: 100,
            shipping: 150,
            promotion: 100,
            refund: 50,
            dispute: 10,
            storage_per_order: (180, 260),
            reserve_per_order: (500, 1300),
            reserve_in: &[1, 2],
        },
    }
}

/// An Amazon order id, `113-1234567-1234567`.
#[derive(Clone, Copy)]
struct OrderId {
    prefix: u16,
    a: u32,
    b: u32,
}

impl Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:07}-{:07}", self.prefix, self.a, self.b)
    }
}

/// One order line, amounts in cents as Amazon posts them (positive here,
/// signed when written).
struct Item {
    product: u8,
    qty: u8,
    principal: i64,
    shipping: i64,
    tax: i64,
    promo: i64,
    promo_id: u8,
    commission: i64,
    fba: i64,
    code: u64,
}

struct Order {
    id: OrderId,
    first_item: u32,
    n_items: u8,
}

enum TxKind {
    Order(u32),
    Refund { item: u32, order: u32, adjustment: u64 },
    Dispute { order: u32, chargeback: bool, adjustment: u64 },
    AdCost(i64),
    Storage(i64),
    Subscription,
    Adjustment { product: u8, amount: i64 },
    ReservePrevious(i64),
    ReserveCurrent(i64),
}

/// Something posted to a settlement at `ts`; it expands into one or more rows.
struct Tx {
    ts: i64,
    kind: TxKind,
}

struct Settlement {
    id: u64,
    start: i64,
    end: i64,
    deposit: i64,
}

/// Everything one seller's Amazon files are written from.
struct Book {
    orders: Vec<Order>,
    items: Vec<Item>,
    txs: Vec<Tx>,
    settlements: Vec<Settlement>,
    promo_ids: Vec<String>,
    catalog: &'static [AmazonProduct],
}

/// One row's worth of a transaction, before it is laid out as V1 or V2.
struct Line {
    tx_type: &'static str,
    order: Option<u32>,
    item: Option<u32>,
    adjustment: Option<u64>,
    amount_type: &'static str,
    description: &'static str,
    amount: i64,
    qty: Option<u8>,
    promo: Option<u8>,
    product: Option<u8>,
}

impl Line {
    fn account(tx_type: &'static str, amount_type: &'static str, description: &'static str, amount: i64) -> Line {
        Line {
            tx_type,
            order: None,
            item: None,
            adjustment: None,
            amount_type,
            description,
            amount,
            qty: None,
            promo: None,
            product: None,
        }
    }
}

/// Local midnight of `date` in Los Angeles, as a UTC instant.
fn la_midnight(date: NaiveDate) -> i64 {
    la_instant(date, 0)
}

/// `date` at `secs` past local midnight in Los Angeles, as a UTC instant
/// (the earlier of two on the autumn change, skipping the spring gap).
fn la_instant(date: NaiveDate, secs: u32) -> i64 {
    let naive = date.and_hms_opt(secs / 3600, secs / 60 % 60, secs % 60).expect("valid time");
    match LA.from_local_datetime(&naive).earliest() {
        Some(t) => t.timestamp(),
        None => {
            LA.from_local_datetime(&(naive + chrono::Duration::hours(1))).earliest().expect("after the gap").timestamp()
        }
    }
}

/// The Los Angeles calendar date of a UTC instant.
fn la_date(ts: i64) -> NaiveDate {
    DateTime::from_timestamp(ts, 0).expect("timestamp in range").with_timezone(&LA).date_naive()
}

fn weighted_product(rng: &mut Gen, catalog: &[AmazonProduct], total_weight: u32) -> u8 {
    let mut x = rng.random_range(0..total_weight);
    for (i, p) in catalog.iter().enumerate() {
        if x < p.weight {
            return i as u8;
        }
        x -= p.weight;
    }
    0
}

/// US sales tax rates, in basis points (some states have none).
const TAX_BP: [i64; 8] = [0, 600, 625, 725, 800, 825, 888, 1025];

/// Writes the seller's settlements and Sponsored Products report.
pub fn write(ws: &Workspace, seller: &Seller) -> io::Result<GenerateSummary> {
    let b = behaviour(seller.profile);
    let mut rng = seller.rng(ws.seed, Purpose::AmazonOrders);
    let first_settlement = add_days(ws.period.first_day(), -7);
    let window_first = add_days(first_settlement, -LEAD_DAYS);
    let window_days = (LEAD_DAYS + CYCLE_DAYS * SETTLEMENTS) as usize;

    let mut book = Book {
        orders: Vec::new(),
        items: Vec::new(),
        txs: Vec::new(),
        settlements: Vec::new(),
        promo_ids: (0..3).map(|_| promo_id(&mut rng)).collect(),
        catalog: b.catalog,
    };
    let daily_gmv = generate_orders(ws, &b, &mut rng, &mut book, window_first, window_days);

    let mut summary = GenerateSummary::default();
    let mut ads_rng = seller.rng(ws.seed, Purpose::AmazonAds);
    let (daily_spend, ads_summary) = ads::write(ws, seller, &mut ads_rng, b.catalog, window_first, &daily_gmv)?;
    summary.add(ads_summary);

    let mut rng = seller.rng(ws.seed, Purpose::AmazonFiles);
    account_lines(ws, &b, &mut rng, &mut book, window_first, &daily_spend);
    book.txs.sort_by_key(|t| t.ts);

    let mut id = between(&mut rng, 11_000_000_000, 19_999_999_999) as u64;
    for k in 0..SETTLEMENTS {
        let start = la_midnight(add_days(first_settlement, k * CYCLE_DAYS));
        let end = la_midnight(add_days(first_settlement, (k + 1) * CYCLE_DAYS));
        book.settlements.push(Settlement { id, start, end, deposit: end + 2 * DAY });
        id += between(&mut rng, 1_000_000, 9_000_000) as u64;
    }

    let dir = ws.exports_dir(seller);
    for (k, s) in book.settlements.iter().enumerate() {
        let (layout, name) = file_layout(seller.profile, k, s);
        let lo = book.txs.partition_point(|t| t.ts < s.start);
        let hi = book.txs.partition_point(|t| t.ts < s.end);
        let txs = &book.txs[lo..hi];
        summary.add(ws.write_text_rows(&format!("{dir}/{name}"), |w| write_settlement(w, &book, s, txs, layout))?);
    }
    Ok(summary)
}

/// How one settlement file is laid out and dated.
#[derive(Clone, Copy)]
enum Layout {
    V1,
    V2 { posted: PostedDate, iso_stamp: bool },
}

#[derive(Clone, Copy)]
enum PostedDate {
    Mdy,
    Ymd,
}

/// The layout and file name of settlement `k` for each profile: the date
/// styles vary between files as they do in sellers' archives.
fn file_layout(profile: Profile, k: usize, s: &Settlement) -> (Layout, String) {
    let start = la_date(s.start);
    let end = la_date(s.end);
    let compact = |d: NaiveDate| Ymd(d).to_string().replace('-', "");
    match (profile, k) {
        (Profile::SunnyGadgets, 0) => (Layout::V1, format!("flat-file-v1-settlement-{}.txt", s.id)),
        (Profile::SunnyGadgets, 1) => {
            (Layout::V2 { posted: PostedDate::Ymd, iso_stamp: false }, format!("{}.txt", s.id))
        }
        (Profile::SunnyGadgets, _) => {
            (Layout::V2 { posted: PostedDate::Mdy, iso_stamp: false }, format!("settlement_{} (1).txt", s.id))
        }
        (_, 0) => (Layout::V2 { posted: PostedDate::Mdy, iso_stamp: false }, format!("{}.txt", s.id)),
        (_, 1) => (
            Layout::V2 { posted: PostedDate::Ymd, iso_stamp: false },
            format!("Settlement_{}_{}-{}.txt", s.id, compact(start), compact(end)),
        ),
        (_, _) => (
            Layout::V2 { posted: PostedDate::Ymd, iso_stamp: true },
            format!("{}-{} FlatFileV2 {}.txt", compact(start), compact(end), s.id),
        ),
    }
}

fn promo_id(rng: &mut Gen) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    let mut s = String::from("PLM-");
    for _ in 0..13 {
        s.push(ALNUM[index(rng, ALNUM.len())] as char);
    }
    s
}

/// Orders for every day of the window: exactly `ws.orders` dated in the
/// period (Los Angeles time), the neighbouring days at the same rate, a few
/// pinned near midnight at the month boundaries. Refunds and claims follow
/// some of them. Returns each window day's item principal (for the ads).
fn generate_orders(
    ws: &Workspace,
    b: &Behaviour,
    rng: &mut Gen,
    book: &mut Book,
    window_first: NaiveDate,
    window_days: usize,
) -> Vec<i64> {
    let period = ws.period;
    let days: Vec<NaiveDate> = (0..window_days).map(|i| add_days(window_first, i as i64)).collect();
    let weights: Vec<u64> = days
        .iter()
        .map(|d| {
            let base = if super::is_weekday(*d) { 100 } else { 125 };
            base * between(rng, 85, 115) as u64
        })
        .collect();
    let in_period: Vec<usize> = (0..days.len()).filter(|&i| period.contains(days[i])).collect();
    let period_weights: Vec<u64> = in_period.iter().map(|&i| weights[i]).collect();
    let period_counts = allocate(ws.orders, &period_weights);
    let sum_w: u64 = period_weights.iter().sum::<u64>().max(1);

    let total_weight: u32 = b.catalog.iter().map(|p| p.weight).sum();
    let mut daily_gmv = vec![0i64; days.len()];
    let mut times: Vec<u32> = Vec::new();
    let before_period = add_days(period.first_day(), -1);
    let after_period = period.next().first_day();
    for (di, &day) in days.iter().enumerate() {
        let count = match in_period.iter().position(|&i| i == di) {
            Some(p) => period_counts[p],
            None => {
                let scaled = ws.orders as u64 * weights[di];
                (scaled / sum_w) as usize + usize::from(chance(rng, ((scaled % sum_w) * 1000 / sum_w) as u32))
            }
        };
        times.clear();
        times.extend((0..count).map(|_| between(rng, 0, DAY - 1) as u32));
        // Rows near midnight at the month boundaries: a 30 September evening
        // that UTC already calls October, 31 October evenings that UTC calls
        // November, and a sale just after midnight on 1 November.
        if day == before_period && !times.is_empty() {
            times[0] = 23 * 3600 + 40 * 60 + 12;
        }
        if day == period.last_day() && times.len() >= 2 {
            times[0] = 22 * 3600 + 30 * 60 + 5;
            times[1] = 23 * 3600 + 15 * 60 + 41;
        }
        if day == after_period && !times.is_empty() {
            times[0] = 10 * 60 + 30;
        }
        times.sort_unstable();
        for &secs in &times {
            let ts = la_instant(day, secs);
            let order = book.orders.len() as u32;
            let first_item = book.items.len() as u32;
            let n_items = if chance(rng, b.two_items) { 2 } else { 1 };
            let shipping = if chance(rng, b.shipping) { between(rng, 499, 999) } else { 0 };
            let tax_bp = TAX_BP[index(rng, TAX_BP.len())];
            let mut last_product = u8::MAX;
            for n in 0..n_items {
                let mut product = weighted_product(rng, b.catalog, total_weight);
                if product == last_product {
                    product = (product + 1) % b.catalog.len() as u8;
                }
                last_product = product;
                let p = &b.catalog[product as usize];
                let qty: u8 = if chance(rng, b.two_units) { 2 } else { 1 };
                let principal = p.price * i64::from(qty);
                let shipping = if n == 0 { shipping } else { 0 };
                let (promo, promo_id) = if chance(rng, b.promotion) {
                    (div_round(principal * [5, 10, 15][index(rng, 3)], 100), index(rng, book.promo_ids.len()) as u8)
                } else {
                    (0, 0)
                };
                book.items.push(Item {
                    product,
                    qty,
                    principal,
                    shipping,
                    tax: div_round(principal * tax_bp, 10_000),
                    promo,
                    promo_id,
                    commission: div_round((principal + shipping) * 15, 100),
                    fba: p.fba_fee * i64::from(qty),
                    code: between(rng, 10_000_000_000_000, 99_999_999_999_999) as u64,
                });
                daily_gmv[di] += principal;
            }
            let id = OrderId {
                prefix: 111 + index(rng, 4) as u16,
                a: between(rng, 0, 9_999_999) as u32,
                b: between(rng, 0, 9_999_999) as u32,
            };
            book.orders.push(Order { id, first_item, n_items });
            book.txs.push(Tx { ts, kind: TxKind::Order(order) });

            if chance(rng, b.refund) {
                let item = first_item + index(rng, n_items as usize) as u32;
                let ts = ts + between(rng, 2, 25) * DAY + between(rng, 0, DAY - 1);
                let adjustment = between(rng, 10_000_000_000_000, 99_999_999_999_999) as u64;
                book.txs.push(Tx { ts, kind: TxKind::Refund { item, order, adjustment } });
            } else if chance(rng, b.dispute) {
                let ts = ts + between(rng, 8, 35) * DAY + between(rng, 0, DAY - 1);
                let adjustment = between(rng, 10_000_000_000_000, 99_999_999_999_999) as u64;
                book.txs.push(Tx { ts, kind: TxKind::Dispute { order, chargeback: chance(rng, 300), adjustment } });
            }
        }
    }
    daily_gmv
}

/// Account-level lines: advertising invoices (the ads report's spend, billed
/// every few days), the month's storage and subscription fees, an inventory
/// reimbursement per settlement, and reserve lines.
fn account_lines(
    ws: &Workspace,
    b: &Behaviour,
    rng: &mut Gen,
    book: &mut Book,
    window_first: NaiveDate,
    daily_spend: &[i64],
) {
    let mut day = 0;
    while day < daily_spend.len() {
        let len = (between(rng, 3, 6) as usize).min(daily_spend.len() - day);
        let amount: i64 = daily_spend[day..day + len].iter().sum();
        day += len;
        let posted = add_days(window_first, day as i64);
        let ts = la_instant(posted, between(rng, 4 * 3600, 9 * 3600) as u32);
        if amount > 0 {
            book.txs.push(Tx { ts, kind: TxKind::AdCost(-amount) });
        }
    }

    let first = ws.period.first_day();
    let orders = ws.orders as i64;
    let storage = orders * between(rng, b.storage_per_order.0, b.storage_per_order.1);
    if storage > 0 {
        book.txs.push(Tx { ts: la_instant(add_days(first, 6), 10 * 3600 + 1234), kind: TxKind::Storage(-storage) });
    }
    book.txs.push(Tx { ts: la_instant(add_days(first, 11), 3 * 3600 + 720), kind: TxKind::Subscription });

    let first_settlement = add_days(first, -7);
    let mut reserve = orders * between(rng, b.reserve_per_order.0, b.reserve_per_order.1);
    for k in 0..SETTLEMENTS {
        let start = la_midnight(add_days(first_settlement, k * CYCLE_DAYS));
        let end = la_midnight(add_days(first_settlement, (k + 1) * CYCLE_DAYS));
        let product = index(rng, b.catalog.len()) as u8;
        let amount = between(rng, 1500, 9000);
        book.txs.push(Tx { ts: between(rng, start, end - 1), kind: TxKind::Adjustment { product, amount } });
        if b.reserve_in.contains(&(k as usize)) && reserve > 0 {
            let next = orders * between(rng, b.reserve_per_order.0, b.reserve_per_order.1);
            book.txs.push(Tx { ts: start + 1, kind: TxKind::ReservePrevious(reserve) });
            book.txs.push(Tx { ts: end - 1, kind: TxKind::ReserveCurrent(-next) });
            reserve = next;
        }
    }
}

/// Calls `f` with each row `tx` expands into, in the order Amazon lists them.
fn for_each_line(book: &Book, tx: &Tx, f: &mut impl FnMut(&Line)) {
    let order_line = |tx_type, order: u32, item: u32, adjustment, amount_type, description, amount| Line {
        tx_type,
        order: Some(order),
        item: Some(item),
        adjustment,
        amount_type,
        description,
        amount,
        qty: None,
        promo: None,
        product: Some(book.items[item as usize].product),
    };
    match tx.kind {
        TxKind::Order(o) => {
            let order = &book.orders[o as usize];
            for i in order.first_item..order.first_item + u32::from(order.n_items) {
                let it = &book.items[i as usize];
                let line = |t, d, a| order_line("Order", o, i, None, t, d, a);
                f(&Line { qty: Some(it.qty), ..line("ItemPrice", "Principal", it.principal) });
                if it.shipping > 0 {
                    f(&line("ItemPrice", "Shipping", it.shipping));
                }
                if it.tax > 0 {
                    f(&line("ItemPrice", "Tax", it.tax));
                    f(&line("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", -it.tax));
                }
                f(&line("ItemFees", "Commission", -it.commission));
                f(&line("ItemFees", "FBAPerUnitFulfillmentFee", -it.fba));
                if it.shipping > 0 {
                    f(&line("ItemFees", "ShippingChargeback", -it.shipping));
                }
                if it.promo > 0 {
                    f(&Line { promo: Some(it.promo_id), ..line("Promotion", "Principal", -it.promo) });
                }
            }
        }
        TxKind::Refund { item, order, adjustment } => {
            let it = &book.items[item as usize];
            let line = |t, d, a| order_line("Refund", order, item, Some(adjustment), t, d, a);
            f(&line("ItemPrice", "Principal", -it.principal));
            if it.tax > 0 {
                f(&line("ItemPrice", "Tax", -it.tax));
                f(&line("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", it.tax));
            }
            f(&line("ItemFees", "Commission", it.commission));
            f(&line("ItemFees", "RefundCommission", -(div_round(it.commission * 20, 100).min(500))));
            if it.promo > 0 {
                f(&Line { promo: Some(it.promo_id), ..line("Promotion", "Principal", it.promo) });
            }
        }
        TxKind::Dispute { order, chargeback, adjustment } => {
            let item = book.orders[order as usize].first_item;
            let tx_type = if chargeback { "Chargeback Refund" } else { "A-to-z Guarantee Claim" };
            let principal = book.items[item as usize].principal;
            f(&order_line(tx_type, order, item, Some(adjustment), "ItemPrice", "Principal", -principal));
        }
        TxKind::AdCost(a) => f(&Line::account("ServiceFee", "Cost of Advertising", "TransactionTotalAmount", a)),
        TxKind::Storage(a) => f(&Line::account("other-transaction", "other-transaction", "Storage Fee", a)),
        TxKind::Subscription => f(&Line::account("other-transaction", "other-transaction", "Subscription Fee", -3999)),
        TxKind::Adjustment { product, amount } => f(&Line {
            product: Some(product),
            ..Line::account("Adjustment", "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE", amount)
        }),
        TxKind::ReservePrevious(a) => {
            f(&Line::account("other-transaction", "other-transaction", "Previous Reserve Amount Balance", a))
        }
        TxKind::ReserveCurrent(a) => {
            f(&Line::account("other-transaction", "other-transaction", "Current Reserve Amount", a))
        }
    }
}

pub(super) const V2_HEADER: &str = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id";

pub(super) const V1_HEADER: &str = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tshipment-fee-type\tshipment-fee-amount\torder-fee-type\torder-fee-amount\tfulfillment-id\tposted-date\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tprice-type\tprice-amount\titem-related-fee-type\titem-related-fee-amount\tmisc-fee-amount\tother-fee-amount\tother-fee-reason-description\tpromotion-id\tpromotion-type\tpromotion-amount\tdirect-payment-type\tdirect-payment-amount\tother-amount";

/// Writes one settlement file: header, the summary row (whose total is the
/// exact sum of the detail amounts), then one row per line. Returns the
/// number of detail rows.
fn write_settlement(w: &mut impl Write, book: &Book, s: &Settlement, txs: &[Tx], layout: Layout) -> io::Result<u64> {
    let mut total = 0i64;
    for tx in txs {
        for_each_line(book, tx, &mut |l| total += l.amount);
    }
    let columns = match layout {
        Layout::V1 => {
            w.write_all(V1_HEADER.as_bytes())?;
            36
        }
        Layout::V2 { .. } => {
            w.write_all(V2_HEADER.as_bytes())?;
            24
        }
    };
    let stamp = |ts| UtcStamp { ts, iso: false };
    write!(w, "\n{}\t{}\t{}\t{}\t{}\tUSD", s.id, stamp(s.start), stamp(s.end), stamp(s.deposit), Cents(total))?;
    for _ in 6..columns {
        w.write_all(b"\t")?;
    }
    w.write_all(b"\n")?;

    let mut cells: Vec<String> = vec![String::new(); columns];
    let mut rows = 0u64;
    let mut result = Ok(());
    for tx in txs {
        let date = la_date(tx.ts);
        for_each_line(book, tx, &mut |line| {
            if result.is_err() {
                return;
            }
            for c in cells.iter_mut() {
                c.clear();
            }
            match layout {
                Layout::V1 => fill_v1(&mut cells, book, s, line, date),
                Layout::V2 { posted, iso_stamp } => fill_v2(&mut cells, book, s, line, date, tx.ts, posted, iso_stamp),
            }
            result = write_row(w, &cells);
            rows += 1;
        });
    }
    result?;
    Ok(rows)
}

fn write_row(w: &mut impl Write, cells: &[String]) -> io::Result<()> {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            w.write_all(b"\t")?;
        }
        w.write_all(c.as_bytes())?;
    }
    w.write_all(b"\n")
}

/// The columns every layout shares, at their V2 positions up to
/// marketplace-name (V1 has the same first twelve columns).
fn fill_common(cells: &mut [String], book: &Book, s: &Settlement, line: &Line) {
    let _ = write!(cells[0], "{}", s.id);
    cells[6].push_str(line.tx_type);
    if let Some(o) = line.order {
        let _ = write!(cells[7], "{}", book.orders[o as usize].id);
        cells[11].push_str("Amazon.com");
    }
    if let Some(a) = line.adjustment {
        let _ = write!(cells[9], "{a}");
    }
}

#[allow(clippy::too_many_arguments)]
fn fill_v2(
    cells: &mut [String],
    book: &Book,
    s: &Settlement,
    line: &Line,
    date: NaiveDate,
    ts: i64,
    posted: PostedDate,
    iso_stamp: bool,
) {
    fill_common(cells, book, s, line);
    cells[12].push_str(line.amount_type);
    cells[13].push_str(line.description);
    let _ = write!(cells[14], "{}", Cents(line.amount));
    if line.order.is_some() {
        cells[15].push_str("AFN");
    }
    let _ = match posted {
        PostedDate::Mdy => write!(cells[16], "{}", Mdy { date, long_year: false }),
        PostedDate::Ymd => write!(cells[16], "{}", Ymd(date)),
    };
    let _ = write!(cells[17], "{}", UtcStamp { ts, iso: iso_stamp });
    if let Some(i) = line.item {
        let _ = write!(cells[18], "{}", book.items[i as usize].code);
    }
    if let Some(p) = line.product {
        cells[21].push_str(book.catalog[p as usize].sku);
    }
    if let Some(q) = line.qty {
        let _ = write!(cells[22], "{q}");
    }
    if let Some(p) = line.promo {
        cells[23].push_str(&book.promo_ids[p as usize]);
    }
}

/// V1 puts each amount in a type/amount column pair chosen by what it is.
fn fill_v1(cells: &mut [String], book: &Book, s: &Settlement, line: &Line, date: NaiveDate) {
    fill_common(cells, book, s, line);
    if line.order.is_some() {
        cells[16].push_str("AFN");
    }
    let _ = write!(cells[17], "{}", Mdy { date, long_year: true });
    if let Some(i) = line.item {
        let _ = write!(cells[18], "{}", book.items[i as usize].code);
    }
    if let Some(p) = line.product {
        cells[21].push_str(book.catalog[p as usize].sku);
    }
    if let Some(q) = line.qty {
        let _ = write!(cells[22], "{q}");
    }
    let amount = Cents(line.amount);
    let _ = match line.amount_type {
        "ItemPrice" => {
            cells[23].push_str(line.description);
            write!(cells[24], "{amount}")
        }
        "ItemFees" | "ItemWithheldTax" => {
            cells[25].push_str(line.description);
            write!(cells[26], "{amount}")
        }
        "Promotion" => {
            if let Some(p) = line.promo {
                cells[30].push_str(&book.promo_ids[p as usize]);
            }
            cells[31].push_str(line.description);
            write!(cells[32], "{amount}")
        }
        "other-transaction" if matches!(line.description, "Storage Fee" | "Subscription Fee") => {
            cells[29].push_str(line.description);
            write!(cells[28], "{amount}")
        }
        "Cost of Advertising" => {
            cells[29].push_str(line.amount_type);
            write!(cells[28], "{amount}")
        }
        _ => {
            // V1 names reserve lines by their transaction type.
            if line.amount_type == "other-transaction" {
                cells[6].clear();
                cells[6].push_str(line.description);
            }
            write!(cells[35], "{amount}")
        }
    };
}
