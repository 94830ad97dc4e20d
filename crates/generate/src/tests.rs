use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Cursor;
use std::path::Path;
use std::str::FromStr;

use calamine::{Data, DataType, Reader};
use rust_decimal::Decimal;

use super::*;
use kpiseal::contract::Contract;
use kpiseal::money::{DecimalStyle, decimal_from_xlsx_float, parse_decimal};

fn options(seed: u64, sellers: usize, orders: usize) -> GenerateOptions {
    GenerateOptions { seed, sellers, orders, period: Period::new(2026, 10).unwrap() }
}

fn october() -> Period {
    Period::new(2026, 10).unwrap()
}

/// Every file under `dir`, by relative path (with `/`), with its bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn generate(opts: &GenerateOptions) -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>, GenerateSummary) {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate_workspace(dir.path(), opts).unwrap();
    let files = read_tree(dir.path());
    (dir, files, summary)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Settlement files (tab-separated, first header cell `settlement-id`).
fn settlements(files: &BTreeMap<String, Vec<u8>>) -> Vec<(&String, &Vec<u8>)> {
    files.iter().filter(|(_, b)| b.starts_with(b"settlement-id\t")).collect()
}

fn tsv(bytes: &[u8]) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn same_seed_gives_a_byte_identical_workspace() {
    let opts = options(42, 4, 80);
    let (_a, first, summary_a) = generate(&opts);
    let (_b, second, summary_b) = generate(&opts);
    assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>());
    for (path, bytes) in &first {
        assert!(bytes == &second[path], "{path} differs between two runs with the same seed");
    }
    assert_eq!(summary_a, summary_b);
    assert_eq!(summary_a.files, first.len());
    assert_eq!(summary_a.bytes, first.values().map(|b| b.len() as u64).sum::<u64>());
    assert!(first.keys().any(|p| p.ends_with(".xlsx")), "the comparison covers XLSX files");
}

#[test]
fn different_seed_gives_different_exports() {
    let (_a, first, _) = generate(&options(1, 3, 60));
    let (_b, second, _) = generate(&options(2, 3, 60));
    let exports = |files: &BTreeMap<String, Vec<u8>>| -> BTreeSet<Vec<u8>> {
        files.iter().filter(|(p, _)| p.starts_with("exports/")).map(|(_, b)| b.clone()).collect()
    };
    let (a, b) = (exports(&first), exports(&second));
    assert_eq!(
        a.len(),
        22,
        "5 + 4 + 1 exports, per Amazon seller an FBA returns, a Feedback, an All Orders, a Business Report and an \
         Inventory Ledger report, and per Mercado Livre seller a Product Ads report"
    );
    assert!(a.is_disjoint(&b), "every export changes with the seed");
    assert_ne!(first["fx/2026-10.csv"], second["fx/2026-10.csv"]);
}

#[test]
fn every_generated_contract_parses() {
    let (_dir, files, _) = generate(&options(7, 7, 20));
    let contracts: Vec<_> = files.iter().filter(|(p, _)| p.starts_with("contracts/")).collect();
    assert_eq!(contracts.len(), 7);
    let mut ids = BTreeSet::new();
    for (path, bytes) in contracts {
        let c = Contract::parse(path, std::str::from_utf8(bytes).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("contracts/{}.toml", c.seller.id), *path);
        assert!(ids.insert(c.contract.id.clone()), "contract id {} repeats", c.contract.id);
    }
    let sunny = Contract::parse("s", std::str::from_utf8(&files["contracts/sunny-gadgets.toml"]).unwrap()).unwrap();
    assert_eq!(sunny.fees.pass_through_markup, Some(d("0.05")));
    assert!(sunny.fees.minimum.is_some() && sunny.fees.rules.iter().any(|r| r.amount.is_some()));
    let rio = Contract::parse("r", std::str::from_utf8(&files["contracts/rio-casa.toml"]).unwrap()).unwrap();
    assert!(rio.fees.maximum.is_some());
    assert_eq!(rio.fx.rate_date, kpiseal::contract::RateDate::PeriodAverage);
}

#[test]
fn acme_home_contract_is_the_domain_example_byte_for_byte() {
    let (_dir, files, _) = generate(&options(3, 1, 10));
    let example =
        fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/contracts/domain-example.toml")).unwrap();
    assert_eq!(files["contracts/acme-home.toml"], example);
}

/// Checks every settlement's summary row and that its detail amounts sum
/// exactly to total-amount; returns how many files use the V1 layout.
fn assert_settlements_balance(files: &BTreeMap<String, Vec<u8>>) -> usize {
    let mut v1 = 0;
    for (path, bytes) in settlements(files) {
        let rows = tsv(bytes);
        let header = &rows[0];
        let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{path}: no {name}"));
        let summary = &rows[1];
        assert_eq!(summary.len(), header.len(), "{path}: summary row width");
        // Amazon.com.br's (loja-mix) are in BRL with a decimal comma.
        let brl = &summary[col("currency")] == "BRL";
        assert!(brl || &summary[col("currency")] == "USD", "{path}: currency");
        let amount = |s: &str| if brl { d(&s.replace(',', ".")) } else { d(s) };
        let total = amount(&summary[col("total-amount")]);
        assert!(summary[col("transaction-type")].is_empty() && summary[col("sku")].is_empty());
        let amount_columns: Vec<usize> = if header.iter().any(|h| h == "amount") {
            vec![col("amount")]
        } else {
            v1 += 1;
            header
                .iter()
                .enumerate()
                .filter(|(_, h)| h.ends_with("-amount") && *h != "total-amount")
                .map(|(i, _)| i)
                .collect()
        };
        let mut sum = Decimal::ZERO;
        for (n, row) in rows[2..].iter().enumerate() {
            assert_eq!(row.len(), header.len(), "{path}: row {} width", n + 3);
            let amounts: Vec<&str> = amount_columns.iter().map(|&c| &row[c]).filter(|a| !a.is_empty()).collect();
            assert_eq!(amounts.len(), 1, "{path}: row {} carries exactly one amount", n + 3);
            sum += amount(amounts[0]);
            assert!(row[col("total-amount")].is_empty());
        }
        assert_eq!(sum, total, "{path}: detail rows sum to total-amount");
    }
    v1
}

/// Distinct order ids of `Order` rows whose posted-date (a Los Angeles
/// date) falls in `period`, over one seller's settlements.
fn amazon_orders_in(files: &BTreeMap<String, Vec<u8>>, seller: &str, period: Period) -> usize {
    let mut ids = BTreeSet::new();
    for (path, bytes) in settlements(files).into_iter().filter(|(p, _)| p.contains(&format!("/{seller}/"))) {
        let rows = tsv(bytes);
        let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
        for row in &rows[2..] {
            if &row[col("transaction-type")] != "Order" {
                continue;
            }
            let date = kpiseal::ingest::dates::amazon_local_date(&row[col("posted-date")], chrono_tz::UTC)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            if period.contains(date) {
                ids.insert(row[col("order-id")].to_string());
            }
        }
    }
    ids.len()
}

#[test]
fn every_settlement_sums_exactly_to_its_total_amount() {
    let (_dir, files, _) = generate(&options(11, 6, 150));
    assert_eq!(
        settlements(&files).len(),
        5 * 3,
        "three settlements per Amazon US seller (4) and Amazon.com.br seller (loja-mix)"
    );
    assert_eq!(assert_settlements_balance(&files), 2, "one V1 settlement per sunny-gadgets-profile seller");
}

#[test]
fn the_period_holds_exactly_the_requested_orders_in_los_angeles_time() {
    let (_dir, files, _) = generate(&options(5, 2, 123));
    assert_eq!(amazon_orders_in(&files, "acme-home", october()), 123);
    assert_eq!(amazon_orders_in(&files, "sunny-gadgets", october()), 123);
}

#[test]
fn other_periods_work_across_daylight_saving_and_year_ends() {
    for period in ["2026-03", "2026-11", "2026-12", "2027-02"] {
        let period: Period = period.parse().unwrap();
        let opts = GenerateOptions { seed: 8, sellers: 3, orders: 40, period };
        let (_dir, files, _) = generate(&opts);
        assert_settlements_balance(&files);
        // sunny-gadgets: a client from March 2026 to February 2027.
        assert_eq!(amazon_orders_in(&files, "sunny-gadgets", period), crate::orders_in(40, period), "{period}");
        // rio-casa's contract runs from May 2026: no exports or costs before.
        let client = period >= "2026-05".parse().unwrap();
        assert!(files.contains_key(&format!("fx/{period}.csv")));
        assert_eq!(files.contains_key(&format!("costs/{period}/rio-casa.csv")), client, "{period}");
        assert!(files.contains_key("contracts/rio-casa.toml"));
    }
}

#[test]
fn months_other_than_the_demos_follow_seasonality_and_growth() {
    let oct: Period = "2026-10".parse().unwrap();
    assert_eq!(crate::orders_in(300, oct), 300, "the demo month is exactly its orders");
    // November: 1.25 season × 1.02 growth; February 2026: 0.86 × (1 − 8 × 0.02).
    assert_eq!(crate::orders_in(300, "2026-11".parse().unwrap()), 383);
    assert_eq!(crate::orders_in(300, "2026-02".parse().unwrap()), 217);
    assert_eq!(crate::orders_in(1, "2026-02".parse().unwrap()), 1, "never rounds a seller to no orders");
    assert_eq!(crate::orders_in(0, oct), 0);
}

#[test]
fn zero_orders_still_writes_a_well_formed_workspace() {
    let (_dir, files, summary) = generate(&options(1, 3, 0));
    assert_settlements_balance(&files);
    assert_eq!(summary.files, files.len());
}

#[test]
fn some_rows_posted_on_1_november_utc_are_31_october_in_los_angeles() {
    let (_dir, files, _) = generate(&options(2026, 1, 60));
    let mut boundary = 0;
    let la = chrono_tz::America::Los_Angeles;
    for (_, bytes) in settlements(&files) {
        let rows = tsv(bytes);
        let col = |name: &str| rows[0].iter().position(|h| h == name);
        let (Some(date), Some(stamp)) = (col("posted-date"), col("posted-date-time")) else { continue };
        for row in &rows[2..] {
            let local = kpiseal::ingest::dates::amazon_local_date(&row[stamp], la).unwrap();
            let posted = kpiseal::ingest::dates::amazon_local_date(&row[date], la).unwrap();
            assert_eq!(local, posted, "posted-date is the Los Angeles date of posted-date-time");
            if row[stamp].starts_with("2026-11-01") && posted.to_string() == "2026-10-31" {
                boundary += 1;
            }
        }
    }
    assert!(boundary >= 2, "found {boundary} rows at the month boundary");
}

/// A Mercado Livre export's header and rows, cells as text (numbers of the
/// XLSX as decimals, of the CSV as written), read from the XLSX (header row
/// found by `N.º de venda`) or the `;` CSV.
fn mercadolivre_table(path: &str, bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    if path.ends_with(".xlsx") {
        let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
        let range = wb.worksheet_range("Vendas BR").unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        let header = rows.iter().position(|r| r.first().and_then(|c| c.get_string()) == Some("N.º de venda")).unwrap();
        assert_eq!(header, 3, "title, group headers and a note above the header");
        let text = |c: &Data| match c {
            Data::Float(f) => decimal_from_xlsx_float(*f).unwrap().round_dp(2).to_string(),
            Data::Int(i) => i.to_string(),
            Data::Empty => String::new(),
            other => other.to_string(),
        };
        let cells = |r: &[Data]| r.iter().map(text).collect::<Vec<_>>();
        (cells(rows[header]), rows[header + 1..].iter().map(|r| cells(r)).collect())
    } else {
        let text = std::str::from_utf8(bytes).unwrap();
        let text = text.strip_prefix('\u{feff}').expect("UTF-8 BOM");
        let body = text.split_once("\r\n").unwrap().1;
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(body.as_bytes());
        let header = reader.headers().unwrap().iter().map(str::to_string).collect();
        (header, reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect())
    }
}

/// Mercado Livre rows as (sale number, money cells, Total), the money cells
/// being every column from Receita por produtos up to Total, by header name.
fn mercadolivre_rows(path: &str, bytes: &[u8]) -> Vec<(String, Vec<Option<Decimal>>, Option<Decimal>)> {
    let (header, rows) = mercadolivre_table(path, bytes);
    let first = header.iter().position(|h| h.starts_with("Receita por produtos")).unwrap();
    let total = header.iter().position(|h| h == "Total (BRL)" || h == "Total").unwrap();
    let style = if path.ends_with(".xlsx") { DecimalStyle::Point } else { DecimalStyle::Comma };
    let parse = |s: &str| (!s.is_empty()).then(|| parse_decimal(s, style).unwrap());
    rows.iter().map(|r| (r[0].clone(), r[first..total].iter().map(|c| parse(c)).collect(), parse(&r[total]))).collect()
}

#[test]
fn mercadolivre_money_columns_sum_to_total_except_one_deliberate_glitch() {
    let (_dir, files, _) = generate(&options(13, 6, 200));
    let exports: Vec<_> = files.iter().filter(|(p, _)| p.contains("/Vendas_BR_")).collect();
    assert_eq!(exports.len(), 3, "acme-home (two sellers) and rio-casa (one) profiles of six sellers");
    for (path, bytes) in exports {
        let rows = mercadolivre_rows(path, bytes);
        let mut glitches = Vec::new();
        let mut split_lines = 0;
        for (n, (sale, cells, total)) in rows.iter().enumerate() {
            let Some(total) = total else {
                assert!(cells.iter().all(Option::is_none), "{path}: extra line {n} has blank money");
                split_lines += 1;
                continue;
            };
            assert!(!sale.is_empty(), "{path}: row {n} with money has a sale number");
            let sum: Decimal = cells.iter().flatten().sum();
            if sum != *total {
                assert_eq!(*total - sum, d("0.01"), "{path}: row {n}");
                glitches.push(n);
            }
        }
        let expected = if path.ends_with(".xlsx") { 1 } else { 0 };
        assert_eq!(glitches.len(), expected, "{path}: glitch rows {glitches:?}");
        assert!(split_lines > 0, "{path}: some sales span several lines");
    }
}

#[test]
fn mercadolivre_exports_carry_money_in_every_money_column() {
    let (_dir, files, _) = generate(&options(13, 6, 300));
    for (path, bytes) in files.iter().filter(|(p, _)| p.contains("/Vendas_BR_")) {
        let (header, rows) = mercadolivre_table(path, bytes);
        assert!(
            !header.iter().any(|h| h.starts_with("Cobrança")),
            "{path}: the real header is \"Custo por diferenças …\""
        );
        let first = header.iter().position(|h| h.starts_with("Receita por produtos")).unwrap();
        let total = header.iter().position(|h| h == "Total (BRL)" || h == "Total").unwrap();
        let troca = header.iter().any(|h| h == "Custo de envio por troca de produto");
        assert_eq!(troca, path.ends_with(".xlsx"), "{path}: only today's XLSX has the exchange column");
        // The columns beyond the six every export has.
        let optional = ["Receita por acréscimo", "Taxa de parcelamento", "Custo de envio", "Custo por diferenças"];
        for (c, name) in header.iter().enumerate().take(total).skip(first) {
            if optional.iter().any(|o| name.starts_with(o)) {
                let used = rows.iter().any(|r| !r[c].is_empty() && r[c] != "0" && r[c] != "0,00");
                assert!(used, "{path}: no money in {name:?}");
            }
        }
        // Cancelled by the buyer: the fee is shown, and given back.
        let status = header.iter().position(|h| h == "Estado").unwrap();
        let fee = header.iter().position(|h| h.starts_with("Tarifa de venda")).unwrap();
        let by_buyer: Vec<_> = rows.iter().filter(|r| r[status] == "Cancelada pelo comprador").collect();
        assert!(!by_buyer.is_empty() && by_buyer.iter().all(|r| r[fee].starts_with('-')), "{path}");
    }
}

#[test]
fn fx_files_cover_every_weekday_of_the_period_and_the_week_before() {
    let (_dir, files, _) = generate(&options(9, 1, 10));
    let cny = std::str::from_utf8(&files["fx/2026-10.csv"]).unwrap();
    let lines: Vec<&str> = cny.lines().collect();
    assert_eq!(lines[0], "date,base,quote,rate,source");
    assert!(lines[1].starts_with("2026-09-24,USD,CNY,7.1"), "{}", lines[1]);
    assert_eq!(lines.len() - 1, 5 + 22, "5 weekdays from 24 Sep, 22 in October");
    assert!(lines.last().unwrap().starts_with("2026-10-30,"), "31 October is a Saturday");
    let ptax = std::str::from_utf8(&files["fx/2026-10-ptax.csv"]).unwrap();
    assert!(!ptax.contains("12102026"), "no PTAX on a Brazilian holiday");
    let last = ptax.lines().last().unwrap();
    let cells: Vec<&str> = last.split(';').collect();
    assert_eq!((cells[0], cells[1], cells[2], cells[3], cells[6]), ("30102026", "220", "A", "USD", "1,0000"));
    let rate = parse_decimal(cells[5], DecimalStyle::Comma).unwrap();
    assert!(rate > d("5.2") && rate < d("5.55"), "{rate}");
}

#[test]
fn cost_ledgers_hold_8_to_20_lines_in_all_three_currencies() {
    let (_dir, files, _) = generate(&options(2026, 3, 10));
    let mut currencies = BTreeSet::new();
    for (path, bytes) in files.iter().filter(|(p, _)| p.starts_with("costs/")) {
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert!((8..=20).contains(&rows.len()), "{path}: {} lines", rows.len());
        for r in rows {
            assert!(kpiseal::ingest::records::CostCategory::parse(&r[1]).is_some(), "{path}: {}", &r[1]);
            assert!(!r[3].is_empty(), "{path}: invoice number");
            assert!(d(&r[5]) > Decimal::ZERO);
            currencies.insert(r[6].to_string());
        }
    }
    assert_eq!(currencies.into_iter().collect::<Vec<_>>(), ["BRL", "CNY", "USD"]);
}

/// `fixtures/demo` is what `cargo run --release -p kpiseal-generate -- --out
/// fixtures/demo --seed 2026 --orders 300 --period 2026-10` writes; this
/// fails when the generator changes and the fixture was not regenerated.
#[test]
fn committed_demo_workspace_matches_the_generator() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo");
    // `out/` is what the README's demo command writes there (git-ignored).
    let mut committed = read_tree(&demo);
    committed.retain(|path, _| !path.starts_with("out/"));
    let (_dir, fresh, _) = generate(&GenerateOptions::default());
    assert_eq!(committed.keys().collect::<Vec<_>>(), fresh.keys().collect::<Vec<_>>());
    for (path, bytes) in &fresh {
        assert!(bytes == &committed[path], "fixtures/demo/{path} is stale: regenerate the demo");
    }
}

#[test]
fn ad_reports_cover_the_period_and_three_days_either_side_with_roas_between_2_and_4() {
    let (_dir, files, _) = generate(&options(2026, 2, 300));
    let mut found = 0;
    for (path, bytes) in files.iter().filter(|(p, _)| p.contains("/Sponsored")) {
        // (date, spend, sales) per row, read by header name.
        let mut rows: Vec<(chrono::NaiveDate, Decimal, Decimal)> = Vec::new();
        if path.ends_with(".csv") {
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            let headers = reader.headers().unwrap().clone();
            let col = |n: &str| headers.iter().position(|h| h == n).unwrap_or_else(|| panic!("{path}: {n:?}"));
            let (start, spend, sales) = (col("Start Date"), col("Spend"), col("7 Day Total Sales "));
            col("Total Advertising Cost of Sales (ACOS) ");
            for r in reader.records() {
                let r = r.unwrap();
                rows.push((
                    kpiseal::ingest::dates::report_date(&r[start]).unwrap(),
                    parse_decimal(&r[spend], DecimalStyle::Point).unwrap(),
                    parse_decimal(&r[sales], DecimalStyle::Point).unwrap(),
                ));
            }
        } else {
            let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.clone())).unwrap();
            let range = wb.worksheet_range_at(0).unwrap().unwrap();
            let table: Vec<&[Data]> = range.rows().collect();
            let col =
                |n: &str| table[0].iter().position(|h| h.get_string() == Some(n)).unwrap_or_else(|| panic!("{n:?}"));
            let (start, spend, sales) = (col("Start Date"), col("Spend"), col("14 Day Total Sales"));
            col("Total Advertising Cost of Sales (ACoS)");
            let money = |c: &Data| decimal_from_xlsx_float(c.as_f64().unwrap()).unwrap().round_dp(2);
            for r in &table[1..] {
                rows.push((r[start].as_date().expect("a date cell"), money(&r[spend]), money(&r[sales])));
            }
        }
        let dates: BTreeSet<_> = rows.iter().map(|r| r.0).collect();
        assert_eq!(dates.first().unwrap().to_string(), "2026-09-28", "{path}");
        assert_eq!(dates.last().unwrap().to_string(), "2026-11-03", "{path}");
        let (spend, sales) = rows
            .iter()
            .filter(|r| october().contains(r.0))
            .fold((Decimal::ZERO, Decimal::ZERO), |(sp, sa), r| (sp + r.1, sa + r.2));
        let roas = sales / spend;
        assert!(roas > d("2") && roas < d("4"), "{path}: ROAS {roas}");
        found += 1;
    }
    assert_eq!(found, 2, "a CSV for acme-home, an XLSX for sunny-gadgets");
}

#[test]
fn no_vendor_invoice_is_listed_twice_in_a_ledger() {
    // With seed 2026, these sellers' ledgers drew the same 4-digit INV
    // number twice for one vendor before numbers were redrawn (a 10,000-seller
    // benchmark holds them); the duplicate check would refuse them.
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path(), &options(2026, 5000, 1));
    for i in [3690, 4366] {
        costs::write(&ws, &Seller::new(i)).unwrap();
    }
    let files = read_tree(dir.path());
    assert_eq!(files.len(), 2);
    for (path, bytes) in files {
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let mut seen = BTreeSet::new();
        for r in reader.records().map(|r| r.unwrap()) {
            assert!(seen.insert((r[2].to_string(), r[3].to_string())), "{path}: {} {} twice", &r[2], &r[3]);
        }
    }
}

#[test]
fn consecutive_months_bill_different_invoices() {
    let invoices = |period: Period| {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path(), &GenerateOptions { period, ..options(2026, 3, 1) });
        let mut out = BTreeSet::new();
        for i in 0..3 {
            costs::write(&ws, &Seller::new(i)).unwrap();
        }
        for (_, bytes) in read_tree(dir.path()) {
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            out.extend(reader.records().map(|r| r.unwrap()[3].to_string()));
        }
        out
    };
    let (october, november) = (invoices(october()), invoices(october().next()));
    assert!(october.len() > 30 && november.len() > 30);
    assert_eq!(october.intersection(&november).count(), 0, "an invoice billed in October again in November");
}
