import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../src/command-path.ts';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc } from './hpc-process.ts';

/** hpc clean and hpc forget against the real dev cluster: folders and index rows go, running jobs stay. */
let home: string;
const env = { HPC_DRIVER: undefined };
let sleeper = '';

beforeAll(async () => {
  assertBuilt();
  if (!findOnPath('sbatch'))
    throw new Error('sbatch is not on PATH: the integration tests need the dev cluster');
  home = await makeHome();
});
afterAll(async () => {
  if (sleeper) await runHpc(['cancel', sleeper], { home, env });
  await cleanHome(home);
});

const hpc = (args: string[], timeoutMs = 60_000) => runHpc(args, { home, env, timeoutMs });

interface ForgetJson {
  removed: { id: string; processes: number; jobDir: string }[];
  refused: { id: string; reason: string; message: string }[];
  kept?: { id: string; reason: string }[];
}

describe('hpc clean and hpc forget on SLURM', () => {
  const jobs: string[] = [];
  let batch = '';

  it('submits two jobs and a batch, waits for them, and starts a long one', async () => {
    for (const word of ['one', 'two']) {
      const result = await hpc(['submit', fixture('my-process.ts'), '--args', JSON.stringify([word])]);
      expect(result.exitCode).toBe(0);
      jobs.push(result.stdout.trim());
    }
    const inputs = join(home, 'inputs.jsonl');
    await writeFile(inputs, '1\n2\n');
    const submitted = await hpc(['submit', fixture('sweep-process.ts'), '--each', inputs]);
    expect(submitted.exitCode).toBe(0);
    batch = submitted.stdout.trim();
    const long = await hpc([
      'submit',
      fixture('sleeping-process.ts'),
      '--args',
      '300000',
      '--slurm-arg',
      'time=00:10:00',
    ]);
    expect(long.exitCode).toBe(0);
    sleeper = long.stdout.trim();
    const watched = await hpc(['status', ...jobs, batch, '--watch', '--interval', '1'], 180_000);
    expect(watched.exitCode).toBe(0);
  }, 240_000);

  it('clean --dry-run picks the finished ones, keeps the long one, removes nothing', async () => {
    const result = await hpc(['clean', '--older-than', '0s', '--dry-run', '--json']);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as ForgetJson;
    expect(report.removed.map((job) => job.id)).toEqual([...jobs, batch]);
    expect(report.removed.at(-1)?.processes).toBe(2);
    expect(report.kept).toEqual([{ id: sleeper, reason: 'not-final' }]);
    for (const job of report.removed) expect(existsSync(job.jobDir)).toBe(true);
  });

  it('forget refuses the unfinished job and one process of the batch', async () => {
    const result = await hpc(['forget', sleeper, `${batch}_1`, '--json']);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as ForgetJson;
    expect(report.removed).toEqual([]);
    expect(report.refused.map((refusal) => [refusal.id, refusal.reason]).sort()).toEqual(
      [
        [`${batch}_1`, 'batch-member'],
        [sleeper, 'not-final'],
      ].sort(),
    );
  });

  it('clean --name removes the two jobs, forget removes the batch; status shows only the long one', async () => {
    const dry = JSON.parse(
      (await hpc(['clean', '--older-than', '0s', '--dry-run', '--json'])).stdout,
    ) as ForgetJson;
    const cleaned = await hpc(['clean', '--older-than', '0s', '--name', 'MyProcess']);
    expect(cleaned.exitCode).toBe(0);
    // The long job is no MyProcess: not matched, so not mentioned.
    expect(cleaned.stdout).toBe(`forgot 2: ${jobs.join(' ')}\n`);
    const forgot = await hpc(['forget', batch]);
    expect(forgot.exitCode).toBe(0);
    expect(forgot.stdout).toBe(`forgot 1: ${batch} (2 processes)\n`);
    for (const job of dry.removed) expect(existsSync(job.jobDir)).toBe(false);
    const status = await hpc(['status', '--json']);
    const ids = (JSON.parse(status.stdout) as { jobs: { id: string }[] }).jobs.map((job) => job.id);
    expect(ids).toEqual([sleeper]);
    const again = await hpc(['forget', jobs[0] as string]);
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toContain('is not a tracked job or batch');
  });
});
