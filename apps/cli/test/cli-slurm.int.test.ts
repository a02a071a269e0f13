import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../src/command-path.ts';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc } from './hpc-process.ts';

/**
 * The CLI against the real dev cluster (scripts/cluster/up.sh, started by the test command).
 * No skipping: without sbatch this file fails.
 */
let home: string;
let env: Record<string, string | undefined>;
let callLog: string;

beforeAll(async () => {
  assertBuilt();
  const sbatch = findOnPath('sbatch');
  if (!sbatch)
    throw new Error(
      'sbatch is not on PATH: the integration tests need the dev cluster (scripts/cluster/up.sh)',
    );
  home = await makeHome();
  // squeue and sacct shims that log each call, to count scheduler round trips made by the CLI.
  const shims = join(home, 'shims');
  await mkdir(shims);
  callLog = join(home, 'scheduler-calls.log');
  for (const command of ['squeue', 'sacct']) {
    const real = findOnPath(command);
    if (!real) throw new Error(`${command} is not on PATH`);
    const shim = join(shims, command);
    await writeFile(shim, `#!/bin/sh\necho ${command} >> "$HPC_TEST_CALL_LOG"\nexec ${real} "$@"\n`);
    await chmod(shim, 0o755);
  }
  env = { HPC_DRIVER: undefined, PATH: `${shims}:${process.env.PATH ?? ''}`, HPC_TEST_CALL_LOG: callLog };
});
afterAll(() => cleanHome(home));

async function schedulerCalls(): Promise<{ squeue: number; sacct: number }> {
  const lines = (await readFile(callLog, 'utf8').catch(() => '')).split('\n');
  return {
    squeue: lines.filter((line) => line === 'squeue').length,
    sacct: lines.filter((line) => line === 'sacct').length,
  };
}

describe('hpc on SLURM', () => {
  const ids: string[] = [];

  it('submit picks SLURM when sbatch is on PATH and prints the numeric job id', async () => {
    for (const word of ['one', 'two', 'three']) {
      const result = await runHpc(
        ['submit', fixture('my-process.ts'), '--args', JSON.stringify([word]), '--slurm-arg', 'mem=200M'],
        { home, env },
      );
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/^\d+\n$/);
      ids.push(result.stdout.trim());
    }
  });

  it('status --watch ends by itself, with one squeue and at most one sacct per poll for all jobs', async () => {
    await writeFile(callLog, '');
    const result = await runHpc(['status', ...ids, '--watch', '--interval', '1', '--json'], {
      home,
      env,
      timeoutMs: 120_000,
    });
    expect(result.exitCode).toBe(0);
    const frames = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(frames.at(-1)).toMatchObject({ done: true, summary: { total: 3, completed: 3 } });
    const calls = await schedulerCalls();
    expect(calls.squeue).toBeLessThanOrEqual(frames.length);
    expect(calls.sacct).toBeLessThanOrEqual(frames.length);
  });

  it('status lists the jobs with the slurm driver', async () => {
    const result = await runHpc(['status', '--json'], { home, env });
    const parsed = JSON.parse(result.stdout) as {
      jobs: { id: string; driver: string; name: string; status: string }[];
    };
    for (const id of ids)
      expect(parsed.jobs).toContainEqual(
        expect.objectContaining({ id, driver: 'slurm', name: 'MyProcess', status: 'completed' }),
      );
  });

  it('result and logs', async () => {
    const result = await runHpc(['result', ids[1] as string, '--json'], { home, env });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, result: { data: 'two' } });
    const logs = await runHpc(['logs', ids[1] as string], { home, env });
    expect(logs.stdout).toContain('Process running two');
  });

  it('a failing job: result exits 1 with the remote stack and SLURM state', async () => {
    const id = (await runHpc(['submit', fixture('failing-process.ts')], { home, env })).stdout.trim();
    const result = await runHpc(['result', id, '--wait'], { home, env, timeoutMs: 120_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `job ${id} failed (process-error): DataCheckError: validation failed: bad input`,
    );
    expect(result.stderr).toMatch(/scheduler: FAILED/);
    expect(result.stderr).toMatch(/at FailingProcess\.run \(.*failing-process\.ts:\d+:\d+\)/);
    expect(result.stderr).toContain('Caused by: RangeError: value 42 out of range');
  });

  it('cancel: the job ends cancelled', async () => {
    const id = (
      await runHpc(['submit', fixture('sleeping-process.ts'), '--args', '120000'], { home, env })
    ).stdout.trim();
    const cancelled = await runHpc(['cancel', id], { home, env });
    expect(cancelled.exitCode).toBe(0);
    expect(cancelled.stdout.trim()).toBe(`cancelled ${id}`);
    const watched = await runHpc(['status', id, '--watch', '--interval', '1', '--json'], {
      home,
      env,
      timeoutMs: 120_000,
    });
    expect(watched.exitCode).toBe(1);
    expect(JSON.parse(watched.stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      done: true,
      jobs: [{ id, status: 'cancelled' }],
    });
  });

  it('sbatch refusing a job is one clear line with its message (exit 1); a bad option name is a usage error (exit 2)', async () => {
    const refused = await runHpc(['submit', fixture('my-process.ts'), '--slurm-arg', 'mem=900G'], {
      home,
      env,
    });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^hpc submit: sbatch refused the job/);
    const unknown = await runHpc(['submit', fixture('my-process.ts'), '--slurm-arg', 'no-such-option=1'], {
      home,
      env,
    });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('no-such-option');
  });

  it('submit --checkpoint-lead sets the checkpoint signal of the job script; 0 turns it off', async () => {
    const folderOf = async (id: string): Promise<string> => {
      const root = join(home, 'slurm', 'jobs');
      for (const name of await readdir(root)) {
        const record = await readFile(join(root, name, 'job.json'), 'utf8').catch(() => '{}');
        if (JSON.parse(record).id === id) return join(root, name);
      }
      throw new Error(`no job folder for ${id}`);
    };
    const submitted: Record<string, string> = {};
    for (const lead of ['30', '0']) {
      const result = await runHpc(
        ['submit', fixture('my-process.ts'), '--checkpoint-lead', lead, '--slurm-arg', 'time=00:10:00'],
        { home, env },
      );
      expect(result.exitCode).toBe(0);
      submitted[lead] = result.stdout.trim();
    }
    const script = (id: string) =>
      folderOf(id).then((folder) => readFile(join(folder, 'job.sbatch'), 'utf8'));
    expect(await script(submitted['30'] as string)).toMatch(/^#SBATCH --signal="?B:USR1@30"?$/m);
    expect(await script(submitted['0'] as string)).not.toMatch(/--signal/);
    for (const id of Object.values(submitted)) {
      const result = await runHpc(['result', id, '--wait', '--json'], { home, env, timeoutMs: 120_000 });
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true });
    }
  });

  it('status without ids on a cluster also lists jobs submitted with --local', async () => {
    const submitted = await runHpc(['submit', fixture('my-process.ts'), '--local', '--wait'], { home, env });
    expect(submitted.exitCode).toBe(0);
    const result = await runHpc(['status', '--json'], { home, env });
    const parsed = JSON.parse(result.stdout) as { jobs: { id: string; driver: string; status: string }[] };
    expect(parsed.jobs).toContainEqual(expect.objectContaining({ id: ids[0], driver: 'slurm' }));
    expect(parsed.jobs).toContainEqual(
      expect.objectContaining({ id: 'local-1', driver: 'local', status: 'completed' }),
    );
    const slurmOnly = await runHpc(['status', '--json'], { home, env: { ...env, HPC_DRIVER: 'slurm' } });
    expect(
      (JSON.parse(slurmOnly.stdout) as { jobs: { driver: string }[] }).jobs.every(
        (job) => job.driver === 'slurm',
      ),
    ).toBe(true);
  });

  it('doctor sees the commands, the controller and accounting', async () => {
    const result = await runHpc(['doctor', '--json'], { home, env });
    const report = JSON.parse(result.stdout) as {
      checks: { name: string; status: string; detail: string }[];
    };
    const status = (name: string) => report.checks.find((check) => check.name === name)?.status;
    expect(status('slurm commands')).toBe('ok');
    expect(status('controller')).toBe('ok');
    expect(status('accounting')).toBe('ok');
    expect(report.checks.find((check) => check.name === 'driver')?.detail).toMatch(
      /^slurm \(sbatch found at /,
    );
  });
});

describe('hpc batches on SLURM (submit --each)', () => {
  const SWEEP = fixture('sweep-process.ts');
  const each = async (name: string, lines: unknown[][]): Promise<string> => {
    const file = join(home, name);
    await writeFile(file, lines.map((args) => JSON.stringify(args)).join('\n'));
    return file;
  };

  it('one array: the batch id alone on stdout, one status row, per-process result and logs', async () => {
    const file = await each('squares.jsonl', [[1], [2], [3], [4], [5]]);
    const submitted = await runHpc(
      ['submit', SWEEP, '--each', file, '--per-task', '2', '--parallelism', '2', '--slurm-arg', 'mem=200M'],
      { home, env },
    );
    expect(submitted.exitCode).toBe(0);
    expect(submitted.stdout).toMatch(/^\d+\n$/);
    const batch = submitted.stdout.trim();
    expect(submitted.stderr).toContain(
      `submitted 5 processes as batch ${batch} (${batch}_0+0 … ${batch}_2+0;`,
    );

    await writeFile(callLog, '');
    const watched = await runHpc(['status', batch, '--watch', '--interval', '1', '--json'], {
      home,
      env,
      timeoutMs: 120_000,
    });
    expect(watched.exitCode).toBe(0);
    const frames = watched.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(frames.at(-1)).toMatchObject({
      done: true,
      batches: [{ id: batch, count: 5, finished: 5, summary: { completed: 5 } }],
    });
    const calls = await schedulerCalls();
    expect(calls.squeue).toBeLessThanOrEqual(frames.length);
    expect(calls.sacct).toBeLessThanOrEqual(frames.length);

    const table = await runHpc(['status'], { home, env });
    expect(table.stdout.split('\n').filter((line) => line.startsWith(`${batch} `))).toEqual([
      expect.stringMatching(/SweepProcess\s+\[█{10}\] 5\/5 finished · 5 completed/),
    ]);
    const result = await runHpc(['result', `${batch}_1+1`], { home, env });
    expect(result.stdout.trim()).toBe('16');
    const logs = await runHpc(['logs', `${batch}_1+1`], { home, env });
    expect(logs.stdout).toContain('square 4 (batch index 3)');
  });

  it('cancel <batch> cancels every unfinished process in one go', async () => {
    const file = await each('sleepers.jsonl', [
      [1, 120_000],
      [2, 120_000],
      [3, 120_000],
    ]);
    const submitted = await runHpc(['submit', SWEEP, '--each', file, '--slurm-arg', 'mem=200M'], {
      home,
      env,
    });
    const batch = submitted.stdout.trim();
    const cancelled = await runHpc(['cancel', batch], { home, env });
    expect(cancelled.stdout.trim()).toBe(`cancelled ${batch} (batch: 3 unfinished of 3 processes)`);
    const watched = await runHpc(['status', batch, '--watch', '--interval', '1', '--json'], {
      home,
      env,
      timeoutMs: 120_000,
    });
    const last = JSON.parse(watched.stdout.trim().split('\n').at(-1) as string);
    expect(last.batches[0]).toMatchObject({ id: batch, count: 3, finished: 3 });
    expect(last.batches[0].summary.cancelled).toBe(3);
  });
});
