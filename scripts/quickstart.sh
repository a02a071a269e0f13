#!/usr/bin/env bash
# One command for a newcomer: installs everything (Node 24 + pnpm into .tools/ when the machine's
# Node is older, npm and Debian packages), builds the packages, and runs the quickstart job.
# HPC_DRIVER=slurm runs it on the dev SLURM cluster instead (start it with scripts/cluster/up.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-deps.sh
hpc_use_toolchain
pnpm exec turbo run build --output-logs=errors-only
exec node --experimental-transform-types --disable-warning=ExperimentalWarning examples/quickstart/main.ts
