//! One verification step and its outcome, as `kpiseal verify` prints it.

use std::fmt;

/// The outcome of checking one thing (a file's hash, a bag's Payload-Oxum, …).
///
/// Verifiers never stop at the first failure: they return every check, so a
/// reviewer sees all that differs. `expected` and `actual` are short texts
/// (e.g. `sha256 3a7b… (1234 bytes)`); a file that cannot be read has
/// `actual` = `missing` or `unreadable: <reason>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What kind of check, e.g. `output`, `input`, `contract`, `fx`, `bag payload sha256`.
    pub name: String,
    /// The file (or bag element) checked, as the manifest or bag names it.
    pub path: String,
    /// What the signed record says.
    pub expected: String,
    /// What was found.
    pub actual: String,
    /// True when `actual` matches `expected`.
    pub passed: bool,
}

impl Check {
    /// A check that passed.
    pub fn pass(name: impl Into<String>, path: impl Into<String>, expected: impl Into<String>) -> Check {
        let expected = expected.into();
        Check { name: name.into(), path: path.into(), actual: expected.clone(), expected, passed: true }
    }

    /// A check that failed.
    pub fn fail(
        name: impl Into<String>,
        path: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Check {
        Check { name: name.into(), path: path.into(), expected: expected.into(), actual: actual.into(), passed: false }
    }

    /// A check that passes exactly when `expected == actual`.
    pub fn compare(
        name: impl Into<String>,
        path: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Check {
        let (expected, actual) = (expected.into(), actual.into());
        let passed = expected == actual;
        Check { name: name.into(), path: path.into(), expected, actual, passed }
    }
}

impl fmt::Display for Check {
    /// `PASS  output  statement.pdf  sha256 … (n bytes)` or
    /// `FAIL  output  statement.pdf  expected …, found …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.passed {
            write!(f, "PASS  {}  {}  {}", self.name, self.path, self.expected)
        } else {
            write!(f, "FAIL  {}  {}  expected {}, found {}", self.name, self.path, self.expected, self.actual)
        }
    }
}

/// True when every check passed (and there is at least one).
pub fn all_passed(checks: &[Check]) -> bool {
    !checks.is_empty() && checks.iter().all(|c| c.passed)
}
