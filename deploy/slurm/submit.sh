#!/usr/bin/env bash
# Queues a month end on Slurm: SHARDS array tasks running month-end.sbatch,
# then `kpiseal merge`, which starts only once every task has exited 0
# (--dependency=afterok on the array job). If a task fails, the merge never
# becomes runnable and is cancelled (--kill-on-invalid-dep); re-run the
# failed task (see month-end.sbatch), then run the merge by hand:
#
#   kpiseal merge --workspace WORKSPACE --period PERIOD
#
# usage: deploy/slurm/submit.sh WORKSPACE PERIOD SHARDS
#   e.g. deploy/slurm/submit.sh /shared/kpiseal/ws 2026-10 8
# KPISEAL may name the binary (default: kpiseal on PATH). Paths must not
# contain commas (sbatch --export splits on them).
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 WORKSPACE PERIOD SHARDS" >&2
  exit 2
fi
workspace=$(cd "$1" && pwd)
period=$2
shards=$3
case "$shards" in
  '' | *[!0-9]* | 0) echo "$0: SHARDS must be a whole number of at least 1, got '$shards'" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
kpiseal=${KPISEAL:-kpiseal}

# --parsable prints "<jobid>" or "<jobid>;<cluster>".
array_job=$(sbatch --parsable --array="0-$((shards - 1))" \
  --export="ALL,WORKSPACE=$workspace,PERIOD=$period,SHARDS=$shards,KPISEAL=$kpiseal" \
  "$here/month-end.sbatch")
array_job=${array_job%%;*}

merge_job=$(sbatch --parsable --job-name=kpiseal-merge \
  --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
  --output="kpiseal-merge-%j.out" \
  --wrap="$(printf '%q merge --workspace %q --period %q' "$kpiseal" "$workspace" "$period")")
merge_job=${merge_job%%;*}

echo "shards: job array $array_job (tasks 0-$((shards - 1)))"
echo "merge:  job $merge_job, after every shard succeeds"
