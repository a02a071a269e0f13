/**
 * What recording figures and progress costs per task (issue 14, Benchmark: "the overhead of
 * recording figures and progress on the per-task time; it must stay inside its goals", the goals
 * of issue 12: a process inside a packed task ≤ 3 ms, a trivial unpacked task ≤ 45 ms). The built
 * runner (packages/runner/dist/node-runner.mjs) runs, on the local machine, as jobs start it
 * (runnerCommand), each case with the recording on (as always) and off (HPC_RUNNER_NO_FIGURES=1,
 * an internal switch for this benchmark only: no UsageMeter — cpuUsage, the 250 ms RSS sampler,
 * getrusage — and ctx.progress() doing nothing), interleaved, each run in a fresh job folder:
 *  - packed tasks of 1 and of PACKED trivial processes: the cost of one more process inside a
 *    task is (wall(PACKED) − wall(1)) / (PACKED − 1);
 *  - one unpacked trivial task;
 *  - one unpacked task whose run() calls ctx.progress(i, 10000) 10,000 times (progress.json is
 *    written at most once a second, the last value goes into the outcome).
 * The same two in this process (the runner's task loop without the spawn: JobContainer.execute()
 * as a packed task runs each process), by CPU time, which a shared machine's load disturbs less
 * than wall time: IN_PROCESS trivial processes per round, and the 10,000-call task.
 * Prints one table of medians: on, off, on − off and on ÷ off, against the goals.
 *
 * Run (after `pnpm exec turbo run build`; on an otherwise idle machine):
 *   node --experimental-transform-types --no-warnings --conditions=@hpc/source benchmarks/figures-overhead.bench.ts [--runs 30]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { batchPaths, JobContainer, stageBatch } from '../packages/container/src/index.ts';
import { runnerCommand } from '../packages/runner/src/index.ts';
import { Serializer } from '../packages/serializer/src/index.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const RUNNER = join(REPO, 'packages/runner/dist/node-runner.mjs');
if (!existsSync(RUNNER)) throw new Error(`${RUNNER} is missing: run pnpm exec turbo run build first`);
const PACKED = 200;
const PROGRESS_CALLS = 10_000;
/** The runner's internal switch (packages/container/src/run-usage.ts), for this benchmark only. */
const FIGURES_OFF = 'HPC_RUNNER_NO_FIGURES';
const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(argv[runsAt + 1]) : 30;

// The jobs: trivial Processes from a plain .mjs module (the runner uses its bundled @hpc/process).
const root = await mkdtemp(join(tmpdir(), 'hpc-figures-bench-'));
const userModule = join(root, 'trivial.mjs');
await writeFile(
  userModule,
  `import { Process, registerProcess } from '@hpc/process';
export class Trivial extends Process {
  constructor(n = 1) { super(); this.n = n; }
  run() { return { n: this.n + 1 }; }
}
registerProcess(Trivial, { id: 'bench/Trivial', module: import.meta.url });
export class Progressing extends Process {
  constructor(calls = 1) { super(); this.calls = calls; }
  run(ctx) {
    for (let i = 1; i <= this.calls; i++) ctx.progress(i, this.calls, 'step');
    return this.calls;
  }
}
registerProcess(Progressing, { id: 'bench/Progressing', module: import.meta.url });
`,
);
// This process finds @hpc/process in the workspace (the same copy the serializer here uses).
const processUrl = import.meta.resolve('@hpc/process');
module.registerHooks({
  resolve: (specifier, context, next) =>
    specifier === '@hpc/process' ? { url: processUrl, shortCircuit: true } : next(specifier, context),
});
const { Trivial, Progressing } = await import(pathToFileURL(userModule).href);
const trivialCrate = join(root, 'trivial.bin');
const progressCrate = join(root, 'progress.bin');
await Serializer.serializeToFile(new Trivial(41), trivialCrate);
await Serializer.serializeToFile(new Progressing(PROGRESS_CALLS), progressCrate);
const imports = [pathToFileURL(userModule).href];
const batchOf = async (count: number) => {
  const batchDir = join(root, `batch-${count}`);
  await stageBatch(
    Array.from({ length: count }, (_, i) => new Trivial(i)),
    { jobsRoot: root, batchDir, processesPerTask: count, imports },
  );
  return batchDir;
};
const one = await batchOf(1);
const many = await batchOf(PACKED);
const home = join(root, 'hpc-home'); // the compile cache, as jobs have it
await mkdir(home, { mode: 0o700 });

interface Case {
  name: string;
  args: (jobDir: string) => string[];
  after?: () => Promise<void>;
}
const single = (crate: string) => (jobDir: string) =>
  runnerCommand({ imports: ['./trivial.mjs'], crate, object: undefined, jobDir, runnerPath: RUNNER }).args;
const packed =
  (dir: string): Case['args'] =>
  () =>
    runnerCommand({
      imports: ['./trivial.mjs'],
      crate: '',
      object: undefined,
      jobDir: undefined,
      batch: { dir, task: 0 },
      runnerPath: RUNNER,
    }).args;
const clearBatch = (dir: string) => () => rm(batchPaths(dir).processes, { recursive: true, force: true });
const cases: Case[] = [
  { name: 'packed 1', args: packed(one), after: clearBatch(one) },
  { name: `packed ${PACKED}`, args: packed(many), after: clearBatch(many) },
  { name: 'unpacked trivial', args: single(trivialCrate) },
  { name: 'unpacked progress', args: single(progressCrate) },
];
const modes = { on: {}, off: { [FIGURES_OFF]: '1' } } as const;

let jobs = 0;
function runCase(c: Case, env: Record<string, string>): number {
  const jobDir = join(root, 'jobs', String(jobs++));
  const started = performance.now();
  const run = spawnSync(process.execPath, c.args(jobDir), {
    cwd: root,
    env: { ...process.env, HPC_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wall = performance.now() - started;
  if (run.status !== 0)
    throw new Error(`${c.name} exited ${run.status ?? run.signal}: ${run.stderr.toString().slice(0, 2000)}`);
  return wall;
}

/** The runner's task loop in this process: `count` runs of the crate, each in its own folder; CPU and wall per run. */
const IN_PROCESS = 200;
async function inProcess(crate: string, count: number, off: boolean): Promise<{ cpu: number; wall: number }> {
  if (off) process.env[FIGURES_OFF] = '1';
  else delete process.env[FIGURES_OFF];
  const dirs = Array.from({ length: count }, () => join(root, 'jobs', String(jobs++)));
  const cpuAt = process.cpuUsage();
  const started = performance.now();
  for (const jobDir of dirs) {
    const outcome = await new JobContainer(crate, { jobDir, passThroughOutput: false }).execute();
    if (outcome.status !== 'ok') throw new Error(`in-process run ended ${outcome.status}`);
  }
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuAt);
  delete process.env[FIGURES_OFF];
  return { cpu: (cpu.user + cpu.system) / 1000 / count, wall: wall / count };
}

// One warm-up round (page cache, the compile cache's first write), then the interleaved rounds.
const walls = new Map<string, number[]>();
const keep = (key: string, value: number) => walls.set(key, [...(walls.get(key) ?? []), value]);
for (let round = -1; round < RUNS; round++) {
  // On first in even rounds, off first in odd ones: neither gains from going second.
  const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
  for (const mode of order) {
    const loop = await inProcess(trivialCrate, IN_PROCESS, mode === 'off');
    const progress = await inProcess(progressCrate, 1, mode === 'off');
    if (round < 0) continue;
    keep(`loop cpu ${mode}`, loop.cpu);
    keep(`loop wall ${mode}`, loop.wall);
    keep(`progress cpu ${mode}`, progress.cpu);
  }
  for (const c of cases)
    for (const mode of order) {
      const wall = runCase(c, modes[mode]);
      await c.after?.();
      if (round < 0) continue;
      keep(`${c.name} ${mode}`, wall);
    }
  await rm(join(root, 'jobs'), { recursive: true, force: true });
}
await rm(root, { recursive: true, force: true });

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const wall = (name: string, mode: keyof typeof modes) => median(walls.get(`${name} ${mode}`) ?? []);
const perProcess = (mode: keyof typeof modes) =>
  (wall(`packed ${PACKED}`, mode) - wall('packed 1', mode)) / (PACKED - 1);
const perCall = (mode: keyof typeof modes) =>
  ((wall('unpacked progress', mode) - wall('unpacked trivial', mode)) * 1000) / PROGRESS_CALLS;
const figure = (value: number, unit: string) => `${value.toFixed(unit === 'µs' ? 2 : 1)} ${unit}`;
const row = (label: string, on: number, off: number, unit: string, goal: string): string[] => [
  label,
  figure(on, unit),
  figure(off, unit),
  figure(on - off, unit),
  `${(on / off).toFixed(2)}×`,
  goal,
];
const rows = [
  row(
    'each process inside a packed task',
    perProcess('on'),
    perProcess('off'),
    'ms',
    `≤ 3 ms: ${perProcess('on') <= 3 ? 'met' : 'not met'}`,
  ),
  row(
    `packed task of ${PACKED} (wall)`,
    wall(`packed ${PACKED}`, 'on'),
    wall(`packed ${PACKED}`, 'off'),
    'ms',
    '',
  ),
  row('packed task of 1 (wall)', wall('packed 1', 'on'), wall('packed 1', 'off'), 'ms', ''),
  row(
    'unpacked trivial task (wall)',
    wall('unpacked trivial', 'on'),
    wall('unpacked trivial', 'off'),
    'ms',
    `≤ 45 ms: ${wall('unpacked trivial', 'on') <= 45 ? 'met' : 'not met'}`,
  ),
  row(
    `task calling ctx.progress() ${PROGRESS_CALLS.toLocaleString('en')}× (wall)`,
    wall('unpacked progress', 'on'),
    wall('unpacked progress', 'off'),
    'ms',
    '',
  ),
  row('  each ctx.progress() call (above the trivial task)', perCall('on'), perCall('off'), 'µs', ''),
  row(
    `in process: each of ${IN_PROCESS} runs of the task loop (CPU)`,
    wall('loop cpu', 'on'),
    wall('loop cpu', 'off'),
    'ms',
    '',
  ),
  row(`in process: the same (wall)`, wall('loop wall', 'on'), wall('loop wall', 'off'), 'ms', ''),
  row(
    `in process: the ctx.progress() ${PROGRESS_CALLS.toLocaleString('en')}× run (CPU)`,
    wall('progress cpu', 'on'),
    wall('progress cpu', 'off'),
    'ms',
    '',
  ),
  row(
    '  each ctx.progress() call (CPU above the trivial run)',
    ((wall('progress cpu', 'on') - wall('loop cpu', 'on')) * 1000) / PROGRESS_CALLS,
    ((wall('progress cpu', 'off') - wall('loop cpu', 'off')) * 1000) / PROGRESS_CALLS,
    'µs',
    '',
  ),
];

const header = [
  'case (local, built runner, runnerCommand)',
  'recording on',
  'off',
  'on − off',
  'on ÷ off',
  'goal',
];
const widths = header.map((cell, column) =>
  Math.max(cell.length, ...rows.map((r) => (r[column] as string).length)),
);
const line = (cells: string[]) =>
  `| ${cells.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
console.log(
  `figures and progress overhead: medians of ${RUNS} interleaved rounds, Node ${process.version}, ${new Date().toISOString()}`,
);
console.log(line(header));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
