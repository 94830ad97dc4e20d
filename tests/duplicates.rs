//! The same money never counts twice, through the binary: each test runs
//! `kpiseal run` on a copy of the demo with one change (a file given twice,
//! a unit repeated in another file, a stray file) and asserts the exact
//! outcome: the statement issued with the same figures and a note naming
//! both places, or the seller refused with a message naming both places.

mod common;
use common::{copy_dir, demo};

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};

const PERIOD: &str = "2026-10";
const SELLERS: [&str; 3] = ["acme-home", "rio-casa", "sunny-gadgets"];

/// What one `kpiseal run` did.
struct Run {
    code: Option<i32>,
    stderr: String,
    out: PathBuf,
    summary: Value,
}

impl Run {
    fn statement(&self, seller: &str) -> Value {
        statement_in(&self.out, PERIOD, seller)
    }

    /// The seller's error in the batch summary (`None` when written).
    fn error(&self, seller: &str) -> Option<String> {
        let s = self.summary["sellers"].as_array().unwrap().iter().find(|s| s["seller"] == seller).unwrap();
        s["error"].as_str().map(str::to_string)
    }

    /// The seller was refused: nothing written, and this is its one error.
    fn refused(&self, seller: &str) -> String {
        assert_eq!(self.code, Some(1), "{}", self.stderr);
        assert!(!self.out.join(PERIOD).join(seller).exists(), "nothing is written for a refused seller");
        self.error(seller).unwrap_or_else(|| panic!("{seller} was not refused: {}", self.stderr))
    }
}

fn statement_in(out: &Path, period: &str, seller: &str) -> Value {
    let path = out.join(period).join(seller).join("statement.json");
    serde_json::from_slice(&fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// `kpiseal run` over `ws` for `period` into `out`, with `extra` arguments.
fn run_into(ws: &Path, out: &Path, period: &str, extra: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["run", "--quiet", "--workspace"])
        .arg(ws)
        .args(["--period", period, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let summary = fs::read(out.join(period).join("batch-summary.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    Run {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out: out.to_path_buf(),
        summary,
    }
}

/// `kpiseal run` over `ws` for October into a fresh output folder.
fn run(ws: &Path) -> Run {
    let out = ws.join("out");
    let _ = fs::remove_dir_all(&out);
    run_into(ws, &out, PERIOD, &[])
}

/// A copy of the demo workspace (deleted with the returned guard).
fn demo_copy() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    ws
}

fn exports(ws: &Path, seller: &str) -> PathBuf {
    ws.join("exports").join(PERIOD).join(seller)
}

fn ledger(ws: &Path, seller: &str) -> PathBuf {
    ws.join("costs").join(PERIOD).join(format!("{seller}.csv"))
}

/// Everything a statement bills or reports as a figure: what a repeat must
/// leave unchanged.
fn figures(st: &Value) -> Value {
    let keys = ["totals", "kpis", "commission_base", "service_fees", "pass_through", "fx", "markets"];
    let mut v = Value::Object(keys.iter().map(|k| (k.to_string(), st[*k].clone())).collect());
    // Which files a KPI is made of changes with the files given; its figures must not.
    for k in v["kpis"].as_array_mut().unwrap() {
        k.as_object_mut().unwrap().remove("inputs");
    }
    v
}

/// The figures of each demo seller, from one run of the unchanged demo.
fn demo_figures(seller: &str) -> Value {
    static FIGURES: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    FIGURES
        .get_or_init(|| {
            let ws = demo_copy();
            let r = run(ws.path());
            assert_eq!(r.code, Some(0), "{}", r.stderr);
            SELLERS.iter().map(|s| (s.to_string(), figures(&r.statement(s)))).collect()
        })
        .get(seller)
        .unwrap()
        .clone()
}

/// The statement's notes other than the demo's own (rio-casa's deliberate
/// reconciliation glitch).
fn new_notes(st: &Value) -> Vec<Value> {
    st["notes"].as_array().unwrap().iter().filter(|n| n["code"] != "reconciliation_failed").cloned().collect()
}

/// The note `code` with `fields`, found at `at`, as statement.json writes it.
fn note(code: &str, fields: Value, at: &[&str], text: String) -> Value {
    let mut n = json!({ "class": "data", "code": code });
    for (k, v) in fields.as_object().unwrap() {
        n[k] = v.clone();
    }
    n["at"] = json!(at);
    n["text"] = json!(text);
    n
}

fn rel(ws: &Path, path: &Path) -> String {
    path.strip_prefix(ws).unwrap().to_string_lossy().into_owned()
}

/// The text file's lines (without line ends) and the line end it uses.
fn lines_of(path: &Path) -> (Vec<String>, &'static str) {
    let text = fs::read_to_string(path).unwrap();
    let end = if text.contains("\r\n") { "\r\n" } else { "\n" };
    (text.lines().map(str::to_string).collect(), end)
}

fn write_lines(path: &Path, lines: &[String], end: &str) {
    fs::write(path, lines.join(end) + end).unwrap();
}

// ---------------------------------------------------------------------------
// The same file twice

#[test]
fn a_settlement_file_downloaded_twice_is_read_once_with_a_note() {
    let ws = demo_copy();
    let dir = exports(ws.path(), "acme-home");
    let copy = dir.join("17723285873 (1).txt");
    fs::copy(dir.join("17723285873.txt"), &copy).unwrap();

    let r = run(ws.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let st = r.statement("acme-home");
    assert_eq!(figures(&st), demo_figures("acme-home"));
    // "17723285873 (1).txt" sorts first: it is read, the original is the repeat.
    let (kept, dropped) = (rel(ws.path(), &copy), rel(ws.path(), &dir.join("17723285873.txt")));
    assert_eq!(
        new_notes(&st),
        [note(
            "duplicate_file",
            json!({ "kept": kept, "dropped": dropped }),
            &[&dropped, &kept],
            format!("{dropped} and {kept} are byte-identical; the file was read once, as {kept}."),
        )]
    );
    let inputs = st["inputs"].as_array().unwrap();
    let rows = |path: &str| inputs.iter().find(|i| i["path"] == path).unwrap()["rows"].clone();
    assert_eq!(rows(&dropped), 0, "the repeat is listed as evidence but counts no row");
    assert!(rows(&kept).as_u64().unwrap() > 0);
}

// ---------------------------------------------------------------------------
// Amazon settlements across files, V1 and V2 alike

/// The V1 settlement `v1` rewritten as a flat-file V2 report of the same
/// settlement: one V2 row per typed amount of each V1 row.
fn v1_as_v2(v1: &str) -> String {
    const V2: [&str; 24] = [
        "settlement-id",
        "settlement-start-date",
        "settlement-end-date",
        "deposit-date",
        "total-amount",
        "currency",
        "transaction-type",
        "order-id",
        "merchant-order-id",
        "adjustment-id",
        "shipment-id",
        "marketplace-name",
        "amount-type",
        "amount-description",
        "amount",
        "fulfillment-id",
        "posted-date",
        "posted-date-time",
        "order-item-code",
        "merchant-order-item-id",
        "merchant-adjustment-item-id",
        "sku",
        "quantity-purchased",
        "promotion-id",
    ];
    // (V1 amount column, its type column or fixed description, V2 amount-type)
    const PAIRS: [(&str, Result<&str, &str>, &str); 9] = [
        ("price-amount", Ok("price-type"), "ItemPrice"),
        ("item-related-fee-amount", Ok("item-related-fee-type"), "ItemFees"),
        ("promotion-amount", Ok("promotion-type"), "Promotion"),
        ("shipment-fee-amount", Ok("shipment-fee-type"), "ItemFees"),
        ("order-fee-amount", Ok("order-fee-type"), "ItemFees"),
        ("direct-payment-amount", Ok("direct-payment-type"), "other-transaction"),
        ("misc-fee-amount", Err("Misc Fee"), "other-transaction"),
        ("other-fee-amount", Ok("other-fee-reason-description"), "other-transaction"),
        ("other-amount", Err("Other"), "other-transaction"),
    ];
    let mut lines = v1.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let mut out = V2.join("\t") + "\n";
    for line in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        let get = |name: &str| header.iter().position(|h| *h == name).and_then(|i| cells.get(i).copied()).unwrap_or("");
        let mut row: BTreeMap<&str, String> =
            V2.iter().filter(|c| !c.starts_with("amount")).map(|c| (*c, get(c).to_string())).collect();
        if get("transaction-type").is_empty() {
            out.push_str(&V2.iter().map(|c| row.get(c).cloned().unwrap_or_default()).collect::<Vec<_>>().join("\t"));
            out.push('\n');
            continue;
        }
        for (amount, kind, amount_type) in PAIRS {
            if get(amount).is_empty() {
                continue;
            }
            let description = match kind {
                Ok(col) if !get(col).is_empty() => get(col),
                Ok(_) => "Other Fee",
                Err(fixed) => fixed,
            };
            row.insert("amount-type", amount_type.to_string());
            row.insert("amount-description", description.to_string());
            row.insert("amount", get(amount).to_string());
            out.push_str(&V2.iter().map(|c| row.get(c).cloned().unwrap_or_default()).collect::<Vec<_>>().join("\t"));
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_v1_and_v2_files_of_one_settlement_count_once_with_a_note() {
    let ws = demo_copy();
    let dir = exports(ws.path(), "sunny-gadgets");
    let v1 = dir.join("flat-file-v1-settlement-18154489766.txt");
    let v2 = dir.join("V2 18154489766.txt");
    fs::write(&v2, v1_as_v2(&fs::read_to_string(&v1).unwrap())).unwrap();

    let r = run(ws.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let st = r.statement("sunny-gadgets");
    assert_eq!(figures(&st), demo_figures("sunny-gadgets"));
    // "V2 …" sorts before "flat-file-v1-…": the V1 file's settlement is the repeat.
    let (kept, dropped) = (format!("{}:2", rel(ws.path(), &v2)), format!("{}:2", rel(ws.path(), &v1)));
    assert_eq!(
        new_notes(&st),
        [note(
            "duplicate_dropped",
            json!({ "what": "settlement 18154489766", "kept": kept, "dropped": dropped }),
            &[&dropped, &kept],
            format!("Given twice, counted once: settlement 18154489766; {dropped} repeats {kept} exactly."),
        )]
    );
    let checks: Vec<&Value> = st["reconciliation"].as_array().unwrap().iter().collect();
    assert_eq!(checks.iter().filter(|c| c["scope"].as_str().unwrap().starts_with("settlement 18154489766")).count(), 1);
}

#[test]
fn copies_of_one_settlement_that_disagree_are_refused_naming_both_files() {
    let ws = demo_copy();
    let dir = exports(ws.path(), "acme-home");
    let original = dir.join("17723285873.txt");
    // A later download in which one principal and the total moved by 1.00:
    // it reconciles on its own, only the comparison finds it.
    let (mut lines, end) = lines_of(&original);
    let header: Vec<&str> = lines[0].split('\t').collect();
    let (total, amount) = (
        header.iter().position(|h| *h == "total-amount").unwrap(),
        header.iter().position(|h| *h == "amount").unwrap(),
    );
    let bump = |line: &mut String, col: usize| {
        let mut cells: Vec<String> = line.split('\t').map(str::to_string).collect();
        let cents: i64 = cells[col].replace('.', "").parse().unwrap();
        cells[col] = format!("{}.{:02}", (cents + 100) / 100, (cents + 100) % 100);
        *line = cells.join("\t");
    };
    let reported = lines[1].split('\t').nth(total).unwrap().to_string();
    bump(&mut lines[1], total);
    bump(&mut lines[2], amount);
    let bumped = lines[1].split('\t').nth(total).unwrap().to_string();
    let copy = dir.join("17723285873 (1).txt");
    write_lines(&copy, &lines, end);

    let r = run(ws.path());
    let rows = lines.len() - 2;
    assert_eq!(
        r.refused("acme-home"),
        format!(
            "{}:2: column \"settlement-id\": settlement 17723285873 is also in {} (line 2) with different contents: there total-amount {bumped} USD, {rows} detail rows, here total-amount {reported} USD, {rows} detail rows. The same money must not count twice: keep the copy that is right and remove or correct the other",
            rel(ws.path(), &original),
            rel(ws.path(), &copy)
        )
    );
    for seller in ["rio-casa", "sunny-gadgets"] {
        assert_eq!(figures(&r.statement(seller)), demo_figures(seller), "{seller} is untouched");
    }
}

// ---------------------------------------------------------------------------
// Mercado Livre sales across files

/// acme-home's Vendas CSV, its title and header lines, and the index of
/// its first sale dated in October.
fn vendas(ws: &Path) -> (PathBuf, Vec<String>, &'static str, usize) {
    let path = exports(ws, "acme-home").join("Vendas_BR_outubro_2026.csv");
    let (lines, end) = lines_of(&path);
    let first = lines.iter().position(|l| l.contains(" de outubro de 2026 ")).unwrap();
    (path, lines, end, first)
}

/// A Brazilian-format amount as the statement's messages print it (`1.206,76` → `1206.76`).
fn br(amount: &str) -> String {
    amount.replace('.', "").replace(',', ".")
}

#[test]
fn a_sale_in_two_vendas_exports_counts_once_with_a_note() {
    let ws = demo_copy();
    let (path, lines, end, first) = vendas(ws.path());
    let part = exports(ws.path(), "acme-home").join("Vendas_BR_outubro_2026_parte2.csv");
    write_lines(&part, &[lines[0].clone(), lines[1].clone(), lines[first].clone()], end);

    let r = run(ws.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let st = r.statement("acme-home");
    assert_eq!(figures(&st), demo_figures("acme-home"));
    let sale = lines[first].split(';').next().unwrap();
    let kept = format!("{}:{}", rel(ws.path(), &path), first + 1);
    let dropped = format!("{}:3", rel(ws.path(), &part));
    assert_eq!(
        new_notes(&st),
        [note(
            "duplicate_dropped",
            json!({ "what": format!("sale {sale}"), "kept": kept, "dropped": dropped }),
            &[&dropped, &kept],
            format!("Given twice, counted once: sale {sale}; {dropped} repeats {kept} exactly."),
        )]
    );
}

#[test]
fn a_sale_whose_copies_disagree_is_refused_naming_both_files() {
    let ws = demo_copy();
    let (path, lines, end, first) = vendas(ws.path());
    let header: Vec<&str> = lines[1].split(';').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (products, total) = (col("Receita por produtos"), col("Total"));
    // The same sale, 10,00 dearer in products and in total (the row still adds up).
    let mut cells: Vec<String> = lines[first].split(';').map(str::to_string).collect();
    let plus_ten = |s: &str| {
        let cents: i64 = s.replace(['.', ','], "").parse().unwrap();
        format!("{},{:02}", (cents + 1000) / 100, (cents + 1000) % 100)
    };
    let reported = br(&cells[total]);
    cells[products] = plus_ten(&cells[products]);
    cells[total] = plus_ten(&cells[total]);
    let changed = br(&cells[total]);
    let part = exports(ws.path(), "acme-home").join("Vendas_BR_outubro_2026_parte2.csv");
    write_lines(&part, &[lines[0].clone(), lines[1].clone(), cells.join(";")], end);

    let r = run(ws.path());
    let sale = &cells[0];
    let error = r.refused("acme-home");
    let expected_start = format!(
        "{}:3: column \"N.º de venda\": sale {sale} is also in {} (line {}) with different contents: there Total {reported}, sold ",
        rel(ws.path(), &part),
        rel(ws.path(), &path),
        first + 1
    );
    assert!(error.starts_with(&expected_start), "{error}\nexpected it to start with\n{expected_start}");
    assert!(
        error.contains(&format!(", here Total {changed}, sold "))
            && error.ends_with("keep the copy that is right and remove or correct the other"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------
// Sponsored-ads rows across reports

/// acme-home's ads report, its lines, and the indexes of its rows starting
/// on 1 October.
fn ads_report(ws: &Path) -> (PathBuf, Vec<String>, &'static str, Vec<usize>) {
    let path = exports(ws, "acme-home").join("Sponsored_Products_Advertised_product_report_2026-10.csv");
    let (lines, end) = lines_of(&path);
    let first_day: Vec<usize> = (1..lines.len()).filter(|&i| lines[i].starts_with("\"Oct 01, 2026\"")).collect();
    (path, lines, end, first_day)
}

/// The cells of one CSV line.
fn csv_cells(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
    reader.records().next().unwrap().unwrap().iter().map(str::to_string).collect()
}

/// The label a row of the demo's ads CSV gets: its dates and its campaign,
/// ad group, SKU and ASIN (the report's columns 4 to 7).
fn ads_label(line: &str, days: &str) -> String {
    let cells = csv_cells(line);
    format!("ads row {days} {} / {} / {} / {}", cells[3], cells[4], cells[5], cells[6])
}

#[test]
fn ads_rows_repeated_in_another_report_count_once_with_a_note() {
    let ws = demo_copy();
    let (path, lines, end, first_day) = ads_report(ws.path());
    let second = exports(ws.path(), "acme-home").join("Sponsored_Products_Advertised_product_report_2026-10_b.csv");
    let (a, b) = (first_day[0], first_day[1]);
    write_lines(&second, &[lines[0].clone(), lines[a].clone(), lines[b].clone()], end);

    let r = run(ws.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let st = r.statement("acme-home");
    assert_eq!(figures(&st), demo_figures("acme-home"));
    let what = format!("2 ads rows ({}, {})", ads_label(&lines[a], "2026-10-01"), ads_label(&lines[b], "2026-10-01"));
    let (kept, dropped) = (rel(ws.path(), &path), rel(ws.path(), &second));
    assert_eq!(
        new_notes(&st),
        [note(
            "duplicate_dropped",
            json!({ "what": what, "kept": kept, "dropped": dropped }),
            &[&dropped, &kept],
            format!("Given twice, counted once: {what}; {dropped} repeats {kept} exactly."),
        )]
    );
}

#[test]
fn a_monthly_ads_row_overlapping_daily_rows_is_refused() {
    let ws = demo_copy();
    let (path, lines, end, first_day) = ads_report(ws.path());
    let daily = &lines[first_day[0]];
    let monthly = daily.replacen("\"Oct 01, 2026\",\"Oct 01, 2026\"", "\"Oct 01, 2026\",\"Oct 31, 2026\"", 1);
    let second = exports(ws.path(), "acme-home").join("Sponsored_Products_Advertised_product_report_2026-10_month.csv");
    write_lines(&second, &[lines[0].clone(), monthly], end);
    // Every October day of the same campaign, ad group and SKU overlaps it.
    let key = |line: &str| csv_cells(line)[3..7].to_vec();
    let days = lines[1..].iter().filter(|l| l.starts_with("\"Oct ") && key(l) == key(daily)).count();
    assert_eq!(days, 31);

    let r = run(ws.path());
    let error = r.refused("acme-home");
    let first = format!(
        "{}:2: column \"Campaign Name\": {} overlaps {} in {} (line {}): the same campaign, ad group and SKU on the same days would count twice. Use reports that do not overlap (e.g. daily reports only), or remove one",
        rel(ws.path(), &second),
        ads_label(daily, "2026-10-01 to 2026-10-31"),
        ads_label(daily, "2026-10-01"),
        rel(ws.path(), &path),
        first_day[0] + 1
    );
    assert!(error.starts_with(&format!("11 problems: {first}; ")), "{error}");
    assert!(
        error.ends_with(&format!(
            "{}: and 21 more conflicts with {}, not listed one by one",
            rel(ws.path(), &second),
            rel(ws.path(), &path)
        )),
        "{error}"
    );
}

// ---------------------------------------------------------------------------
// Cost invoices within the ledger

/// The ledger's lines, and its second line's cells (its first cost).
fn first_cost(ws: &Path) -> (Vec<String>, &'static str, csv::StringRecord) {
    let (lines, end) = lines_of(&ledger(ws, "acme-home"));
    let record =
        csv::Reader::from_reader(format!("{}\n{}\n", lines[0], lines[1]).as_bytes()).records().next().unwrap().unwrap();
    (lines, end, record)
}

#[test]
fn a_cost_line_listed_twice_is_billed_once_with_a_note() {
    let ws = demo_copy();
    let (mut lines, end, cost) = first_cost(ws.path());
    lines.push(lines[1].clone());
    write_lines(&ledger(ws.path(), "acme-home"), &lines, end);

    let r = run(ws.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let st = r.statement("acme-home");
    assert_eq!(figures(&st), demo_figures("acme-home"));
    let file = "costs/2026-10/acme-home.csv";
    let what = format!("invoice {} of {}", &cost[3], &cost[2]);
    let (kept, dropped) = (format!("{file}:2"), format!("{file}:{}", lines.len()));
    assert_eq!(
        new_notes(&st),
        [note(
            "duplicate_dropped",
            json!({ "what": what, "kept": kept, "dropped": dropped }),
            &[&dropped, &kept],
            format!("Given twice, counted once: {what}; {dropped} repeats {kept} exactly."),
        )]
    );
}

#[test]
fn an_invoice_listed_twice_with_different_amounts_is_refused() {
    let ws = demo_copy();
    let (mut lines, end, cost) = first_cost(ws.path());
    let amount = &cost[5];
    let cents: i64 = amount.replace('.', "").parse().unwrap();
    let other = format!("{}.{:02}", (cents + 1) / 100, (cents + 1) % 100);
    lines.push(lines[1].replacen(&format!(",{amount},"), &format!(",{other},"), 1));
    write_lines(&ledger(ws.path(), "acme-home"), &lines, end);

    let r = run(ws.path());
    assert_eq!(
        r.refused("acme-home"),
        format!(
            "costs/2026-10/acme-home.csv:{}: column \"invoice_no\": invoice {} of {} is also at line 2 of this file with different contents: there {amount} {currency} of {category} dated {date}, here {other} {currency} of {category} dated {date}. The same money must not count twice: keep the copy that is right and remove or correct the other",
            lines.len(),
            &cost[3],
            &cost[2],
            currency = &cost[6],
            category = &cost[1],
            date = &cost[0],
        )
    );
}

// ---------------------------------------------------------------------------
// Cost invoices against the statements already issued (the register)

#[test]
fn an_invoice_billed_on_an_earlier_statement_is_refused_naming_it() {
    let ws = demo_copy();
    let out = ws.path().join("out");
    let october = run_into(ws.path(), &out, PERIOD, &[]);
    assert_eq!(october.code, Some(0), "{}", october.stderr);
    let billed = october.statement("acme-home")["pass_through"]["lines"][0].clone();
    let number = october.statement("acme-home")["statement_number"].as_str().unwrap().to_string();

    // November, as the generator makes it: drafted as is, no cost of it was
    // billed in October.
    let november: kpiseal::period::Period = "2026-11".parse().unwrap();
    let opts = kpiseal_generate::GenerateOptions { seed: 2026, sellers: 4, orders: 40, period: november };
    kpiseal_generate::generate_workspace(ws.path(), &opts).unwrap();
    let r = run_into(ws.path(), &out, "2026-11", &["--draft"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);

    // One of October's invoices billed again in November, dated in November.
    let path = ws.path().join("costs/2026-11/acme-home.csv");
    let (mut lines, end) = lines_of(&path);
    let s = |k: &str| billed[k].as_str().unwrap().to_string();
    let quote = |v: String| if v.contains(',') { format!("\"{v}\"") } else { v };
    lines.push(
        [
            "2026-11-05".to_string(),
            s("category"),
            quote(s("vendor")),
            s("invoice_no"),
            quote(s("description")),
            s("amount"),
            s("currency"),
            String::new(),
        ]
        .join(","),
    );
    write_lines(&path, &lines, end);
    let r = run_into(ws.path(), &out, "2026-11", &[]);
    let summary_error = {
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(!out.join("2026-11/acme-home").exists());
        r.summary["sellers"][0]["error"].as_str().unwrap().to_string()
    };
    let statement_json = out.join("2026-10/acme-home/statement.json");
    assert_eq!(
        summary_error,
        format!(
            "costs/2026-11/acme-home.csv:{}: column \"invoice_no\": invoice {} of {} was already billed on statement {number} for 2026-10 ({}) as {amount} {currency} of {category} dated {date}; this line reads {amount} {currency} of {category} dated 2026-11-05. A cost is billed once: remove this line, or correct its invoice number if it is another invoice",
            lines.len(),
            s("invoice_no"),
            s("vendor"),
            statement_json.display(),
            amount = s("amount"),
            currency = s("currency"),
            category = s("category"),
            date = s("date"),
        )
    );

    // `check` finds it through the same register (<workspace>/out by default).
    let check = Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["check", "--json", "--seller", "acme-home", "--workspace"])
        .arg(ws.path())
        .args(["--period", "2026-11"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(report["sellers"][0]["outcome"], "refused");
    assert_eq!(report["sellers"][0]["errors"], json!([summary_error]));
}

#[test]
fn a_rerun_or_a_correction_of_a_period_is_not_a_repeat_of_its_own_issue() {
    let ws = demo_copy();
    let out = ws.path().join("out");
    let first = run_into(ws.path(), &out, PERIOD, &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let again = run_into(ws.path(), &out, PERIOD, &[]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert_eq!(figures(&again.statement("acme-home")), demo_figures("acme-home"));

    // A correction: one cost removed from the ledger, the others billed again.
    let (mut lines, end) = lines_of(&ledger(ws.path(), "acme-home"));
    lines.pop();
    write_lines(&ledger(ws.path(), "acme-home"), &lines, end);
    let corrected = run_into(ws.path(), &out, PERIOD, &["--seller", "acme-home", "--supersede", "one cost removed"]);
    assert_eq!(corrected.code, Some(0), "{}", corrected.stderr);
    let st = corrected.statement("acme-home");
    assert!(st["statement_number"].as_str().unwrap().ends_with("-R1"));
    assert_eq!(st["pass_through"]["lines"].as_array().unwrap().len(), lines.len() - 1);
    assert!(new_notes(&st).is_empty(), "{:#?}", st["notes"]);
}

// ---------------------------------------------------------------------------
// Files no seller reads

#[test]
fn a_copy_of_the_cost_ledger_is_noted_when_identical_and_refused_otherwise() {
    let ws = demo_copy();
    let copy = ws.path().join("costs/2026-10/acme-home (1).csv");
    fs::copy(ledger(ws.path(), "acme-home"), &copy).unwrap();
    let r = run(ws.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let st = r.statement("acme-home");
    assert_eq!(figures(&st), demo_figures("acme-home"));
    let (kept, dropped) = ("costs/2026-10/acme-home.csv", "costs/2026-10/acme-home (1).csv");
    assert_eq!(
        new_notes(&st),
        [note(
            "duplicate_file",
            json!({ "kept": kept, "dropped": dropped }),
            &[dropped, kept],
            format!("{dropped} and {kept} are byte-identical; the file was read once, as {kept}."),
        )]
    );

    let (mut lines, end) = lines_of(&copy);
    lines.pop();
    write_lines(&copy, &lines, end);
    let r = run(ws.path());
    assert_eq!(
        r.refused("acme-home"),
        "costs/2026-10/acme-home (1).csv: not read: acme-home's cost ledger for 2026-10 is costs/2026-10/acme-home.csv alone. Merge the lines it holds into that file (each invoice once) or remove it"
    );
}

#[test]
fn a_renamed_cost_ledger_is_refused_not_silently_missing() {
    let ws = demo_copy();
    let renamed = ws.path().join("costs/2026-10/acme-home-october.csv");
    fs::rename(ledger(ws.path(), "acme-home"), &renamed).unwrap();
    let r = run(ws.path());
    assert_eq!(
        r.refused("acme-home"),
        "costs/2026-10/acme-home-october.csv: not read: acme-home's cost ledger for 2026-10 must be named costs/2026-10/acme-home.csv, which does not exist. Rename this file if it is the ledger, or remove it"
    );

    // A name that is no seller's: it may be anyone's ledger, so every seller
    // is refused until it is named for its seller.
    fs::rename(&renamed, ws.path().join("costs/2026-10/ledger.csv")).unwrap();
    let r = run(ws.path());
    for seller in SELLERS {
        assert_eq!(
            r.refused(seller),
            "costs/2026-10/ledger.csv: not read: it names no seller (ledgers are costs/2026-10/<seller>.csv for a seller with a contract), so it may hold any seller's costs. Rename it for its seller, or remove it"
        );
    }
}

#[test]
fn a_copy_of_a_ledger_under_another_name_is_noted_on_its_sellers_statement() {
    let ws = demo_copy();
    let (kept, dropped) = ("costs/2026-10/rio-casa.csv", "costs/2026-10/ledger (copy).csv");
    fs::copy(ws.path().join(kept), ws.path().join(dropped)).unwrap();
    let r = run(ws.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for seller in SELLERS {
        let st = r.statement(seller);
        assert_eq!(figures(&st), demo_figures(seller));
        let expected = if seller == "rio-casa" {
            vec![note(
                "duplicate_file",
                json!({ "kept": kept, "dropped": dropped }),
                &[dropped, kept],
                format!("{dropped} and {kept} are byte-identical; the file was read once, as {kept}."),
            )]
        } else {
            vec![]
        };
        assert_eq!(new_notes(&st), expected, "{seller}");
    }
}

#[test]
fn exports_outside_the_sellers_folder_are_refused() {
    let ws = demo_copy();
    let dir = exports(ws.path(), "sunny-gadgets");
    fs::create_dir(dir.join("old")).unwrap();
    fs::copy(dir.join("18156436528.txt"), dir.join("old/18156436528.txt")).unwrap();
    let sibling = ws.path().join("exports/2026-10/sunny-gadgets (1)");
    fs::create_dir(&sibling).unwrap();
    fs::copy(dir.join("18156436528.txt"), sibling.join("18156436528.txt")).unwrap();

    let r = run(ws.path());
    assert_eq!(
        r.refused("sunny-gadgets"),
        "2 problems: exports/2026-10/sunny-gadgets (1): not read: sunny-gadgets's exports for 2026-10 are the files directly in exports/2026-10/sunny-gadgets/. Move the exports it holds there (each once) or remove it; \
exports/2026-10/sunny-gadgets/old: not read: a folder inside exports/2026-10/sunny-gadgets/ is not an export, and not a market's folder (named by its market: amazon_br, shopee_br, shopify-<store>, …). Move the exports it holds into exports/2026-10/sunny-gadgets/ or their market's folder (each once), or the folder out of it"
    );
    for seller in ["acme-home", "rio-casa"] {
        assert_eq!(figures(&r.statement(seller)), demo_figures(seller), "{seller} is untouched");
    }
}

#[test]
fn an_unread_fx_file_of_the_period_is_noted_when_identical_and_refused_otherwise() {
    let ws = demo_copy();
    let copy = ws.path().join("fx/2026-10 (1).csv");
    fs::copy(ws.path().join("fx/2026-10.csv"), &copy).unwrap();
    let r = run(ws.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let (kept, dropped) = ("fx/2026-10.csv", "fx/2026-10 (1).csv");
    for seller in SELLERS {
        let st = r.statement(seller);
        assert_eq!(figures(&st), demo_figures(seller));
        assert_eq!(
            new_notes(&st),
            [note(
                "duplicate_file",
                json!({ "kept": kept, "dropped": dropped }),
                &[dropped, kept],
                format!("{dropped} and {kept} are byte-identical; the file was read once, as {kept}."),
            )],
            "{seller}"
        );
    }

    let (mut lines, end) = lines_of(&copy);
    lines.pop();
    write_lines(&copy, &lines, end);
    let r = run(ws.path());
    for seller in SELLERS {
        assert_eq!(
            r.refused(seller),
            "fx/2026-10 (1).csv: not read: the FX files for 2026-10 are fx/2026-10.csv and fx/2026-10-<name>.csv. Rename it to one of those (each rate once) or remove it"
        );
    }
}

// ---------------------------------------------------------------------------
// The property: a file given twice, or under another name, never changes a
// figure silently.

/// What the pipeline makes of each seller of a workspace: its figures and
/// notes, or the problems that refuse it.
fn outcomes(ws: &Path) -> BTreeMap<String, Result<(Value, Vec<Value>), String>> {
    use kpiseal::pipeline::{RunOptions, build_statement};
    let workspace = kpiseal::workspace::Workspace::open(ws).unwrap();
    let opts = RunOptions::new(PERIOD.parse().unwrap());
    let signing = kpiseal::statement::SigningBlock { key_id: String::new(), demo: false };
    workspace
        .sellers()
        .unwrap()
        .into_iter()
        .map(|seller| {
            let outcome = build_statement(&workspace, &seller, &opts, signing.clone())
                .map(|st| {
                    let st: Value = serde_json::from_slice(&st.to_json()).unwrap();
                    (figures(&st), st["notes"].as_array().unwrap().clone())
                })
                .map_err(|e| e.to_string());
            (seller, outcome)
        })
        .collect()
}

/// Every input file of a workspace for the period (contracts, FX files,
/// exports, cost ledgers), workspace-relative, sorted.
fn input_files(ws: &Path) -> Vec<String> {
    common::tree(ws)
        .into_keys()
        .filter(|p| {
            p.starts_with("contracts/")
                || p.starts_with("fx/")
                || p.starts_with(&format!("exports/{PERIOD}/"))
                || p.starts_with(&format!("costs/{PERIOD}/"))
        })
        .collect()
}

/// Another name for `path` in the same folder, in one of the ways files get
/// renamed or downloaded again.
fn other_name(path: &str, variant: usize) -> String {
    let (dir, name) = path.rsplit_once('/').unwrap();
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let dot = if ext.is_empty() { "" } else { "." };
    let names = [
        format!("{stem} (1){dot}{ext}"),
        format!("{stem}-renamed{dot}{ext}"),
        format!("renamed{dot}{ext}"),
        format!("{}{dot}{ext}", stem.to_uppercase()),
        format!("{name}.bak"),
    ];
    let chosen = &names[variant % names.len()];
    let chosen = if chosen == name { &names[0] } else { chosen };
    format!("{dir}/{chosen}")
}

/// Whether seller `seller`'s statement reads `path` (its exports and
/// ledger, and every FX file).
fn read_by(path: &str, seller: &str) -> bool {
    path.starts_with("fx/")
        || path.starts_with(&format!("exports/{PERIOD}/{seller}/"))
        || path == format!("costs/{PERIOD}/{seller}.csv")
}

#[test]
fn duplicating_or_renaming_any_input_file_keeps_every_figure_or_refuses_the_seller() {
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let base = tempfile::tempdir().unwrap();
    let opts =
        kpiseal_generate::GenerateOptions { seed: 4242, sellers: 3, orders: 25, period: PERIOD.parse().unwrap() };
    kpiseal_generate::generate_workspace(base.path(), &opts).unwrap();
    let files = input_files(base.path());
    let before = outcomes(base.path());
    for (seller, outcome) in &before {
        assert!(outcome.is_ok(), "the generated workspace issues {seller}: {outcome:?}");
    }

    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    let cases = (0..files.len(), proptest::bool::ANY, 0..5usize);
    runner
        .run(&cases, |(i, duplicate, variant)| {
            let ws = tempfile::tempdir().unwrap();
            copy_dir(base.path(), ws.path());
            let (from, to) = (&files[i], other_name(&files[i], variant));
            if duplicate {
                fs::copy(ws.path().join(from), ws.path().join(&to)).unwrap();
            } else {
                fs::rename(ws.path().join(from), ws.path().join(&to)).unwrap();
            }
            let what = format!("{} {from} as {to}", if duplicate { "copied" } else { "renamed" });
            let after = outcomes(ws.path());
            for (seller, outcome) in &after {
                let Ok((figures, notes)) = outcome else { continue };
                let Some(Ok((figures_before, _))) = before.get(seller) else {
                    return Err(TestCaseError::fail(format!("{what}: a new seller {seller} was issued")));
                };
                if figures != figures_before {
                    return Err(TestCaseError::fail(format!("{what}: {seller}'s figures changed without a refusal")));
                }
                let noted = notes
                    .iter()
                    .any(|n| n["at"].as_array().unwrap().iter().any(|a| a.as_str().unwrap().starts_with(to.as_str())));
                if duplicate && read_by(from, seller) && !noted {
                    return Err(TestCaseError::fail(format!(
                        "{what}: {seller} issued without a note naming the copy: {notes:#?}"
                    )));
                }
            }
            for seller in before.keys() {
                let contract_renamed = !duplicate && *from == format!("contracts/{seller}.toml");
                if !after.contains_key(seller) && !contract_renamed {
                    return Err(TestCaseError::fail(format!("{what}: {seller} is gone")));
                }
            }
            Ok(())
        })
        .unwrap();
}
