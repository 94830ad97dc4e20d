//! Helpers shared by the integration tests: a fixed key, and running the
//! third-party tools that must accept what kpiseal writes.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use chrono::NaiveDate;
use kpiseal_seal::keys::{PrivateKey, ProviderKey};

/// A fixed provider key, so that test outputs are reproducible.
pub fn test_key() -> ProviderKey {
    key_from_seed(1)
}

/// A provider key made from a 32-byte seed filled with `seed`.
pub fn key_from_seed(seed: u8) -> ProviderKey {
    let private = PrivateKey::new(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]));
    ProviderKey::with_new_certificate(private, "Acme Cross-Border Services Ltd", issue_date()).expect("certificate")
}

pub fn issue_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date")
}

/// Runs `program args...`, failing the test with a message naming the tool
/// (and what installs it) if it is not installed.
pub fn run_tool(program: &str, args: &[&str], cwd: Option<&Path>, install_hint: &str) -> Output {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    match command.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            panic!("required tool `{program}` is not installed ({install_hint}); .ci/run installs it")
        }
        Err(error) => panic!("cannot run `{program}`: {error}"),
    }
}

/// The tool's stdout and stderr, for assertion messages.
pub fn output_text(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
