/**
 * The SLURM driver's job store at scale, in one run (dev cluster, scripts/cluster/up.sh):
 *  1. rebuilding the per-host index from 10,000 job folders (synthetic job.json records), and a
 *     refresh when nothing changed / when the jobs root changed;
 *  2. checkAllJobStatuses() over 10,000 tracked jobs that SLURM really has (held, then cancelled,
 *     submitted by a bare sbatch loop in batches of 1,000): the first poll against one bare sacct
 *     over the same ids (goal <= 2x), the scheduler calls counted (goal 1 squeue + <= 1 sacct),
 *     then the cached poll.
 * Run: source scripts/env.sh && hpc_use_toolchain && \
 *      node --experimental-transform-types --no-warnings --conditions=@hpc/source benchmarks/slurm-store.bench.ts [jobs = 10000]
 * Every job it submits is cancelled before it is polled.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileModes } from '../packages/core/src/index.ts';
import { type CommandRunner, createCommandRunner } from '../packages/slurm-driver/src/command-runner.ts';
import { JOB_RECORD_VERSION } from '../packages/slurm-driver/src/job-record.ts';
import { JobRegistry } from '../packages/slurm-driver/src/job-registry.ts';
import { SLURMDriver } from '../packages/slurm-driver/src/slurm-driver.ts';
import { cancel, timeSacct } from './slurm-bench-helpers.ts';

const N = Number(process.argv[2] ?? 10_000);
const rows: [string, string, string][] = [];
const ms = (t: number) => `${t.toFixed(0)} ms`;

/** N job folders with v2 records under <home>/slurm/jobs; every other one with a cached final state. */
function syntheticHome(ids: readonly string[]): string {
  const home = mkdtempSync(join(tmpdir(), 'hpc-store-bench-'));
  const root = join(home, 'slurm', 'jobs');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  ids.forEach((id, i) => {
    const token = i.toString(16).padStart(16, '0');
    const jobDir = join(root, `bench-20261202-000000-${token}`);
    mkdirSync(jobDir, { mode: 0o700 });
    const record = {
      version: JOB_RECORD_VERSION,
      driver: 'slurm',
      token,
      name: 'bench',
      jobDir,
      createdAt: '2026-12-02T00:00:00.000Z',
      host: hostname(),
      pid: 1,
      id,
      submittedAt: '2026-12-02T00:00:01.000Z',
      idFrom: 'sbatch',
    };
    writeFileSync(join(jobDir, 'job.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  });
  return home;
}

function best(times: number, work: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    work();
    fastest = Math.min(fastest, performance.now() - t);
  }
  return fastest;
}

// 1. Rebuild and refresh, synthetic ids (no scheduler involved).
{
  const home = syntheticHome(Array.from({ length: N }, (_, i) => String(1_000_000 + i)));
  const root = join(home, 'slurm', 'jobs');
  const rebuildMs = best(3, () => {
    const storePath = join(home, `rebuild-${Math.random()}.sqlite`);
    const registry = new JobRegistry({ root, home, modes: fileModes(), storePath });
    if (registry.jobs().length !== N) throw new Error('rebuild lost jobs');
    registry.close();
  });
  rows.push([
    `rebuild of the index from ${N} job folders (empty index -> ${N} jobs)`,
    ms(rebuildMs),
    'best of 3 (goal < 1-2 s)',
  ]);
  const registry = new JobRegistry({ root, home, modes: fileModes(), storePath: join(home, 'warm.sqlite') });
  registry.jobs();
  const unchangedMs = best(5, () => registry.refresh());
  rows.push([`refresh, ${N} folders, jobs root unchanged`, ms(unchangedMs), 'one stat, best of 5']);
  const changedMs = best(5, () => {
    const now = new Date();
    utimesSync(root, now, new Date(now.getTime() + Math.random() * 1000));
    registry.refresh();
  });
  rows.push([
    `refresh, ${N} folders, jobs root changed (nothing new)`,
    ms(changedMs),
    'one readdir, best of 5',
  ]);
  registry.close();
  rmSync(home, { recursive: true, force: true });
}

// 2. Status of N tracked jobs SLURM really has.
const calls = { squeue: 0, sacct: 0, other: 0 };
const real = createCommandRunner();
const counting: CommandRunner = (command, args, options) => {
  if (command === 'squeue' || command === 'sacct') calls[command]++;
  else calls.other++;
  return real(command, args, options);
};
const bash = (script: string) =>
  execFileSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const ids: string[] = [];
const bareDir = mkdtempSync(join(tmpdir(), 'hpc-store-bench-bare-'));
let t = performance.now();
for (let done = 0; done < N; done += 1000) {
  const batch = bash(
    `cd ${bareDir} && for i in $(seq ${Math.min(1000, N - done)}); do sbatch --parsable -H --wrap true; done`,
  )
    .trim()
    .split('\n');
  ids.push(...batch);
  cancel(batch);
}
const submitMs = performance.now() - t;
await new Promise((resolve) => setTimeout(resolve, 3000));
const sacctMs = timeSacct(ids);
const home = syntheticHome(ids);
const driver = new SLURMDriver({
  home,
  storePath: join(home, 'index.sqlite'),
  run: counting,
  polling: { minIntervalMs: 0 },
});
t = performance.now();
await driver.listJobs();
rows.push([
  `listJobs() on a new index: rebuild from ${N} job folders of real jobs`,
  ms(performance.now() - t),
  'no scheduler call',
]);
t = performance.now();
const states = await driver.checkAllJobStatuses();
const firstMs = performance.now() - t;
const counts = new Map<string, number>();
for (const state of states.values()) counts.set(state.status, (counts.get(state.status) ?? 0) + 1);
rows.push([
  `checkAllJobStatuses(), ${N} tracked just-cancelled jobs, first poll`,
  ms(firstMs),
  `${calls.squeue} squeue + ${calls.sacct} sacct (${[...counts].map(([s, c]) => `${c} ${s}`).join(', ')}); bare sacct ${ms(sacctMs)} -> ${(firstMs / sacctMs).toFixed(2)}x (goal <= 2x)`,
]);
calls.squeue = calls.sacct = 0;
t = performance.now();
await driver.checkAllJobStatuses();
rows.push([
  `checkAllJobStatuses() again, ${N} jobs (terminal states cached)`,
  ms(performance.now() - t),
  `${calls.squeue} squeue + ${calls.sacct} sacct`,
]);
t = performance.now();
await (driver as unknown as { registry: JobRegistry }).registry.finalStatesWritten();
rows.push([
  `writing the ${N} final states into the job folders (after the answer)`,
  ms(performance.now() - t),
  'what remained after the second poll',
]);
driver.close();
const other = new SLURMDriver({
  home,
  storePath: join(home, 'other-host.sqlite'),
  run: counting,
  polling: { minIntervalMs: 0 },
});
calls.squeue = calls.sacct = 0;
t = performance.now();
await other.checkAllJobStatuses();
rows.push([
  `checkAllJobStatuses(), ${N} jobs, another host's first poll (rebuild from the folders' final states)`,
  ms(performance.now() - t),
  `${calls.squeue} squeue + ${calls.sacct} sacct`,
]);
other.close();
rows.push([`(setup) ${N} held bare submissions + scancel, in batches of 1000`, ms(submitMs), 'not a goal']);
rmSync(home, { recursive: true, force: true });

const width = Math.max(...rows.map((r) => r[0].length));
console.log(
  `\n@hpc/slurm-driver store benchmark (${new Date().toISOString()}, load ${bash('cut -d" " -f1-3 /proc/loadavg').trim()})\n`,
);
console.log(`| ${'case'.padEnd(width)} | wall time | notes |`);
console.log(`|${'-'.repeat(width + 2)}|-----------|-------|`);
for (const [name, time, notes] of rows)
  console.log(`| ${name.padEnd(width)} | ${time.padStart(9)} | ${notes} |`);
