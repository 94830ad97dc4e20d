//! `kpiseal check`, the preflight, through the binary: it reports what `run`
//! would do (same figures, same refusals, same notes) and writes nothing.

mod common;
use common::{copy_dir, demo, tree};

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const PERIOD: &str = "2026-10";

fn kpiseal(args: &[&str], workspace: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .arg(args[0])
        .arg("--workspace")
        .arg(workspace)
        .args(["--period", PERIOD])
        .args(&args[1..])
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn seller<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["sellers"].as_array().unwrap().iter().find(|s| s["seller"] == id).unwrap()
}

/// A copy of the demo in which `seller`'s first settlement has a bad amount
/// on line 6 and its cost ledger a bad date on line 3.
fn workspace_with_two_bad_files(ws: &Path) -> (String, String) {
    copy_dir(&demo(), ws);
    let dir = ws.join("exports").join(PERIOD).join("acme-home");
    let mut files: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let settlement = files.into_iter().find(|p| fs::read(p).unwrap().starts_with(b"settlement-id\t")).unwrap();
    let text = fs::read_to_string(&settlement).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let amount = lines[0].split('\t').position(|h| h == "amount").unwrap();
    let mut cells: Vec<String> = lines[5].split('\t').map(str::to_string).collect();
    cells[amount] = "12,34.5".into();
    lines[5] = cells.join("\t");
    fs::write(&settlement, lines.join("\n") + "\n").unwrap();

    let costs = ws.join("costs").join(PERIOD).join("acme-home.csv");
    let text = fs::read_to_string(&costs).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (_, rest) = lines[2].split_once(',').unwrap();
    lines[2] = format!("2026-02-31,{rest}");
    fs::write(&costs, lines.join("\n") + "\n").unwrap();
    let rel = |p: &Path| p.strip_prefix(ws).unwrap().to_string_lossy().into_owned();
    (rel(&settlement), rel(&costs))
}

#[test]
fn check_on_the_demo_lists_the_reconciliation_note_and_exits_1_writing_nothing() {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    let before = tree(ws.path());
    let o = kpiseal(&["check"], ws.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("ok       acme-home"), "{out}");
    assert!(out.contains("ok       sunny-gadgets"), "{out}");
    assert!(out.contains("NOTES    rio-casa"), "{out}");
    assert!(out.contains("  note   ") && out.contains("Vendas_BR_2026-11-01_09-15hs_9742747343.xlsx"), "{out}");
    assert!(out.contains("NOTES    loja-mix"), "{out}");
    assert!(out.ends_with("4 sellers for 2026-10: 0 would be refused, 2 issued with data notes, 2 clean\n"), "{out}");
    assert_eq!(tree(ws.path()), before, "check writes nothing into the workspace");
}

#[test]
fn check_of_clean_sellers_only_exits_0() {
    let o = kpiseal(&["check", "--seller", "acme-home", "--seller", "sunny-gadgets"], &demo());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn check_reports_every_bad_file_of_a_seller_at_once_with_file_and_line() {
    let ws = tempfile::tempdir().unwrap();
    let (settlement, costs) = workspace_with_two_bad_files(ws.path());
    let o = kpiseal(&["check", "--json"], ws.path());
    assert_eq!(o.status.code(), Some(1));
    let report = json(&o);
    let acme = seller(&report, "acme-home");
    assert_eq!(acme["outcome"], "refused");
    let errors: Vec<&str> = acme["errors"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with(&format!("{settlement}:6: column \"amount\"")), "{errors:?}");
    assert!(errors[1].starts_with(&format!("{costs}:3")), "{errors:?}");
    assert_eq!(seller(&report, "sunny-gadgets")["outcome"], "issued", "one bad seller never harms another");
}

#[test]
fn check_and_run_agree_on_every_figure_refusal_and_note() {
    let ws = tempfile::tempdir().unwrap();
    workspace_with_two_bad_files(ws.path());
    let report = json(&kpiseal(&["check", "--json"], ws.path()));
    let out = tempfile::tempdir().unwrap();
    let run = kpiseal(&["run", "--quiet", "--out", out.path().to_str().unwrap()], ws.path());
    assert_eq!(run.status.code(), Some(1));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join(PERIOD).join("batch-summary.json")).unwrap()).unwrap();
    for s in summary["sellers"].as_array().unwrap() {
        let c = seller(&report, s["seller"].as_str().unwrap());
        assert_eq!(c["amount_due"], s["amount_due"], "{}", s["seller"]);
        assert_eq!(c["currency"], s["currency"], "{}", s["seller"]);
        let lines = |class: &str| -> Vec<String> {
            c["notes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["class"] == class)
                .map(|n| {
                    let at: Vec<&str> = n["at"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
                    if at.is_empty() {
                        n["text"].as_str().unwrap().to_string()
                    } else {
                        format!("{} ({})", n["text"].as_str().unwrap(), at.join(", "))
                    }
                })
                .collect()
        };
        assert_eq!(serde_json::json!(lines("data")), s["warnings"], "{}", s["seller"]);
        assert_eq!(serde_json::json!(lines("choice")), s["choices"], "{}", s["seller"]);
        match s["status"].as_str().unwrap() {
            "written" => assert_eq!(c["outcome"], "issued"),
            _ => {
                assert_eq!(c["outcome"], "refused");
                let joined: Vec<&str> = c["errors"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
                assert!(s["error"].as_str().unwrap().ends_with(joined.last().unwrap()), "{s}");
            }
        }
    }
}

#[test]
fn check_exits_2_for_an_unknown_seller_or_workspace() {
    assert_eq!(kpiseal(&["check", "--seller", "nobody"], &demo()).status.code(), Some(2));
    assert_eq!(kpiseal(&["check"], Path::new("/nonexistent")).status.code(), Some(2));
}
