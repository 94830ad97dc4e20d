//! The seller Feedback report (`GET_SELLER_FEEDBACK_DATA`) in its layout
//! (`fixtures/layouts/amazon/seller_feedback.md`): feedback buyers left on
//! orders the settlements carry, 1 to 20 days after the order, dated in
//! Amazon US's `M/D/YY` form. The file covers the period with a few days
//! either side, newest first as Feedback Manager lists it.

use std::io::{self, Write};

use chrono::Datelike;

use super::{Book, DAY, TxKind, la_date};
use crate::{Gen, Workspace, add_days, between, chance, index};

/// Ratings with relative weights (most feedback is positive).
const RATINGS: [(u8, u32); 5] = [(5, 68), (4, 16), (3, 5), (2, 4), (1, 7)];
const POSITIVE: [&str; 4] = [
    "Arrived early and exactly as described.",
    "Great seller, fast shipping.",
    "Good quality for the price.",
    "As pictured, would buy again.",
];
const NEUTRAL: [&str; 2] = ["ok", "Took a while to arrive but fine."];
const NEGATIVE: [&str; 4] = [
    "Item arrived damaged.",
    "Not as described.",
    "Stopped working after a week.",
    "Seller did not answer my message.",
];
const HEADER: &str = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\n";

struct Feedback {
    ts: i64,
    order: u32,
    rating: u8,
    comment: &'static str,
    response: bool,
    email: String,
}

/// Writes `exports/<period>/<seller>/Feedback_<first>_<last>.txt`: each
/// order gets feedback with `permille` chance, dated 1 to 20 days after it;
/// rows dated from 3 days before the period to 2 days after it (Los
/// Angeles calendar). Returns, beside the summary, the feedback dated in
/// the period and how much of it rated 1 or 2 stars.
pub(super) fn write(
    ws: &Workspace,
    dir: &str,
    book: &Book,
    rng: &mut Gen,
    permille: u32,
) -> io::Result<(crate::GenerateSummary, (i64, i64))> {
    let first = add_days(ws.period.first_day(), -3);
    let last = add_days(ws.period.last_day(), 2);
    let weights: i64 = RATINGS.iter().map(|r| i64::from(r.1)).sum();
    let mut rows = Vec::new();
    for tx in &book.txs {
        let TxKind::Order(order) = tx.kind else { continue };
        if !chance(rng, permille) {
            continue;
        }
        let ts = tx.ts + between(rng, DAY, 20 * DAY);
        let mut pick = between(rng, 0, weights - 1) as u32;
        let rating = RATINGS
            .iter()
            .find(|r| {
                let hit = pick < r.1;
                pick = pick.saturating_sub(r.1);
                hit
            })
            .map_or(5, |r| r.0);
        let comment = match rating {
            4 | 5 => POSITIVE[index(rng, POSITIVE.len())],
            3 => NEUTRAL[index(rng, NEUTRAL.len())],
            _ => NEGATIVE[index(rng, NEGATIVE.len())],
        };
        let response = rating <= 2 && chance(rng, 500);
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let email: String = (0..15).map(|_| ALNUM[index(rng, ALNUM.len())] as char).collect();
        if (first..=last).contains(&la_date(ts)) {
            rows.push(Feedback { ts, order, rating, comment, response, email });
        }
    }
    rows.sort_by_key(|f| (std::cmp::Reverse(la_date(f.ts)), f.order));
    let in_period: Vec<&Feedback> = rows.iter().filter(|f| ws.period.contains(la_date(f.ts))).collect();
    let negative = in_period.iter().filter(|f| f.rating <= 2).count() as i64;
    let counts = (in_period.len() as i64, negative);
    let name = format!("{dir}/Feedback_{}_{}.txt", first.format("%Y%m%d"), last.format("%Y%m%d"));
    let summary = ws.write_text_rows(&name, |w| {
        w.write_all(HEADER.as_bytes())?;
        for f in &rows {
            let d = la_date(f.ts);
            let response = if f.response { "We are sorry - please contact us so we can make this right." } else { "" };
            writeln!(
                w,
                "{}/{}/{:02}\t{}\t{}\t{response}\t{}\t{}@marketplace.amazon.com",
                d.month(),
                d.day(),
                d.year() % 100,
                f.rating,
                f.comment,
                book.orders[f.order as usize].id,
                f.email,
            )?;
        }
        Ok(rows.len() as u64)
    })?;
    Ok((summary, counts))
}
