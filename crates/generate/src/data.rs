//! The made-up catalogues, names and places the generator draws from. Every
//! company, person, SKU and listing here is invented.

/// A product sold through Amazon FBA.
pub struct AmazonProduct {
    pub sku: &'static str,
    pub asin: &'static str,
    /// Unit price, in cents.
    pub price: i64,
    /// FBA per-unit fulfilment fee, in cents.
    pub fba_fee: i64,
    /// Relative popularity.
    pub weight: u32,
}

const fn amz(sku: &'static str, asin: &'static str, price: i64, fba_fee: i64, weight: u32) -> AmazonProduct {
    AmazonProduct { sku, asin, price, fba_fee, weight }
}

/// `acme-home`: large home goods, so a few hundred orders make USD 150–200k.
pub const ACME_AMAZON: &[AmazonProduct] = &[
    amz("AH-DESK-6030-WH", "B0DK7Q3M2X", 45999, 2495, 18),
    amz("AH-VAC-R9-BLK", "B0CX9T4LP7", 39999, 1187, 22),
    amz("AH-PUR-H13-L", "B0D3MV8KQ1", 24999, 1045, 16),
    amz("AH-MAT-QN-12", "B0BZ6R2WN4", 59999, 3420, 12),
    amz("AH-RCL-GRY", "B0CQ1H8DZ5", 74999, 4215, 10),
    amz("AH-SOFA-3S-BG", "B0D9F2XK6T", 89999, 5890, 7),
    amz("AH-LAMP-ARC-BR", "B0C4N7JW3E", 12999, 865, 9),
    amz("AH-RUG-810-WSH", "B0DB5S9PL2", 18999, 1320, 6),
];

/// `sunny-gadgets`: small electronics.
pub const SUNNY_AMAZON: &[AmazonProduct] = &[
    amz("SG-EB-ANC-BLK", "B0D1R8YV5K", 3999, 322, 24),
    amz("SG-CHG-65W-GAN", "B0CT3K9MW2", 2999, 322, 20),
    amz("SG-PB-MAG-10K", "B0C8Z2QX7H", 3499, 341, 16),
    amz("SG-PLUG-4PK", "B0BY4N6TR9", 2599, 413, 12),
    amz("SG-TRIPOD-60", "B0D5W1LM8C", 1999, 375, 10),
    amz("SG-TAG-4PK", "B0CM7P3VJ6", 5999, 322, 8),
    amz("SG-PROJ-1080", "B0D2H6KX4N", 8999, 645, 6),
    amz("SG-KB-MECH-75", "B0C9QF5RT1", 6999, 498, 4),
];

/// A product listed on Mercado Livre.
pub struct MlProduct {
    pub sku: &'static str,
    pub listing: &'static str,
    pub title: &'static str,
    pub variation: &'static str,
    /// Unit price, in centavos.
    pub price: i64,
    /// Premium listings pay a higher tarifa de venda than Clássico ones.
    pub premium: bool,
    /// What the seller pays Mercado Envios per shipment when shipping is free
    /// for the buyer, in centavos.
    pub shipping_cost: i64,
    pub weight: u32,
}

#[allow(clippy::too_many_arguments)]
const fn ml(
    sku: &'static str,
    listing: &'static str,
    title: &'static str,
    variation: &'static str,
    price: i64,
    premium: bool,
    shipping_cost: i64,
    weight: u32,
) -> MlProduct {
    MlProduct { sku, listing, title, variation, price, premium, shipping_cost, weight }
}

/// `rio-casa`: kitchen and home basics.
pub const RIO_ML: &[MlProduct] = &[
    ml(
        "RC-PAN-5PC-GR",
        "MLB3871204561",
        "Jogo de Panelas Antiaderente 5 Peças Granito",
        "Cor: Grafite",
        28990,
        true,
        2890,
        14,
    ),
    ml(
        "RC-TOA-4-ALG",
        "MLB4102937785",
        "Kit 4 Toalhas de Banho 100% Algodão 500g",
        "Cor: Branco",
        11990,
        false,
        2190,
        18,
    ),
    ml("RC-ORG-6UN", "MLB3359810246", "Organizador de Gavetas Kit 6 Unidades", "", 4990, false, 0, 22),
    ml("RC-LUM-LED-MS", "MLB3998172034", "Luminária de Mesa LED Articulada Touch", "Cor: Preto", 7990, true, 1990, 12),
    ml(
        "RC-CORT-280-BK",
        "MLB4011627359",
        "Cortina Blackout 2,80m x 2,30m Tecido",
        "Cor: Cinza",
        13990,
        false,
        2390,
        10,
    ),
    ml("RC-LEN-QN-400", "MLB3710458823", "Jogo de Lençol Queen 400 Fios 4 Peças", "Cor: Areia", 19990, true, 2290, 9),
    ml("RC-TEMP-GIR-16", "MLB3562289147", "Porta-Temperos Giratório 16 Potes Inox", "", 6990, false, 0, 8),
    ml(
        "RC-ESP-RD-60",
        "MLB4220981356",
        "Espelho Redondo 60cm Moldura Metal Dourada",
        "Cor: Dourado",
        24900,
        true,
        3490,
        7,
    ),
];

/// `acme-home` on Mercado Livre: the same large goods as on Amazon.
pub const ACME_ML: &[MlProduct] = &[
    ml("AH-LAMP-ARC-BR", "MLB3920173364", "Luminária de Chão Arco Dourada 2m", "Cor: Dourado", 48990, true, 5490, 14),
    ml("AH-RUG-23-BG", "MLB4087712253", "Tapete Lavável 2x3m Antiderrapante", "Cor: Bege", 35900, false, 4290, 16),
    ml(
        "AH-PUR-H13-L",
        "MLB3801267745",
        "Purificador de Ar HEPA H13 Ambientes Grandes",
        "Voltagem: 127V",
        89900,
        true,
        3890,
        12,
    ),
    ml(
        "AH-VAC-R9-BLK",
        "MLB4155093318",
        "Aspirador Robô com Mop R9 Mapeamento a Laser",
        "Voltagem: Bivolt",
        149900,
        true,
        4490,
        10,
    ),
    ml("AH-DESK-150-WH", "MLB3766624490", "Mesa Elevatória Elétrica 150x75 Branca", "", 239900, true, 8990, 5),
    ml("AH-RCL-GRY", "MLB3698851172", "Poltrona Reclinável Elétrica Cinza", "Cor: Cinza", 189000, false, 9590, 4),
];

/// A place a Mercado Livre buyer lives.
pub struct Place {
    pub city: &'static str,
    pub state: &'static str,
    /// First five digits of the CEP.
    pub cep: &'static str,
}

const fn place(city: &'static str, state: &'static str, cep: &'static str) -> Place {
    Place { city, state, cep }
}

pub const PLACES: &[Place] = &[
    place("São Paulo", "São Paulo", "04538"),
    place("São Paulo", "São Paulo", "01310"),
    place("Campinas", "São Paulo", "13083"),
    place("Rio de Janeiro", "Rio de Janeiro", "22041"),
    place("Niterói", "Rio de Janeiro", "24220"),
    place("Belo Horizonte", "Minas Gerais", "30130"),
    place("Curitiba", "Paraná", "80420"),
    place("Porto Alegre", "Rio Grande do Sul", "90570"),
    place("Salvador", "Bahia", "40140"),
    place("Recife", "Pernambuco", "52011"),
    place("Fortaleza", "Ceará", "60175"),
    place("Goiânia", "Goiás", "74215"),
    place("Brasília", "Distrito Federal", "70390"),
    place("Florianópolis", "Santa Catarina", "88015"),
    place("Manaus", "Amazonas", "69053"),
];

pub const FIRST_NAMES: &[&str] = &[
    "Ana", "Bruno", "Camila", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João", "Juliana",
    "Lucas", "Mariana", "Matheus", "Natália", "Paulo", "Rafaela", "Rodrigo", "Sofia", "Thiago", "Vitória", "Leonardo",
];

pub const LAST_NAMES: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
];

pub const STREETS: &[&str] = &[
    "Rua das Flores",
    "Avenida Paulista",
    "Rua Augusta",
    "Rua XV de Novembro",
    "Avenida Brasil",
    "Rua da Consolação",
    "Rua Sete de Setembro",
    "Avenida Atlântica",
    "Rua Marechal Deodoro",
    "Rua Dom Pedro II",
];

/// Where a cost line comes from: category, vendor, what was bought, the
/// currency and a range for the amount (cents), and how its invoice is numbered.
pub struct CostTemplate {
    pub category: &'static str,
    pub vendor: &'static str,
    pub description: &'static str,
    pub currency: &'static str,
    pub min: i64,
    pub max: i64,
    pub invoice: InvoiceStyle,
}

/// How a vendor numbers its invoices.
#[derive(Clone, Copy)]
pub enum InvoiceStyle {
    /// `INV-2026-10-0042`.
    Inv,
    /// A Brazilian NF-e access key: `NF-e 3526 10…` (44 digits).
    NfE,
    /// A Chinese fully digital VAT invoice (数电票), 20 digits.
    Fapiao,
    /// A US customs entry number: `9JK-1234567-8`.
    CustomsEntry,
}

const fn cost(
    category: &'static str,
    vendor: &'static str,
    description: &'static str,
    currency: &'static str,
    min: i64,
    max: i64,
    invoice: InvoiceStyle,
) -> CostTemplate {
    CostTemplate { category, vendor, description, currency, min, max, invoice }
}

use InvoiceStyle::{CustomsEntry, Fapiao, Inv, NfE};

const US_ADS: CostTemplate =
    cost("advertising", "Brightpath Media LLC", "Social ads, prospecting campaign", "USD", 80000, 450000, Inv);
const US_INFLUENCER: CostTemplate =
    cost("advertising", "Lumen Creator Network Inc.", "Creator videos, 3 deliverables", "USD", 60000, 240000, Inv);
const US_OCEAN: CostTemplate = cost(
    "freight",
    "Bluewave Forwarding Inc.",
    "Ocean freight 40HQ Yantian → Long Beach, FBA delivery",
    "USD",
    420000,
    980000,
    Inv,
);
const US_AIR: CostTemplate =
    cost("freight", "Bluewave Forwarding Inc.", "Air freight Shenzhen → ONT8, 2 pallets", "USD", 150000, 480000, Inv);
const US_DUTY: CostTemplate = cost(
    "customs_duty",
    "Bluewave Forwarding Inc. (customs broker)",
    "US import duty and MPF, entry summary 7501",
    "USD",
    90000,
    620000,
    CustomsEntry,
);
const US_PHOTO: CostTemplate =
    cost("other", "Northlight Product Studio LLC", "Listing photography, 12 images", "USD", 35000, 90000, Inv);
const BR_II_IPI: CostTemplate = cost(
    "import_tax",
    "Receita Federal do Brasil",
    "II + IPI + PIS/COFINS importação, DI 26/1847",
    "BRL",
    850000,
    3200000,
    NfE,
);
const BR_ICMS: CostTemplate =
    cost("import_tax", "SEFAZ-SP", "ICMS importação, GARE, DI 26/1847", "BRL", 420000, 1600000, NfE);
const BR_FREIGHT: CostTemplate = cost(
    "freight",
    "Transportes Serra Azul Ltda.",
    "Frete Porto de Santos → CD Cajamar, 1 contêiner",
    "BRL",
    280000,
    760000,
    NfE,
);
const BR_STORAGE: CostTemplate = cost(
    "warehousing",
    "Armazém Paulista Logística Ltda.",
    "Armazenagem e manuseio do mês",
    "BRL",
    180000,
    520000,
    NfE,
);
const BR_AIR_USD: CostTemplate = cost(
    "freight",
    "Bluewave Forwarding Inc.",
    "Air freight Shenzhen → Guarulhos (GRU), 380 kg",
    "USD",
    180000,
    520000,
    Inv,
);
const CN_WAREHOUSE: CostTemplate =
    cost("warehousing", "深圳市顺港仓储物流有限公司", "头程仓储、贴标及打托", "CNY", 380000, 1650000, Fapiao);
const CN_CERT_INMETRO: CostTemplate =
    cost("certification", "深圳市远衡检测认证有限公司", "INMETRO 认证测试费", "CNY", 1200000, 3800000, Fapiao);
const CN_CERT_FCC: CostTemplate =
    cost("certification", "深圳市远衡检测认证有限公司", "FCC ID 及 UL 测试报告", "CNY", 900000, 2800000, Fapiao);
const CN_PHOTO: CostTemplate =
    cost("other", "深圳市光屿摄影工作室", "产品主图及 A+ 页面拍摄", "CNY", 250000, 680000, Fapiao);
const CN_PACKAGING: CostTemplate =
    cost("other", "东莞市恒印包装制品有限公司", "彩盒及说明书印刷", "CNY", 420000, 1200000, Fapiao);

/// `acme-home`: both markets, costs in all three currencies.
pub const ACME_COSTS: &[CostTemplate] = &[
    US_ADS,
    US_OCEAN,
    US_DUTY,
    BR_II_IPI,
    BR_ICMS,
    BR_FREIGHT,
    CN_WAREHOUSE,
    CN_CERT_INMETRO,
    CN_PHOTO,
    US_INFLUENCER,
];

/// `sunny-gadgets`: Amazon only; USD and CNY costs.
pub const SUNNY_COSTS: &[CostTemplate] =
    &[US_ADS, US_AIR, US_OCEAN, US_DUTY, US_PHOTO, CN_CERT_FCC, CN_WAREHOUSE, CN_PACKAGING, US_INFLUENCER];

/// `rio-casa`: Mercado Livre only; BRL, USD and CNY costs.
pub const RIO_COSTS: &[CostTemplate] =
    &[BR_II_IPI, BR_ICMS, BR_FREIGHT, BR_STORAGE, BR_AIR_USD, CN_CERT_INMETRO, CN_WAREHOUSE, CN_PACKAGING];
