/**
 * `hpc show` and `hpc stats` over 10,000 tracked SLURM jobs (issue 14, goal < 1 s each), on a
 * synthetic store: N job folders with job.json (request, a cached final state with sacct's
 * figures), outcome.json (the runner's usage) and logs, in 5 Process classes. No scheduler call is
 * made (every state is final and has its figures). Each CLI command is timed as a user runs it
 * (a new `node hpc.mjs` process, the job index already built by a first run), best of 3, next to
 * the driver calls in this process.
 * Run: source scripts/env.sh && hpc_use_toolchain && pnpm exec turbo run build && \
 *      node --experimental-transform-types --no-warnings --conditions=@hpc/source benchmarks/show-stats.bench.ts [jobs = 10000]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOB_RECORD_VERSION } from '../packages/slurm-driver/src/job-record.ts';
import { SLURMDriver } from '../packages/slurm-driver/src/slurm-driver.ts';

const N = Number(process.argv[2] ?? 10_000);
const CLI = fileURLToPath(new URL('../apps/cli/dist/hpc.mjs', import.meta.url));
const MiB = 1024 ** 2;
const CLASSES = ['Fit', 'Preprocess', 'Sweep', 'Render', 'Reduce'];

function syntheticHome(): { home: string; ids: string[] } {
  const home = mkdtempSync(join(tmpdir(), 'hpc-show-bench-'));
  const root = join(home, 'slurm', 'jobs');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    const id = String(2_000_000 + i);
    ids.push(id);
    const token = i.toString(16).padStart(16, '0');
    const jobDir = join(root, `bench-20261203-000000-${token}`);
    mkdirSync(jobDir, { mode: 0o700 });
    const wallMs = 60_000 + (i % 97) * 1_000;
    const peak = (900 + (i % 400)) * MiB;
    const failed = i % 50 === 0;
    const finalState = {
      status: failed ? 'failed' : 'completed',
      ...(failed ? { cause: 'process-error' } : {}),
      node: `n${(i % 3) + 1}`,
      startedAt: '2026-12-03T00:00:01',
      endedAt: '2026-12-03T00:01:01',
      scheduler: {
        source: 'sacct',
        maxRssBytes: peak + 5 * MiB,
        totalCpuMs: wallMs / 2,
        reqMemBytes: 16 * 1024 * MiB,
        allocCpus: 2,
        elapsedMs: wallMs,
        timeLimitMs: 3_600_000,
        nodes: `n${(i % 3) + 1}`,
      },
    };
    const record = {
      version: JOB_RECORD_VERSION,
      driver: 'slurm',
      token,
      name: CLASSES[i % CLASSES.length],
      jobDir,
      createdAt: '2026-12-03T00:00:00.000Z',
      host: hostname(),
      pid: 1,
      id,
      submittedAt: '2026-12-03T00:00:00.000Z',
      idFrom: 'sbatch',
      crate: join(jobDir, 'process.bin'),
      crateDigest: `sha256:${'0'.repeat(64)}`,
      requested: { cpus: 2, memBytes: 16 * 1024 * MiB, timeLimitMs: 3_600_000 },
      finalState,
    };
    writeFileSync(join(jobDir, 'job.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    const outcome = failed
      ? {
          status: 'failed',
          kind: 'process',
          error: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at run (fit.ts:3:9)' },
        }
      : { status: 'ok', resultFile: 'result.bin' };
    writeFileSync(
      join(jobDir, 'outcome.json'),
      JSON.stringify({
        version: 1,
        ...outcome,
        startedAt: '2026-12-03T00:00:01.000Z',
        finishedAt: '2026-12-03T00:01:01.000Z',
        durationMs: wallMs,
        host: 'n1',
        pid: 2,
        usage: {
          wallMs,
          userCpuMs: wallMs / 2,
          systemCpuMs: 100,
          peakRssBytes: peak,
          taskPeakRssBytes: peak,
        },
        progress: { done: 1000, total: 1000, message: 'step', at: '2026-12-03T00:01:00.000Z' },
      }),
      { mode: 0o600 },
    );
    writeFileSync(join(jobDir, 'job.out'), 'line\n'.repeat(200), { mode: 0o600 });
    writeFileSync(join(jobDir, 'job.err'), failed ? 'Error: boom\n' : '', { mode: 0o600 });
  }
  return { home, ids };
}

function bestOf(times: number, work: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    work();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

async function bestOfAsync(times: number, work: () => Promise<unknown>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await work();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

const { home, ids } = syntheticHome();
let storePath: string | undefined;
try {
  const env = { ...process.env, HPC_HOME: home, HPC_DRIVER: 'slurm' };
  const hpc = (...args: string[]) =>
    execFileSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  const target = ids[Math.floor(N / 2) + 1] as string;
  // A first run builds this host's job index from the N folders (once per host and home).
  const firstMs = bestOf(1, () => hpc('stats', '--json'));
  const stats = JSON.parse(hpc('stats', '--json'));
  if (stats.jobs !== N || stats.classes.length !== CLASSES.length) throw new Error('stats lost jobs');
  if (!hpc('show', target).includes('requested')) throw new Error('show printed no figures');
  const rows: [string, string][] = [
    [`hpc stats (first run: builds the index from ${N} folders)`, `${firstMs.toFixed(0)} ms`],
    [`hpc show <id> (${N} tracked)`, `${bestOf(3, () => hpc('show', target)).toFixed(0)} ms`],
    [`hpc show <id> --json`, `${bestOf(3, () => hpc('show', target, '--json')).toFixed(0)} ms`],
    [`hpc stats (${N} jobs, ${CLASSES.length} classes)`, `${bestOf(3, () => hpc('stats')).toFixed(0)} ms`],
    [`hpc stats --csv`, `${bestOf(3, () => hpc('stats', '--csv')).toFixed(0)} ms`],
    [
      `node itself (node -e 0)`,
      `${bestOf(3, () => execFileSync(process.execPath, ['-e', '0'])).toFixed(0)} ms`,
    ],
  ];
  const driver = new SLURMDriver({ home });
  storePath = driver.storePath;
  rows.push([
    `driver.describeJob(id) in process`,
    `${(await bestOfAsync(3, () => driver.describeJob(target))).toFixed(1)} ms`,
  ]);
  rows.push([`driver.stats() in process`, `${(await bestOfAsync(3, () => driver.stats())).toFixed(1)} ms`]);
  driver.close();
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`| ${'case'.padEnd(width)} | time (goal < 1 s) |`);
  console.log(`|${'-'.repeat(width + 2)}|-------------------|`);
  for (const [name, time] of rows) console.log(`| ${name.padEnd(width)} | ${time.padStart(17)} |`);
} finally {
  rmSync(home, { recursive: true, force: true });
  // The job index lives in this host's $TMPDIR/hpc-<uid>/, beside the home: removed with it.
  for (const suffix of ['', '-wal', '-shm']) if (storePath) rmSync(`${storePath}${suffix}`, { force: true });
}
