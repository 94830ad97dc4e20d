//! Helpers shared by the end-to-end test binaries. Each binary compiles this
//! module on its own and uses only some of it, hence the `dead_code` allows.

use std::fs;
use std::path::{Path, PathBuf};

/// The bundled demo workspace.
#[allow(dead_code)] // not every test binary starts from the demo folder itself
pub fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// `statement` with its pass-through lines repeated to `n`, each with its own
/// invoice number `INV-0000`, `INV-0001`, …: a long, many-page statement.
#[allow(dead_code)] // used by the binaries that render long statements
pub fn with_pass_through_lines(
    mut statement: kpiseal::statement::Statement,
    n: usize,
) -> kpiseal::statement::Statement {
    let template = statement.pass_through.lines.clone();
    assert!(!template.is_empty(), "the statement has pass-through lines to repeat");
    statement.pass_through.lines = (0..n)
        .map(|i| {
            let mut line = template[i % template.len()].clone();
            line.invoice_no = format!("INV-{i:04}");
            line
        })
        .collect();
    statement
}

/// Copies the tree at `from` into `to` (created if missing), leaving out
/// any `out` folder (statements a local run of the demo wrote, and their
/// register, are not part of a workspace's inputs).
#[allow(dead_code)] // used by the binaries that tamper with a workspace copy
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() && entry.file_name() == "out" {
            continue;
        }
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` (relative path → bytes), sorted by path.
#[allow(dead_code)] // used by the binaries that compare whole output trees
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
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
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The entries of the register `<out>/statements.log`, each without its
/// chain hash (`prev`), sorted: sellers and shards append in whatever order
/// they end, so `prev` differs between runs while the entries do not.
#[allow(dead_code)] // used by the binaries that compare registers
pub fn register_entries(out: &Path) -> Vec<String> {
    let text = fs::read_to_string(out.join("statements.log")).unwrap_or_default();
    let mut entries: Vec<String> = text
        .lines()
        .map(|line| {
            let mut entry: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(entry.as_object_mut().unwrap().remove("prev").is_some(), "every entry is chained: {line}");
            entry.to_string()
        })
        .collect();
    entries.sort();
    entries
}

#[path = "tools.rs"]
mod tools;
#[allow(unused_imports)] // used by the binaries that run third-party tools
pub use tools::{node_packages_present, python_module_present, tools_present};

/// A generated workspace of the demo sellers holding `months` consecutive
/// months ending in October 2026, each issued in turn with `kpiseal run`
/// (each seller's PDF in its contract's language), so each statement's
/// trend reads the ones before it.
#[allow(dead_code)] // used by the binaries about trends and reviews
pub fn issued_months(months: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let opts = kpiseal_generate::GenerateOptions::default();
    kpiseal_generate::generate_months(dir.path(), &opts, months).unwrap();
    let mut periods = vec![opts.period];
    while periods.len() < months {
        periods.insert(0, periods[0].prev());
    }
    for period in periods {
        let done = std::process::Command::new(env!("CARGO_BIN_EXE_kpiseal"))
            .args(["run", "--quiet", "--workspace"])
            .arg(dir.path())
            .args(["--period", &period.to_string()])
            .output()
            .unwrap();
        assert_eq!(done.status.code(), Some(0), "{period}: {}", String::from_utf8_lossy(&done.stderr));
    }
    dir
}
