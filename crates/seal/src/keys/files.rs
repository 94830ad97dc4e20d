//! The key files `kpiseal keygen` writes and `run`/`verify` read.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use spki::der::pem::LineEnding;
use zeroize::Zeroizing;

use super::public_key::{self, ProviderCertificate, PublicKey};
use super::{KeyError, KeyId, PrivateKey, ProviderKey};
use crate::atomic_file::write_atomically;
use crate::{minisign, sshsig};

/// The private key, PKCS#8 PEM, mode 0600.
pub const PRIVATE_KEY_FILE: &str = "provider.key";
/// The public key, SPKI PEM.
pub const SPKI_PUBLIC_KEY_FILE: &str = "provider.pub.pem";
/// The public key for `minisign -V -p`.
pub const MINISIGN_PUBLIC_KEY_FILE: &str = "provider.minisign.pub";
/// The public key as an OpenSSH line (for `ssh-keygen -Y verify`'s allowed signers).
pub const SSH_PUBLIC_KEY_FILE: &str = "provider.ssh.pub";
/// The self-signed X.509 certificate of the Ed25519 key, PEM.
pub const CERTIFICATE_FILE: &str = "provider.cert.pem";
/// The self-signed certificate of the P-256 key derived from it (see
/// [`super::PadesKey`]), PEM: the PDF signature's signer, for
/// `pyhanko sign validate --trust` and PDF viewers' trust lists.
pub const PADES_CERTIFICATE_FILE: &str = "provider.p256.cert.pem";

/// Where [`save_key_files`] put each file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFiles {
    pub private_key: PathBuf,
    pub spki_public_key: PathBuf,
    pub minisign_public_key: PathBuf,
    pub ssh_public_key: PathBuf,
    pub certificate: PathBuf,
    pub pades_certificate: PathBuf,
}

impl KeyFiles {
    /// The file names in `dir`.
    pub fn in_dir(dir: &Path) -> KeyFiles {
        KeyFiles {
            private_key: dir.join(PRIVATE_KEY_FILE),
            spki_public_key: dir.join(SPKI_PUBLIC_KEY_FILE),
            minisign_public_key: dir.join(MINISIGN_PUBLIC_KEY_FILE),
            ssh_public_key: dir.join(SSH_PUBLIC_KEY_FILE),
            certificate: dir.join(CERTIFICATE_FILE),
            pades_certificate: dir.join(PADES_CERTIFICATE_FILE),
        }
    }

    fn all(&self) -> [&Path; 6] {
        [
            &self.private_key,
            &self.spki_public_key,
            &self.minisign_public_key,
            &self.ssh_public_key,
            &self.certificate,
            &self.pades_certificate,
        ]
    }
}

/// Writes the six key files into `dir` (which must exist): the private key
/// as PKCS#8 PEM created with mode 0600, and the public key as SPKI PEM,
/// minisign public key, OpenSSH line (comment `kpiseal:<KEYID>`), the
/// certificate PEM and the P-256 certificate PEM (mode 0644). Each file is
/// written atomically. Refuses to run, writing nothing, if any of the six
/// files already exists.
pub fn save_key_files(dir: &Path, key: &ProviderKey) -> Result<KeyFiles, KeyError> {
    let files = KeyFiles::in_dir(dir);
    for path in files.all() {
        match fs::symlink_metadata(path) {
            Ok(_) => return Err(KeyError::WouldOverwrite { path: path.to_owned() }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(KeyError::Io { path: path.to_owned(), source }),
        }
    }
    let verifying_key = key.verifying_key();
    let private_pem = key
        .private_key()
        .signing_key()
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|error| KeyError::Encode { what: "PKCS#8 private key", reason: error.to_string() })?;
    let ssh_line = format!("{}\n", sshsig::openssh_public_key_line(&verifying_key));
    let contents: [(&Path, Zeroizing<String>, u32); 6] = [
        (&files.private_key, private_pem, 0o600),
        (&files.spki_public_key, Zeroizing::new(public_key::spki_pem(&verifying_key)?), 0o644),
        (&files.minisign_public_key, Zeroizing::new(minisign::public_key_file(&verifying_key)), 0o644),
        (&files.ssh_public_key, Zeroizing::new(ssh_line), 0o644),
        (&files.certificate, Zeroizing::new(key.certificate().to_pem()?), 0o644),
        (&files.pades_certificate, Zeroizing::new(key.pades_key().certificate_pem()?), 0o644),
    ];
    for (path, text, mode) in &contents {
        write_atomically(path, text.as_bytes(), *mode)
            .map_err(|source| KeyError::Io { path: path.to_path_buf(), source })?;
    }
    Ok(files)
}

/// Reads an Ed25519 private key (PKCS#8 PEM). On Unix, refuses a file whose
/// mode grants any permission to group or others, naming the file and mode.
/// The key bytes never appear in errors.
pub fn load_signing_key(path: &Path) -> Result<PrivateKey, KeyError> {
    load_signing_key_allowing(path, &[])
}

/// Reads an Ed25519 private key like [`load_signing_key`], except that a
/// file open to group or others is accepted when the key it holds is one of
/// `published`: keys whose private half is public by design (a demo key
/// shipped in a repository, where git keeps no 0600 mode). Any other key in
/// such a file is refused exactly as [`load_signing_key`] refuses it.
pub fn load_signing_key_allowing(path: &Path, published: &[KeyId]) -> Result<PrivateKey, KeyError> {
    let io_error = |source| KeyError::Io { path: path.to_owned(), source };
    let mut file = File::open(path).map_err(io_error)?;
    // A file open to others is read only to see whether it holds a published key.
    let too_open = match check_private_mode(path, &file) {
        Ok(()) => None,
        Err(error @ KeyError::PrivateKeyTooOpen { .. }) if !published.is_empty() => Some(error),
        Err(error) => return Err(error),
    };
    let mut text = Zeroizing::new(String::new());
    file.read_to_string(&mut text).map_err(io_error)?;
    let signing = SigningKey::from_pkcs8_pem(text.trim_start_matches('\u{feff}'))
        .map_err(|error| KeyError::NotAPrivateKey { path: path.to_owned(), reason: error.to_string() })?;
    let key = PrivateKey::new(signing);
    match too_open {
        Some(error) if !published.contains(&key.key_id()) => Err(error),
        _ => Ok(key),
    }
}

#[cfg(unix)]
fn check_private_mode(path: &Path, file: &File) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = file.metadata().map_err(|source| KeyError::Io { path: path.to_owned(), source })?;
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(KeyError::PrivateKeyTooOpen { path: path.to_owned(), mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_mode(_path: &Path, _file: &File) -> Result<(), KeyError> {
    Ok(())
}

/// Reads the provider's certificate (PEM) and the Ed25519 key it certifies.
pub fn load_certificate(path: &Path) -> Result<ProviderCertificate, KeyError> {
    let text = fs::read_to_string(path).map_err(|source| KeyError::Io { path: path.to_owned(), source })?;
    ProviderCertificate::from_pem(text.trim_start_matches('\u{feff}').trim())
        .map_err(|reason| KeyError::NotACertificate { path: path.to_owned(), reason })
}

/// Reads a public key in any of the published forms, recognised by content:
/// SPKI PEM, minisign public key, OpenSSH `ssh-ed25519` line or certificate PEM.
pub fn load_public_key(path: &Path) -> Result<PublicKey, KeyError> {
    let bytes = fs::read(path).map_err(|source| KeyError::Io { path: path.to_owned(), source })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| KeyError::UnknownPublicKeyFormat { path: path.to_owned() })?;
    match public_key::parse_public_key(text) {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(KeyError::UnknownPublicKeyFormat { path: path.to_owned() }),
        Err((format, reason)) => Err(KeyError::BadPublicKey { path: path.to_owned(), format, reason }),
    }
}
