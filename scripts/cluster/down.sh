#!/usr/bin/env bash
# Stops the dev cluster by its pid files (never by process name): cancels all jobs so no
# slurmstepd outlives its slurmd, then slurmd x N, slurmctld, slurmdbd, MariaDB, munge.
# A daemon left as a zombie counts as stopped.
#
# Usage: scripts/cluster/down.sh [--keep-services] [--purge]
#   --keep-services  stop only the SLURM daemons; leave MariaDB and munge running
#   --purge          also wipe the controller state and the accounting database (job ids restart at 1)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KEEP_SERVICES=0 PURGE=0
for arg in "$@"; do
  case "$arg" in
  --keep-services) KEEP_SERVICES=1 ;;
  --purge) PURGE=1 ;;
  -h | --help)
    sed -n '2,9p' "$0"
    exit 0
    ;;
  *) die "unknown option '$arg' (use --keep-services or --purge)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "down.sh must run as root; try: sudo $0"
T0="$(now_ms)"

if pidfile_alive "$SLURMCTLD_PID"; then
  jobs="$(timeout 15 squeue -h -o '%A' 2>/dev/null || true)"
  if [ -n "$jobs" ]; then
    log "cancelling $(wc -l <<<"$jobs") job(s)"
    timeout 15 scancel --quiet $jobs 2>/dev/null || true
    wait_until 10 bash -c '[ -z "$(squeue -h -o %A 2>/dev/null)" ]' || log "some jobs were still ending after 10 s"
  fi
fi

for pidfile in "$SLURM_RUN"/slurmd-*.pid; do
  [ -e "$pidfile" ] && stop_pidfile "$pidfile" 10
done
stop_pidfile "$SLURMCTLD_PID" 10

if [ "$PURGE" = 1 ]; then
  log "purging controller state and the accounting database"
  rm -rf "${SLURM_STATE:?}"/*
  if pidfile_alive "$MARIADB_PID"; then
    stop_pidfile "$SLURMDBD_PID" 10
    mariadb --protocol=socket -uroot -e 'DROP DATABASE IF EXISTS slurm_acct_db' || log "could not drop slurm_acct_db"
  fi
fi

if [ "$KEEP_SERVICES" = 0 ]; then
  stop_pidfile "$SLURMDBD_PID" 10
  stop_pidfile "$MARIADB_PID" 20
  stop_pidfile "$MUNGE_PID" 5
fi
log "down in $(($(now_ms) - T0)) ms"
