//! `verify.html`, the offline verifier page (web/verify): the committed
//! build is a fresh build of its source, its modules pass their unit tests,
//! and in Debian's chromium it gives `kpiseal verify`'s verdict on every
//! demo statement (PDF dropped, zip dropped, folder picked) and on each
//! tampered copy, naming the same failed checks. Node and chromium are
//! for these tests only (`.ci/run` installs them; without them the tests
//! print SKIPPED).

mod common;
use common::{copy_dir, demo};
use common::{node_packages_present, tools_present};

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const PERIOD: &str = "2026-10";
const SELLERS: [&str; 3] = ["acme-home", "rio-casa", "sunny-gadgets"];

fn web() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web/verify")
}

fn node(args: &[&str]) -> Output {
    Command::new("node").args(args).current_dir(web()).output().expect("node runs")
}

fn kpiseal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal")).args(args).output().expect("kpiseal runs")
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn the_committed_page_is_a_fresh_build_of_web_verify() {
    if !node_packages_present(&["smol-toml"]) {
        return;
    }
    let out = node(&["build.mjs", "--check"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn the_page_modules_pass_their_unit_tests() {
    if !tools_present(&["node"]) || !node_packages_present(&["smol-toml"]) {
        return;
    }
    let out = node(&["--test", "test/"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("# fail 0"), "{}", text(&out));
}

/// What `kpiseal verify` said: its exit code and each check's name and outcome.
struct CommandVerdict {
    code: i32,
    checks: Vec<(String, bool)>,
    output: String,
}

fn kpiseal_verify(path: &Path, key: Option<&Path>) -> CommandVerdict {
    let mut args = vec!["verify".to_string(), path.display().to_string()];
    if let Some(key) = key {
        args.extend(["--key".to_string(), key.display().to_string()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = kpiseal(&refs);
    let output = text(&out);
    let checks = output
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split("  ").collect();
            match fields.as_slice() {
                ["", "PASS", name, ..] => Some((name.to_string(), true)),
                ["", "FAIL", name, ..] => Some((name.to_string(), false)),
                _ => None,
            }
        })
        .collect();
    CommandVerdict { code: out.status.code().unwrap_or(-1), checks, output }
}

/// One thing dropped on the page, and what `kpiseal verify` is run on for it.
struct Case {
    id: String,
    /// What kpiseal verify checks (the file or folder).
    path: PathBuf,
    /// Dropped as files (true) or picked as a folder.
    dropped: bool,
    /// A key pinned in the page and given to kpiseal verify with --key.
    key: Option<PathBuf>,
    /// The check the page must name as failed, for a tampered copy.
    must_fail: Option<&'static str>,
    screenshots: bool,
}

impl Case {
    fn new(id: impl Into<String>, path: PathBuf, dropped: bool) -> Case {
        Case { id: id.into(), path, dropped, key: None, must_fail: None, screenshots: false }
    }

    fn failing(mut self, check: &'static str) -> Case {
        self.must_fail = Some(check);
        self
    }
}

fn flip(path: &Path, at: usize) {
    let mut bytes = fs::read(path).unwrap();
    bytes[at] ^= 0x01;
    fs::write(path, bytes).unwrap();
}

/// The demo month end, its statements and the tamper matrix of issue 11.
fn cases(root: &Path) -> Vec<Case> {
    let ws = root.join("ws");
    copy_dir(&demo(), &ws);
    let _ = fs::remove_dir_all(ws.join("out"));
    let out = kpiseal(&["run", "--workspace", &ws.display().to_string(), "--period", PERIOD, "--quiet"]);
    assert!(out.status.success(), "{}", text(&out));
    let sellers = ws.join("out").join(PERIOD);
    let mut cases = Vec::new();
    for seller in SELLERS {
        let folder = sellers.join(seller);
        let mut pdf = Case::new(format!("{seller}-pdf"), folder.join("statement.pdf"), true);
        pdf.screenshots = seller == "acme-home";
        cases.push(pdf);
        cases.push(Case::new(format!("{seller}-zip"), folder.join("evidence.zip"), true));
        cases.push(Case::new(format!("{seller}-folder"), folder.clone(), false));
    }
    let tampered = root.join("tampered");
    let copy = |name: &str, from: &Path| -> PathBuf {
        let to = tampered.join(name);
        if from.is_dir() {
            copy_dir(from, &to);
        } else {
            fs::create_dir_all(&to).unwrap();
            fs::copy(from, to.join(from.file_name().unwrap())).unwrap();
        }
        to
    };
    let acme = sellers.join("acme-home");
    let rio = sellers.join("rio-casa");

    let dir = copy("flip-signed", &acme.join("statement.pdf"));
    flip(&dir.join("statement.pdf"), 2000);
    let mut case = Case::new("pdf-byte-flipped-in-signed-range", dir.join("statement.pdf"), true)
        .failing("pdf-signature message-digest");
    case.screenshots = true;
    cases.push(case);

    let dir = copy("flip-signature", &acme.join("statement.pdf"));
    let pdf = fs::read(dir.join("statement.pdf")).unwrap();
    let contents = pdf.windows(11).rposition(|w| w == b"/Contents <").unwrap() + 11;
    // The last signature byte (a hex digit of the Ed25519 countersignature) before the zero padding.
    let end = contents + pdf[contents..].windows(16).position(|w| w == b"0000000000000000").unwrap();
    let mut bytes = pdf.clone();
    bytes[end - 1] = if bytes[end - 1] == b'A' { b'B' } else { b'A' };
    fs::write(dir.join("statement.pdf"), bytes).unwrap();
    cases.push(
        Case::new("pdf-signature-value-changed", dir.join("statement.pdf"), true)
            .failing("pdf-signature countersignature"),
    );

    let dir = copy("appended", &acme.join("statement.pdf"));
    let mut bytes = fs::read(dir.join("statement.pdf")).unwrap();
    bytes.extend_from_slice(b"\n1 0 obj\n(appended after signing)\nendobj\n");
    fs::write(dir.join("statement.pdf"), bytes).unwrap();
    cases.push(Case::new("pdf-bytes-appended", dir.join("statement.pdf"), true).failing("pdf-signature byte-range"));

    let dir = copy("swapped-json", &acme);
    fs::copy(rio.join("statement.json"), dir.join("statement.json")).unwrap();
    cases.push(Case::new("folder-statement-json-swapped", dir, false).failing("output"));

    let dir = copy("other-manifest", &acme);
    fs::copy(rio.join("manifest.json"), dir.join("manifest.json")).unwrap();
    cases.push(Case::new("folder-another-sellers-manifest", dir, false).failing("minisign"));

    let dir = copy("other-signature", &acme);
    fs::copy(rio.join("manifest.json.minisig"), dir.join("manifest.json.minisig")).unwrap();
    cases.push(Case::new("folder-signature-of-another-statement", dir, false).failing("minisign"));

    let dir = copy("truncated-zip", &acme.join("evidence.zip"));
    let bytes = fs::read(dir.join("evidence.zip")).unwrap();
    fs::write(dir.join("evidence.zip"), &bytes[..bytes.len() / 2]).unwrap();
    cases.push(Case::new("zip-truncated", dir.join("evidence.zip"), true).failing("zip"));

    let other_key = root.join("other-key");
    let out = kpiseal(&[
        "keygen",
        "--out",
        &other_key.display().to_string(),
        "--provider",
        "Someone Else",
        "--not-before",
        "2026-01-01",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let mut case =
        Case::new("pdf-pinned-to-another-key", acme.join("statement.pdf"), true).failing("pdf-signature pinned-key");
    case.key = Some(other_key.join("provider.minisign.pub"));
    cases.push(case);
    let mut case = Case::new("folder-pinned-to-another-key", acme.clone(), false).failing("minisign");
    case.key = Some(other_key.join("provider.minisign.pub"));
    cases.push(case);
    let out = kpiseal(&["merge", "--workspace", &ws.display().to_string(), "--period", PERIOD]);
    assert!(out.status.success(), "{}", text(&out));
    cases.push(Case::new("period-folder", sellers.clone(), false));
    let dir = copy("period-with-swapped-json", &sellers);
    fs::copy(rio.join("statement.json"), dir.join("acme-home/statement.json")).unwrap();
    cases.push(Case::new("period-folder-with-a-statement-json-swapped", dir, false).failing("output"));

    let mut case = Case::new("folder-pinned-to-the-demo-key", acme, false);
    case.key = Some(ws.join("keys").join("provider.minisign.pub"));
    cases.push(case);
    cases
}

#[test]
fn in_chromium_the_page_gives_kpiseal_verifys_verdict_on_each_statement_and_tampered_copy() {
    if !tools_present(&["chromium"]) || !node_packages_present(&["smol-toml", "playwright-core"]) {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let cases = cases(root.path());
    let page = root.path().join("verify.html");
    let out = kpiseal(&["verify-page", "--out", &page.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        fs::read(&page).unwrap() == fs::read(web().join("dist/verify.html")).unwrap(),
        "the binary's page is not the committed web/verify/dist/verify.html: rebuild kpiseal"
    );

    let listed: Vec<Value> = cases
        .iter()
        .map(|c| {
            let mut entry = json!({ "id": c.id, "screenshots": c.screenshots });
            if c.dropped {
                entry["drop"] = json!([c.path]);
            } else {
                entry["folder"] = json!(c.path);
            }
            if let Some(key) = &c.key {
                entry["key"] = json!(fs::read_to_string(key).unwrap());
            }
            entry
        })
        .collect();
    let cases_file = root.path().join("cases.json");
    fs::write(&cases_file, serde_json::to_vec(&listed).unwrap()).unwrap();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("verify-page-screenshots");
    fs::create_dir_all(&shots).unwrap();
    let out = node(&[
        "browser/drive.mjs",
        &page.display().to_string(),
        &cases_file.display().to_string(),
        &shots.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), cases.len());

    for (case, page) in cases.iter().zip(&results) {
        let id = &case.id;
        let command = kpiseal_verify(&case.path, case.key.as_deref());
        let verdict = page["verdict"].as_str().unwrap();
        let expected = match command.code {
            0 => "valid",
            3 => "draft",
            _ => "not-valid",
        };
        assert_eq!(
            verdict, expected,
            "{id}: the page says {verdict}, kpiseal verify exits {}\n{}",
            command.code, command.output
        );
        assert_eq!(page["requests"], json!([]), "{id}: the page made a network request");
        let page_checks: BTreeMap<String, bool> = page["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_string(), c["passed"].as_bool().unwrap()))
            .collect::<Vec<_>>()
            .into_iter()
            .fold(BTreeMap::new(), |mut all, (name, passed)| {
                *all.entry(name).or_insert(true) &= passed;
                all
            });
        let mut command_checks: BTreeMap<String, bool> = BTreeMap::new();
        for (name, passed) in &command.checks {
            *command_checks.entry(name.clone()).or_insert(true) &= passed;
        }
        // On every check both name, both say the same.
        let shared: BTreeSet<&String> = page_checks.keys().filter(|n| command_checks.contains_key(*n)).collect();
        assert!(!shared.is_empty() || command.code == 2, "{id}: no check in common\n{}", command.output);
        for name in shared {
            assert_eq!(
                page_checks[name], command_checks[name],
                "{id}: check {name}: page {}, kpiseal verify {}\n{}",
                page_checks[name], command_checks[name], command.output
            );
        }
        match case.must_fail {
            Some(check) => {
                let failed: Vec<&str> = page["failed"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
                assert!(failed.contains(&check), "{id}: the page does not name {check} as failed: {failed:?}");
                if case.key.is_some() {
                    assert_eq!(page["pin"], json!("different"), "{id}: pinned to another key");
                }
            }
            None if id.starts_with("period") => {
                assert!(command.output.contains("4 checked (4 VALID, 0 not)"), "{id}: {}", command.output);
                let statements = page_checks.keys().filter(|n| *n == "statement").count();
                assert_eq!(statements, 1, "{id}: the page verifies each seller folder in full");
            }
            None => {
                let seller = SELLERS.iter().find(|s| id.starts_with(*s)).unwrap_or(&"acme-home");
                let manifest: Value = serde_json::from_slice(
                    &fs::read(root.path().join("ws/out").join(PERIOD).join(seller).join("manifest.json")).unwrap(),
                )
                .unwrap();
                let amount = format!(
                    "{} {}",
                    manifest["figures"]["currency"].as_str().unwrap(),
                    manifest["figures"]["amount_due"].as_str().unwrap()
                );
                assert_eq!(page["amountDue"], json!(amount), "{id}");
                // A PDF alone: kpiseal verify prints no amount; the page reads it from the attached statement.json.
                if case.path.extension().is_none_or(|e| e != "pdf") {
                    assert!(command.output.contains(&format!("amount due {amount}")), "{id}: {}", command.output);
                }
                assert_eq!(page["statementNumber"], manifest["statement_number"], "{id}");
                assert_eq!(page["demo"], json!(true), "{id}: a demo-key statement must say so");
                let pin = if case.key.is_some() { "pinned" } else { "not-pinned" };
                assert_eq!(page["pin"], json!(pin), "{id}");
            }
        }
        eprintln!(
            "{id}: page {verdict} in {} ms, {} checks",
            page["milliseconds"],
            page["checks"].as_array().unwrap().len()
        );
    }
    for id in ["acme-home-pdf", "pdf-byte-flipped-in-signed-range"] {
        for language in ["zh-CN", "en", "pt-BR"] {
            assert!(shots.join(format!("{id}-{language}.png")).is_file(), "screenshot {id}-{language}.png");
        }
    }
}
