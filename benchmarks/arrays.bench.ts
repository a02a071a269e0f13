/**
 * Many processes on the dev cluster (scripts/cluster/up.sh), issue 12, in one run. Cases
 * interleaved, R repetitions (default 3):
 *   (d) bare `sbatch --array=0-999 --wrap true`, waited for with squeue;
 *   (a) submitJobs(1,000 trivial processes), one per task;
 *   (b) submitJobs(1,000 trivial processes, processesPerTask 25);
 *   (c) 1,000 submitJob() calls;
 *   (f) a bare array of 10,000 `true` tasks, split as MaxArraySize requires;
 *   (e) submitJobs(10,000 processes that wait 10 ms, processesPerTask 100).
 * Then checkAllJobStatuses() from a fresh driver over the 10,000 tracked processes (finished, and
 * 10,000 held ones), against one bare sacct over the same arrays, with the poller's RSS.
 * Reported: submit time (serialization included), time until every result is in hand, tasks/s,
 * scheduler calls, and the per-task time on the node (node-runner run time, from the outcomes).
 * Run: source scripts/env.sh && hpc_use_toolchain && node --experimental-transform-types \
 *      --no-warnings --conditions=@hpc/source benchmarks/arrays.bench.ts [reps=3] [--quick]
 * --quick: 1 repetition and no 10,000-process cases (a smoke run).
 * The drivers run with schedulerBudget: false, to measure the submission path itself; under the
 * default budget (20 calls, then 1.5/s) the 1,000 separate submitJob() calls of (c) are paced.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobId } from '../packages/core/src/index.ts';
import { type CommandRunner, createCommandRunner } from '../packages/slurm-driver/src/command-runner.ts';
import { SLURMDriver } from '../packages/slurm-driver/src/slurm-driver.ts';
import { Trivial, Wait } from './fixtures/array-processes.mjs';
import { cancel, timeSacct } from './slurm-bench-helpers.ts';

const quick = process.argv.includes('--quick');
/** Only the status part (the 10,000 tracked processes), e.g. after a run whose table is already in hand. */
const statusOnly = process.argv.includes('--status-only');
const REPS = quick ? 1 : Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 3);
const N = 1000;
const BIG = 10_000;

const calls = { squeue: 0, sacct: 0, sbatch: 0, scontrol: 0, other: 0 };
const real = createCommandRunner();
const counting: CommandRunner = (command, args, options) => {
  if (command in calls) calls[command as keyof typeof calls]++;
  else calls.other++;
  return real(command, args, options);
};
const callText = () => `${calls.sbatch} sbatch, ${calls.squeue} squeue, ${calls.sacct} sacct`;
const reset = () => {
  for (const key of Object.keys(calls)) calls[key as keyof typeof calls] = 0;
};
const home = mkdtempSync(join(tmpdir(), 'hpc-arrays-bench-'));
const driver = new SLURMDriver({
  home,
  run: counting,
  schedulerBudget: false,
  polling: { minIntervalMs: 250 },
});

function bash(script: string): string {
  return execFileSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** Until squeue lists none of these array jobs (every task ended), polling every 250 ms. */
async function waitBare(arrayIds: string[]): Promise<number> {
  let polls = 0;
  for (;;) {
    polls++;
    const out = execFileSync('squeue', ['-h', '-o', '%i', `--jobs=${arrayIds.join(',')}`], {
      encoding: 'utf8',
      env: { ...process.env, SLURM_BITSTR_LEN: '0' },
    }).trim();
    if (out === '') return polls;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function bareArray(count: number, dir: string) {
  const started = performance.now();
  const ids: string[] = [];
  for (let first = 0; first < count; first += 1000) {
    const size = Math.min(1000, count - first);
    ids.push(
      bash(`cd ${dir} && sbatch --parsable --array=0-${size - 1} --output=/dev/null --wrap true`).trim(),
    );
  }
  const submitted = performance.now() - started;
  const polls = await waitBare(ids);
  return {
    submitMs: submitted,
    doneMs: performance.now() - started,
    calls: `${ids.length} sbatch, ${polls} squeue`,
  };
}

/** Runner time on the node per process (outcome durationMs), median over the batch. */
function medianRunMs(ids: readonly string[], dirs: (index: number) => string): number {
  const times = ids.map((_, index) => {
    try {
      return JSON.parse(readFileSync(join(dirs(index), 'outcome.json'), 'utf8')).durationMs as number;
    } catch {
      return Number.NaN;
    }
  });
  const sorted = times.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function ours(make: () => Promise<JobId[]>) {
  reset();
  const started = performance.now();
  const ids = await make();
  const submitMs = performance.now() - started;
  let failed = 0;
  for await (const result of driver.results(ids, { pollIntervalMs: 250, maxPollIntervalMs: 1000 }))
    if (result.error) failed++;
  return { ids, submitMs, doneMs: performance.now() - started, calls: callText(), failed };
}

type Row = { submitMs: number; doneMs: number; tasks: number; calls: string; note?: string };
const results = new Map<string, Row[]>();
const add = (name: string, row: Row) => results.set(name, [...(results.get(name) ?? []), row]);
const bareDir = mkdtempSync(join(tmpdir(), 'hpc-bare-array-'));
const jobDirs = async (ids: readonly string[]) => {
  const jobs = new Map((await driver.listJobs()).map((job) => [job.id as string, job.jobDir]));
  return (index: number) => jobs.get(ids[index] as string) ?? '';
};

for (let rep = 0; rep < (statusOnly ? 0 : REPS); rep++) {
  const d = await bareArray(N, bareDir);
  add('(d) bare sbatch --array=0-999 --wrap true', { ...d, tasks: N });
  const a = await ours(() => driver.submitJobs(Array.from({ length: N }, (_, i) => new Trivial(i))));
  const aDirs = await jobDirs(a.ids);
  add('(a) submitJobs, 1,000 trivial, 1 per task', {
    ...a,
    tasks: N,
    note: `node ${medianRunMs(a.ids, aDirs)} ms/process`,
  });
  const b = await ours(() =>
    driver.submitJobs(
      Array.from({ length: N }, (_, i) => new Trivial(i)),
      { processesPerTask: 25 },
    ),
  );
  const bDirs = await jobDirs(b.ids);
  add('(b) submitJobs, 1,000 trivial, 25 per task', {
    ...b,
    tasks: N / 25,
    note: `node ${medianRunMs(b.ids, bDirs)} ms/process`,
  });
  const c = await ours(async () => {
    const ids: JobId[] = [];
    for (let i = 0; i < N; i++) ids.push(await driver.submitJob(new Trivial(i)));
    return ids;
  });
  add('(c) 1,000 submitJob()', { ...c, tasks: N });
  if (quick) continue;
  const f = await bareArray(BIG, bareDir);
  add('(f) bare arrays of 10,000 `true` (10 x 1,000)', { ...f, tasks: BIG });
  const e = await ours(() =>
    driver.submitJobs(
      Array.from({ length: BIG }, (_, i) => new Wait(i, 10)),
      { processesPerTask: 100 },
    ),
  );
  const eDirs = await jobDirs(e.ids);
  add('(e) submitJobs, 10,000 x 10 ms wait, 100 per task', {
    ...e,
    tasks: BIG / 100,
    note: `node ${medianRunMs(e.ids, eDirs)} ms/process`,
  });
}

const median = (values: number[]) =>
  [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;
const ms = (t: number) => `${(t / 1000).toFixed(2)} s`;
const bareOf = (name: string) => median((results.get(name) ?? []).map((r) => r.doneMs));
const bare1k = bareOf('(d) bare sbatch --array=0-999 --wrap true');
const bare10k = bareOf('(f) bare arrays of 10,000 `true` (10 x 1,000)');
console.log(
  `\n@hpc arrays benchmark (${new Date().toISOString()}, ${bash('sinfo -h -o "%D nodes x %c CPUs"').trim()}, medians of ${REPS})\n`,
);
console.log(
  '| case | submit | all results in hand | vs bare | tasks/s | scheduler calls (last rep) | notes |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [name, rows] of results) {
  const done = median(rows.map((r) => r.doneMs));
  const bare = name.includes('10,000') ? bare10k : bare1k;
  const last = rows.at(-1) as Row;
  console.log(
    `| ${name} | ${ms(median(rows.map((r) => r.submitMs)))} | ${ms(done)} | ${(done / bare).toFixed(2)}x | ${(last.tasks / (done / 1000)).toFixed(1)} | ${last.calls} | ${last.note ?? ''} |`,
  );
}

// Status of 10,000 tracked array processes, in a home of their own, from a fresh driver (its first
// poll) against one bare sacct over the same arrays: held (squeue answers), then cancelled (sacct).
// Packed by 2: 10,000 held tasks would exceed MaxJobCount (10,000) with anything else queued.
if (!quick) {
  const statusHome = mkdtempSync(join(tmpdir(), 'hpc-arrays-status-'));
  const submitter = new SLURMDriver({ home: statusHome, schedulerBudget: false });
  const held = await submitter.submitJobs(
    Array.from({ length: BIG }, (_, i) => new Trivial(i)),
    { slurmArgs: { hold: '' }, processesPerTask: 2 },
  );
  submitter.close();
  const arrays = [...new Set(held.map((id) => id.split('_')[0] as string))];
  const firstPoll = async (what: string) => {
    const fresh = new SLURMDriver({
      home: statusHome,
      run: counting,
      schedulerBudget: false,
      polling: { minIntervalMs: 0 },
    });
    reset();
    const rssBefore = process.memoryUsage().rss;
    const t = performance.now();
    const states = await fresh.checkAllJobStatuses();
    const pollMs = performance.now() - t;
    const calls = callText();
    const rss = process.memoryUsage().rss;
    const sacctMs = timeSacct(arrays);
    const counts = new Map<string, number>();
    for (const state of states.values()) counts.set(state.status, (counts.get(state.status) ?? 0) + 1);
    console.log(
      `| first checkAllJobStatuses(), ${states.size} ${what} array processes (${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}) | ${pollMs.toFixed(0)} ms | ${calls} | ${sacctMs.toFixed(0)} ms | ${(pollMs / sacctMs).toFixed(2)}x | ${(rss / 2 ** 20).toFixed(0)} MiB (+${((rss - rssBefore) / 2 ** 20).toFixed(0)}) |`,
    );
    fresh.close();
  };
  console.log(
    '\n| status poll | wall | scheduler calls | bare sacct over the same arrays | ratio | poller RSS |',
  );
  console.log('|---|---|---|---|---|---|');
  await firstPoll('held');
  cancel(arrays);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await firstPoll('just-cancelled');
}
driver.close();
