#!/usr/bin/env bash
# Starts the dev cluster with up.sh, stops it with down.sh on `docker stop`, and otherwise waits.
# With arguments, runs them once the cluster is up (e.g. a test command) and exits with their status.
set -euo pipefail
SCRIPTS=/opt/hpc/scripts/cluster
[ -x /work/scripts/cluster/up.sh ] && SCRIPTS=/work/scripts/cluster # a mounted checkout wins

"$SCRIPTS/up.sh"
trap '"$SCRIPTS/down.sh"; exit 0' TERM INT
if [ "$#" -gt 0 ]; then
  status=0
  "$@" || status=$?
  "$SCRIPTS/down.sh"
  exit "$status"
fi
sleep infinity &
wait $!
