//! `kpiseal merge`: after the shards of a month end have run (on one
//! machine or many, into one shared `<out>`), check that together they made
//! every seller's statement exactly once, that every statement folder
//! verifies with the provider's key, and seal the whole period in one
//! signed `period-manifest.json` (see `kpiseal_seal::period_manifest`).
//!
//! Nothing is written unless every check passes, and then the same
//! statements give the same bytes however many shards made them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use kpiseal_seal::keys::{PublicKey, load_public_key};
use kpiseal_seal::manifest::hash_file;
use kpiseal_seal::period_manifest::{
    Leaf, PERIOD_MANIFEST, PERIOD_MANIFEST_MINISIG, PERIOD_MANIFEST_SSHSIG, PeriodManifest, Provider, SELLER_MANIFEST,
    trusted_comment,
};
use kpiseal_seal::verify::{Options as VerifyOptions, Verdict, verify_path};
use kpiseal_seal::{minisign, sshsig};
use rayon::prelude::*;
use serde::Deserialize;

use crate::error::Error;
use crate::output::write_file_atomically;
use crate::period::Period;
use crate::seal_config::Signer;
use crate::sealing::MINISIGN_PUBLIC_KEY;
use crate::shard::{self, SHARD_HASH_V1, ShardSpec, SummaryName};
use crate::workspace::Workspace;

/// The `allowed_signers` line for the period namespace, beside the period manifest.
pub use kpiseal_seal::period_manifest::PERIOD_ALLOWED_SIGNERS;

/// What to merge.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// The folder `run` wrote into (`<out>/<period>/…`).
    pub out: PathBuf,
    pub period: Period,
}

/// What a successful merge wrote.
#[derive(Debug, Clone)]
pub struct Merged {
    pub manifest: PeriodManifest,
    /// `<out>/<period>/period-manifest.json`.
    pub path: PathBuf,
    /// The summary files merged, by name, sorted.
    pub summaries: Vec<String>,
}

/// Why nothing was merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Usage or configuration (exit code 2): an unreadable workspace, no
    /// seller with a contract, an unusable key, an unwritable output.
    #[error(transparent)]
    Usage(#[from] Error),
    /// The period is incomplete or a statement does not verify (exit code
    /// 1). One line per problem, each naming the seller, shard or file.
    #[error("the period is incomplete or invalid: {}", .0.join("; "))]
    Incomplete(Vec<String>),
}

/// What `merge` reads of a batch summary. Fields it does not need are
/// ignored, so summaries may grow without breaking it.
#[derive(Debug, Deserialize)]
struct SummaryFile {
    period: String,
    #[serde(default)]
    shard: Option<ShardSpec>,
    sellers: Vec<SummaryEntry>,
}

#[derive(Debug, Deserialize)]
struct SummaryEntry {
    seller: String,
    status: String,
    #[serde(default)]
    statement_number: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// A summary file found in the period folder: its name and what it says.
struct Summary {
    name: String,
    shard: Option<ShardSpec>,
    file: SummaryFile,
}

/// A seller listed once, as written, in one summary.
struct Written {
    statement_number: Option<String>,
    summary: String,
}

/// Checks the period `opts.period` under `opts.out` and writes its signed
/// period manifest: `period-manifest.json`, `.minisig` (trusted comment
/// `kpiseal period <P> root <hex> key <KEYID>`), `.sig` (SSHSIG, namespace
/// `kpiseal-period-manifest@v1`), the public key for minisign and
/// [`PERIOD_ALLOWED_SIGNERS`], each written atomically, the manifest last.
///
/// The summaries must be one unsharded `batch-summary.json` or the shard
/// summaries `batch-summary.shard-<i>-of-<n>.json` of one count `n`, every
/// index `0..n` present; every seller with a contract must be listed in
/// exactly one of them (in the shard that shard hash v1 gives it) as
/// `written`, and its folder `<seller>/` must verify with the key `signer`
/// holds and be that seller's statement for the period.
///
/// # Errors
/// [`MergeError::Incomplete`] listing every problem found; then nothing is
/// written. [`MergeError::Usage`] for an unreadable workspace or key, a
/// workspace without sellers, or a failed write.
pub fn merge(ws: &Workspace, opts: &MergeOptions, signer: &Signer) -> Result<Merged, MergeError> {
    let sellers = ws.sellers()?;
    if sellers.is_empty() {
        return Err(
            Error::config("contracts/", "(folder)", "no seller has a contract: there is nothing to merge").into()
        );
    }
    let public = provider_public_key(ws)?;
    let period = opts.period.to_string();
    let dir = opts.out.join(&period);
    let mut problems = Vec::new();
    let summaries = read_summaries(&dir, &period, &mut problems);
    check_shards(&summaries, &mut problems);
    let written = check_sellers(&sellers, &summaries, &mut problems);
    let checked: Vec<Result<Leaf, Vec<String>>> =
        written.par_iter().map(|(seller, w)| check_folder(&dir, &period, seller, w, &public)).collect();
    let mut leaves = Vec::with_capacity(checked.len());
    for result in checked {
        match result {
            Ok(leaf) => leaves.push(leaf),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if !problems.is_empty() {
        return Err(MergeError::Incomplete(problems));
    }
    let provider = &ws.config.provider;
    let manifest = PeriodManifest::new(
        period.clone(),
        Provider { name: provider.name.clone(), legal_name: provider.legal_name.clone() },
        signer.key().key_id(),
        SHARD_HASH_V1.to_string(),
        leaves,
    )
    .map_err(|e| Error::Internal(format!("{PERIOD_MANIFEST}: {e}")))?;
    write_signed(&dir, &manifest, signer)?;
    Ok(Merged { path: dir.join(PERIOD_MANIFEST), summaries: summaries.into_iter().map(|s| s.name).collect(), manifest })
}

/// The public half of the run's key, read from the certificate `[signing]`
/// names (which `Signer::load` has checked belongs to the key).
fn provider_public_key(ws: &Workspace) -> Result<PublicKey, Error> {
    let signing = ws.config.signing.as_ref().ok_or_else(|| {
        Error::config("kpiseal.toml", "signing", "missing: the period manifest is signed with the run's key")
    })?;
    Ok(load_public_key(&ws.root.join(&signing.certificate))?)
}

/// Every `batch-summary*.json` in `dir`, sorted by name, read; an
/// unreadable one, one of another period or whose recorded shard differs
/// from its name is a problem (and left out).
fn read_summaries(dir: &Path, period: &str, problems: &mut Vec<String>) -> Vec<Summary> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems
                .push(format!("{}: cannot list the period's outputs ({e}); run `kpiseal run` first", dir.display()));
            return Vec::new();
        }
    };
    let mut names: Vec<String> =
        entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut summaries = Vec::new();
    for name in names {
        let shard = match shard::parse_summary_file_name(&name) {
            SummaryName::NotASummary => continue,
            SummaryName::Unrecognized => {
                problems.push(format!(
                    "{name}: not a summary name kpiseal writes (batch-summary.json or \
                     batch-summary.shard-<i>-of-<n>.json); move it out of {}",
                    dir.display()
                ));
                continue;
            }
            SummaryName::Unsharded => None,
            SummaryName::Shard(spec) => Some(spec),
        };
        let path = dir.join(&name);
        let file: SummaryFile = match fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| format!("not a kpiseal batch summary: {e}")))
        {
            Ok(file) => file,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        if file.period != period {
            problems.push(format!("{name}: is for period {}, expected {period}", file.period));
            continue;
        }
        if file.shard != shard {
            let recorded = file.shard.map_or("none".to_string(), |s| s.to_string());
            problems.push(format!("{name}: records shard {recorded}, but its name says otherwise"));
            continue;
        }
        summaries.push(Summary { name, shard, file });
    }
    if summaries.is_empty() && problems.is_empty() {
        problems.push(format!("{}: no batch-summary*.json: run `kpiseal run` for {period} first", dir.display()));
    }
    summaries
}

/// The summaries must be one unsharded run, or shards of one count with
/// every index present.
fn check_shards(summaries: &[Summary], problems: &mut Vec<String>) {
    let shards: Vec<(ShardSpec, &str)> =
        summaries.iter().filter_map(|s| s.shard.map(|spec| (spec, s.name.as_str()))).collect();
    if shards.is_empty() {
        return;
    }
    if summaries.iter().any(|s| s.shard.is_none()) {
        problems.push(format!(
            "{}: an unsharded run's summary beside shard summaries ({}): remove the summaries of the run that \
             is not the current one",
            shard::UNSHARDED_SUMMARY,
            shards.iter().map(|(_, name)| *name).collect::<Vec<_>>().join(", ")
        ));
    }
    let mut counts: Vec<u32> = shards.iter().map(|(spec, _)| spec.count()).collect();
    counts.sort_unstable();
    counts.dedup();
    if let [count] = counts.as_slice() {
        for index in 0..*count {
            if !shards.iter().any(|(spec, _)| spec.index() == index) {
                let missing = ShardSpec::new(index, *count).ok();
                problems.push(format!(
                    "shard {index}/{count}: missing: no {} (its run has not finished, or wrote elsewhere)",
                    shard::summary_file_name(missing)
                ));
            }
        }
    } else {
        let listed: Vec<&str> = shards.iter().map(|(_, name)| *name).collect();
        problems.push(format!(
            "the shard summaries disagree on the shard count ({}): remove those of the run that is not the current one",
            listed.join(", ")
        ));
    }
}

/// Every seller with a contract must be listed exactly once, as written,
/// in the shard it belongs to; a listed seller must have a contract.
/// Returns the sellers listed once as written (with a contract), by id.
fn check_sellers(sellers: &[String], summaries: &[Summary], problems: &mut Vec<String>) -> BTreeMap<String, Written> {
    let mut listed: BTreeMap<&str, Vec<(&Summary, &SummaryEntry)>> = BTreeMap::new();
    for summary in summaries {
        for entry in &summary.file.sellers {
            listed.entry(entry.seller.as_str()).or_default().push((summary, entry));
        }
    }
    let mut written = BTreeMap::new();
    for (seller, places) in &listed {
        if !sellers.iter().any(|s| s == seller) {
            let names: Vec<&str> = places.iter().map(|(s, _)| s.name.as_str()).collect();
            problems.push(format!(
                "seller {seller}: listed in {}, but has no contract (contracts/{seller}.toml)",
                names.join(", ")
            ));
            continue;
        }
        if let [(summary, entry)] = places.as_slice() {
            if let Some(spec) = summary.shard
                && !spec.contains(seller)
            {
                problems.push(format!(
                    "seller {seller}: listed in {} (shard {spec}), but {SHARD_HASH_V1} puts it in shard {}/{}",
                    summary.name,
                    expected_shard(seller, spec.count()),
                    spec.count()
                ));
            } else if entry.status != "written" {
                problems.push(format!(
                    "seller {seller}: {} in {}: {}",
                    entry.status,
                    summary.name,
                    entry.error.as_deref().unwrap_or("no error given")
                ));
            } else {
                let statement_number = entry.statement_number.clone();
                written.insert(seller.to_string(), Written { statement_number, summary: summary.name.clone() });
            }
        } else {
            let names: Vec<&str> = places.iter().map(|(s, _)| s.name.as_str()).collect();
            problems.push(format!("seller {seller}: listed {} times (in {})", places.len(), names.join(", ")));
        }
    }
    let count = summaries.iter().find_map(|s| s.shard).map(ShardSpec::count);
    for seller in sellers {
        if listed.contains_key(seller.as_str()) || summaries.is_empty() {
            continue;
        }
        match count {
            Some(n) => {
                let index = expected_shard(seller, n);
                let name = shard::summary_file_name(ShardSpec::new(index, n).ok());
                problems.push(format!(
                    "seller {seller}: in no summary; by {SHARD_HASH_V1} it is in shard {index}/{n} ({name})"
                ));
            }
            None => problems.push(format!("seller {seller}: not in {}", shard::UNSHARDED_SUMMARY)),
        }
    }
    written
}

fn expected_shard(seller: &str, count: u32) -> u32 {
    std::num::NonZeroU32::new(count).map_or(0, |n| shard::shard_of(seller, n))
}

/// Verifies `<dir>/<seller>/` with the provider's key and checks it is this
/// seller's statement of `period` with the summary's statement number;
/// returns its leaf, or every problem found, each naming the seller.
fn check_folder(
    dir: &Path,
    period: &str,
    seller: &str,
    written: &Written,
    key: &PublicKey,
) -> Result<Leaf, Vec<String>> {
    let folder = dir.join(seller);
    let manifest_path = folder.join(SELLER_MANIFEST);
    if !manifest_path.is_file() {
        return Err(vec![format!(
            "seller {seller}: written in {}, but {} is missing",
            written.summary,
            manifest_path.display()
        )]);
    }
    let options = VerifyOptions { key: Some(key), ..VerifyOptions::default() };
    let verification =
        verify_path(&folder, &options).map_err(|e| vec![format!("seller {seller}: cannot check its folder: {e}")])?;
    let mut problems = Vec::new();
    if verification.verdict() != Verdict::Valid {
        let failed: Vec<String> = verification.checks.iter().filter(|c| !c.passed).map(ToString::to_string).collect();
        problems.push(format!(
            "seller {seller}: {} does not verify with key {}: {}",
            folder.display(),
            key.key_id,
            failed.join("; ")
        ));
    }
    let Some(manifest) = verification.manifest else {
        return Err(problems);
    };
    if manifest.seller.id != seller {
        problems.push(format!(
            "seller {seller}: {} is the statement of seller {}",
            folder.display(),
            manifest.seller.id
        ));
    }
    if manifest.period != period {
        problems.push(format!(
            "seller {seller}: {} is for period {}, expected {period}",
            folder.display(),
            manifest.period
        ));
    }
    if let Some(number) = &written.statement_number
        && *number != manifest.statement_number
    {
        problems.push(format!(
            "seller {seller}: {} lists statement {number}, but {} holds statement {}",
            written.summary,
            folder.display(),
            manifest.statement_number
        ));
    }
    let digest = hash_file(&manifest_path).map_err(|e| vec![format!("seller {seller}: {e}")])?;
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Leaf { seller: seller.to_string(), statement_number: manifest.statement_number, manifest_sha256: digest.sha256 })
}

/// Signs `manifest` and writes it with its signatures and public key files
/// into `dir`, each file atomically, the manifest itself last.
fn write_signed(dir: &Path, manifest: &PeriodManifest, signer: &Signer) -> Result<(), Error> {
    let internal = |e: &dyn std::fmt::Display| Error::Internal(format!("{PERIOD_MANIFEST}: {e}"));
    let json = manifest.to_canonical_json().map_err(|e| internal(&e))?;
    let key = signer.key();
    let comment = trusted_comment(&manifest.period, &manifest.merkle_root, key.key_id());
    let minisig = minisign::sign(key.private_key(), &json, &comment).map_err(|e| internal(&e))?;
    let sshsig = sshsig::sign_in(key.private_key(), &json, sshsig::PERIOD_NAMESPACE).map_err(|e| internal(&e))?;
    let public = key.verifying_key();
    let allowed = format!("{}\n", sshsig::allowed_signers_line_in(&public, sshsig::PERIOD_NAMESPACE));
    write_file_atomically(&dir.join(MINISIGN_PUBLIC_KEY), minisign::public_key_file(&public).as_bytes())?;
    write_file_atomically(&dir.join(PERIOD_ALLOWED_SIGNERS), allowed.as_bytes())?;
    write_file_atomically(&dir.join(PERIOD_MANIFEST_MINISIG), minisig.as_bytes())?;
    write_file_atomically(&dir.join(PERIOD_MANIFEST_SSHSIG), sshsig.as_bytes())?;
    write_file_atomically(&dir.join(PERIOD_MANIFEST), &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, shard: Option<ShardSpec>, sellers: &[(&str, &str)]) -> Summary {
        let sellers = sellers
            .iter()
            .map(|(seller, status)| SummaryEntry {
                seller: seller.to_string(),
                status: status.to_string(),
                statement_number: Some(format!("ST-{seller}")),
                error: (*status != "written").then(|| "exports/x.txt:3: bad".to_string()),
            })
            .collect();
        Summary { name: name.to_string(), shard, file: SummaryFile { period: "2026-10".into(), shard, sellers } }
    }

    fn spec(i: u32, n: u32) -> Option<ShardSpec> {
        ShardSpec::new(i, n).ok()
    }

    fn owned(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_index_of_one_count_must_be_present() {
        let mut problems = Vec::new();
        let summaries = [summary("s0", spec(0, 3), &[]), summary("s2", spec(2, 3), &[])];
        check_shards(&summaries, &mut problems);
        assert_eq!(
            problems,
            ["shard 1/3: missing: no batch-summary.shard-1-of-3.json (its run has not finished, or wrote elsewhere)"]
        );
        let mut problems = Vec::new();
        check_shards(&[summary("a", spec(0, 2), &[]), summary("b", spec(0, 3), &[])], &mut problems);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("disagree on the shard count (a, b)"), "{problems:?}");
    }

    #[test]
    fn a_seller_missing_failed_listed_twice_or_without_contract_is_named() {
        let mut problems = Vec::new();
        let summaries = [summary(
            "batch-summary.json",
            None,
            &[("acme-home", "written"), ("rio-casa", "failed"), ("ghost", "written"), ("acme-home", "written")],
        )];
        let written = check_sellers(&owned(&["acme-home", "rio-casa", "sunny-gadgets"]), &summaries, &mut problems);
        assert!(written.is_empty());
        assert_eq!(
            problems,
            [
                "seller acme-home: listed 2 times (in batch-summary.json, batch-summary.json)",
                "seller ghost: listed in batch-summary.json, but has no contract (contracts/ghost.toml)",
                "seller rio-casa: failed in batch-summary.json: exports/x.txt:3: bad",
                "seller sunny-gadgets: not in batch-summary.json",
            ]
        );
    }

    #[test]
    fn a_seller_in_the_wrong_shard_or_in_none_is_named_with_its_shard() {
        // By shard hash v1 among 3: acme-home is in shard 2, rio-casa in 1.
        let mut problems = Vec::new();
        let summaries = [summary("s0", spec(0, 3), &[("acme-home", "written")])];
        let written = check_sellers(&owned(&["acme-home", "rio-casa"]), &summaries, &mut problems);
        assert!(written.is_empty());
        assert_eq!(
            problems,
            [
                "seller acme-home: listed in s0 (shard 0/3), but kpiseal-shard-v1 puts it in shard 2/3",
                "seller rio-casa: in no summary; by kpiseal-shard-v1 it is in shard 1/3 \
                 (batch-summary.shard-1-of-3.json)",
            ]
        );
        let mut problems = Vec::new();
        let summaries = [summary("s2", spec(2, 3), &[("acme-home", "written")])];
        let written = check_sellers(&owned(&["acme-home"]), &summaries, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(written.keys().collect::<Vec<_>>(), ["acme-home"]);
    }
}
