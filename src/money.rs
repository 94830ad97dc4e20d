//! Exact money: currencies, minor units, rounding, and parsing of amounts as
//! marketplaces print them. No `f64` ever holds money: XLSX floats are turned
//! into decimals by [`decimal_from_xlsx_float`] at the edge and never carried.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An ISO 4217 currency the product settles or reports in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "USD")]
    Usd,
    #[serde(rename = "CNY")]
    Cny,
    #[serde(rename = "BRL")]
    Brl,
}

impl Currency {
    /// All supported currencies, in a fixed order.
    pub const ALL: [Currency; 3] = [Currency::Usd, Currency::Cny, Currency::Brl];

    /// The ISO 4217 code, e.g. `"USD"`.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Cny => "CNY",
            Currency::Brl => "BRL",
        }
    }

    /// Digits after the decimal point of the currency's minor unit (cents, fen, centavos).
    pub fn minor_digits(self) -> u32 {
        2
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "USD" => Ok(Currency::Usd),
            "CNY" | "RMB" => Ok(Currency::Cny),
            "BRL" => Ok(Currency::Brl),
            other => Err(format!("unknown currency {other:?}; expected USD, CNY or BRL")),
        }
    }
}

/// How a computed amount is rounded to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Ties away from zero (四舍五入): 0.005 → 0.01, −0.005 → −0.01.
    #[default]
    HalfUp,
    /// Ties to the even neighbour (banker's rounding): 0.005 → 0.00, 0.015 → 0.02.
    HalfEven,
}

impl RoundingMode {
    /// The wording printed on statements, e.g. `half_up`.
    pub fn id(self) -> &'static str {
        match self {
            RoundingMode::HalfUp => "half_up",
            RoundingMode::HalfEven => "half_even",
        }
    }

    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        }
    }

    /// Rounds `value` to `dp` decimal places with this mode.
    pub fn round_dp(self, value: Decimal, dp: u32) -> Decimal {
        value.round_dp_with_strategy(dp, self.strategy())
    }

    /// Rounds `value` to the minor unit of `currency`; the result always carries
    /// exactly that many decimal places (so `10` prints as `10.00`).
    pub fn round_money(self, value: Decimal, currency: Currency) -> Decimal {
        let mut r = self.round_dp(value, currency.minor_digits());
        r.rescale(currency.minor_digits());
        r
    }
}

/// `value`, an amount of `currency` already rounded to its minor unit, as
/// it is written: with at least the currency's minor digits (`0` → `0.00`,
/// `12.5` → `12.50`) and never as `-0.00`. Nothing is rounded: a value with
/// more digits keeps them.
pub fn with_minor_digits(value: Decimal, currency: Currency) -> Decimal {
    let mut v = value;
    if v.scale() < currency.minor_digits() {
        v.rescale(currency.minor_digits());
    }
    if v.is_zero() {
        v.set_sign_positive(true);
    }
    v
}

/// An amount in one currency, already rounded to its minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    /// `amount` rounded to the currency's minor unit with `mode`.
    pub fn new(amount: Decimal, currency: Currency, mode: RoundingMode) -> Self {
        Money { amount: mode.round_money(amount, currency), currency }
    }

    /// Zero in `currency`, printed with its minor digits (`0.00`).
    pub fn zero(currency: Currency) -> Self {
        Money { amount: Decimal::new(0, currency.minor_digits()), currency }
    }
}

/// Converts an amount with 2 decimal places into integer minor units
/// (cents). Returns `None` if it has more precision or overflows `i64`.
pub fn to_minor(amount: Decimal) -> Option<i64> {
    // Two decimal places or fewer (every amount `Table::money` reads): the
    // mantissa, times 10 or 100 when fewer, is the count of minor units.
    if let Some(places) = 2u32.checked_sub(amount.scale()) {
        return i64::try_from(amount.mantissa().checked_mul(10i128.pow(places))?).ok();
    }
    let scaled = amount.checked_mul(Decimal::ONE_HUNDRED)?;
    if !scaled.fract().is_zero() {
        return None;
    }
    i64::try_from(scaled.trunc()).ok()
}

/// Integer minor units (cents) back to a decimal with 2 places.
pub fn from_minor(minor: i64) -> Decimal {
    Decimal::new(minor, 2)
}

/// How a text cell writes its decimal separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalStyle {
    /// `1,234.56` (US exports).
    Point,
    /// `1.234,56` (Brazilian exports, BCB PTAX).
    Comma,
}

/// Every money amount read from an input is below this in magnitude (ten
/// billion in the file's currency): no marketplace row or invoice comes
/// near it, and it keeps every sum of a file's amounts far inside
/// `Decimal`'s range and the ledger's i64 minor units.
pub const MONEY_LIMIT: i64 = 10_000_000_000;

/// `Ok` when `amount` is below [`MONEY_LIMIT`] in magnitude.
///
/// # Errors
/// A message saying the amount is out of range and what the limit is.
pub fn check_money_limit(amount: Decimal) -> Result<(), String> {
    // |mantissa| / 10^scale < limit, in integers (10^38 fits a u128).
    let limit = u128::from(MONEY_LIMIT.unsigned_abs()) * 10u128.pow(amount.scale());
    if amount.mantissa().unsigned_abs() < limit {
        Ok(())
    } else {
        Err(format!(
            "{amount} is out of range: an amount must be less than {MONEY_LIMIT} in magnitude (a misplaced separator or a cell of another column?)"
        ))
    }
}

/// Parses a number as exports print it: optional currency sign (`$`, `US$`,
/// `R$`, `¥`), thousands separators, a trailing `%` (which divides by 100),
/// a leading `-` or accounting parentheses. Returns a message saying what was
/// expected when the text is not a number.
pub fn parse_decimal(text: &str, style: DecimalStyle) -> Result<Decimal, String> {
    parse_trimmed_decimal(text.trim(), style)
}

/// [`parse_decimal`] of text that is already trimmed (as `str::trim` trims
/// it), as every text cell of a table is.
pub fn parse_trimmed_decimal(raw: &str, style: DecimalStyle) -> Result<Decimal, String> {
    debug_assert_eq!(raw, raw.trim(), "parse_trimmed_decimal of untrimmed text");
    if let Some(value) = plain_decimal(raw, style) {
        return Ok(value);
    }
    general_decimal(raw, style)
}

/// [`parse_trimmed_decimal`] of an amount, which a `%` never belongs to:
/// text holding one (`12%`, a ratio) is refused, where
/// [`parse_trimmed_decimal`] reads it as a fraction. The spellings nearly
/// every amount uses are read first, without looking for the `%`.
///
/// # Errors
/// A message saying the text is a percentage, or what
/// [`parse_trimmed_decimal`] says.
pub fn parse_trimmed_amount(raw: &str, style: DecimalStyle) -> Result<Decimal, String> {
    if let Some(value) = plain_decimal(raw, style) {
        return Ok(value);
    }
    if raw.contains('%') {
        return Err(format!("{raw:?} is a percentage; expected an amount such as 1,234.56"));
    }
    general_decimal(raw, style)
}

/// [`parse_decimal`] of trimmed text, every spelling it accepts.
fn general_decimal(raw: &str, style: DecimalStyle) -> Result<Decimal, String> {
    let mut s: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') && s.len() > 2 {
        negative = true;
        s = s[1..s.len() - 1].to_string();
    }
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest.to_string();
    }
    for prefix in ["US$", "R$", "$", "¥", "￥"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
            break;
        }
    }
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest.to_string();
    }
    let percent = s.ends_with('%');
    if percent {
        s.pop();
    }
    let (group, point) = match style {
        DecimalStyle::Point => (',', '.'),
        DecimalStyle::Comma => ('.', ','),
    };
    let expected = || {
        let example = match style {
            DecimalStyle::Point => "1,234.56",
            DecimalStyle::Comma => "1.234,56",
        };
        format!("{raw:?} is not a number (expected e.g. {example})")
    };
    if s.is_empty() || s.chars().filter(|c| *c == point).count() > 1 {
        return Err(expected());
    }
    let (int_part, frac_part) = match s.split_once(point) {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    if int_part.contains(group) && !valid_grouping(int_part, group) {
        return Err(expected());
    }
    let int_digits: String = int_part.chars().filter(|c| *c != group).collect();
    if !int_digits.chars().all(|c| c.is_ascii_digit())
        || frac_part.is_some_and(|f| f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()))
        || (int_digits.is_empty() && frac_part.is_none())
    {
        return Err(expected());
    }
    let canonical = match frac_part {
        Some(f) => format!("{}.{f}", if int_digits.is_empty() { "0" } else { &int_digits }),
        None => int_digits,
    };
    let mut value = Decimal::from_str(&canonical).map_err(|_| expected())?;
    if percent {
        value /= Decimal::ONE_HUNDRED;
    }
    if negative {
        value = -value;
    }
    Ok(value)
}

/// The spellings nearly every cell uses, read without allocating: an
/// optional `-`, digits with the style's thousands separators where
/// [`general_decimal`] accepts them (a first group of one to three digits,
/// then groups of three: `1.234.567,89`), and an optional decimal part.
/// `None` for anything else (or more than 18 characters), which
/// [`general_decimal`] then reads or refuses; where this gives a value it is
/// the value [`general_decimal`] gives.
fn plain_decimal(raw: &str, style: DecimalStyle) -> Option<Decimal> {
    let (point, group) = match style {
        DecimalStyle::Point => (b'.', b','),
        DecimalStyle::Comma => (b',', b'.'),
    };
    let (negative, body) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest.as_bytes()),
        None => (false, raw.as_bytes()),
    };
    if body.is_empty() || body.len() > 18 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale = 0;
    // Digits since the last thousands separator, and whether one was seen.
    let (mut run, mut grouped) = (0, false);
    for (i, &b) in body.iter().enumerate() {
        if b.is_ascii_digit() {
            mantissa = mantissa * 10 + i64::from(b - b'0');
            run += 1;
        } else if b == group && scale == 0 && (if grouped { run == 3 } else { (1..=3).contains(&run) }) {
            (run, grouped) = (0, true);
        } else if b == point && scale == 0 && i > 0 && i + 1 < body.len() && (!grouped || run == 3) {
            scale = (body.len() - i - 1) as u32;
        } else {
            return None;
        }
    }
    if grouped && scale == 0 && run != 3 {
        return None;
    }
    let value = Decimal::new(mantissa, scale);
    Some(if negative { -value } else { value })
}

fn valid_grouping(int_part: &str, group: char) -> bool {
    let mut groups = int_part.split(group);
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3)
}

/// Turns an XLSX numeric cell into a decimal by its shortest round-trip text
/// (what Excel displays), so `0.1` stays `0.1`. Callers round money to the
/// minor unit right after; the float is never carried further.
pub fn decimal_from_xlsx_float(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    // `{}` on f64 prints the shortest text that reads back as the same float.
    let text = format!("{value}");
    Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()
}

/// Serde for `Option<Decimal>` as a decimal string or `null`, also inside
/// internally tagged enums, where `rust_decimal::serde::str_option` cannot
/// read a `null` back.
pub mod opt_decimal_str {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::str_option::serialize(value, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| text.parse::<Decimal>().map_err(|e| serde::de::Error::custom(format!("{text:?}: {e}"))))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn parses_us_style_with_dollar_and_grouping() {
        assert_eq!(parse_decimal("$3.0", DecimalStyle::Point).unwrap(), d("3.0"));
        assert_eq!(parse_decimal("1,234.56", DecimalStyle::Point).unwrap(), d("1234.56"));
        assert_eq!(parse_decimal("-12.34", DecimalStyle::Point).unwrap(), d("-12.34"));
        assert_eq!(parse_decimal("($5.00)", DecimalStyle::Point).unwrap(), d("-5.00"));
        assert_eq!(parse_decimal(" 7 ", DecimalStyle::Point).unwrap(), d("7"));
    }

    #[test]
    fn parses_percent_as_fraction() {
        assert_eq!(parse_decimal("1.66%", DecimalStyle::Point).unwrap(), d("0.0166"));
    }

    #[test]
    fn parses_brazilian_decimal_comma() {
        assert_eq!(parse_decimal("1.234,56", DecimalStyle::Comma).unwrap(), d("1234.56"));
        assert_eq!(parse_decimal("R$ -15,90", DecimalStyle::Comma).unwrap(), d("-15.90"));
        assert_eq!(parse_decimal("5,3762", DecimalStyle::Comma).unwrap(), d("5.3762"));
    }

    #[test]
    fn rejects_malformed_numbers_with_what_was_expected() {
        let err = parse_decimal("12,34.5", DecimalStyle::Point).unwrap_err();
        assert!(err.contains("\"12,34.5\" is not a number"), "{err}");
        assert!(parse_decimal("", DecimalStyle::Point).is_err());
        assert!(parse_decimal("abc", DecimalStyle::Point).is_err());
        assert!(parse_decimal("1.2.3", DecimalStyle::Point).is_err());
    }

    #[test]
    fn half_up_and_half_even_differ_only_on_ties() {
        assert_eq!(RoundingMode::HalfUp.round_money(d("0.125"), Currency::Usd), d("0.13"));
        assert_eq!(RoundingMode::HalfEven.round_money(d("0.125"), Currency::Usd), d("0.12"));
        assert_eq!(RoundingMode::HalfUp.round_money(d("-0.125"), Currency::Usd), d("-0.13"));
        assert_eq!(RoundingMode::HalfEven.round_money(d("0.126"), Currency::Usd), d("0.13"));
        assert_eq!(RoundingMode::HalfUp.round_money(d("10"), Currency::Usd).to_string(), "10.00");
    }

    #[test]
    fn xlsx_float_keeps_displayed_digits() {
        assert_eq!(decimal_from_xlsx_float(0.1).unwrap(), d("0.1"));
        assert_eq!(decimal_from_xlsx_float(19.99).unwrap(), d("19.99"));
        assert_eq!(decimal_from_xlsx_float(3.0).unwrap(), d("3"));
        assert!(decimal_from_xlsx_float(f64::NAN).is_none());
    }

    #[test]
    fn minor_units_round_trip() {
        assert_eq!(to_minor(d("12.34")), Some(1234));
        assert_eq!(to_minor(d("12.345")), None);
        assert_eq!(to_minor(d("12.340")), Some(1234), "trailing zeros are not precision");
        assert_eq!((to_minor(d("-7")), to_minor(d("-7.5"))), (Some(-700), Some(-750)));
        assert_eq!(to_minor(d("92233720368547758.07")), Some(i64::MAX));
        assert_eq!(to_minor(d("92233720368547758.08")), None, "past i64");
        assert_eq!(from_minor(-1234), d("-12.34"));
    }

    proptest::proptest! {
        /// The limit holds exactly where the amount's magnitude is below
        /// it, at every scale.
        #[test]
        fn the_money_limit_is_the_decimal_comparison(lo in proptest::num::u32::ANY, mid in proptest::num::u32::ANY, hi in 0u32..3, negative in proptest::bool::ANY, scale in 0u32..=28) {
            let amount = Decimal::from_parts(lo, mid, hi, negative, scale);
            proptest::prop_assert_eq!(check_money_limit(amount).is_ok(), amount.abs() < Decimal::from(MONEY_LIMIT));
        }

        /// An amount reads as the decimal reading reads it, except that any
        /// text with a `%` is refused.
        #[test]
        fn an_amount_is_a_decimal_without_a_percent_sign(text in "[-(]?(R\\$|\\$)?[0-9.,% ]{1,12}\\)?", comma in proptest::bool::ANY) {
            let style = if comma { DecimalStyle::Comma } else { DecimalStyle::Point };
            let text = text.trim();
            let amount = parse_trimmed_amount(text, style);
            if text.contains('%') {
                proptest::prop_assert!(amount.unwrap_err().contains("is a percentage"), "{:?}", text);
            } else {
                proptest::prop_assert_eq!(amount, parse_trimmed_decimal(text, style), "{:?}", text);
            }
        }

        /// Where the allocation-free reading gives a value, it is the
        /// general reading's, digit for digit (scale and sign included).
        #[test]
        fn the_plain_reading_agrees_with_the_general_one(text in "-?[0-9.,]{1,14}", comma in proptest::bool::ANY) {
            let style = if comma { DecimalStyle::Comma } else { DecimalStyle::Point };
            if let Some(plain) = plain_decimal(&text, style) {
                let general = general_decimal(&text, style);
                proptest::prop_assert_eq!(general.as_ref().map(|d| (d.to_string(), d.is_sign_negative())), Ok((plain.to_string(), plain.is_sign_negative())), "{:?}", text);
            }
        }
    }

    #[test]
    fn grouped_amounts_are_read_without_the_general_path_and_bad_groups_are_left_to_it() {
        let comma = DecimalStyle::Comma;
        assert_eq!(plain_decimal("1.499,00", comma), Some(d("1499.00")));
        assert_eq!(plain_decimal("-1.234.567,89", comma), Some(d("-1234567.89")));
        assert_eq!(plain_decimal("12,345.6", DecimalStyle::Point), Some(d("12345.6")));
        for bad in ["1.23,00", "1234.567,00", ".123,00", "1..234", "1.234.", "1.2345"] {
            assert_eq!(plain_decimal(bad, comma), None, "{bad}");
        }
        assert!(parse_decimal("1.23,00", comma).is_err());
    }

    proptest::proptest! {
        /// Whatever its scale, an amount's minor units are its value times
        /// 100, when that is whole and fits an i64.
        #[test]
        fn minor_units_are_the_amount_times_a_hundred(mantissa in proptest::num::i64::ANY, scale in 0u32..6) {
            let amount = Decimal::new(mantissa, scale);
            let hundredfold = amount.checked_mul(Decimal::ONE_HUNDRED);
            let expected = hundredfold.filter(|h| h.fract().is_zero()).and_then(|h| i64::try_from(h).ok());
            proptest::prop_assert_eq!(to_minor(amount), expected);
        }
    }

    #[test]
    fn money_is_written_with_its_minor_digits_and_never_as_minus_zero() {
        assert_eq!(with_minor_digits(d("0"), Currency::Usd).to_string(), "0.00");
        assert_eq!(with_minor_digits(d("12.5"), Currency::Brl).to_string(), "12.50");
        assert_eq!(with_minor_digits(d("-3"), Currency::Cny).to_string(), "-3.00");
        let minus_zero = -d("0.00");
        assert_eq!(minus_zero.to_string(), "-0.00", "rust_decimal keeps the sign of zero");
        assert_eq!(with_minor_digits(minus_zero, Currency::Usd).to_string(), "0.00");
        assert_eq!(with_minor_digits(d("1.005"), Currency::Usd).to_string(), "1.005", "nothing is rounded");
    }
}
