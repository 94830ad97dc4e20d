//! Sealing and verification of kpiseal statements.
//!
//! This crate knows nothing of KPIs or fees: it signs and checks bytes
//! (a rendered PDF, a manifest) with the provider's Ed25519 key.
//!
//! - [`keys`]: the provider key, its [`keys::KeyId`], its self-signed
//!   certificate and the key files;
//! - [`pdf_signature`]: the PDF's embedded CAdES signature and its check;
//! - [`manifest`]: the evidence manifest (RFC 8785 canonical JSON) and the
//!   re-hashing of the files it lists;
//! - [`minisign`] and [`sshsig`]: detached signatures of the manifest that a
//!   seller checks with `minisign` or `ssh-keygen`, and their Rust verifiers;
//! - [`bag`]: the BagIt evidence bundle and its reproducible zip;
//! - [`merkle`]: RFC 6962 Merkle tree hashes; [`period_manifest`]: the
//!   signed record of a whole period's statements (`kpiseal merge`), whose
//!   root is the Merkle root over the seller manifests' hashes;
//! - [`check`]: the outcome of one verification step;
//! - [`verify`]: everything checkable about a delivered statement, from
//!   exactly the bytes named: its PDF, its folder, its evidence bag or the
//!   bag's zip, or a whole period folder; [`verify_page`]: the same checks
//!   as an offline page (`verify.html`) delivered with every statement.
//!
//! # Checking a statement without kpiseal
//!
//! With the provider's public key files (`provider.cert.pem`,
//! `provider.minisign.pub`, and the `allowed_signers` line from
//! [`sshsig::allowed_signers_line`]):
//!
//! ```sh
//! pyhanko sign validate --trust-replace --trust provider.cert.pem statement.pdf
//! minisign -Vm manifest.json -x manifest.json.minisig -p provider.minisign.pub
//! ssh-keygen -Y verify -f allowed_signers -I kpiseal:<KEYID> -n kpiseal-manifest@v1 \
//!     -s manifest.json.sig < manifest.json
//! bagit.py --validate <bag folder>
//! ```
//!
//! (a draft's namespace is `kpiseal-draft-manifest@v1`), then compare
//! `sha256sum` of each file the manifest's `outputs` lists, and, in the
//! workspace, `sha256sum <path>` of each `inputs`, `contract` and `fx` entry
//! with its `sha256` (paths are relative to the workspace, `/`-separated).

mod atomic_file;
pub mod bag;
pub mod check;
mod chunks;
pub mod keys;
pub mod manifest;
pub mod merkle;
pub mod minisign;
pub mod pdf_signature;
pub mod period_manifest;
mod relpath;
pub mod sshsig;
pub mod verify;
pub mod verify_page;
