/**
 * SLURMDriver on the dev cluster (scripts/cluster/up.sh), in one run:
 *  1. 1,000 submitJob() vs a bare bash loop of `sbatch --parsable --wrap true` (both held, -H);
 *  2. checkAllJobStatuses() over 1,000 tracked jobs: scheduler calls counted by wrapping the command
 *     runner, wall time vs one bare sacct over the same ids (live jobs: squeue only; finished: + sacct);
 *  3. 200 trivial processes submitted and run to completion.
 * Run: source scripts/env.sh && hpc_use_toolchain && \
 *      node --experimental-transform-types --no-warnings --conditions=@hpc/source benchmarks/slurm-driver.bench.ts
 * Arguments: [jobs = 1000] [end-to-end jobs = 200]. Every job it submits is cancelled or finished when it ends.
 * The drivers run with schedulerBudget: false (the submission path itself, unpaced).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandRunner, createCommandRunner } from '../packages/slurm-driver/src/command-runner.ts';
import { SLURMDriver } from '../packages/slurm-driver/src/slurm-driver.ts';
import { AddNumbers } from '../packages/slurm-driver/test/fixtures/slurm-processes.ts';
import { cancel, timeSacct } from './slurm-bench-helpers.ts';

const N = Number(process.argv[2] ?? 1000);
const E2E = Number(process.argv[3] ?? 200);
const rows: [string, string, string][] = [];
const ms = (t: number) => `${t.toFixed(0)} ms`;

function bash(script: string): string {
  return execFileSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

const calls = { squeue: 0, sacct: 0, sbatch: 0, other: 0 };
const real = createCommandRunner();
const counting: CommandRunner = (command, args, options) => {
  if (command === 'squeue' || command === 'sacct' || command === 'sbatch') calls[command]++;
  else calls.other++;
  return real(command, args, options);
};
const resetCalls = () => {
  calls.squeue = calls.sacct = calls.sbatch = calls.other = 0;
};
const newDriver = (home: string) =>
  new SLURMDriver({ home, run: counting, schedulerBudget: false, polling: { minIntervalMs: 0 } });
const homeA = mkdtempSync(join(tmpdir(), 'hpc-slurm-bench-a-'));
const homeB = mkdtempSync(join(tmpdir(), 'hpc-slurm-bench-b-'));

// 1. Submission: bare loop first, then the driver.
const bareDir = mkdtempSync(join(tmpdir(), 'hpc-bare-'));
let t = performance.now();
const bareIds = bash(`cd ${bareDir} && for i in $(seq ${N}); do sbatch --parsable -H --wrap true; done`)
  .trim()
  .split('\n');
const bareMs = performance.now() - t;
cancel(bareIds);

const sequential = newDriver(homeA);
const ids: string[] = [];
t = performance.now();
for (let i = 0; i < N; i++)
  ids.push(await sequential.submitJob(new AddNumbers(i, 1), { slurmArgs: { hold: true } }));
const driverMs = performance.now() - t;
cancel(ids.splice(0));
sequential.close();
const driver = newDriver(homeB);
t = performance.now();
ids.push(
  ...(await Promise.all(
    Array.from({ length: N }, (_, i) =>
      driver.submitJob(new AddNumbers(i, 2), { slurmArgs: { hold: true } }),
    ),
  )),
);
const concurrentMs = performance.now() - t;
rows.push([
  `${N} submissions, bare bash loop: sbatch --parsable -H --wrap true`,
  ms(bareMs),
  `${(bareMs / N).toFixed(1)} ms/job`,
]);
rows.push([
  `${N} submitJob(Process), one await after another (held)`,
  ms(driverMs),
  `${(driverMs / bareMs).toFixed(2)}x the bare loop (goal <= 1.3x)`,
]);
rows.push([
  `${N} submitJob(Process), concurrently (Promise.all, 4 sbatch at once)`,
  ms(concurrentMs),
  `${(concurrentMs / bareMs).toFixed(2)}x the bare loop (goal <= 1.3x)`,
]);

// 2a. Status of 1,000 live (held) jobs: one squeue, no sacct.
resetCalls();
t = performance.now();
let states = await driver.checkAllJobStatuses();
const liveMs = performance.now() - t;
const liveCalls = `${calls.squeue} squeue + ${calls.sacct} sacct`;
const pending = [...states.values()].filter((s) => s.status === 'pending').length;
const sacctLiveMs = timeSacct(ids);
rows.push([
  `checkAllJobStatuses(), ${N} pending jobs (${pending} seen pending)`,
  ms(liveMs),
  `${liveCalls}; bare sacct ${ms(sacctLiveMs)} -> ${(liveMs / sacctLiveMs).toFixed(2)}x (goal <= 2x)`,
]);

// 2b. The same jobs cancelled: squeue lists them as finished, sacct has the exit details.
cancel(ids);
await new Promise((resolve) => setTimeout(resolve, 3000));
const fresh = newDriver(homeB);
resetCalls();
t = performance.now();
states = await fresh.checkAllJobStatuses();
const doneMs = performance.now() - t;
const doneCalls = `${calls.squeue} squeue + ${calls.sacct} sacct`;
const counts = new Map<string, number>();
for (const state of states.values()) counts.set(state.status, (counts.get(state.status) ?? 0) + 1);
const cancelled = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
const sacctDoneMs = timeSacct(ids);
rows.push([
  `checkAllJobStatuses(), ${N} just-cancelled jobs (${cancelled})`,
  ms(doneMs),
  `${doneCalls}; bare sacct ${ms(sacctDoneMs)} -> ${(doneMs / sacctDoneMs).toFixed(2)}x (goal <= 2x)`,
]);
resetCalls();
t = performance.now();
await fresh.checkAllJobStatuses();
rows.push([
  `checkAllJobStatuses() again (terminal states cached)`,
  ms(performance.now() - t),
  `${calls.squeue} squeue + ${calls.sacct} sacct`,
]);

// 3. End to end: E2E trivial processes, submitted live and waited for together.
resetCalls();
t = performance.now();
const e2e: string[] = [];
for (let i = 0; i < E2E; i++) e2e.push(await fresh.submitJob(new AddNumbers(i, i)));
const submittedMs = performance.now() - t;
const finals = await Promise.all(
  e2e.map((id) => fresh.waitForJob(id, { pollIntervalMs: 500, maxPollIntervalMs: 1000, timeoutMs: 600_000 })),
);
const e2eMs = performance.now() - t;
const completed = finals.filter((s) => s.status === 'completed').length;
rows.push([
  `${E2E} trivial processes, submit -> all done (${completed} completed)`,
  ms(e2eMs),
  `submit ${ms(submittedMs)}; ${(E2E / (e2eMs / 1000)).toFixed(1)} jobs/s; ${calls.squeue} squeue + ${calls.sacct} sacct calls in total`,
]);
const runnerMs = finals.map((s) => s.elapsedMs ?? 0).sort((a, b) => a - b);
rows.push([
  'node-runner time inside a job (median / p95, from outcome.json)',
  `${runnerMs[Math.floor(E2E / 2)]} ms`,
  `p95 ${runnerMs[Math.floor(E2E * 0.95)]} ms`,
]);

const width = Math.max(...rows.map((r) => r[0].length));
console.log(
  `\n@hpc/slurm-driver benchmark (${new Date().toISOString()}, ${bash('sinfo -h -o "%D nodes x %c CPUs"').trim()})\n`,
);
console.log(`| ${'case'.padEnd(width)} | wall time | notes |`);
console.log(`|${'-'.repeat(width + 2)}|-----------|-------|`);
for (const [name, time, notes] of rows)
  console.log(`| ${name.padEnd(width)} | ${time.padStart(9)} | ${notes} |`);
driver.close();
fresh.close();
