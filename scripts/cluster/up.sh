#!/usr/bin/env bash
# Brings up the project's dev SLURM cluster on this host, from Debian's packages: munge, MariaDB,
# slurmdbd, slurmctld and HPC_CLUSTER_NODES (default 3) `slurmd -N nX` nodes, Lmod, and a cgroup
# v1 cgroup.conf so that --mem limits are real (OUT_OF_MEMORY). No systemd needed.
#
# Idempotent: daemons already running with an unchanged config are kept (running jobs survive);
# dead daemons are started; a changed config restarts what reads it. Exits non-zero with the tail
# of the failing daemon's log when anything does not come up.
#
# Usage: scripts/cluster/up.sh [--install-only]   (as root)
#   --install-only  install the Debian packages and write the configs, start nothing (image builds)
# Knobs: HPC_CLUSTER_NODES=3 HPC_CLUSTER_CPUS=8 HPC_CLUSTER_MEMORY_MB=6000 HPC_CLUSTER_NAME=lab
#        HPC_CLUSTER_ACCOUNTING=1 (0: no slurmdbd/MariaDB, sacct unavailable)
#        HPC_CLUSTER_SKIP_APT=1 (never call apt-get; fail if packages are missing)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0="$(now_ms)"
declare -a TIMINGS=()
step_start() { STEP_T="$(now_ms)"; }
step_done() { TIMINGS+=("$(printf '%-34s %6d ms' "$1" $(($(now_ms) - STEP_T)))"); }

INSTALL_ONLY=0
for arg in "$@"; do
  case "$arg" in
  --install-only) INSTALL_ONLY=1 ;;
  -h | --help)
    sed -n '2,17p' "$0"
    exit 0
    ;;
  *) die "unknown option '$arg' (use --install-only)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "up.sh must run as root (it starts system daemons); try: sudo $0"
[[ "$HPC_CLUSTER_NODES" =~ ^[1-9][0-9]?$ ]] || die "HPC_CLUSTER_NODES must be 1-99, got '$HPC_CLUSTER_NODES'"

# ---------------------------------------------------------------- packages
step_start
PACKAGES=(slurm-wlm munge lmod)
[ "$HPC_CLUSTER_ACCOUNTING" = 1 ] && PACKAGES+=(slurmdbd mariadb-server)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "${HPC_CLUSTER_SKIP_APT:-0}" != 1 ] || die "missing Debian packages: ${missing[*]} (HPC_CLUSTER_SKIP_APT=1 forbids installing them)"
  log "installing ${missing[*]} (apt-get)"
  apt-get update -qq || die "apt-get update failed; check the network and /etc/apt/sources.list"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
fi
step_done "packages (${#missing[@]} missing)"

# ---------------------------------------------------------------- configs
step_start
HOST="$(hostname -s)"
LAST_NODE="$HPC_CLUSTER_NODES"
LAST_PORT=$((HPC_CLUSTER_FIRST_PORT + HPC_CLUSTER_NODES - 1))
if [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/freezer ]; then
  PROCTRACK=proctrack/cgroup TASKPLUGIN=task/cgroup
else
  log "WARNING: no cgroup v1 memory+freezer controllers under /sys/fs/cgroup; using proctrack/linuxproc + task/none (no OUT_OF_MEMORY state)"
  PROCTRACK=proctrack/linuxproc TASKPLUGIN=task/none
fi
if [ "$HPC_CLUSTER_ACCOUNTING" = 1 ]; then ACCOUNTING=accounting_storage/slurmdbd; else ACCOUNTING=accounting_storage/none; fi

render() {
  sed -e "s|@CLUSTER@|$HPC_CLUSTER_NAME|g" -e "s|@HOST@|$HOST|g" \
    -e "s|@NODES@|n[1-$LAST_NODE]|g" -e "s|@LAST_NODE@|n$LAST_NODE|g" -e "s|@PORTS@|[$HPC_CLUSTER_FIRST_PORT-$LAST_PORT]|g" \
    -e "s|@CPUS@|$HPC_CLUSTER_CPUS|g" -e "s|@MEMORY@|$HPC_CLUSTER_MEMORY_MB|g" \
    -e "s|@PROCTRACK@|$PROCTRACK|g" -e "s|@TASKPLUGIN@|$TASKPLUGIN|g" -e "s|@ACCOUNTING@|$ACCOUNTING|g" \
    -e "s|@DBPASS@|${DBPASS:-}|g" "$HPC_CLUSTER_DIR/$1"
}
# Writes $2 to $1 when different; returns 0 when the file changed.
install_config() {
  local target="$1" content="$2" owner="$3" mode="$4"
  if [ -f "$target" ] && [ "$(cat "$target")" = "$content" ]; then return 1; fi
  printf '%s\n' "$content" >"$target.tmp"
  chown "$owner" "$target.tmp"
  chmod "$mode" "$target.tmp"
  mv -f "$target.tmp" "$target"
  return 0
}

install -d -m 0755 "$SLURM_ETC"
install -d -o slurm -g slurm -m 0755 "$SLURM_RUN" "$SLURM_LOG" "$SLURM_STATE" "$SLURM_SPOOL"
for node in $(cluster_node_names); do install -d -m 0755 "$SLURM_SPOOL/$node"; done

SLURM_CONF_CHANGED=0 CGROUP_CHANGED=0 DBD_CHANGED=0
install_config "$SLURM_ETC/slurm.conf" "$(render slurm.conf.in)" root:root 0644 && SLURM_CONF_CHANGED=1
install_config "$SLURM_ETC/cgroup.conf" "$(render cgroup.conf.in)" root:root 0644 && CGROUP_CHANGED=1
if [ "$HPC_CLUSTER_ACCOUNTING" = 1 ]; then
  # Keep the database password across runs (it is local to this host: MariaDB listens on 127.0.0.1).
  DBPASS="$(sed -n 's/^StoragePass=//p' "$SLURM_ETC/slurmdbd.conf" 2>/dev/null || true)"
  [ -n "$DBPASS" ] || DBPASS="$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
  install_config "$SLURM_ETC/slurmdbd.conf" "$(render slurmdbd.conf.in)" slurm:slurm 0600 && DBD_CHANGED=1
fi
step_done "configs (slurm.conf changed=$SLURM_CONF_CHANGED)"
if [ "$INSTALL_ONLY" = 1 ]; then
  log "installed and configured in $(($(now_ms) - T0)) ms (--install-only: no daemons started)"
  exit 0
fi

# ---------------------------------------------------------------- munge
step_start
if [ ! -s /etc/munge/munge.key ]; then
  log "creating /etc/munge/munge.key"
  mungekey --create --force
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
if ! pidfile_alive "$MUNGE_PID"; then
  runuser -u munge -- /usr/sbin/munged || { log_tail /var/log/munge/munged.log; die "munged did not start"; }
fi
wait_until 10 bash -c 'munge -n | unmunge' || { log_tail /var/log/munge/munged.log; die "munge credentials do not verify (munge -n | unmunge)"; }
step_done munge

# ---------------------------------------------------------------- MariaDB + slurmdbd
if [ "$HPC_CLUSTER_ACCOUNTING" = 1 ]; then
  step_start
  install -d -o mysql -g root -m 0755 /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    log "initialising the MariaDB data directory"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null || die "mariadb-install-db failed"
  fi
  if ! pidfile_alive "$MARIADB_PID"; then
    setsid /usr/sbin/mariadbd --user=mysql --pid-file="$MARIADB_PID" --bind-address=127.0.0.1 \
      </dev/null >>/var/log/slurm/mariadbd.out 2>&1 &
  fi
  wait_until 30 mariadb-admin --protocol=socket ping ||
    { log_tail /var/log/slurm/mariadbd.out; die "MariaDB did not answer within 30 s"; }
  mariadb --protocol=socket -uroot <<SQL || die "could not create the slurm database user"
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
SQL
  step_done mariadb

  step_start
  if [ "$DBD_CHANGED" = 1 ]; then stop_pidfile "$SLURMDBD_PID"; fi
  if ! pidfile_alive "$SLURMDBD_PID"; then
    /usr/sbin/slurmdbd || { log_tail "$SLURM_LOG/slurmdbd.log"; die "slurmdbd did not start"; }
  fi
  wait_until 30 sacctmgr -n list cluster ||
    { log_tail "$SLURM_LOG/slurmdbd.log"; die "slurmdbd did not answer 'sacctmgr list cluster' within 30 s"; }
  step_done slurmdbd
fi

# ---------------------------------------------------------------- slurmctld + slurmd
step_start
if [ "$SLURM_CONF_CHANGED" = 1 ]; then stop_pidfile "$SLURMCTLD_PID"; fi
if ! pidfile_alive "$SLURMCTLD_PID"; then
  /usr/sbin/slurmctld || { log_tail "$SLURM_LOG/slurmctld.log"; die "slurmctld did not start"; }
fi
wait_until 30 scontrol ping ||
  { log_tail "$SLURM_LOG/slurmctld.log"; die "slurmctld did not answer 'scontrol ping' within 30 s"; }
step_done slurmctld

step_start
for node in $(cluster_node_names); do
  pidfile="$(slurmd_pid_file "$node")"
  if [ "$SLURM_CONF_CHANGED" = 1 ] || [ "$CGROUP_CHANGED" = 1 ]; then stop_pidfile "$pidfile"; fi
  if ! pidfile_alive "$pidfile"; then
    /usr/sbin/slurmd -N "$node" || { log_tail "$SLURM_LOG/slurmd-$node.log"; die "slurmd -N $node did not start"; }
  fi
done

# Every node must be usable: idle, or busy with jobs that survived a restart. A node left DOWN or
# DRAINED by an earlier test (scontrol update state=down) is resumed once its slurmd is up.
nodes_ready() {
  local states
  states="$(sinfo -h -N -o '%t' 2>/dev/null)" || return 1
  [ -n "$states" ] || return 1
  ! grep -qvE '^(idle|mix|alloc|comp)$' <<<"$states"
}
resumed=0
deadline=$(($(now_ms) + 30000))
until nodes_ready; do
  if [ "$(now_ms)" -ge "$deadline" ]; then
    sinfo -N -o '%N %t %E' >&2 || true
    for node in $(cluster_node_names); do log_tail "$SLURM_LOG/slurmd-$node.log" 5; done
    log_tail "$SLURM_LOG/slurmctld.log" 10
    die "nodes did not become idle within 30 s"
  fi
  if [ "$resumed" = 0 ] && [ "$(now_ms)" -ge $((deadline - 27000)) ]; then
    for bad in $(sinfo -h -N -t down,drain,drng,fail -o '%N' 2>/dev/null | sort -u); do
      if pidfile_alive "$(slurmd_pid_file "$bad")"; then
        log "resuming node $bad (its slurmd is running)"
        scontrol update nodename="$bad" state=resume 2>/dev/null || true
      fi
    done
    resumed=1
  fi
  sleep 0.1
done
step_done "slurmd x$HPC_CLUSTER_NODES until nodes ready"

# ---------------------------------------------------------------- report
{
  echo "[cluster] up in $(($(now_ms) - T0)) ms (cluster '$HPC_CLUSTER_NAME', $HPC_CLUSTER_NODES nodes x $HPC_CLUSTER_CPUS CPUs, $PROCTRACK, $ACCOUNTING)"
  for line in "${TIMINGS[@]}"; do echo "  $line"; done
  sinfo -h -o '  partition %P: %D nodes %t %N'
} >&2
