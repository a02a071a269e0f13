/**
 * The node-runner's per-task cost (issue 12, "Faster tasks"; goal: a trivial unpacked task ≤ 45 ms
 * on an idle node): the built runner (packages/runner/dist/node-runner.mjs) started as a job starts
 * it, on a trivial `.bin` crate whose class comes from a plain `.mjs` user module that imports
 * `@hpc/process` from the runner's bundled copy (no node_modules beside it, as on a bare node),
 * with the crate's digest (--crate-digest) as jobs pass it.
 * Each round runs every case once, in turn (interleaved), each in a fresh job folder:
 *  - `node -e 0`: Node's own start and exit, the floor;
 *  - the pre-change runner, when given (`--baseline <node-runner.mjs>`: a copy of an older dist/),
 *    started as `node node-runner.mjs …`, as jobs started it then;
 *  - the runner bundle alone (`node node-runner.mjs …`: a lone copy, no compile cache);
 *  - the runner as jobs start it now (runnerCommand: the compile-cache preload, then the bundle;
 *    the cache in this run's own HPC_HOME, warmed by one run first);
 *  - the same with HPC_RUNNER_TIMINGS=1: its timings.json gives the per-phase breakdown, and
 *    "exit + spawn" is the wall time after the last mark (Node's exit, the parent's wait);
 *  - one packed batch task of PACKED trivial processes (`--batch <dir> --task 0`, a bundle staged
 *    by stageBatch): the cost of one more process inside a task is (its wall − the single task's
 *    wall) / (PACKED − 1).
 * Prints one table of medians: wall time, the time above `node -e 0`, and the ratio to the
 * pre-change runner; then the phases.
 *
 * Run (after `pnpm exec turbo run build`; not under nice, on an otherwise idle machine):
 *   node benchmarks/runner-startup.bench.mjs [--runs 60] [--baseline /path/to/old/node-runner.mjs]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const RUNNER = join(REPO, 'packages/runner/dist/node-runner.mjs');
const SERIALIZER = join(REPO, 'packages/serializer/dist/index.js');
const PROCESS = join(REPO, 'packages/process/dist/index.js');
const RUNNER_LIBRARY = join(REPO, 'packages/runner/dist/index.js');
const CONTAINER = join(REPO, 'packages/container/dist/index.js');
const PACKED = 100;
for (const file of [RUNNER, SERIALIZER, PROCESS, RUNNER_LIBRARY, CONTAINER])
  if (!existsSync(file)) throw new Error(`${file} is missing: run pnpm exec turbo run build first`);

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : fallback;
};
const RUNS = Number(option('--runs', '60'));
const baselineOption = option('--baseline', undefined);
const BASELINE = baselineOption ? resolve(baselineOption) : undefined;
if (BASELINE && !existsSync(BASELINE)) throw new Error(`--baseline ${BASELINE}: no such file`);

// The job: a trivial Process from a plain .mjs module, serialized to a .bin crate.
const root = await mkdtemp(join(tmpdir(), 'hpc-runner-bench-'));
const userModule = join(root, 'trivial.mjs');
await writeFile(
  userModule,
  `import { Process, registerProcess } from '@hpc/process';
export class Trivial extends Process {
  constructor(n = 1) { super(); this.n = n; }
  run() { return { n: this.n + 1 }; }
}
registerProcess(Trivial, { id: 'bench/Trivial', module: import.meta.url });
`,
);
// This process finds @hpc/process in the workspace; the runner will use its bundled copy.
module.registerHooks({
  resolve: (specifier, context, next) =>
    specifier === '@hpc/process'
      ? { url: pathToFileURL(PROCESS).href, shortCircuit: true }
      : next(specifier, context),
});
const { Trivial } = await import(pathToFileURL(userModule).href);
const { Serializer } = await import(pathToFileURL(SERIALIZER).href);
const crate = join(root, 'process.bin');
await Serializer.serializeToFile(new Trivial(41), crate);
// Jobs pass the crate's digest (--crate-digest): the runner checks it before loading, so do we.
const crateDigest = `sha256:${createHash('sha256')
  .update(await readFile(crate))
  .digest('hex')}`;
const { runnerCommand } = await import(pathToFileURL(RUNNER_LIBRARY).href);
const { stageBatch, batchPaths } = await import(pathToFileURL(CONTAINER).href);
const batchDir = join(root, 'batch');
await stageBatch(
  Array.from({ length: PACKED }, (_, i) => new Trivial(i)),
  { jobsRoot: root, batchDir, processesPerTask: PACKED, imports: [pathToFileURL(userModule).href] },
);
const home = join(root, 'hpc-home'); // the compile cache goes to $HPC_HOME/cache/node-compile
await mkdir(home, { mode: 0o700 });

const runnerArgs = (runner, jobDir) => [
  runner,
  ...['--import', './trivial.mjs', '--job-dir', jobDir, '--crate-digest', crateDigest, crate],
];
const commandArgs = (jobDir) =>
  runnerCommand({
    imports: ['./trivial.mjs'],
    crate,
    object: undefined,
    jobDir,
    crateDigest,
    runnerPath: RUNNER,
  }).args;
const cases = [
  { name: 'node -e 0', args: () => ['-e', '0'] },
  ...(BASELINE ? [{ name: 'pre-change runner', args: (jobDir) => runnerArgs(BASELINE, jobDir) }] : []),
  { name: 'runner bundle alone', args: (jobDir) => runnerArgs(RUNNER, jobDir) },
  { name: 'runner (runnerCommand)', args: commandArgs, env: { HPC_HOME: home } },
  {
    name: `packed task: ${PACKED} processes (runnerCommand --batch)`,
    args: () =>
      runnerCommand({
        imports: ['./trivial.mjs'],
        crate: '',
        batch: { dir: batchDir, task: 0 },
        runnerPath: RUNNER,
      }).args,
    env: { HPC_HOME: home },
    after: () => rm(batchPaths(batchDir).processes, { recursive: true, force: true }),
  },
  {
    name: 'runner (runnerCommand), HPC_RUNNER_TIMINGS=1',
    args: commandArgs,
    env: { HPC_HOME: home, HPC_RUNNER_TIMINGS: '1' },
    timings: true,
  },
];

let jobs = 0;
function runCase(c) {
  const jobDir = join(root, 'jobs', String(jobs++));
  const started = performance.now();
  const run = spawnSync(process.execPath, c.args(jobDir), {
    cwd: root,
    env: { ...process.env, ...c.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wall = performance.now() - started;
  if (run.status !== 0)
    throw new Error(`${c.name} exited ${run.status ?? run.signal}: ${run.stderr.toString().slice(0, 2000)}`);
  return { wall, jobDir };
}

// One warm-up round (page cache, the compile cache's first write), then the interleaved rounds.
for (const c of cases) runCase(c);
const walls = new Map(cases.map((c) => [c.name, []]));
const phases = new Map();
for (let round = 0; round < RUNS; round++) {
  for (const c of cases) {
    const { wall, jobDir } = runCase(c);
    walls.get(c.name).push(wall);
    await c.after?.();
    if (!c.timings) continue;
    const timings = JSON.parse(await readFile(join(jobDir, 'timings.json'), 'utf8'));
    for (const [phase, ms] of Object.entries({ ...timings.phases, 'exit + spawn': wall - timings.totalMs })) {
      if (!phases.has(phase)) phases.set(phase, []);
      phases.get(phase).push(ms);
    }
  }
  await rm(join(root, 'jobs'), { recursive: true, force: true });
}
await rm(root, { recursive: true, force: true });

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => `${value.toFixed(1)} ms`;
const bare = median(walls.get('node -e 0'));
const before = BASELINE ? median(walls.get('pre-change runner')) : undefined;
const rows = cases.map((c) => {
  const wall = median(walls.get(c.name));
  return [
    c.name,
    ms(wall),
    c.name === 'node -e 0' ? '' : ms(wall - bare),
    before ? `${(wall / before).toFixed(2)}×` : '',
  ];
});
for (const [phase, values] of phases) rows.push([`  phase: ${phase}`, ms(median(values)), '', '']);
const single = median(walls.get('runner (runnerCommand)'));
const packed = median(walls.get(`packed task: ${PACKED} processes (runnerCommand --batch)`));
rows.push([`  each process inside a packed task`, ms((packed - single) / (PACKED - 1)), '', '']);

const header = ['case (trivial .bin crate, .mjs module)', 'median wall', 'above node -e 0', 'vs pre-change'];
const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)));
const line = (row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
console.log(
  `node-runner start-up: ${RUNS} interleaved rounds, Node ${process.version}, ${new Date().toISOString()}`,
);
console.log(line(header));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
console.log('(phases: medians of the HPC_RUNNER_TIMINGS=1 runs, each phase on its own)');
