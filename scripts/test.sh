#!/usr/bin/env bash
# The project's one test command (README; .ci/run calls exactly this). On a fresh Debian 12 machine
# it installs what the tests need, then: lint, type-check, build, unit tests, interop tests against
# Debian's h5py/h5dump, the reliability suite (seeded fuzz of both crate formats, hostile files,
# killed writers; seed HPC_FUZZ_SEED, new each run unless set), starts the real dev SLURM cluster,
# and runs the integration tests on it. Ends with one line "N passed, N failed, N skipped"; in CI
# any skipped interop, reliability or integration test fails the run (they must never skip silently).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

fail() { echo "[test] FAILED: $*" >&2; exit 1; }
step() { printf '\n[test] === %s ===\n' "$*"; }

step "install dependencies"
bash scripts/install-deps.sh || fail "installing dependencies"
hpc_use_toolchain || fail "toolchain"

step "lint (biome)"
pnpm exec biome check --error-on-warnings . || fail "lint"

step "build (tsup via turbo)"
pnpm exec turbo run build --output-logs=errors-only || fail "build"

step "type-check (tsc --noEmit, strict)"
pnpm exec turbo run typecheck --output-logs=errors-only || fail "type-check"
pnpm exec tsc --noEmit -p tsconfig.json || fail "type-check of tests, fixtures and benchmarks"

REPORTS="$(mktemp -d)"
status=0
run_project() {
  local project="$1"
  step "vitest: $project"
  pnpm exec vitest run --project "$project" --reporter=default --reporter=json --outputFile.json="$REPORTS/$project.json" || status=1
}

run_project unit
run_project interop

# One seed for the whole reliability run, printed so a failure can be replayed (test/reliability/README.md).
export HPC_FUZZ_SEED="${HPC_FUZZ_SEED:-$(( $(date +%s) % 1000000007 ))}"
export HPC_RELIABILITY_REPORT_DIR="$REPORTS"
echo "[test] reliability seed: HPC_FUZZ_SEED=$HPC_FUZZ_SEED"
run_project reliability

step "Node 22 compatibility smoke test (engines: node >= 22)"
(cd .tools/node22 && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || fail "installing Node 22"
.tools/node22/node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
  test/node22-smoke.mjs || status=1

step "start the dev SLURM cluster"
bash scripts/cluster/up.sh || fail "the dev SLURM cluster did not start (see the log tail above)"
run_project integration

step "summary"
node scripts/test-summary.mjs "$REPORTS"/*.json || status=1
exit "$status"
