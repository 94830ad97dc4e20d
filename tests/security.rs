//! The security pass, through the binary: nothing outside the workspace is
//! read, nothing outside `--out` is written, text from inputs cannot inject
//! PDF syntax, and the CSV summary is safe to open in a spreadsheet.
//! (`verify` never trusting a delivered key as pinned is pinned in
//! `tests/verify.rs`; private keys never leaving their file, and being
//! refused when readable by others, in `crates/seal/tests/key_files.rs`.)

mod common;
use common::{copy_dir, demo, tree};

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const PERIOD: &str = "2026-10";

fn run(ws: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["run", "--workspace"])
        .arg(ws)
        .args(["--period", PERIOD, "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

/// A folder holding a copy of the demo workspace as `ws/`.
fn sandbox() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    copy_dir(&demo(), &root.path().join("ws"));
    root
}

#[cfg(unix)]
#[test]
fn an_input_that_links_outside_the_workspace_or_is_a_fifo_is_refused_by_name() {
    let root = sandbox();
    let ws = root.path().join("ws");
    let secret = root.path().join("secret.txt");
    fs::write(&secret, "not an export").unwrap();
    let exports = ws.join("exports").join(PERIOD);
    std::os::unix::fs::symlink(&secret, exports.join("acme-home").join("17723285873-copy.txt")).unwrap();
    let fifo = std::ffi::CString::new(exports.join("sunny-gadgets").join("pipe.txt").display().to_string()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);

    let out = root.path().join("out");
    let o = run(&ws, &out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let said = text(&o);
    assert!(said.contains("17723285873-copy.txt") && said.contains("outside the workspace"), "{said}");
    assert!(said.contains("pipe.txt") && said.contains("not a regular file"), "{said}");
    assert!(!out.join(PERIOD).join("acme-home").exists() && !out.join(PERIOD).join("sunny-gadgets").exists());
    assert!(out.join(PERIOD).join("rio-casa").join("statement.pdf").is_file(), "the other seller is unaffected");

    // A link inside the workspace is an input like any other.
    fs::remove_file(exports.join("acme-home").join("17723285873-copy.txt")).unwrap();
    fs::remove_file(exports.join("sunny-gadgets").join("pipe.txt")).unwrap();
    fs::rename(exports.join("acme-home").join("17723285873.txt"), ws.join("moved.txt")).unwrap();
    std::os::unix::fs::symlink(ws.join("moved.txt"), exports.join("acme-home").join("17723285873.txt")).unwrap();
    let o = run(&ws, &root.path().join("out2"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn a_run_writes_only_under_out_and_leaves_the_workspace_unchanged() {
    let root = sandbox();
    let ws = root.path().join("ws");
    let before = tree(&ws);
    let out = root.path().join("out");
    assert_eq!(run(&ws, &out).status.code(), Some(0));
    assert_eq!(tree(&ws), before, "the workspace is read, never written");
    let mut top: Vec<String> =
        fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    top.sort();
    assert_eq!(top, ["out", "ws"], "nothing beside --out");
}

#[test]
fn text_from_inputs_cannot_inject_pdf_syntax_or_xml() {
    let root = sandbox();
    let ws = root.path().join("ws");
    let contract = ws.join("contracts").join("acme-home.toml");
    let hostile = r#"Evil) Tj ET /Evil <</S /JavaScript /JS (app.alert(1))>> BT (x]]></x:xmpmeta><evil/>&amp;"#;
    let original = fs::read_to_string(&contract).unwrap();
    let escaped = hostile.replace('\\', "\\\\").replace('"', "\\\"");
    fs::write(&contract, original.replacen("深圳市艾克美家居有限公司", &escaped, 1)).unwrap();
    let out = root.path().join("out");
    let o = run(&ws, &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let pdf_path = out.join(PERIOD).join("acme-home").join("statement.pdf");
    let doc = lopdf::Document::load(&pdf_path).expect("the PDF still parses");
    for object in doc.objects.values() {
        if let Ok(dict) = object.as_dict().or_else(|_| object.as_stream().map(|s| &s.dict)) {
            assert!(dict.get(b"JS").is_err() && dict.get(b"JavaScript").is_err(), "an injected action: {dict:?}");
        }
    }
    for page in doc.get_pages().values() {
        let content = doc.get_page_content(*page);
        let content = String::from_utf8_lossy(&content);
        assert!(
            !content.contains("/Evil") && !content.contains("JavaScript"),
            "input text reached a content stream as syntax"
        );
    }
    let xmp = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .find(|s| s.dict.get(b"Subtype").ok().and_then(|v| v.as_name().ok()) == Some(b"XML"))
        .map(|s| String::from_utf8_lossy(&s.content).to_string())
        .expect("an XMP packet");
    assert!(!xmp.contains("<evil/>") && !xmp.contains("]]></x:xmpmeta><"), "input text reached the XMP as markup");
    let statement: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join(PERIOD).join("acme-home").join("statement.json")).unwrap()).unwrap();
    assert_eq!(statement["seller"]["legal_name"], hostile, "the name itself is kept, byte for byte");
}

#[test]
fn the_csv_summary_neutralises_formula_openers_from_inputs() {
    let root = sandbox();
    let ws = root.path().join("ws");
    let contracts = ws.join("contracts");
    fs::rename(contracts.join("rio-casa.toml"), contracts.join("=HYPERLINK(1).toml")).unwrap();
    let out = root.path().join("out");
    let o = run(&ws, &out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let csv = fs::read_to_string(out.join(PERIOD).join("batch-summary.csv")).unwrap();
    let row = csv.lines().find(|l| l.contains("HYPERLINK")).expect("the seller's row");
    assert!(row.starts_with("'=HYPERLINK(1),failed,"), "{row}");
    assert!(!csv.lines().any(|l| l.starts_with(['=', '+', '@'])), "{csv}");
}

#[test]
fn an_input_larger_than_the_read_limit_is_refused_by_name_before_it_is_read() {
    let root = sandbox();
    let ws = root.path().join("ws");
    let huge = ws.join("exports").join(PERIOD).join("acme-home").join("huge-settlement.txt");
    // Sparse: 1.5 GiB long, no disk used; reading it would take 1.5 GiB of memory.
    fs::File::create(&huge).unwrap().set_len(3 << 29).unwrap();
    let out = root.path().join("out");
    let o = run(&ws, &out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let said = text(&o);
    assert!(said.contains("huge-settlement.txt") && said.contains("more than the 1073741824 bytes (1 GiB)"), "{said}");
    assert!(out.join(PERIOD).join("sunny-gadgets").join("statement.pdf").is_file(), "the other sellers are unaffected");
}
