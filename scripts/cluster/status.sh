#!/usr/bin/env bash
# Prints the dev cluster's daemons (by pid file), its nodes and its job counts.
# Exit status: 0 when every daemon runs and every node is usable, 1 otherwise.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ok=1
show() {
  local name="$1" file="$2" pid
  if pid="$(pid_of "$file")" && pid_alive "$pid"; then
    printf '  %-12s running  pid %-8s %s\n' "$name" "$pid" "$file"
  else
    printf '  %-12s STOPPED           %s\n' "$name" "$file"
    ok=0
  fi
}

echo "daemons:"
show munged "$MUNGE_PID"
if [ "$HPC_CLUSTER_ACCOUNTING" = 1 ]; then
  show mariadbd "$MARIADB_PID"
  show slurmdbd "$SLURMDBD_PID"
fi
show slurmctld "$SLURMCTLD_PID"
for node in $(cluster_node_names); do show "slurmd $node" "$(slurmd_pid_file "$node")"; done

echo "nodes:"
if nodes="$(timeout 15 sinfo -N -h -o '%N %t %c %m %E' 2>&1)"; then
  while read -r name state cpus mem reason; do
    printf '  %-4s %-8s cpus=%-3s mem=%-6s %s\n' "$name" "$state" "$cpus" "$mem" "${reason/none/}"
    [[ "$state" =~ ^(idle|mix|alloc|comp)$ ]] || ok=0
  done <<<"$nodes"
else
  echo "  (sinfo failed: $nodes)"
  ok=0
fi

echo "jobs:"
if counts="$(timeout 15 squeue -h -o '%T' 2>/dev/null)"; then
  if [ -z "$counts" ]; then echo "  none"; else sort <<<"$counts" | uniq -c | sed 's/^ */  /'; fi
else
  echo "  (squeue failed)"
fi

[ "$ok" = 1 ] && echo "cluster: up" || echo "cluster: NOT fully up (run scripts/cluster/up.sh)"
[ "$ok" = 1 ]
