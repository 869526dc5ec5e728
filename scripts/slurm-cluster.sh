#!/usr/bin/env bash
# Starts or stops a real Slurm cluster emulated on this machine: munged, slurmctld and one
# `slurmd -N NAME` per node, all as root, everything (state, spool, logs, pids, munge key and
# socket) under DIR. The configuration comes from `gigafactory slurm config --local DIR`.
#
#   scripts/slurm-cluster.sh up DIR [FLEET]   # FLEET: write DIR/etc first (default: keep DIR/etc)
#   scripts/slurm-cluster.sh controller DIR   # munged + slurmctld only (check a large config loads)
#   scripts/slurm-cluster.sh down DIR         # cancel jobs, stop every daemon, keep DIR
#   export SLURM_CONF=DIR/etc/slurm.conf      # then sbatch, squeue, sinfo talk to it
set -euo pipefail

usage() { echo "usage: $0 up DIR [FLEET] | controller DIR | down DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
export SLURM_CONF="$dir/etc/slurm.conf"

need() {
  for b in "$@"; do
    command -v "$b" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v "$b" >/dev/null 2>&1 || {
      echo "error: $b not found; install Slurm and munge: apt-get install -y slurm-wlm munge" >&2; exit 3; }
  done
}

# Waits up to $1 tenths of a second for the command in $2.. to succeed.
wait_for() {
  local n=$1; shift
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# A daemon counts as alive unless gone or a zombie (PID 1 in containers may not reap them).
alive() { [ -n "$1" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
export -f alive

stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 50 bash -c "! alive $pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

nodes_ready() {
  # Every node answers (idle, mixed, allocated); none unknown, down or not responding (`*`).
  # Cloud nodes powered down (`idle~`) wait for Slurm's ResumeProgram and count as ready.
  local states
  states=$(sinfo -h -N -o '%t' 2>/dev/null) || return 1
  [ -n "$states" ] && ! grep -qvE '^(idle|mix|alloc|idle~)$' <<<"$states"
}

up() {
  need munged slurmctld slurmd sinfo scontrol
  export PATH="$PATH:/usr/sbin"
  if [ $# -ge 1 ]; then
    "$(dirname "$0")/../gigafactory" slurm config "$1" --out "$dir/etc" --local "$dir"
  fi
  [ -f "$SLURM_CONF" ] || { echo "error: $SLURM_CONF missing; run: gigafactory slurm config FLEET --out $dir/etc --local $dir" >&2; exit 2; }
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  local sock
  sock=$(sed -n 's/^AuthInfo=socket=//p' "$SLURM_CONF")
  [ -n "$sock" ] || { echo "error: $SLURM_CONF has no AuthInfo=socket=...; write it with --local $dir" >&2; exit 2; }
  if [ ! -f "$dir/munge.key" ]; then
    head -c 1024 /dev/urandom >"$dir/munge.key"
    chmod 600 "$dir/munge.key"
  fi
  if ! [ -S "$sock" ] || ! alive "$(cat "$dir/run/munged.pid" 2>/dev/null)"; then
    rm -f "$sock"
    munged --force --key-file="$dir/munge.key" --socket="$sock" --pid-file="$dir/run/munged.pid" \
      --log-file="$dir/log/munged.log" --seed-file="$dir/run/munged.seed"
    wait_for 50 test -S "$sock" || { echo "error: munged did not start; see $dir/log/munged.log" >&2; exit 1; }
  fi
  if ! scontrol ping 2>/dev/null | grep -q UP; then
    slurmctld -i
    wait_for 300 bash -c 'scontrol ping | grep -q UP' || { echo "error: slurmctld did not start; see $dir/log/slurmctld.log" >&2; tail -5 "$dir/log/slurmctld.log" >&2; exit 1; }
  fi
  [ "${CONTROLLER_ONLY:-0}" = 1 ] && { echo "slurmctld up; export SLURM_CONF=$SLURM_CONF"; return 0; }
  local names
  # Not the cloud nodes (`~`: powered down): Slurm powers them up through ResumeProgram on demand.
  names=$(sinfo -h -N -o '%N %t' | awk '$2 !~ /~$/ { print $1 }' | sort -u)
  for n in $names; do
    alive "$(cat "$dir/run/slurmd-$n.pid" 2>/dev/null)" && continue
    mkdir -p "$dir/spool/$n"
    slurmd -N "$n"
  done
  # Nodes left DOWN by an earlier run (or set DOWN by a test) come back.
  [ -n "$names" ] && scontrol update NodeName="$(paste -sd, - <<<"$names")" State=RESUME >/dev/null 2>&1 || true
  wait_for 300 nodes_ready || { echo "error: nodes did not come up:" >&2; sinfo -N >&2; exit 1; }
  echo "slurm cluster up: $(wc -w <<<"$names") nodes; export SLURM_CONF=$SLURM_CONF"
}

down() {
  export PATH="$PATH:/usr/sbin"
  if [ -f "$SLURM_CONF" ] && scontrol ping 2>/dev/null | grep -q UP; then
    scancel --quiet --user="$(id -un)" 2>/dev/null || true
    wait_for 50 bash -c '[ -z "$(squeue -h -t running,completing -o %i)" ]' || true
  fi
  # Cloud nodes still within their lead time (`gigafactory slurm resume --local`) never start.
  for f in "$dir"/run/resume-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  for f in "$dir"/run/slurmd-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  stop_pidfile "$dir/run/slurmctld.pid"
  stop_pidfile "$dir/run/munged.pid"
  echo "slurm cluster down: $dir"
}

case "$cmd" in
  up) shift 2; up "$@" ;;
  controller) CONTROLLER_ONLY=1 up ;;
  down) down ;;
  *) usage ;;
esac
