//! Amazon settlement report, flat file V2 (one amount per row, typed by
//! amount-type/amount-description) and the older wide V1 layout (several
//! typed amount pairs per row). Both carry a summary row with the
//! settlement's total-amount, which the detail rows must sum to exactly.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use arrayvec::ArrayVec;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::dates::amazon_local_date;
use super::records::{MoneyKind, MoneyLine, OrderEvent, OrderEventKind, OrderId, OrderIds, ReconciliationCheck};
use super::table::{Row, Table};
use super::units::{ByValue, Fingerprint, Unit, UnitKey};
use super::{Format, IngestContext, ParsedExport};
use crate::error::InputError;
use crate::money::Currency;

/// Whether a header row is a settlement report's (either layout).
pub fn is_header(headers: &[String]) -> bool {
    super::has_all(headers, &["settlement-id", "total-amount", "transaction-type"])
}

/// Which layout a settlement table is in: V2 has `amount-type`, V1 `price-type`.
pub fn layout(t: &Table) -> Format {
    if t.has(&["amount-type"]) { Format::AmazonSettlementV2 } else { Format::AmazonSettlementV1 }
}

/// One typed amount of a settlement, whichever layout it came from.
struct Detail<'a> {
    transaction_type: &'a str,
    amount_type: Cow<'a, str>,
    description: Cow<'a, str>,
    amount: Decimal,
    order_id: Cow<'a, str>,
    quantity: i64,
}

/// Every column [`parse`] reads, of either layout: the others (13 of a V2
/// file's 24) are not kept as it is read (see
/// `table::read_decoded_columns`).
pub const COLUMNS: &[&str] = &[
    "settlement-id",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "posted-date",
    "posted-date-time",
    "quantity-purchased",
    // V2
    "amount-type",
    "amount-description",
    "amount",
    // V1
    "price-amount",
    "price-type",
    "item-related-fee-amount",
    "item-related-fee-type",
    "promotion-amount",
    "promotion-type",
    "shipment-fee-amount",
    "shipment-fee-type",
    "order-fee-amount",
    "order-fee-type",
    "direct-payment-amount",
    "direct-payment-type",
    "misc-fee-amount",
    "other-fee-amount",
    "other-fee-reason-description",
    "other-amount",
];

/// Columns both layouts share.
struct Common {
    settlement_id: usize,
    total_amount: usize,
    currency: usize,
    transaction_type: usize,
    order_id: usize,
    posted_date: Option<usize>,
    posted_date_time: Option<usize>,
    quantity: Option<usize>,
}

impl Common {
    fn find(t: &Table) -> Result<Self, InputError> {
        let posted_date = t.column(&["posted-date"]);
        let posted_date_time = t.column(&["posted-date-time"]);
        if posted_date.is_none() && posted_date_time.is_none() {
            t.require(&["posted-date", "posted-date-time"])?;
        }
        Ok(Common {
            settlement_id: t.require(&["settlement-id"])?,
            total_amount: t.require(&["total-amount"])?,
            currency: t.require(&["currency"])?,
            transaction_type: t.require(&["transaction-type"])?,
            order_id: t.require(&["order-id"])?,
            posted_date,
            posted_date_time,
            quantity: t.column(&["quantity-purchased"]),
        })
    }

    /// The row's date in the marketplace's zone: posted-date-time (a UTC
    /// instant) when present, else posted-date (already a local date); and
    /// whether the text had a time of day, i.e. whether the zone applied.
    ///
    /// `last` holds the last date read, which is reused when this row's
    /// text is the same: a settlement's rows come in runs of one order's
    /// amounts, posted at one instant (about six rows a run).
    fn date<'t>(
        &self,
        t: &'t Table,
        row: &Row,
        ctx: &IngestContext,
        last: &mut Option<LastDate<'t>>,
    ) -> Result<(NaiveDate, bool), InputError> {
        for col in [self.posted_date_time, self.posted_date].into_iter().flatten() {
            if !t.is_blank(row, col) {
                let text = t.text_ref(row, col);
                if let Some(last) = last.as_ref().filter(|l| l.col == col && l.text == text) {
                    return Ok(last.read);
                }
                let date = amazon_local_date(&text, ctx.tz).map_err(|m| t.error(row, col, m))?;
                let read = (date, text.contains(':'));
                *last = Some(LastDate { col, text, read });
                return Ok(read);
            }
        }
        let col = self.posted_date.or(self.posted_date_time).unwrap_or(0);
        Err(t.error(row, col, "a detail row needs a posted date"))
    }
}

/// The last posted date [`Common::date`] read: its column, its text and
/// what it gave.
struct LastDate<'t> {
    col: usize,
    text: Cow<'t, str>,
    read: (NaiveDate, bool),
}

/// One settlement of the file as it is read: its reconciliation so far, its
/// facts dated in the period, and the fingerprint of all its facts.
#[derive(Default)]
struct Settlement {
    reported: Option<Decimal>,
    computed: Decimal,
    rows: usize,
    /// Line/row of its summary row, and of its first row of any kind.
    summary_number: Option<usize>,
    first_number: Option<usize>,
    /// Every fact of the settlement, whatever its date, and the total: the
    /// same in a V1 and a V2 file of one settlement.
    fingerprint: Fingerprint,
    /// Facts dated in the period (`lines` and `events` only).
    facts: ParsedExport,
    rows_in_period: usize,
}

/// The settlement `id` of `settlements`, added when new. The first one of
/// a file of `rows` rows is made with room for a money line per row: a
/// file nearly always holds one settlement, whose facts then never move
/// while they grow.
fn settlement_for<'m, 't>(
    settlements: &'m mut BTreeMap<Cow<'t, str>, Settlement>,
    id: Cow<'t, str>,
    rows: usize,
) -> &'m mut Settlement {
    let first = settlements.is_empty();
    settlements.entry(id).or_insert_with(|| {
        let mut settlement = Settlement::default();
        if first {
            settlement.facts.lines.reserve(rows);
        }
        settlement
    })
}

/// How the settlement file `text` writes its amounts: with a decimal
/// comma (`1141,18`, as Amazon's European sites write them, "in the local
/// currency format" per Amazon's V2 notes) when the summary row's
/// total-amount ends in a comma and two digits (`1.196,42`), else with a decimal point (US,
/// and every other file). A file mixing the two is then refused by the
/// first amount the chosen style cannot read, naming its line.
pub fn decimal_style(text: &str) -> crate::money::DecimalStyle {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let Some(col) = header.iter().position(|h| h.trim().trim_start_matches('\u{feff}') == "total-amount") else {
        return crate::money::DecimalStyle::Point;
    };
    let total = lines.take(5).filter_map(|l| l.split('\t').nth(col)).map(str::trim).find(|c| !c.is_empty());
    match total {
        Some(t) if t.rfind(',').is_some_and(|i| t.len() - i == 3 && !t[i..].contains('.')) => {
            crate::money::DecimalStyle::Comma
        }
        _ => crate::money::DecimalStyle::Point,
    }
}

/// Parses either layout, keeping the facts dated in `ctx.period` and checking
/// every settlement of the file against its total-amount.
///
/// # Errors
/// An [`InputError`] naming line and column for an unreadable amount or date,
/// a currency other than the market's, or a missing required column.
pub fn parse(t: &Table, ctx: &IngestContext) -> Result<ParsedExport, InputError> {
    t.refuse_repeated_headers()?;
    let common = Common::find(t)?;
    let v2 = layout(t) == Format::AmazonSettlementV2;
    let v2_cols = if v2 {
        Some((t.require(&["amount-type"])?, t.require(&["amount-description"])?, t.require(&["amount"])?))
    } else {
        None
    };
    let v1_pairs = if v2 { Vec::new() } else { v1_columns(t)? };

    let mut out = ParsedExport::default();
    // Keyed by the id as the table holds it: no copy per row.
    let mut settlements: BTreeMap<Cow<'_, str>, Settlement> = BTreeMap::new();
    let mut last_date = None;
    let mut order_ids = OrderIds::default();
    for row in &t.rows {
        out.rows_total += 1;
        let id = t.text_ref(row, common.settlement_id);
        let transaction_type = t.text_ref(row, common.transaction_type);
        if transaction_type.is_empty() && !t.is_blank(row, common.total_amount) {
            let currency_cell = t.text_ref(row, common.currency);
            let currency: Currency = currency_cell.parse().map_err(|m| t.error(row, common.currency, m))?;
            if currency != ctx.currency {
                return Err(other_currency(t, row, common.currency, currency, ctx));
            }
            let settlement = settlement_for(&mut settlements, id, t.rows.len());
            let total = t.money(row, common.total_amount)?;
            settlement.reported = Some(total);
            settlement.summary_number.get_or_insert(row.number);
            settlement.first_number.get_or_insert(row.number);
            settlement.fingerprint.add(("total-amount", ByValue(total)));
            continue;
        }
        let mut details = Details::new();
        match v2_cols {
            Some((amount_type, description, amount)) => {
                if !t.is_blank(row, amount) {
                    let detail = Detail {
                        transaction_type: &transaction_type,
                        amount_type: t.text_ref(row, amount_type),
                        description: t.text_ref(row, description),
                        amount: t.money(row, amount)?,
                        order_id: t.text_ref(row, common.order_id),
                        quantity: 0,
                    };
                    details.try_push(detail).map_err(|_| InputError::file(&t.file, TOO_MANY_DETAILS))?;
                }
            }
            None => v1_details(t, row, &v1_pairs, &transaction_type, common.order_id, &mut details)?,
        }
        if details.is_empty() {
            continue;
        }
        // Detail rows usually leave currency blank; one that names a
        // currency must name the settlement's.
        if !t.is_blank(row, common.currency) {
            let currency: Currency =
                t.text_ref(row, common.currency).parse().map_err(|m| t.error(row, common.currency, m))?;
            if currency != ctx.currency {
                return Err(other_currency(t, row, common.currency, currency, ctx));
            }
        }
        let quantity = match common.quantity {
            Some(col) => t.whole(row, col)?,
            None => 0,
        };
        let settlement = settlement_for(&mut settlements, id, t.rows.len());
        settlement.rows += 1;
        settlement.first_number.get_or_insert(row.number);
        for d in &details {
            settlement.computed += d.amount;
        }
        let (date, zoned) = common.date(t, row, ctx, &mut last_date)?;
        out.saw(date);
        if !zoned && ctx.period.near_boundary(date) {
            out.date_only_near_boundary.push(row.number);
        }
        let facts = &mut settlement.facts;
        let (lines, events) = (facts.lines.len(), facts.events.len());
        for mut d in details {
            if is_principal(&d) {
                d.quantity = quantity;
            }
            let order_id = order_ids.id(&d.order_id);
            record(facts, ctx.market, row.number, date, d, order_id);
        }
        for l in &facts.lines[lines..] {
            settlement.fingerprint.add((l.date, &l.order_id, l.kind, ByValue(l.amount)));
        }
        for e in &facts.events[events..] {
            settlement.fingerprint.add((
                e.date,
                &e.order_id,
                e.kind,
                e.units,
                ByValue(e.principal),
                ByValue(e.shipping),
            ));
        }
        if ctx.period.contains(date) {
            settlement.rows_in_period += 1;
        } else {
            facts.lines.truncate(lines);
            facts.events.truncate(events);
            out.leave_out(row.number, date);
        }
    }
    let id_column: Arc<str> = t.headers.get(common.settlement_id).map_or("settlement-id", String::as_str).into();
    for (id, s) in settlements {
        let (reported, ok, detail) = match s.reported {
            Some(r) if r == s.computed => (r, true, String::new()),
            Some(r) => (r, false, format!("detail rows sum to {}, total-amount reads {r}", s.computed)),
            None => (Decimal::ZERO, false, "no summary row with total-amount for this settlement".to_string()),
        };
        let number = s.summary_number.or(s.first_number).unwrap_or(t.header_number);
        let mut unit = Unit::new(
            UnitKey::Settlement(id.to_string()),
            t.location(number),
            id_column.clone(),
            format!("settlement {id}"),
        );
        unit.fingerprint = s.fingerprint;
        unit.summary = match s.reported {
            Some(r) => format!("total-amount {r} USD, {} detail rows", s.rows),
            None => format!("no total-amount, {} detail rows", s.rows),
        }
        .into();
        unit.rows_in_period = s.rows_in_period;
        unit.lines = out.lines.len()..out.lines.len() + s.facts.lines.len();
        unit.events = out.events.len()..out.events.len() + s.facts.events.len();
        unit.checks = out.checks.len()..out.checks.len() + 1;
        out.rows_in_period += s.rows_in_period;
        // A file's one settlement (nearly always) hands its facts over whole.
        if out.lines.is_empty() {
            out.lines = s.facts.lines;
        } else {
            out.lines.extend(s.facts.lines);
        }
        if out.events.is_empty() {
            out.events = s.facts.events;
        } else {
            out.events.extend(s.facts.events);
        }
        out.checks.push(ReconciliationCheck {
            file: t.file.clone(),
            scope: format!("settlement {id} ({} detail rows)", s.rows),
            currency: ctx.currency,
            reported,
            computed: s.computed,
            ok,
            detail,
        });
        out.units.push(unit);
    }
    Ok(out)
}

/// The refusal of an amount in another currency than its market's: kpiseal
/// never relabels it, and says which market folder a settlement of
/// another Amazon site belongs in.
fn other_currency(t: &Table, row: &Row, col: usize, found: Currency, ctx: &IngestContext) -> InputError {
    let elsewhere = crate::market::Market::fixed()
        .filter(|m| m.marketplace() == crate::market::Marketplace::Amazon && m.fixed_currency() == Some(found))
        .map(|m| format!(" (a settlement of {}, in {found}, goes in the {} folder)", m.id(), m.folder()))
        .next()
        .unwrap_or_default();
    let name = ctx.market.name(crate::contract::Language::En);
    t.error(
        row,
        col,
        format!(
            "expected {}, found {found}: an {name} settlement is paid in {} and kpiseal does not relabel or convert a settlement; use the report of the {name} marketplace{elsewhere}",
            ctx.currency,
            ctx.currency
        ),
    )
}

/// Whether `haystack` contains `needle` (lower-case ASCII), ignoring ASCII case.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

fn is_principal(d: &Detail) -> bool {
    d.amount_type.eq_ignore_ascii_case("ItemPrice") && d.description.eq_ignore_ascii_case("Principal")
}

/// How one typed amount counts: its payout kind, and the order event it implies.
fn record(
    out: &mut ParsedExport,
    market: crate::market::Market,
    line: usize,
    date: NaiveDate,
    d: Detail,
    order_id: OrderId,
) {
    // Every comparison ignores ASCII case.
    let (tx, amount_type, description) = (d.transaction_type, d.amount_type.as_ref(), d.description.as_ref());
    let disputed = contains_ignore_case(tx, "a-to-z") || contains_ignore_case(tx, "chargeback");
    let is_order = tx.eq_ignore_ascii_case("order");
    let is_refund = tx.eq_ignore_ascii_case("refund") || disputed;
    let item_price = amount_type.eq_ignore_ascii_case("itemprice");
    let principal = item_price && description.eq_ignore_ascii_case("principal");
    let shipping = item_price && description.eq_ignore_ascii_case("shipping");

    let kind = if item_price {
        if is_refund && (principal || shipping) {
            MoneyKind::Refund
        } else if principal && is_order {
            MoneyKind::Principal
        } else if shipping && is_order {
            MoneyKind::Shipping
        } else if contains_ignore_case(description, "tax") {
            MoneyKind::Tax
        } else {
            MoneyKind::Other
        }
    } else if amount_type.eq_ignore_ascii_case("itemwithheldtax") || contains_ignore_case(description, "facilitatortax")
    {
        MoneyKind::Tax
    } else if amount_type.eq_ignore_ascii_case("promotion") {
        MoneyKind::Promotion
    } else if amount_type.eq_ignore_ascii_case("itemfees") {
        MoneyKind::PlatformFee
    } else if contains_ignore_case(amount_type, "cost of advertising")
        || contains_ignore_case(description, "cost of advertising")
    {
        MoneyKind::Advertising
    } else if tx.eq_ignore_ascii_case("servicefee") || contains_ignore_case(description, "fee") {
        MoneyKind::PlatformFee
    } else {
        MoneyKind::Other
    };

    let mut event = |kind: OrderEventKind, units: i64, principal: Decimal, shipping: Decimal| {
        out.events.push(OrderEvent {
            market,
            line,
            date,
            order_id: order_id.clone(),
            kind,
            units,
            principal,
            shipping,
        });
    };
    if !d.order_id.is_empty() {
        if is_order && principal {
            event(OrderEventKind::Placed, d.quantity, d.amount, Decimal::ZERO);
        } else if is_order && shipping {
            event(OrderEventKind::Placed, 0, Decimal::ZERO, d.amount);
        } else if is_refund && principal {
            event(OrderEventKind::Refunded, 0, -d.amount, Decimal::ZERO);
        } else if is_refund && shipping {
            event(OrderEventKind::Refunded, 0, Decimal::ZERO, -d.amount);
        }
        if disputed {
            event(OrderEventKind::Disputed, 0, Decimal::ZERO, Decimal::ZERO);
        }
    }
    out.lines.push(MoneyLine { market, line, date, order_id, kind, amount: d.amount });
}

/// A V1 typed-amount column pair: (type column or fixed type, amount column, amount-type it maps to).
struct V1Pair {
    type_col: Option<usize>,
    fixed_description: &'static str,
    amount_col: usize,
    amount_type: &'static str,
}

/// How many typed-amount column pairs a V1 settlement can have: at most
/// this many [`Detail`]s per row, in either layout.
const V1_PAIRS: usize = 9;

/// A row's typed amounts, held inline (no allocation per row).
type Details<'a> = ArrayVec<Detail<'a>, V1_PAIRS>;

/// Cannot happen: a row holds one detail per V1 column pair at most.
const TOO_MANY_DETAILS: &str = "internal: more typed amounts in one row than a settlement has amount columns";

fn v1_columns(t: &Table) -> Result<Vec<V1Pair>, InputError> {
    let pairs: [(&str, Option<&str>, &'static str, &'static str); V1_PAIRS] = [
        ("price-amount", Some("price-type"), "ItemPrice", ""),
        ("item-related-fee-amount", Some("item-related-fee-type"), "ItemFees", ""),
        ("promotion-amount", Some("promotion-type"), "Promotion", ""),
        ("shipment-fee-amount", Some("shipment-fee-type"), "ItemFees", ""),
        ("order-fee-amount", Some("order-fee-type"), "ItemFees", ""),
        ("direct-payment-amount", Some("direct-payment-type"), "other-transaction", ""),
        ("misc-fee-amount", None, "other-transaction", "Misc Fee"),
        ("other-fee-amount", Some("other-fee-reason-description"), "other-transaction", "Other Fee"),
        ("other-amount", None, "other-transaction", "Other"),
    ];
    let mut found = Vec::new();
    for (amount, type_name, amount_type, fixed) in pairs {
        if let Some(amount_col) = t.column(&[amount]) {
            found.push(V1Pair {
                type_col: type_name.and_then(|n| t.column(&[n])),
                fixed_description: fixed,
                amount_col,
                amount_type,
            });
        }
    }
    if found.is_empty() {
        t.require(&["price-amount"])?;
    }
    Ok(found)
}

fn v1_details<'a>(
    t: &'a Table,
    row: &Row,
    pairs: &[V1Pair],
    transaction_type: &'a str,
    order_col: usize,
    out: &mut Details<'a>,
) -> Result<(), InputError> {
    for p in pairs {
        if t.is_blank(row, p.amount_col) {
            continue;
        }
        let mut description = p.type_col.map(|c| t.text_ref(row, c)).unwrap_or_default();
        if description.is_empty() {
            description = Cow::Borrowed(p.fixed_description);
        }
        let amount_type =
            if contains_ignore_case(&description, "facilitatortax") { "ItemWithheldTax" } else { p.amount_type };
        let detail = Detail {
            transaction_type,
            amount_type: Cow::Borrowed(amount_type),
            description,
            amount: t.money(row, p.amount_col)?,
            order_id: t.text_ref(row, order_col),
            quantity: 0,
        };
        // One per pair, and a table has at most V1_PAIRS of them: it fits.
        out.try_push(detail).map_err(|_| InputError::file(&t.file, TOO_MANY_DETAILS))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::read_export;
    use crate::period::Period;

    const V2_HEADER: &str = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id";

    fn v2_row(tx: &str, order: &str, at: &str, ad: &str, amount: &str, posted: &str, qty: &str) -> String {
        format!(
            "111\t\t\t\t\t\t{tx}\t{order}\t\t\t\tAmazon.com\t{at}\t{ad}\t{amount}\tAFN\t\t{posted}\t\t\t\tSKU-1\t{qty}\t"
        )
    }

    fn v2(total: &str, rows: &[String]) -> String {
        let mut s = format!(
            "{V2_HEADER}\n111\t2026-09-24 07:00:00 UTC\t2026-10-08 07:00:00 UTC\t2026-10-10 07:00:00 UTC\t{total}\tUSD\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n"
        );
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s
    }

    fn ctx() -> IngestContext {
        IngestContext::new("2026-10".parse::<Period>().unwrap(), crate::market::Market::AMAZON_US)
    }

    fn sample() -> String {
        v2(
            "77.00",
            &[
                v2_row("Order", "A", "ItemPrice", "Principal", "100.00", "2026-10-02 10:00:00 UTC", "2"),
                v2_row("Order", "A", "ItemFees", "Commission", "-15.00", "2026-10-02 10:00:00 UTC", ""),
                v2_row("Order", "B", "ItemPrice", "Principal", "40.00", "2026-09-30 10:00:00 UTC", "1"),
                v2_row("Refund", "A", "ItemPrice", "Principal", "-30.00", "2026-11-01 05:30:00 UTC", ""),
                v2_row("A-to-z Guarantee Claim", "C", "ItemPrice", "Principal", "-8.00", "2026-11-02 10:00:00 UTC", ""),
                v2_row(
                    "ServiceFee",
                    "",
                    "Cost of Advertising",
                    "TransactionTotalAmount",
                    "-10.00",
                    "2026-10-05 10:00:00 UTC",
                    "",
                ),
                v2_row(
                    "other-transaction",
                    "",
                    "other-transaction",
                    "Storage Fee",
                    "0.00",
                    "2026-10-06T07:00:00+00:00",
                    "",
                ),
            ],
        )
    }

    /// An Amazon.com.br settlement as Amazon localises the flat file on its
    /// non-US sites (headers in English, `dd.MM.yyyy HH:mm:ss UTC` dates,
    /// decimal comma: the layout of a European V2 file quoted in
    /// abuzuhri/Amazon-SP-API-CSharp issue #571), in BRL.
    fn brazil(total: &str, amounts: [&str; 3]) -> String {
        let row = |tx: &str, at: &str, ad: &str, amount: &str, posted: &str| {
            format!(
                "222\t\t\t\t\t\t{tx}\t702-1\t\t\t\tAmazon.com.br\t{at}\t{ad}\t{amount}\tAFN\t\t{posted}\t\t\t\tSKU-9\t1\t"
            )
        };
        [
            V2_HEADER.to_string(),
            format!("222\t24.09.2026 07:00:00 UTC\t08.10.2026 07:00:00 UTC\t10.10.2026 07:00:00 UTC\t{total}\tBRL\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"),
            row("Order", "ItemPrice", "Principal", amounts[0], "02.10.2026 14:00:00 UTC"),
            row("Order", "ItemFees", "Commission", amounts[1], "02.10.2026 14:00:00 UTC"),
            row("Order", "ItemPrice", "Principal", amounts[2], "01.10.2026 02:00:00 UTC"),
        ]
        .join("\n")
    }

    #[test]
    fn an_amazon_br_settlement_reads_decimal_commas_and_european_dates_in_sao_paulo_time() {
        let ctx = IngestContext::new("2026-10".parse::<Period>().unwrap(), crate::market::Market::AMAZON_BR);
        let text = brazil("1.196,42", ["1.141,18", "-171,18", "226,42"]);
        let (format, parsed) = read_export("s.txt", text.as_bytes(), &ctx).unwrap();
        assert_eq!(format, Format::AmazonSettlementV2);
        assert!(parsed.checks[0].ok, "{:?}", parsed.checks[0]);
        assert_eq!(parsed.checks[0].currency, Currency::Brl);
        let amounts: Vec<(String, String)> =
            parsed.lines.iter().map(|l| (l.amount.to_string(), l.date.to_string())).collect();
        // 01.10.2026 02:00 UTC is 30 September, 23:00 in São Paulo: not October's.
        assert_eq!(amounts, [("1141.18".into(), "2026-10-02".into()), ("-171.18".into(), "2026-10-02".into())]);
        assert!(parsed.lines.iter().all(|l| l.market == crate::market::Market::AMAZON_BR));
    }

    #[test]
    fn a_brl_settlement_read_as_amazon_us_is_refused_naming_the_amazon_br_folder() {
        let text = brazil("1.196,42", ["1.141,18", "-171,18", "226,42"]);
        let e = read_export("exports/2026-10/acme/s.txt", text.as_bytes(), &ctx()).unwrap_err().to_string();
        assert_eq!(
            e,
            "exports/2026-10/acme/s.txt:2: column \"currency\": expected USD, found BRL: an Amazon US settlement is paid in USD and kpiseal does not relabel or convert a settlement; use the report of the Amazon US marketplace (a settlement of amazon_br, in BRL, goes in the amazon_br folder)"
        );
    }

    #[test]
    fn detail_rows_summing_to_total_amount_pass_reconciliation() {
        let (format, parsed) = read_export("s.txt", sample().as_bytes(), &ctx()).unwrap();
        assert_eq!(format, Format::AmazonSettlementV2);
        assert_eq!(parsed.checks.len(), 1);
        let check = &parsed.checks[0];
        assert!(check.ok, "{check:?}");
        assert_eq!(check.reported, Decimal::new(7700, 2));
    }

    #[test]
    fn a_mismatched_total_is_reported_not_hidden() {
        let text = sample().replacen("\t77.00\t", "\t77.01\t", 1);
        let (_, parsed) = read_export("s.txt", text.as_bytes(), &ctx()).unwrap();
        let check = &parsed.checks[0];
        assert!(!check.ok);
        assert!(check.detail.contains("sum to 77.00, total-amount reads 77.01"), "{}", check.detail);
    }

    #[test]
    fn rows_are_assigned_to_the_month_of_their_los_angeles_date() {
        let (_, parsed) = read_export("s.txt", sample().as_bytes(), &ctx()).unwrap();
        // B (30 Sep) and the 2 Nov claim fall outside; the refund at 05:30 UTC on
        // 1 Nov is still 31 Oct in Los Angeles.
        assert_eq!(parsed.rows_total, 8);
        assert_eq!(parsed.rows_in_period, 5);
        let refunded: Vec<_> = parsed.events.iter().filter(|e| e.kind == OrderEventKind::Refunded).collect();
        assert_eq!(refunded.len(), 1);
        assert_eq!(refunded[0].principal, Decimal::new(3000, 2));
        assert_eq!(refunded[0].date, NaiveDate::from_ymd_opt(2026, 10, 31).unwrap());
        assert!(!parsed.events.iter().any(|e| e.order_id == "B" || e.order_id == "C"));
    }

    #[test]
    fn each_row_is_dated_by_its_own_text_across_runs_of_one_instant() {
        let (a, b) = ("2026-11-01 06:59:59 UTC", "2026-11-01 07:00:00 UTC");
        let text = v2(
            "63.00",
            &[
                v2_row("Order", "A", "ItemPrice", "Principal", "10.00", a, "1"),
                v2_row("Order", "A", "ItemPrice", "Shipping", "1.00", a, ""),
                v2_row("Order", "B", "ItemPrice", "Principal", "20.00", b, "1"),
                v2_row("Order", "B", "ItemPrice", "Shipping", "2.00", b, ""),
                v2_row("Order", "C", "ItemPrice", "Principal", "30.00", a, "1"),
            ],
        );
        let (_, parsed) = read_export("s.txt", text.as_bytes(), &ctx()).unwrap();
        let dated: Vec<(&str, NaiveDate)> = parsed.lines.iter().map(|l| (l.order_id.as_str(), l.date)).collect();
        let oct_31 = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        assert_eq!(dated, [("A", oct_31), ("A", oct_31), ("C", oct_31)], "B is 1 November in Los Angeles");
        assert_eq!((parsed.rows_total, parsed.rows_in_period), (6, 3));
    }

    #[test]
    fn rows_dated_without_a_time_of_day_next_to_the_month_boundary_are_listed_by_line() {
        // posted-date only (no posted-date-time): 09/30 and 10/31 are next to / on the boundary, 10/15 is not;
        // the timed rows of the sample are listed whatever their date.
        let dated = |posted: &str| {
            v2_row("Order", "D", "ItemPrice", "Principal", "1.00", "", "1").replacen(
                "\tAFN\t\t\t",
                &format!("\tAFN\t{posted}\t\t"),
                1,
            )
        };
        let mut rows = vec![dated("09/30/26"), dated("10/15/26"), dated("10/31/26")];
        rows.extend([v2_row("Order", "E", "ItemPrice", "Principal", "1.00", "2026-11-01 05:30:00 UTC", "1")]);
        let text = v2("4.00", &rows);
        let (_, parsed) = read_export("s.txt", text.as_bytes(), &ctx()).unwrap();
        assert!(parsed.checks[0].ok, "{:?}", parsed.checks);
        // Line 1 is the header, 2 the summary row: the date-only rows are lines 3, 4 and 5.
        assert_eq!(parsed.date_only_near_boundary, [3, 5]);
        assert_eq!(parsed.rows_in_period, 3);
    }

    #[test]
    fn principal_carries_units_and_fees_are_platform_fees() {
        let (_, parsed) = read_export("s.txt", sample().as_bytes(), &ctx()).unwrap();
        let placed: Vec<_> = parsed.events.iter().filter(|e| e.kind == OrderEventKind::Placed).collect();
        assert_eq!(placed.len(), 1);
        assert_eq!(placed[0].units, 2);
        let kinds: Vec<MoneyKind> = parsed.lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            vec![
                MoneyKind::Principal,
                MoneyKind::PlatformFee,
                MoneyKind::Refund,
                MoneyKind::Advertising,
                MoneyKind::PlatformFee
            ]
        );
    }

    #[test]
    fn a_to_z_claims_are_disputes_and_refunds() {
        let text = sample().replace("2026-11-02 10:00:00 UTC", "2026-10-20 10:00:00 UTC");
        let (_, parsed) = read_export("s.txt", text.as_bytes(), &ctx()).unwrap();
        let c: Vec<OrderEventKind> = parsed.events.iter().filter(|e| e.order_id == "C").map(|e| e.kind).collect();
        assert_eq!(c, vec![OrderEventKind::Refunded, OrderEventKind::Disputed]);
    }

    #[test]
    fn unreadable_amount_names_line_and_column() {
        let text = sample().replace("\t-15.00\t", "\t12,34.5\t");
        let err = read_export("exports/2026-10/acme/settlement.txt", text.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "exports/2026-10/acme/settlement.txt:4: column \"amount\": \"12,34.5\" is not a number (expected e.g. 1,234.56)"
        );
    }

    #[test]
    fn non_usd_settlements_are_rejected() {
        let text = sample().replacen("\tUSD\t", "\tCAD\t", 1);
        let err = read_export("s.txt", text.as_bytes(), &ctx()).unwrap_err();
        assert!(err.to_string().contains("column \"currency\""), "{err}");
    }

    #[test]
    fn a_detail_row_in_another_currency_is_refused_not_relabelled() {
        let text = sample().replacen("111\t\t\t\t\t\tOrder\tB", "111\t\t\t\t\tCNY\tOrder\tB", 1);
        assert_ne!(text, sample());
        let err = read_export("s.txt", text.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "s.txt:5: column \"currency\": expected USD, found CNY: an Amazon US settlement is paid in USD and kpiseal does not relabel or convert a settlement; use the report of the Amazon US marketplace"
        );
        let usd = sample().replacen("111\t\t\t\t\t\tOrder\tB", "111\t\t\t\t\tUSD\tOrder\tB", 1);
        assert!(read_export("s.txt", usd.as_bytes(), &ctx()).is_ok(), "a detail row saying USD is fine");
    }

    #[test]
    fn the_dates_a_file_covers_are_those_of_all_its_detail_rows() {
        let (_, parsed) = read_export("s.txt", sample().as_bytes(), &ctx()).unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(parsed.dates, Some((day(9, 30), day(11, 2))));
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        // Reverse every line's cells: same file, columns re-ordered.
        let text: String =
            sample().lines().map(|l| l.split('\t').rev().collect::<Vec<_>>().join("\t") + "\n").collect();
        let (_, a) = read_export("s.txt", sample().as_bytes(), &ctx()).unwrap();
        let (_, b) = read_export("s.txt", text.as_bytes(), &ctx()).unwrap();
        assert_eq!(a.lines, b.lines);
        assert_eq!(a.events, b.events);
    }

    const V1_HEADER: &str = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tshipment-fee-type\tshipment-fee-amount\torder-fee-type\torder-fee-amount\tfulfillment-id\tposted-date\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tprice-type\tprice-amount\titem-related-fee-type\titem-related-fee-amount\tmisc-fee-amount\tother-fee-amount\tother-fee-reason-description\tpromotion-id\tpromotion-type\tpromotion-amount\tdirect-payment-type\tdirect-payment-amount\tother-amount";

    fn v1_row(cells: &[(&str, &str)]) -> String {
        V1_HEADER
            .split('\t')
            .map(|h| cells.iter().find(|(k, _)| *k == h).map(|(_, v)| *v).unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\t")
    }

    #[test]
    fn v1_wide_layout_follows_the_same_rules() {
        let text = v1_settlement("9", "43.50");
        let (format, parsed) = read_export("v1.txt", text.as_bytes(), &ctx()).unwrap();
        assert_eq!(format, Format::AmazonSettlementV1);
        assert!(parsed.checks[0].ok, "{:?}", parsed.checks[0]);
        assert_eq!(parsed.events[0].units, 1);
        assert_eq!(parsed.lines.iter().filter(|l| l.kind == MoneyKind::PlatformFee).count(), 2);
    }

    /// One settlement (an order of 50.00 less 7.50 commission, and a 1.00
    /// storage fee) in the V1 layout.
    fn v1_settlement(id: &str, total: &str) -> String {
        let base = [("settlement-id", id), ("order-id", "X"), ("posted-date", "10/02/2026")];
        let rows = [
            v1_row(&[("settlement-id", id), ("total-amount", total), ("currency", "USD")]),
            v1_row(&[
                base[0],
                base[1],
                base[2],
                ("transaction-type", "Order"),
                ("quantity-purchased", "1"),
                ("price-type", "Principal"),
                ("price-amount", "50.00"),
            ]),
            v1_row(&[
                base[0],
                base[1],
                base[2],
                ("transaction-type", "Order"),
                ("item-related-fee-type", "Commission"),
                ("item-related-fee-amount", "-7.50"),
            ]),
            v1_row(&[
                base[0],
                base[2],
                ("transaction-type", "other-transaction"),
                ("other-fee-amount", "1.00"),
                ("other-fee-reason-description", "Storage Fee"),
            ]),
        ];
        format!("{V1_HEADER}\n{}\n", rows.join("\n"))
    }

    #[test]
    fn a_settlement_is_one_unit_with_the_same_fingerprint_in_v1_and_v2() {
        let posted = "2026-10-02 10:00:00 UTC";
        let v2 = v2(
            "43.50",
            &[
                v2_row("other-transaction", "", "other-transaction", "Storage Fee", "1.00", posted, ""),
                v2_row("Order", "X", "ItemFees", "Commission", "-7.50", posted, ""),
                v2_row("Order", "X", "ItemPrice", "Principal", "50.00", posted, "1"),
            ],
        );
        let (_, a) = read_export("v2.txt", v2.as_bytes(), &ctx()).unwrap();
        let (_, b) = read_export("v1.txt", v1_settlement("111", "43.50").as_bytes(), &ctx()).unwrap();
        assert_eq!((a.units.len(), b.units.len()), (1, 1));
        let (ua, ub) = (&a.units[0], &b.units[0]);
        assert_eq!(ua.key, UnitKey::Settlement("111".into()));
        assert_eq!(ua.key, ub.key);
        assert_eq!(ua.fingerprint, ub.fingerprint, "the same facts in another layout and order");
        assert_eq!((ua.lines.clone(), ua.events.clone(), ua.checks.clone(), ua.rows_in_period), (0..3, 0..1, 0..1, 3));
        assert_eq!(ua.summary.to_string(), "total-amount 43.50 USD, 3 detail rows");

        let (_, other) = read_export("v1.txt", v1_settlement("111", "43.51").as_bytes(), &ctx()).unwrap();
        assert_ne!(other.units[0].fingerprint, ub.fingerprint, "another total is another settlement");
    }

    #[test]
    fn each_settlement_of_a_file_names_its_own_facts() {
        let text = v1_settlement("111", "43.50")
            + &v1_settlement("222", "43.50").lines().skip(1).collect::<Vec<_>>().join("\n");
        let (_, parsed) = read_export("v1.txt", text.as_bytes(), &ctx()).unwrap();
        let ids: Vec<&UnitKey> = parsed.units.iter().map(|u| &u.key).collect();
        assert_eq!(ids, [&UnitKey::Settlement("111".into()), &UnitKey::Settlement("222".into())]);
        assert_eq!(parsed.units[0].fingerprint, parsed.units[1].fingerprint);
        assert_eq!((parsed.units[1].lines.clone(), parsed.units[1].checks.clone()), (3..6, 1..2));
        assert_eq!(parsed.units[1].location, crate::error::Location::Line(6));
    }
}
