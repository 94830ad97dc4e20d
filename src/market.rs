//! The markets a seller sells on, as data: each is a site of a marketplace
//! ([`SITES`]), with its currency, its time zone, its display names and
//! (through its marketplace) the export formats it accepts. Adding a market
//! is one entry in [`SITES`] plus its parsers.
//!
//! A market is named by id: `amazon_us`, `amazon_br`, `mercadolivre_br`,
//! `shopee_br`, or `shopify:<store>` for a seller's own Shopify store, of
//! which a seller may have several. A store's currency and time zone are
//! the contract's (`contract.currencies`, `contract.time_zones`): the
//! export writes neither in a way that pins the store's own.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::Currency;

/// The company whose site a market is; its exports share one family of
/// formats whatever the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Marketplace {
    Amazon,
    MercadoLivre,
    Shopee,
    Shopify,
}

impl Marketplace {
    /// The id templates key their per-marketplace texts by, e.g. `mercadolivre`.
    pub fn id(self) -> &'static str {
        match self {
            Marketplace::Amazon => "amazon",
            Marketplace::MercadoLivre => "mercadolivre",
            Marketplace::Shopee => "shopee",
            Marketplace::Shopify => "shopify",
        }
    }
}

/// A market's display name in each statement language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    pub zh_cn: &'static str,
    pub en: &'static str,
    pub pt_br: &'static str,
}

/// One site of a marketplace: an entry of [`SITES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The market id, or its prefix for a site of stores (`shopify`).
    pub id: &'static str,
    pub marketplace: Marketplace,
    /// The currency it pays out in; `None`: each store's own, from the contract.
    pub currency: Option<Currency>,
    /// The zone it dates its reports in; `None`: each store's own, from the contract.
    pub time_zone: Option<Tz>,
    /// Whether a market of this site names a store (`shopify:<store>`).
    pub stores: bool,
    /// Display names; a store's name follows its site's (`Shopify acme-home`).
    pub names: Names,
}

/// Every site kpiseal reads, in the order statements list their markets.
pub const SITES: [Site; 5] = [
    Site {
        id: "amazon_us",
        marketplace: Marketplace::Amazon,
        currency: Some(Currency::Usd),
        time_zone: Some(chrono_tz::America::Los_Angeles),
        stores: false,
        names: Names { zh_cn: "亚马逊美国站", en: "Amazon US", pt_br: "Amazon EUA" },
    },
    Site {
        id: "amazon_br",
        marketplace: Marketplace::Amazon,
        currency: Some(Currency::Brl),
        time_zone: Some(chrono_tz::America::Sao_Paulo),
        stores: false,
        names: Names { zh_cn: "亚马逊巴西站", en: "Amazon BR", pt_br: "Amazon BR" },
    },
    Site {
        id: "mercadolivre_br",
        marketplace: Marketplace::MercadoLivre,
        currency: Some(Currency::Brl),
        time_zone: Some(chrono_tz::America::Sao_Paulo),
        stores: false,
        names: Names { zh_cn: "美客多巴西站", en: "Mercado Livre BR", pt_br: "Mercado Livre BR" },
    },
    Site {
        id: "shopee_br",
        marketplace: Marketplace::Shopee,
        currency: Some(Currency::Brl),
        time_zone: Some(chrono_tz::America::Sao_Paulo),
        stores: false,
        names: Names { zh_cn: "Shopee巴西站", en: "Shopee BR", pt_br: "Shopee BR" },
    },
    Site {
        id: "shopify",
        marketplace: Marketplace::Shopify,
        currency: None,
        time_zone: None,
        stores: true,
        names: Names { zh_cn: "Shopify独立站", en: "Shopify", pt_br: "Shopify" },
    },
];

/// The longest store name a `shopify:<store>` id takes.
pub const MAX_STORE_LEN: usize = 60;

/// A market a seller sells on: a site of [`SITES`], and for a site of
/// stores, the store. Ordered as statements list markets: by site, then
/// store name.
#[derive(Clone, Copy)]
pub struct Market {
    site: u8,
    /// The whole id (`amazon_us`, `shopify:acme-home`), interned.
    id: &'static str,
}

// A site that names no store has one market: its index alone tells it, so
// equality, order and hashing look at the id only for stores (markets are
// compared and hashed for every fact of a month).
impl Market {
    fn store_id(self) -> Option<&'static str> {
        SITES[usize::from(self.site)].stores.then_some(self.id)
    }
}

impl PartialEq for Market {
    fn eq(&self, other: &Self) -> bool {
        self.site == other.site && self.store_id() == other.store_id()
    }
}

impl Eq for Market {}

impl PartialOrd for Market {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Market {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.site.cmp(&other.site).then_with(|| self.store_id().cmp(&other.store_id()))
    }
}

impl std::hash::Hash for Market {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.site.hash(state);
        self.store_id().hash(state);
    }
}

impl Market {
    /// Amazon.com (US), settling in USD.
    pub const AMAZON_US: Market = Market { site: 0, id: "amazon_us" };
    /// Amazon.com.br, settling in BRL.
    pub const AMAZON_BR: Market = Market { site: 1, id: "amazon_br" };
    /// Mercado Livre Brasil, settling in BRL.
    pub const MERCADOLIVRE_BR: Market = Market { site: 2, id: "mercadolivre_br" };
    /// Shopee Brasil, settling in BRL.
    pub const SHOPEE_BR: Market = Market { site: 3, id: "shopee_br" };

    /// The markets of every site that names no store, in statement order.
    pub fn fixed() -> impl Iterator<Item = Market> {
        SITES.iter().enumerate().filter(|(_, s)| !s.stores).map(|(i, s)| Market { site: i as u8, id: s.id })
    }

    /// The market an export of `marketplace` is of when it lies in a
    /// seller's export folder itself, not in a market's folder: the first
    /// site of the marketplace in [`SITES`] (Amazon US, Mercado Livre BR,
    /// Shopee BR), as before markets had folders; `None` for a marketplace
    /// of stores, whose exports name their store by folder.
    pub fn home_of(marketplace: Marketplace) -> Option<Market> {
        Market::fixed().find(|m| m.marketplace() == marketplace)
    }

    /// The Shopify store named `store`.
    ///
    /// # Errors
    /// A message when `store` is not 1 to [`MAX_STORE_LEN`] lower-case ASCII
    /// letters, digits and inner hyphens (a Shopify store handle).
    pub fn shopify(store: &str) -> Result<Market, String> {
        format!("shopify:{store}").parse()
    }

    /// The canonical id used in contracts and statement.json.
    pub fn id(self) -> &'static str {
        self.id
    }

    /// The site this market is of.
    pub fn site(self) -> &'static Site {
        &SITES[usize::from(self.site)]
    }

    /// The marketplace whose site this is.
    pub fn marketplace(self) -> Marketplace {
        self.site().marketplace
    }

    /// The store, for a market of a site of stores.
    pub fn store(self) -> Option<&'static str> {
        self.id.split_once(':').map(|(_, store)| store)
    }

    /// The currency the site pays out in, when the site fixes it; a store's
    /// is the contract's ([`crate::contract::Contract::currency`]).
    pub fn fixed_currency(self) -> Option<Currency> {
        self.site().currency
    }

    /// The zone the site dates its reports in, when the site fixes it; a
    /// store's is the contract's ([`crate::contract::Contract::time_zone`]).
    pub fn default_time_zone(self) -> Option<Tz> {
        self.site().time_zone
    }

    /// The folder of a seller's period exports holding this market's
    /// exports: its id, with a store's `:` written as `-` (`shopify-acme-home`),
    /// which every file system takes.
    pub fn folder(self) -> String {
        self.id.replace(':', "-")
    }

    /// The market whose [`Market::folder`] is `name`.
    pub fn of_folder(name: &str) -> Option<Market> {
        let id = match name.strip_prefix("shopify-") {
            Some(store) => format!("shopify:{store}"),
            None => name.to_string(),
        };
        id.parse().ok()
    }

    /// The display name in `language`, e.g. `Amazon US`, `Shopify acme-home`.
    pub fn name(self, language: crate::contract::Language) -> String {
        use crate::contract::Language;
        let names = self.site().names;
        let site = match language {
            Language::ZhCn => names.zh_cn,
            Language::En => names.en,
            Language::PtBr => names.pt_br,
        };
        match self.store() {
            Some(store) => format!("{site} {store}"),
            None => site.to_string(),
        }
    }
}

/// Store names are few per run (one per contract market), so each id is
/// leaked once and shared: a [`Market`] stays `Copy`.
fn intern(id: &str) -> &'static str {
    static IDS: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut ids = IDS.get_or_init(Mutex::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&known) = ids.get(id) {
        return known;
    }
    let leaked: &'static str = Box::leak(id.to_string().into_boxed_str());
    ids.insert(leaked);
    leaked
}

fn is_store_name(store: &str) -> bool {
    (1..=MAX_STORE_LEN).contains(&store.len())
        && store.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !store.starts_with('-')
        && !store.ends_with('-')
}

impl fmt::Debug for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Market({})", self.id)
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

/// Every market id [`Market::from_str`] takes, for messages.
pub fn expected_ids() -> String {
    let ids: Vec<String> =
        SITES.iter().map(|s| if s.stores { format!("{}:<store>", s.id) } else { s.id.to_string() }).collect();
    ids.join(", ")
}

impl FromStr for Market {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (site_id, store) = match s.split_once(':') {
            Some((site, store)) => (site, Some(store)),
            None => (s, None),
        };
        let unknown = || format!("unknown market {s:?}; expected one of {}", expected_ids());
        let index = SITES.iter().position(|site| site.id == site_id).ok_or_else(unknown)?;
        let site = index as u8;
        match (SITES[index].stores, store) {
            (false, None) => Ok(Market { site, id: SITES[index].id }),
            (true, Some(store)) if is_store_name(store) => Ok(Market { site, id: intern(s) }),
            (true, Some(_)) => Err(format!(
                "market {s:?}: a store name is 1 to {MAX_STORE_LEN} lower-case letters, digits and inner hyphens, as in its myshopify.com address"
            )),
            (true, None) => {
                Err(format!("market {s:?} names no store; write {site_id}:<store>, e.g. {site_id}:acme-home"))
            }
            (false, Some(_)) => Err(unknown()),
        }
    }
}

impl Serialize for Market {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id)
    }
}

impl<'de> Deserialize<'de> for Market {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        id.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_site_id_round_trips_and_the_constants_are_their_sites() {
        for m in Market::fixed() {
            assert_eq!(m.id().parse::<Market>(), Ok(m));
            assert_eq!(Market::of_folder(&m.folder()), Some(m));
        }
        for (m, id) in [
            (Market::AMAZON_US, "amazon_us"),
            (Market::AMAZON_BR, "amazon_br"),
            (Market::MERCADOLIVRE_BR, "mercadolivre_br"),
            (Market::SHOPEE_BR, "shopee_br"),
        ] {
            assert_eq!(id.parse::<Market>(), Ok(m));
            assert_eq!(m.site().id, id);
        }
        assert_eq!(Market::fixed().count(), SITES.iter().filter(|s| !s.stores).count());
    }

    #[test]
    fn a_store_market_keeps_its_store_and_sorts_after_the_sites() {
        let a = Market::shopify("acme-home").unwrap();
        let b: Market = "shopify:acme-home".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.id(), "shopify:acme-home");
        assert_eq!(a.store(), Some("acme-home"));
        assert_eq!(a.folder(), "shopify-acme-home");
        assert_eq!(Market::of_folder("shopify-acme-home"), Some(a));
        assert_eq!(a.fixed_currency(), None);
        let z = Market::shopify("zeta").unwrap();
        let mut all = vec![z, a, Market::SHOPEE_BR, Market::AMAZON_US];
        all.sort();
        assert_eq!(all, [Market::AMAZON_US, Market::SHOPEE_BR, a, z]);
        assert_eq!(a.name(crate::contract::Language::ZhCn), "Shopify独立站 acme-home");
    }

    #[test]
    fn bad_ids_are_refused_saying_what_is_expected() {
        let e = "ebay_us".parse::<Market>().unwrap_err();
        assert!(e.contains("amazon_us, amazon_br, mercadolivre_br, shopee_br, shopify:<store>"), "{e}");
        assert!("shopify".parse::<Market>().unwrap_err().contains("names no store"));
        assert!("shopify:Acme".parse::<Market>().unwrap_err().contains("lower-case"));
        assert!("shopify:-a".parse::<Market>().is_err());
        assert!("amazon_us:x".parse::<Market>().is_err());
        assert!(Market::of_folder("ebay").is_none());
    }

    #[test]
    fn markets_serialize_as_their_ids() {
        let m = Market::shopify("loja-1").unwrap();
        let json = serde_json::to_string(&[Market::AMAZON_BR, m]).unwrap();
        assert_eq!(json, r#"["amazon_br","shopify:loja-1"]"#);
        assert_eq!(serde_json::from_str::<Vec<Market>>(&json).unwrap(), [Market::AMAZON_BR, m]);
    }
}
