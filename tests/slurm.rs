//! The month end on a real Slurm cluster, through `deploy/slurm/submit.sh`:
//! each test starts its own one-node cluster (munged, slurmctld, slurmd
//! from the distribution's packages) with `scripts/slurm-local.sh` in a
//! temporary folder and stops it afterwards. Where the cluster cannot start
//! (not root, slurm-wlm or munge not installed) each test prints why and
//! passes without running, unless KPISEAL_REQUIRE_SLURM=1 (which `.ci/run`
//! sets where it installs the packages): then that is a failure.

mod common;
use common::tree;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use kpiseal_generate::{GenerateOptions, generate_workspace};

const PERIOD: &str = "2026-10";
/// 21 sellers in 3 shards (6, 9 and 6 of them by shard hash v1 with seed 7).
const SELLERS: usize = 21;
const SHARDS: usize = 3;
const INDEX_VARIABLES: [&str; 3] = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SLURM_ARRAY_TASK_ID"];
/// Only so that a broken cluster fails the test instead of hanging it; the
/// month end takes seconds.
const GIVE_UP_AFTER: Duration = Duration::from_secs(600);

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// A running one-node cluster; stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
}

impl Cluster {
    /// Starts a cluster, or returns None (having printed why) where Slurm
    /// cannot start on this machine.
    fn start(test: &str) -> Option<Cluster> {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("slurm");
        let result = Command::new(repo_file("scripts/slurm-local.sh")).arg("start").arg(&state).output().unwrap();
        match result.status.code() {
            Some(0) => Some(Cluster { dir }),
            Some(77) if std::env::var("KPISEAL_REQUIRE_SLURM").as_deref() != Ok("1") => {
                // Straight to stderr, past libtest's capture, so the
                // reason shows in the run's output.
                let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {}", text(&result).trim());
                None
            }
            _ => {
                let logs = ["log/slurmctld.log", "log/slurmd.log", "munge/munged.log"]
                    .iter()
                    .map(|l| format!("--- {l}\n{}", fs::read_to_string(state.join(l)).unwrap_or_default()))
                    .collect::<String>();
                panic!("the Slurm cluster did not start: {}\n{logs}", text(&result));
            }
        }
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("slurm").join("slurm.conf")
    }

    /// A Slurm client command (sbatch, squeue, scontrol ...) on this cluster.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", self.conf());
        cmd
    }

    /// `deploy/slurm/submit.sh ARGS`, run from `logs` (where the jobs write
    /// their output) with KPISEAL naming the binary under test.
    fn submit(&self, logs: &Path, args: &[&str]) -> Output {
        self.submit_with(logs, args, &[])
    }

    /// [`Cluster::submit`] with more environment (which may name another KPISEAL).
    fn submit_with(&self, logs: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        fs::create_dir_all(logs).unwrap();
        let mut cmd = self.command(repo_file("deploy/slurm/submit.sh").to_str().unwrap());
        for name in INDEX_VARIABLES {
            cmd.env_remove(name);
        }
        cmd.current_dir(logs).env("KPISEAL", env!("CARGO_BIN_EXE_kpiseal")).envs(env.iter().copied());
        cmd.args(args).output().unwrap()
    }

    /// The CPUs of the cluster's node and its memory in MB.
    fn node(&self) -> (usize, usize) {
        let node = self.command("sinfo").args(["-h", "-o", "%c %m"]).output().unwrap();
        let node = String::from_utf8_lossy(&node.stdout).into_owned();
        let (cpus, memory) = node.trim().split_once(' ').unwrap();
        (cpus.parse().unwrap(), memory.parse().unwrap())
    }

    /// Waits until none of `jobs` is pending or running; returns every job
    /// and array task of them as (array task id or None, state, exit code).
    fn wait(&self, jobs: &[&str]) -> Vec<(Option<usize>, String, String)> {
        let started = Instant::now();
        loop {
            let out = self.command("squeue").args(["-h", "-o", "%i %T %r", "-j", &jobs.join(",")]).output().unwrap();
            let queued = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && queued.is_empty() {
                break;
            }
            assert!(started.elapsed() < GIVE_UP_AFTER, "jobs {jobs:?} still queued:\n{queued}\n{}", self.logs());
            std::thread::sleep(Duration::from_millis(500));
        }
        let mut states = Vec::new();
        for job in jobs {
            let out = self.command("scontrol").args(["show", "job", "-o", job]).output().unwrap();
            assert!(out.status.success(), "scontrol show job {job}: {}", text(&out));
            for line in String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.trim().is_empty()) {
                let field = |name: &str| {
                    line.split_whitespace().find_map(|f| f.strip_prefix(&format!("{name}="))).unwrap_or("").to_string()
                };
                states.push((field("ArrayTaskId").parse().ok(), field("JobState"), field("ExitCode")));
            }
        }
        states
    }

    fn logs(&self) -> String {
        ["log/slurmctld.log", "log/slurmd.log"]
            .iter()
            .map(|l| {
                format!("--- {l}\n{}", fs::read_to_string(self.dir.path().join("slurm").join(l)).unwrap_or_default())
            })
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ =
            Command::new(repo_file("scripts/slurm-local.sh")).arg("stop").arg(self.dir.path().join("slurm")).status();
    }
}

/// The job ids submit.sh printed: (array job, merge job).
fn job_ids(said: &str) -> (String, String) {
    let id = |prefix: &str| {
        let line = said.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no '{prefix}' in: {said}"));
        let mut words = line.split_whitespace().map(|w| w.trim_end_matches(','));
        words.find(|w| w.chars().all(|c| c.is_ascii_digit())).unwrap().to_string()
    };
    (id("shards: job array"), id("merge:"))
}

/// A generated workspace of [`SELLERS`] sellers, signed with the demo key.
fn workspace(dir: &Path) -> PathBuf {
    let ws = dir.join("ws");
    let opts = GenerateOptions { seed: 7, sellers: SELLERS, orders: 200, period: PERIOD.parse().unwrap() };
    generate_workspace(&ws, &opts).unwrap();
    ws
}

fn kpiseal(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kpiseal"));
    for name in INDEX_VARIABLES {
        cmd.env_remove(name);
    }
    cmd.args(args).output().unwrap()
}

/// `kpiseal run` (with `extra`) then nothing else, into `out`; must exit 0.
fn run(ws: &Path, out: &Path, extra: &[&str]) {
    let (w, o) = (ws.display().to_string(), out.display().to_string());
    let mut args = vec!["run", "--workspace", &w, "--period", PERIOD, "--out", &o, "--quiet"];
    args.extend(extra);
    let result = kpiseal(&args);
    assert!(result.status.success(), "run {extra:?}: {}", text(&result));
}

fn merge(ws: &Path, out: &Path) {
    let (w, o) = (ws.display().to_string(), out.display().to_string());
    let result = kpiseal(&["merge", "--workspace", &w, "--period", PERIOD, "--out", &o]);
    assert!(result.status.success(), "merge: {}", text(&result));
}

fn sellers(ws: &Path) -> Vec<String> {
    let mut ids: Vec<String> = fs::read_dir(ws.join("contracts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".toml").to_string())
        .collect();
    ids.sort();
    ids
}

fn assert_same_files(a: &Path, b: &Path, what: &str) {
    let (ta, tb) = (tree(a), tree(b));
    assert!(!ta.is_empty(), "{what}: nothing in {}", a.display());
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>(), "{what}: not the same files");
    for (name, bytes) in &ta {
        assert!(*bytes == tb[name], "{what}: {name} differs");
    }
}

/// The first Amazon settlement export of `seller`, if it sells on Amazon.
fn first_settlement(ws: &Path, seller: &str) -> Option<PathBuf> {
    let dir = ws.join("exports").join(PERIOD).join(seller);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir).ok()?.map(|e| e.unwrap().path()).collect();
    files.sort();
    files.into_iter().find(|p| fs::read(p).map(|b| b.starts_with(b"settlement-id\t")).unwrap_or(false))
}

#[test]
fn three_slurm_array_tasks_on_the_cpus_granted_and_the_dependent_merge_write_what_one_unsharded_run_does() {
    let test = "three_slurm_array_tasks_on_the_cpus_granted_and_the_dependent_merge_write_what_one_unsharded_run_does";
    let Some(cluster) = Cluster::start(test) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path());
    let (slurm_out, one_out, logs) =
        (tmp.path().join("out-slurm"), tmp.path().join("out-one"), tmp.path().join("logs"));

    // KPISEAL is a wrapper that records how each job ran the binary.
    let (wrapper, calls) = (tmp.path().join("kpiseal-recorded"), tmp.path().join("calls.log"));
    let script = format!(
        "#!/bin/sh\necho \"task=${{SLURM_ARRAY_TASK_ID:-none}} polars=${{POLARS_MAX_THREADS:-unset}} $*\" >> '{}'\nexec '{}' \"$@\"\n",
        calls.display(),
        env!("CARGO_BIN_EXE_kpiseal")
    );
    fs::write(&wrapper, script).unwrap();
    fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Two CPUs per task (one where the node has one), asked through the environment.
    let cpus = cluster.node().0.min(2).to_string();
    let env = [("KPISEAL", wrapper.to_str().unwrap()), ("KPISEAL_CPUS_PER_TASK", cpus.as_str())];

    let o = slurm_out.display().to_string();
    let submitted = cluster.submit_with(&logs, &["--out", &o, ws.to_str().unwrap(), PERIOD, &SHARDS.to_string()], &env);
    assert!(submitted.status.success(), "{}", text(&submitted));
    let said = text(&submitted);
    assert!(said.contains(&format!("each --cpus-per-task={cpus} --mem=1G --time=02:00:00")), "{said}");
    let (array, merge_job) = job_ids(&said);
    let states = cluster.wait(&[&array, &merge_job]);
    let tasks: Vec<_> = states.iter().filter(|s| s.0.is_some()).collect();
    assert_eq!(tasks.len(), SHARDS, "{states:?}");
    for (task, state, exit) in &states {
        let log = match task {
            Some(i) => logs.join(format!("kpiseal-month-end-{array}_{i}.out")),
            None => logs.join(format!("kpiseal-merge-{merge_job}.out")),
        };
        let log = fs::read_to_string(&log).unwrap_or_default();
        assert_eq!((state.as_str(), exit.as_str()), ("COMPLETED", "0:0"), "task {task:?}: {log}");
    }
    let merged = fs::read_to_string(logs.join(format!("kpiseal-merge-{merge_job}.out"))).unwrap();
    assert!(merged.contains(&format!("merged {SELLERS} statements")), "{merged}");
    // Each task ran as many sellers at once as the CPUs Slurm granted it,
    // one polars thread each; the merge job ran the merge.
    let calls = fs::read_to_string(&calls).unwrap();
    for i in 0..SHARDS {
        let call = calls.lines().find(|l| l.starts_with(&format!("task={i} "))).unwrap_or_else(|| panic!("{calls}"));
        assert!(call.starts_with(&format!("task={i} polars=1 run ")), "{calls}");
        assert!(call.contains(&format!("--out {o} --shards {SHARDS} --jobs {cpus} --resume")), "{calls}");
    }
    assert!(calls.lines().any(|l| l.starts_with("task=none ") && l.contains(" merge --workspace ")), "{calls}");

    // Every seller folder, and the period manifest, verifies.
    let period = slurm_out.join(PERIOD);
    let all = sellers(&ws);
    assert_eq!(all.len(), SELLERS);
    let key = period.join(&all[0]).join("provider.ssh.pub").display().to_string();
    for seller in &all {
        let result = kpiseal(&["verify", period.join(seller).to_str().unwrap(), "--key", &key]);
        assert!(result.status.success(), "{seller}: {}", text(&result));
    }
    let result = kpiseal(&["verify", period.join("period-manifest.json").to_str().unwrap(), "--key", &key]);
    assert!(result.status.success(), "{}", text(&result));
    let every = format!("statements {SELLERS} listed: {SELLERS} checked ({SELLERS} VALID, 0 not), 0 not found");
    assert!(text(&result).contains(&every), "{}", text(&result));

    // Every file equals an unsharded run's on the same workspace (the
    // summaries apart: shards write one each).
    run(&ws, &one_out, &[]);
    merge(&ws, &one_out);
    for seller in &all {
        assert_same_files(&one_out.join(PERIOD).join(seller), &period.join(seller), seller);
    }
    for name in [
        "period-manifest.json",
        "period-manifest.json.minisig",
        "period-manifest.json.sig",
        "period-manifest.allowed_signers",
        "provider.minisign.pub",
    ] {
        let (a, b) = (fs::read(one_out.join(PERIOD).join(name)).unwrap(), fs::read(period.join(name)).unwrap());
        assert!(a == b, "{name} differs between the unsharded and the Slurm run");
    }
    assert_eq!(common::register_entries(&one_out), common::register_entries(&slurm_out));
}

#[test]
fn submit_refuses_a_request_the_partition_can_never_run_and_queues_nothing() {
    let Some(cluster) = Cluster::start("submit_refuses_a_request_the_partition_can_never_run_and_queues_nothing")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path());
    let logs = tmp.path().join("logs");
    let (cpus, memory) = cluster.node();
    let more_cpus = (cpus + 1).to_string();
    let more_memory = format!("{}M", memory + 1024);

    // As the original month-end.sbatch asked: more CPUs than the node has.
    let w = ws.to_str().unwrap();
    for (flag, value) in [("--cpus-per-task", more_cpus.as_str()), ("--mem", more_memory.as_str())] {
        let result = cluster.submit(&logs, &[flag, value, w, PERIOD, "3"]);
        let said = text(&result);
        assert_eq!(result.status.code(), Some(1), "{flag} {value}: {said}");
        assert!(said.contains("this request can never run, so nothing was queued"), "{said}");
        assert!(said.contains(&format!("{flag}={value}")), "{said}");
        assert!(said.contains(&format!("partition debug: largest node {cpus} CPUs, {memory} MB")), "{said}");
    }
    // The same through the environment.
    let mut by_env = cluster.command(repo_file("deploy/slurm/submit.sh").to_str().unwrap());
    let result = by_env.current_dir(&logs).env("KPISEAL_CPUS_PER_TASK", &more_cpus).args([w, PERIOD, "3"]).output();
    let result = result.unwrap();
    assert_eq!(result.status.code(), Some(1), "{}", text(&result));
    assert!(text(&result).contains(&format!("--cpus-per-task={more_cpus}")), "{}", text(&result));

    // A time limit over the partition's.
    let limited = cluster.command("scontrol").args(["update", "PartitionName=debug", "MaxTime=01:00:00"]).output();
    assert!(limited.unwrap().status.success());
    let result = cluster.submit(&logs, &["--time", "02:00:00", w, PERIOD, "3"]);
    assert_eq!(result.status.code(), Some(1), "{}", text(&result));
    assert!(text(&result).contains("partition debug allows at most 1:00:00"), "{}", text(&result));

    let queued = cluster.command("squeue").args(["-h", "-o", "%i"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&queued.stdout).trim(), "", "nothing may be queued");
    // What fits is queued.
    let result = cluster.submit(&logs, &["--time", "00:30:00", w, PERIOD, "3"]);
    assert!(result.status.success(), "{}", text(&result));
    let (array, merge_job) = job_ids(&text(&result));
    cluster.wait(&[&array, &merge_job]);
}

#[test]
fn a_failed_shard_cancels_the_merge_naming_the_seller_and_its_resumed_task_then_the_merge_give_a_clean_runs_bytes() {
    let test = "a_failed_shard_cancels_the_merge_naming_the_seller_and_its_resumed_task_then_the_merge_give_a_clean_runs_bytes";
    let Some(cluster) = Cluster::start(test) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path());
    let (slurm_out, clean_out, logs) =
        (tmp.path().join("out-slurm"), tmp.path().join("out-clean"), tmp.path().join("logs"));
    // A broken export: one amount that is not a number, in the first
    // generated (not demo) seller's Amazon settlement.
    let (seller, bad) = sellers(&ws)[3..]
        .iter()
        .find_map(|s| Some((s.clone(), first_settlement(&ws, s)?)))
        .expect("a generated seller on Amazon");
    let original = fs::read(&bad).unwrap();
    let text_file = String::from_utf8(original.clone()).unwrap();
    let mut lines: Vec<String> = text_file.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split('\t').collect();
    let amount = header.iter().position(|h| *h == "amount").unwrap();
    let mut cells: Vec<String> = lines[5].split('\t').map(str::to_string).collect();
    cells[amount] = "12,34.5".to_string();
    lines[5] = cells.join("\t");
    fs::write(&bad, lines.join("\n") + "\n").unwrap();

    let (w, o) = (ws.to_str().unwrap(), slurm_out.display().to_string());
    let shards = SHARDS.to_string();
    let submitted = cluster.submit(&logs, &["--out", &o, w, PERIOD, &shards]);
    assert!(submitted.status.success(), "{}", text(&submitted));
    let said = text(&submitted);
    assert!(said.contains("each --cpus-per-task=1 --mem=1G --time=02:00:00"), "the defaults fit a small node: {said}");
    let (array, merge_job) = job_ids(&said);
    let states = cluster.wait(&[&array, &merge_job]);
    let failed: Vec<usize> = states.iter().filter(|s| s.1 == "FAILED").map(|s| s.0.unwrap()).collect();
    assert_eq!(failed.len(), 1, "one shard fails: {states:?}");
    let task = failed[0];
    let log = fs::read_to_string(logs.join(format!("kpiseal-month-end-{array}_{task}.out"))).unwrap();
    let rel = bad.strip_prefix(&ws).unwrap().display().to_string();
    assert!(
        log.lines().any(|l| l.starts_with("FAILED") && l.contains(&seller) && l.contains(&rel)),
        "the task's log names the seller and the file: {log}"
    );
    for (t, state, exit) in &states {
        match t {
            Some(i) if *i == task => assert_eq!(exit, "1:0", "{states:?}"),
            Some(_) => assert_eq!((state.as_str(), exit.as_str()), ("COMPLETED", "0:0"), "{states:?}"),
            None => assert_eq!(state, "CANCELLED", "the merge is cancelled: {states:?}"),
        }
    }
    assert!(!logs.join(format!("kpiseal-merge-{merge_job}.out")).exists(), "the merge never ran");
    assert!(!slurm_out.join(PERIOD).join("period-manifest.json").exists());
    assert!(!slurm_out.join(PERIOD).join(&seller).exists());

    // The export fixed, that one task again (it runs with --resume), then the merge.
    fs::write(&bad, &original).unwrap();
    let resubmitted = cluster.submit(&logs, &["--tasks", &task.to_string(), "--out", &o, w, PERIOD, &shards]);
    assert!(resubmitted.status.success(), "{}", text(&resubmitted));
    let (array, merge_job) = job_ids(&text(&resubmitted));
    let states = cluster.wait(&[&array, &merge_job]);
    assert_eq!(states.len(), 2, "one task and the merge: {states:?}");
    for (t, state, exit) in &states {
        assert_eq!((state.as_str(), exit.as_str()), ("COMPLETED", "0:0"), "{t:?}: {states:?}\n{}", cluster.logs());
    }
    assert_eq!(states.iter().find_map(|s| s.0), Some(task));

    // The same bytes as a clean sharded run, summaries and period manifest included.
    for i in 0..SHARDS {
        run(&ws, &clean_out, &["--shard", &format!("{i}/{SHARDS}")]);
    }
    merge(&ws, &clean_out);
    assert_same_files(&clean_out.join(PERIOD), &slurm_out.join(PERIOD), "the period folder");
    assert_eq!(common::register_entries(&clean_out), common::register_entries(&slurm_out));
}
