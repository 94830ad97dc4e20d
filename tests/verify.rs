//! `kpiseal verify` on the demo month end's sealed outputs: the untouched
//! statement verifies from each of its forms, and every tampering is caught
//! and named (exit 1), as the binary reports it.

mod common;
use common::{copy_dir, demo};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PERIOD: &str = "2026-10";

fn kpiseal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal")).args(args).output().unwrap()
}

/// A fresh copy of the demo workspace with its month end run.
fn sealed_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&demo(), dir.path());
    let _ = fs::remove_dir_all(dir.path().join("out"));
    let ws = dir.path().display().to_string();
    let out = kpiseal(&["run", "--workspace", &ws, "--period", PERIOD, "--quiet"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn folder(ws: &Path, seller: &str) -> PathBuf {
    ws.join("out").join(PERIOD).join(seller)
}

/// Runs verify; returns (exit code, stdout + stderr).
fn verify(args: &[&Path], extra: &[&str]) -> (i32, String) {
    let mut cmd: Vec<String> = vec!["verify".into()];
    cmd.extend(args.iter().map(|p| p.display().to_string()));
    cmd.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let out = kpiseal(&refs);
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = fs::read(path).unwrap();
    let i = at.min(bytes.len() - 1);
    bytes[i] ^= 0x20;
    fs::write(path, bytes).unwrap();
}

#[test]
fn an_untouched_statement_verifies_from_each_of_its_forms() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    for path in [
        dir.clone(),
        dir.join("statement.pdf"),
        dir.join("manifest.json"),
        dir.join("evidence"),
        dir.join("evidence.zip"),
    ] {
        let (code, text) = verify(&[&path], &[]);
        assert_eq!(code, 0, "{}:\n{text}", path.display());
        assert!(text.contains("VALID"), "{text}");
        assert!(text.contains("UNPINNED"), "no --key must say unpinned: {text}");
        assert!(text.contains("amount due CNY 249114.47"), "{text}");
    }
}

#[test]
fn a_pinned_key_is_reported_and_inputs_are_rehashed_with_the_workspace() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "sunny-gadgets");
    let key = dir.join("provider.ssh.pub");
    let (code, text) =
        verify(&[&dir], &["--key", &key.display().to_string(), "--workspace", &ws.path().display().to_string()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("pinned: the key given with --key"), "{text}");
    assert!(text.contains("PASS  input"), "{text}");
}

/// Tampers with the statement folder (first path), given another seller's folder.
type Tamper<'a> = &'a dyn Fn(&Path, &Path);

#[test]
fn tampering_with_any_artifact_is_reported_invalid_naming_what_failed() {
    let cases: [(&str, Tamper, &str); 9] = [
        ("pdf byte", &|d, _| flip_byte(&d.join("statement.pdf"), 2000), "pdf-signature"),
        ("json byte", &|d, _| flip_byte(&d.join("statement.json"), 100), "statement.json"),
        ("manifest byte", &|d, _| flip_byte(&d.join("manifest.json"), 60), "minisign"),
        ("minisig byte", &|d, _| flip_byte(&d.join("manifest.json.minisig"), 120), "minisign"),
        ("sshsig byte", &|d, _| flip_byte(&d.join("manifest.json.sig"), 120), "sshsig"),
        (
            "truncated signature",
            &|d, _| {
                let p = d.join("manifest.json.sig");
                let b = fs::read(&p).unwrap();
                fs::write(&p, &b[..b.len() / 2]).unwrap();
            },
            "sshsig",
        ),
        (
            "swapped manifests",
            &|d, other| {
                for name in ["manifest.json", "manifest.json.minisig", "manifest.json.sig"] {
                    fs::copy(other.join(name), d.join(name)).unwrap();
                }
            },
            "output",
        ),
        (
            "swapped pdfs",
            &|d, other| {
                fs::copy(other.join("statement.pdf"), d.join("statement.pdf")).unwrap();
            },
            "statement.pdf",
        ),
        ("bag payload byte", &|d, _| flip_byte(&d.join("evidence/data/statement.json"), 100), "data/statement.json"),
    ];
    for (name, tamper, expected) in cases {
        let ws = sealed_workspace();
        let dir = folder(ws.path(), "acme-home");
        let other = folder(ws.path(), "sunny-gadgets");
        tamper(&dir, &other);
        let target = if name.starts_with("bag") { dir.join("evidence") } else { dir.clone() };
        let (code, text) = verify(&[&target], &[]);
        assert_eq!(code, 1, "{name}: expected invalid\n{text}");
        assert!(text.contains("INVALID"), "{name}: {text}");
        let failing: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("FAIL")).collect();
        assert!(failing.iter().any(|l| l.contains(expected)), "{name}: no failing check naming {expected}:\n{text}");
    }
}

#[test]
fn the_wrong_key_and_a_changed_input_are_caught() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    let keys = tempfile::tempdir().unwrap();
    let out = kpiseal(&["keygen", "--out", &keys.path().display().to_string(), "--provider", "Someone Else"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let wrong = keys.path().join("provider.minisign.pub");
    let (code, text) = verify(&[&dir], &["--key", &wrong.display().to_string()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("FAIL  manifest key-id"), "{text}");

    let export = ws.path().join("exports").join(PERIOD).join("acme-home").join("17723285873.txt");
    flip_byte(&export, 500);
    let (code, text) = verify(&[&dir], &["--workspace", &ws.path().display().to_string()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.lines().any(|l| l.contains("FAIL  input") && l.contains("17723285873.txt")), "{text}");
}

#[test]
fn a_path_that_is_no_statement_cannot_be_checked() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("notes.txt");
    fs::write(&junk, "hello").unwrap();
    assert_eq!(verify(&[&junk], &[]).0, 2);
    assert_eq!(verify(&[&dir.path().join("missing.pdf")], &[]).0, 2);
}
