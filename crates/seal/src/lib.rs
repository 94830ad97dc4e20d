//! Sealing and verification of kpiseal statements.
//!
//! This crate knows nothing of KPIs or fees: it signs and checks bytes
//! (a rendered PDF, a manifest) with the provider's Ed25519 key.

mod atomic_file;
pub mod keys;
pub mod pdf_signature;
