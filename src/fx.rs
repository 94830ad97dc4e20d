//! FX table. Being written.
