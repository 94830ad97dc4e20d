//! The marketplaces a seller sells on.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// A marketplace the provider runs stores on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Market {
    /// Amazon.com (US), settling in USD.
    AmazonUs,
    /// Mercado Livre Brasil, settling in BRL.
    #[serde(rename = "mercadolivre_br")]
    MercadoLivreBr,
}

impl Market {
    /// All markets, in the order statements list them.
    pub const ALL: [Market; 2] = [Market::AmazonUs, Market::MercadoLivreBr];

    /// The canonical id used in contracts and statement.json.
    pub fn id(self) -> &'static str {
        match self {
            Market::AmazonUs => "amazon_us",
            Market::MercadoLivreBr => "mercadolivre_br",
        }
    }

    /// The currency the marketplace pays out in.
    pub fn currency(self) -> Currency {
        match self {
            Market::AmazonUs => Currency::Usd,
            Market::MercadoLivreBr => Currency::Brl,
        }
    }

    /// The time zone the marketplace dates its reports in; a row belongs to
    /// the month of its date in this zone unless the contract names another.
    pub fn default_time_zone(self) -> Tz {
        match self {
            Market::AmazonUs => chrono_tz::America::Los_Angeles,
            Market::MercadoLivreBr => chrono_tz::America::Sao_Paulo,
        }
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Market {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "amazon_us" => Ok(Market::AmazonUs),
            "mercadolivre_br" => Ok(Market::MercadoLivreBr),
            other => Err(format!("unknown market {other:?}; expected amazon_us or mercadolivre_br")),
        }
    }
}
