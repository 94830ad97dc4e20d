//! Relative paths written into signed records (manifests, bag manifests).
//!
//! Such a path is read back by a verifier from a file it does not trust, so
//! it must never reach outside the folder it is joined to.

use std::path::{Path, PathBuf};

/// Why a relative path is refused, or `None` when it is acceptable:
/// non-empty, `/`-separated, not absolute, no `\`, no `.`/`..`/empty
/// component, no control character, no drive prefix such as `C:`.
pub(crate) fn problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("empty path");
    }
    if path.starts_with('/') {
        return Some("absolute path");
    }
    if path.contains('\\') {
        return Some("backslash in path (use /)");
    }
    if path.chars().any(char::is_control) {
        return Some("control character in path");
    }
    if path.split('/').next().is_some_and(|first| first.len() == 2 && first.ends_with(':')) {
        return Some("drive prefix in path");
    }
    for component in path.split('/') {
        match component {
            "" => return Some("empty path component (// or trailing /)"),
            "." | ".." => return Some("`.` or `..` component in path"),
            _ => {}
        }
    }
    None
}

/// `base` joined with the `/`-separated relative `path` (already accepted by [`problem`]).
pub(crate) fn join(base: &Path, path: &str) -> PathBuf {
    let mut joined = base.to_path_buf();
    joined.extend(path.split('/'));
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_relative_paths() {
        for ok in ["a", "exports/2026-10/acme/settlement 1.txt", "data/statement.pdf", "a/.hidden"] {
            assert_eq!(problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn refuses_paths_that_could_escape_or_are_ambiguous() {
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a/./b", "a//b", "a/", "a\\b", "C:/x", "a\nb"] {
            assert!(problem(bad).is_some(), "{bad:?} accepted");
        }
    }
}
