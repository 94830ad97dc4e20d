//! One month end split across processes, as a job array would run it:
//! `run --shard i/n` (or `--shards n` with the index in the environment)
//! then `merge`. The shards together write exactly what one unsharded run
//! writes, byte for byte, and `merge` seals the same period manifest; a
//! missing shard or a tampered statement stops `merge` naming the seller.

mod common;
use common::{copy_dir, tree};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kpiseal_generate::{GenerateOptions, generate_workspace};

const PERIOD: &str = "2026-10";
/// Nine sellers: with three shards by shard hash v1 each shard gets some
/// (1, 5 and 3 of them), and the run stays quick.
const SELLERS: usize = 9;
const INDEX_VARIABLES: [&str; 3] = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SLURM_ARRAY_TASK_ID"];

/// A generated workspace of [`SELLERS`] small sellers, signed with the demo key.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions { seed: 11, sellers: SELLERS, orders: 20, period: PERIOD.parse().unwrap() };
    generate_workspace(dir.path(), &opts).unwrap();
    dir
}

/// Runs the binary with no job array variable in its environment but `env`.
fn kpiseal(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kpiseal"));
    for name in INDEX_VARIABLES {
        cmd.env_remove(name);
    }
    cmd.args(args).envs(env.iter().copied()).output().unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn run(ws: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) {
    let (ws, out) = (ws.display().to_string(), out.display().to_string());
    let mut args = vec!["run", "--workspace", &ws, "--period", PERIOD, "--out", &out, "--quiet"];
    args.extend(extra);
    let result = kpiseal(&args, env);
    assert!(result.status.success(), "run {extra:?}: {}", text(&result));
}

/// Runs merge; returns its exit code and output.
fn merge(ws: &Path, out: &Path) -> (i32, String) {
    let (ws, out) = (ws.display().to_string(), out.display().to_string());
    let result = kpiseal(&["merge", "--workspace", &ws, "--period", PERIOD, "--out", &out], &[]);
    (result.status.code().unwrap_or(-1), text(&result))
}

/// The three shards of a run: two by `--shard i/3`, shard 1 by `--shards 3`
/// with its index in JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it.
fn run_three_shards(ws: &Path, out: &Path) {
    run(ws, out, &["--shard", "0/3"], &[]);
    run(ws, out, &["--shards", "3"], &[("JOB_COMPLETION_INDEX", "1")]);
    run(ws, out, &["--shard", "2/3"], &[]);
}

fn sellers(ws: &Path) -> Vec<String> {
    let mut ids: Vec<String> = fs::read_dir(ws.join("contracts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".toml").to_string())
        .collect();
    ids.sort();
    ids
}

fn summary(out: &Path, name: &str) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join(PERIOD).join(name)).unwrap()).unwrap()
}

fn summary_sellers(summary: &serde_json::Value) -> Vec<String> {
    summary["sellers"].as_array().unwrap().iter().map(|s| s["seller"].as_str().unwrap().to_string()).collect()
}

#[test]
fn three_shards_write_and_merge_exactly_what_one_unsharded_run_does() {
    let ws = workspace();
    let all = sellers(ws.path());
    assert_eq!(all.len(), SELLERS);
    let (a, b) = (ws.path().join("out-a"), ws.path().join("out-b"));
    run(ws.path(), &a, &[], &[]);
    let (code, said) = merge(ws.path(), &a);
    assert_eq!(code, 0, "{said}");
    run_three_shards(ws.path(), &b);
    let (code, said) = merge(ws.path(), &b);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains(&format!("merged {SELLERS} statements")), "{said}");

    // Every seller folder is byte-identical, whichever process made it.
    for seller in &all {
        let (fa, fb) = (tree(&a.join(PERIOD).join(seller)), tree(&b.join(PERIOD).join(seller)));
        assert!(!fa.is_empty(), "{seller}: nothing written");
        assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>(), "{seller}");
        for (name, bytes) in &fa {
            assert!(*bytes == fb[name], "{seller}/{name} differs between the unsharded and the sharded run");
        }
    }

    // Each seller is in exactly one shard summary, the shard it hashes to,
    // and each summary records its shard.
    assert!(summary(&a, "batch-summary.json")["shard"].is_null());
    let mut seen: Vec<String> = Vec::new();
    for i in 0..3 {
        let s = summary(&b, &format!("batch-summary.shard-{i}-of-3.json"));
        assert_eq!(s["shard"], serde_json::json!({"index": i, "count": 3, "hash": "kpiseal-shard-v1"}));
        let listed = summary_sellers(&s);
        assert!(!listed.is_empty(), "shard {i}/3 ran no seller");
        seen.extend(listed);
    }
    seen.sort();
    assert_eq!(seen, all);
    assert!(!b.join(PERIOD).join("batch-summary.json").exists());

    // The same period manifest, signatures included.
    for name in ["period-manifest.json", "period-manifest.json.minisig", "period-manifest.json.sig"] {
        let (ma, mb) = (fs::read(a.join(PERIOD).join(name)).unwrap(), fs::read(b.join(PERIOD).join(name)).unwrap());
        assert!(ma == mb, "{name} differs between the unsharded and the sharded run");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(b.join(PERIOD).join("period-manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["schema"], "kpiseal-period-manifest/1");
    assert_eq!(manifest["count"], SELLERS);
    assert_eq!(manifest["shard_hash"], "kpiseal-shard-v1");
    let leaves: Vec<&str> =
        manifest["leaves"].as_array().unwrap().iter().map(|l| l["seller"].as_str().unwrap()).collect();
    assert_eq!(leaves, all.iter().map(String::as_str).collect::<Vec<_>>());
    let root = manifest["merkle_root"].as_str().unwrap().to_string();
    assert!(said.contains(&root), "{said}");
}

/// `minisign` and `ssh-keygen`, as a reviewer would run them, when installed.
#[test]
fn minisign_and_ssh_keygen_accept_the_period_manifest() {
    let ws = workspace();
    let out = ws.path().join("out");
    run(ws.path(), &out, &[], &[]);
    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 0, "{said}");
    let dir = out.join(PERIOD);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("period-manifest.json")).unwrap()).unwrap();
    let root = manifest["merkle_root"].as_str().unwrap();
    let key = manifest["key_id"].as_str().unwrap();
    let tool = |program: &str, args: &[&str], stdin: Option<&Path>| -> Option<Output> {
        let mut cmd = Command::new(program);
        cmd.current_dir(&dir).args(args);
        if let Some(file) = stdin {
            cmd.stdin(fs::File::open(file).unwrap());
        }
        match cmd.output() {
            Ok(out) => Some(out),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("{program} is not installed: its check is skipped");
                None
            }
            Err(e) => panic!("{program}: {e}"),
        }
    };
    if let Some(out) = tool("minisign", &["-Vm", "period-manifest.json", "-p", "provider.minisign.pub"], None) {
        let said = text(&out);
        assert!(out.status.success() && said.contains("Signature and comment signature verified"), "{said}");
        assert!(said.contains(&format!("Trusted comment: kpiseal period {PERIOD} root {root} key {key}")), "{said}");
    }
    let identity = format!("kpiseal:{key}");
    let args = [
        "-Y",
        "verify",
        "-f",
        "period-manifest.allowed_signers",
        "-I",
        &identity,
        "-n",
        "kpiseal-period-manifest@v1",
        "-s",
        "period-manifest.json.sig",
    ];
    if let Some(out) = tool("ssh-keygen", &args, Some(&dir.join("period-manifest.json"))) {
        let said = text(&out);
        assert!(out.status.success(), "{said}");
        assert!(said.contains("Good \"kpiseal-period-manifest@v1\" signature"), "{said}");
    }
}

#[test]
fn merge_fails_naming_the_sellers_of_a_missing_shard() {
    let ws = workspace();
    let out = ws.path().join("out");
    run(ws.path(), &out, &["--shard", "0/3"], &[]);
    run(ws.path(), &out, &["--shard", "2/3"], &[]);
    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("shard 1/3: missing"), "{said}");
    let missing = summary_sellers(&summary(&out, "batch-summary.shard-0-of-3.json"));
    let (first, third) = (missing, summary_sellers(&summary(&out, "batch-summary.shard-2-of-3.json")));
    for seller in sellers(ws.path()).iter().filter(|s| !first.contains(s) && !third.contains(s)) {
        assert!(
            said.contains(&format!("seller {seller}: in no summary; by kpiseal-shard-v1 it is in shard 1/3")),
            "{said}"
        );
    }
    assert!(!out.join(PERIOD).join("period-manifest.json").exists());
}

#[test]
fn merge_fails_naming_a_tampered_or_swapped_seller_folder() {
    let ws = workspace();
    let out = ws.path().join("out");
    run_three_shards(ws.path(), &out);
    let all = sellers(ws.path());

    let tampered = out.join(PERIOD).join(&all[1]).join("statement.json");
    let mut bytes = fs::read(&tampered).unwrap();
    bytes[100] ^= 0x20;
    fs::write(&tampered, bytes).unwrap();
    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains(&format!("seller {}: ", all[1])) && said.contains("does not verify"), "{said}");
    assert!(!out.join(PERIOD).join("period-manifest.json").exists());

    // A seller folder swapped with another's is that other seller's statement.
    let swapped = tempfile::tempdir().unwrap();
    copy_dir(&out, swapped.path());
    let (x, y) = (swapped.path().join(PERIOD).join(&all[2]), swapped.path().join(PERIOD).join(&all[3]));
    fs::remove_dir_all(&x).unwrap();
    copy_dir(&y, &x);
    let (code, said) = merge(ws.path(), swapped.path());
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains(&format!("seller {}: ", all[2])) && said.contains(&format!("statement of seller {}", all[3])),
        "{said}"
    );
}

#[test]
fn stale_or_mismatched_summaries_are_refused() {
    let ws = workspace();
    let out = ws.path().join("out");
    run_three_shards(ws.path(), &out);
    // An unsharded run over a sharded period records into the shard summaries.
    run(ws.path(), &out, &[], &[]);
    assert!(!out.join(PERIOD).join("batch-summary.json").exists());
    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 0, "{said}");
    // A summary of another, unsharded run copied in is stale.
    let other = ws.path().join("out-other");
    run(ws.path(), &other, &[], &[]);
    fs::copy(other.join(PERIOD).join("batch-summary.json"), out.join(PERIOD).join("batch-summary.json")).unwrap();
    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("an unsharded run's summary beside shard summaries"), "{said}");
    fs::remove_file(out.join(PERIOD).join("batch-summary.json")).unwrap();
    run(ws.path(), &out, &["--shard", "0/2"], &[]);
    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("disagree on the shard count"), "{said}");
    fs::remove_file(out.join(PERIOD).join("batch-summary.shard-0-of-2.json")).unwrap();
    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 0, "{said}");
}

#[test]
fn a_shard_index_not_below_the_count_or_a_missing_index_is_a_usage_error() {
    let ws = workspace();
    let out = ws.path().join("out");
    let (w, o) = (ws.path().display().to_string(), out.display().to_string());
    let base = ["run", "--workspace", w.as_str(), "--period", PERIOD, "--out", o.as_str()];
    let with = |extra: &[&str], env: &[(&str, &str)]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        kpiseal(&args, env)
    };
    let result = with(&["--shard", "3/3"], &[]);
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(text(&result).contains("shard index 3 is not below the shard count 3"), "{}", text(&result));
    let result = with(&["--shards", "3"], &[]);
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(text(&result).contains("JOB_COMPLETION_INDEX"), "{}", text(&result));
    let result = with(&["--shards", "3"], &[("SLURM_ARRAY_TASK_ID", "7")]);
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(text(&result).contains("SLURM_ARRAY_TASK_ID=7"), "{}", text(&result));
    assert!(!out.exists(), "a usage error must write nothing");

    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 1, "merge before any run: {said}");
    let (code, said) = merge(&ws.path().join("no-such-workspace"), &out);
    assert_eq!(code, 2, "{said}");
}

/// With neither --shard nor --shards, a job array variable in the
/// environment changes nothing: the run is whole.
#[test]
fn without_shard_flags_the_environment_does_not_shard_the_run() {
    let ws = workspace();
    let out: PathBuf = ws.path().join("out");
    run(ws.path(), &out, &["--seller", "acme-home", "--seller", "rio-casa"], &[("JOB_COMPLETION_INDEX", "1")]);
    let s = summary(&out, "batch-summary.json");
    assert_eq!(summary_sellers(&s), ["acme-home", "rio-casa"]);
    assert!(s["shard"].is_null());
}

/// `kpiseal verify` on a period manifest: both signatures, and every
/// seller folder beside it verified in full against its leaf.
#[test]
fn verify_checks_the_period_manifest_signatures_and_every_seller_folder_against_its_leaf() {
    let ws = workspace();
    let out = ws.path().join("out");
    run(ws.path(), &out, &[], &[]);
    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 0, "{said}");
    let dir = out.join(PERIOD);
    let manifest = dir.join("period-manifest.json");
    let verify = |path: &Path, extra: &[&str]| {
        let shown = path.display().to_string();
        let args: Vec<&str> = ["verify", shown.as_str()].into_iter().chain(extra.iter().copied()).collect();
        let result = kpiseal(&args, &[]);
        (result.status.code().unwrap_or(-1), text(&result))
    };
    let key = dir.join("acme-home").join("provider.ssh.pub").display().to_string();
    for path in [&manifest, &dir] {
        let (code, said) = verify(path, &["--key", &key]);
        assert_eq!(code, 0, "{said}");
        assert!(said.contains("(period folder)") && said.contains(&format!("{SELLERS} statements")), "{said}");
        let all_valid = format!("statements {SELLERS} listed: {SELLERS} checked ({SELLERS} VALID, 0 not), 0 not found");
        assert!(said.contains(&all_valid), "{said}");
        assert!(
            said.contains("PASS  sshsig  period-manifest.json.sig  namespace kpiseal-period-manifest@v1"),
            "{said}"
        );
        assert!(said.contains("PASS  leaf"), "{said}");
    }

    let all = sellers(ws.path());
    let seller_manifest = dir.join(&all[4]).join("manifest.json");
    let mut bytes = fs::read(&seller_manifest).unwrap();
    bytes[60] ^= 0x20;
    fs::write(&seller_manifest, bytes).unwrap();
    let (code, said) = verify(&manifest, &[]);
    assert_eq!(code, 1, "{said}");
    let failed: Vec<&str> = said.lines().filter(|l| l.trim_start().starts_with("FAIL")).collect();
    assert!(failed.iter().any(|l| l.contains("leaf") && l.contains(&format!("{}/manifest.json", all[4]))), "{said}");
    let signature = format!("{}/manifest.json.minisig", all[4]);
    assert!(failed.iter().any(|l| l.contains("minisign") && l.contains(&signature)), "{said}");

    let mut bytes = fs::read(&manifest).unwrap();
    bytes[40] ^= 0x01;
    fs::write(&manifest, bytes).unwrap();
    let (code, said) = verify(&manifest, &[]);
    assert_eq!(code, 1, "{said}");
    assert!(said.lines().any(|l| l.contains("FAIL  minisign  period-manifest.json.minisig")), "{said}");
}

#[test]
fn a_correction_after_a_sharded_month_end_updates_its_shard_summary_and_merges_again() {
    let ws = workspace();
    let out = ws.path().join("out");
    run_three_shards(ws.path(), &out);
    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 0, "{said}");
    let before: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join(PERIOD).join("period-manifest.json")).unwrap()).unwrap();

    let seller = sellers(ws.path())[4].clone();
    let contract = ws.path().join("contracts").join(format!("{seller}.toml"));
    let mut amended = fs::read_to_string(&contract).unwrap();
    amended.push_str("# amended after issue\n");
    fs::write(&contract, amended).unwrap();
    run(ws.path(), &out, &["--seller", &seller, "--supersede", "contract amended"], &[]);
    assert!(!out.join(PERIOD).join("batch-summary.json").exists(), "routed to the shard summary, not a new one");

    let (code, said) = merge(ws.path(), &out);
    assert_eq!(code, 0, "{said}");
    let after: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join(PERIOD).join("period-manifest.json")).unwrap()).unwrap();
    assert_ne!(before["merkle_root"], after["merkle_root"]);
    let leaf = after["leaves"].as_array().unwrap().iter().find(|l| l["seller"] == seller.as_str()).unwrap();
    assert!(leaf["statement_number"].as_str().unwrap().ends_with("-R1"), "{leaf}");
    assert_eq!(after["count"], SELLERS);
}
