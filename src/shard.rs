//! Splitting one month end across machines: which seller a shard runs.
//!
//! A run with `--shard i/n` (or `--shards n`, the index read from the job
//! array's environment) makes the statements of the sellers whose
//! [shard hash v1](shard_of) modulo `n` is `i`, and writes its summary as
//! [`summary_file_name`] says; `kpiseal merge` then checks that the shards
//! together cover every seller exactly once.
//!
//! **Shard hash v1** (named [`SHARD_HASH_V1`] in every summary and period
//! manifest): the first 8 bytes of SHA-256 over `b"kpiseal-shard-v1\0"`
//! followed by the seller id's UTF-8 bytes, read as a big-endian u64, modulo
//! the shard count. It depends on nothing but the seller id and the count,
//! so every machine agrees without talking to the others, and adding a
//! seller never moves another. A different split would be a new version with
//! a new name, never a change to this one.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The name of the seller-to-shard hash [`shard_of`] computes.
pub const SHARD_HASH_V1: &str = "kpiseal-shard-v1";

/// The environment variables a job array passes its task index in, in the
/// order they are looked at: Kubernetes Indexed Job, AWS Batch array job,
/// Slurm job array.
pub const INDEX_VARIABLES: [&str; 3] = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SLURM_ARRAY_TASK_ID"];

/// The summary file of an unsharded run, in `<out>/<period>/`.
pub const UNSHARDED_SUMMARY: &str = "batch-summary.json";

/// One shard of a run: 0-based `index` below `count`, `count` at least 1.
/// Only [`ShardSpec::new`] and the parsers make one, so no other exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "ShardRecord", try_from = "ShardRecord")]
pub struct ShardSpec {
    index: u32,
    count: NonZeroU32,
}

/// Why a shard cannot be used; each says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("shard {given:?}: expected INDEX/COUNT with whole numbers, e.g. 0/4 (indexes count from 0)")]
    Syntax { given: String },
    #[error("shard count 0: there must be at least one shard")]
    NoShards,
    #[error("shard index {index} is not below the shard count {count} (indexes run from 0 to {})", count - 1)]
    IndexTooLarge { index: u32, count: u32 },
    #[error("environment variable {variable}={value:?}: expected the shard index, a whole number from 0")]
    VariableNotANumber { variable: &'static str, value: String },
    #[error(
        "environment variable {variable}={index}: the shard index must be below the shard count {count} \
         (give the job array {count} tasks, indexes 0 to {})",
        count - 1
    )]
    VariableTooLarge { variable: &'static str, index: u32, count: u32 },
    #[error(
        "--shards {count} takes the shard index from JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX or \
         SLURM_ARRAY_TASK_ID, and none is set; run it as a job array task or give --shard INDEX/{count}"
    )]
    NoIndexVariable { count: u32 },
    #[error("summary shard {found:?}: this kpiseal knows only the shard hash {SHARD_HASH_V1:?}")]
    UnknownHash { found: String },
}

impl ShardSpec {
    /// Shard `index` of `count`.
    ///
    /// # Errors
    /// [`ShardError::NoShards`] for a count of 0, [`ShardError::IndexTooLarge`]
    /// unless `index < count`.
    pub fn new(index: u32, count: u32) -> Result<ShardSpec, ShardError> {
        let count = NonZeroU32::new(count).ok_or(ShardError::NoShards)?;
        if index >= count.get() {
            return Err(ShardError::IndexTooLarge { index, count: count.get() });
        }
        Ok(ShardSpec { index, count })
    }

    /// The 0-based index of this shard.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many shards the run is split into.
    pub fn count(self) -> u32 {
        self.count.get()
    }

    /// True when `seller` belongs to this shard by [`shard_of`].
    pub fn contains(self, seller: &str) -> bool {
        shard_of(seller, self.count) == self.index
    }

    /// Shard `i/count`, `i` read from the first of [`INDEX_VARIABLES`] that
    /// is set in the process environment. See [`ShardSpec::from_lookup`].
    ///
    /// # Errors
    /// As [`ShardSpec::from_lookup`].
    pub fn from_env(count: u32) -> Result<ShardSpec, ShardError> {
        ShardSpec::from_lookup(count, |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
    }

    /// Shard `i/count`, `i` the value of the first of [`INDEX_VARIABLES`]
    /// for which `lookup` gives a value (set but empty counts as set).
    ///
    /// # Errors
    /// [`ShardError::NoShards`] for a count of 0;
    /// [`ShardError::NoIndexVariable`] when none is set; naming the
    /// variable, [`ShardError::VariableNotANumber`] or
    /// [`ShardError::VariableTooLarge`] (index not below `count`).
    pub fn from_lookup(count: u32, lookup: impl Fn(&str) -> Option<String>) -> Result<ShardSpec, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        let Some((variable, value)) = INDEX_VARIABLES.iter().find_map(|name| lookup(name).map(|v| (*name, v))) else {
            return Err(ShardError::NoIndexVariable { count });
        };
        let Some(index) = parse_whole(&value) else {
            return Err(ShardError::VariableNotANumber { variable, value });
        };
        ShardSpec::new(index, count).map_err(|_| ShardError::VariableTooLarge { variable, index, count })
    }
}

/// `INDEX/COUNT`, e.g. `2/8`: ASCII digits only, no spaces or signs.
impl FromStr for ShardSpec {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<ShardSpec, ShardError> {
        let syntax = || ShardError::Syntax { given: s.to_string() };
        let (index, count) = s.split_once('/').ok_or_else(syntax)?;
        ShardSpec::new(parse_whole(index).ok_or_else(syntax)?, parse_whole(count).ok_or_else(syntax)?)
    }
}

/// `INDEX/COUNT`, as [`FromStr`] reads it.
impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A whole number written with ASCII digits only (no sign, no spaces).
fn parse_whole(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The shard of `seller` among `count` by shard hash v1 (see the module
/// docs): the same on every machine, for every build of every version that
/// names [`SHARD_HASH_V1`].
pub fn shard_of(seller: &str, count: NonZeroU32) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(SHARD_HASH_V1.as_bytes());
    hasher.update([0u8]);
    hasher.update(seller.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // The remainder is below count, a u32, so it always fits.
    (u64::from_be_bytes(first) % u64::from(count.get())) as u32
}

/// The sellers of `sellers` that `shard` runs, in their order; all of them
/// when unsharded.
pub fn select(shard: Option<ShardSpec>, sellers: Vec<String>) -> Vec<String> {
    match shard {
        Some(shard) => sellers.into_iter().filter(|s| shard.contains(s)).collect(),
        None => sellers,
    }
}

/// The shard a `run` was asked for: `--shard` as given; `--shards N` with
/// the index from the environment (`lookup`, see [`ShardSpec::from_lookup`]);
/// neither: unsharded, whatever the environment says.
///
/// # Errors
/// As [`ShardSpec::from_lookup`] when only `--shards` is given.
pub fn requested(
    shard: Option<ShardSpec>,
    shards: Option<u32>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<ShardSpec>, ShardError> {
    match (shard, shards) {
        (Some(shard), _) => Ok(Some(shard)),
        (None, Some(count)) => ShardSpec::from_lookup(count, lookup).map(Some),
        (None, None) => Ok(None),
    }
}

/// The name of a run's summary in `<out>/<period>/`: `batch-summary.json`
/// unsharded, `batch-summary.shard-<i>-of-<n>.json` for shard `i/n`, so the
/// shards of one run never overwrite each other's.
pub fn summary_file_name(shard: Option<ShardSpec>) -> String {
    match shard {
        None => UNSHARDED_SUMMARY.to_string(),
        Some(s) => format!("batch-summary.shard-{}-of-{}.json", s.index, s.count),
    }
}

/// What a file name in `<out>/<period>/` says about the summary in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SummaryName {
    /// `batch-summary.json`.
    Unsharded,
    /// `batch-summary.shard-<i>-of-<n>.json`, exactly as [`summary_file_name`] writes it.
    Shard(ShardSpec),
    /// Another `batch-summary*.json`: not one this version writes.
    Unrecognized,
    /// Not a summary at all.
    NotASummary,
}

/// Reads a file name back into what [`summary_file_name`] wrote it from.
pub fn parse_summary_file_name(name: &str) -> SummaryName {
    if name == UNSHARDED_SUMMARY {
        return SummaryName::Unsharded;
    }
    if !(name.starts_with("batch-summary") && name.ends_with(".json")) {
        return SummaryName::NotASummary;
    }
    let spec = name
        .strip_prefix("batch-summary.shard-")
        .and_then(|rest| rest.strip_suffix(".json"))
        .and_then(|rest| rest.split_once("-of-"))
        .and_then(|(i, n)| ShardSpec::new(parse_whole(i)?, parse_whole(n)?).ok())
        .filter(|spec| summary_file_name(Some(*spec)) == name);
    spec.map_or(SummaryName::Unrecognized, SummaryName::Shard)
}

/// A shard as a summary records it: `{"index": i, "count": n, "hash": "kpiseal-shard-v1"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardRecord {
    pub index: u32,
    pub count: u32,
    pub hash: String,
}

impl From<ShardSpec> for ShardRecord {
    fn from(s: ShardSpec) -> ShardRecord {
        ShardRecord { index: s.index, count: s.count.get(), hash: SHARD_HASH_V1.to_string() }
    }
}

impl TryFrom<ShardRecord> for ShardSpec {
    type Error = ShardError;

    fn try_from(r: ShardRecord) -> Result<ShardSpec, ShardError> {
        if r.hash != SHARD_HASH_V1 {
            return Err(ShardError::UnknownHash { found: r.hash });
        }
        ShardSpec::new(r.index, r.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn count(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    /// Expected values computed apart from this code, with Python:
    /// `int.from_bytes(hashlib.sha256(b"kpiseal-shard-v1\0" + s.encode()).digest()[:8], "big")`.
    #[test]
    fn shard_hash_v1_is_pinned_on_fixed_seller_ids() {
        let cases: [(&str, u64, [u32; 5]); 5] = [
            ("acme-home", 0x3765_9a3a_5111_2506, [0, 2, 2, 3, 494]),
            ("rio-casa", 0xe789_e0eb_2c92_a1fe, [0, 1, 2, 1, 702]),
            ("sunny-gadgets", 0xd369_bdf9_f9d1_f4cc, [0, 1, 0, 5, 220]),
            ("seller-0004", 0x50d4_c6c4_706c_49ea, [0, 1, 2, 4, 618]),
            ("卖家-01", 0xc5bd_4ca6_e9a6_7c15, [1, 2, 1, 5, 557]),
        ];
        for (seller, hash, shards) in cases {
            for (n, expected) in [2, 3, 4, 7, 1000].into_iter().zip(shards) {
                assert_eq!(shard_of(seller, count(n)), expected, "{seller} among {n}");
                assert_eq!(u64::from(expected), hash % u64::from(n));
            }
            assert_eq!(shard_of(seller, count(1)), 0);
        }
    }

    #[test]
    fn index_count_parses_and_prints_back() {
        let spec: ShardSpec = "2/8".parse().unwrap();
        assert_eq!((spec.index(), spec.count()), (2, 8));
        assert_eq!(spec.to_string(), "2/8");
        assert_eq!("0/1".parse::<ShardSpec>().unwrap(), ShardSpec::new(0, 1).unwrap());
    }

    #[test]
    fn a_wrong_shard_is_refused_saying_what_was_expected() {
        for bad in ["", "3", "1/", "/3", "a/3", "1/3/4", " 1/3", "+1/3", "-1/3", "1/99999999999"] {
            let e = bad.parse::<ShardSpec>().unwrap_err();
            assert_eq!(e, ShardError::Syntax { given: bad.to_string() }, "{bad:?}");
            assert!(e.to_string().contains("expected INDEX/COUNT"), "{e}");
        }
        assert_eq!("3/3".parse::<ShardSpec>().unwrap_err(), ShardError::IndexTooLarge { index: 3, count: 3 });
        assert_eq!(
            "3/3".parse::<ShardSpec>().unwrap_err().to_string(),
            "shard index 3 is not below the shard count 3 (indexes run from 0 to 2)"
        );
        assert_eq!("0/0".parse::<ShardSpec>().unwrap_err(), ShardError::NoShards);
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_index_comes_from_the_first_job_array_variable_set() {
        let s = ShardSpec::from_lookup(4, env(&[("SLURM_ARRAY_TASK_ID", "3")])).unwrap();
        assert_eq!(s, ShardSpec::new(3, 4).unwrap());
        let s = ShardSpec::from_lookup(4, env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "1")])).unwrap();
        assert_eq!(s.index(), 1);
        let both = [("SLURM_ARRAY_TASK_ID", "3"), ("JOB_COMPLETION_INDEX", "0")];
        assert_eq!(ShardSpec::from_lookup(4, env(&both)).unwrap().index(), 0);
    }

    #[test]
    fn a_bad_or_missing_index_variable_is_named() {
        let e = ShardSpec::from_lookup(4, env(&[("JOB_COMPLETION_INDEX", "x1")])).unwrap_err();
        assert_eq!(e, ShardError::VariableNotANumber { variable: "JOB_COMPLETION_INDEX", value: "x1".into() });
        assert!(e.to_string().starts_with("environment variable JOB_COMPLETION_INDEX=\"x1\""), "{e}");
        let e = ShardSpec::from_lookup(4, env(&[("SLURM_ARRAY_TASK_ID", "4")])).unwrap_err();
        assert_eq!(e, ShardError::VariableTooLarge { variable: "SLURM_ARRAY_TASK_ID", index: 4, count: 4 });
        assert!(e.to_string().contains("SLURM_ARRAY_TASK_ID=4"), "{e}");
        let e = ShardSpec::from_lookup(4, env(&[("JOB_COMPLETION_INDEX", "")])).unwrap_err();
        assert!(matches!(e, ShardError::VariableNotANumber { .. }), "{e}");
        let e = ShardSpec::from_lookup(4, env(&[])).unwrap_err();
        assert_eq!(e, ShardError::NoIndexVariable { count: 4 });
        assert!(e.to_string().contains("--shard INDEX/4"), "{e}");
        assert_eq!(ShardSpec::from_lookup(0, env(&[("JOB_COMPLETION_INDEX", "0")])), Err(ShardError::NoShards));
    }

    #[test]
    fn without_shard_flags_the_environment_is_ignored() {
        let set = [("JOB_COMPLETION_INDEX", "1")];
        assert_eq!(requested(None, None, env(&set)), Ok(None));
        assert_eq!(requested(None, Some(2), env(&set)), Ok(Some(ShardSpec::new(1, 2).unwrap())));
        let given = ShardSpec::new(0, 3).unwrap();
        assert_eq!(requested(Some(given), None, env(&set)), Ok(Some(given)));
        assert_eq!(requested(None, Some(2), env(&[])), Err(ShardError::NoIndexVariable { count: 2 }));
    }

    #[test]
    fn summary_names_say_which_shard_and_read_back() {
        let spec = ShardSpec::new(1, 3).unwrap();
        assert_eq!(summary_file_name(None), "batch-summary.json");
        assert_eq!(summary_file_name(Some(spec)), "batch-summary.shard-1-of-3.json");
        assert_eq!(parse_summary_file_name("batch-summary.json"), SummaryName::Unsharded);
        assert_eq!(parse_summary_file_name("batch-summary.shard-1-of-3.json"), SummaryName::Shard(spec));
        for odd in ["batch-summary.shard-3-of-3.json", "batch-summary.shard-01-of-3.json", "batch-summary-old.json"] {
            assert_eq!(parse_summary_file_name(odd), SummaryName::Unrecognized, "{odd}");
        }
        assert_eq!(parse_summary_file_name("period-manifest.json"), SummaryName::NotASummary);
    }

    #[test]
    fn a_shard_is_recorded_with_its_hash_name_and_read_back() {
        let spec = ShardSpec::new(2, 5).unwrap();
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(json, r#"{"index":2,"count":5,"hash":"kpiseal-shard-v1"}"#);
        assert_eq!(serde_json::from_str::<ShardSpec>(&json).unwrap(), spec);
        assert!(serde_json::from_str::<ShardSpec>(r#"{"index":5,"count":5,"hash":"kpiseal-shard-v1"}"#).is_err());
        assert!(serde_json::from_str::<ShardSpec>(r#"{"index":0,"count":5,"hash":"kpiseal-shard-v2"}"#).is_err());
    }

    proptest! {
        #[test]
        fn every_seller_lands_in_exactly_one_shard(seller in ".{0,40}", n in 1u32..64) {
            let holders: Vec<u32> =
                (0..n).filter(|&i| ShardSpec::new(i, n).unwrap().contains(&seller)).collect();
            prop_assert_eq!(holders.len(), 1);
            prop_assert_eq!(holders[0], shard_of(&seller, count(n)));
        }

        #[test]
        fn the_shards_partition_any_seller_list(
            sellers in proptest::collection::btree_set("[a-z0-9-]{1,12}", 0..40),
            n in 1u32..9,
        ) {
            let all: Vec<String> = sellers.into_iter().collect();
            let mut joined: Vec<String> =
                (0..n).flat_map(|i| select(Some(ShardSpec::new(i, n).unwrap()), all.clone())).collect();
            joined.sort();
            prop_assert_eq!(joined, all);
        }
    }
}
