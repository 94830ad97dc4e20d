//! The pass-through cost ledger. Being written.
