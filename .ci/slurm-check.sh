#!/usr/bin/env bash
# The Slurm recipe of docs/cluster.md run for real: a one-node Slurm
# cluster on this machine (munged, slurmctld, slurmd, a slurm.conf made
# for it), the job array of deploy/slurm/weir-array.sbatch submitted with
# `sbatch --wait`, its shards merged, and the merged report compared with
# the one `weir run` gives here: byte for byte, but for `wall_s`.
#
# Runs as root on Debian 12; installs slurm-wlm and munge when missing.
# WEIR names the binary to use (default: target/debug/weir, built here).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export DEBIAN_FRONTEND=noninteractive
missing=""
for p in slurm-wlm munge; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ -z "${WEIR:-}" ]; then
  cargo build -q --locked -p weir
  WEIR=$root/target/debug/weir
fi
export WEIR

work=$(mktemp -d /tmp/weir-slurm.XXXXXX)
chmod 755 "$work"
started=()
cleanup() {
  # Only the daemons this script started, in reverse order; each is given
  # a few seconds to save its state and go before its files are removed.
  local i pid
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    pid=${started[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
      case $(ps -o stat= -p "$pid" 2>/dev/null) in "" | Z*) break ;; esac
      sleep 0.1
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT

# munge: the key the package made, or a new one.
if [ ! -s /etc/munge/munge.key ]; then
  mungekey --create --force
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! munge -n >/dev/null 2>&1; then
  mkdir -p "$work/munge"
  chown munge:munge "$work/munge"
  runuser -u munge -- /usr/sbin/munged --pid-file="$work/munge/munged.pid"
  for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
  started+=("$(cat "$work/munge/munged.pid")")
fi
munge -n | unmunge >/dev/null

# One node, this machine, every daemon as root, no cgroups and no
# accounting: the least a job array needs.
host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/spool/ctld" "$work/spool/d"
conf=$work/slurm.conf
cat > "$conf" <<CONF
ClusterName=weirci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$work/spool/ctld
SlurmdSpoolDir=$work/spool/d
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$conf
/usr/sbin/slurmctld -f "$conf"
for _ in $(seq 50); do [ -s "$work/slurmctld.pid" ] && break; sleep 0.1; done
started+=("$(cat "$work/slurmctld.pid")")
/usr/sbin/slurmd -f "$conf"
for _ in $(seq 50); do [ -s "$work/slurmd.pid" ] && break; sleep 0.1; done
started+=("$(cat "$work/slurmd.pid")")
ready=""
for _ in $(seq 150); do
  state=$(sinfo -h -N -o %t 2>/dev/null || true)
  case "$state" in idle*|mix*|alloc*) ready=1; break ;; esac
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "slurm-check: the node did not come up (state '${state:-none}')" >&2
  tail -n 20 "$work/slurmctld.log" "$work/slurmd.log" >&2 || true
  exit 1
fi

model=examples/consumer-crash.ron
flags=(--duration 3m --replications 5 --seed 3)
shards=3
echo "== sbatch --wait --array=0-$((shards - 1)) deploy/slurm/weir-array.sbatch run $model ${flags[*]}"
if ! sbatch --wait --array=0-$((shards - 1)) --chdir="$root" --output="$work/task-%a.log" \
    deploy/slurm/weir-array.sbatch run "$model" "$work/shards" "${flags[@]}"; then
  echo "slurm-check: the job array failed" >&2
  cat "$work"/task-*.log >&2 || true
  exit 1
fi
ls "$work/shards"

"$WEIR" merge "$work"/shards/shard-*.json --format json -o "$work/merged.json"
"$WEIR" run "$model" "${flags[@]}" --json "$work/local.json" >/dev/null
# The wall time is the one field that differs: the merge sums the shards'.
grep -v '"wall_s":' "$work/merged.json" > "$work/merged.cmp"
grep -v '"wall_s":' "$work/local.json" > "$work/local.cmp"
if ! cmp -s "$work/merged.cmp" "$work/local.cmp"; then
  diff "$work/merged.cmp" "$work/local.cmp" | head -n 20 >&2 || true
  echo "slurm-check: the merged report differs from the local one" >&2
  exit 1
fi
echo "slurm-check: $shards shards merged into the local report, byte for byte (wall_s aside)"
