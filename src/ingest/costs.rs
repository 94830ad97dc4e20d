//! The provider's pass-through cost ledger (代垫费用): one CSV per seller and
//! period, read into [`CostLine`]s.
//!
//! Header (columns found by name, in any order; `evidence` optional):
//! `date,category,vendor,invoice_no,description,amount,currency,evidence`.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::records::{CostCategory, CostLine};
use super::table::{self, Row, Table, TextFormat};
use super::units::{Fingerprint, Unit, UnitKey, fold};
use crate::error::{InputError, Location};
use crate::money::{Currency, DecimalStyle, check_money_limit, parse_decimal};

const CATEGORIES: &str = "advertising, freight, customs_duty, import_tax, warehousing, certification, other";

/// Reads a pass-through cost ledger. The first non-blank line is the header
/// (a UTF-8 BOM is tolerated); rows are returned in file order, none
/// filtered by date (the ledger is kept per period).
///
/// Each row must have: `date` as YYYY-MM-DD; `category` one of advertising,
/// freight, customs_duty, import_tax, warehousing, certification, other
/// (case-insensitive); a non-blank `vendor` and `invoice_no` (a pass-through
/// cost is billed on the vendor's invoice); `amount` a positive number of
/// at most 2 decimal places (the ledger holds cents: `12.345` is refused,
/// never rounded silently; `1,234.50` and `12.50` are fine); `currency`
/// USD, CNY or BRL. `description` may be blank; a blank `evidence` is `None`.
///
/// # Errors
/// An [`InputError`] naming the file, the line, the column and what was
/// expected, for the first problem found: a missing header column or a cell
/// that breaks the rules above.
pub fn read_costs(file: &str, bytes: &[u8]) -> Result<Vec<CostLine>, InputError> {
    let format = TextFormat { delimiter: b',', quoting: true, style: DecimalStyle::Point };
    let t = table::read_text(file, bytes, format, |_| true)?;
    t.refuse_repeated_headers()?;
    let cols = Columns {
        date: t.require(&["date"])?,
        category: t.require(&["category"])?,
        vendor: t.require(&["vendor"])?,
        invoice_no: t.require(&["invoice_no"])?,
        description: t.require(&["description"])?,
        amount: t.require(&["amount"])?,
        currency: t.require(&["currency"])?,
        evidence: t.column(&["evidence"]),
    };
    t.rows.iter().map(|row| read_line(&t, row, &cols)).collect()
}

struct Columns {
    date: usize,
    category: usize,
    vendor: usize,
    invoice_no: usize,
    description: usize,
    amount: usize,
    currency: usize,
    evidence: Option<usize>,
}

fn read_line(t: &Table, row: &Row, cols: &Columns) -> Result<CostLine, InputError> {
    let date_text = t.text(row, cols.date);
    if date_text.is_empty() {
        return Err(t.error(row, cols.date, "the date is missing (expected YYYY-MM-DD, e.g. 2026-10-05)"));
    }
    let date = NaiveDate::parse_from_str(&date_text, "%Y-%m-%d").map_err(|_| {
        t.error(row, cols.date, format!("{date_text:?} is not a date (expected YYYY-MM-DD, e.g. 2026-10-05)"))
    })?;

    let category_text = t.text(row, cols.category);
    let category = CostCategory::parse(&category_text.to_lowercase()).ok_or_else(|| {
        let found = if category_text.is_empty() { "a blank cell".to_string() } else { format!("{category_text:?}") };
        t.error(row, cols.category, format!("expected a cost category ({CATEGORIES}), found {found}"))
    })?;

    let vendor = t.text(row, cols.vendor);
    if vendor.is_empty() {
        return Err(t.error(
            row,
            cols.vendor,
            "the vendor is missing: a pass-through cost names the vendor who invoiced it",
        ));
    }
    let invoice_no = t.text(row, cols.invoice_no);
    if invoice_no.is_empty() {
        return Err(t.error(
            row,
            cols.invoice_no,
            "the invoice number is missing: a pass-through cost needs its vendor invoice number",
        ));
    }

    let amount = amount(t, row, cols.amount)?;

    let currency_text = t.text(row, cols.currency);
    if currency_text.is_empty() {
        return Err(t.error(row, cols.currency, "the currency is missing (expected USD, CNY or BRL)"));
    }
    let currency = currency_text.parse::<Currency>().map_err(|m| t.error(row, cols.currency, m))?;

    let evidence = cols.evidence.map(|c| t.text(row, c)).filter(|e| !e.is_empty());
    Ok(CostLine {
        line: row.number,
        date,
        category,
        vendor,
        invoice_no,
        description: t.text(row, cols.description),
        amount,
        currency,
        evidence,
    })
}

/// A pass-through cost as a unit of money at `location` (its ledger line, or
/// the statement that already billed it): keyed by vendor and invoice
/// number, with every field the statement prints as its fingerprint.
pub fn unit(cost: &CostLine, location: Location) -> Unit {
    let key = UnitKey::Invoice { vendor: fold(&cost.vendor), invoice_no: fold(&cost.invoice_no) };
    let mut unit = Unit::new(key, location, "invoice_no", format!("invoice {} of {}", cost.invoice_no, cost.vendor));
    unit.fingerprint = Fingerprint::of((
        cost.date,
        cost.category.id(),
        &cost.vendor,
        &cost.invoice_no,
        &cost.description,
        cost.amount,
        cost.currency.code(),
        &cost.evidence,
    ));
    unit.summary =
        format!("{} {} of {} dated {}", cost.amount, cost.currency.code(), cost.category.id(), cost.date).into();
    unit.rows_in_period = 1;
    unit
}

/// A positive amount exact to cents, returned with exactly 2 decimal places.
fn amount(t: &Table, row: &Row, col: usize) -> Result<Decimal, InputError> {
    const EXPECTED: &str = "expected a positive amount with at most 2 decimal places, e.g. 1234.50";
    let text = t.text(row, col);
    if text.is_empty() {
        return Err(t.error(row, col, format!("the amount is missing ({EXPECTED})")));
    }
    if text.contains('%') {
        return Err(t.error(row, col, format!("{text:?} is a percentage ({EXPECTED})")));
    }
    let value = parse_decimal(&text, DecimalStyle::Point).map_err(|m| t.error(row, col, m))?;
    check_money_limit(value).map_err(|m| t.error(row, col, m))?;
    if value <= Decimal::ZERO {
        return Err(t.error(row, col, format!("{text:?} is not positive ({EXPECTED})")));
    }
    if value.normalize().scale() > 2 {
        return Err(t.error(
            row,
            col,
            format!(
                "{text:?} has more than 2 decimal places; the ledger must hold the invoiced cents, not be rounded here"
            ),
        ));
    }
    let mut cents = value;
    cents.rescale(2);
    Ok(cents)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    const FILE: &str = "costs/2026-10/acme-home.csv";
    const HEADER: &str = "date,category,vendor,invoice_no,description,amount,currency,evidence\n";

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn read(body: &str) -> Result<Vec<CostLine>, InputError> {
        read_costs(FILE, format!("{HEADER}{body}").as_bytes())
    }

    fn error(body: &str) -> String {
        read(body).unwrap_err().to_string()
    }

    #[test]
    fn reads_every_category_in_file_order() {
        let body = "\
2026-10-03,advertising,Amazon Ads,AMZ-ADS-2026-10,Sponsored Products October,1200.00,USD,amz-ads-oct.pdf
2026-10-05,freight,Shenzhen Haiyun Logistics,HY20261005-01,Ocean freight SZX-LAX,3680,CNY,
2026-10-06,customs_duty,Flexport,FX-INV-88123,Duty on entry 112-334,245.6,USD,flexport-88123.pdf
2026-10-09,import_tax,Receita Federal,DI 26/1234567-8,II + IPI + ICMS,\"1,234.56\",BRL,di-1234567.pdf
2026-10-12,warehousing,ShipBob,SB-55102,Pallet storage,88.00,USD,
2026-10-15,certification,SGS,SGS-CN-2026-7781,Inmetro certification,4500.00,BRL,sgs-7781.pdf
2026-10-20,other,DHL Express,DHL-9911,Samples to buyer,15.5,usd,
";
        let lines = read(body).unwrap();
        let categories: Vec<&str> = lines.iter().map(|l| l.category.id()).collect();
        assert_eq!(
            categories,
            ["advertising", "freight", "customs_duty", "import_tax", "warehousing", "certification", "other"]
        );
        let first = &lines[0];
        assert_eq!(first.date, NaiveDate::from_ymd_opt(2026, 10, 3).unwrap());
        assert_eq!(first.vendor, "Amazon Ads");
        assert_eq!(first.invoice_no, "AMZ-ADS-2026-10");
        assert_eq!(first.description, "Sponsored Products October");
        assert_eq!(first.amount.to_string(), "1200.00");
        assert_eq!(first.currency, Currency::Usd);
        assert_eq!(first.evidence.as_deref(), Some("amz-ads-oct.pdf"));
        assert_eq!(lines[1].amount.to_string(), "3680.00", "amounts carry exactly 2 decimal places");
        assert_eq!(lines[1].evidence, None);
        assert_eq!(lines[2].amount.to_string(), "245.60");
        assert_eq!(lines[3].amount, d("1234.56"));
        assert_eq!(lines[3].currency, Currency::Brl);
        assert_eq!(lines[6].currency, Currency::Usd);
    }

    #[test]
    fn fixture_ledger_reads_in_file_order() {
        let bytes = include_bytes!("../../fixtures/ingest/costs/acme-home-2026-10.csv");
        let lines = read_costs("acme-home-2026-10.csv", bytes).unwrap();
        assert_eq!(lines.len(), 7);
        assert_eq!(lines[1].vendor, "深圳海运达物流有限公司");
        assert_eq!((lines[1].amount.to_string(), lines[1].currency), ("3680.00".to_string(), Currency::Cny));
        assert_eq!(lines[3].description, "II, IPI, PIS/COFINS and ICMS on import");
        assert_eq!(lines[4].evidence, None);
        assert!(lines.windows(2).all(|w| w[0].date <= w[1].date));
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_with_bom_and_no_evidence() {
        let text = "\u{feff}currency , amount,invoice_no,vendor,category,date,description\nCNY,10.00,F-1,Freight Co,freight,2026-10-01,\n";
        let lines = read_costs(FILE, text.as_bytes()).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].currency, Currency::Cny);
        assert_eq!(lines[0].invoice_no, "F-1");
        assert_eq!(lines[0].description, "");
        assert_eq!(lines[0].evidence, None);
    }

    #[test]
    fn header_only_ledger_has_no_lines() {
        assert!(read("").unwrap().is_empty());
    }

    #[test]
    fn trailing_zero_beyond_cents_is_still_cents() {
        assert_eq!(read("2026-10-01,freight,V,I-1,,12.500,USD,\n").unwrap()[0].amount.to_string(), "12.50");
    }

    #[test]
    fn missing_header_column_is_named() {
        let e = read_costs(FILE, b"date,category,vendor,description,amount,currency\n").unwrap_err();
        assert_eq!(e.to_string(), "costs/2026-10/acme-home.csv:1: column \"invoice_no\": missing column in the header");
    }

    #[test]
    fn bad_date_is_an_error_with_the_expected_form() {
        assert_eq!(
            error("10/05/2026,freight,V,I-1,,1.00,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"date\": \"10/05/2026\" is not a date (expected YYYY-MM-DD, e.g. 2026-10-05)"
        );
        assert_eq!(
            error(",freight,V,I-1,,1.00,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"date\": the date is missing (expected YYYY-MM-DD, e.g. 2026-10-05)"
        );
        assert_eq!(
            error("2026-02-30,freight,V,I-1,,1.00,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"date\": \"2026-02-30\" is not a date (expected YYYY-MM-DD, e.g. 2026-10-05)"
        );
    }

    #[test]
    fn unknown_category_lists_the_accepted_ones() {
        assert_eq!(
            error("2026-10-01,shipping,V,I-1,,1.00,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"category\": expected a cost category (advertising, freight, customs_duty, import_tax, warehousing, certification, other), found \"shipping\""
        );
        assert_eq!(
            error("2026-10-01, ,V,I-1,,1.00,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"category\": expected a cost category (advertising, freight, customs_duty, import_tax, warehousing, certification, other), found a blank cell"
        );
    }

    #[test]
    fn category_is_case_insensitive() {
        assert_eq!(read("2026-10-01,Customs_Duty,V,I-1,,1.00,USD,\n").unwrap()[0].category, CostCategory::CustomsDuty);
    }

    #[test]
    fn blank_vendor_is_an_error() {
        assert_eq!(
            error("2026-10-01,freight, ,I-1,,1.00,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"vendor\": the vendor is missing: a pass-through cost names the vendor who invoiced it"
        );
    }

    #[test]
    fn blank_invoice_number_is_an_error() {
        assert_eq!(
            error("2026-10-01,freight,Haiyun,,,1.00,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"invoice_no\": the invoice number is missing: a pass-through cost needs its vendor invoice number"
        );
    }

    #[test]
    fn amount_with_more_than_cents_is_refused_not_rounded() {
        assert_eq!(
            error("2026-10-01,freight,V,I-1,,12.345,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"amount\": \"12.345\" has more than 2 decimal places; the ledger must hold the invoiced cents, not be rounded here"
        );
    }

    #[test]
    fn amount_must_be_positive() {
        assert_eq!(
            error("2026-10-01,freight,V,I-1,,-5.00,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"amount\": \"-5.00\" is not positive (expected a positive amount with at most 2 decimal places, e.g. 1234.50)"
        );
        assert_eq!(
            error("2026-10-01,freight,V,I-1,,0,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"amount\": \"0\" is not positive (expected a positive amount with at most 2 decimal places, e.g. 1234.50)"
        );
    }

    #[test]
    fn amount_must_be_a_number() {
        assert_eq!(
            error("2026-10-01,freight,V,I-1,,twelve,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"amount\": \"twelve\" is not a number (expected e.g. 1,234.56)"
        );
        assert_eq!(
            error("2026-10-01,freight,V,I-1,,,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"amount\": the amount is missing (expected a positive amount with at most 2 decimal places, e.g. 1234.50)"
        );
        assert_eq!(
            error("2026-10-01,freight,V,I-1,,5%,USD,\n"),
            "costs/2026-10/acme-home.csv:2: column \"amount\": \"5%\" is a percentage (expected a positive amount with at most 2 decimal places, e.g. 1234.50)"
        );
    }

    #[test]
    fn unknown_or_blank_currency_is_an_error() {
        assert_eq!(
            error("2026-10-01,freight,V,I-1,,1.00,EUR,\n"),
            "costs/2026-10/acme-home.csv:2: column \"currency\": unknown currency \"EUR\"; expected USD, CNY or BRL"
        );
        assert_eq!(
            error("2026-10-01,freight,V,I-1,,1.00,,\n"),
            "costs/2026-10/acme-home.csv:2: column \"currency\": the currency is missing (expected USD, CNY or BRL)"
        );
    }

    #[test]
    fn empty_file_is_an_error_not_an_empty_ledger() {
        let e = read_costs(FILE, b"").unwrap_err().to_string();
        assert!(e.starts_with("costs/2026-10/acme-home.csv: no header row found"), "{e}");
    }
}
