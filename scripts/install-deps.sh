#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine: Node 24 + pnpm (when the
# machine's Node is older), the workspace's npm packages, and the Debian packages the tests use
# (a real SLURM cluster, h5py/h5dump as independent HDF5 readers, chromium for the dashboard tests). Idempotent.
set -euo pipefail
source "$(dirname "$0")/env.sh"
hpc_use_toolchain

APT_PACKAGES=(
  slurm-wlm slurmdbd munge mariadb-server lmod
  python3-h5py python3-numpy hdf5-tools hdf5-filter-plugin hdf5-filter-plugin-blosc-serial
  chromium
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] && [ "${HPC_SKIP_APT:-0}" != 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "[setup] missing Debian packages: ${missing[*]} (run as root, or install them yourself)" >&2
    exit 1
  fi
  echo "[setup] apt-get install ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cd "$HPC_REPO_ROOT"
pnpm install --reporter=append-only 2>&1 | tail -n 5
