//! The bad-input corpus (issue #12, "Hardened against bad input"): every way
//! an export, cost ledger, FX file, contract or workspace can be wrong, each
//! run through the binary on a copy of the demo workspace with the exact
//! outcome it must have.
//!
//! A case is either stored, `fixtures/bad/<class>/<case>/` (`files/` holds
//! the files that replace or add to the demo copy, `expect.toml` the
//! outcome; see `fixtures/bad/README.md`), or generated below (binary
//! encodings, workbooks, symlinks, huge files), with its outcome written as
//! the same [`Expect`]. For each case the driver asserts: the exit code
//! (never 101); that nothing panicked; that the output names what the case
//! says (file, `:line`, column, what was expected); that nothing is written
//! for a refused seller (no folder, no temporary leftover); and that every
//! other demo seller's statement.json is byte for byte the one a clean run
//! writes. Cases read correctly rather than refused say whose statement may
//! change, or must keep the clean run's figures (`same_figures`: the same
//! statement.json once `inputs`, the file list with hashes, is set aside).
//!
//! Every child runs with its address space capped (`setrlimit(RLIMIT_AS)`)
//! and a deadline, so a zip bomb or a runaway allocation fails the case
//! instead of the machine.

mod common;
use common::{copy_dir, demo};

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

const PERIOD: &str = "2026-10";
const SELLERS: [&str; 3] = ["acme-home", "rio-casa", "sunny-gadgets"];
/// The address space each child may use: the demo needs far less; a bomb
/// that is inflated into memory needs more.
const MEMORY_CAP: u64 = 2 << 30;
const DEADLINE: Duration = Duration::from_secs(60);

/// The outcome a case must have.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// `run` (default) or `check`.
    #[serde(default)]
    command: Option<String>,
    exit: i32,
    /// Sellers refused: named on a FAILED/REFUSED line, nothing written.
    #[serde(default)]
    refused: Vec<String>,
    /// Sellers written whose statement may differ from the clean run's.
    #[serde(default)]
    changed: Vec<String>,
    /// Sellers written with the clean run's figures (statement.json equal
    /// once `inputs` is set aside).
    #[serde(default)]
    same_figures: Vec<String>,
    /// Substrings the command's output (stdout and stderr) must contain.
    #[serde(default)]
    contains: Vec<String>,
    /// Extra arguments (e.g. `--seller`).
    #[serde(default)]
    args: Vec<String>,
    /// Workspace paths removed from the demo copy before the overlay.
    #[serde(default)]
    remove: Vec<String>,
    /// What one written statement.json must and must not contain.
    #[serde(default)]
    statement: Option<StatementExpect>,
    /// Another case whose `changed` seller's figures this case must equal
    /// (the same rows written another way).
    #[serde(default)]
    same_figures_as: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementExpect {
    seller: String,
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    lacks: Vec<String>,
}

type Build = Box<dyn Fn(&Path) + Send + Sync>;

struct Case {
    /// `<class>/<case>`.
    name: String,
    build: Build,
    expect: Expect,
}

impl Case {
    fn class(&self) -> &str {
        self.name.split('/').next().unwrap_or("")
    }
}

// ---------------------------------------------------------------------------
// Running the binary

struct Outcome {
    code: Option<i32>,
    output: String,
}

/// Runs kpiseal with `args`, its address space capped and a deadline.
fn kpiseal_bounded(args: &[&std::ffi::OsStr]) -> Outcome {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_kpiseal"));
    command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only this child.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: MEMORY_CAP, rlim_max: MEMORY_CAP };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    // Drain both pipes while waiting, so a chatty child never blocks.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut b = Vec::new();
        stdout.read_to_end(&mut b).ok();
        b
    });
    let err_thread = std::thread::spawn(move || {
        let mut b = Vec::new();
        stderr.read_to_end(&mut b).ok();
        b
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            child.kill().ok();
            child.wait().ok();
            return Outcome { code: None, output: format!("killed after {DEADLINE:?}") };
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut output = String::from_utf8_lossy(&out_thread.join().unwrap()).into_owned();
    output.push_str(&String::from_utf8_lossy(&err_thread.join().unwrap()));
    Outcome { code: status.code(), output }
}

fn run_case_command(ws: &Path, out: &Path, expect: &Expect) -> Outcome {
    let command = expect.command.as_deref().unwrap_or("run");
    let mut args: Vec<std::ffi::OsString> = vec![
        command.into(),
        "--workspace".into(),
        ws.into(),
        "--period".into(),
        PERIOD.into(),
        "--out".into(),
        out.into(),
    ];
    if command == "run" {
        args.push("--quiet".into());
    }
    args.extend(expect.args.iter().map(Into::into));
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    kpiseal_bounded(&refs)
}

/// statement.json of each demo seller after a run of the untouched demo.
fn clean() -> &'static BTreeMap<String, Vec<u8>> {
    static CLEAN: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        copy_dir(&demo(), &ws);
        let out = dir.path().join("out");
        let o = run_case_command(&ws, &out, &Expect::default());
        assert_eq!(o.code, Some(0), "the clean demo run fails: {}", o.output);
        SELLERS
            .iter()
            .map(|s| (s.to_string(), fs::read(out.join(PERIOD).join(s).join("statement.json")).unwrap()))
            .collect()
    })
}

/// A statement.json without its `inputs` (paths, hashes and sizes of the
/// files read) and each KPI's `inputs` (the paths its value is made of):
/// what is left are the figures, notes and identity.
fn figures(statement: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(statement).unwrap();
    v.as_object_mut().unwrap().remove("inputs");
    for k in v["kpis"].as_array_mut().unwrap() {
        k.as_object_mut().unwrap().remove("inputs");
    }
    v
}

/// Runs one case and returns what is wrong with its outcome (empty when
/// nothing), and the statements it wrote by seller.
fn check_case(case: &Case) -> (Vec<String>, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    copy_dir(&demo(), &ws);
    for rel in &case.expect.remove {
        let p = ws.join(rel);
        fs::remove_file(&p).unwrap_or_else(|e| panic!("{}: remove {rel}: {e}", case.name));
    }
    (case.build)(&ws);
    let out = dir.path().join("out");
    let e = &case.expect;
    let o = run_case_command(&ws, &out, e);
    let mut wrong = Vec::new();
    let mut fail = |m: String| wrong.push(m);
    if o.code == Some(101) || o.output.contains("panicked") {
        fail("panicked".into());
    }
    if o.code != Some(e.exit) {
        fail(format!("exit code {:?}, expected {}", o.code, e.exit));
    }
    for s in &e.contains {
        if !o.output.contains(s.as_str()) {
            fail(format!("output lacks {s:?}"));
        }
    }
    let command = e.command.as_deref().unwrap_or("run");
    let period_dir = out.join(PERIOD);
    let mut written = BTreeMap::new();
    let wrote_anything = fs::read_dir(&out).is_ok_and(|mut d| d.next().is_some());
    if (command == "check" || e.exit == 2) && wrote_anything {
        fail(format!("{command} exiting {} wrote into --out", e.exit));
    }
    for s in &e.refused {
        let marker = if command == "check" { "REFUSED" } else { "FAILED" };
        if e.exit != 2 && !o.output.lines().any(|l| l.starts_with(marker) && l.contains(s.as_str())) {
            fail(format!("no {marker} line names {s}"));
        }
        if period_dir.join(s).exists() {
            fail(format!("a folder was written for refused seller {s}"));
        }
    }
    if let Ok(entries) = fs::read_dir(&period_dir) {
        for entry in entries {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.contains("tmp") {
                fail(format!("temporary leftover {name}"));
            }
        }
    }
    if command == "run" && e.exit != 2 {
        for s in SELLERS.iter().filter(|s| !e.refused.iter().any(|r| r == *s)) {
            let Ok(bytes) = fs::read(period_dir.join(s).join("statement.json")) else {
                fail(format!("no statement written for {s}"));
                continue;
            };
            if e.same_figures.iter().any(|x| x == s) {
                if figures(&bytes) != figures(&clean()[*s]) {
                    fail(format!("{s}'s figures differ from the clean run's"));
                }
            } else if !e.changed.iter().any(|x| x == s) && bytes != clean()[*s] {
                fail(format!("{s}'s statement.json differs from the clean run's"));
            }
            written.insert(s.to_string(), bytes);
        }
    }
    if let Some(st) = &e.statement {
        match written.get(&st.seller) {
            None => fail(format!("no statement of {} to look into", st.seller)),
            Some(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                for s in &st.contains {
                    if !text.contains(s.as_str()) {
                        fail(format!("{}'s statement.json lacks {s:?}", st.seller));
                    }
                }
                for s in &st.lacks {
                    if text.contains(s.as_str()) {
                        fail(format!("{}'s statement.json contains {s:?}", st.seller));
                    }
                }
            }
        }
    }
    if !wrong.is_empty() {
        let shown: String = o.output.chars().take(1500).collect();
        wrong.push(format!("output: {shown}"));
    }
    (wrong, written)
}

// ---------------------------------------------------------------------------
// Stored cases

fn stored_cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bad");
    let mut cases = Vec::new();
    for class in sorted_dirs(&root) {
        for case in sorted_dirs(&class) {
            let name = format!(
                "{}/{}",
                class.file_name().unwrap().to_string_lossy(),
                case.file_name().unwrap().to_string_lossy()
            );
            let text = fs::read_to_string(case.join("expect.toml")).unwrap_or_else(|e| panic!("{name}: {e}"));
            let expect: Expect = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/expect.toml: {e}"));
            let files = case.join("files");
            cases.push(Case {
                name,
                build: Box::new(move |ws: &Path| {
                    if files.is_dir() {
                        copy_dir(&files, ws);
                    }
                }),
                expect,
            });
        }
    }
    cases
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

// ---------------------------------------------------------------------------
// Generated cases

const ACME: &str = "exports/2026-10/acme-home";
const SUNNY: &str = "exports/2026-10/sunny-gadgets";
const ACME_SETTLEMENT: &str = "exports/2026-10/acme-home/17723285873.txt";
const ACME_ADS: &str = "exports/2026-10/acme-home/Sponsored_Products_Advertised_product_report_2026-10.csv";
const ACME_VENDAS: &str = "exports/2026-10/acme-home/Vendas_BR_outubro_2026.csv";
const RIO_COSTS: &str = "costs/2026-10/rio-casa.csv";
const ACME_COSTS: &str = "costs/2026-10/acme-home.csv";
const RIO_VENDAS_XLSX: &str = "exports/2026-10/rio-casa/Vendas_BR_2026-11-01_09-15hs_9742747343.xlsx";

fn demo_text(rel: &str) -> String {
    fs::read_to_string(demo().join(rel)).unwrap()
}

fn refused(seller: &str, contains: &[&str]) -> Expect {
    Expect {
        exit: 1,
        refused: vec![seller.to_string()],
        contains: contains.iter().map(|s| s.to_string()).collect(),
        ..Expect::default()
    }
}

fn same_figures(seller: &str) -> Expect {
    Expect { exit: 0, same_figures: vec![seller.to_string()], ..Expect::default() }
}

fn case(name: &str, expect: Expect, build: impl Fn(&Path) + Send + Sync + 'static) -> Case {
    Case { name: name.to_string(), build: Box::new(build), expect }
}

/// Replaces workspace file `rel` with `bytes`.
fn put(ws: &Path, rel: &str, bytes: &[u8]) {
    let p = ws.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

/// `text` encoded with `encoding`; the case is only faithful when every
/// character has a code in it.
fn encode(text: &str, encoding: &'static encoding_rs::Encoding) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "the fixture text has characters {} cannot encode", encoding.name());
    bytes.into_owned()
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian { vec![0xFE, 0xFF] } else { vec![0xFF, 0xFE] };
    for unit in text.encode_utf16() {
        out.extend(if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
    }
    out
}

/// Moves the columns named `first` to the front of every line of a
/// `delim`-separated text from its line `header` (1-based) on, keeping the
/// other columns' order (so a repeated header name keeps its first place).
fn reorder(text: &str, delim: char, header: usize, first: &[&str]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let names: Vec<&str> = lines[header - 1].split(delim).collect();
    let mut order: Vec<usize> = first.iter().map(|f| names.iter().position(|n| n.trim() == *f).unwrap()).collect();
    let rest: Vec<usize> = (0..names.len()).filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i + 1 < header || line.is_empty() {
            out.push_str(line);
        } else {
            let cells: Vec<&str> = line.split(delim).collect();
            let moved: Vec<&str> = order.iter().map(|&c| cells.get(c).copied().unwrap_or("")).collect();
            out.push_str(&moved.join(&delim.to_string()));
        }
        out.push('\n');
    }
    out
}

fn generated_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(encoding_cases());
    cases.extend(excel_csv_cases());
    cases.extend(reordered_cases());
    cases.extend(truncated_cases());
    cases.extend(xlsx_cases());
    cases.extend(name_cases());
    cases
}

fn encoding_cases() -> Vec<Case> {
    // The ledgers name Chinese vendors in Chinese (the statement prints
    // them): sunny-gadgets' has nothing GBK lacks, rio-casa's also
    // Portuguese letters (ã, ç), which only GB18030 has (four-byte codes).
    let vendor = "东莞市恒印包装制品有限公司";
    let gb = |name: &str, seller: &'static str, enc: &'static encoding_rs::Encoding| {
        let mut e = same_figures(seller);
        e.statement = Some(StatementExpect { seller: seller.into(), contains: vec![vendor.into()], lacks: vec![] });
        let rel = format!("costs/2026-10/{seller}.csv");
        case(name, e, move |ws| put(ws, &rel, &encode(&demo_text(&rel), enc)))
    };
    let sunny_costs = "costs/2026-10/sunny-gadgets.csv";
    let mut mixed = refused("sunny-gadgets", &[sunny_costs, "mixes"]);
    mixed.contains.push("UTF-8".into());
    vec![
        gb("encoding/costs_gbk", "sunny-gadgets", encoding_rs::GBK),
        gb("encoding/costs_gb18030_four_byte_codes", "rio-casa", encoding_rs::GB18030),
        case("encoding/costs_utf16le_bom", same_figures("rio-casa"), |ws| {
            put(ws, RIO_COSTS, &utf16(&demo_text(RIO_COSTS), false))
        }),
        case("encoding/costs_utf16be_bom", same_figures("rio-casa"), |ws| {
            put(ws, RIO_COSTS, &utf16(&demo_text(RIO_COSTS), true))
        }),
        case("encoding/vendas_csv_windows1252", same_figures("acme-home"), |ws| {
            let text = demo_text(ACME_VENDAS);
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            put(ws, ACME_VENDAS, &encode(text, encoding_rs::WINDOWS_1252))
        }),
        case("encoding/vendas_csv_utf16le_bom", same_figures("acme-home"), |ws| {
            let text = demo_text(ACME_VENDAS);
            put(ws, ACME_VENDAS, &utf16(text.strip_prefix('\u{feff}').unwrap_or(&text), false))
        }),
        case("encoding/settlement_utf16be_bom", same_figures("acme-home"), |ws| {
            put(ws, ACME_SETTLEMENT, &utf16(&demo_text(ACME_SETTLEMENT), true))
        }),
        case("encoding/ads_csv_utf16le_bom", same_figures("acme-home"), |ws| {
            put(ws, ACME_ADS, &utf16(&demo_text(ACME_ADS), false))
        }),
        // The first lines as saved in UTF-8, the rest appended by a tool
        // writing GBK: neither reading is right for the whole file.
        case("encoding/costs_mixed_utf8_gbk", mixed, |ws| {
            let text = demo_text(sunny_costs);
            let (head, tail) = text.split_at(text.match_indices('\n').nth(2).unwrap().0 + 1);
            let mut bytes = head.as_bytes().to_vec();
            bytes.extend(encode(tail, encoding_rs::GBK));
            put(ws, sunny_costs, &bytes)
        }),
        case(
            "encoding/costs_utf16le_without_bom",
            refused("rio-casa", &[&format!("{RIO_COSTS}:1"), "UTF-16 without a byte-order mark"]),
            |ws| put(ws, RIO_COSTS, &utf16(&demo_text(RIO_COSTS), false)[2..]),
        ),
        case(
            "encoding/export_binary_garbage",
            refused("acme-home", &["exports/2026-10/acme-home/garbage.bin", "NUL byte"]),
            |ws| {
                let bytes: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
                put(ws, &format!("{ACME}/garbage.bin"), &bytes)
            },
        ),
    ]
}

fn excel_csv_cases() -> Vec<Case> {
    vec![
        // Excel writes a `sep=` line when asked to keep the delimiter.
        case("excel_csv/ads_sep_line", same_figures("acme-home"), |ws| {
            put(ws, ACME_ADS, format!("sep=,\r\n{}", demo_text(ACME_ADS)).as_bytes())
        }),
        case("excel_csv/costs_sep_line", same_figures("acme-home"), |ws| {
            put(ws, ACME_COSTS, format!("sep=,\r\n{}", demo_text(ACME_COSTS)).as_bytes())
        }),
        case("excel_csv/vendas_sep_line", same_figures("acme-home"), |ws| {
            let text = demo_text(ACME_VENDAS);
            put(ws, ACME_VENDAS, format!("sep=;\r\n{}", text.strip_prefix('\u{feff}').unwrap_or(&text)).as_bytes())
        }),
        // Excel saves every line with CRLF and quotes every text cell that
        // holds a comma; "Save as CSV" of a numeric-looking text quotes it.
        case("excel_csv/costs_crlf_all_quoted", same_figures("acme-home"), |ws| {
            let text = demo_text(ACME_COSTS);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
            let mut out = String::new();
            for record in reader.records() {
                let cells: Vec<String> =
                    record.unwrap().iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
                out.push_str(&cells.join(","));
                out.push_str("\r\n");
            }
            put(ws, ACME_COSTS, out.as_bytes())
        }),
        case("excel_csv/ads_crlf_all_quoted", same_figures("acme-home"), |ws| {
            let text = demo_text(ACME_ADS);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
            let mut out = String::new();
            for record in reader.records() {
                let cells: Vec<String> =
                    record.unwrap().iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
                out.push_str(&cells.join(","));
                out.push_str("\r\n");
            }
            put(ws, ACME_ADS, out.as_bytes())
        }),
        // A formula Excel exported as text (the cell was never computed).
        case(
            "excel_csv/costs_formula",
            refused("acme-home", &[&format!("{ACME_COSTS}:2"), "column \"amount\"", "\"=4783.81*1\" is not a number"]),
            |ws| {
                let text = demo_text(ACME_COSTS).replacen(",4783.81,", ",=4783.81*1,", 1);
                put(ws, ACME_COSTS, text.as_bytes())
            },
        ),
    ]
}

fn reordered_cases() -> Vec<Case> {
    vec![
        case("columns/settlement_reordered", same_figures("acme-home"), |ws| {
            let text = demo_text(ACME_SETTLEMENT);
            put(ws, ACME_SETTLEMENT, reorder(&text, '\t', 1, &["amount", "posted-date-time", "order-id"]).as_bytes())
        }),
        case("columns/ads_reordered", same_figures("acme-home"), |ws| {
            // Split with the csv crate: dates hold a quoted comma.
            let text = demo_text(ACME_ADS);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
            let mut rows: Vec<Vec<String>> =
                reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
            for row in &mut rows {
                row.rotate_left(5);
            }
            let mut w = csv::Writer::from_writer(Vec::new());
            for row in rows {
                w.write_record(row).unwrap();
            }
            put(ws, ACME_ADS, &w.into_inner().unwrap())
        }),
        case("columns/vendas_csv_reordered", same_figures("acme-home"), |ws| {
            let text = demo_text(ACME_VENDAS);
            put(ws, ACME_VENDAS, reorder(&text, ';', 2, &["Total", "SKU", "Receita por produtos"]).as_bytes())
        }),
        case("columns/costs_reordered", same_figures("acme-home"), |ws| {
            let text = demo_text(ACME_COSTS);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in reader.records() {
                let mut row: Vec<String> = r.unwrap().iter().map(str::to_string).collect();
                row.reverse();
                w.write_record(row).unwrap();
            }
            put(ws, ACME_COSTS, &w.into_inner().unwrap())
        }),
    ]
}

fn truncated_cases() -> Vec<Case> {
    let cut_line = ACME_SETTLEMENT.to_string() + ":" + &demo_text(ACME_SETTLEMENT).lines().count().to_string();
    vec![
        // The download stopped in the middle of the last line.
        case("truncated/demo_settlement_mid_row", refused("acme-home", &[&cut_line, "ends in the middle"]), |ws| {
            let text = demo_text(ACME_SETTLEMENT);
            let body = text.trim_end_matches('\n');
            let last = body.rfind('\n').unwrap();
            let cut = last + (body.len() - last) / 2;
            put(ws, ACME_SETTLEMENT, &body.as_bytes()[..cut])
        }),
        case(
            "truncated/xlsx_cut_in_half",
            refused("rio-casa", &[RIO_VENDAS_XLSX, "not a readable XLSX workbook"]),
            |ws| {
                let bytes = fs::read(demo().join(RIO_VENDAS_XLSX)).unwrap();
                put(ws, RIO_VENDAS_XLSX, &bytes[..bytes.len() / 2])
            },
        ),
        case(
            "truncated/xlsx_last_byte_missing",
            refused("rio-casa", &[RIO_VENDAS_XLSX, "not a readable XLSX workbook"]),
            |ws| {
                let bytes = fs::read(demo().join(RIO_VENDAS_XLSX)).unwrap();
                put(ws, RIO_VENDAS_XLSX, &bytes[..bytes.len() - 1])
            },
        ),
        // Cut inside the deflated stream of the sheet, with the central
        // directory rebuilt so the zip itself opens: the entry is corrupt.
        case(
            "truncated/xlsx_sheet_entry_cut",
            refused("sunny-gadgets", &["exports/2026-10/sunny-gadgets/cut.xlsx"]),
            |ws| {
                let mut entries = ads_sheet_entries(&ads_sheet_xml(false, ""), None);
                for (name, data) in &mut entries {
                    if name.ends_with("sheet1.xml") {
                        data.truncate(data.len() / 2);
                    }
                }
                put(ws, &format!("{SUNNY}/cut.xlsx"), &zip_of(&entries))
            },
        ),
        // 64 MiB of one line: read and refused by its first line, quickly.
        case(
            "truncated/export_64mib_one_line",
            refused("acme-home", &["big.txt", "unrecognised export format"]),
            |ws| put(ws, &format!("{ACME}/big.txt"), &vec![b'x'; 64 << 20]),
        ),
    ]
}

// ----- XLSX
//
// The Sponsored Products layout is the console's advertised-product report
// (the header of `crates/generate/src/ads.rs`, `XLSX_HEADER`, which names its real
// source); the zip parts are the minimal SpreadsheetML package (ECMA-376
// Part 1: [Content_Types].xml, the workbook and its relationships, one part
// per sheet).

const ADS_HEADER: [&str; 17] = [
    "Start Date",
    "End Date",
    "Currency",
    "Campaign Name",
    "Ad Group Name",
    "Advertised SKU",
    "Advertised ASIN",
    "Impressions",
    "Clicks",
    "Click-Thru Rate (CTR)",
    "Cost Per Click (CPC)",
    "Spend",
    "14 Day Total Sales",
    "Total Advertising Cost of Sales (ACoS)",
    "Total Return on Advertising Spend (RoAS)",
    "14 Day Total Orders (#)",
    "14 Day Total Units (#)",
];
/// One ads row for sunny-gadgets, as text cells.
const ADS_ROW: [&str; 17] = [
    "Oct 10, 2026",
    "Oct 10, 2026",
    "USD",
    "SP - Corpus - Exact",
    "Corpus probe",
    "SG-TAG-4PK",
    "B0CORPUS01",
    "1000",
    "10",
    "0.01",
    "1.23",
    "12.34",
    "56.78",
    "0.2173",
    "4.6",
    "1",
    "1",
];
const NUMERIC_FROM: usize = 7;

/// The reference: the row as a CSV report.
fn ads_reference_csv() -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(ADS_HEADER).unwrap();
    w.write_record(ADS_ROW).unwrap();
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// A sheet holding `ADS_HEADER` and `ADS_ROW`, text cells as inline strings
/// (`inline`) or as references into the shared strings; `above` is put
/// before the header rows (e.g. a merged title).
fn ads_sheet_xml(inline: bool, above: &str) -> String {
    fn col(c: usize) -> String {
        let mut s = String::new();
        let mut n = c + 1;
        while n > 0 {
            s.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
            n = (n - 1) / 26;
        }
        s
    }
    let mut strings: Vec<&str> = Vec::new();
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    xml.push_str(above);
    let offset = if above.is_empty() { 0 } else { 1 };
    for (r, row) in [ADS_HEADER, ADS_ROW].iter().enumerate() {
        let n = r + 1 + offset;
        xml.push_str(&format!("<row r=\"{n}\">"));
        for (c, text) in row.iter().enumerate() {
            let at = format!("{}{n}", col(c));
            if r == 1 && c >= NUMERIC_FROM {
                xml.push_str(&format!("<c r=\"{at}\"><v>{text}</v></c>"));
            } else if inline {
                xml.push_str(&format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{text}</t></is></c>"));
            } else {
                strings.push(text);
                xml.push_str(&format!("<c r=\"{at}\" t=\"s\"><v>{}</v></c>", strings.len() - 1));
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    if !inline {
        // Stash the strings after a NUL for `ads_sheet_entries` to split off.
        xml.push('\0');
        xml.push_str(&strings.join("\u{1}"));
    }
    xml
}

/// The parts of a one-sheet workbook around `sheet` (as `ads_sheet_xml`
/// returns it); `shared` replaces the shared strings part when given.
fn ads_sheet_entries(sheet: &str, shared: Option<String>) -> Vec<(String, Vec<u8>)> {
    let (sheet, strings) = match sheet.split_once('\0') {
        Some((s, rest)) => (s.to_string(), Some(rest.split('\u{1}').map(str::to_string).collect::<Vec<_>>())),
        None => (sheet.to_string(), None),
    };
    let shared = shared.or_else(|| {
        strings.map(|list| {
            let items: String = list.iter().map(|s| format!("<si><t>{s}</t></si>")).collect();
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" uniqueCount="{n}">{items}</sst>"#,
                n = list.len()
            )
        })
    });
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>"#,
    );
    if shared.is_some() {
        types.push_str(r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#);
        rels.push_str(r#"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#);
    }
    types.push_str("</Types>");
    rels.push_str("</Relationships>");
    let mut entries = vec![
        ("[Content_Types].xml".to_string(), types.into_bytes()),
        (
            "_rels/.rels".to_string(),
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
        ),
        (
            "xl/workbook.xml".to_string(),
            br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sponsored Product Advertised Pr" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec(),
        ),
        ("xl/_rels/workbook.xml.rels".to_string(), rels.into_bytes()),
        ("xl/worksheets/sheet1.xml".to_string(), sheet.into_bytes()),
    ];
    if let Some(shared) = shared {
        entries.push(("xl/sharedStrings.xml".to_string(), shared.into_bytes()));
    }
    entries
}

/// A zip of `entries`, deflated, with honest sizes.
fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(name.as_str(), options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The reference row written with rust_xlsxwriter (shared strings, as
/// Excel writes them): `dates` as date cells instead of text; a hidden
/// sheet and an extra visible sheet before the data; a merged title row.
fn ads_xlsxwriter(dates: bool, hidden_first: bool, extra_sheet: bool, merged_title: bool) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    if hidden_first {
        let notes = wb.add_worksheet();
        notes.set_name("Notes").unwrap();
        notes.write_string(0, 0, "internal notes, not a report").unwrap();
        notes.set_hidden(true);
    }
    if extra_sheet {
        let summary = wb.add_worksheet();
        summary.set_name("Summary").unwrap();
        summary.write_string(0, 0, "Campaign").unwrap();
        summary.write_string(0, 1, "Total").unwrap();
        summary.write_number(1, 1, 999.0).unwrap();
    }
    let sheet = wb.add_worksheet();
    sheet.set_name("Sponsored Product Advertised Pr").unwrap();
    let mut first = 0u32;
    if merged_title {
        sheet.merge_range(0, 0, 0, 16, "Sponsored Products advertised product report", &Format::new()).unwrap();
        first = 1;
    }
    for (c, h) in ADS_HEADER.iter().enumerate() {
        sheet.write_string(first, c as u16, *h).unwrap();
    }
    let date_format = Format::new().set_num_format("mmm dd, yyyy");
    for (c, text) in ADS_ROW.iter().enumerate() {
        let (r, c16) = (first + 1, c as u16);
        if c < 2 && dates {
            sheet
                .write_datetime_with_format(r, c16, ExcelDateTime::from_ymd(2026, 10, 10).unwrap(), &date_format)
                .unwrap();
        } else if c >= NUMERIC_FROM {
            sheet.write_number(r, c16, text.parse::<f64>().unwrap()).unwrap();
        } else {
            sheet.write_string(r, c16, *text).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn xlsx_cases() -> Vec<Case> {
    const REFERENCE: &str = "xlsx/ads_reference_csv";
    let like_reference = || Expect {
        exit: 0,
        changed: vec!["sunny-gadgets".into()],
        same_figures_as: Some(REFERENCE.into()),
        ..Expect::default()
    };
    let file = |name: &str| format!("{SUNNY}/{name}");
    let mut cases = vec![
        case(REFERENCE, Expect { exit: 0, changed: vec!["sunny-gadgets".into()], ..Expect::default() }, move |ws| {
            put(ws, &format!("{SUNNY}/corpus.csv"), ads_reference_csv().as_bytes())
        }),
        case("xlsx/ads_shared_strings", like_reference(), move |ws| {
            put(ws, &file("corpus.xlsx"), &zip_of(&ads_sheet_entries(&ads_sheet_xml(false, ""), None)))
        }),
        case("xlsx/ads_inline_strings", like_reference(), move |ws| {
            put(ws, &file("corpus.xlsx"), &zip_of(&ads_sheet_entries(&ads_sheet_xml(true, ""), None)))
        }),
        case("xlsx/ads_xlsxwriter_text_dates", like_reference(), move |ws| {
            put(ws, &file("corpus.xlsx"), &ads_xlsxwriter(false, false, false, false))
        }),
        case("xlsx/ads_dates_as_numbers", like_reference(), move |ws| {
            put(ws, &file("corpus.xlsx"), &ads_xlsxwriter(true, false, false, false))
        }),
        case("xlsx/ads_hidden_sheet_first", like_reference(), move |ws| {
            put(ws, &file("corpus.xlsx"), &ads_xlsxwriter(true, true, false, false))
        }),
        case("xlsx/ads_several_sheets", like_reference(), move |ws| {
            put(ws, &file("corpus.xlsx"), &ads_xlsxwriter(true, false, true, false))
        }),
        case("xlsx/ads_merged_title_row", like_reference(), move |ws| {
            put(ws, &file("corpus.xlsx"), &ads_xlsxwriter(true, true, true, true))
        }),
        // A password-protected workbook is an OLE2 compound file
        // ([MS-OFFCRYPTO]), not a zip: its first 8 bytes are the CFB magic.
        case(
            "xlsx/password_protected",
            refused("sunny-gadgets", &["exports/2026-10/sunny-gadgets/locked.xlsx", "password"]),
            move |ws| {
                let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
                bytes.resize(4096, 0);
                put(ws, &file("locked.xlsx"), &bytes)
            },
        ),
        // Content decides, never the name: a CSV named .xlsx is read as the CSV.
        case("xlsx/csv_renamed_xlsx", same_figures("acme-home"), |ws| {
            fs::rename(ws.join(ACME_ADS), ws.join(format!("{ACME}/report.xlsx"))).unwrap();
        }),
        case(
            "xlsx/html_renamed_xlsx",
            refused("acme-home", &["exports/2026-10/acme-home/report.xlsx", "unrecognised export format"]),
            |ws| {
                put(
                    ws,
                    &format!("{ACME}/report.xlsx"),
                    b"<html><body><table><tr><td>Campaign Name</td><td>Spend</td></tr><tr><td>x</td><td>1</td></tr></table></body></html>",
                )
            },
        ),
        // Two sheets of the same report in one workbook: reading one and
        // not the other would drop money.
        case(
            "xlsx/two_report_sheets",
            refused("sunny-gadgets", &["exports/2026-10/sunny-gadgets/corpus.xlsx", "sheets"]),
            move |ws| {
                use rust_xlsxwriter::Workbook;
                let mut wb = Workbook::new();
                for name in ["Week 1", "Week 2"] {
                    let s = wb.add_worksheet();
                    s.set_name(name).unwrap();
                    for (c, h) in ADS_HEADER.iter().enumerate() {
                        s.write_string(0, c as u16, *h).unwrap();
                    }
                    for (c, t) in ADS_ROW.iter().enumerate() {
                        s.write_string(1, c as u16, *t).unwrap();
                    }
                }
                put(ws, &file("corpus.xlsx"), &wb.save_to_buffer().unwrap())
            },
        ),
        // Entity expansion: SpreadsheetML has no DTD, so a DOCTYPE is refused
        // or its entities left unexpanded, never inflated.
        case(
            "xlsx/billion_laughs_shared_strings",
            refused("sunny-gadgets", &["exports/2026-10/sunny-gadgets/laughs.xlsx"]),
            move |ws| {
                let mut dtd = String::from("<!DOCTYPE sst [<!ENTITY l0 \"lol\">");
                for i in 1..10 {
                    dtd.push_str(&format!("<!ENTITY l{i} \"{}\">", format!("&l{};", i - 1).repeat(10)));
                }
                dtd.push(']');
                dtd.push('>');
                let shared = format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?>{dtd}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&l9;</t></si></sst>"#
                );
                let sheet = ads_sheet_xml(false, "");
                put(ws, &file("laughs.xlsx"), &zip_of(&ads_sheet_entries(&sheet, Some(shared))))
            },
        ),
    ];
    cases.push(case(
        "xlsx/billion_laughs_sheet",
        refused("sunny-gadgets", &["exports/2026-10/sunny-gadgets/laughs.xlsx", "cannot read sheet", "entity"]),
        move |ws| {
            let mut dtd = String::from("<!DOCTYPE worksheet [<!ENTITY l0 \"lol\">");
            for i in 1..10 {
                dtd.push_str(&format!("<!ENTITY l{i} \"{}\">", format!("&l{};", i - 1).repeat(10)));
            }
            dtd.push_str("]>");
            let sheet = ads_sheet_xml(true, "").replacen("?><worksheet", &format!("?>{dtd}<worksheet"), 1);
            let sheet = sheet.replacen("SP - Corpus - Exact", "&l9;", 1);
            put(ws, &format!("{SUNNY}/laughs.xlsx"), &zip_of(&ads_sheet_entries(&sheet, None)))
        },
    ));
    // A formula that failed in Excel is stored as an error cell (t="e").
    cases.push(case(
        "xlsx/error_cell_in_report",
        refused("sunny-gadgets", &["exports/2026-10/sunny-gadgets/corpus.xlsx [sheet", "row 2", "spreadsheet error"]),
        move |ws| {
            let sheet = ads_sheet_xml(true, "").replacen("<v>12.34</v>", "<v>#REF!</v>", 1);
            let sheet = sheet.replacen("<c r=\"L2\">", "<c r=\"L2\" t=\"e\">", 1);
            put(ws, &format!("{SUNNY}/corpus.xlsx"), &zip_of(&ads_sheet_entries(&sheet, None)))
        },
    ));
    cases.extend(zip_bomb_cases());
    cases
}

/// A workbook whose shared strings part inflates to 1 GiB (from about
/// 1 MiB), its sizes written as ZIP64 fields (`large_file`); `lying`
/// instead writes 32-bit sizes and then declares 1,000 bytes in the local
/// header and the central directory: refused either way within the memory
/// cap, before or while inflating.
fn bomb(lying: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(!lying);
    for (name, data) in ads_sheet_entries(&ads_sheet_xml(true, ""), None) {
        w.start_file(name.as_str(), options).unwrap();
        w.write_all(&data).unwrap();
    }
    w.start_file("xl/sharedStrings.xml", options).unwrap();
    w.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>"#)
        .unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..1024 {
        w.write_all(&chunk).unwrap();
    }
    w.write_all(b"</t></si></sst>").unwrap();
    let mut bytes = w.finish().unwrap().into_inner();
    if lying {
        let name = b"xl/sharedStrings.xml";
        let cd = (0..bytes.len() - 46)
            .find(|&i| bytes[i..i + 4] == *b"PK\x01\x02" && bytes[i + 46..].starts_with(name))
            .unwrap();
        let local = u32::from_le_bytes(bytes[cd + 42..cd + 46].try_into().unwrap()) as usize;
        bytes[cd + 24..cd + 28].copy_from_slice(&1000u32.to_le_bytes());
        bytes[local + 22..local + 26].copy_from_slice(&1000u32.to_le_bytes());
    }
    bytes
}

fn zip_bomb_cases() -> Vec<Case> {
    vec![
        case(
            "xlsx/zip_bomb_shared_strings",
            refused("sunny-gadgets", &["exports/2026-10/sunny-gadgets/bomb.xlsx", "xl/sharedStrings.xml", "zip bomb"]),
            |ws| put(ws, &format!("{SUNNY}/bomb.xlsx"), &bomb(false)),
        ),
        case(
            "xlsx/zip_bomb_lying_about_its_size",
            refused("sunny-gadgets", &["exports/2026-10/sunny-gadgets/bomb.xlsx", "not a readable XLSX workbook"]),
            |ws| put(ws, &format!("{SUNNY}/bomb.xlsx"), &bomb(true)),
        ),
    ]
}

fn name_cases() -> Vec<Case> {
    let all_refused_exit_2 = |args: &[&str]| Expect {
        exit: 2,
        refused: SELLERS.iter().map(|s| s.to_string()).collect(),
        args: args.iter().map(|s| s.to_string()).collect(),
        contains: vec!["no such seller".into()],
        ..Expect::default()
    };
    let copy_named = |name: &'static str| {
        move |ws: &Path| {
            fs::copy(ws.join(ACME_SETTLEMENT), ws.join(ACME).join(name)).unwrap();
        }
    };
    let noted = |contains: &str| Expect {
        exit: 0,
        changed: vec!["acme-home".into()],
        statement: Some(StatementExpect {
            seller: "acme-home".into(),
            contains: vec![contains.into(), "byte-identical".into()],
            lacks: vec![],
        }),
        ..Expect::default()
    };
    let outside = |ws: &Path| {
        let dir = ws.parent().unwrap().join("outside");
        fs::create_dir_all(&dir).unwrap();
        dir
    };
    vec![
        // A byte-identical second download with an odd name: read once, and
        // the note names the file exactly (JSON-escaped, not mangled).
        // A name that prints as something else is refused by name, escaped.
        case(
            "names/export_name_with_newline",
            refused("acme-home", &["exports/2026-10/acme-home/two\\nlines.txt", "U+000A"]),
            copy_named("two\nlines.txt"),
        ),
        case(
            "names/export_name_with_rtl_override",
            refused("acme-home", &["exports/2026-10/acme-home/\\u{202e}txt.exe", "U+202E"]),
            copy_named("\u{202e}txt.exe"),
        ),
        case(
            "names/export_name_255_bytes",
            noted(&"n".repeat(251)),
            copy_named(Box::leak(format!("{}.txt", "n".repeat(251)).into_boxed_str())),
        ),
        case("names/seller_argument_dot_dot", all_refused_exit_2(&["--seller", "../acme-home"]), |_| {}),
        case("names/seller_argument_absolute", all_refused_exit_2(&["--seller", "/etc/passwd"]), |_| {}),
        case("names/seller_argument_newline", all_refused_exit_2(&["--seller", "acme-home\nrio-casa"]), |_| {}),
        // A file name cannot exceed 255 bytes (NAME_MAX) nor hold NUL (nor
        // can an argument): the longest a seller id can be asked for is
        // still refused by name.
        case(
            "names/seller_argument_300_bytes",
            all_refused_exit_2(&["--seller", Box::leak("s".repeat(300).into_boxed_str())]),
            |_| {},
        ),
        // A contract whose file name holds a line break: that seller is
        // refused by name, the others are issued.
        case(
            "names/contract_name_with_newline",
            Expect {
                exit: 1,
                contains: vec!["contracts/bad\\nseller.toml".into(), "U+000A".into()],
                ..Expect::default()
            },
            |ws| {
                let text = demo_text("contracts/acme-home.toml").replace("id = \"acme-home\"", "id = \"bad\\nseller\"");
                put(ws, "contracts/bad\nseller.toml", text.as_bytes())
            },
        ),
        case(
            "names/symlink_export_outside_workspace",
            refused("acme-home", &["exports/2026-10/acme-home/linked.txt", "outside the workspace"]),
            move |ws| {
                let target = outside(ws).join("secret.txt");
                fs::copy(ws.join(ACME_SETTLEMENT), &target).unwrap();
                std::os::unix::fs::symlink(&target, ws.join(ACME).join("linked.txt")).unwrap();
            },
        ),
        case(
            "names/symlink_costs_outside_workspace",
            refused("acme-home", &[ACME_COSTS, "outside the workspace"]),
            move |ws| {
                let target = outside(ws).join("ledger.csv");
                fs::rename(ws.join(ACME_COSTS), &target).unwrap();
                std::os::unix::fs::symlink(&target, ws.join(ACME_COSTS)).unwrap();
            },
        ),
        case(
            "names/symlink_contract_outside_workspace",
            refused("acme-home", &["contracts/acme-home.toml", "outside the workspace"]),
            move |ws| {
                let target = outside(ws).join("contract.toml");
                fs::rename(ws.join("contracts/acme-home.toml"), &target).unwrap();
                std::os::unix::fs::symlink(&target, ws.join("contracts/acme-home.toml")).unwrap();
            },
        ),
        case(
            "names/symlink_fx_outside_workspace",
            Expect {
                exit: 1,
                refused: SELLERS.iter().map(|s| s.to_string()).collect(),
                contains: vec!["fx/2026-10.csv".into(), "outside the workspace".into()],
                ..Expect::default()
            },
            move |ws| {
                let target = outside(ws).join("rates.csv");
                fs::rename(ws.join("fx/2026-10.csv"), &target).unwrap();
                std::os::unix::fs::symlink(&target, ws.join("fx/2026-10.csv")).unwrap();
            },
        ),
        case("names/symlink_loop_in_exports", refused("acme-home", &["exports/2026-10/acme-home/loop.txt"]), |ws| {
            std::os::unix::fs::symlink("loop.txt", ws.join(ACME).join("loop.txt")).unwrap()
        }),
        // A link that stays inside the workspace is an ordinary input.
        case("names/symlink_inside_workspace", same_figures("acme-home"), |ws| {
            let kept = ws.join("archive/acme-home-costs.csv");
            fs::create_dir_all(kept.parent().unwrap()).unwrap();
            fs::rename(ws.join(ACME_COSTS), &kept).unwrap();
            std::os::unix::fs::symlink("../../archive/acme-home-costs.csv", ws.join(ACME_COSTS)).unwrap();
        }),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = stored_cases();
    cases.extend(generated_cases());
    cases
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn the_corpus_has_at_least_80_cases_and_every_class_the_issue_names() {
    let cases = all_cases();
    let mut by_class: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &cases {
        *by_class.entry(c.class()).or_default() += 1;
    }
    println!("{} cases by class: {by_class:?}", cases.len());
    assert!(cases.len() >= 80, "{} cases: {by_class:?}", cases.len());
    for class in [
        "truncated",
        "empty",
        "delimiter",
        "columns",
        "numbers",
        "dates",
        "encoding",
        "excel_csv",
        "xlsx",
        "contracts",
        "fx",
        "names",
    ] {
        assert!(by_class.get(class).copied().unwrap_or(0) >= 4, "class {class}: {by_class:?}");
    }
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names repeat");
}

#[test]
fn every_bad_input_is_read_correctly_or_refused_naming_where_and_other_sellers_are_untouched() {
    let _ = clean();
    let cases = all_cases();
    // Cases comparing with another case's statement run after the others.
    let (first, second): (Vec<&Case>, Vec<&Case>) = cases.iter().partition(|c| c.expect.same_figures_as.is_none());
    let statements: Mutex<BTreeMap<String, BTreeMap<String, Vec<u8>>>> = Mutex::default();
    let failures: Mutex<Vec<String>> = Mutex::default();
    let only = std::env::var("KPISEAL_BAD_CASE").ok();
    for batch in [first, second] {
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(case) = batch.get(i) else { break };
                        if only.as_deref().is_some_and(|o| !case.name.contains(o)) {
                            continue;
                        }
                        let (mut wrong, written) =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_case(case))).unwrap_or_else(
                                |_| (vec!["the case's own build or checks panicked".into()], BTreeMap::new()),
                            );
                        if let Some(reference) = &case.expect.same_figures_as {
                            let all = statements.lock().unwrap();
                            for seller in &case.expect.changed {
                                let theirs = all.get(reference).and_then(|s| s.get(seller));
                                match (theirs, written.get(seller)) {
                                    (Some(a), Some(b)) if figures(a) == figures(b) => {}
                                    (Some(_), Some(_)) => {
                                        wrong.push(format!("{seller}'s figures differ from those of {reference}"))
                                    }
                                    _ => wrong.push(format!("no statement of {seller} to compare with {reference}")),
                                }
                            }
                        }
                        statements.lock().unwrap().insert(case.name.clone(), written);
                        if !wrong.is_empty() {
                            failures.lock().unwrap().push(format!("{}:\n  {}", case.name, wrong.join("\n  ")));
                        }
                    }
                });
            }
        });
    }
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} of {} cases wrong:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, failure_persistence: None, ..proptest::prelude::ProptestConfig::default() })]

    /// Any bytes given as one export file, alone or after a real header,
    /// give acme-home a statement or a clean refusal: never a panic, within
    /// the memory cap and the deadline.
    #[test]
    fn any_bytes_as_an_export_file_give_a_statement_or_a_clean_error(
        prefix in 0usize..5,
        body in proptest::collection::vec(proptest::num::u8::ANY, 0..2048),
    ) {
        let headers: [&[u8]; 5] = [
            b"",
            b"settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tamount-type\tamount-description\tamount\tposted-date\n",
            b"Start Date,End Date,Currency,Campaign Name,Ad Group Name,Advertised SKU,Spend,7 Day Total Sales\n",
            "N.\u{ba} de venda;Data da venda;Estado;Unidades;Receita por produtos;Total (BRL)\n".as_bytes(),
            b"PK\x03\x04",
        ];
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        copy_dir(&demo(), &ws);
        let mut bytes = headers[prefix].to_vec();
        bytes.extend(&body);
        put(&ws, &format!("{ACME}/fuzz.txt"), &bytes);
        let e = Expect { args: vec!["--seller".into(), "acme-home".into()], ..Expect::default() };
        let o = run_case_command(&ws, &dir.path().join("out"), &e);
        proptest::prop_assert!(matches!(o.code, Some(0..=2)), "exit {:?}: {}", o.code, o.output);
        proptest::prop_assert!(!o.output.contains("panicked"), "{}", o.output);
    }
}

/// A 2 GiB export (sparse, so it costs neither disk nor time to make):
/// every input is read whole, so it must be refused by its size, by name,
/// before it is read, not by running out of the capped memory.
#[test]
fn a_2_gib_export_is_refused_by_its_size_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    copy_dir(&demo(), &ws);
    let f = fs::File::create(ws.join(ACME).join("huge.txt")).unwrap();
    f.set_len(2 << 30).unwrap();
    let e = Expect { args: vec!["--seller".into(), "acme-home".into()], ..Expect::default() };
    let o = run_case_command(&ws, &dir.path().join("out"), &e);
    assert_eq!(o.code, Some(1), "{}", o.output);
    assert!(
        o.output.contains("exports/2026-10/acme-home/huge.txt: is 2147483648 bytes, more than the 1073741824 bytes"),
        "{}",
        o.output
    );
    assert!(!o.output.contains("panicked"), "{}", o.output);
}
