/**
 * Long and failing jobs on the dev cluster (scripts/cluster/up.sh), issue 13, in one run:
 *   (a) a counter Process that needs about two allocations of a 1-minute limit, restarted from its
 *       checkpoint: time lost per restart (the run's end → the next run's start), against a fresh
 *       `sbatch` of the same job in the same run (submit → start);
 *   (b) an OOM retry round trip: a process over its --mem, killed and retried with doubled memory,
 *       against the same process submitted with enough memory at once;
 *   (c) scheduler calls per minute for 1,000 tracked (held) jobs watched for 60 s under the default
 *       budget, against one sweep of per-job `squeue -j <id>` (how a naive per-job poller asks).
 * Run: source scripts/env.sh && hpc_use_toolchain && node --experimental-transform-types \
 *      --no-warnings --conditions=@hpc/source benchmarks/long-jobs.bench.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobAttempt, JobId, JobState } from '../packages/core/src/index.ts';
import { SLURMDriver } from '../packages/slurm-driver/src/slurm-driver.ts';
import { AddNumbers, AllocateMemory } from '../packages/slurm-driver/test/fixtures/slurm-processes.ts';
import { CounterProcess } from '../test/fixtures/checkpoint-processes.ts';
import { cancel } from './slurm-bench-helpers.ts';

const home = mkdtempSync(join(tmpdir(), 'hpc-long-jobs-bench-'));
const driver = new SLURMDriver({ home, polling: { minIntervalMs: 300 } });
const rows: string[][] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const at = (text: string | undefined) => (text ? Date.parse(text) : Number.NaN);

async function wait(id: JobId, timeoutMs: number): Promise<JobState> {
  return driver.waitForJob(id, { timeoutMs, maxPollIntervalMs: 1_000 });
}

/** Gaps between one attempt's end and the next one's start, in ms. */
function gaps(attempts: readonly JobAttempt[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < attempts.length; i++) {
    const gap = at(attempts[i]?.startedAt) - at(attempts[i - 1]?.endedAt);
    if (Number.isFinite(gap)) out.push(gap);
  }
  return out;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

/** Submit → first seen running (or done) of a fresh job, polled every 250 ms. */
async function freshStart(): Promise<number> {
  const started = performance.now();
  const id = await driver.submitJob(new AddNumbers(1, 2), { slurmArgs: { exclude: 'n3' } });
  for (;;) {
    const state = await driver.checkJobStatus(id);
    if (state.status !== 'pending') return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// (a) restarts
const counterStart = performance.now();
const counter = await driver.submitJob(new CounterProcess(75, 1_000), {
  name: 'bench-counter',
  slurmArgs: { time: '00:01:00', exclude: 'n3' },
});
const fresh: number[] = [];
for (let i = 0; i < 3; i++) fresh.push(await freshStart());
const counted = await wait(counter, 600_000);
const restartGaps = gaps(counted.attempts ?? []);
const wall = performance.now() - counterStart;
rows.push([
  '(a) counter, 75 s of work, 1-minute limit',
  `${counted.status}, ${counted.restarts ?? 0} restarts, ${seconds(wall)} wall`,
  `per restart (end → running again): median ${seconds(median(restartGaps))} of [${restartGaps.map(seconds).join(', ')}]`,
  `fresh sbatch submit → running: median ${seconds(median(fresh))}`,
]);

// (b) OOM retry round trip
const oomStart = performance.now();
const retried = await driver.submitJob(new AllocateMemory(288), {
  name: 'bench-oom',
  slurmArgs: { mem: '200M', exclude: 'n3' },
  retry: { maxAttempts: 2, on: ['out-of-memory'] },
});
const fits = await driver.submitJob(new AllocateMemory(288), {
  name: 'bench-fits',
  slurmArgs: { mem: '400M', exclude: 'n3' },
});
const timed = async (id: JobId) => {
  const state = await wait(id, 300_000);
  return { state, wallMs: performance.now() - oomStart };
};
const [{ state: oom, wallMs: oomWall }, { wallMs: directWall }] = await Promise.all([
  timed(retried),
  timed(fits),
]);
const oomGap = gaps(oom.attempts ?? [])[0] ?? Number.NaN;
rows.push([
  '(b) 288 MB under --mem=200M, retry on OOM',
  `${oom.status} after ${oom.attempts?.length ?? 1} attempts, ${seconds(oomWall)} submit → end`,
  `OOM end → retry running: ${seconds(oomGap)}`,
  `same job with 400M at once (submitted together): ${seconds(directWall)} submit → end`,
]);

// (c) scheduler calls for 1,000 tracked jobs under the default budget
const watcher = new SLURMDriver({ home: mkdtempSync(join(tmpdir(), 'hpc-long-jobs-watch-')) });
const held = await watcher.submitJobs(
  Array.from({ length: 1000 }, (_, i) => new AddNumbers(i, 1)),
  { name: 'bench-held', slurmArgs: { hold: true } },
);
const before = watcher.schedulerCalls?.total ?? 0;
const watchStart = performance.now();
await watcher.waitForJobs(held, { timeoutMs: 60_000 }).catch(() => undefined);
const perMinute =
  ((watcher.schedulerCalls?.total ?? 0) - before) / ((performance.now() - watchStart) / 60_000);
const sweepStart = performance.now();
for (const id of held.slice(0, 100)) {
  try {
    execFileSync('squeue', ['-h', '-j', id.split('_')[0] as string, '-o', '%T'], { stdio: 'pipe' });
  } catch {
    // a purged id: squeue exits 1, the call is still made
  }
}
const sweepMs = ((performance.now() - sweepStart) / 100) * 1000;
rows.push([
  '(c) 1,000 held jobs watched 60 s, default budget',
  `${perMinute.toFixed(1)} scheduler calls/min (${JSON.stringify(watcher.schedulerCalls?.byCommand)})`,
  `naive per-job squeue: 1,000 calls per sweep, one sweep takes ${seconds(sweepMs)}`,
  `= ${Math.round((1000 * 60_000) / Math.max(sweepMs, 10_000))} calls/min at a 10 s interval`,
]);
cancel([...new Set(held.map((id) => id.split('_')[0] as string))]);
watcher.close();
driver.close();

console.log('| case | outcome | ours | baseline (same run) |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
