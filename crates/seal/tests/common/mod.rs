//! Helpers shared by the integration tests: fixed keys, a test PDF, a
//! sample manifest, and running the third-party tools that must accept what
//! kpiseal writes.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::NaiveDate;
use ed25519_dalek::{SigningKey, VerifyingKey};
use kpiseal_seal::keys::{PrivateKey, ProviderKey};
use kpiseal_seal::manifest::{
    Figures, FileEntry, InputFile, MANIFEST_SCHEMA, Manifest, OutputFile, Seller, Supersedes, Tool,
};
use sha2::{Digest, Sha256};

/// A fixed provider key, so that test outputs are reproducible.
pub fn test_key() -> ProviderKey {
    key_from_seed(1)
}

/// A provider key made from a 32-byte seed filled with `seed`.
pub fn key_from_seed(seed: u8) -> ProviderKey {
    let private = PrivateKey::new(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]));
    ProviderKey::with_new_certificate(private, "Acme Cross-Border Services Ltd", issue_date()).expect("certificate")
}

pub fn issue_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date")
}

/// Runs `program args...`, failing the test with a message naming the tool
/// (and what installs it) if it is not installed.
pub fn run_tool(program: &str, args: &[&str], cwd: Option<&Path>, install_hint: &str) -> Output {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    match command.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            panic!("required tool `{program}` is not installed ({install_hint}); .ci/run installs it")
        }
        Err(error) => panic!("cannot run `{program}`: {error}"),
    }
}

/// The tool's stdout and stderr, for assertion messages.
pub fn output_text(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A PDF 2.0 file as printpdf+lopdf write them (classic xref table, /ID in
/// the trailer): `pages` A4 pages of Helvetica text, 50 lines each.
pub fn test_pdf(pages: usize) -> Vec<u8> {
    test_pdf_with_xref(pages, lopdf::xref::XrefType::CrossReferenceTable)
}

/// Like [`test_pdf`], with the given kind of cross-reference section.
pub fn test_pdf_with_xref(pages: usize, xref_type: lopdf::xref::XrefType) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, StringFormat, dictionary};

    let mut document = Document::with_version("2.0");
    document.reference_table.cross_reference_type = xref_type;
    let pages_id = document.new_object_id();
    let font_id = document.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = document.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for page in 0..pages {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 10.into()]),
            Operation::new("TL", vec![14.into()]),
            Operation::new("Td", vec![50.into(), 800.into()]),
        ];
        for line in 0..50 {
            let text = format!("Statement 2026-10, page {}, line {line}: GMV 1,234.56 USD", page + 1);
            operations.push(Operation::new("Tj", vec![Object::string_literal(text)]));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations }.encode().expect("content stream");
        let content_id = document.add_object(Stream::new(dictionary! {}, content));
        let page_id = document.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content_id,
            "Resources" => resources_id,
        });
        kids.push(Object::Reference(page_id));
    }
    let count = i64::try_from(kids.len()).expect("page count");
    document
        .objects
        .insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }));
    let catalog_id = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    document.trailer.set("Root", catalog_id);
    let id = Object::String(vec![0x4B; 16], StringFormat::Hexadecimal);
    document.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    let mut bytes = Vec::new();
    document.save_to(&mut bytes).expect("save test PDF");
    bytes
}

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
