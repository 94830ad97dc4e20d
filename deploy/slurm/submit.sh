#!/usr/bin/env bash
# Queues a month end on Slurm: SHARDS array tasks running month-end.sbatch,
# then `kpiseal merge`, which starts only once every task has exited 0
# (--dependency=afterok on the array job). If a task fails, the merge never
# becomes runnable and is cancelled (--kill-on-invalid-dep); re-run the
# failed task (every task runs `kpiseal run --resume`), which queues the
# merge again after it:
#
#   deploy/slurm/submit.sh --tasks 2 [same options] WORKSPACE PERIOD SHARDS
#
# usage: deploy/slurm/submit.sh [OPTIONS] WORKSPACE PERIOD SHARDS
#   e.g. deploy/slurm/submit.sh --cpus-per-task 4 --mem 4G /shared/kpiseal/ws 2026-10 8
#
# Options (each also read from the environment variable named; a flag wins):
#   --cpus-per-task N  KPISEAL_CPUS_PER_TASK  CPUs of each shard task (default 1);
#                      the task runs `--jobs` sellers at a time, as many as
#                      Slurm granted it (SLURM_CPUS_PER_TASK)
#   --mem SIZE         KPISEAL_MEM            memory of each task, sbatch --mem (default 1G)
#   --time LIMIT       KPISEAL_TIME           time limit of each task and of the merge,
#                      sbatch --time (default 02:00:00)
#   --partition NAME   KPISEAL_PARTITION      partition (default: the cluster's default)
#   --account NAME     KPISEAL_ACCOUNT        account to charge (default: the user's default)
#   --out DIR          KPISEAL_OUT            kpiseal --out of the shards and the merge
#                                             (default WORKSPACE/out)
#   --tasks LIST                              only these array tasks, e.g. 2 or 0,2
#                      (sbatch --array syntax, each below SHARDS; default
#                      0-<SHARDS-1>): re-runs failed shards, then the merge
#   KPISEAL (environment only) names the kpiseal binary (default: kpiseal on
#   PATH); it must be a path every node sees, as must WORKSPACE and OUT.
#
# Before queueing anything it asks Slurm whether the request can ever run
# (sbatch --test-only, and the partition's time limit from sinfo) and, if
# not, exits 1 naming what does not fit and what the partition offers,
# instead of leaving an array pending forever (reason PartitionConfig).
# Job logs (kpiseal-month-end-<array>_<task>.out, kpiseal-merge-<job>.out)
# go to the current folder. Paths must not contain commas (sbatch --export
# splits on them). Exit codes: 0 queued, 1 the request cannot run or sbatch
# failed, 2 usage.
set -euo pipefail

usage() {
  echo "usage: $0 [--cpus-per-task N] [--mem SIZE] [--time LIMIT] [--partition NAME] [--account NAME] [--out DIR] [--tasks LIST] WORKSPACE PERIOD SHARDS" >&2
  exit 2
}

cpus=${KPISEAL_CPUS_PER_TASK:-1}
mem=${KPISEAL_MEM:-1G}
time_limit=${KPISEAL_TIME:-02:00:00}
partition=${KPISEAL_PARTITION:-}
account=${KPISEAL_ACCOUNT:-}
out=${KPISEAL_OUT:-}
tasks=""
positional=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --cpus-per-task | --mem | --time | --partition | --account | --out | --tasks)
      [ "$#" -ge 2 ] || usage
      case "$1" in
        --cpus-per-task) cpus=$2 ;;
        --mem) mem=$2 ;;
        --time) time_limit=$2 ;;
        --partition) partition=$2 ;;
        --account) account=$2 ;;
        --out) out=$2 ;;
        --tasks) tasks=$2 ;;
      esac
      shift 2 ;;
    --cpus-per-task=* | --mem=* | --time=* | --partition=* | --account=* | --out=* | --tasks=*)
      value=${1#*=}
      case "$1" in
        --cpus-per-task=*) cpus=$value ;;
        --mem=*) mem=$value ;;
        --time=*) time_limit=$value ;;
        --partition=*) partition=$value ;;
        --account=*) account=$value ;;
        --out=*) out=$value ;;
        --tasks=*) tasks=$value ;;
      esac
      shift ;;
    -h | --help) usage ;;
    --) shift; positional+=("$@"); break ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ "${#positional[@]}" -eq 3 ] || usage
workspace=$(cd "${positional[0]}" && pwd)
period=${positional[1]}
shards=${positional[2]}
case "$shards" in
  '' | *[!0-9]* | 0) echo "$0: SHARDS must be a whole number of at least 1, got '$shards'" >&2; exit 2 ;;
esac
case "$cpus" in
  '' | *[!0-9]* | 0) echo "$0: --cpus-per-task must be a whole number of at least 1, got '$cpus'" >&2; exit 2 ;;
esac
tasks=${tasks:-0-$((shards - 1))}
case "$tasks" in
  '' | *[!0-9,-]* | [,-]* | *[,-]) echo "$0: --tasks takes task indexes and ranges like 2 or 0,2-3, got '$tasks'" >&2; exit 2 ;;
esac
for index in ${tasks//[,-]/ }; do
  [ "$((10#$index))" -lt "$shards" ] || { echo "$0: --tasks: task $index is not below SHARDS ($shards)" >&2; exit 2; }
done
if [ -n "$out" ]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
fi
here=$(cd "$(dirname "$0")" && pwd)
kpiseal=${KPISEAL:-kpiseal}
case "$workspace$out$kpiseal" in
  *,*) echo "$0: WORKSPACE, --out and KPISEAL must not contain commas (sbatch --export splits on them)" >&2; exit 2 ;;
esac

# The sbatch options every job of the month end shares.
common=(--time="$time_limit")
[ -z "$partition" ] || common+=(--partition="$partition")
[ -z "$account" ] || common+=(--account="$account")
shard_options=("${common[@]}" --cpus-per-task="$cpus" --mem="$mem" --array="$tasks")

# Slurm time formats (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S) in minutes,
# rounded up; "infinite" / "UNLIMITED" as -1.
minutes() {
  local t=$1 days=0 h=0 m=0 s=0
  case "$t" in infinite | UNLIMITED | INFINITE | unlimited) echo -1; return ;; esac
  if [[ $t == *-* ]]; then
    days=${t%%-*}; t=${t#*-}
    IFS=: read -r h m s <<<"$t"
  else
    local fields
    IFS=: read -r -a fields <<<"$t"
    case "${#fields[@]}" in
      1) m=${fields[0]} ;;
      2) m=${fields[0]}; s=${fields[1]} ;;
      *) h=${fields[0]}; m=${fields[1]}; s=${fields[2]} ;;
    esac
  fi
  echo $(( (10#${days:-0} * 86400 + 10#${h:-0} * 3600 + 10#${m:-0} * 60 + 10#${s:-0} + 59) / 60 ))
}

# Can the request ever run? What the partition offers, for the messages.
target=${partition:-$(sinfo -h -o '%P' 2>/dev/null | sed -n 's/\*$//p' | head -n 1)}
offers() {
  [ -n "$target" ] || { echo "(no default partition: name one with --partition)"; return; }
  sinfo -h -p "$target" -o '%c %m %l' 2>/dev/null | sort -n -k1,1 -k2,2 | tail -n 1 |
    awk -v p="$target" '{ printf "partition %s: largest node %s CPUs, %s MB of memory; time limit %s\n", p, $1, $2, $3 }'
}
if ! said=$(sbatch --test-only "${shard_options[@]}" "$here/month-end.sbatch" 2>&1); then
  {
    echo "$0: this request can never run, so nothing was queued:"
    echo "  asked per shard task: --cpus-per-task=$cpus --mem=$mem --time=$time_limit${partition:+ --partition=$partition}${account:+ --account=$account}"
    echo "  $(offers)"
    echo "  sbatch --test-only said: $(grep -v '^$' <<<"$said" | tr '\n' ' ')"
    echo "  ask for less (--cpus-per-task, --mem, --time) or another --partition"
  } >&2
  exit 1
fi
if [ -n "$target" ]; then
  limit=$(sinfo -h -p "$target" -o '%l' 2>/dev/null | head -n 1)
  if [ -n "$limit" ] && [ "$(minutes "$limit")" -ge 0 ] && [ "$(minutes "$time_limit")" -gt "$(minutes "$limit")" ]; then
    {
      echo "$0: this request can never run, so nothing was queued:"
      echo "  asked --time=$time_limit per task; partition $target allows at most $limit"
      echo "  ask for less with --time, or another --partition"
    } >&2
    exit 1
  fi
fi

# --parsable prints "<jobid>" or "<jobid>;<cluster>".
array_job=$(sbatch --parsable "${shard_options[@]}" \
  --export="ALL,WORKSPACE=$workspace,PERIOD=$period,SHARDS=$shards,KPISEAL=$kpiseal,OUT=$out" \
  "$here/month-end.sbatch")
array_job=${array_job%%;*}

merge_command=$(printf '%q merge --workspace %q --period %q' "$kpiseal" "$workspace" "$period")
[ -z "$out" ] || merge_command+=$(printf ' --out %q' "$out")
merge_job=$(sbatch --parsable "${common[@]}" --job-name=kpiseal-merge --cpus-per-task=1 --mem="$mem" \
  --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
  --output="kpiseal-merge-%j.out" --wrap="$merge_command")
merge_job=${merge_job%%;*}

echo "shards: job array $array_job (tasks $tasks of 0-$((shards - 1)), each --cpus-per-task=$cpus --mem=$mem --time=$time_limit)"
echo "merge:  job $merge_job, after every shard succeeds"
