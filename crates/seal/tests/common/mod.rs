//! Shared test fixtures: a fixed key, its key id, a sample manifest, and
//! the lookup of third-party tools.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use ed25519_dalek::{SigningKey, VerifyingKey};
use kpiseal_seal::manifest::{
    Figures, FileEntry, InputFile, MANIFEST_SCHEMA, Manifest, OutputFile, Seller, Supersedes, Tool,
};
use sha2::{Digest, Sha256};

/// A fixed test key (never a real one).
pub fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// The key id as kpiseal derives it: the first 8 bytes of SHA-256 over the raw public key.
pub fn key_id(key: &VerifyingKey) -> [u8; 8] {
    let digest = Sha256::digest(key.as_bytes());
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    id
}

pub fn key_id_text(key: &VerifyingKey) -> String {
    hex::encode_upper(key_id(key))
}

fn sha(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A manifest like the demo's acme-home statement.
pub fn sample_manifest(key: &VerifyingKey) -> Manifest {
    Manifest {
        schema: MANIFEST_SCHEMA.to_string(),
        seller: Seller { id: "acme-home".into(), legal_name: "Acme Home Goods Co., Ltd. (深圳)".into() },
        period: "2026-10".into(),
        statement_number: "KPI-2026-10-acme-home".into(),
        issue_date: "2026-11-01".into(),
        tool: Tool { name: "kpiseal".into(), version: "0.1.0".into() },
        key_id: key_id_text(key),
        figures: Figures { amount_due: "12345.67".into(), currency: "CNY".into() },
        inputs: vec![
            InputFile {
                path: "exports/2026-10/acme-home/settlement-1.txt".into(),
                sha256: sha("settlement"),
                bytes: 123_456,
                format: "amazon_settlement_v2".into(),
                rows: 812,
            },
            InputFile {
                path: "exports/2026-10/acme-home/vendas.xlsx".into(),
                sha256: sha("vendas"),
                bytes: 45_678,
                format: "mercadolivre_vendas_xlsx".into(),
                rows: 300,
            },
        ],
        contract: FileEntry { path: "contracts/acme-home.toml".into(), sha256: sha("contract"), bytes: 2_048 },
        fx: vec![FileEntry { path: "fx/2026-10.csv".into(), sha256: sha("fx"), bytes: 512 }],
        outputs: vec![
            OutputFile { name: "statement.json".into(), sha256: sha("json"), bytes: 20_000 },
            OutputFile { name: "statement.pdf".into(), sha256: sha("pdf"), bytes: 180_000 },
        ],
        supersedes: None,
    }
}

pub fn sample_supersedes() -> Supersedes {
    Supersedes {
        statement_number: "KPI-2026-10-acme-home".into(),
        sha256: sha("old manifest"),
        reason: "corrected FX rate \"PTAX\"\n(BCB)".into(),
    }
}

/// The path of a third-party tool, or a panic naming it and how CI installs it.
pub fn require_tool(tool: &str, install: &str) -> PathBuf {
    let found = Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output();
    match found {
        Ok(out) if out.status.success() => PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()),
        _ => panic!(
            "this test needs the third-party tool `{tool}`, which is not on PATH; install it with: {install} (.ci/run does)"
        ),
    }
}
