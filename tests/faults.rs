//! Faults while a month end writes: a full disk, a read-only output folder,
//! an output folder on another filesystem, `kill -9` at 20 moments of a
//! 50-seller run, two runs of one period at once, and a register edited or
//! cut short by hand. In every case no issued statement is lost or
//! half-written: each seller folder present verifies, and what the register
//! lists is what the folders hold.
//!
//! The disk tests mount a small tmpfs (a real ENOSPC from a real
//! filesystem, rather than an injected writer, so the fsync, rename and
//! cleanup paths are the production ones); they need root, and where
//! `mount` is refused they are skipped with the reason printed.

mod common;
use common::{copy_dir, demo, tree};

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use kpiseal_generate::{GenerateOptions, generate_workspace};
use kpiseal_seal::verify::{Options, Verdict, verify_path};

const PERIOD: &str = "2026-10";

fn run(ws: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["run", "--workspace"])
        .arg(ws)
        .args(["--period", PERIOD, "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

/// A copy of the demo workspace without outputs.
fn demo_copy() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&demo(), ws.path());
    ws
}

/// A tmpfs mounted on a new temporary folder, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `700k`); `None`, with the reason
    /// printed, where this machine does not allow it.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::piped())
            .output();
        match status {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!("SKIPPED: cannot mount a tmpfs here ({})", String::from_utf8_lossy(&o.stderr).trim());
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount ({e})");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) {
        let o = Command::new("mount").args(["-o", &format!("remount,{options}")]).arg(self.path()).output().unwrap();
        assert!(o.status.success(), "remount {options}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Every seller folder under `out/<period>` verifies with the run's key,
/// no temporary folder is left, and every register entry names a folder
/// holding exactly that statement. Returns the sellers present.
fn assert_consistent(out: &Path) -> BTreeSet<String> {
    let period = out.join(PERIOD);
    let mut present = BTreeSet::new();
    for entry in fs::read_dir(&period).into_iter().flatten() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "a temporary folder was left behind: {name}");
        if entry.path().is_dir() {
            let v = verify_path(&entry.path(), &Options::default()).unwrap();
            assert_eq!(
                v.verdict(),
                Verdict::Valid,
                "{name}: {:?}",
                v.checks.iter().filter(|c| !c.passed).collect::<Vec<_>>()
            );
            present.insert(name);
        }
    }
    let register = fs::read_to_string(out.join("statements.log")).unwrap_or_default();
    for line in register.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        let folder = out.join(entry["folder"].as_str().unwrap());
        let manifest = fs::read(folder.join("manifest.json")).unwrap();
        assert_eq!(entry["manifest_sha256"].as_str().unwrap(), kpiseal_seal::manifest::hash_bytes(&manifest).sha256);
    }
    present
}

/// The period folder of a clean run of the demo, for comparing bytes.
fn clean_demo_period() -> BTreeMap<String, Vec<u8>> {
    let ws = demo_copy();
    let out = ws.path().join("clean-out");
    assert_eq!(run(ws.path(), &out, &[]).status.code(), Some(0));
    tree(&out.join(PERIOD))
}

#[test]
fn a_full_disk_fails_sellers_by_name_leaves_nothing_half_written_and_a_rerun_completes() {
    let Some(disk) = Tmpfs::mount("700k") else { return };
    let ws = demo_copy();
    let out = disk.path().join("out");
    let o = run(ws.path(), &out, &["--jobs", "1"]);
    assert!(matches!(o.status.code(), Some(1 | 2)), "{}", text(&o));
    assert!(text(&o).contains("No space left on device"), "{}", text(&o));
    let written = assert_consistent(&out);
    assert!(written.len() < 3, "700 KB cannot hold three statements: {written:?}");

    disk.remount("size=64m");
    let o = run(ws.path(), &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(assert_consistent(&out).len(), 4);
    let mut got = tree(&out.join(PERIOD));
    let mut expected = clean_demo_period();
    for summary in [&mut got, &mut expected] {
        summary.retain(|name, _| !name.starts_with("batch-summary"));
    }
    assert!(got == expected, "after the disk was freed, the statements are a clean run's bytes");
}

#[test]
fn a_read_only_output_folder_is_refused_naming_it_and_nothing_is_written() {
    let Some(disk) = Tmpfs::mount("8m") else { return };
    fs::create_dir(disk.path().join("out")).unwrap();
    disk.remount("ro");
    let ws = demo_copy();
    let out = disk.path().join("out");
    let o = run(ws.path(), &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("Read-only file system") && text(&o).contains(&out.display().to_string()),
        "{}",
        text(&o)
    );
    assert_eq!(fs::read_dir(&out).unwrap().count(), 0);
}

#[test]
fn an_output_folder_on_another_filesystem_gets_the_same_bytes() {
    let shm = Path::new("/dev/shm");
    if !shm.is_dir() {
        eprintln!("SKIPPED: no /dev/shm here");
        return;
    }
    let ws = demo_copy();
    let out = tempfile::tempdir_in(shm).unwrap();
    let o = run(ws.path(), out.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_consistent(out.path());
    assert!(tree(&out.path().join(PERIOD)) == clean_demo_period());
}

/// A workspace of `sellers` small generated sellers.
fn generated(sellers: usize) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let opts = GenerateOptions { sellers, orders: 40, ..GenerateOptions::default() };
    generate_workspace(ws.path(), &opts).unwrap();
    ws
}

/// The outputs minus the run locks and the register, and the register's
/// entries (`common::register_entries`).
fn outputs(out: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    let mut files = tree(out);
    files.retain(|name, _| name != "statements.log" && !name.starts_with(".kpiseal-"));
    (files, common::register_entries(out))
}

#[test]
fn kill_9_at_twenty_moments_of_a_fifty_seller_run_then_resume_gives_the_uninterrupted_bytes() {
    let ws = generated(50);
    let clean_out = ws.path().join("clean");
    let started = Instant::now();
    assert_eq!(run(ws.path(), &clean_out, &["--jobs", "2"]).status.code(), Some(0));
    let took = started.elapsed();
    let expected = outputs(&clean_out);
    assert_eq!(expected.1.len(), 50);

    // Twenty moments spread over the run, in a fixed pseudo-random order.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for attempt in 0..20u32 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let at = took.mul_f64((state % 1000) as f64 / 1000.0);
        let out = ws.path().join(format!("killed-{attempt}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_kpiseal"))
            .args(["run", "--workspace"])
            .arg(ws.path())
            .args(["--period", PERIOD, "--quiet", "--jobs", "2", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let resumed = run(ws.path(), &out, &["--resume", "--jobs", "2"]);
        assert_eq!(resumed.status.code(), Some(0), "kill at {at:?}: {}", text(&resumed));
        let got = outputs(&out);
        assert!(got.0 == expected.0, "kill at {at:?}: some output differs from the uninterrupted run");
        assert_eq!(got.1, expected.1, "kill at {at:?}: the register lists other statements");
        fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn a_second_run_of_a_period_is_refused_while_one_writes_and_the_register_stays_whole() {
    let ws = demo_copy();
    let out = ws.path().join("out-locked");
    fs::create_dir_all(&out).unwrap();
    let held = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.join(".kpiseal-2026-10.lock"))
        .unwrap();
    held.lock().unwrap();
    let o = run(ws.path(), &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("another kpiseal run is writing period 2026-10"), "{}", text(&o));
    assert!(!out.join(PERIOD).exists(), "nothing written while refused");
    drop(held);
    assert_eq!(run(ws.path(), &out, &[]).status.code(), Some(0));

    // Two real runs started together: one writes, any other is refused;
    // each seller is registered once.
    let ws = generated(20);
    let out: PathBuf = ws.path().join("out-race");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_kpiseal"))
            .args(["run", "--workspace"])
            .arg(ws.path())
            .args(["--period", PERIOD, "--quiet", "--out"])
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let results = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    assert!(results.iter().any(|o| o.status.code() == Some(0)), "{}", results.iter().map(text).collect::<String>());
    for o in &results {
        let code = o.status.code();
        assert!(code == Some(0) || (code == Some(2) && text(o).contains("another kpiseal run")), "{}", text(o));
    }
    let register = fs::read_to_string(out.join("statements.log")).unwrap();
    let sellers: Vec<String> = register
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seller"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sellers.len(), sellers.iter().collect::<BTreeSet<_>>().len(), "a seller registered twice");
    assert_eq!(assert_consistent(&out).len(), 20);
}

#[test]
fn a_register_edited_or_cut_short_by_hand_is_refused_naming_it() {
    let ws = demo_copy();
    let out = ws.path().join("out");
    assert_eq!(run(ws.path(), &out, &[]).status.code(), Some(0));
    let register = out.join("statements.log");
    let original = fs::read_to_string(&register).unwrap();

    let edited = original.replacen("\"amount_due\":\"", "\"amount_due\":\"1", 1);
    fs::write(&register, &edited).unwrap();
    let o = run(ws.path(), &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("line 1 or line 2 was edited") && text(&o).contains("hash chain"), "{}", text(&o));

    let lines: Vec<&str> = original.lines().collect();
    let (kept, cut) = lines.split_at(2);
    fs::write(&register, kept.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let cut_seller = serde_json::from_str::<serde_json::Value>(cut[0]).unwrap()["seller"].as_str().unwrap().to_string();
    let o = run(ws.path(), &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("statements.log does not list it") && text(&o).contains(&cut_seller), "{}", text(&o));

    let o = run(ws.path(), &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(fs::read_to_string(&register).unwrap().lines().count(), 4);
    assert_consistent(&out);
}
