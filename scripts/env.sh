# Sourced by every project script: puts a Node >= 22 and the pinned pnpm first on PATH.
# When the machine's Node is older (Debian's laptops and CI have Node 20), Node 24 and pnpm are
# installed from the npm registry into .tools/ (lockfile-pinned, no install scripts).
# shellcheck shell=bash
HPC_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export HPC_REPO_ROOT

hpc_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

hpc_ensure_toolchain() {
  local tools="$HPC_REPO_ROOT/.tools"
  if [ ! -x "$tools/node_modules/.bin/pnpm" ] || [ ! -x "$tools/node_modules/.bin/node" ]; then
    echo "[setup] installing Node 24 and pnpm into .tools/ (npm ci)" >&2
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  fi
}

hpc_use_toolchain() {
  local tools="$HPC_REPO_ROOT/.tools/node_modules/.bin"
  if [ "$(hpc_node_major)" -lt 22 ] || [ -z "$(command -v pnpm)" ]; then
    hpc_ensure_toolchain || return 1
    export PATH="$tools:$PATH"
  fi
  # Native addons must not build against Node 20's headers from the user npmrc.
  export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
  export PATH="$HPC_REPO_ROOT/node_modules/.bin:$PATH"
}
