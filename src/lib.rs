//! kpiseal: month-end KPI and fee statements for cross-border marketplace
//! sellers. See ARCHITECTURE.md for the map of this crate.

pub mod batch;
pub mod billed;
pub mod contract;
pub mod dedup;
pub mod error;
pub mod fees;
pub mod fx;
pub mod generate;
pub mod i18n;
pub mod ingest;
pub mod kpi;
pub mod kpi_id;
pub mod ledger;
pub mod lifecycle;
pub mod market;
pub mod merge;
pub mod money;
pub mod notes;
pub mod output;
pub mod period;
pub mod pipeline;
pub mod preflight;
pub mod register;
pub mod render;
pub mod seal_config;
pub mod sealing;
pub mod shard;
pub mod statement;
pub mod strays;
pub mod summary;
pub mod verify_report;
pub mod workspace;
