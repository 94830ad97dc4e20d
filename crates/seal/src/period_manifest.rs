//! The period manifest: one signed record sealing every statement of a
//! month, written by `kpiseal merge` beside the seller folders as
//! `<out>/<period>/period-manifest.json`.
//!
//! It lists, per seller, the statement number and the SHA-256 of the
//! seller's signed `manifest.json`, and the RFC 6962 Merkle root over those
//! hashes ([`crate::merkle`]). Like the seller manifest it is RFC 8785
//! canonical JSON, signed with minisign (`period-manifest.json.minisig`,
//! trusted comment [`trusted_comment`]) and SSHSIG
//! (`period-manifest.json.sig`, namespace [`crate::sshsig::PERIOD_NAMESPACE`]).
//!
//! Leaves are sorted by seller id (UTF-8 bytes), so the manifest depends
//! only on the statements, not on how many machines made them.

use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::check::Check;
use crate::keys::KeyId;
use crate::manifest::{MAX_EXACT_INTEGER, hash_file};
use crate::merkle::{self, EmptyTree, Hash};

/// The value of [`PeriodManifest::schema`].
pub const PERIOD_MANIFEST_SCHEMA: &str = "kpiseal-period-manifest/1";

/// The period manifest's file name, and its two signatures'.
pub const PERIOD_MANIFEST: &str = "period-manifest.json";
pub const PERIOD_MANIFEST_MINISIG: &str = "period-manifest.json.minisig";
pub const PERIOD_MANIFEST_SSHSIG: &str = "period-manifest.json.sig";
/// The `allowed_signers` line for the period namespace, beside the period manifest.
pub const PERIOD_ALLOWED_SIGNERS: &str = "period-manifest.allowed_signers";

/// How every batch summary's file name begins (`batch-summary.json`,
/// `batch-summary.shard-0-of-3.csv`, …). Summaries are the runs' records
/// for finance, not evidence: the period manifest does not list them, so
/// that it is the same whether one machine or many made the period.
pub const SUMMARY_PREFIX: &str = "batch-summary";

/// The file, in each seller's folder, whose hash is that seller's leaf.
pub const SELLER_MANIFEST: &str = "manifest.json";

/// How a leaf and the root are computed, as [`PeriodManifest::leaf_rule`]
/// states it for a reader without kpiseal.
pub const LEAF_RULE: &str = "leaf = SHA-256(0x00 || the 32 bytes of SHA-256(<seller>/manifest.json)), one per \
                             entry of leaves, in that order (seller ids sorted by their UTF-8 bytes); node = \
                             SHA-256(0x01 || left || right); merkle_root = the RFC 6962 section 2.1 Merkle tree \
                             hash (the left subtree holds the largest power of two of leaves smaller than their \
                             count); hashes in lowercase hex";

/// The sealed record of one period's statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodManifest {
    /// Always [`PERIOD_MANIFEST_SCHEMA`].
    pub schema: String,
    /// `YYYY-MM`.
    pub period: String,
    pub provider: Provider,
    /// The signing key's id (16 uppercase hex digits in JSON).
    pub key_id: KeyId,
    /// The name of the seller-to-shard hash the statements were split by
    /// (e.g. `kpiseal-shard-v1`); the same whether one machine or many ran.
    pub shard_hash: String,
    /// Always [`LEAF_RULE`].
    pub leaf_rule: String,
    /// One per statement, sorted by seller id bytes, no seller twice.
    pub leaves: Vec<Leaf>,
    /// The Merkle root over `leaves`, lowercase hex.
    pub merkle_root: String,
    /// The number of leaves.
    pub count: u64,
}

/// The provider who issued the statements (`[provider]` of `kpiseal.toml`).
pub use crate::manifest::Provider;

/// One seller's statement in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    /// The seller id, also the name of its folder beside the period manifest.
    pub seller: String,
    pub statement_number: String,
    /// SHA-256 of the seller's `manifest.json`, lowercase hex.
    pub manifest_sha256: String,
}

#[derive(Debug, Error)]
pub enum PeriodManifestError {
    #[error("period manifest field {field}: {problem} (got {value:?})")]
    Invalid { field: String, value: String, problem: String },
    #[error("period manifest: {0}")]
    Empty(#[from] EmptyTree),
    #[error("period manifest is not valid {PERIOD_MANIFEST_SCHEMA} JSON: {0}")]
    Parse(serde_json::Error),
    #[error("period manifest cannot be canonicalized: {0}")]
    Canonical(serde_json::Error),
}

fn invalid(field: impl Into<String>, value: impl Into<String>, problem: impl Into<String>) -> PeriodManifestError {
    PeriodManifestError::Invalid { field: field.into(), value: value.into(), problem: problem.into() }
}

impl PeriodManifest {
    /// The manifest of `leaves` (in any order; sorted here by seller id
    /// bytes) with its root and count.
    ///
    /// # Errors
    /// [`PeriodManifestError::Empty`] for no leaves; `Invalid` naming the
    /// leaf for a seller id that is not a plain folder name, a seller listed
    /// twice, or a hash that is not 64 lowercase hex digits.
    pub fn new(
        period: String,
        provider: Provider,
        key_id: KeyId,
        shard_hash: String,
        mut leaves: Vec<Leaf>,
    ) -> Result<PeriodManifest, PeriodManifestError> {
        leaves.sort_by(|a, b| a.seller.as_bytes().cmp(b.seller.as_bytes()));
        let root = root_of(&leaves)?;
        let manifest = PeriodManifest {
            schema: PERIOD_MANIFEST_SCHEMA.to_string(),
            period,
            provider,
            key_id,
            shard_hash,
            leaf_rule: LEAF_RULE.to_string(),
            count: leaves.len() as u64,
            leaves,
            merkle_root: hex::encode(root),
        };
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks everything a reader relies on: the schema and leaf rule, at
    /// least one leaf, leaves sorted by seller id bytes with no seller
    /// twice, each seller id a plain folder name, each hash 64 lowercase hex
    /// digits, `count` equal to the number of leaves and `merkle_root` equal
    /// to the root recomputed from the leaves.
    ///
    /// # Errors
    /// [`PeriodManifestError::Invalid`] naming the first field at fault.
    pub fn validate(&self) -> Result<(), PeriodManifestError> {
        if self.schema != PERIOD_MANIFEST_SCHEMA {
            return Err(invalid("schema", &self.schema, format!("expected {PERIOD_MANIFEST_SCHEMA:?}")));
        }
        if self.leaf_rule != LEAF_RULE {
            return Err(invalid("leaf_rule", &self.leaf_rule, "not the rule this version computes"));
        }
        for pair in self.leaves.windows(2) {
            if pair[0].seller.as_bytes() >= pair[1].seller.as_bytes() {
                return Err(invalid(
                    "leaves",
                    &pair[1].seller,
                    format!("not after {:?}: leaves must be sorted by seller id with no seller twice", pair[0].seller),
                ));
            }
        }
        if self.count != self.leaves.len() as u64 || self.count > MAX_EXACT_INTEGER {
            return Err(invalid("count", self.count.to_string(), format!("expected {}", self.leaves.len())));
        }
        let root = hex::encode(root_of(&self.leaves)?);
        if self.merkle_root != root {
            return Err(invalid("merkle_root", &self.merkle_root, format!("the leaves give {root}")));
        }
        Ok(())
    }

    /// Reads a period manifest (any JSON formatting), refusing unknown
    /// fields and anything [`PeriodManifest::validate`] refuses.
    ///
    /// # Errors
    /// `Parse` for JSON that is not a period manifest, else as `validate`.
    pub fn from_json(bytes: &[u8]) -> Result<PeriodManifest, PeriodManifestError> {
        let manifest: PeriodManifest = serde_json::from_slice(bytes).map_err(PeriodManifestError::Parse)?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The manifest as RFC 8785 canonical JSON: equal manifests give
    /// identical bytes.
    ///
    /// # Errors
    /// As [`PeriodManifest::validate`].
    pub fn to_canonical_json(&self) -> Result<Vec<u8>, PeriodManifestError> {
        self.validate()?;
        serde_jcs::to_vec(self).map_err(PeriodManifestError::Canonical)
    }
}

/// True when `bytes` is a period manifest written exactly as
/// [`PeriodManifest::to_canonical_json`] writes it.
pub fn is_canonical(bytes: &[u8]) -> bool {
    PeriodManifest::from_json(bytes).ok().and_then(|m| m.to_canonical_json().ok()).is_some_and(|c| c == bytes)
}

/// The minisign trusted comment of a period manifest:
/// `kpiseal period <period> root <merkle_root> key <KEYID>`.
pub fn trusted_comment(period: &str, merkle_root: &str, key_id: KeyId) -> String {
    format!("kpiseal period {period} root {merkle_root} key {key_id}")
}

/// The Merkle root of `leaves` in their order, each leaf's data the 32
/// bytes its `manifest_sha256` spells. Checks each leaf on the way.
fn root_of(leaves: &[Leaf]) -> Result<Hash, PeriodManifestError> {
    let mut data = Vec::with_capacity(leaves.len());
    for (i, leaf) in leaves.iter().enumerate() {
        if let Some(problem) = folder_name_problem(&leaf.seller) {
            return Err(invalid(format!("leaves[{i}].seller"), &leaf.seller, problem));
        }
        data.push(sha256_bytes(&leaf.manifest_sha256).ok_or_else(|| {
            invalid(format!("leaves[{i}].manifest_sha256"), &leaf.manifest_sha256, "expected 64 lowercase hex digits")
        })?);
    }
    Ok(merkle::root(&data)?)
}

/// The 32 bytes of a SHA-256 written as 64 lowercase hex digits.
fn sha256_bytes(hex_digits: &str) -> Option<[u8; 32]> {
    if hex_digits.len() != 64 || !hex_digits.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut out).ok()?;
    Some(out)
}

/// Why `name` cannot be a seller's folder beside the period manifest.
fn folder_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("empty seller id")
    } else if name == "." || name == ".." || name.contains(['/', '\\']) || name.chars().any(char::is_control) {
        Some("a seller id must be a plain folder name (no /, \\, . or .., no control character)")
    } else {
        None
    }
}

/// Re-hashes each leaf's `<period_dir>/<seller>/manifest.json` and compares
/// it with the leaf; one check per leaf, named `leaf`, a missing file
/// failing as `missing`. Then recomputes the root from the files found and
/// compares it with `manifest.merkle_root` (check `merkle-root`).
pub fn check_leaves(manifest: &PeriodManifest, period_dir: &Path) -> Vec<Check> {
    let mut checks = Vec::with_capacity(manifest.leaves.len() + 1);
    let mut found: Vec<Option<[u8; 32]>> = Vec::with_capacity(manifest.leaves.len());
    for leaf in &manifest.leaves {
        let shown = format!("{}/{SELLER_MANIFEST}", leaf.seller);
        let expected = format!("{} sha256 {}", leaf.statement_number, leaf.manifest_sha256);
        if let Some(problem) = folder_name_problem(&leaf.seller) {
            checks.push(Check::fail("leaf", &shown, expected, format!("not checked: {problem}")));
            found.push(None);
            continue;
        }
        let path = period_dir.join(&leaf.seller).join(SELLER_MANIFEST);
        if !path.is_file() {
            checks.push(Check::fail("leaf", &shown, expected, "missing"));
            found.push(None);
            continue;
        }
        match hash_file(&path) {
            Ok(digest) => {
                checks.push(Check::compare(
                    "leaf",
                    &shown,
                    expected,
                    format!("{} sha256 {}", leaf.statement_number, digest.sha256),
                ));
                found.push(sha256_bytes(&digest.sha256));
            }
            Err(e) => {
                checks.push(Check::fail("leaf", &shown, expected, format!("unreadable: {e}")));
                found.push(None);
            }
        }
    }
    let recomputed: Option<Vec<[u8; 32]>> = found.into_iter().collect();
    let actual = match recomputed.map(|data| merkle::root(&data)) {
        Some(Ok(root)) => hex::encode(root),
        Some(Err(e)) => e.to_string(),
        None => "not computed: a seller manifest is missing or unreadable".to_string(),
    };
    checks.push(Check::compare("merkle-root", PERIOD_MANIFEST, &manifest.merkle_root, actual));
    checks
}

/// Whether `bytes` claims to be a period manifest (its `schema`), without
/// validating it: how `verify` tells it from a seller's manifest.
pub fn looks_like_period_manifest(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Schema {
        schema: Option<String>,
    }
    serde_json::from_slice::<Schema>(bytes).ok().and_then(|s| s.schema).is_some_and(|s| s == PERIOD_MANIFEST_SCHEMA)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(seller: &str, digit: char) -> Leaf {
        Leaf {
            seller: seller.to_string(),
            statement_number: format!("ST-{seller}"),
            manifest_sha256: std::iter::repeat_n(digit, 64).collect(),
        }
    }

    fn manifest(leaves: Vec<Leaf>) -> Result<PeriodManifest, PeriodManifestError> {
        PeriodManifest::new(
            "2026-10".into(),
            Provider { name: "Lingxi".into(), legal_name: "Lingxi Ltd".into() },
            "20E9D2E54F7831FB".parse().unwrap(),
            "kpiseal-shard-v1".into(),
            leaves,
        )
    }

    #[test]
    fn leaves_are_sorted_by_seller_bytes_whatever_order_they_come_in() {
        let a = manifest(vec![leaf("b", '1'), leaf("a", '2'), leaf("C", '3')]).unwrap();
        let b = manifest(vec![leaf("C", '3'), leaf("a", '2'), leaf("b", '1')]).unwrap();
        assert_eq!(a.leaves.iter().map(|l| l.seller.as_str()).collect::<Vec<_>>(), ["C", "a", "b"]);
        assert_eq!(a.to_canonical_json().unwrap(), b.to_canonical_json().unwrap());
        assert_eq!(a.count, 3);
    }

    #[test]
    fn the_root_is_the_merkle_root_of_the_manifest_hashes() {
        let m = manifest(vec![leaf("a", '1'), leaf("b", '2')]).unwrap();
        let expected = merkle::node_hash(&merkle::leaf_hash(&[0x11; 32]), &merkle::leaf_hash(&[0x22; 32]));
        assert_eq!(m.merkle_root, hex::encode(expected));
    }

    #[test]
    fn no_leaves_a_seller_twice_or_a_bad_hash_is_refused() {
        assert!(matches!(manifest(vec![]), Err(PeriodManifestError::Empty(_))));
        let twice = manifest(vec![leaf("a", '1'), leaf("a", '2')]).unwrap_err();
        assert!(twice.to_string().contains("no seller twice"), "{twice}");
        let mut bad = leaf("a", '1');
        bad.manifest_sha256 = "ABC".into();
        let error = manifest(vec![bad]).unwrap_err();
        assert!(error.to_string().contains("leaves[0].manifest_sha256"), "{error}");
        let error = manifest(vec![leaf("../x", '1')]).unwrap_err();
        assert!(error.to_string().contains("leaves[0].seller"), "{error}");
    }

    #[test]
    fn canonical_json_reads_back_and_a_changed_root_or_count_is_refused() {
        let m = manifest(vec![leaf("a", '1'), leaf("b", '2'), leaf("c", '3')]).unwrap();
        let json = m.to_canonical_json().unwrap();
        assert!(is_canonical(&json));
        assert!(looks_like_period_manifest(&json));
        assert_eq!(PeriodManifest::from_json(&json).unwrap(), m);
        let mut changed = m.clone();
        changed.merkle_root = "0".repeat(64);
        assert!(changed.validate().unwrap_err().to_string().contains("merkle_root"));
        let mut changed = m;
        changed.count = 2;
        assert!(changed.validate().unwrap_err().to_string().contains("count"));
    }

    #[test]
    fn the_trusted_comment_names_period_root_and_key() {
        let key: KeyId = "20E9D2E54F7831FB".parse().unwrap();
        assert_eq!(trusted_comment("2026-10", "ab", key), "kpiseal period 2026-10 root ab key 20E9D2E54F7831FB");
    }
}
