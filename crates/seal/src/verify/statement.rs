//! A statement's own files, at the top of a statement folder or in a bag's
//! `data/`: the manifest, its two signatures, and the files it lists.

use ed25519_dalek::VerifyingKey;

use super::tree::{Tree, Want, read_folder};
use super::{
    ALLOWED_SIGNERS, DELIVERED_OUTPUTS, DELIVERED_OUTPUTS_WITHOUT_PAGE, DELIVERED_OUTPUTS_WITHOUT_TABLE,
    DELIVERED_PUBLIC_KEY, EVIDENCE_BAG, EVIDENCE_ZIP, FileSeen, KeyUsed, Kind, MANIFEST, MANIFEST_MINISIG,
    MANIFEST_SSHSIG, Options, Verification, bag, pdf,
};
use crate::check::Check;
use crate::keys::{KeyId, parse_public_key};
use crate::manifest::{Manifest, check_inputs, hash_bytes, is_canonical};
use crate::verify_page::VERIFY_PAGE;
use crate::{minisign, sshsig};

/// A statement found and checked: its manifest and the manifest's SHA-256.
pub(crate) struct Found {
    pub manifest: Manifest,
    pub manifest_sha256: String,
}

/// True for the names of a statement's own files (its manifest, the
/// manifest's signatures, and the files every manifest lists).
pub(crate) fn is_statement_file(name: &str) -> bool {
    name == MANIFEST || name == MANIFEST_MINISIG || name == MANIFEST_SSHSIG || DELIVERED_OUTPUTS.contains(&name)
}

/// A statement folder: its files, then the bag and the zip beside them,
/// which must hold this same statement; anything else is an extra.
pub(crate) fn verify_statement_folder(
    dir: &std::path::Path,
    subject: &std::path::Path,
    options: &Options<'_>,
) -> Verification {
    let mut v = Verification::new(subject, Kind::StatementFolder);
    let plan = |path: &str, is_dir: bool| {
        if path == EVIDENCE_BAG && is_dir {
            Want::Descend
        } else if let Some(rest) = path.strip_prefix("evidence/") {
            bag::plan(rest, is_dir)
        } else if !is_dir && is_statement_file(path) {
            Want::Keep
        } else {
            Want::List
        }
    };
    let mut tree = read_folder(dir, &plan);
    let bag_tree = tree.folders.contains(EVIDENCE_BAG).then(|| tree.split_off(EVIDENCE_BAG));
    let zip_present = tree.files.contains_key(EVIDENCE_ZIP);
    let found = check_statement(&mut tree, "", &mut v, options, &[EVIDENCE_BAG, EVIDENCE_ZIP]);
    let folder_sha = found.as_ref().map(|f| f.manifest_sha256.clone());
    if let Some(bag_tree) = bag_tree {
        let in_bag = bag::check_bag(bag_tree, "evidence/", &mut v, options);
        same_statement(&mut v, "evidence/data/manifest.json", folder_sha.as_deref(), in_bag.as_ref());
    }
    if zip_present {
        match bag::read_zip_bag(&dir.join(EVIDENCE_ZIP)) {
            Ok(read) => {
                v.files.push(FileSeen { path: EVIDENCE_ZIP.to_string(), sha256: read.sha256, bytes: read.bytes });
                let at = format!("{EVIDENCE_ZIP}:{}/", read.top);
                let in_zip = bag::check_bag(read.bag, &at, &mut v, options);
                bag::zip_date_check(&mut v, EVIDENCE_ZIP, read.dos_date, in_zip.as_ref());
                same_statement(&mut v, &format!("{at}data/manifest.json"), folder_sha.as_deref(), in_zip.as_ref());
            }
            Err(reason) => v.checks.push(Check::fail("zip", EVIDENCE_ZIP, "a zip as kpiseal writes it", reason)),
        }
    }
    v
}

/// The bag or zip beside a folder must hold the folder's own statement.
fn same_statement(v: &mut Verification, shown: &str, folder: Option<&str>, inner: Option<&Found>) {
    let found = inner.map_or("no readable statement".to_string(), |f| format!("manifest sha256 {}", f.manifest_sha256));
    let expected = folder.map_or("the folder's statement".to_string(), |sha| format!("manifest sha256 {sha}"));
    v.checks.push(Check::compare("same-statement", shown, expected, found));
}

/// Checks the statement whose files are at the top of `tree` (shown with
/// `at` before each name): the manifest's minisign and SSHSIG signatures,
/// its form and key id, the trusted comment, that it lists exactly the
/// files kpiseal delivers, each of them byte for byte, the delivered key,
/// the PDF's own signature, and (with a workspace) the inputs. Top-level
/// names other than those files and `containers` are extras. Every file
/// read is added to `v.files`; the tree's read problems to `v.checks`.
pub(crate) fn check_statement(
    tree: &mut Tree,
    at: &str,
    v: &mut Verification,
    options: &Options<'_>,
    containers: &[&str],
) -> Option<Found> {
    let shown = |name: &str| format!("{at}{name}");
    for mut problem in tree.problems.drain(..) {
        problem.path = shown(&problem.path);
        v.checks.push(problem);
    }
    for (path, node) in &tree.files {
        if let Some(contents) = &node.contents {
            v.files.push(FileSeen { path: shown(path), sha256: contents.sha256.clone(), bytes: node.bytes });
        }
    }
    let extras: Vec<String> = tree
        .top_level()
        .into_iter()
        .filter(|n| !is_statement_file(n) && !containers.contains(&n.as_str()))
        .map(|n| shown(&n))
        .collect();
    v.extras(extras, options);

    let Some(manifest_bytes) = tree.data(MANIFEST) else {
        v.checks.push(Check::fail("manifest", shown(MANIFEST), "present", "missing"));
        return None;
    };
    let parsed = Manifest::from_json(manifest_bytes);
    let key = signing_key(tree, at, v, options)?;
    let namespace = parsed.as_ref().map_or(sshsig::NAMESPACE, Manifest::sshsig_namespace);
    let trusted_comment = signature_checks(tree, at, v, manifest_bytes, &key, namespace);
    let manifest = match parsed {
        Ok(m) => m,
        Err(e) => {
            v.checks.push(Check::fail("manifest", shown(MANIFEST), "a kpiseal manifest", e.to_string()));
            return None;
        }
    };
    v.checks.push(if is_canonical(manifest_bytes) {
        Check::pass("manifest", shown(MANIFEST), "RFC 8785 canonical JSON")
    } else {
        Check::fail("manifest", shown(MANIFEST), "RFC 8785 canonical JSON", "not canonical")
    });
    v.checks.push(Check::compare(
        "manifest key-id",
        shown(MANIFEST),
        KeyId::of(&key).to_string(),
        manifest.key_id.to_string(),
    ));
    if let Some(comment) = trusted_comment {
        v.checks.push(Check::compare(
            "minisign trusted-comment",
            shown(MANIFEST_MINISIG),
            manifest.trusted_comment(),
            comment,
        ));
    }
    output_checks(tree, at, v, &manifest);
    // A page beside a statement sealed before the page was delivered is not covered by its manifest.
    if tree.files.contains_key(VERIFY_PAGE) && !manifest.outputs.iter().any(|o| o.name == VERIFY_PAGE) {
        v.extras([shown(VERIFY_PAGE)], options);
    }
    delivered_key_check(tree, at, v, &key);
    // A missing PDF is reported by output_checks.
    if let Some(pdf) = tree.data(super::STATEMENT_PDF) {
        pdf::pdf_checks(v, &shown(super::STATEMENT_PDF), pdf, Some(&key), Some(&manifest));
    }
    if let Some(ws) = options.workspace {
        v.checks.extend(check_inputs(&manifest, ws));
    }
    if v.status.is_none() {
        v.status = Some(manifest.status);
    }
    let manifest_sha256 = hash_bytes(manifest_bytes).sha256;
    if v.manifest.is_none() {
        v.manifest = Some(manifest.clone());
        // The bytes of the outputs as checked here, for a reader of them
        // (kpiseal explain) that must not read the files a second time.
        for output in &manifest.outputs {
            if let Some(bytes) = tree.data(&output.name) {
                v.outputs.insert(output.name.clone(), bytes.to_vec());
            }
        }
    }
    Some(Found { manifest, manifest_sha256 })
}

/// The key to check with: the pinned one, else the one delivered beside
/// the manifest (a failed `public-key` check and `None` when unreadable).
fn signing_key(tree: &Tree, at: &str, v: &mut Verification, options: &Options<'_>) -> Option<VerifyingKey> {
    let shown = format!("{at}{DELIVERED_PUBLIC_KEY}");
    if let Some(key) = options.key {
        if v.key == KeyUsed::Unknown {
            v.key = KeyUsed::Pinned(key.key_id);
        }
        return Some(key.verifying_key);
    }
    let parsed = tree
        .data(DELIVERED_PUBLIC_KEY)
        .ok_or_else(|| "missing".to_string())
        .and_then(|bytes| std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string()))
        .and_then(|text| match parse_public_key(text) {
            Ok(Some(key)) => Ok(key),
            Ok(None) => Err("not a public key".to_string()),
            Err((format, reason)) => Err(format!("{format}: {reason}")),
        });
    match parsed {
        Ok(key) => {
            if v.key == KeyUsed::Unknown {
                v.key = KeyUsed::Delivered { key_id: key.key_id, file: shown };
            }
            Some(key.verifying_key)
        }
        Err(problem) => {
            v.checks.push(Check::fail("public-key", shown, "the provider's public key", problem));
            None
        }
    }
}

/// The manifest's minisign and SSHSIG signatures; returns the minisign
/// trusted comment when that signature verified.
fn signature_checks(
    tree: &Tree,
    at: &str,
    v: &mut Verification,
    message: &[u8],
    key: &VerifyingKey,
    namespace: &str,
) -> Option<String> {
    let text = |name: &str| tree.data(name).and_then(|b| std::str::from_utf8(b).ok());
    let key_id = KeyId::of(key);
    let mut comment = None;
    let minisig = format!("{at}{MANIFEST_MINISIG}");
    match text(MANIFEST_MINISIG) {
        Some(sig) => match minisign::verify(message, sig, key) {
            Ok(verified) => {
                v.checks.push(Check::pass("minisign", &minisig, format!("signed by key {key_id}")));
                comment = Some(verified.trusted_comment);
            }
            Err(e) => v.checks.push(Check::fail("minisign", &minisig, "a valid signature", e.to_string())),
        },
        None => v.checks.push(Check::fail("minisign", &minisig, "present", "missing or not UTF-8")),
    }
    let ssh = format!("{at}{MANIFEST_SSHSIG}");
    match text(MANIFEST_SSHSIG) {
        Some(sig) => match sshsig::verify_in(message, sig, key, namespace) {
            Ok(()) => v.checks.push(Check::pass("sshsig", &ssh, format!("namespace {namespace}, key {key_id}"))),
            Err(e) => {
                v.checks.push(Check::fail("sshsig", &ssh, format!("a valid signature in {namespace}"), e.to_string()))
            }
        },
        None => v.checks.push(Check::fail("sshsig", &ssh, "present", "missing or not UTF-8")),
    }
    comment
}

/// The manifest lists exactly the files kpiseal delivers, and each is here
/// byte for byte.
fn output_checks(tree: &Tree, at: &str, v: &mut Verification, manifest: &Manifest) {
    let mut listed: Vec<&str> = manifest.outputs.iter().map(|o| o.name.as_str()).collect();
    listed.sort_unstable();
    let sorted = |names: &[&'static str]| {
        let mut names = names.to_vec();
        names.sort_unstable();
        names.join(", ")
    };
    let current = sorted(&DELIVERED_OUTPUTS);
    let without_table = sorted(&DELIVERED_OUTPUTS_WITHOUT_TABLE);
    let earlier = sorted(&DELIVERED_OUTPUTS_WITHOUT_PAGE);
    let listed = listed.join(", ");
    v.checks.push(if listed == without_table {
        Check::pass("manifest outputs", format!("{at}{MANIFEST}"), format!("{listed} (sealed before provenance.csv)"))
    } else if listed == earlier {
        Check::pass(
            "manifest outputs",
            format!("{at}{MANIFEST}"),
            format!("{listed} (sealed before verify.html was delivered)"),
        )
    } else {
        Check::compare("manifest outputs", format!("{at}{MANIFEST}"), current, listed)
    });
    for output in &manifest.outputs {
        let expected = format!("sha256 {}, {} bytes", output.sha256, output.bytes);
        let found = match tree.files.get(&output.name) {
            Some(node) => match &node.contents {
                Some(c) => format!("sha256 {}, {} bytes", c.sha256, node.bytes),
                None => "not read".to_string(),
            },
            None => "missing".to_string(),
        };
        v.checks.push(Check::compare("output", format!("{at}{}", output.name), expected, found));
    }
}

/// The delivered public key files are of the key the signatures were checked with.
fn delivered_key_check(tree: &Tree, at: &str, v: &mut Verification, key: &VerifyingKey) {
    let expected = KeyId::of(key).to_string();
    for name in [DELIVERED_PUBLIC_KEY, ALLOWED_SIGNERS] {
        let Some(text) = tree.data(name).and_then(|b| std::str::from_utf8(b).ok()) else { continue };
        let found = match parse_public_key(text) {
            Ok(Some(k)) => k.key_id.to_string(),
            _ if name == ALLOWED_SIGNERS => match text.split_whitespace().skip_while(|w| *w != "ssh-ed25519").nth(1) {
                Some(b64) => match parse_public_key(&format!("ssh-ed25519 {b64}")) {
                    Ok(Some(k)) => k.key_id.to_string(),
                    _ => "unreadable".to_string(),
                },
                None => "unreadable".to_string(),
            },
            _ => "unreadable".to_string(),
        };
        v.checks.push(Check::compare("delivered-key", format!("{at}{name}"), expected.clone(), found));
    }
}
