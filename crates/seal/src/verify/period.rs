//! A period folder: `period-manifest.json` with its signatures and key
//! files, and every seller folder found beside it, verified in full
//! against its leaf. The batch summaries beside them are finance's run
//! records, not evidence: no signature covers them, and the report lists
//! them as such; any other file is an extra.

use std::path::Path;

use super::statement::verify_statement_folder;
use super::tree::{Tree, Want, read_folder};
use super::{DELIVERED_PUBLIC_KEY, FileSeen, KeyUsed, Kind, Options, Statements, Verdict, Verification};
use crate::check::Check;
use crate::keys::{PublicKey, parse_public_key};
use crate::period_manifest::{
    self, PERIOD_ALLOWED_SIGNERS, PERIOD_MANIFEST, PERIOD_MANIFEST_MINISIG, PERIOD_MANIFEST_SSHSIG, PeriodManifest,
    SUMMARY_PREFIX,
};
use crate::{minisign, sshsig};

const PERIOD_FILES: [&str; 5] =
    [PERIOD_MANIFEST, PERIOD_MANIFEST_MINISIG, PERIOD_MANIFEST_SSHSIG, PERIOD_ALLOWED_SIGNERS, DELIVERED_PUBLIC_KEY];

/// Verifies the period folder `dir`.
pub(crate) fn verify_period_folder(dir: &Path, subject: &Path, options: &Options<'_>) -> Verification {
    let mut v = Verification::new(subject, Kind::PeriodFolder);
    let plan = |path: &str, is_dir: bool| {
        if is_dir {
            Want::List
        } else if PERIOD_FILES.contains(&path) {
            Want::Keep
        } else if path.starts_with(SUMMARY_PREFIX) {
            Want::Hash
        } else {
            Want::List
        }
    };
    let mut tree = read_folder(dir, &plan);
    v.checks.append(&mut tree.problems);
    for (path, node) in &tree.files {
        if let Some(c) = &node.contents {
            v.files.push(FileSeen { path: path.clone(), sha256: c.sha256.clone(), bytes: node.bytes });
        }
    }
    let Some(bytes) = tree.data(PERIOD_MANIFEST).map(<[u8]>::to_vec) else {
        v.checks.push(Check::fail("period-manifest", PERIOD_MANIFEST, "present", "missing"));
        return v;
    };
    let Some(key) = period_key(&tree, &mut v, options) else { return v };
    signature_checks(&tree, &mut v, &bytes, &key);
    let manifest = match PeriodManifest::from_json(&bytes) {
        Ok(m) => m,
        Err(e) => {
            v.checks.push(Check::fail("period-manifest", PERIOD_MANIFEST, "a kpiseal period manifest", e.to_string()));
            return v;
        }
    };
    v.checks.push(if period_manifest::is_canonical(&bytes) {
        Check::pass("period-manifest", PERIOD_MANIFEST, "RFC 8785 canonical JSON")
    } else {
        Check::fail("period-manifest", PERIOD_MANIFEST, "RFC 8785 canonical JSON", "not canonical")
    });
    v.checks.push(Check::compare(
        "period-manifest key-id",
        PERIOD_MANIFEST,
        key.key_id.to_string(),
        manifest.key_id.to_string(),
    ));
    key_files(&tree, &mut v, &key);
    leaves(dir, &tree, &mut v, &manifest, &key, options);
    v.period_manifest = Some(manifest);
    v
}

/// The pinned key, else the one delivered beside the period manifest.
fn period_key(tree: &Tree, v: &mut Verification, options: &Options<'_>) -> Option<PublicKey> {
    if let Some(key) = options.key {
        v.key = KeyUsed::Pinned(key.key_id);
        return Some(key.clone());
    }
    let parsed = tree.data(DELIVERED_PUBLIC_KEY).and_then(|b| std::str::from_utf8(b).ok()).map(parse_public_key);
    match parsed {
        Some(Ok(Some(key))) => {
            v.key = KeyUsed::Delivered { key_id: key.key_id, file: DELIVERED_PUBLIC_KEY.to_string() };
            Some(key)
        }
        _ => {
            v.checks.push(Check::fail(
                "public-key",
                DELIVERED_PUBLIC_KEY,
                "the provider's public key",
                "missing or unreadable",
            ));
            None
        }
    }
}

fn signature_checks(tree: &Tree, v: &mut Verification, bytes: &[u8], key: &PublicKey) {
    let text = |name: &str| tree.data(name).and_then(|b| std::str::from_utf8(b).ok());
    match text(PERIOD_MANIFEST_MINISIG).map(|sig| minisign::verify(bytes, sig, &key.verifying_key)) {
        Some(Ok(verified)) => {
            v.checks.push(Check::pass("minisign", PERIOD_MANIFEST_MINISIG, format!("signed by key {}", key.key_id)));
            if let Ok(m) = PeriodManifest::from_json(bytes) {
                let expected = period_manifest::trusted_comment(&m.period, &m.merkle_root, m.key_id);
                v.checks.push(Check::compare(
                    "minisign trusted-comment",
                    PERIOD_MANIFEST_MINISIG,
                    expected,
                    verified.trusted_comment,
                ));
            }
        }
        Some(Err(e)) => {
            v.checks.push(Check::fail("minisign", PERIOD_MANIFEST_MINISIG, "a valid signature", e.to_string()))
        }
        None => v.checks.push(Check::fail("minisign", PERIOD_MANIFEST_MINISIG, "present", "missing")),
    }
    let namespace = sshsig::PERIOD_NAMESPACE;
    match text(PERIOD_MANIFEST_SSHSIG).map(|sig| sshsig::verify_in(bytes, sig, &key.verifying_key, namespace)) {
        Some(Ok(())) => v.checks.push(Check::pass(
            "sshsig",
            PERIOD_MANIFEST_SSHSIG,
            format!("namespace {namespace}, key {}", key.key_id),
        )),
        Some(Err(e)) => {
            v.checks.push(Check::fail("sshsig", PERIOD_MANIFEST_SSHSIG, "a valid signature", e.to_string()))
        }
        None => v.checks.push(Check::fail("sshsig", PERIOD_MANIFEST_SSHSIG, "present", "missing")),
    }
}

/// The two key files beside the period manifest are exactly what kpiseal
/// writes for the key the signatures were checked with.
fn key_files(tree: &Tree, v: &mut Verification, key: &PublicKey) {
    let expected = [
        (DELIVERED_PUBLIC_KEY, minisign::public_key_file(&key.verifying_key)),
        (
            PERIOD_ALLOWED_SIGNERS,
            format!("{}\n", sshsig::allowed_signers_line_in(&key.verifying_key, sshsig::PERIOD_NAMESPACE)),
        ),
    ];
    for (name, text) in expected {
        let check = match tree.data(name) {
            Some(found) if found == text.as_bytes() => {
                Check::pass("delivered-key", name, format!("key {}", key.key_id))
            }
            Some(_) => {
                Check::fail("delivered-key", name, format!("key {}", key.key_id), "another key, or another form")
            }
            None => Check::fail("delivered-key", name, format!("key {}", key.key_id), "missing"),
        };
        v.checks.push(check);
    }
}

/// Each leaf's seller folder, when present, verified in full with the
/// period's key and tied to its leaf; folders that are no leaf and files
/// that are not listed are extras.
fn leaves(
    dir: &Path,
    tree: &Tree,
    v: &mut Verification,
    manifest: &PeriodManifest,
    key: &PublicKey,
    options: &Options<'_>,
) {
    let leaf_names: std::collections::BTreeSet<&str> = manifest.leaves.iter().map(|l| l.seller.as_str()).collect();
    let mut extras = Vec::new();
    for name in tree.top_level() {
        let folder = tree.folders.contains(&name);
        if folder && leaf_names.contains(name.as_str()) || !folder && PERIOD_FILES.contains(&name.as_str()) {
            continue;
        }
        if !folder && name.starts_with(SUMMARY_PREFIX) {
            v.records.push(name);
        } else {
            extras.push(name);
        }
    }
    v.extras(extras, options);
    let sub_options = Options { key: Some(key), workspace: None, allow_extra: options.allow_extra };
    let mut statements = Statements { listed: manifest.leaves.len(), ..Statements::default() };
    for leaf in &manifest.leaves {
        if !tree.folders.contains(&leaf.seller) {
            statements.not_found.push(leaf.seller.clone());
            continue;
        }
        statements.checked += 1;
        let seller = verify_statement_folder(&dir.join(&leaf.seller), &dir.join(&leaf.seller), &sub_options);
        let manifest_sha = seller
            .files
            .iter()
            .find(|f| f.path == super::MANIFEST)
            .map_or_else(|| "missing".to_string(), |f| f.sha256.clone());
        let number = seller.manifest.as_ref().map_or("?", |m| m.statement_number.as_str()).to_string();
        let leaf_check = Check::compare(
            "leaf",
            format!("{}/{}", leaf.seller, super::MANIFEST),
            format!("{} sha256 {}", leaf.statement_number, leaf.manifest_sha256),
            format!("{number} sha256 {manifest_sha}"),
        );
        let ok = leaf_check.passed && seller.verdict() == Verdict::Valid;
        v.checks.push(leaf_check);
        if ok {
            statements.valid += 1;
            v.checks.push(Check::pass(
                "statement",
                format!("{}/", leaf.seller),
                format!("VALID: {} checks passed, {} files", seller.checks.len(), seller.files.len()),
            ));
        } else {
            let draft = seller.verdict() == Verdict::Draft;
            for c in seller.checks.into_iter().filter(|c| !c.passed) {
                v.checks.push(Check { path: format!("{}/{}", leaf.seller, c.path), ..c });
            }
            if draft {
                v.checks.push(Check::fail("statement", format!("{}/", leaf.seller), "a final statement", "a draft"));
            }
        }
    }
    v.statements = Some(statements);
}
