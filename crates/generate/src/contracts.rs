//! `kpiseal.toml` and one contract per seller (schema: `kpiseal::contract`).

use super::{Profile, Seller};

/// The DOMAIN.md example, which `acme-home` uses byte for byte.
pub(crate) const DOMAIN_EXAMPLE: &str = include_str!("../../../fixtures/contracts/domain-example.toml");

/// The provider's identity: a made-up Shenzhen service provider.
pub fn workspace_config() -> &'static str {
    r#"# kpiseal workspace: the service provider issuing the statements.
[provider]
name = "Lingxi Cross-border"
legal_name = "深圳市灵犀跨境电商服务有限公司"
tax_id = "91440300MA5HXXXX7Q"
address = "广东省深圳市南山区粤海街道科技园社区科苑路 15 号科兴科学园 B 栋 1201"
"#
}

/// The contract TOML of `seller`.
pub fn contract(seller: &Seller) -> String {
    let n = seller.index + 1;
    match (seller.profile, seller.is_demo()) {
        (Profile::AcmeHome, true) => DOMAIN_EXAMPLE.to_string(),
        (Profile::AcmeHome, false) => DOMAIN_EXAMPLE
            .replacen("id = \"acme-home\"", &format!("id = \"{}\"", seller.id), 1)
            .replacen("深圳市艾克美家居有限公司", &format!("深圳市第{n}号家居用品有限公司"), 1)
            .replacen("91440300MA5G2XXXXX", &format!("91440300MA5H{n:05}X"), 1)
            .replacen("LX-2026-017", &format!("LX-2026-B{n:05}"), 1),
        (Profile::SunnyGadgets, demo) => {
            let (legal_name, tax_id, contract_id) = if demo {
                (
                    "Sunny Gadgets Technology (HK) Co., Limited".to_string(),
                    "HK BR 73482915".to_string(),
                    "LX-2026-021".to_string(),
                )
            } else {
                (
                    format!("Gadget Works No. {n} (HK) Co., Limited"),
                    format!("HK BR 7{n:07}"),
                    format!("LX-2026-B{n:05}"),
                )
            };
            sunny_contract(&seller.id, &legal_name, &tax_id, &contract_id)
        }
        (Profile::RioCasa, demo) => {
            let (legal_name, tax_id, contract_id) = if demo {
                (
                    "Rio Casa Comércio de Utilidades Domésticas Ltda.".to_string(),
                    "34.512.876/0001-09".to_string(),
                    "LX-2026-024".to_string(),
                )
            } else {
                (
                    format!("Casa Nº {n} Comércio de Utilidades Ltda."),
                    format!("{:02}.{:03}.{:03}/0001-{:02}", 40 + n % 50, n % 1000, (n * 7) % 1000, n % 100),
                    format!("LX-2026-B{n:05}"),
                )
            };
            rio_contract(&seller.id, &legal_name, &tax_id, &contract_id)
        }
        (Profile::LojaMix, demo) => {
            let (legal_name, tax_id, contract_id) = if demo {
                ("义乌市洛佳进出口有限公司".to_string(), "91330782MA2XXXXX3L".to_string(), "LX-2026-031".to_string())
            } else {
                (format!("义乌市第{n}号进出口有限公司"), format!("91330782MA2H{n:05}L"), format!("LX-2026-B{n:05}"))
            };
            loja_contract(&seller.id, &legal_name, &tax_id, &contract_id)
        }
    }
}

/// Amazon.com.br, Shopee Brasil and the seller's own Shopify store (in USD,
/// New York time), fees in CNY: whole tiers on the GMV of all three, a
/// penalty on Shopee's cancel rate (Amazon.com.br's orders report is not
/// among its exports).
fn loja_contract(id: &str, legal_name: &str, tax_id: &str, contract_id: &str) -> String {
    format!(
        r#"[seller]
id = "{id}"
legal_name = "{legal_name}"
tax_id = "{tax_id}"
language = "zh-CN"
settlement_currency = "CNY"

[contract]
id = "{contract_id}"
start = "2026-01-01"
end = "2026-12-31"
markets = ["amazon_br", "shopee_br", "shopify:{id}"]

[contract.time_zones]
"shopify:{id}" = "America/New_York"

[contract.currencies]
"shopify:{id}" = "USD"

[kpi]
gmv_basis = "net_of_refunds"
include_shipping = false
refund_basis = "value"

[[kpi.targets]]
kpi = "gmv"
min = "80000.00"                  # CNY, all three markets

[[kpi.targets]]
kpi = "cancel_rate"
market = "shopee_br"
max = "0.04"
alert = "0.03"

[[kpi.targets]]
kpi = "cancel_rate"
market = "shopify:{id}"
max = "0.04"

[[kpi.targets]]
kpi = "refund_rate"
max = "0.05"

[fees]
currency = "CNY"
base_monthly = "3000.00"
tier_mode = "whole"
tiers = [
  {{ up_to = "100000.00", rate = "0.05" }},
  {{ rate = "0.04" }},
]
vat_rate = "0.06"
rounding = "half_up"

[[fees.rules]]
kpi = "cancel_rate"
market = "shopee_br"
op = ">"
threshold = "0.04"
effect = "penalty"
percent_of_commission = "0.10"

[fx]
source = "BCB PTAX; CNY crossed through USD (PBoC central parity)"
rate_date = "period_end"
"#
    )
}

/// Amazon US only, fees in USD: whole tiers, a minimum that bites at demo
/// size, a fixed-amount penalty, banker's rounding and a handling markup.
fn sunny_contract(id: &str, legal_name: &str, tax_id: &str, contract_id: &str) -> String {
    format!(
        r#"[seller]
id = "{id}"
legal_name = "{legal_name}"
tax_id = "{tax_id}"
language = "en"
settlement_currency = "USD"

[contract]
id = "{contract_id}"
start = "2026-03-01"
end = "2027-02-28"
markets = ["amazon_us"]

[kpi]
gmv_basis = "gross"
include_shipping = true
refund_basis = "count"            # refunded orders / orders

[[kpi.targets]]
kpi = "gmv"
market = "amazon_us"
min = "15000.00"                  # USD

[[kpi.targets]]
kpi = "acos"
max = "0.35"
alert = "0.30"

[[kpi.targets]]
kpi = "refund_rate"
max = "0.05"
alert = "0.04"

[[kpi.targets]]
kpi = "dispute_rate"
max = "0.01"

[fees]
currency = "USD"
base_monthly = "600.00"
tier_mode = "whole"               # the rate of the tier reached applies to all GMV
tiers = [
  {{ up_to = "10000.00", rate = "0.08" }},
  {{ up_to = "30000.00", rate = "0.06" }},
  {{ rate = "0.05" }},
]
minimum = "1800.00"
vat_rate = "0"                    # exported service, zero-rated
rounding = "half_even"
pass_through_markup = "0.05"      # handling fee on costs paid on the seller's behalf

[[fees.rules]]
kpi = "acos"
op = "<="
threshold = "0.30"
effect = "bonus"
percent_of_commission = "0.05"

[[fees.rules]]
kpi = "refund_rate"
op = ">"
threshold = "0.05"
effect = "penalty"
amount = "150.00"                 # USD, fixed

[fx]
source = "PBoC central parity"
rate_date = "period_end"
"#
    )
}

/// Mercado Livre only, fees in BRL: marginal tiers, a maximum that bites at
/// demo size, and the period's average rate.
fn rio_contract(id: &str, legal_name: &str, tax_id: &str, contract_id: &str) -> String {
    format!(
        r#"[seller]
id = "{id}"
legal_name = "{legal_name}"
tax_id = "{tax_id}"
language = "pt-BR"
settlement_currency = "BRL"

[contract]
id = "{contract_id}"
start = "2026-05-01"
end = "2027-04-30"
markets = ["mercadolivre_br"]

[kpi]
gmv_basis = "net_of_refunds"
include_shipping = false
refund_basis = "value"

[[kpi.targets]]
kpi = "gmv"
market = "mercadolivre_br"
min = "50000.00"                  # BRL

[[kpi.targets]]
kpi = "cancel_rate"
max = "0.03"
alert = "0.025"

[[kpi.targets]]
kpi = "dispute_rate"
max = "0.02"
alert = "0.015"

[fees]
currency = "BRL"
base_monthly = "1500.00"
tier_mode = "marginal"
tiers = [
  {{ up_to = "40000.00", rate = "0.06" }},
  {{ up_to = "100000.00", rate = "0.045" }},
  {{ rate = "0.03" }},
]
maximum = "4000.00"
vat_rate = "0.06"
rounding = "half_up"

[[fees.rules]]
kpi = "gmv_attainment"
op = ">="
threshold = "1.1"
effect = "bonus"
percent_of_commission = "0.05"

[[fees.rules]]
kpi = "dispute_rate"
op = ">"
threshold = "0.02"
effect = "penalty"
percent_of_commission = "0.10"

[fx]
source = "BCB PTAX; CNY crossed through USD (PBoC central parity)"
rate_date = "period_average"
"#
    )
}
