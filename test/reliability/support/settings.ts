/**
 * The suite's settings, all from the environment and all optional (test/reliability/README.md):
 *
 *   HPC_FUZZ_SEED              the run's seed (scripts/test.sh picks one per run and prints it)
 *   HPC_FUZZ_ONLY              comma-separated case ids to replay, e.g. h5/large#17
 *   HPC_FUZZ_CASE_TIMEOUT_MS   a load that takes longer is a hang (default 10 s)
 *   HPC_FUZZ_CHILDREN          loading processes per format (default: 2, at most the cores)
 *   HPC_RELIABILITY_REPORT_DIR where the tallies are written as JSON for the closing summary
 *
 * They only steer the tests (nothing is built from them), so they are read here, in one place,
 * rather than declared to turbo.
 */
import { availableParallelism } from 'node:os';

const SETTINGS = [
  'HPC_FUZZ_SEED',
  'HPC_FUZZ_ONLY',
  'HPC_FUZZ_CASE_TIMEOUT_MS',
  'HPC_FUZZ_CHILDREN',
  'HPC_RELIABILITY_REPORT_DIR',
] as const;
type Setting = (typeof SETTINGS)[number];

function read(name: Setting): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function integer(name: Setting, fallback: number): number {
  const text = read(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name}=${text} is not an integer`);
  return value;
}

/** Fixed when unset, so a plain `vitest run` is reproducible. */
export const DEFAULT_SEED = 20_261_202;

export const settings = {
  seed: () => integer('HPC_FUZZ_SEED', DEFAULT_SEED),
  only: () =>
    read('HPC_FUZZ_ONLY')
      ?.split(',')
      .map((id) => id.trim()),
  caseTimeoutMs: () => integer('HPC_FUZZ_CASE_TIMEOUT_MS', 10_000),
  children: () => integer('HPC_FUZZ_CHILDREN', Math.min(2, availableParallelism())),
  reportDir: () => read('HPC_RELIABILITY_REPORT_DIR'),
};
