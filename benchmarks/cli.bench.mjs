/**
 * The hpc command's own costs, measured on the built CLI as a user runs it (a separate process,
 * stdout to a pipe):
 *  1. `hpc --help` start-up (goal < 300 ms);
 *  2. `hpc status` with 10,000 tracked SLURM jobs seeded as job folders (job.json, the driver's
 *     record) — most finished (final states cached there), some really queued on the dev cluster
 *     (held jobs) — with the scheduler calls counted by squeue/sacct shims (goal < 1 s, one round
 *     trip); the first run on a host builds the per-host index from the folders;
 *  3. `hpc status --local` with 10,000 local job folders.
 *
 * Run (after `pnpm turbo run build`, with the dev cluster up for 2.):
 *   source scripts/env.sh && hpc_use_toolchain && node benchmarks/cli.bench.mjs [jobs = 10000]
 * It re-runs itself with the flags that import the workspace's TypeScript sources. Held jobs it
 * submits are cancelled at the end.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FLAGS = ['--experimental-transform-types', '--no-warnings', '--conditions=@hpc/source'];
if (!FLAGS.every((flag) => process.execArgv.includes(flag))) {
  execFileSync(process.execPath, [...FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(0);
}

const { execa } = await import('execa');
const JOBS = Number(process.argv[2] ?? 10_000);
const HPC = fileURLToPath(new URL('../apps/cli/dist/hpc.mjs', import.meta.url));
if (!existsSync(HPC)) throw new Error(`${HPC} is missing: run pnpm turbo run build first`);
const rows = [];
const ms = (value) => `${value.toFixed(0)} ms`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function onPath(command) {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(folder, command);
    if (folder && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Runs hpc once; returns wall time (ms), exit code and output size. */
async function timeHpc(args, env) {
  const started = performance.now();
  const result = await execa(process.execPath, [HPC, ...args], {
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    maxBuffer: 1 << 30,
  });
  const wall = performance.now() - started;
  if (result.exitCode !== 0)
    throw new Error(`hpc ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return { wall, lines: String(result.stdout).split('\n').length };
}

const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };
const scratch = await mkdtemp(join(tmpdir(), 'hpc-cli-bench-'));

// 1. Start-up.
{
  const times = [];
  for (let i = 0; i < 15; i++)
    times.push((await timeHpc(['--help'], { ...baseEnv, HPC_HOME: scratch })).wall);
  times.sort((a, b) => a - b);
  rows.push([
    'hpc --help (start-up), median of 15',
    ms(median(times)),
    `min ${ms(times[0])}, max ${ms(times.at(-1))}; goal < 300 ms`,
  ]);
  const node = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    node.push(performance.now() - started);
  }
  rows.push(['  for scale: bare `node -e 0`', ms(median(node)), '']);
}

// 2. SLURM job folders with JOBS tracked jobs.
const held = [];
if (onPath('sbatch')) {
  const shims = join(scratch, 'shims');
  await mkdir(shims);
  const callLog = join(scratch, 'calls.log');
  for (const command of ['squeue', 'sacct']) {
    await writeFile(
      join(shims, command),
      `#!/bin/sh\necho ${command} >> "$HPC_BENCH_CALLS"\nexec ${onPath(command)} "$@"\n`,
    );
    await chmod(join(shims, command), 0o755);
  }
  for (const live of [10, 200]) {
    const home = join(scratch, `slurm-${live}`);
    const jobsRoot = join(home, 'slurm', 'jobs');
    await mkdir(jobsRoot, { recursive: true });
    // Job folders as the driver leaves them: job.json is the record (finished ones with their
    // final state cached); the driver's per-host index is built from them on first use.
    const writeRecord = async (folder, fields) => {
      const jobDir = join(jobsRoot, folder);
      await mkdir(jobDir, { recursive: true, mode: 0o700 });
      const record = {
        version: 2,
        driver: 'slurm',
        token: folder.slice(-16),
        jobDir,
        host: 'bench',
        pid: 1,
        ...fields,
      };
      await writeFile(join(jobDir, 'job.json'), JSON.stringify(record), { mode: 0o600 });
    };
    const now = Date.now();
    for (let i = 0; i < JOBS - live; i++) {
      const id = String(9_000_000 + i);
      const submittedAt = new Date(now - (JOBS - i) * 60_000).toISOString();
      const node = `n${(i % 3) + 1}`;
      const finalState =
        i % 97 === 0
          ? { status: 'failed', cause: 'exit-code', exitCode: 3, raw: 'FAILED', node, elapsedMs: 61_000 }
          : { status: 'completed', exitCode: 0, raw: 'COMPLETED', node, elapsedMs: 42_000 + (i % 1000) };
      await writeRecord(`sweep-${i}-${String(i).padStart(16, '0')}`, {
        id,
        name: `sweep-${i % 50}`,
        createdAt: submittedAt,
        submittedAt,
        idFrom: 'sbatch',
        finalState,
      });
    }
    for (let i = 0; i < live; i++) {
      const { stdout } = await execa('sbatch', [
        '--parsable',
        '--hold',
        '--job-name=hpc-bench-live',
        '--output=/dev/null',
        '--wrap',
        'true',
      ]);
      const id = stdout.trim().split(';')[0];
      held.push(id);
      const at = new Date().toISOString();
      await writeRecord(`live-${i}-${String(i).padStart(16, 'a')}`, {
        id,
        name: 'live',
        createdAt: at,
        submittedAt: at,
        idFrom: 'sbatch',
      });
    }
    const index = join(scratch, `index-${live}`);
    await mkdir(index, { mode: 0o700 });
    const env = {
      ...baseEnv,
      HPC_HOME: home,
      TMPDIR: index,
      PATH: `${shims}${delimiter}${baseEnv.PATH}`,
      HPC_BENCH_CALLS: callLog,
    };
    // The first command on a host builds the index from the 10,000 job folders.
    const first = await timeHpc(['status'], env);
    rows.push([
      `hpc status, first on this host: ${JOBS} SLURM jobs (${live} queued)`,
      ms(first.wall),
      'builds the per-host index from the job folders (once per host)',
    ]);
    for (const args of [['status'], ['status', '--json']]) {
      const walls = [];
      let calls = '';
      let lines = 0;
      for (let run = 0; run < 3; run++) {
        await writeFile(callLog, '');
        const result = await timeHpc(args, env);
        walls.push(result.wall);
        lines = result.lines;
        const log = (await readFile(callLog, 'utf8')).split('\n').filter(Boolean);
        calls = `${log.filter((line) => line === 'squeue').length} squeue + ${log.filter((line) => line === 'sacct').length} sacct`;
      }
      rows.push([
        `hpc ${args.join(' ')}: ${JOBS} SLURM jobs (${live} queued)`,
        ms(median(walls)),
        `median of 3; ${calls} per run; ${lines} lines out; goal < 1 s`,
      ]);
    }
  }
} else {
  rows.push(['hpc status: SLURM jobs', 'skipped', 'sbatch is not on PATH (start scripts/cluster/up.sh)']);
}

// 3. Local driver with JOBS job folders.
{
  const home = join(scratch, 'local');
  const jobs = join(home, 'local', 'jobs');
  const started = new Date(Date.now() - 3_600_000).toISOString();
  const ended = new Date(Date.now() - 3_500_000).toISOString();
  for (let i = 1; i <= JOBS; i++) {
    const id = `local-${i}`;
    const jobDir = join(jobs, id);
    await mkdir(jobDir, { recursive: true });
    const record = {
      id,
      driver: 'local',
      name: `sweep-${i % 50}`,
      jobDir,
      crate: join(jobDir, 'process.bin'),
      imports: [],
      submittedAt: started,
      ownerPid: 999_999_999,
      env: {},
      pid: 999_999_999,
      startedAt: started,
      endedAt: ended,
      exitCode: 0,
      signal: null,
    };
    const outcome = {
      version: 1,
      status: 'ok',
      resultFile: 'result.bin',
      startedAt: started,
      finishedAt: ended,
      durationMs: 100_000,
      host: 'bench',
      pid: 1,
    };
    await writeFile(join(jobDir, 'job.json'), JSON.stringify(record));
    await writeFile(join(jobDir, 'outcome.json'), JSON.stringify(outcome));
  }
  const env = { ...baseEnv, HPC_HOME: home, HPC_DRIVER: 'local' };
  const walls = [];
  for (let run = 0; run < 3; run++) walls.push((await timeHpc(['status'], env)).wall);
  rows.push([
    `hpc status --local: ${JOBS} local job folders`,
    ms(median(walls)),
    'median of 3; one parallel pass over the job folders (final states cached in job.json)',
  ]);
}

if (held.length) execFileSync('scancel', held);
await rm(scratch, { recursive: true, force: true });

const widths = [0, 1, 2].map((column) =>
  Math.max(...rows.map((row) => row[column].length), ['measure', 'time', 'notes'][column].length),
);
const line = (row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
console.log(line(['measure', 'time', 'notes']));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
