# Shared by up.sh, down.sh and status.sh: where the dev cluster keeps its files, and pid handling.
# shellcheck shell=bash

HPC_CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export HPC_CLUSTER_DIR

# Knobs (environment): number of nodes, CPUs and MB per node, cluster name, accounting on/off.
HPC_CLUSTER_NODES="${HPC_CLUSTER_NODES:-3}"
HPC_CLUSTER_CPUS="${HPC_CLUSTER_CPUS:-8}"
HPC_CLUSTER_MEMORY_MB="${HPC_CLUSTER_MEMORY_MB:-6000}"
HPC_CLUSTER_NAME="${HPC_CLUSTER_NAME:-lab}"
HPC_CLUSTER_ACCOUNTING="${HPC_CLUSTER_ACCOUNTING:-1}"
HPC_CLUSTER_FIRST_PORT="${HPC_CLUSTER_FIRST_PORT:-17001}"

SLURM_ETC=/etc/slurm
SLURM_RUN=/run/slurm
SLURM_LOG=/var/log/slurm
SLURM_SPOOL=/var/lib/slurm/slurmd
SLURM_STATE=/var/lib/slurm/slurmctld
MUNGE_PID=/run/munge/munged.pid
MARIADB_PID=/run/mysqld/mysqld.pid
SLURMDBD_PID="$SLURM_RUN/slurmdbd.pid"
SLURMCTLD_PID="$SLURM_RUN/slurmctld.pid"

cluster_node_names() {
  local i
  for ((i = 1; i <= HPC_CLUSTER_NODES; i++)); do echo "n$i"; done
}

slurmd_pid_file() { echo "$SLURM_RUN/slurmd-$1.pid"; }

log() { printf '[cluster] %s\n' "$*" >&2; }

die() {
  printf '[cluster] ERROR: %s\n' "$*" >&2
  exit 1
}

now_ms() { date +%s%3N; }

# The pid recorded in a pid file, or nothing.
pid_of() {
  local file="$1" pid
  [ -r "$file" ] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [ -n "$pid" ] || return 1
  echo "$pid"
}

# True when the pid exists and is not a zombie (stopped daemons linger as <defunct> until reaped).
pid_alive() {
  local pid="$1" state
  [ -n "$pid" ] || return 1
  state="$(ps -o stat= -p "$pid" 2>/dev/null)" || return 1
  [ -n "$state" ] && [ "${state:0:1}" != Z ]
}

pidfile_alive() {
  local pid
  pid="$(pid_of "$1")" || return 1
  pid_alive "$pid"
}

# Stops the daemon named by a pid file: SIGTERM, wait up to $2 seconds, then SIGKILL.
stop_pidfile() {
  local file="$1" wait_s="${2:-10}" pid i
  pid="$(pid_of "$file")" || return 0
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < wait_s * 10; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      log "pid $pid ($file) ignored SIGTERM for ${wait_s}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -f "$file"
}

# Prints the last lines of a log file, for failure messages.
log_tail() {
  local file="$1" lines="${2:-20}"
  if [ -r "$file" ]; then
    printf -- '--- last %s lines of %s ---\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2
  else
    printf -- '--- %s does not exist ---\n' "$file" >&2
  fi
}

# Runs "$@" until it succeeds or $1 seconds pass (checks every 0.1 s).
wait_until() {
  local timeout_s="$1" deadline
  shift
  deadline=$(($(now_ms) + timeout_s * 1000))
  until "$@" >/dev/null 2>&1; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
