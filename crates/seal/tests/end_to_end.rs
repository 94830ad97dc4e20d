//! The whole seal flow on a generated PDF, then its verification in Rust
//! and with the tools a seller uses, then a tamper matrix.
//!
//! Sealing: a new provider key and its key files; the PDF signed; a
//! manifest listing the signed PDF and the statement JSON, in canonical
//! JSON; its minisign and SSHSIG signatures; a BagIt bag of all of it plus
//! the public key files; the bag's zip. Verifying: the zip unpacked, and
//! everything checked against the key the verifier trusts (its own copy of
//! the provider's key files, never the copies inside the bag, which whoever
//! tampered with the bag could have replaced).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use ed25519_dalek::VerifyingKey;
use kpiseal_seal::bag::{BagInfo, Durability, PayloadFile, validate_bag, write_bag, write_zip};
use kpiseal_seal::keys::{self, KeyId, ProviderKey, load_public_key, save_key_files};
use kpiseal_seal::manifest::{
    Figures, FileEntry, MANIFEST_SCHEMA, Manifest, OutputFile, Provider, Seller, Status, Tool, check_outputs,
    hash_bytes, hash_file, to_canonical_json,
};
use kpiseal_seal::pdf_signature::{sign_pdf, verify_pdf};
use kpiseal_seal::{minisign, sshsig};

use common::{flip_byte, issue_date, key_from_seed, run_tool, test_pdf};

const PERIOD: &str = "2026-10";
const STATEMENT: &str = "KPI-2026-10-acme-home";
/// Another statement of the same provider and month, for the swaps.
const OTHER_STATEMENT: &str = "KPI-2026-10-beta-shop";

/// The statement's own files, in its folder and under the bag's `data/`.
const STATEMENT_FILES: [&str; 5] =
    ["statement.pdf", "statement.json", "manifest.json", "manifest.json.minisig", "manifest.json.sig"];
/// The provider's public key files, copied into the bag for the seller.
const PUBLIC_KEY_FILES: [&str; 5] = [
    keys::SPKI_PUBLIC_KEY_FILE,
    keys::MINISIGN_PUBLIC_KEY_FILE,
    keys::SSH_PUBLIC_KEY_FILE,
    keys::CERTIFICATE_FILE,
    keys::PADES_CERTIFICATE_FILE,
];

/// Seals statement `number` (a PDF of `pages` pages) with `key`, whose key
/// files are in `keys_dir`: writes the statement folder `<root>/<number>/`,
/// the bag `<root>/bags/<number>/` and returns the path of its zip.
fn seal(root: &Path, key: &ProviderKey, keys_dir: &Path, number: &str, pages: usize) -> PathBuf {
    let folder = root.join(number);
    fs::create_dir_all(&folder).expect("statement folder");
    let time = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).single().expect("valid time");
    let pdf = sign_pdf(&test_pdf(pages), key, time, &format!("Month-end statement {number}"), "São Paulo")
        .expect("sign the PDF");
    fs::write(folder.join("statement.pdf"), pdf).expect("write PDF");
    let json = format!(
        "{{\"schema\":\"kpiseal.statement/1\",\"statement_number\":\"{number}\",\"amount_due\":\"12345.67\"}}\n"
    );
    fs::write(folder.join("statement.json"), json).expect("write JSON");

    let outputs = ["statement.json", "statement.pdf"]
        .map(|name| {
            let digest = hash_file(&folder.join(name)).expect("hash output");
            OutputFile { name: name.into(), sha256: digest.sha256, bytes: digest.bytes }
        })
        .to_vec();
    let contract = hash_bytes(b"[contract]\nid = 'acme-home'\n");
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA.into(),
        status: Status::Final,
        provider: Provider { name: "Lingxi".into(), legal_name: "Lingxi Cross-Border Services Ltd.".into() },
        seller: Seller { id: "acme-home".into(), legal_name: "Acme Home Goods Co., Ltd. (深圳)".into() },
        period: PERIOD.into(),
        statement_number: number.into(),
        issue_date: issue_date().to_string(),
        tool: Tool { name: "kpiseal".into(), version: "0.1.0".into() },
        key_id: key.key_id(),
        figures: Figures { amount_due: "12345.67".into(), currency: "CNY".into() },
        inputs: Vec::new(),
        contract: FileEntry { path: "contracts/acme-home.toml".into(), sha256: contract.sha256, bytes: contract.bytes },
        fx: Vec::new(),
        outputs,
        supersedes: None,
    };
    let canonical = to_canonical_json(&manifest).expect("canonical manifest");
    let comment = minisign::trusted_comment(number, PERIOD, key.key_id());
    let minisig = minisign::sign(key.private_key(), &canonical, &comment).expect("minisign");
    let sshsig = sshsig::sign(key.private_key(), &canonical).expect("sshsig");
    fs::write(folder.join("manifest.json"), &canonical).expect("write manifest");
    fs::write(folder.join("manifest.json.minisig"), minisig).expect("write minisig");
    fs::write(folder.join("manifest.json.sig"), sshsig).expect("write sig");

    let sources: Vec<(&str, PathBuf)> = STATEMENT_FILES
        .iter()
        .map(|name| (*name, folder.join(name)))
        .chain(PUBLIC_KEY_FILES.iter().map(|name| (*name, keys_dir.join(name))))
        .collect();
    let files: Vec<PayloadFile<'_>> = sources.iter().map(|(name, path)| PayloadFile::file(name, path)).collect();
    let info = BagInfo {
        source_organization: "Acme Cross-Border Services Ltd".into(),
        external_identifier: number.into(),
        bagging_date: issue_date().to_string(),
        software_agent: "kpiseal 0.1.0".into(),
    };
    let bag = root.join("bags").join(number);
    fs::create_dir_all(root.join("bags")).expect("bags folder");
    write_bag(&bag, &files, &info, Durability::Fsync).expect("write bag");
    let zip = root.join(format!("{number}.zip"));
    write_zip(&bag, &zip, Durability::Fsync).expect("write zip");
    zip
}

/// A verifier's own copy of a provider's public key files, and the key.
struct Trusted {
    dir: PathBuf,
    key: VerifyingKey,
    key_id: KeyId,
}

impl Trusted {
    /// Trusts the key in `dir`'s `provider.pub.pem`, and writes the
    /// `allowed_signers` file ssh-keygen needs beside it.
    fn from_key_files(dir: &Path) -> Trusted {
        let public = load_public_key(&dir.join(keys::SPKI_PUBLIC_KEY_FILE)).expect("trusted public key");
        let line = sshsig::allowed_signers_line(&public.verifying_key);
        fs::write(dir.join("allowed_signers"), format!("{line}\n")).expect("write allowed_signers");
        Trusted { dir: dir.to_path_buf(), key: public.verifying_key, key_id: public.key_id }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).to_str().expect("UTF-8 path").to_owned()
    }
}

/// Unzips `zip` into a new folder `into` under `root`; returns the bag
/// folder (named like the zip, less `.zip`).
fn unpack(zip: &Path, root: &Path, into: &str) -> PathBuf {
    let dir = root.join(into);
    fs::create_dir(&dir).expect("unpack folder");
    let output = run_tool(&dir, "unzip", &["-q", zip.to_str().expect("UTF-8 path")], None);
    assert!(output.success, "{}", output.text());
    dir.join(zip.file_stem().expect("zip name"))
}

/// Everything a verifier checks in Rust on an unpacked bag: what failed,
/// by name, with why. Empty when the statement verifies.
fn rust_failures(bag: &Path, trusted: &Trusted) -> BTreeMap<String, String> {
    let data = bag.join("data");
    let read = |name: &str| fs::read(data.join(name)).unwrap_or_default();
    let text = |name: &str| String::from_utf8_lossy(&read(name)).into_owned();
    let mut failed = BTreeMap::new();
    match verify_pdf(&read("statement.pdf"), Some(&trusted.key)) {
        Ok(report) if report.is_valid() => {}
        Ok(report) => {
            let why: Vec<String> = report.failures().map(|check| format!("{}: {}", check.name, check.detail)).collect();
            failed.insert("pdf signature".into(), why.join("; "));
        }
        Err(error) => {
            failed.insert("pdf signature".into(), error.to_string());
        }
    }
    let manifest_bytes = read("manifest.json");
    if let Err(error) = minisign::verify(&manifest_bytes, &text("manifest.json.minisig"), &trusted.key) {
        failed.insert("minisign".into(), error.to_string());
    }
    if let Err(error) = sshsig::verify(&manifest_bytes, &text("manifest.json.sig"), &trusted.key) {
        failed.insert("sshsig".into(), error.to_string());
    }
    match Manifest::from_json(&manifest_bytes) {
        Ok(manifest) => {
            if manifest.key_id != trusted.key_id {
                let why = format!("manifest names key {}, the trusted key is {}", manifest.key_id, trusted.key_id);
                failed.insert("manifest key id".into(), why);
            }
            for check in check_outputs(&manifest, &data).into_iter().filter(|check| !check.passed) {
                failed.insert(format!("output {}", check.path), check.to_string());
            }
        }
        Err(error) => {
            failed.insert("manifest".into(), error.to_string());
        }
    }
    for check in validate_bag(bag).into_iter().filter(|check| !check.passed) {
        let what = if check.path.starts_with("data/") { &check.path } else { &check.name };
        failed.entry(format!("bag {what}")).or_insert_with(|| check.to_string());
    }
    failed
}

/// The same checks with the tools a seller uses: the tools that refused.
/// `sha256sum -c` checks the outputs against the hashes the (unverified)
/// manifest lists, as the crate docs tell a seller to.
fn tool_failures(bag: &Path, trusted: &Trusted) -> BTreeSet<&'static str> {
    let data = bag.join("data");
    let mut failed = BTreeSet::new();
    let certificate = trusted.file(keys::PADES_CERTIFICATE_FILE);
    let pyhanko = ["sign", "validate", "--trust-replace", "--trust", &certificate, "statement.pdf"];
    if !run_tool(&data, "pyhanko", &pyhanko, None).success {
        failed.insert("pyhanko");
    }
    let minisign_key = trusted.file(keys::MINISIGN_PUBLIC_KEY_FILE);
    let minisign = ["-Vm", "manifest.json", "-x", "manifest.json.minisig", "-p", &minisign_key];
    if !run_tool(&data, "minisign", &minisign, None).success {
        failed.insert("minisign");
    }
    let (allowed_signers, identity) = (trusted.file("allowed_signers"), sshsig::identity(trusted.key_id));
    let ssh_keygen =
        ["-Y", "verify", "-f", &allowed_signers, "-I", &identity, "-n", sshsig::NAMESPACE, "-s", "manifest.json.sig"];
    if !run_tool(&data, "ssh-keygen", &ssh_keygen, Some(Path::new("manifest.json"))).success {
        failed.insert("ssh-keygen");
    }
    let sums = match Manifest::from_json(&fs::read(data.join("manifest.json")).unwrap_or_default()) {
        Ok(manifest) => manifest.outputs.iter().map(|output| format!("{}  {}\n", output.sha256, output.name)).collect(),
        Err(_) => String::new(),
    };
    let sums_file = bag.with_extension("sha256");
    fs::write(&sums_file, sums).expect("write sums");
    if !run_tool(&data, "sha256sum", &["--strict", "-c", sums_file.to_str().expect("UTF-8 path")], None).success {
        failed.insert("sha256sum");
    }
    let bag_name = bag.file_name().and_then(|name| name.to_str()).expect("bag name");
    let parent = bag.parent().expect("bag parent");
    if !run_tool(parent, "bagit.py", &["--validate", bag_name], None).success {
        failed.insert("bagit.py");
    }
    failed
}

/// One way of tampering with an unpacked bag (its folder), and what the
/// Rust checks and the tools must then refuse.
struct Case {
    name: &'static str,
    tamper: Box<dyn Fn(&Path)>,
    rust: Vec<&'static str>,
    tools: Vec<&'static str>,
}

fn case(name: &'static str, tamper: impl Fn(&Path) + 'static, rust: &[&'static str], tools: &[&'static str]) -> Case {
    Case { name, tamper: Box::new(tamper), rust: rust.to_vec(), tools: tools.to_vec() }
}

/// Offset of the first occurrence of `needle` in the file, plus `plus`.
fn offset_of(path: &Path, needle: &[u8], plus: usize) -> usize {
    let bytes = fs::read(path).expect("read");
    bytes.windows(needle.len()).position(|window| window == needle).expect("needle in file") + plus
}

fn truncate(path: &Path, keep: impl Fn(usize) -> usize) {
    let bytes = fs::read(path).expect("read");
    fs::write(path, &bytes[..keep(bytes.len())]).expect("write");
}

fn replace_with(from: PathBuf, names: &'static [&'static str]) -> impl Fn(&Path) {
    move |bag: &Path| {
        for name in names {
            fs::copy(from.join("data").join(name), bag.join("data").join(name)).expect("swap in");
        }
    }
}

/// Every program this test runs: unzip and qpdf on the untouched zip, and
/// the seller's tools of [`tool_failures`].
const TOOLS: [&str; 7] = ["unzip", "qpdf", "pyhanko", "minisign", "ssh-keygen", "sha256sum", "bagit.py"];

#[test]
fn sealed_statement_verifies_and_every_tampering_is_caught_and_named() {
    if !common::tools_present(&TOOLS) {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let root = root.path();

    // The provider: a new key and its key files; the verifier's own copy of them.
    let key = keys::generate(&mut keys::OsRng, "Acme Cross-Border Services Ltd", issue_date()).expect("new key");
    let provider_keys = root.join("provider-keys");
    fs::create_dir(&provider_keys).expect("mkdir");
    save_key_files(&provider_keys, &key).expect("save key files");
    let trusted_keys = root.join("trusted-keys");
    fs::create_dir(&trusted_keys).expect("mkdir");
    for name in PUBLIC_KEY_FILES {
        fs::copy(provider_keys.join(name), trusted_keys.join(name)).expect("copy public key file");
    }
    let trusted = Trusted::from_key_files(&trusted_keys);
    assert_eq!(trusted.key_id, key.key_id());

    let zip = seal(root, &key, &provider_keys, STATEMENT, 2);
    let other_zip = seal(&root.join("other"), &key, &provider_keys, OTHER_STATEMENT, 3);
    let other_bag = unpack(&other_zip, root, "other-unpacked");

    // Untouched: unzip tests the zip, qpdf the PDF's syntax, and every check passes.
    let output = run_tool(root, "unzip", &["-t", zip.to_str().expect("UTF-8 path")], None);
    assert!(output.success && output.stdout.contains("No errors detected"), "{}", output.text());
    let untouched = unpack(&zip, root, "untouched");
    let output = run_tool(&untouched.join("data"), "qpdf", &["--check", "statement.pdf"], None);
    assert!(output.success, "{}", output.text());
    let failed = rust_failures(&untouched, &trusted);
    assert!(failed.is_empty(), "untouched statement fails: {failed:#?}");
    assert_eq!(tool_failures(&untouched, &trusted), BTreeSet::new(), "untouched statement refused by a tool");

    // Swapping in another statement's manifest also changes Payload-Oxum
    // when the two manifests differ in length.
    let manifest_len = |bag: &Path| fs::metadata(bag.join("data/manifest.json")).expect("manifest").len();
    let oxum_if_lengths_differ: &[&str] =
        if manifest_len(&untouched) == manifest_len(&other_bag) { &[] } else { &["bag Payload-Oxum"] };
    let with_oxum = |labels: &[&'static str]| [labels, oxum_if_lengths_differ].concat();

    let pdf = |bag: &Path| bag.join("data/statement.pdf");
    let cases = vec![
        case(
            "one byte of the PDF's page content",
            move |bag| flip_byte(&pdf(bag), 600),
            &["pdf signature", "output statement.pdf", "bag data/statement.pdf"],
            &["pyhanko", "sha256sum", "bagit.py"],
        ),
        case(
            "one byte of the PDF's embedded CMS signature",
            move |bag| flip_byte(&pdf(bag), offset_of(&pdf(bag), b"/Contents <", 40)),
            &["pdf signature", "output statement.pdf", "bag data/statement.pdf"],
            &["pyhanko", "sha256sum", "bagit.py"],
        ),
        case(
            "one byte of statement.json",
            |bag| flip_byte(&bag.join("data/statement.json"), 20),
            &["output statement.json", "bag data/statement.json"],
            &["sha256sum", "bagit.py"],
        ),
        case(
            "one byte of manifest.json (a digit of amount_due)",
            |bag| {
                let path = bag.join("data/manifest.json");
                flip_byte(&path, offset_of(&path, b"12345.67", 0));
            },
            &["minisign", "sshsig", "bag data/manifest.json"],
            &["minisign", "ssh-keygen", "bagit.py"],
        ),
        case(
            "one byte of the minisign signature",
            |bag| {
                let path = bag.join("data/manifest.json.minisig");
                flip_byte(&path, offset_of(&path, b"\n", 30));
            },
            &["minisign", "bag data/manifest.json.minisig"],
            &["minisign", "bagit.py"],
        ),
        case(
            "one byte of the SSH signature",
            |bag| {
                let path = bag.join("data/manifest.json.sig");
                let at = offset_of(&path, b"-----END", 0) - 20;
                flip_byte(&path, at);
            },
            &["sshsig", "bag data/manifest.json.sig"],
            &["ssh-keygen", "bagit.py"],
        ),
        case(
            "the minisign signature truncated",
            |bag| truncate(&bag.join("data/manifest.json.minisig"), |len| len - 30),
            &["minisign", "bag data/manifest.json.minisig", "bag Payload-Oxum"],
            &["minisign", "bagit.py"],
        ),
        case(
            "the SSH signature truncated",
            |bag| truncate(&bag.join("data/manifest.json.sig"), |len| len / 2),
            &["sshsig", "bag data/manifest.json.sig", "bag Payload-Oxum"],
            &["ssh-keygen", "bagit.py"],
        ),
        case(
            "another statement's manifest",
            replace_with(other_bag.clone(), &["manifest.json"]),
            &with_oxum(&[
                "minisign",
                "sshsig",
                "output statement.json",
                "output statement.pdf",
                "bag data/manifest.json",
            ]),
            &["minisign", "ssh-keygen", "sha256sum", "bagit.py"],
        ),
        case(
            "another statement's manifest with its own valid signatures",
            replace_with(other_bag.clone(), &["manifest.json", "manifest.json.minisig", "manifest.json.sig"]),
            &with_oxum(&[
                "output statement.json",
                "output statement.pdf",
                "bag data/manifest.json",
                "bag data/manifest.json.minisig",
                "bag data/manifest.json.sig",
            ]),
            &["sha256sum", "bagit.py"],
        ),
    ];

    for (i, case) in cases.iter().enumerate() {
        let bag = unpack(&zip, root, &format!("case-{i}"));
        (case.tamper)(&bag);
        let failed = rust_failures(&bag, &trusted);
        let names: BTreeSet<&str> = failed.keys().map(String::as_str).collect();
        assert_eq!(names, case.rust.iter().copied().collect(), "{}: Rust checks {failed:#?}", case.name);
        assert!(failed.values().all(|why| !why.is_empty()), "{}: {failed:#?}", case.name);
        let tools = tool_failures(&bag, &trusted);
        assert_eq!(tools, case.tools.iter().copied().collect(), "{}: tools", case.name);
    }

    // The untouched statement checked against another provider's key.
    let stranger = root.join("stranger-keys");
    fs::create_dir(&stranger).expect("mkdir");
    save_key_files(&stranger, &key_from_seed(9)).expect("save other key files");
    let wrong = Trusted::from_key_files(&stranger);
    let failed = rust_failures(&untouched, &wrong);
    let names: BTreeSet<&str> = failed.keys().map(String::as_str).collect();
    assert_eq!(names, BTreeSet::from(["manifest key id", "minisign", "pdf signature", "sshsig"]), "{failed:#?}");
    for (what, why) in &failed {
        assert!(why.contains(&key.key_id().to_string()) && why.contains(&wrong.key_id.to_string()), "{what}: {why}");
    }
    let tools = tool_failures(&untouched, &wrong);
    assert_eq!(tools, BTreeSet::from(["minisign", "pyhanko", "ssh-keygen"]));
}
