#!/usr/bin/env node
/**
 * `pnpm bench` (node benchmarks/run-all.mjs): runs every benchmark in this folder, one after
 * another, each with the exact command the root README's Benchmarks section gives for its figures
 * (printed before it runs), and ends with one line per benchmark: passed, failed, or not run.
 *
 *   node benchmarks/run-all.mjs                 # all of them: about half an hour, dev cluster up
 *   node benchmarks/run-all.mjs --list          # the commands, nothing run
 *   node benchmarks/run-all.mjs --only cli,serializer
 *   node benchmarks/run-all.mjs --quick         # tiny sizes: checks that each one starts and ends
 *
 * Needs a build (`pnpm exec turbo run build`); the SLURM and CLI benchmarks need the dev cluster
 * (`bash scripts/cluster/up.sh`) and are reported as not run without `sbatch` on PATH.
 * Exit code 1 when any benchmark failed or was not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const TS = ['--experimental-transform-types', '--no-warnings', '--conditions=@hpc/source'];

/** name, node flags, file, arguments (as the README runs it), tiny arguments for --quick, needs SLURM. */
const BENCHMARKS = [
  {
    name: 'serializer',
    flags: ['--expose-gc'],
    file: 'serializer.bench.mjs',
    args: [],
    quick: [],
    quickEnv: { BENCH_RUNS: '1' },
  },
  {
    name: 'hdf5-serializer',
    flags: ['--expose-gc'],
    file: 'hdf5-serializer.bench.mjs',
    args: [],
    quick: ['--mib', '4', '--reps', '1'],
  },
  {
    name: 'hdf5-big-array',
    flags: [],
    file: 'hdf5-big-array.mjs',
    args: ['--gib', '3'],
    quick: ['--gib', '0.01'],
  },
  {
    name: 'runner-startup',
    flags: [],
    file: 'runner-startup.bench.mjs',
    args: ['--runs', '60'],
    quick: ['--runs', '3'],
  },
  {
    name: 'slurm-driver',
    flags: TS,
    file: 'slurm-driver.bench.ts',
    args: ['1000', '200'],
    quick: ['10', '5'],
    slurm: true,
  },
  {
    name: 'arrays',
    flags: TS,
    file: 'arrays.bench.ts',
    args: ['3'],
    quick: ['--quick'],
    slurm: true,
  },
  {
    name: 'slurm-store',
    flags: TS,
    file: 'slurm-store.bench.ts',
    args: ['10000'],
    quick: ['100'],
    slurm: true,
  },
  { name: 'cli', flags: [], file: 'cli.bench.mjs', args: [], quick: ['100'], slurm: true },
  {
    name: 'figures-overhead',
    flags: TS,
    file: 'figures-overhead.bench.ts',
    args: ['--runs', '30'],
    quick: ['--runs', '1'],
    slurm: false,
  },
  {
    name: 'show-stats',
    flags: TS,
    file: 'show-stats.bench.ts',
    args: ['10000'],
    quick: ['100'],
    slurm: false,
  },
];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((argv[onlyIndex + 1] ?? '').split(',')) : undefined;
const unknown = [...(only ?? [])].filter((name) => !BENCHMARKS.some((b) => b.name === name));
if (unknown.length) {
  console.error(
    `run-all: unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}
const selected = BENCHMARKS.filter((b) => !only || only.has(b.name));
const command = (b) => ['node', ...b.flags, `benchmarks/${b.file}`, ...(quick ? b.quick : b.args)];

if (argv.includes('--list')) {
  for (const b of selected)
    console.log(`${b.name.padEnd(16)} ${command(b).join(' ')}${b.slurm ? '   (dev cluster)' : ''}`);
  process.exit(0);
}

const onPath = (tool) => (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, tool)));
const built = ['packages/serializer/dist/index.js', 'apps/cli/dist/hpc.mjs'].filter(
  (f) => !existsSync(join(REPO, f)),
);
if (built.length) {
  console.error(`run-all: ${built.join(', ')} missing: build first (pnpm exec turbo run build)`);
  process.exit(1);
}

const results = [];
for (const b of selected) {
  const [, ...nodeArgs] = command(b);
  if (b.slurm && !onPath('sbatch')) {
    results.push([b.name, 'not run: no sbatch on PATH (start the dev cluster: bash scripts/cluster/up.sh)']);
    continue;
  }
  console.log(`\n## ${b.name}: ${command(b).join(' ')}\n`);
  const started = performance.now();
  const run = spawnSync(process.execPath, nodeArgs, {
    cwd: REPO,
    stdio: 'inherit',
    env: { ...process.env, ...(quick ? b.quickEnv : {}) },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const ok = run.status === 0;
  results.push([
    b.name,
    ok ? `passed in ${seconds} s` : `FAILED (exit ${run.status ?? run.signal}) after ${seconds} s`,
  ]);
}

console.log('\n## summary');
for (const [name, result] of results) console.log(`${name.padEnd(16)} ${result}`);
process.exit(results.every(([, result]) => result.startsWith('passed')) ? 0 : 1);
