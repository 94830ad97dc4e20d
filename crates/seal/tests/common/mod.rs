//! Helpers shared by the integration tests: fixed provider keys, a test
//! PDF, a sample manifest, and running the third-party tools that must
//! accept what kpiseal writes.
//!
//! Each test file compiles this module on its own, so a helper that some
//! of them do not use is marked `#[allow(dead_code)]`, saying who uses it.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::NaiveDate;
use kpiseal_seal::keys::{KeyId, PrivateKey, ProviderKey};
use kpiseal_seal::manifest::{
    Figures, FileEntry, InputFile, MANIFEST_SCHEMA, Manifest, OutputFile, Provider, Seller, Status, Supersedes, Tool,
};
use sha2::{Digest, Sha256};

/// A fixed provider key (never a real one), so that test outputs are reproducible.
#[allow(dead_code)] // not used by the manifest and signature tests
pub fn test_key() -> ProviderKey {
    key_from_seed(1)
}

/// A provider key made from a 32-byte seed filled with `seed`, with its
/// certificate valid from [`issue_date`].
pub fn key_from_seed(seed: u8) -> ProviderKey {
    let private = PrivateKey::new(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]));
    ProviderKey::with_new_certificate(private, "Acme Cross-Border Services Ltd", issue_date()).expect("certificate")
}

/// The demo statement's issue date, 2026-11-01.
pub fn issue_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date")
}

/// What a third-party tool printed and whether it succeeded.
#[allow(dead_code)] // used by the key file, third-party and end-to-end tests only
pub struct ToolRun {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

#[allow(dead_code)] // used by the key file, third-party and end-to-end tests only
impl ToolRun {
    /// Exit status, stdout and stderr, for assertion messages.
    pub fn text(&self) -> String {
        format!("success: {}\n--- stdout\n{}--- stderr\n{}", self.success, self.stdout, self.stderr)
    }
}

/// Runs `program args…` in `dir`, with stdin from `stdin` (relative to
/// `dir`) or empty, and echoes the command and what it printed to stderr
/// (seen with `--nocapture`). A tool that is not installed fails the test
/// naming it and what installs it.
#[allow(dead_code)] // used by the key file, third-party and end-to-end tests only
pub fn run_tool(dir: &Path, program: &str, args: &[&str], stdin: Option<&Path>) -> ToolRun {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.stdin(match stdin {
        Some(path) => Stdio::from(fs::File::open(dir.join(path)).expect("stdin file")),
        None => Stdio::null(),
    });
    let output = match command.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            panic!("required tool `{program}` is not installed ({}; .ci/run installs it)", install_hint(program))
        }
        Err(error) => panic!("cannot run `{program}`: {error}"),
    };
    let run = ToolRun {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let redirect = stdin.map(|path| format!(" < {}", path.display())).unwrap_or_default();
    eprintln!("$ {program} {}{redirect}\n{}{}[{}]\n", args.join(" "), run.stdout, run.stderr, output.status);
    run
}

fn install_hint(program: &str) -> &'static str {
    match program {
        "pyhanko" => "pip install pyhanko pyhanko-cli",
        "bagit.py" => "pip install bagit",
        "ssh-keygen" => "Debian package openssh-client",
        "qpdf" | "minisign" | "unzip" => "the Debian package of that name",
        _ => "see .ci/run",
    }
}

/// Flips the lowest bit of byte `at` of the file at `path`.
#[allow(dead_code)] // used by the third-party and end-to-end tests only
pub fn flip_byte(path: &Path, at: usize) {
    let mut bytes = fs::read(path).expect("read");
    bytes[at] ^= 0x01;
    fs::write(path, bytes).expect("write");
}

/// A PDF 2.0 file as printpdf+lopdf write them (classic xref table, /ID in
/// the trailer): `pages` A4 pages of Helvetica text, 50 lines each.
#[allow(dead_code)] // not used by the key file, manifest and signature tests
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

fn sha(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A manifest like the demo's acme-home statement, signed by `key_id`.
#[allow(dead_code)] // used by the manifest, signature and third-party tests only
pub fn sample_manifest(key_id: KeyId) -> Manifest {
    Manifest {
        schema: MANIFEST_SCHEMA.to_string(),
        status: Status::Final,
        provider: Provider { name: "Lingxi".into(), legal_name: "Lingxi Cross-Border Services Ltd.".into() },
        seller: Seller { id: "acme-home".into(), legal_name: "Acme Home Goods Co., Ltd. (深圳)".into() },
        period: "2026-10".into(),
        statement_number: "KPI-2026-10-acme-home".into(),
        issue_date: "2026-11-01".into(),
        tool: Tool { name: "kpiseal".into(), version: "0.1.0".into() },
        key_id,
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

#[allow(dead_code)] // used by the manifest tests only
pub fn sample_supersedes() -> Supersedes {
    Supersedes {
        statement_number: "KPI-2026-10-acme-home".into(),
        manifest_sha256: sha("old manifest"),
        statement_pdf_sha256: sha("old statement.pdf"),
        reason: "corrected FX rate \"PTAX\"\n(BCB)".into(),
    }
}

#[path = "../../../../tests/common/tools.rs"]
mod tools;
#[allow(unused_imports)] // used by the key file, third-party and end-to-end tests only
pub use tools::tools_present;
