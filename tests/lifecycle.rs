//! The month-end batch as finance runs it, through the binary: re-runs are
//! harmless, final statements are never silently regenerated, corrections
//! supersede with a new number, drafts live apart, every final statement is
//! registered, a killed run resumes to the bytes of an uninterrupted one,
//! and the summary and logs say what happened.

mod common;
use common::{copy_dir, demo, tree};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kpiseal::statement::Statement;
use kpiseal_generate::{GenerateOptions, generate_workspace};
use kpiseal_seal::manifest::{Manifest, hash_file};

const PERIOD: &str = "2026-10";

/// A private copy of the demo workspace.
fn demo_copy() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    ws
}

/// `kpiseal run --workspace ws --period 2026-10 <args>`, output captured.
fn run(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["run", "--workspace"])
        .arg(ws)
        .args(["--period", PERIOD])
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn seller_dir(ws: &Path, seller: &str) -> PathBuf {
    ws.join("out").join(PERIOD).join(seller)
}

fn register_lines(ws: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(ws.join("out/statements.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The `--json-log` objects for sellers, by seller id.
fn json_log(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn action_of(log: &[serde_json::Value], seller: &str) -> String {
    let entry = log.iter().find(|e| e["event"] == "seller" && e["seller"] == seller).unwrap();
    entry["action"].as_str().unwrap_or("").to_string()
}

#[test]
fn a_rerun_over_unchanged_inputs_rewrites_the_same_bytes_and_registers_nothing_new() {
    let ws = demo_copy();
    let first = run(ws.path(), &["--quiet"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let before = tree(&ws.path().join("out"));
    assert_eq!(register_lines(ws.path()).len(), 4);

    let again = run(ws.path(), &["--json-log"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let log = json_log(&again);
    for seller in ["acme-home", "rio-casa", "sunny-gadgets"] {
        assert_eq!(action_of(&log, seller), "unchanged");
    }
    assert_eq!(tree(&ws.path().join("out")), before, "every byte, the register and summary included");
}

#[test]
fn changed_inputs_are_refused_over_a_final_statement_until_superseded_with_a_reason() {
    if !common::tools_present(&["pdftotext"]) {
        return;
    }
    let ws = demo_copy();
    assert_eq!(run(ws.path(), &["--quiet"]).status.code(), Some(0));
    let original = tree(&seller_dir(ws.path(), "sunny-gadgets"));
    let old_manifest = fs::read(seller_dir(ws.path(), "sunny-gadgets").join("manifest.json")).unwrap();
    let old_number = Manifest::from_json(&old_manifest).unwrap().statement_number;
    let old_pdf_sha = hash_file(&seller_dir(ws.path(), "sunny-gadgets").join("statement.pdf")).unwrap().sha256;

    // The contract is amended after the statement was issued.
    let contract = ws.path().join("contracts/sunny-gadgets.toml");
    let mut amended = fs::read_to_string(&contract).unwrap();
    amended.push_str("# amended 2026-11-20: typo in the legal name fixed\n");
    fs::write(&contract, amended).unwrap();

    let refused = run(ws.path(), &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let out = text(&refused);
    assert!(out.contains("FAILED") && out.contains("sunny-gadgets"), "{out}");
    assert!(out.contains(&format!("final statement {old_number} was already issued")), "{out}");
    assert!(out.contains("--supersede"), "{out}");
    assert_eq!(tree(&seller_dir(ws.path(), "sunny-gadgets")), original, "the issued statement is untouched");
    let summary = fs::read_to_string(ws.path().join("out").join(PERIOD).join("batch-summary.csv")).unwrap();
    let row = summary.lines().find(|l| l.starts_with("sunny-gadgets,")).unwrap();
    assert!(row.starts_with("sunny-gadgets,failed,") && row.contains("already issued"), "{row}");

    let corrected = run(ws.path(), &["--seller", "sunny-gadgets", "--supersede", "contract amended", "--json-log"]);
    assert_eq!(corrected.status.code(), Some(0), "{}", text(&corrected));
    assert_eq!(action_of(&json_log(&corrected), "sunny-gadgets"), "superseded");
    let dir = seller_dir(ws.path(), "sunny-gadgets");
    let st = Statement::from_json(&fs::read(dir.join("statement.json")).unwrap()).unwrap();
    assert_eq!(st.statement_number, format!("{old_number}-R1"));
    let supersedes = st.supersedes.clone().unwrap();
    assert_eq!(supersedes.statement_number, old_number);
    assert_eq!(supersedes.manifest_sha256, kpiseal_seal::manifest::hash_bytes(&old_manifest).sha256);
    assert_eq!(supersedes.statement_pdf_sha256, old_pdf_sha);
    assert_eq!(supersedes.reason, "contract amended");
    let manifest = Manifest::from_json(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.supersedes, Some(supersedes));
    let archived = ws.path().join("out/superseded").join(PERIOD).join(&old_number);
    assert_eq!(tree(&archived), original, "the superseded statement is kept whole");

    let pdf_text = Command::new("pdftotext").arg(dir.join("statement.pdf")).arg("-").output().expect("pdftotext");
    let printed = String::from_utf8_lossy(&pdf_text.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(printed.contains(&old_number) && printed.contains("contract amended"), "{printed}");

    let verify = Command::new(env!("CARGO_BIN_EXE_kpiseal")).arg("verify").arg(&dir).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(text(&verify).contains(&format!("supersedes {old_number} (manifest SHA-256")), "{}", text(&verify));

    let register = register_lines(ws.path());
    assert_eq!(register.len(), 5);
    let last = register.last().unwrap();
    assert_eq!(last["statement_number"], format!("{old_number}-R1"));
    assert_eq!(last["supersedes"]["reason"], "contract amended");

    // The summary still lists every seller, with the correction's number,
    // and the period merges.
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(ws.path().join("out").join(PERIOD).join("batch-summary.json")).unwrap())
            .unwrap();
    let numbers: Vec<&str> =
        summary["sellers"].as_array().unwrap().iter().map(|s| s["statement_number"].as_str().unwrap()).collect();
    assert_eq!(numbers.len(), 4);
    assert!(numbers.contains(&format!("{old_number}-R1").as_str()), "{numbers:?}");
    let merge = Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["merge", "--workspace"])
        .arg(ws.path())
        .args(["--period", PERIOD])
        .output()
        .unwrap();
    assert_eq!(merge.status.code(), Some(0), "{}", text(&merge));

    // Re-running over the correction is harmless again.
    let rerun = run(ws.path(), &["--json-log"]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    assert_eq!(action_of(&json_log(&rerun), "sunny-gadgets"), "unchanged");
    assert_eq!(register_lines(ws.path()).len(), 5);
}

#[test]
fn supersede_needs_an_issued_statement_and_a_reason() {
    let ws = demo_copy();
    let nothing = run(ws.path(), &["--seller", "rio-casa", "--supersede", "typo"]);
    assert_eq!(nothing.status.code(), Some(1));
    assert!(text(&nothing).contains("nothing to supersede"), "{}", text(&nothing));
    assert!(!seller_dir(ws.path(), "rio-casa").exists());
    assert_eq!(run(ws.path(), &["--seller", "rio-casa", "--quiet"]).status.code(), Some(0));
    let blank = run(ws.path(), &["--seller", "rio-casa", "--supersede", " "]);
    assert_eq!(blank.status.code(), Some(1));
    assert!(text(&blank).contains("needs a reason"), "{}", text(&blank));
    let both = run(ws.path(), &["--draft", "--supersede", "x"]);
    assert_eq!(both.status.code(), Some(2), "--draft and --supersede together are a usage error");
}

#[test]
fn drafts_live_apart_are_overwritten_freely_and_are_never_registered() {
    let ws = demo_copy();
    assert_eq!(run(ws.path(), &["--quiet"]).status.code(), Some(0));
    let finals = tree(&ws.path().join("out").join(PERIOD));
    let contract = ws.path().join("contracts/rio-casa.toml");
    for note in ["# draft 1\n", "# draft 2\n"] {
        let mut text_now = fs::read_to_string(&contract).unwrap();
        text_now.push_str(note);
        fs::write(&contract, text_now).unwrap();
        let draft = run(ws.path(), &["--draft", "--quiet"]);
        assert_eq!(draft.status.code(), Some(0), "{}", text(&draft));
    }
    let drafts = ws.path().join("out/drafts").join(PERIOD);
    assert!(drafts.join("rio-casa/statement.pdf").is_file());
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(drafts.join("batch-summary.json")).unwrap()).unwrap();
    assert_eq!(summary["draft"], true);
    assert_eq!(tree(&ws.path().join("out").join(PERIOD)), finals, "finals untouched by drafts");
    assert_eq!(register_lines(ws.path()).len(), 4);
}

/// A workspace of `sellers` small generated sellers.
fn generated(sellers: usize) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let opts = GenerateOptions { sellers, orders: 60, ..GenerateOptions::default() };
    generate_workspace(ws.path(), &opts).unwrap();
    ws
}

/// The output tree minus the register and the run locks, and the
/// register's entries (`common::register_entries`).
fn outputs_and_register(ws: &Path) -> (std::collections::BTreeMap<String, Vec<u8>>, Vec<String>) {
    let mut files = tree(&ws.join("out"));
    files.retain(|name, _| name != "statements.log" && !name.starts_with(".kpiseal-"));
    (files, common::register_entries(&ws.join("out")))
}

#[test]
fn the_register_lists_a_run_in_seller_order_so_two_runs_write_the_same_bytes() {
    let first = generated(12);
    let second = tempfile::tempdir().unwrap();
    copy_dir(first.path(), second.path());
    for ws in [first.path(), second.path()] {
        let output = run(ws, &["--quiet", "--jobs", "2"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    }
    let register = |ws: &Path| fs::read(ws.join("out").join("statements.log")).unwrap();
    assert_eq!(register(first.path()), register(second.path()), "two runs wrote different registers");
    let sellers: Vec<String> =
        register_lines(first.path()).iter().map(|entry| entry["seller"].as_str().unwrap().to_string()).collect();
    let mut sorted = sellers.clone();
    sorted.sort();
    assert_eq!(sellers.len(), 12);
    assert_eq!(sellers, sorted, "the register is not in seller order");
}

#[test]
fn a_run_killed_at_any_moment_resumes_to_the_bytes_of_an_uninterrupted_run() {
    let clean = generated(12);
    assert_eq!(run(clean.path(), &["--quiet", "--jobs", "2"]).status.code(), Some(0));
    let expected = outputs_and_register(clean.path());
    assert_eq!(expected.1.len(), 12);

    // Kill -9 at a few moments: as soon as the first seller is in place,
    // and mid-way, then resume; each must end with the same bytes.
    for kill_after in [1usize, 6] {
        let ws = tempfile::tempdir().unwrap();
        copy_dir(clean.path(), ws.path());
        fs::remove_dir_all(ws.path().join("out")).ok();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kpiseal"))
            .args(["run", "--workspace"])
            .arg(ws.path())
            .args(["--period", PERIOD, "--quiet", "--jobs", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let period_dir = ws.path().join("out").join(PERIOD);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let done = fs::read_dir(&period_dir)
                .map(|d| d.filter(|e| !e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.')).count())
                .unwrap_or(0);
            if done >= kill_after || Instant::now() > deadline || child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();

        let resumed = run(ws.path(), &["--resume", "--json-log", "--jobs", "2"]);
        assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
        let log = json_log(&resumed);
        let kept = log.iter().filter(|e| e["action"] == "resumed").count();
        assert!(kept <= 12, "{log:?}");
        let got = outputs_and_register(ws.path());
        assert_eq!(got.0.keys().collect::<Vec<_>>(), expected.0.keys().collect::<Vec<_>>(), "kill after {kill_after}");
        assert!(got.0 == expected.0, "kill after {kill_after}: some output differs from the uninterrupted run");
        assert_eq!(got.1, expected.1, "kill after {kill_after}: the register lists the same statements");
    }
}

#[test]
fn resume_redoes_what_a_crash_left_behind_and_keeps_what_verifies() {
    let ws = generated(4);
    assert_eq!(run(ws.path(), &["--quiet"]).status.code(), Some(0));
    let expected = outputs_and_register(ws.path());
    let period_dir = ws.path().join("out").join(PERIOD);
    let sellers: Vec<String> = kpiseal::workspace::Workspace::open(ws.path()).unwrap().sellers().unwrap();

    // A half-written temporary folder, a tampered statement, a missing one.
    fs::create_dir_all(period_dir.join(format!(".{}.tmp-99999/evidence", sellers[0]))).unwrap();
    fs::write(period_dir.join(format!(".{}.tmp-99999/statement.pdf", sellers[0])), b"%PDF-half").unwrap();
    let pdf = period_dir.join(&sellers[1]).join("statement.pdf");
    let mut bytes = fs::read(&pdf).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&pdf, bytes).unwrap();
    fs::remove_dir_all(period_dir.join(&sellers[2])).unwrap();

    let resumed = run(ws.path(), &["--resume", "--json-log"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    let log = json_log(&resumed);
    assert_eq!(action_of(&log, &sellers[0]), "resumed");
    assert_eq!(action_of(&log, &sellers[1]), "unchanged", "a folder that fails verification is redone");
    assert_eq!(action_of(&log, &sellers[2]), "unchanged", "registered but missing: written again");
    assert_eq!(action_of(&log, &sellers[3]), "resumed");
    assert_eq!(outputs_and_register(ws.path()), expected);
}

#[test]
fn the_summary_lists_every_seller_in_json_and_csv_and_the_json_log_ends_with_the_run() {
    let ws = demo_copy();
    fs::write(ws.path().join("contracts/broken.toml"), "[seller]\nid = \"broken\"\n").unwrap();
    let o = run(ws.path(), &["--json-log"]);
    assert_eq!(o.status.code(), Some(1));
    let log = json_log(&o);
    assert_eq!(log.len(), 6, "5 sellers and the run: {log:?}");
    let last = log.last().unwrap();
    assert_eq!(
        (last["event"].as_str(), last["written"].as_u64(), last["failed"].as_u64()),
        (Some("run"), Some(4), Some(1))
    );
    let broken = log.iter().find(|e| e["seller"] == "broken").unwrap();
    assert_eq!(broken["status"], "failed");
    assert!(broken["error"].as_str().unwrap().contains("contracts/broken.toml"));

    let period_dir = ws.path().join("out").join(PERIOD);
    let csv = fs::read_to_string(period_dir.join("batch-summary.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "seller,status,statement_number,currency,amount_due,input_rows,key_id,warnings,choices,error");
    assert_eq!(rows.len(), 6);
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(period_dir.join("batch-summary.json")).unwrap()).unwrap();
    for (row, seller) in rows[1..].iter().zip(json["sellers"].as_array().unwrap()) {
        let cells: Vec<&str> = row.splitn(6, ',').collect();
        assert_eq!(cells[0], seller["seller"]);
        assert_eq!(cells[1], seller["status"]);
        assert_eq!(cells[2], seller["statement_number"].as_str().unwrap_or(""));
        assert_eq!(cells[3], seller["currency"].as_str().unwrap_or(""));
        assert_eq!(cells[4], seller["amount_due"].as_str().unwrap_or(""));
    }
}
