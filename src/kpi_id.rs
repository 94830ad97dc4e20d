//! The canonical KPI ids of DOMAIN.md.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A KPI, by its canonical id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiId {
    Gmv,
    GmvAttainment,
    Orders,
    Units,
    RefundRate,
    ReturnRate,
    CancelRate,
    DisputeRate,
    LateShipmentRate,
    AdSpend,
    Acos,
    Roas,
    Tacos,
    PlatformFees,
    NetProceeds,
    NegativeFeedbackRate,
    ConversionRate,
    InventoryTurnoverDays,
}

impl KpiId {
    /// Every KPI, in the order the scorecard lists them.
    pub const ALL: [KpiId; 18] = [
        KpiId::Gmv,
        KpiId::GmvAttainment,
        KpiId::Orders,
        KpiId::Units,
        KpiId::RefundRate,
        KpiId::ReturnRate,
        KpiId::CancelRate,
        KpiId::DisputeRate,
        KpiId::LateShipmentRate,
        KpiId::AdSpend,
        KpiId::Acos,
        KpiId::Roas,
        KpiId::Tacos,
        KpiId::PlatformFees,
        KpiId::NetProceeds,
        KpiId::NegativeFeedbackRate,
        KpiId::ConversionRate,
        KpiId::InventoryTurnoverDays,
    ];

    /// The canonical id, e.g. `dispute_rate`.
    pub fn id(self) -> &'static str {
        match self {
            KpiId::Gmv => "gmv",
            KpiId::GmvAttainment => "gmv_attainment",
            KpiId::Orders => "orders",
            KpiId::Units => "units",
            KpiId::RefundRate => "refund_rate",
            KpiId::ReturnRate => "return_rate",
            KpiId::CancelRate => "cancel_rate",
            KpiId::DisputeRate => "dispute_rate",
            KpiId::LateShipmentRate => "late_shipment_rate",
            KpiId::AdSpend => "ad_spend",
            KpiId::Acos => "acos",
            KpiId::Roas => "roas",
            KpiId::Tacos => "tacos",
            KpiId::PlatformFees => "platform_fees",
            KpiId::NetProceeds => "net_proceeds",
            KpiId::NegativeFeedbackRate => "negative_feedback_rate",
            KpiId::ConversionRate => "conversion_rate",
            KpiId::InventoryTurnoverDays => "inventory_turnover_days",
        }
    }
}

impl fmt::Display for KpiId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
