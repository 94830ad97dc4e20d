//! kpiseal: month-end KPI and fee statements for cross-border marketplace
//! sellers. See ARCHITECTURE.md for the map of this crate.

pub mod contract;
pub mod error;
pub mod fx;
pub mod generate;
pub mod ingest;
pub mod kpi_id;
pub mod market;
pub mod money;
pub mod period;
