#!/usr/bin/env bash
# ropebatch under a real Slurm: installs Debian's Slurm and MUNGE when missing, starts a private
# one-node cluster on localhost (its own munged, slurmctld and slurmd, ports and state under a
# temporary directory), then
#   1. submits the `smoke` grid on the CPU backend as an array job of 3 shards plus the dependent
#      merge-and-report job (`ropebatch slurm --submit`), waits for them, and checks that the merged
#      results equal a single unsharded run, run for run and bit for bit;
#   2. submits `smoke` again as 2 shards with --shard auto, preempts shard 0 after its first
#      finished run (`scancel --signal=TERM`, what preemption and the time-limit warning send),
#      checks that the task saved its runs, was requeued and resumed with them, and that the merged
#      file equals the unsharded run: nothing lost, nothing twice;
# then stops the daemons. Bounded: every wait has a deadline (RB_SLURM_LIMIT seconds in all).
#
#   bash tests/slurm/run_slurm_ci.sh [BUILD_DIR]        (as root; BUILD_DIR holds harness/ropebatch)
# Needs RB_SMOLLM2_GGUF (scripts/setup.sh exports it) and Debian's bible-kjv. RB_SLURM_KEEP=1 keeps
# the temporary directory (logs, results) for inspection.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
RB=$BUILD/harness/ropebatch
LIMIT=${RB_SLURM_LIMIT:-900}
START=$SECONDS
say() { printf '[slurm-ci %3ds] %s\n' $((SECONDS - START)) "$*"; }
fail() { say "FAIL: $*"; exit 1; }
[ -x "$RB" ] || fail "no ropebatch binary at $RB (build it first)"
[ -n "${RB_SMOLLM2_GGUF:-}" ] && [ -f "$RB_SMOLLM2_GGUF" ] || fail "RB_SMOLLM2_GGUF is not set (source scripts/setup.sh's env)"
[ "$(id -u)" -eq 0 ] || fail "run as root (it installs packages and starts daemons)"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null &&
   ! [ -x /usr/sbin/munged ]; then
  say "installing slurmctld, slurmd, slurm-client and munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi
[ -e /usr/share/bible-kjv ] || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bible-kjv >/dev/null

WORK=$(mktemp -d /tmp/rb-slurm-ci.XXXXXX)
mkdir -p "$WORK"/{munge,state,spool,log,cache}
PIDS=()
cleanup() {
  local rc=$?
  scancel --quiet --full --user=root 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -f "$WORK/munge/munged.pid" ]; then kill "$(cat "$WORK/munge/munged.pid")" 2>/dev/null || true; fi
  if [ "$rc" -ne 0 ]; then
    say "logs:"; for f in "$WORK"/log/*.log "$WORK"/*/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 30 "$f"; }; done
  fi
  if [ -n "${RB_SLURM_KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
  say "daemons stopped; exit $rc"
}
trap cleanup EXIT

# ---- a private cluster: MUNGE on its own socket, Slurm on its own ports and directories ----
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
/usr/sbin/munged --force --socket="$WORK/munge/munge.sock" --key-file="$WORK/munge/munge.key" \
  --log-file="$WORK/log/munged.log" --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed"
HOST=$(hostname -s)
PORT=$((20000 + RANDOM % 20000))
export SLURM_CONF=$WORK/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=rbci
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$WORK/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=pmix
ReturnToService=2
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=600
KillWait=10
# Enough for three 2-CPU tasks at once (config_overrides: the node need not have them).
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=6 RealMemory=6000 State=UNKNOWN
PartitionName=ci Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -f "$SLURM_CONF" >"$WORK/log/slurmctld.out" 2>&1 & PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >"$WORK/log/slurmd.out" 2>&1 & PIDS+=($!)

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every half second.
wait_until() {
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  [ $((START + LIMIT)) -lt "$end" ] && end=$((START + LIMIT))
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || fail "timed out waiting for $what"
    sleep 0.5
  done
}
node_idle() { [ "$(sinfo -h -o %t 2>/dev/null)" = idle ]; }
wait_until 60 "the node to be idle" node_idle
say "cluster up: $(sinfo -h -o '%P %D %t %c CPUs')"

job_state() { scontrol show job "$1" -o 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }
job_done() { case "$(job_state "$1")" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) return 0 ;; esac; return 1; }
# "merged N runs from K files (D duplicate runs agreed)": same runs, same numbers bit for bit
# (merge refuses duplicates that differ), none missing on either side.
same_results() {
  local a=$1 b=$2 out
  out=$("$RB" merge "$WORK/check-$RANDOM.h5" "$a" "$b") || fail "merge of $a and $b refused"
  local n k d
  read -r n k d < <(echo "$out" | sed -E 's/^merged ([0-9]+) runs from ([0-9]+) files \(([0-9]+) duplicate.*/\1 \2 \3/')
  [ "$n" = "$d" ] || fail "$a and $b differ: $out"
  say "$a == $b: $n runs, every one in both, bit for bit"
}
runs_in() { "$RB" merge "$WORK/count-$RANDOM.h5" "$1" --allow-partial 2>/dev/null | sed -E 's/^merged ([0-9]+) runs.*/\1/'; }

# ---- 1. smoke in 3 shards + merge and report, against one unsharded run ----
say "unsharded reference run of smoke (beside the Slurm jobs)"
"$RB" run --grid smoke --backend cpu --threads 2 --out "$WORK/smoke-single.h5" --cache-dir "$WORK/cache-single" \
  2>"$WORK/log/smoke-single.log" & reference=$!
"$RB" slurm --grid smoke --shards 3 --backend cpu --out-dir "$WORK/smoke" --sbatch-arg=--mem=1G \
  --run-arg=--cache-dir="$WORK/cache" --run-arg=--threads=2 --report-arg=--no-png >"$WORK/log/chain.txt"
cat "$WORK/log/chain.txt"
"$RB" slurm --grid smoke --shards 3 --backend cpu --out-dir "$WORK/smoke" --sbatch-arg=--mem=1G \
  --run-arg=--cache-dir="$WORK/cache" --run-arg=--threads=2 --report-arg=--no-png --submit | tee "$WORK/log/submit.txt"
merge_job=$(sed -n 's/^submitted merge-and-report job \([0-9]*\).*/\1/p' "$WORK/log/submit.txt")
[ -n "$merge_job" ] || fail "no merge job id"
wait_until 180 "the smoke chain (merge job $merge_job)" job_done "$merge_job"
[ "$(job_state "$merge_job")" = COMPLETED ] || fail "merge job $merge_job: $(job_state "$merge_job")"
for i in 0 1 2; do grep -q "ropebatch run exited 0" "$WORK/smoke/shard-$i.log" || fail "shard $i did not exit 0"; done
[ -f "$WORK/smoke/report/report.md" ] || [ -n "$(ls "$WORK/smoke/report" 2>/dev/null)" ] || fail "no report written"
wait "$reference" || fail "the unsharded reference run failed"
same_results "$WORK/smoke-single.h5" "$WORK/smoke/results.h5"
# Submitting the chain again finds every shard complete: only the merge job runs.
"$RB" slurm --grid smoke --shards 3 --backend cpu --out-dir "$WORK/smoke" | grep -q "0 to run (3 complete" ||
  fail "a complete chain is not recognised as complete"

# ---- 2. a shard preempted mid-run is requeued and resumes ----
mkdir -p "$WORK/preempt"
array=$(sbatch --parsable --array=0-1 --mem=1G --output="$WORK/preempt/shard-%a.log" --export=ALL,RB_BIN="$RB" \
  "$ROOT/slurm/ropebatch-array.sbatch" "$WORK/preempt" auto --grid smoke --backend cpu --threads 2 --cache-dir "$WORK/cache")
say "array job $array: 2 shards (--shard auto)"
first_run_done() { grep -q '^\[1/' "$WORK/preempt/shard-0.log" 2>/dev/null; }
wait_until 120 "shard 0's first finished run" first_run_done
grep -q "exited" "$WORK/preempt/shard-0.log" && fail "shard 0 finished before it could be preempted"
scancel --signal=TERM "${array}_0"
say "sent SIGTERM to shard 0 (scancel --signal=TERM ${array}_0)"
stopped() { grep -q "ropebatch run exited 3" "$WORK/preempt/shard-0.log"; }
wait_until 60 "shard 0 to stop with exit 3" stopped
grep -q "stopped by signal 15" "$WORK/preempt/shard-0.log" || fail "shard 0 did not report the signal"
saved=$(runs_in "$WORK/preempt/shard-0.h5")
say "shard 0 stopped with $saved runs saved; requeued: $(squeue -h -j "${array}_0" -o '%T %r' 2>/dev/null)"
[ "${saved:-0}" -ge 1 ] || fail "shard 0 saved no run before it stopped"
# A requeued batch job waits about two minutes before it may start again; start it now.
requeued() { [ -n "$(squeue -h -j "${array}_0" -o %T 2>/dev/null)" ]; }
wait_until 30 "shard 0 to be requeued" requeued
task=$(squeue -h -j "${array}_0" -o %A 2>/dev/null | head -1)
scontrol update jobid="$task" StartTime=now 2>/dev/null || true
array_done() { [ -z "$(squeue -h -j "$array" 2>/dev/null)" ]; }
wait_until 150 "the preempted array job" array_done
grep -q "attempt 2" "$WORK/preempt/shard-0.log" || fail "shard 0 did not run a second time"
grep -Eq "already complete in" "$WORK/preempt/shard-0.log" || fail "shard 0's second attempt did not resume"
resumed=$(grep -Eo '\(([0-9]+) already complete' "$WORK/preempt/shard-0.log" | tail -1 | grep -Eo '[0-9]+')
[ "${resumed:-0}" -ge 1 ] || fail "shard 0's second attempt found no run complete"
grep -q "ropebatch run exited 0" "$WORK/preempt/shard-0.log" || fail "shard 0's second attempt did not finish"
say "shard 0 resumed with $resumed runs already complete and finished"
"$RB" merge "$WORK/preempt-merged.h5" "$WORK/preempt/shard-0.h5" "$WORK/preempt/shard-1.h5" >/dev/null
same_results "$WORK/smoke-single.h5" "$WORK/preempt-merged.h5"
say "PASS in $((SECONDS - START)) s"
