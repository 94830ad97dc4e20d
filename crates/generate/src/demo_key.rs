//! The public demo key, written into every generated workspace as
//! `keys/` and named by its `kpiseal.toml`, so that a generated workspace
//! runs as it is. The bytes are the committed `fixtures/demo/keys/` files
//! (made once with `kpiseal keygen`): the demo key is published by design,
//! so embedding it costs no secret, and `fixtures/demo` stays exactly what
//! the generator writes. Its key id is `seal_config::DEMO_KEY_ID`.

use std::fs;
use std::io;

use super::{GenerateSummary, Workspace};

/// `kpiseal.toml`'s `[signing]` section for these files.
pub const SIGNING_SECTION: &str = "\n# The public demo key: statements signed with it say DEMO KEY — NOT A VALID STATEMENT.\n\
[signing]\nkey = \"keys/provider.key\"\ncertificate = \"keys/provider.cert.pem\"\n";

/// (workspace-relative path, bytes, mode).
const FILES: [(&str, &[u8], u32); 6] = [
    ("keys/provider.key", include_bytes!("../../../fixtures/demo/keys/provider.key"), 0o600),
    ("keys/provider.cert.pem", include_bytes!("../../../fixtures/demo/keys/provider.cert.pem"), 0o644),
    ("keys/provider.pub.pem", include_bytes!("../../../fixtures/demo/keys/provider.pub.pem"), 0o644),
    ("keys/provider.minisign.pub", include_bytes!("../../../fixtures/demo/keys/provider.minisign.pub"), 0o644),
    ("keys/provider.ssh.pub", include_bytes!("../../../fixtures/demo/keys/provider.ssh.pub"), 0o644),
    ("keys/provider.p256.cert.pem", include_bytes!("../../../fixtures/demo/keys/provider.p256.cert.pem"), 0o644),
];

/// Writes the demo key files (the private key with mode 0600 on Unix).
pub fn write(ws: &Workspace) -> io::Result<GenerateSummary> {
    let mut summary = GenerateSummary::default();
    for (relative, bytes, mode) in FILES {
        let (path, _) = ws.create(relative)?;
        fs::write(&path, bytes)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        summary.add(GenerateSummary { files: 1, bytes: bytes.len() as u64, ..GenerateSummary::default() });
    }
    Ok(summary)
}
