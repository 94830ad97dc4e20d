//! Sealing and verification of kpiseal statements.
//!
//! This crate knows nothing of KPIs or fees: it signs and checks bytes
//! (a rendered PDF, a manifest) with the provider's Ed25519 key.
//!
//! - [`manifest`]: the evidence manifest (RFC 8785 canonical JSON) and the
//!   re-hashing of the files it lists;
//! - [`check`]: the outcome of one verification step.

pub mod check;
mod chunks;
pub mod manifest;
mod relpath;
