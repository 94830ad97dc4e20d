//! Sealing and verification of kpiseal statements.
//!
//! This crate knows nothing of KPIs or fees: it signs and checks bytes
//! (a rendered PDF, a manifest) with the provider's Ed25519 key.
//!
//! - [`manifest`]: the evidence manifest (RFC 8785 canonical JSON) and the
//!   re-hashing of the files it lists;
//! - [`minisign`] and [`sshsig`]: detached signatures of the manifest that a
//!   seller checks with `minisign` or `ssh-keygen`, and their Rust verifiers;
//! - [`bag`]: the BagIt evidence bundle and its reproducible zip;
//! - [`check`]: the outcome of one verification step.

pub mod bag;
pub mod check;
mod chunks;
pub mod manifest;
pub mod minisign;
mod relpath;
pub mod sshsig;
