#!/usr/bin/env bash
# A throwaway single-node Slurm cluster for tests: munged, slurmctld and
# slurmd from the distribution's packages (Debian: slurm-wlm, munge), with
# their key, configuration, state, spool, logs and sockets all in DIR.
#
# usage: scripts/slurm-local.sh start DIR [CPUS]
#        scripts/slurm-local.sh stop DIR
#
# start writes DIR/slurm.conf (one node, "local", with the machine's
# CPUs and memory as `slurmd -C` reports them, or CPUS if given, declared
# even beyond what the machine has; one partition, "debug"), starts the
# three daemons, waits until the node is idle and prints
# `export SLURM_CONF=DIR/slurm.conf`: with it, sbatch, squeue, scontrol ...
# talk to this cluster. stop cancels its jobs, stops the daemons started
# from DIR (by the pid files there) and leaves DIR for their logs.
#
# Exit codes of start: 0 the node is idle; 77 the cluster cannot start on
# this machine (not root, a package missing), the reason on stderr, nothing
# started; 1 it should have started and did not (the daemons' logs are in
# DIR and named on stderr; whatever did start is stopped).
set -euo pipefail

skip() { echo "slurm-local: cannot start Slurm here: $*" >&2; exit 77; }
# A failed start stops whatever it started (started_dir is set once it
# begins to start daemons).
started_dir=""
die() {
  echo "slurm-local: $*" >&2
  [ -z "$started_dir" ] || stop "$started_dir"
  exit 1
}

stop() {
  local dir=$1 name pid jobs
  # Jobs still queued or running (a test that failed half-way) are
  # cancelled first, so that no job step outlives the cluster.
  if [ -f "$dir/slurm.conf" ] && [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    jobs=$(SLURM_CONF=$dir/slurm.conf squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)
    if [ -n "${jobs// /}" ]; then
      # shellcheck disable=SC2086 # one job id a word
      SLURM_CONF=$dir/slurm.conf scancel $jobs 2>/dev/null || true
      for _ in $(seq 50); do
        [ -n "$(SLURM_CONF=$dir/slurm.conf squeue -h -o %A 2>/dev/null)" ] || break
        sleep 0.1
      done
    fi
  fi
  for name in slurmd slurmctld munged; do
    [ -f "$dir/$name.pid" ] || continue
    pid=$(cat "$dir/$name.pid" 2>/dev/null || true)
    rm -f "$dir/$name.pid"
    case "$pid" in '' | *[!0-9]*) continue ;; esac
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  done
}

start() {
  local dir=$1 cpus=${2:-}
  [ "$(id -u)" -eq 0 ] || skip "the daemons need root (slurmd runs jobs as their user; munged as the munge user)"
  local tool
  for tool in munged mungekey slurmctld slurmd sbatch scontrol sinfo; do
    command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null 2>&1 ||
      skip "$tool is not installed (Debian: apt-get install slurm-wlm munge)"
  done
  export PATH=$PATH:/usr/sbin:/sbin
  id munge >/dev/null 2>&1 || skip "there is no munge user (Debian: apt-get install munge)"

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ ! -e "$dir/slurmctld.pid" ] || die "$dir already holds a running cluster (stop it first)"
  started_dir=$dir
  trap 'die "failed at line $LINENO"' ERR

  # munged: its own key and socket, everything owned by munge.
  mkdir -p "$dir/munge"
  chmod 0755 "$dir"
  runuser -u munge -- test -x "$dir" ||
    die "the munge user cannot reach $dir: every folder above it must be searchable by others (chmod o+x)"
  [ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key" 2>/dev/null ||
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=128 count=1 status=none
  chown -R munge:munge "$dir/munge"
  chmod 0711 "$dir/munge"   # clients must reach the socket; munged requires x for all
  chmod 0600 "$dir/munge/munge.key"
  # munged refuses a socket folder that others may write to, up the tree;
  # DIR is usually under /tmp (sticky, 1777), which it accepts.
  runuser -u munge -- munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    --num-threads=2 || die "munged did not start: see $dir/munge/munged.log"
  cp "$dir/munge/munged.pid" "$dir/munged.pid"

  # Two free TCP ports for slurmctld and slurmd, so that this cluster
  # never meets another one on the machine.
  local ports
  ports=$(python3 - <<'EOF' 2>/dev/null || true
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
  )
  [ -n "$ports" ] || ports="$((20000 + RANDOM % 20000)) $((40000 + RANDOM % 20000))"
  local ctld_port=${ports% *} slurmd_port=${ports#* }

  # The node as slurmd sees it (CPUs, sockets, cores, threads, memory).
  local hw memory
  hw=$(slurmd -C | head -n 1)
  memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  [ -n "$memory" ] || die "slurmd -C printed no RealMemory: $hw"
  local overrides=""
  if [ -n "$cpus" ]; then
    # Declared, not detected: slurmd takes the configuration's word for it.
    hw="CPUs=$cpus"
    overrides="SlurmdParameters=config_overrides"
  else
    hw=$(sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=[0-9]*//' <<<"$hw")
  fi
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat >"$dir/slurm.conf" <<EOF
ClusterName=kpiseal-local
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SchedulerParameters=sched_interval=2
MinJobAge=600
MailProg=/bin/true
$overrides
NodeName=local NodeHostname=$(hostname) NodeAddr=127.0.0.1 $hw RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=local Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$SLURM_CONF" || die "slurmctld did not start: see $dir/log/slurmctld.log"
  slurmd -f "$SLURM_CONF" -N local || die "slurmd did not start: see $dir/log/slurmd.log"

  local state=""
  for _ in $(seq 300); do
    state=$(sinfo -h -n local -o '%T' 2>/dev/null || true)
    case "$state" in idle) break ;; esac
    sleep 0.2
  done
  [ "$state" = idle ] ||
    die "the node is not idle after 60 s (state '${state:-unknown}'): see $dir/log/slurmctld.log and $dir/log/slurmd.log"
  trap - ERR
  started_dir=""
  echo "export SLURM_CONF=$dir/slurm.conf"
}

case "${1:-}" in
  start) [ "$#" -ge 2 ] || { echo "usage: $0 start DIR [CPUS]" >&2; exit 2; }; start "$2" "${3:-}" ;;
  stop) [ "$#" -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 start DIR [CPUS] | stop DIR" >&2; exit 2 ;;
esac
