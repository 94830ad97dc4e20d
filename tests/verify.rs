//! `kpiseal verify` on the demo month end's sealed outputs, as a seller and
//! as an adversary holding them: the untouched statement verifies from each
//! of its forms, and every tampering, forgery, polyglot, extra file, link,
//! FIFO and bomb ends NOT VALID (exit 1) or refused (exit 2), naming what
//! is wrong, through the binary. README "Verifying a statement" states what
//! VALID means; each test here pins one sentence of it.

mod common;
use common::{copy_dir, demo};

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256, Sha512};

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

/// The provider's public key as the demo workspace holds it, for `--key`.
fn pinned(ws: &Path) -> String {
    ws.join("keys").join("provider.minisign.pub").display().to_string()
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

/// Runs verify on `path` with its address space capped at 1 GiB and a
/// 60-second deadline; returns (exit code, output). A verify that hangs or
/// needs the memory of what it is given fails the test.
#[cfg(unix)]
fn verify_bounded(path: &Path) -> (i32, String) {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_kpiseal"));
    command.args(["verify", &path.display().to_string()]).stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only this child.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 1 << 30, rlim_max: 1 << 30 };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut text = String::new();
            child.stdout.take().unwrap().read_to_string(&mut text).unwrap();
            child.stderr.take().unwrap().read_to_string(&mut text).unwrap();
            return (status.code().unwrap_or(-1), text);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("verify {} did not end within 60 s", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = fs::read(path).unwrap();
    let i = at.min(bytes.len() - 1);
    bytes[i] ^= 0x20;
    fs::write(path, bytes).unwrap();
}

fn failing(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.trim_start().starts_with("FAIL")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn an_untouched_statement_verifies_from_each_of_its_forms_listing_every_file_it_read() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    let pdf_sha = sha256_hex(&fs::read(dir.join("statement.pdf")).unwrap());
    for path in [dir.clone(), dir.join("manifest.json"), dir.join("evidence"), dir.join("evidence.zip")] {
        let (code, text) = verify(&[&path], &[]);
        assert_eq!(code, 0, "{}:\n{text}", path.display());
        assert!(text.trim_end().lines().last().unwrap().trim().starts_with("VALID"), "{text}");
        assert!(text.contains("UNPINNED"), "no --key must say unpinned: {text}");
        assert!(text.contains("amount due CNY 249114.47"), "{text}");
        assert!(text.contains(&format!("statement.pdf  sha256 {pdf_sha}  ")), "{text}");
    }
    let (code, text) = verify(&[&dir.join("statement.pdf")], &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("file       statement.pdf  sha256 {pdf_sha}")), "{text}");
    assert!(text.contains("from the PDF's own certificate: UNPINNED"), "{text}");
    assert!(text.contains("to tie this SHA-256 to a statement number"), "{text}");
    assert!(!text.contains("amount due"), "a PDF alone says nothing it cannot prove: {text}");
}

#[test]
fn a_pinned_key_is_named_as_pinned_for_a_folder_and_a_pdf_and_inputs_are_rehashed() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "sunny-gadgets");
    let (code, text) = verify(&[&dir], &["--key", &pinned(ws.path()), "--workspace", &ws.path().display().to_string()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("pinned: the key given with --key"), "{text}");
    assert!(text.contains("PASS  input"), "{text}");
    let (code, text) = verify(&[&dir.join("statement.pdf")], &["--key", &pinned(ws.path())]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("pinned: the key given with --key") && !text.contains("delivered"), "{text}");
}

/// Tampers with the statement folder (first path), given another seller's folder.
type Tamper<'a> = &'a dyn Fn(&Path, &Path);

#[test]
fn tampering_with_any_artifact_is_reported_not_valid_naming_what_failed() {
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
        assert_eq!(code, 1, "{name}: expected NOT VALID\n{text}");
        assert!(text.contains("NOT VALID"), "{name}: {text}");
        assert!(
            failing(&text).iter().any(|l| l.contains(expected)),
            "{name}: no failing check naming {expected}:\n{text}"
        );
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

/// Before: a re-rendered PDF saved beside the real files verified VALID
/// with the real amount, because verify re-read `statement.pdf` by name.
#[test]
fn a_forged_pdf_beside_the_real_files_is_judged_by_its_own_bytes() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    let json = fs::read_to_string(dir.join("statement.json")).unwrap();
    let forged_json = ws.path().join("forged.json");
    fs::write(&forged_json, json.replace("249114.47", "149114.47")).unwrap();
    let forged = dir.join("statement-final.pdf");
    let out =
        kpiseal(&["render", "--json", &forged_json.display().to_string(), "--out", &forged.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (code, text) = verify(&[&forged], &["--key", &pinned(ws.path())]);
    assert_eq!(code, 1, "{text}");
    assert!(!text.contains("249114.47"), "the real statement's amount must not be shown for another file: {text}");
    assert!(failing(&text).iter().any(|l| l.contains("pdf-signature")), "{text}");

    let (code, text) = verify(&[&dir], &["--key", &pinned(ws.path())]);
    assert_eq!(code, 1, "{text}");
    assert!(failing(&text).iter().any(|l| l.contains("extra  statement-final.pdf")), "{text}");
    let (code, text) = verify(&[&dir], &["--key", &pinned(ws.path()), "--allow-extra"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("EXTRA  statement-final.pdf  covered by no signature"), "{text}");

    // Another seller's genuine statement under this name is what it is.
    fs::copy(folder(ws.path(), "sunny-gadgets").join("statement.pdf"), &forged).unwrap();
    let (code, text) = verify(&[&forged], &["--key", &pinned(ws.path())]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("names final statement") && text.contains("sunny-gadgets"), "{text}");
}

/// Before: `period-manifest-final.json` verified as the real period
/// manifest, and a PDF named `evidence.zip` as the real bag.
#[test]
fn a_manifest_under_another_name_and_a_file_named_for_another_kind_are_refused() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    let renamed = dir.join("manifest-final.json");
    fs::copy(dir.join("manifest.json"), &renamed).unwrap();
    let (code, text) = verify(&[&renamed], &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("verified in its folder under its own name"), "{text}");

    fs::copy(dir.join("statement.pdf"), dir.join("evidence.zip")).unwrap();
    let (code, text) = verify(&[&dir.join("evidence.zip")], &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("named as a zip but its bytes are a PDF"), "{text}");
    let (code, text) = verify(&[&dir], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(failing(&text).iter().any(|l| l.contains("zip  evidence.zip")), "{text}");
}

/// The entries of the real evidence zip, for building forged ones.
fn real_entries(zip_path: &Path) -> zip::ZipArchive<fs::File> {
    zip::ZipArchive::new(fs::File::open(zip_path).unwrap()).unwrap()
}

/// Zip options as kpiseal writes a file entry (issue date 2026-11-01).
fn kpiseal_like() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .last_modified_time(zip::DateTime::from_date_and_time(2026, 11, 1, 0, 0, 0).unwrap())
        .large_file(false)
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .unix_permissions(0o644)
}

/// A copy of the zip at `real` with `extra` (name, bytes) added right
/// after the entry named `after`, and the zip comment `comment`.
fn zip_with(real: &Path, extra: &[(&str, &[u8])], after: &str, first: bool, comment: &str) -> Vec<u8> {
    let mut archive = real_entries(real);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let add = |writer: &mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>| {
        for (name, bytes) in extra {
            if name.ends_with('/') {
                let folder = kpiseal_like().compression_method(zip::CompressionMethod::Stored).compression_level(None);
                writer.add_directory(*name, folder.unix_permissions(0o755)).unwrap();
                continue;
            }
            let options = if first {
                kpiseal_like().compression_method(zip::CompressionMethod::Stored).compression_level(None)
            } else if bytes.len() > 1 << 20 {
                kpiseal_like().compression_level(Some(9))
            } else {
                kpiseal_like()
            };
            writer.start_file(*name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
    };
    if first {
        add(&mut writer);
    }
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).unwrap();
        let name = entry.name().unwrap().to_string();
        writer.raw_copy_file(entry).unwrap();
        if !first && name == after {
            add(&mut writer);
        }
    }
    writer.set_comment(comment.to_string()).unwrap();
    writer.finish().unwrap().into_inner()
}

/// Before: a zip whose first stored entry is a forged PDF, with
/// `startxref` in the zip comment, opened as that PDF in poppler and qpdf
/// and verified VALID as the evidence zip.
#[test]
fn a_zip_that_is_also_a_pdf_is_refused_as_ambiguous() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    let forged = fs::read(folder(ws.path(), "sunny-gadgets").join("statement.pdf")).unwrap();
    let polyglot = zip_with(&dir.join("evidence.zip"), &[("forged.pdf", &forged)], "", true, "startxref\n40\n%%EOF\n");
    let path = ws.path().join("evidence.zip");
    fs::write(&path, &polyglot).unwrap();
    let (code, text) = verify(&[&path], &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("ambiguous"), "{text}");
    let as_pdf = ws.path().join("evidence-polyglot");
    fs::write(&as_pdf, &polyglot).unwrap();
    let (code, text) = verify(&[&as_pdf], &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("ambiguous"), "{text}");
}

/// Before: a statement folder that also held `bagit.txt`, tag files and
/// `data/` was verified as a bag; its own forged top-level files were never read.
#[test]
fn a_statement_folder_that_is_also_a_bag_is_refused_as_ambiguous() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    for name in fs::read_dir(dir.join("evidence")).unwrap() {
        let name = name.unwrap().file_name();
        let from = dir.join("evidence").join(&name);
        if from.is_dir() {
            copy_dir(&from, &dir.join(&name));
        } else {
            fs::copy(&from, dir.join(&name)).unwrap();
        }
    }
    fs::copy(folder(ws.path(), "sunny-gadgets").join("statement.pdf"), dir.join("statement.pdf")).unwrap();
    let (code, text) = verify(&[&dir], &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("ambiguous") && text.contains("manifest.json and bagit.txt"), "{text}");
}

/// Before: extra files in a folder, its bag or its zip did not affect the verdict.
#[test]
fn a_file_no_signature_covers_fails_the_verdict_wherever_it_is() {
    let cases: [(&str, &str); 4] = [
        ("statement (corrected).pdf", "extra  statement (corrected).pdf"),
        ("evidence/data/STATEMENT.PDF", "extra  evidence/data/STATEMENT.PDF"),
        ("evidence/notes.txt", "extra  evidence/notes.txt"),
        ("evidence/data/inputs/extra.csv", "extra  evidence/data/inputs/extra.csv"),
    ];
    for (added, named) in cases {
        let ws = sealed_workspace();
        let dir = folder(ws.path(), "acme-home");
        let path = dir.join(added);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::copy(folder(ws.path(), "sunny-gadgets").join("statement.pdf"), &path).unwrap();
        let (code, text) = verify(&[&dir], &[]);
        assert_eq!(code, 1, "{added}: {text}");
        assert!(failing(&text).iter().any(|l| l.contains(named)), "{added}: {text}");
    }

    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    let forged = fs::read(folder(ws.path(), "sunny-gadgets").join("statement.pdf")).unwrap();
    let zip = zip_with(
        &dir.join("evidence.zip"),
        &[("evidence/data/statement (corrected).pdf", &forged)],
        "evidence/data/provider.ssh.pub",
        false,
        "",
    );
    fs::write(dir.join("evidence.zip"), zip).unwrap();
    let (code, text) = verify(&[&dir.join("evidence.zip")], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(failing(&text).iter().any(|l| l.contains("extra  evidence/data/statement (corrected).pdf")), "{text}");
}

/// Before: `bag-info.txt` was covered by no signature: a changed
/// External-Identifier, with the tag manifests recomputed, verified VALID
/// (and passes `bagit.py --validate`).
#[test]
fn a_rebagged_bag_with_a_changed_bag_info_fails() {
    let ws = sealed_workspace();
    let bag = folder(ws.path(), "acme-home").join("evidence");
    let info = fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    let changed: String = info
        .lines()
        .map(|l| {
            if l.starts_with("External-Identifier:") {
                "External-Identifier: LX-FORGED-0001".to_string()
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect();
    fs::write(bag.join("bag-info.txt"), &changed).unwrap();
    let tags = ["bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt"];
    let sha256: String = tags
        .iter()
        .map(|t| format!("{}  {t}\n", hex::encode(Sha256::digest(fs::read(bag.join(t)).unwrap()))))
        .collect();
    let sha512: String = tags
        .iter()
        .map(|t| format!("{}  {t}\n", hex::encode(Sha512::digest(fs::read(bag.join(t)).unwrap()))))
        .collect();
    fs::write(bag.join("tagmanifest-sha256.txt"), sha256).unwrap();
    fs::write(bag.join("tagmanifest-sha512.txt"), sha512).unwrap();
    let (code, text) = verify(&[&bag], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        failing(&text).iter().any(|l| l.contains("bag tag-file  bag-info.txt") && l.contains("LX-FORGED-0001")),
        "{text}"
    );
}

/// Removes the central directory record of `name` from the zip `bytes`,
/// fixing the end record, so that its local entry is in no directory.
fn hide_local_entry(bytes: &[u8], name: &str) -> Vec<u8> {
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
    let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
    let end = bytes.len() - 22;
    let (count, cd_size, cd_offset) = (u16_at(end + 10), u32_at(end + 12), u32_at(end + 16));
    let mut records = Vec::new();
    let mut at = cd_offset;
    while at < cd_offset + cd_size {
        let len = 46 + u16_at(at + 28) + u16_at(at + 30) + u16_at(at + 32);
        let record_name = &bytes[at + 46..at + 46 + u16_at(at + 28)];
        if record_name != name.as_bytes() {
            records.extend_from_slice(&bytes[at..at + len]);
        }
        at += len;
    }
    let mut out = bytes[..cd_offset].to_vec();
    out.extend_from_slice(&records);
    let mut record = bytes[end..].to_vec();
    record[8..10].copy_from_slice(&((count - 1) as u16).to_le_bytes());
    record[10..12].copy_from_slice(&((count - 1) as u16).to_le_bytes());
    record[12..16].copy_from_slice(&(records.len() as u32).to_le_bytes());
    out.extend_from_slice(&record);
    out
}

/// Before: a zip with two entries of one name, or a local entry missing
/// from the central directory, verified although other zip readers
/// extract the forged copy.
#[test]
fn zip_entries_that_readers_would_extract_differently_are_refused() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    let real = dir.join("evidence.zip");
    let forged = fs::read(folder(ws.path(), "sunny-gadgets").join("statement.pdf")).unwrap();

    let mut duplicate =
        zip_with(&real, &[("evidence/data/statemenX.pdf", &forged)], "evidence/data/statement.pdf", false, "");
    let (from, to) = (b"evidence/data/statemenX.pdf", b"evidence/data/statement.pdf");
    let mut at = 0;
    while let Some(found) = duplicate[at..].windows(from.len()).position(|w| w == from) {
        duplicate[at + found..at + found + from.len()].copy_from_slice(to);
        at += found + from.len();
    }
    let case_folded =
        zip_with(&real, &[("evidence/data/STATEMENT.PDF", &forged)], "evidence/data/statement.pdf", false, "");
    let hidden = hide_local_entry(
        &zip_with(&real, &[("evidence/data/statemenX.pdf", &forged)], "evidence/data/statement.pdf", false, ""),
        "evidence/data/statemenX.pdf",
    );
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("duplicate", duplicate, "appears twice"),
        ("case-folded", case_folded, "are one name to readers that ignore case"),
        ("hidden", hidden, "bytes are in no entry"),
    ];
    for (name, bytes, expected) in cases {
        let path = ws.path().join(format!("{name}.zip"));
        fs::write(&path, bytes).unwrap();
        let (code, text) = verify(&[&path], &[]);
        assert_eq!(code, 2, "{name}: {text}");
        assert!(text.contains(expected), "{name}: {text}");
    }
}

fn merge(ws: &Path) {
    let out = kpiseal(&["merge", "--workspace", &ws.display().to_string(), "--period", PERIOD]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Before: a period manifest verified while a seller's statement under it
/// was replaced: only the seller manifests' hashes were compared.
#[test]
fn a_period_folder_verifies_every_statement_under_it_and_counts_what_it_cannot_find() {
    let ws = sealed_workspace();
    merge(ws.path());
    let period = ws.path().join("out").join(PERIOD);
    let (code, text) = verify(&[&period], &["--key", &pinned(ws.path())]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("statements 4 listed: 4 checked (4 VALID, 0 not), 0 not found"), "{text}");
    assert!(text.contains("RECORD batch-summary.json"), "{text}");

    fs::copy(period.join("sunny-gadgets/statement.pdf"), period.join("acme-home/statement.pdf")).unwrap();
    let (code, text) = verify(&[&period.join("period-manifest.json")], &["--key", &pinned(ws.path())]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("4 checked (3 VALID, 1 not)"), "{text}");
    assert!(failing(&text).iter().any(|l| l.contains("output  acme-home/statement.pdf")), "{text}");

    fs::remove_dir_all(period.join("acme-home")).unwrap();
    let (code, text) = verify(&[&period], &["--key", &pinned(ws.path())]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 checked (3 VALID, 0 not), 1 not found beside the manifest (acme-home)"), "{text}");

    fs::write(period.join("notes.txt"), "x").unwrap();
    let (code, text) = verify(&[&period], &["--key", &pinned(ws.path())]);
    assert_eq!(code, 1, "{text}");
    assert!(failing(&text).iter().any(|l| l.contains("extra  notes.txt")), "{text}");
}

/// Before: drafts were signed like finals, carried the final number and
/// verified VALID without ever saying DRAFT.
#[test]
fn a_draft_says_draft_exits_3_and_never_passes_for_the_final_statement() {
    let ws = sealed_workspace();
    let root = ws.path().display().to_string();
    let out = kpiseal(&["run", "--workspace", &root, "--period", PERIOD, "--quiet", "--draft"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let draft = ws.path().join("out/drafts").join(PERIOD).join("acme-home");
    let final_dir = folder(ws.path(), "acme-home");
    for path in [draft.clone(), draft.join("statement.pdf"), draft.join("evidence.zip")] {
        let (code, text) = verify(&[&path], &["--key", &pinned(ws.path())]);
        assert_eq!(code, 3, "{}: {text}", path.display());
        assert!(text.trim_end().ends_with("checks passed)") && text.contains("DRAFT — NOT A STATEMENT"), "{text}");
    }
    let number = |dir: &Path| -> String {
        let m: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        m["statement_number"].as_str().unwrap().to_string()
    };
    assert_eq!(number(&draft), format!("{}-DRAFT", number(&final_dir)));
    let sig = fs::read_to_string(draft.join("manifest.json.sig")).unwrap();
    assert!(!sig.is_empty());
    let allowed = fs::read_to_string(draft.join("allowed_signers")).unwrap();
    assert!(allowed.contains(r#"namespaces="kpiseal-draft-manifest@v1""#), "{allowed}");

    fs::copy(draft.join("statement.pdf"), final_dir.join("statement.pdf")).unwrap();
    let (code, text) = verify(&[&final_dir], &["--key", &pinned(ws.path())]);
    assert_eq!(code, 1, "{text}");
    assert!(failing(&text).iter().any(|l| l.contains("pdf-signature reason")), "{text}");
}

/// Before: `statement.pdf` as a link to `/dev/zero`, or a FIFO, hung
/// verify; a 1 MB zip holding a 1 GiB entry took 1 GB of memory.
#[cfg(unix)]
#[test]
fn links_fifos_and_bombs_end_at_once_with_a_named_refusal_in_bounded_memory() {
    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    fs::remove_file(dir.join("statement.pdf")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("statement.pdf")).unwrap();
    let (code, text) = verify_bounded(&dir);
    assert_eq!(code, 1, "{text}");
    assert!(
        failing(&text).iter().any(|l| l.contains("statement.pdf") && l.contains("a link (not followed)")),
        "{text}"
    );
    let (code, text) = verify_bounded(&dir.join("statement.pdf"));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("a link; verify never follows links"), "{text}");

    fs::remove_file(dir.join("statement.pdf")).unwrap();
    let fifo = std::ffi::CString::new(dir.join("statement.pdf").display().to_string()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let (code, text) = verify_bounded(&dir);
    assert_eq!(code, 1, "{text}");
    assert!(failing(&text).iter().any(|l| l.contains("statement.pdf") && l.contains("special file")), "{text}");

    let ws = sealed_workspace();
    let dir = folder(ws.path(), "acme-home");
    let inputs = dir.join("evidence/data/inputs");
    fs::create_dir_all(&inputs).unwrap();
    std::os::unix::fs::symlink("/dev/zero", inputs.join("orders.csv")).unwrap();
    let (code, text) = verify_bounded(&dir.join("evidence"));
    assert_eq!(code, 1, "{text}");
    assert!(failing(&text).iter().any(|l| l.contains("inputs/orders.csv") && l.contains("link")), "{text}");

    // 1 GiB of zeros deflates to about 1 MB at level 9.
    let zeros = vec![0u8; 1 << 30];
    let bomb = zip_with(
        &dir.join("evidence.zip"),
        &[("evidence/data/inputs/", &[]), ("evidence/data/inputs/orders.csv", &zeros)],
        "evidence/data/allowed_signers",
        false,
        "",
    );
    drop(zeros);
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    let path = ws.path().join("bomb.zip");
    fs::write(&path, bomb).unwrap();
    let (code, text) = verify_bounded(&path);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("a zip bomb?"), "{text}");
}

/// Before: a PDF whose `/Contents` hex was re-cased verified on its own:
/// the same signature, another file (another SHA-256).
#[test]
fn a_pdf_with_its_signature_spelled_differently_is_another_file_and_fails() {
    let ws = sealed_workspace();
    let pdf = folder(ws.path(), "acme-home").join("statement.pdf");
    let mut bytes = fs::read(&pdf).unwrap();
    let at = bytes.windows(11).rposition(|w| w == b"/Contents <").unwrap() + 11;
    let end = at + bytes[at..].iter().position(|&b| b == b'>').unwrap();
    bytes[at..end].make_ascii_lowercase();
    let recased = ws.path().join("statement.pdf");
    fs::write(&recased, bytes).unwrap();
    let (code, text) = verify(&[&recased], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(failing(&text).iter().any(|l| l.contains("contents-encoding")), "{text}");
}

mod property {
    //! For random single-byte changes and random added files, verify of a
    //! delivered folder, bag or zip never says VALID. In-process, through
    //! the same `verify_path` the binary calls, for speed.

    use super::*;
    use kpiseal_seal::verify::{Options, Verdict, verify_path};
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static SEALED: LazyLock<tempfile::TempDir> = LazyLock::new(sealed_workspace);

    fn pristine() -> PathBuf {
        folder(SEALED.path(), "rio-casa")
    }

    /// Every file under `dir`, relative, sorted.
    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = common::tree(dir).keys().map(PathBuf::from).collect();
        found.sort();
        found
    }

    #[derive(Debug, Clone, Copy)]
    enum Form {
        Folder,
        Bag,
        Zip,
    }

    fn target(dir: &Path, form: Form) -> PathBuf {
        match form {
            Form::Folder => dir.to_path_buf(),
            Form::Bag => dir.join("evidence"),
            Form::Zip => dir.join("evidence.zip"),
        }
    }

    fn never_valid(path: &Path) -> Result<(), TestCaseError> {
        // A refusal (Err) is never VALID either.
        if let Ok(v) = verify_path(path, &Options::default()) {
            prop_assert_ne!(v.verdict(), Verdict::Valid, "{:?}", v.checks);
        }
        Ok(())
    }

    fn form() -> impl Strategy<Value = Form> {
        prop_oneof![Just(Form::Folder), Just(Form::Bag), Just(Form::Zip)]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn a_changed_byte_anywhere_is_never_valid(form in form(), pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), xor in 1u8..=255) {
            let copy = tempfile::tempdir().unwrap();
            copy_dir(&pristine(), copy.path());
            let root = target(copy.path(), form);
            let candidates: Vec<PathBuf> = if root.is_dir() {
                files(&root).into_iter().map(|p| root.join(p)).collect()
            } else {
                vec![root.clone()]
            };
            let file = pick.get(&candidates);
            let mut bytes = fs::read(file).unwrap();
            let i = at.index(bytes.len());
            bytes[i] ^= xor;
            fs::write(file, bytes).unwrap();
            never_valid(&root)?;
        }

        #[test]
        fn an_added_file_anywhere_is_never_valid(folder_pick in 0usize..4, name in "[a-zA-Z0-9 ._-]{1,12}") {
            prop_assume!(name != "." && name != "..");
            let copy = tempfile::tempdir().unwrap();
            copy_dir(&pristine(), copy.path());
            let (root, inside) = match folder_pick {
                0 => (copy.path().to_path_buf(), copy.path().to_path_buf()),
                1 => (copy.path().join("evidence"), copy.path().join("evidence")),
                2 => (copy.path().join("evidence"), copy.path().join("evidence/data")),
                _ => (copy.path().to_path_buf(), copy.path().join("evidence/data/inputs")),
            };
            fs::create_dir_all(&inside).unwrap();
            let path = inside.join(&name);
            prop_assume!(!path.exists());
            fs::write(&path, b"added").unwrap();
            never_valid(&root)?;
        }
    }
}
