//! The key a run signs with: `[signing]` of `kpiseal.toml`, loaded once per
//! run, and the one published demo key that may be used from a file anyone
//! can read (and whose statements say so on every page).

use std::path::PathBuf;

use kpiseal_seal::keys::{KeyId, ProviderKey};

use crate::error::Error;
use crate::statement::SigningBlock;
use crate::workspace::Workspace;

/// The key id of the public demo key in `fixtures/demo/keys/` (which the
/// workspace generator writes into every generated workspace). Its private
/// half is published, so a statement signed with it proves nothing: such
/// statements carry "DEMO KEY — NOT A VALID STATEMENT" on every page, and
/// its key file is accepted at any mode (git does not keep 0600).
pub use kpiseal_seal::keys::DEMO_KEY_ID;

/// The demo key id as a [`KeyId`].
///
/// # Errors
/// [`Error::Internal`] if [`DEMO_KEY_ID`] is not a key id (a unit test
/// checks that it is).
pub fn demo_key_id() -> Result<KeyId, Error> {
    DEMO_KEY_ID.parse().map_err(|e| Error::Internal(format!("DEMO_KEY_ID: {e}")))
}

/// The provider key of a run, with where it was read from.
#[derive(Debug)]
pub struct Signer {
    key: ProviderKey,
    key_path: PathBuf,
    demo: bool,
}

impl Signer {
    /// Reads the key and certificate `[signing]` names (relative to the
    /// workspace) and checks that they belong together. The private key file
    /// must not be open to group or others, unless it holds the demo key.
    ///
    /// # Errors
    /// [`Error::Config`] when `kpiseal.toml` has no `[signing]` (saying to run
    /// `kpiseal keygen`); [`Error::Key`] naming the file and what was wrong
    /// (unreadable, mode too open, not a key, certificate of another key).
    pub fn load(ws: &Workspace) -> Result<Signer, Error> {
        let Some(signing) = &ws.config.signing else {
            return Err(Error::config(
                "kpiseal.toml",
                "signing",
                "missing: statements are signed; make a key with `kpiseal keygen --out <workspace>/keys \
                 --provider <name>` and add [signing] key = \"keys/provider.key\", \
                 certificate = \"keys/provider.cert.pem\"",
            ));
        };
        let key_path = ws.root.join(&signing.key);
        let demo_id = demo_key_id()?;
        let key = ProviderKey::load_allowing(&key_path, &ws.root.join(&signing.certificate), &[demo_id])?;
        Ok(Signer { demo: key.key_id() == demo_id, key, key_path })
    }

    /// Wraps a key already in memory (tests, benchmarks).
    pub fn from_key(key: ProviderKey, key_path: PathBuf) -> Result<Signer, Error> {
        Ok(Signer { demo: key.key_id() == demo_key_id()?, key, key_path })
    }

    pub fn key(&self) -> &ProviderKey {
        &self.key
    }

    /// Where the private key was read from.
    pub fn key_path(&self) -> &std::path::Path {
        &self.key_path
    }

    /// True when this is the published demo key.
    pub fn is_demo(&self) -> bool {
        self.demo
    }

    /// What the statement says about its signature.
    pub fn block(&self) -> SigningBlock {
        SigningBlock { key_id: self.key.key_id().to_string(), demo: self.demo }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_key_id_is_a_key_id() {
        assert_eq!(demo_key_id().unwrap().to_string(), DEMO_KEY_ID);
    }

    #[test]
    fn the_demo_workspace_signs_with_the_demo_key() {
        let ws = Workspace::open(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")).unwrap();
        let signer = Signer::load(&ws).unwrap();
        assert!(signer.is_demo());
        assert_eq!(signer.block(), SigningBlock { key_id: DEMO_KEY_ID.to_string(), demo: true });
    }

    #[test]
    fn a_workspace_without_signing_is_a_configuration_error_pointing_to_keygen() {
        let mut ws = Workspace::open(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")).unwrap();
        ws.config.signing = None;
        let error = Signer::load(&ws).unwrap_err();
        assert!(matches!(error, Error::Config { .. }), "{error}");
        assert!(error.to_string().starts_with("kpiseal.toml: signing: missing"), "{error}");
        assert!(error.to_string().contains("kpiseal keygen"), "{error}");
    }
}
