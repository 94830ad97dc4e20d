//! Helpers shared by the end-to-end test binaries. Each binary compiles this
//! module on its own and uses only some of it, hence the `dead_code` allows.

use std::fs;
use std::path::{Path, PathBuf};

/// The bundled demo workspace.
#[allow(dead_code)] // not every test binary starts from the demo folder itself
pub fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
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

/// Whether the third-party `tools` a test runs on kpiseal's output (poppler,
/// qpdf, pyHanko, minisign, ssh-keygen, bagit.py, unzip) are installed. On
/// a machine with only the Rust toolchain the test prints SKIPPED with the
/// missing tools and passes; `.ci/run`, which installs them, sets
/// `KPISEAL_REQUIRE_TOOLS=1`, and then a missing tool fails the test.
#[allow(dead_code)] // used by the binaries that run third-party tools
pub fn tools_present(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|tool| !on_path(tool)).collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!("needs {} (not installed here; .ci/run installs them)", missing.join(", "));
    if std::env::var_os("KPISEAL_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("KPISEAL_REQUIRE_TOOLS=1 but this test {message}");
    }
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    // Past libtest's capture, so a plain `cargo test` shows it.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("SKIPPED {test}: {message}\n").as_bytes());
    false
}

/// Whether `program` is an executable file in a folder of `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let path = dir.join(program);
            path.is_file() && {
                use std::os::unix::fs::PermissionsExt;
                path.metadata().is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
            }
        })
    })
}
