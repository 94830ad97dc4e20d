// Whether the third-party tools a test runs are installed. Shared by the
// test binaries of both crates (`tests/common`, `crates/seal/tests/common`)
// and the render module's unit tests, which include this file.

/// Whether the third-party `tools` a test runs on kpiseal's output (poppler,
/// qpdf, pyHanko, minisign, ssh-keygen, bagit.py, unzip) are installed. On
/// a machine with only the Rust toolchain the test prints SKIPPED with the
/// missing tools and passes; `.ci/run`, which installs them, sets
/// `KPISEAL_REQUIRE_TOOLS=1`, and then a missing tool fails the test.
#[allow(dead_code)] // each test binary compiles this file; not all of them run tools
pub fn tools_present(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|tool| !on_path(tool)).collect();
    missing.is_empty() || skip_or_fail(&missing)
}

/// Whether Python 3 can import `module`, which PyPI package `package` installs
/// (the PDF/A validator `page-validation` has no command of its own); the same
/// SKIPPED-or-fail rule as [`tools_present`].
#[allow(dead_code)]
pub fn python_module_present(module: &str, package: &str) -> bool {
    let imported = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|output| output.status.success());
    imported || skip_or_fail(&[&format!("python3 with {package}")])
}

/// Prints SKIPPED naming `missing` and returns false, or panics under
/// `KPISEAL_REQUIRE_TOOLS=1`.
#[allow(dead_code)]
fn skip_or_fail(missing: &[&str]) -> bool {
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
#[allow(dead_code)]
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

/// Whether the verifier page's Node packages are installed
/// (`npm ci` in `web/verify`, which `.ci/run` does): `node` on the path and
/// each of `packages` in `web/verify/node_modules`. The same
/// SKIPPED-or-fail rule as [`tools_present`].
#[allow(dead_code)]
pub fn node_packages_present(packages: &[&str]) -> bool {
    if !tools_present(&["node"]) {
        return false;
    }
    let modules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/verify/node_modules");
    let missing: Vec<String> = packages
        .iter()
        .filter(|p| !modules.join(p).join("package.json").is_file())
        .map(|p| format!("npm {p}"))
        .collect();
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    missing.is_empty() || skip_or_fail(&missing)
}
