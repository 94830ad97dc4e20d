//! The sealed statement as a seller or reviewer checks it, with the
//! third-party tools alone (`.ci/run` installs them): pyHanko and qpdf on the
//! signed PDF, poppler on its text and attachment, minisign and ssh-keygen
//! on the manifest, bagit.py and unzip on the evidence bag; plus
//! determinism, the demo key's mark, and the key rules of `run` and
//! `keygen`. Run with `--nocapture` to see what the tools print.

mod common;
use common::{demo, tree};

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kpiseal::batch::{BatchOptions, BatchSummary, Silent, run_batch};
use kpiseal::i18n::Catalog;
use kpiseal::seal_config::{DEMO_KEY_ID, Signer};
use kpiseal::statement::Statement;
use kpiseal::workspace::Workspace;
use kpiseal_seal::manifest::{Manifest, check_inputs, hash_file, is_canonical};

const PERIOD: &str = "2026-10";
const DEMO_SELLERS: [&str; 3] = ["acme-home", "rio-casa", "sunny-gadgets"];
/// Every file of a seller's folder besides the bag and its zip.
const SEALED_FILES: [&str; 12] = [
    "statement.pdf",
    "statement.json",
    "provenance.csv",
    "manifest.json",
    "manifest.json.minisig",
    "manifest.json.sig",
    "provider.minisign.pub",
    "provider.ssh.pub",
    "allowed_signers",
    "provider.cert.pem",
    "provider.p256.cert.pem",
    "verify.html",
];

/// Runs the demo month end into `out` in-process.
fn run_demo(out: &Path, include_inputs: bool) -> BatchSummary {
    let ws = Workspace::open(&demo()).unwrap();
    let mut opts = BatchOptions::new(PERIOD.parse().unwrap(), out);
    opts.include_inputs = include_inputs;
    let signer = Signer::load(&ws).unwrap();
    let summary = run_batch(&ws, &opts, &signer, &Silent).unwrap();
    assert_eq!(summary.failed, 0, "{:#?}", summary.sellers);
    summary
}

fn seller_dir(out: &Path, seller: &str) -> PathBuf {
    out.join(PERIOD).join(seller)
}

/// Runs `program args…` in `dir` with stdin from `stdin` (or empty); echoes
/// what it printed (seen with --nocapture). Fails naming the tool when it is
/// not installed.
fn tool(dir: &Path, program: &str, args: &[&str], stdin: Option<&Path>) -> (bool, String) {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.stdin(match stdin {
        Some(path) => Stdio::from(fs::File::open(path).unwrap()),
        None => Stdio::null(),
    });
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{program}` ({e}); .ci/run installs the third-party tools"));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    eprintln!("$ {program} {} (in {})\n{text}[{}]\n", args.join(" "), dir.display(), output.status);
    (output.status.success(), text)
}

fn manifest(dir: &Path) -> Manifest {
    Manifest::from_json(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn the_seller_folder_holds_exactly_the_documented_layout() {
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), false);
    for seller in DEMO_SELLERS {
        let dir = seller_dir(out.path(), seller);
        let mut expected: Vec<String> = SEALED_FILES.iter().map(|f| f.to_string()).collect();
        expected.push("evidence.zip".into());
        for tag in ["bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt"] {
            expected.push(format!("evidence/{tag}"));
        }
        expected.extend(["evidence/tagmanifest-sha256.txt".into(), "evidence/tagmanifest-sha512.txt".into()]);
        expected.extend(SEALED_FILES.iter().map(|f| format!("evidence/data/{f}")));
        expected.sort();
        let files = tree(&dir);
        assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expected, "{seller}");
        for name in SEALED_FILES {
            assert!(files[name] == files[&format!("evidence/data/{name}")], "{seller}: bag copy of {name} differs");
        }
        let info = String::from_utf8(files["evidence/bag-info.txt"].clone()).unwrap();
        assert!(info.contains("Bagging-Date: 2026-11-01\n"), "{info}");
        // The P-256 certificate derived from the demo key is the one published beside it.
        for certificate in ["provider.cert.pem", "provider.p256.cert.pem"] {
            let published = fs::read(demo().join("keys").join(certificate)).unwrap();
            assert!(files[certificate] == published, "{seller}: {certificate} differs from fixtures/demo/keys");
        }
    }
}

#[test]
fn pyhanko_and_pdfsig_report_every_statement_signature_valid_and_qpdf_finds_no_problem() {
    if !common::tools_present(&["pyhanko", "pdfsig", "qpdf"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), false);
    for seller in DEMO_SELLERS {
        let dir = seller_dir(out.path(), seller);
        let args = ["sign", "validate", "--trust-replace", "--trust", "provider.p256.cert.pem", "statement.pdf"];
        let (ok, text) = tool(&dir, "pyhanko", &args, None);
        assert!(ok, "{seller}: {text}");
        assert!(text.trim().ends_with(":INTACT:TRUSTED,UNTOUCHED"), "{seller}: {text}");
        let (ok, text) = tool(
            &dir,
            "pyhanko",
            &[
                "sign",
                "validate",
                "--pretty-print",
                "--trust-replace",
                "--trust",
                "provider.p256.cert.pem",
                "statement.pdf",
            ],
            None,
        );
        assert!(ok, "{seller}: {text}");
        for expected in [
            "Signing time as reported by signer: 2026-11-01T00:00:00+00:00",
            "The signature covers the entire file.",
            "The signature is judged VALID.",
        ] {
            assert!(text.contains(expected), "{seller}: missing {expected:?} in\n{text}");
        }
        // What Evince and Okular show: the one signature, valid, over the whole file.
        let (ok, text) = tool(&dir, "pdfsig", &["statement.pdf"], None);
        assert!(ok, "{seller}: {text}");
        for expected in ["Total document signed", "Signature Validation: Signature is Valid."] {
            assert!(text.contains(expected), "{seller}: pdfsig: missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("Signature #2"), "{seller}: {text}");
        let (ok, text) = tool(&dir, "qpdf", &["--check", "statement.pdf"], None);
        assert!(ok && text.contains("No syntax or stream encoding errors"), "{seller}: {text}");
        assert!(!text.to_lowercase().contains("warning"), "{seller}: {text}");
    }
}

#[test]
fn minisign_and_ssh_keygen_accept_the_manifest_signatures() {
    if !common::tools_present(&["minisign", "ssh-keygen"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), false);
    for seller in DEMO_SELLERS {
        let dir = seller_dir(out.path(), seller);
        let args = ["-Vm", "manifest.json", "-x", "manifest.json.minisig", "-p", "provider.minisign.pub"];
        let (ok, text) = tool(&dir, "minisign", &args, None);
        assert!(ok && text.contains("Signature and comment signature verified"), "{seller}: {text}");
        let number = Statement::from_json(&fs::read(dir.join("statement.json")).unwrap()).unwrap().statement_number;
        let comment = format!("Trusted comment: kpiseal {number} {PERIOD} key {DEMO_KEY_ID}");
        assert!(text.contains(&comment), "{seller}: {text}");

        let identity = format!("kpiseal:{DEMO_KEY_ID}");
        let args = [
            "-Y",
            "verify",
            "-f",
            "allowed_signers",
            "-I",
            &identity,
            "-n",
            "kpiseal-manifest@v1",
            "-s",
            "manifest.json.sig",
        ];
        let (ok, text) = tool(&dir, "ssh-keygen", &args, Some(&dir.join("manifest.json")));
        assert!(ok, "{seller}: {text}");
        assert!(text.contains(&format!("Good \"kpiseal-manifest@v1\" signature for {identity}")), "{seller}: {text}");
    }
}

#[test]
fn bagit_validates_the_bag_and_unzip_tests_the_zip() {
    if !common::tools_present(&["bagit.py", "unzip"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), true);
    for seller in DEMO_SELLERS {
        let dir = seller_dir(out.path(), seller);
        let (ok, text) = tool(&dir, "bagit.py", &["--validate", "evidence"], None);
        assert!(ok && text.contains("evidence is valid"), "{seller}: {text}");
        let (ok, text) = tool(&dir, "unzip", &["-t", "evidence.zip"], None);
        assert!(ok && text.contains("No errors detected"), "{seller}: {text}");
        // The zip holds the bag: unpacked, it is the same bag, and valid.
        let unpacked = tempfile::tempdir().unwrap();
        let zip = dir.join("evidence.zip").display().to_string();
        let (ok, text) = tool(unpacked.path(), "unzip", &["-q", &zip], None);
        assert!(ok, "{text}");
        assert!(tree(&unpacked.path().join("evidence")) == tree(&dir.join("evidence")), "{seller}: zip ≠ bag");
    }
}

#[test]
fn with_include_inputs_the_bag_holds_every_input_as_read_and_each_sealed_file_as_a_hard_link() {
    use std::os::unix::fs::MetadataExt;
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), true);
    for seller in DEMO_SELLERS {
        let dir = seller_dir(out.path(), seller);
        for name in SEALED_FILES {
            let (file, in_bag) =
                (fs::metadata(dir.join(name)).unwrap(), fs::metadata(dir.join("evidence/data").join(name)).unwrap());
            assert_eq!((file.ino(), file.nlink()), (in_bag.ino(), 2), "{seller}/{name}");
        }
        let statement = Statement::from_json(&fs::read(dir.join("statement.json")).unwrap()).unwrap();
        let inputs = dir.join("evidence/data/inputs");
        assert!(statement.inputs.len() >= 4, "{seller}");
        for input in &statement.inputs {
            let copy = inputs.join(&input.path);
            assert_eq!(fs::read(&copy).unwrap(), fs::read(demo().join(&input.path)).unwrap(), "{}", input.path);
            let copied = fs::metadata(&copy).unwrap().nlink();
            assert_eq!(copied, 1, "{seller}: {} is a copy, not the workspace's file", input.path);
        }
        // A reviewer given only the zip re-hashes the inputs against the signed manifest.
        let checks = check_inputs(&manifest(&dir), &inputs);
        assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    }
}

#[test]
fn the_attachment_is_statement_json_and_the_manifest_lists_the_files_as_written() {
    if !common::tools_present(&["pdfdetach"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let summary = run_demo(out.path(), false);
    for seller in DEMO_SELLERS {
        let dir = seller_dir(out.path(), seller);
        let extracted = out.path().join(format!("{seller}.json"));
        let (ok, text) =
            tool(&dir, "pdfdetach", &["-save", "1", "-o", &extracted.display().to_string(), "statement.pdf"], None);
        assert!(ok, "{text}");
        assert_eq!(fs::read(&extracted).unwrap(), fs::read(dir.join("statement.json")).unwrap(), "{seller}");

        let bytes = fs::read(dir.join("manifest.json")).unwrap();
        assert!(is_canonical(&bytes), "{seller}: manifest.json is not RFC 8785 canonical");
        let m = manifest(&dir);
        let names: Vec<&str> = m.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "statement.pdf",
                "statement.json",
                "provenance.csv",
                "provider.minisign.pub",
                "provider.ssh.pub",
                "allowed_signers",
                "provider.cert.pem",
                "provider.p256.cert.pem",
                "verify.html"
            ]
        );
        for output in &m.outputs {
            let found = hash_file(&dir.join(&output.name)).unwrap();
            assert_eq!((found.sha256.as_str(), found.bytes), (output.sha256.as_str(), output.bytes), "{}", output.name);
        }
        let statement = Statement::from_json(&fs::read(dir.join("statement.json")).unwrap()).unwrap();
        assert_eq!(m.key_id.to_string(), DEMO_KEY_ID);
        assert_eq!(statement.signing.key_id, DEMO_KEY_ID);
        assert!(statement.signing.demo);
        assert_eq!((m.seller.id.as_str(), m.period.as_str()), (seller, PERIOD));
        assert_eq!(m.statement_number, statement.statement_number);
        assert_eq!(m.issue_date, "2026-11-01");
        assert_eq!((m.tool.name.as_str(), m.tool.version.as_str()), ("kpiseal", env!("CARGO_PKG_VERSION")));
        assert_eq!(m.figures.amount_due, statement.totals.amount_due.to_string());
        assert_eq!(m.figures.currency, statement.totals.currency.code());
        let listed: Vec<(&str, &str, u64)> =
            m.inputs.iter().map(|i| (i.path.as_str(), i.sha256.as_str(), i.rows)).collect();
        let recorded: Vec<(&str, &str, u64)> =
            statement.inputs.iter().map(|i| (i.path.as_str(), i.sha256.as_str(), i.rows as u64)).collect();
        assert_eq!(listed, recorded, "{seller}");
        assert_eq!(m.contract.path, format!("contracts/{seller}.toml"));
        assert_eq!(m.fx.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["fx/2026-10-ptax.csv", "fx/2026-10.csv"]);
        assert!(check_inputs(&m, &demo()).iter().all(|c| c.passed), "{seller}");
        let outcome = summary.sellers.iter().find(|o| o.seller == seller).unwrap();
        assert_eq!(outcome.key_id.as_deref(), Some(DEMO_KEY_ID));
    }
}

#[test]
fn the_readme_re_hash_command_checks_every_input() {
    if !common::tools_present(&["python3", "sha256sum"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), false);
    let manifest = seller_dir(out.path(), "acme-home").join("manifest.json");
    // README, "Verifying a statement", run in the workspace.
    let script = format!(
        "python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(\"\".join(\"%s  %s\\n\" % (i[\"sha256\"], i[\"path\"]) for i in m[\"inputs\"]), end=\"\")' {} | sha256sum -c",
        manifest.display()
    );
    let (ok, text) = tool(&demo(), "sh", &["-c", &script], None);
    assert!(ok, "{text}");
    assert_eq!(text.lines().filter(|l| l.ends_with(": OK")).count(), manifest_inputs(&manifest), "{text}");
}

fn manifest_inputs(path: &Path) -> usize {
    Manifest::from_json(&fs::read(path).unwrap()).unwrap().inputs.len()
}

#[test]
fn two_runs_write_byte_identical_folders_zip_included() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    run_demo(a.path(), true);
    run_demo(b.path(), true);
    for seller in DEMO_SELLERS {
        let (ta, tb) = (tree(&seller_dir(a.path(), seller)), tree(&seller_dir(b.path(), seller)));
        assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>(), "{seller}");
        for (name, bytes) in &ta {
            assert!(bytes == &tb[name], "{seller}: {name} differs between two runs");
        }
    }
}

#[test]
fn statements_signed_with_the_demo_key_say_so_on_every_page_in_their_language() {
    if !common::tools_present(&["pdfinfo", "pdftotext"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run_demo(out.path(), false);
    for seller in DEMO_SELLERS {
        let dir = seller_dir(out.path(), seller);
        let statement = Statement::from_json(&fs::read(dir.join("statement.json")).unwrap()).unwrap();
        let mark: String = Catalog::get(statement.seller.language)
            .unwrap()
            .text("document.demo_key")
            .unwrap()
            .split_whitespace()
            .collect();
        let (_, info) = tool(&dir, "pdfinfo", &["statement.pdf"], None);
        let pages: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap();
        assert!(pages >= 3, "{seller}: {pages}");
        for page in 1..=pages {
            let p = page.to_string();
            let (ok, text) = tool(&dir, "pdftotext", &["-f", &p, "-l", &p, "statement.pdf", "-"], None);
            assert!(ok);
            let squashed: String = text.split_whitespace().collect();
            assert!(squashed.contains(&mark), "{seller} page {page}: no {mark:?}");
        }
    }
}

/// The demo workspace copied to a temporary folder (without `out/`).
fn copy_of_demo() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == "out" {
                continue;
            }
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&demo(), dir.path());
    dir
}

fn kpiseal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal")).args(args).output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn the_demo_key_is_accepted_at_mode_0644_with_a_warning() {
    let ws = copy_of_demo();
    fs::set_permissions(ws.path().join("keys/provider.key"), fs::Permissions::from_mode(0o644)).unwrap();
    let root = ws.path().display().to_string();
    let output = kpiseal(&["run", "--workspace", &root, "--period", PERIOD, "--quiet"]);
    assert!(output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("WARNING signing with the public demo key {DEMO_KEY_ID}")), "{stderr}");
    assert!(!text(&output).contains("BEGIN PRIVATE KEY"));
}

#[test]
fn keygen_writes_a_0600_key_and_run_refuses_it_when_group_readable_then_signs_with_it() {
    if !common::tools_present(&["pdftotext", "pyhanko"]) {
        return;
    }
    let ws = copy_of_demo();
    let root = ws.path().display().to_string();
    let keys = ws.path().join("keys2");
    let output = kpiseal(&[
        "keygen",
        "--out",
        &keys.display().to_string(),
        "--provider",
        "Lingxi Cross-border",
        "--not-before",
        "2026-01-01",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    let key_id = printed.lines().find_map(|l| l.strip_prefix("key id ")).expect("key id line").to_string();
    assert_eq!(key_id.len(), 16, "{printed}");
    assert_ne!(key_id, DEMO_KEY_ID);
    for file in [
        "provider.key",
        "provider.cert.pem",
        "provider.pub.pem",
        "provider.minisign.pub",
        "provider.ssh.pub",
        "provider.p256.cert.pem",
    ] {
        assert!(printed.contains(&keys.join(file).display().to_string()), "{file} not listed: {printed}");
    }
    assert!(!text(&output).contains("PRIVATE KEY-----"), "key material printed: {printed}");
    let private = keys.join("provider.key");
    assert_eq!(fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);

    // Never overwrites.
    let again = kpiseal(&["keygen", "--out", &keys.display().to_string(), "--provider", "X"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    let config = fs::read_to_string(ws.path().join("kpiseal.toml")).unwrap().replace("keys/", "keys2/");
    fs::write(ws.path().join("kpiseal.toml"), config).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o640)).unwrap();
    let out = ws.path().join("out");
    let refused = kpiseal(&["run", "--workspace", &root, "--period", PERIOD]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let message = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(message.contains("keys2/provider.key") && message.contains("0640"), "{message}");
    assert!(!out.exists(), "nothing may be written with a refused key");

    fs::set_permissions(&private, fs::Permissions::from_mode(0o600)).unwrap();
    let signed = kpiseal(&["run", "--workspace", &root, "--period", PERIOD, "--seller", "sunny-gadgets"]);
    assert!(signed.status.success(), "{}", text(&signed));
    assert!(!text(&signed).contains("WARNING signing with the public demo key"), "{}", text(&signed));
    let dir = seller_dir(&out, "sunny-gadgets");
    let statement = Statement::from_json(&fs::read(dir.join("statement.json")).unwrap()).unwrap();
    assert_eq!((statement.signing.key_id.as_str(), statement.signing.demo), (key_id.as_str(), false));
    for certificate in ["provider.cert.pem", "provider.p256.cert.pem"] {
        assert_eq!(
            fs::read(dir.join(certificate)).unwrap(),
            fs::read(keys.join(certificate)).unwrap(),
            "{certificate}"
        );
    }
    let (ok, pdf_text) = tool(&dir, "pdftotext", &["statement.pdf", "-"], None);
    assert!(ok && !pdf_text.contains("DEMO KEY") && pdf_text.contains(&key_id), "{pdf_text}");
    let args = ["sign", "validate", "--trust-replace", "--trust", "provider.p256.cert.pem", "statement.pdf"];
    let (ok, report) = tool(&dir, "pyhanko", &args, None);
    assert!(ok && report.trim().ends_with(":INTACT:TRUSTED,UNTOUCHED"), "{report}");
}

#[test]
fn run_without_a_signing_section_is_a_configuration_error_pointing_to_keygen() {
    let ws = copy_of_demo();
    let config = fs::read_to_string(ws.path().join("kpiseal.toml")).unwrap();
    let without = config.split("\n# The public demo key").next().unwrap().to_string();
    assert!(!without.contains("[signing]"));
    fs::write(ws.path().join("kpiseal.toml"), without).unwrap();
    let output = kpiseal(&["run", "--workspace", &ws.path().display().to_string(), "--period", PERIOD]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("kpiseal.toml: signing: missing") && text(&output).contains("kpiseal keygen"));
    assert!(!ws.path().join("out").exists());
}
