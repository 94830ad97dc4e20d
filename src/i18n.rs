//! The statement's words and number/date conventions per language, read
//! from `templates/<language>.toml` (compiled into the binary). No label
//! text lives in Rust code: the renderer asks a [`Catalog`] for keys.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::contract::Language;
use crate::kpi::{Note, RATIO_PRINT_DP, Scope};
use crate::kpi_id::KpiId;
use crate::market::Market;
use crate::money::RoundingMode;
use crate::notes::{NoteKind, Param};

/// The template sources, one per language.
const SOURCES: [(Language, &str); 3] = [
    (Language::ZhCn, include_str!("../templates/zh-CN.toml")),
    (Language::En, include_str!("../templates/en.toml")),
    (Language::PtBr, include_str!("../templates/pt-BR.toml")),
];

/// A label the templates lack, or a template that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("templates/{language}.toml has no key `{key}`")]
    Missing { language: &'static str, key: String },
    #[error("templates/{language}.toml: {message}")]
    Invalid { language: &'static str, message: String },
}

/// One language's labels (flattened to dotted keys, e.g. `columns.amount`)
/// and its number and date conventions.
#[derive(Debug, Clone)]
pub struct Catalog {
    language: Language,
    labels: BTreeMap<String, String>,
    decimal_separator: String,
    group_separator: String,
    date_pattern: String,
}

impl Catalog {
    /// The catalog of `language`, parsed once per process.
    ///
    /// # Errors
    /// [`LabelError::Invalid`] if the compiled-in template does not parse
    /// (a test parses every template, so a release never hits it).
    pub fn get(language: Language) -> Result<&'static Catalog, LabelError> {
        static CATALOGS: OnceLock<Vec<Result<Catalog, LabelError>>> = OnceLock::new();
        let all = CATALOGS.get_or_init(|| SOURCES.iter().map(|(l, src)| Catalog::parse(*l, src)).collect());
        let index = SOURCES.iter().position(|(l, _)| *l == language).unwrap_or(0);
        all[index].as_ref().map_err(Clone::clone)
    }

    /// Parses one template file.
    pub fn parse(language: Language, source: &str) -> Result<Catalog, LabelError> {
        let invalid = |message: String| LabelError::Invalid { language: language.tag(), message };
        let table: toml::Table = source.parse().map_err(|e: toml::de::Error| invalid(e.to_string()))?;
        let mut labels = BTreeMap::new();
        flatten("", &table, &mut labels).map_err(invalid)?;
        let locale = |key: &str| {
            labels.get(&format!("locale.{key}")).cloned().ok_or_else(|| invalid(format!("missing locale.{key}")))
        };
        Ok(Catalog {
            language,
            decimal_separator: locale("decimal_separator")?,
            group_separator: locale("group_separator")?,
            date_pattern: locale("date")?,
            labels,
        })
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// Every key, for the completeness test.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.labels.keys().map(String::as_str)
    }

    /// The label at `key`.
    ///
    /// # Errors
    /// [`LabelError::Missing`] naming the language file and the key.
    pub fn text(&self, key: &str) -> Result<&str, LabelError> {
        self.labels
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| LabelError::Missing { language: self.language.tag(), key: key.to_string() })
    }

    /// The label at `key` with each `{name}` replaced by its value.
    ///
    /// # Errors
    /// As [`Catalog::text`].
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> Result<String, LabelError> {
        Ok(fill(self.text(key)?, args))
    }

    /// `value` with this language's separators, keeping its scale, e.g.
    /// `1234.5` → `1,234.5` (en) or `1.234,5` (pt-BR).
    pub fn number(&self, value: Decimal) -> String {
        let text = value.to_string();
        let (sign, digits) = match text.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", text.as_str()),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let mut out = String::with_capacity(text.len() + int.len() / 3 + 1);
        out.push_str(sign);
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push_str(&self.group_separator);
            }
            out.push(ch);
        }
        if !frac.is_empty() {
            out.push_str(&self.decimal_separator);
            out.push_str(frac);
        }
        out
    }

    /// `value` with exactly `dp` decimals (the value must already be rounded
    /// to at most `dp` places; only zeros are appended).
    pub fn fixed(&self, value: Decimal, dp: u32) -> String {
        let mut v = value;
        if v.scale() < dp {
            v.rescale(dp);
        }
        self.number(v)
    }

    /// A money amount with two decimals (amounts are rounded to the cent),
    /// never `-0.00`.
    pub fn money(&self, value: Decimal) -> String {
        self.fixed(crate::money::with_minor_digits(value, crate::money::Currency::Usd), 2)
    }

    /// A ratio as a percentage, exact: `0.0207` → `2.07%` (at least two
    /// decimals, more if the ratio has more than four).
    pub fn percent(&self, ratio: Decimal) -> String {
        let pct = (ratio * Decimal::ONE_HUNDRED).normalize();
        format!("{}%", self.fixed(pct, 2))
    }

    /// `date` by this language's pattern, e.g. `31/10/2026`, `2026年10月31日`.
    pub fn date(&self, date: NaiveDate) -> String {
        date.format(&self.date_pattern).to_string()
    }
}

impl Catalog {
    /// A market's display name, e.g. `Amazon US` (from [`crate::market::SITES`]).
    ///
    /// # Errors
    /// None today; kept fallible like every other label.
    pub fn market(&self, market: Market) -> Result<String, LabelError> {
        Ok(market.name(self.language))
    }

    /// A scope's display name: a market's, or `All markets`.
    ///
    /// # Errors
    /// As [`Catalog::text`].
    pub fn scope(&self, scope: Scope) -> Result<String, LabelError> {
        match scope.market() {
            Some(m) => self.market(m),
            None => Ok(self.text("scopes.all")?.to_string()),
        }
    }

    /// Markets' display names joined by this language's list separator,
    /// e.g. `Amazon US, Mercado Livre BR`.
    ///
    /// # Errors
    /// As [`Catalog::text`].
    pub fn market_list(&self, markets: &[Market]) -> Result<String, LabelError> {
        let names = markets.iter().map(|m| self.market(*m)).collect::<Result<Vec<_>, _>>()?;
        Ok(names.join(self.text("notes.list_separator")?))
    }

    /// A KPI's display name, e.g. `Dispute rate`.
    pub fn kpi(&self, id: KpiId) -> Result<&str, LabelError> {
        self.text(&format!("kpi_names.{id}"))
    }

    /// The rounding rule the statement prints, e.g. for `half_up`.
    ///
    /// # Errors
    /// As [`Catalog::text`].
    pub fn rounding_rule(&self, mode: RoundingMode) -> Result<String, LabelError> {
        let mode_text = self.text(&format!("definitions.mode_{}", mode.id()))?;
        self.fill("definitions.rounding", &[("mode", mode_text), ("ratio_dp", &RATIO_PRINT_DP.to_string())])
    }

    /// A KPI note as a sentence.
    ///
    /// # Errors
    /// As [`Catalog::text`].
    pub fn note(&self, note: &Note) -> Result<String, LabelError> {
        let market_key = |prefix: &str, market: Option<Market>| match market {
            Some(m) => format!("notes.{prefix}_{}", m.marketplace().id()),
            None => format!("notes.{prefix}_any"),
        };
        match note {
            Note::NoSalesExport { market } => Ok(self.text(&market_key("no_sales_export", *market))?.to_string()),
            Note::NoAdsReport { market } => Ok(self.text(&market_key("no_ads_report", *market))?.to_string()),
            Note::ZeroDenominator { denominator } => {
                let what = self.text(&format!("denominators.{}", denominator.id()))?;
                self.fill("notes.zero_denominator", &[("denominator", what)])
            }
            Note::NoGmvTarget => Ok(self.text("notes.no_gmv_target")?.to_string()),
            Note::NoReturnsReport { market } => Ok(self.text(&market_key("no_returns_report", *market))?.to_string()),
            Note::NoFeedbackReport { market } => Ok(self.text(&market_key("no_feedback_report", *market))?.to_string()),
            Note::NoOrdersReport { market } => Ok(self.text(&market_key("no_orders_report", *market))?.to_string()),
            Note::NoTrafficReport { market } => Ok(self.text(&market_key("no_traffic_report", *market))?.to_string()),
            Note::NoInventoryReport { market } => {
                Ok(self.text(&market_key("no_inventory_report", *market))?.to_string())
            }
            Note::NeedsOrdersReport => Ok(self.text("notes.needs_orders_report")?.to_string()),
            Note::WithoutDataFrom { covers, markets } => self.fill(
                "notes.without_data_from",
                &[("covers", &self.market_list(covers)?), ("markets", &self.market_list(markets)?)],
            ),
            Note::NoMarketWithBoth => Ok(self.text("notes.no_market_with_both")?.to_string()),
        }
    }
}

impl Catalog {
    /// A choice or data note as a sentence: `data_notes.<code>` with each
    /// field filled in; `market`/`markets` fields print as the markets'
    /// names, lists joined by `notes.list_separator`.
    ///
    /// # Errors
    /// As [`Catalog::text`].
    pub fn data_note(&self, kind: &NoteKind) -> Result<String, LabelError> {
        let separator = self.text("notes.list_separator")?;
        let market_name = |id: &str| match id.parse::<Market>() {
            Ok(m) => m.name(self.language),
            Err(_) if id == "all" => self.text("scopes.all").map_or(id.to_string(), str::to_string),
            Err(_) => id.to_string(),
        };
        let params: Vec<(String, String)> = kind
            .params()
            .into_iter()
            .map(|(name, value)| {
                let localise = name == "market" || name == "markets";
                let text = match value {
                    Param::Text(t) if localise => market_name(&t),
                    Param::Text(t) => t,
                    Param::List(items) if localise => {
                        items.iter().map(|m| market_name(m)).collect::<Vec<_>>().join(separator)
                    }
                    Param::List(items) => items.join(separator),
                };
                (name, text)
            })
            .collect();
        let args: Vec<(&str, &str)> = params.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        self.fill(&format!("data_notes.{}", kind.code()), &args)
    }
}

/// `template` with each `{name}` of `args` replaced by its value. Unknown
/// placeholders stay as written, so a test can find them.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) -> Result<(), String> {
    for (key, value) in table {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::String(s) => {
                out.insert(path, s.clone());
            }
            toml::Value::Table(t) => flatten(&path, t, out)?,
            other => return Err(format!("`{path}` must be a string, found {}", other.type_str())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::all_definition_keys;
    use crate::kpi_id::KpiId;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn every_language_has_exactly_the_english_keys() {
        let en: Vec<&str> = Catalog::get(Language::En).unwrap().keys().collect();
        for lang in [Language::ZhCn, Language::PtBr] {
            let other: Vec<&str> = Catalog::get(lang).unwrap().keys().collect();
            let missing: Vec<_> = en.iter().filter(|k| !other.contains(k)).collect();
            let extra: Vec<_> = other.iter().filter(|k| !en.contains(k)).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", lang.tag());
        }
    }

    #[test]
    fn every_kpi_has_a_name_and_every_definition_key_a_text_in_every_language() {
        for (lang, _) in SOURCES {
            let c = Catalog::get(lang).unwrap();
            for id in KpiId::ALL {
                c.text(&format!("kpi_names.{id}")).unwrap();
            }
            for key in all_definition_keys() {
                c.text(&format!("kpi_definitions.{key}")).unwrap();
            }
        }
    }

    #[test]
    fn placeholders_are_the_same_in_every_language() {
        let placeholders = |s: &str| {
            let mut v: Vec<String> =
                s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string())).collect();
            v.sort();
            v
        };
        let en = Catalog::get(Language::En).unwrap();
        for lang in [Language::ZhCn, Language::PtBr] {
            let c = Catalog::get(lang).unwrap();
            for key in en.keys() {
                assert_eq!(
                    placeholders(en.text(key).unwrap()),
                    placeholders(c.text(key).unwrap()),
                    "{} {key}",
                    lang.tag()
                );
            }
        }
    }

    #[test]
    fn numbers_use_each_locales_separators() {
        let en = Catalog::get(Language::En).unwrap();
        let pt = Catalog::get(Language::PtBr).unwrap();
        let zh = Catalog::get(Language::ZhCn).unwrap();
        assert_eq!(en.money(d("1234.56")), "1,234.56");
        assert_eq!(pt.money(d("1234.56")), "1.234,56");
        assert_eq!(zh.money(d("1234567.5")), "1,234,567.50");
        assert_eq!(pt.money(d("-999.1")), "-999,10");
        assert_eq!(en.money(d("-1000")), "-1,000.00");
        assert_eq!(en.number(d("0.0207")), "0.0207");
        assert_eq!(en.money(d("100")), "100.00");
        assert_eq!(en.money(-d("0.00")), "0.00");
        assert_eq!(pt.money(-d("0")), "0,00");
    }

    #[test]
    fn dates_follow_each_locale() {
        let date = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        assert_eq!(Catalog::get(Language::PtBr).unwrap().date(date), "31/10/2026");
        assert_eq!(Catalog::get(Language::ZhCn).unwrap().date(date), "2026年10月31日");
        assert_eq!(Catalog::get(Language::En).unwrap().date(date), "2026-10-31");
    }

    #[test]
    fn percentages_are_exact() {
        let en = Catalog::get(Language::En).unwrap();
        assert_eq!(en.percent(d("0.0207")), "2.07%");
        assert_eq!(en.percent(d("0.01")), "1.00%");
        assert_eq!(en.percent(d("1.0615")), "106.15%");
        assert_eq!(en.percent(d("0.123456")), "12.3456%");
        assert_eq!(Catalog::get(Language::PtBr).unwrap().percent(d("0.125")), "12,50%");
    }

    #[test]
    fn fill_replaces_named_placeholders() {
        assert_eq!(fill("{n} / {total}", &[("n", "2"), ("total", "5")]), "2 / 5");
        assert_eq!(fill("{unknown}", &[]), "{unknown}");
    }

    proptest::proptest! {
        #[test]
        fn grouping_never_changes_the_digits(cents in -10_000_000_000_i64..10_000_000_000) {
            let v = Decimal::new(cents, 2);
            for lang in [Language::En, Language::PtBr] {
                let c = Catalog::get(lang).unwrap();
                let printed = c.money(v);
                let back: String = printed
                    .chars()
                    .filter(|ch| ch.is_ascii_digit() || *ch == '-')
                    .collect();
                let expected: String = v.to_string().chars().filter(|ch| *ch != '.').collect();
                proptest::prop_assert_eq!(back, expected);
            }
        }
    }
}
