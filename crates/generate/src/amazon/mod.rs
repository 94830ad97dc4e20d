//! Amazon US: orders, refunds, disputes and account-level fees over three
//! ~14-day settlements straddling the period, written as flat-file V2
//! settlement reports (and, for the `sunny-gadgets` profile, the earliest one
//! in the older wide V1 layout). Sponsored Products reports come from
//! [`super::ads`], which also decides the "Cost of Advertising" charges.
//!
//! Times are UTC instants (seconds since the epoch); posted-date columns
//! print the Los Angeles calendar date, so a row posted at
//! `2026-11-01 05:30:00 UTC` says `10/31/26`.

mod business_report;
mod feedback;
mod inventory;
mod orders;
mod returns;
mod settlement;

use std::collections::BTreeSet;
use std::fmt::{self, Display};
use std::io;

use chrono::{DateTime, NaiveDate, TimeZone};
use chrono_tz::Tz;
use rand::Rng;

use super::ads;
use super::data::{ACME_AMAZON, AmazonProduct, SUNNY_AMAZON};
use super::{
    Gen, GenerateSummary, Profile, Purpose, Seller, Truth, Workspace, add_days, allocate, between, chance, div_round,
    index,
};
use settlement::{file_layout, write_settlement};

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
    /// Order lines returned to an FBA centre (permille).
    returned: u32,
    /// Orders whose buyer leaves seller feedback (permille).
    feedback: u32,
    /// Orders cancelled before shipment, per settled order (permille).
    cancelled: u32,

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
            returned: 45,
            feedback: 90,
            cancelled: 25,
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
            returned: 30,
            feedback: 70,
            cancelled: 15,
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
    let mut rng = seller.rng_for(ws.seed, Purpose::AmazonOrders, ws.period);
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
    let mut ads_rng = seller.rng_for(ws.seed, Purpose::AmazonAds, ws.period);
    let (daily_spend, ads_summary) = ads::write(ws, seller, &mut ads_rng, b.catalog, window_first, &daily_gmv)?;
    summary.add(ads_summary);

    let mut rng = seller.rng_for(ws.seed, Purpose::AmazonFiles, ws.period);
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
    let mut truth = Truth { units_sold: units_settled_in(ws.period, &book), ..Truth::default() };
    let mut rng = seller.rng_for(ws.seed, Purpose::AmazonReturns, ws.period);
    let (returns_summary, returned) = returns::write(ws, &dir, &book, &mut rng, b.returned)?;
    summary.add(returns_summary);
    let returned_in_period = returned.iter().filter(|r| ws.period.contains(la_date(r.ts)));
    truth.units_returned = returned_in_period.map(|r| i64::from(r.qty)).sum();
    let mut rng = seller.rng_for(ws.seed, Purpose::AmazonFeedback, ws.period);
    let (feedback_summary, (received, negative)) = feedback::write(ws, &dir, &book, &mut rng, b.feedback)?;
    summary.add(feedback_summary);
    (truth.feedback_received, truth.feedback_negative) = (received, negative);
    let mut rng = seller.rng_for(ws.seed, Purpose::AmazonAllOrders, ws.period);
    let items = orders::items(ws, &book, &mut rng, b.cancelled);
    summary.add(orders::write(ws, &dir, &book, &items)?);
    let placed: BTreeSet<(&str, bool)> = items
        .iter()
        .filter(|r| ws.period.contains(la_date(r.purchased)))
        .map(|r| (r.order_id.as_str(), r.status == "Cancelled"))
        .collect();
    truth.orders_placed = placed.len() as i64;
    // Every generated order is fulfilled by Amazon: none is cancelled by the seller.
    truth.orders_cancelled = placed.iter().filter(|(_, cancelled)| *cancelled).count() as i64;
    let mut rng = seller.rng_for(ws.seed, Purpose::AmazonTraffic, ws.period);
    let prices: Vec<i64> = book.catalog.iter().map(|p| p.price).collect();
    let (traffic_summary, (sessions, units, order_items)) =
        business_report::write(ws, &dir, &prices, &items, &mut rng)?;
    summary.add(traffic_summary);
    (truth.sessions, truth.units_ordered, truth.order_items) = (sessions, units, order_items);
    let mut rng = seller.rng_for(ws.seed, Purpose::AmazonInventory, ws.period);
    let (inventory_summary, (unit_days, shipped)) = inventory::write(ws, &dir, &book, &returned, &mut rng)?;
    summary.add(inventory_summary);
    (truth.sellable_unit_days, truth.shipped_from_stock) = (unit_days, shipped);
    Ok(summary.with_truth(ws.period, seller, "amazon_us", truth))
}

/// Units of the order items posted (at shipment) on a day of `period`, Los Angeles time.
fn units_settled_in(period: kpiseal::period::Period, book: &Book) -> i64 {
    let orders = book.txs.iter().filter_map(|t| match t.kind {
        TxKind::Order(order) if period.contains(la_date(t.ts)) => Some(&book.orders[order as usize]),
        _ => None,
    });
    orders
        .flat_map(|o| &book.items[o.first_item as usize..(o.first_item + u32::from(o.n_items)) as usize])
        .map(|item| i64::from(item.qty))
        .sum()
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
    let mut reserve = orders * between(rng, b.reserve_per_order.0, b.reserve_per_order.1) + between(rng, 0, 99);
    for k in 0..SETTLEMENTS {
        let start = la_midnight(add_days(first_settlement, k * CYCLE_DAYS));
        let end = la_midnight(add_days(first_settlement, (k + 1) * CYCLE_DAYS));
        let product = index(rng, b.catalog.len()) as u8;
        let amount = between(rng, 1500, 9000);
        book.txs.push(Tx { ts: between(rng, start, end - 1), kind: TxKind::Adjustment { product, amount } });
        if b.reserve_in.contains(&(k as usize)) && reserve > 0 {
            let next = orders * between(rng, b.reserve_per_order.0, b.reserve_per_order.1) + between(rng, 0, 99);
            book.txs.push(Tx { ts: start + 1, kind: TxKind::ReservePrevious(reserve) });
            book.txs.push(Tx { ts: end - 1, kind: TxKind::ReserveCurrent(-next) });
            reserve = next;
        }
    }
}
