//! `verify.html`: the offline verifier page (built from `web/verify/`),
//! delivered beside every statement and written on its own by
//! `kpiseal verify-page`.
//!
//! The page is compiled into the binary from the committed build
//! `web/verify/dist/verify.html`; a test checks that the committed build
//! equals a fresh one, so `cargo build` never needs Node.

use std::io;
use std::path::Path;

use ed25519_dalek::VerifyingKey;

use crate::atomic_file::write_atomically;
use crate::minisign;

/// The page as built, with no pinned key.
const BUILT_PAGE: &str = include_str!("../../../web/verify/dist/verify.html");

/// The element the page reads its pinned key from; `null` when none.
const PINNED_KEY_SLOT: &str = r#"<script type="application/json" id="kpiseal-pinned-key">null</script>"#;

/// The page's file name in a statement folder and evidence bag.
pub const VERIFY_PAGE: &str = "verify.html";

/// The verifier page. With `pinned`, the page carries that key's minisign
/// public key file and checks every statement against it (reporting
/// PINNED or DIFFERENT KEY); without, it checks against the key delivered
/// with the files (NOT PINNED) unless the reader pastes one. Deterministic.
pub fn verify_page(pinned: Option<&VerifyingKey>) -> String {
    let Some(key) = pinned else {
        return BUILT_PAGE.to_string();
    };
    // A JSON string inside <script>: `<` escaped so that no `</script>` can end it early.
    let json = serde_json::to_string(&minisign::public_key_file(key)).unwrap_or_else(|_| "null".into());
    let slot =
        format!(r#"<script type="application/json" id="kpiseal-pinned-key">{}</script>"#, json.replace('<', "\\u003c"));
    BUILT_PAGE.replacen(PINNED_KEY_SLOT, &slot, 1)
}

/// Writes [`verify_page`] to `path` atomically (a temporary file beside
/// it, synced, then renamed), readable by all (mode 0644).
///
/// # Errors
/// Why the file could not be written.
pub fn write_verify_page(path: &Path, pinned: Option<&VerifyingKey>) -> io::Result<()> {
    write_atomically(path, verify_page(pinned).as_bytes(), 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    use crate::keys::DEMO_KEY_ID;

    #[test]
    fn the_built_page_has_one_pinned_key_slot_and_no_network_reference() {
        assert_eq!(BUILT_PAGE.matches(PINNED_KEY_SLOT).count(), 1);
        for reference in ["http://", "https://", "src=", "href=", "@import", "fetch(", "XMLHttpRequest", "WebSocket"] {
            assert!(!BUILT_PAGE.contains(reference), "verify.html mentions {reference}");
        }
        assert!(BUILT_PAGE.contains("default-src 'none'"), "the page forbids every request by its CSP");
    }

    #[test]
    fn the_page_knows_the_demo_key_id_kpiseal_marks_statements_with() {
        assert!(BUILT_PAGE.contains(&format!("const DEMO_KEY_ID = '{DEMO_KEY_ID}';")));
    }

    #[test]
    fn a_pinned_page_carries_the_minisign_public_key_file_of_that_key() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        let page = verify_page(Some(&key));
        assert!(!page.contains(PINNED_KEY_SLOT));
        let expected = serde_json::to_string(&minisign::public_key_file(&key)).expect("JSON");
        assert!(page.contains(&format!(r#"id="kpiseal-pinned-key">{expected}</script>"#)));
        assert_eq!(page.len(), BUILT_PAGE.len() - "null".len() + expected.len());
        assert_eq!(verify_page(None), BUILT_PAGE);
    }
}
