import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchTaskOf, type JobId, type JobState } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLURMDriver } from '../src/slurm-driver.ts';
import {
  eventually,
  exited,
  fakeSlurmBin,
  killGroup,
  REPO_ROOT,
  rejectionOf,
  requireCluster,
  spawnNodeScript,
} from './cluster-helpers.ts';
import {
  AddNumbers,
  type BatchPlace,
  ExitWith,
  Explode,
  SleepFor,
  Square,
} from './fixtures/slurm-processes.ts';

/** Array tasks of `arrayId` that squeue shows RUNNING right now. */
function runningTasks(arrayId: string): number {
  const out = execFileSync('squeue', ['-h', '-t', 'RUNNING', '-j', arrayId, '-o', '%i'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return out.split('\n').filter((line) => line.trim()).length;
}

function queued(arrayIds: readonly string[]): string {
  return execFileSync('squeue', ['-h', '-t', 'all', '-j', arrayIds.join(','), '-o', '%i %T'], {
    encoding: 'utf8',
    timeout: 20_000,
  }).trim();
}

/**
 * submitJobs on the dev cluster (MaxArraySize=1001). The 1,200-process batch is submitted first
 * and checked last, so the other tests run while it does.
 */
describe('SLURMDriver.submitJobs on the real cluster', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-arrays-int-'));
  let driver: SLURMDriver;
  let big: JobId[] = [];

  beforeAll(async () => {
    requireCluster();
    driver = new SLURMDriver({ home, polling: { minIntervalMs: 300 } });
    // Held: two of its tasks are released below, the rest cancelled (1,200 Node starts would take minutes).
    big = await driver.submitJobs(
      Array.from({ length: 1200 }, (_, i) => new AddNumbers(i, 1)),
      { name: 'int-1200', slurmArgs: { time: '00:10:00', hold: true } },
    );
  });

  afterAll(async () => {
    if (big.length > 0)
      await driver?.cancelJob(batchTaskOf(big[0] as string).split('_')[0] as string).catch(() => {});
    driver?.close();
  });

  it('50 distinct processes, each with its own result, index and logs', async () => {
    const ids = await driver.submitJobs(
      Array.from({ length: 50 }, (_, i) => new Square(i)),
      { name: 'int-50' },
    );
    expect(ids).toHaveLength(50);
    const arrayId = (ids[0] as string).split('_')[0];
    expect(ids[7]).toBe(`${arrayId}_7`);
    const values = new Map<string, BatchPlace>();
    for await (const result of driver.results<BatchPlace>(ids, { timeoutMs: 120_000 })) {
      expect(result.error).toBeUndefined();
      values.set(result.id, result.value as BatchPlace);
    }
    expect(values.size).toBe(50);
    ids.forEach((id, i) => {
      expect(values.get(id)).toEqual({ value: i * i, batchIndex: i, arrayTaskId: i, jobId: id });
    });
    expect(await driver.logs(ids[13] as string)).toContain('square of 13');
    expect(await driver.logs(ids[13] as string)).not.toContain('square of 14');
  });

  it('parallelism 2: squeue never shows more than 2 of its tasks running', async () => {
    const ids = await driver.submitJobs(
      Array.from({ length: 6 }, () => new SleepFor(2)),
      { name: 'int-par2', parallelism: 2 },
    );
    const arrayId = (ids[0] as string).split('_')[0] as string;
    let most = 0;
    let done = false;
    const waiting = driver.waitForJobs(ids, { timeoutMs: 120_000 }).finally(() => {
      done = true;
    });
    while (!done) {
      most = Math.max(most, runningTasks(arrayId));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const states = await waiting;
    expect([...states.values()].map((state) => state.status)).toEqual(Array(6).fill('completed'));
    expect(most).toBe(2);
  });

  it('a packed task: one throw and one process.exit, the others complete', async () => {
    const ids = await driver.submitJobs(
      [
        new AddNumbers(1, 1),
        new Explode('packed boom'),
        new AddNumbers(2, 2),
        new ExitWith(7),
        new AddNumbers(3, 3),
      ],
      { name: 'int-packed', processesPerTask: 5 },
    );
    expect(ids.map((id) => id.replace(/^\d+/, ''))).toEqual(['_0+0', '_0+1', '_0+2', '_0+3', '_0+4']);
    const states = await driver.waitForJobs(ids, { timeoutMs: 120_000 });
    expect(ids.map((id) => states.get(id)?.status)).toEqual([
      'completed',
      'failed',
      'completed',
      'failed',
      'completed',
    ]);
    expect(((await driver.getResult(ids[4] as string)) as { sum: number }).sum).toBe(6);
    const thrown = await rejectionOf<Error>(driver.getResult(ids[1] as string));
    expect(thrown.message).toContain('packed boom');
    const exited = await rejectionOf<Error>(driver.getResult(ids[3] as string));
    expect(exited.message).toMatch(/exit/i);
    expect(await driver.logs(ids[2] as string)).toContain('adding 2 + 2');
    expect(await driver.logs(ids[1] as string, { stream: 'stderr' })).toContain('about to explode');
  });

  it('a packed task cancelled midway: the finished stay completed, the rest say cancelled', async () => {
    const ids = await driver.submitJobs(
      [
        new AddNumbers(1, 2),
        new AddNumbers(3, 4),
        new SleepFor(120),
        new SleepFor(120),
        new AddNumbers(5, 6),
      ],
      { name: 'int-packed-cancel', processesPerTask: 5 },
    );
    const third = await jobDirOf(ids[2] as string);
    await eventually(() => (existsSync(third) ? true : undefined), 60_000, 'the third process to start');
    expect(existsSync(join(third, 'outcome.json'))).toBe(false);
    await driver.cancelJob(batchTaskOf(ids[0] as string));
    const states = await driver.waitForJobs(ids, { timeoutMs: 60_000 });
    expect(ids.map((id) => states.get(id)?.status)).toEqual([
      'completed',
      'completed',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect(((await driver.getResult(ids[1] as string)) as { sum: number }).sum).toBe(7);
  });

  it('cancels one packed process (the task goes on), one task, and a whole batch in one scancel', async () => {
    const packed = await driver.submitJobs([new AddNumbers(1, 1), new SleepFor(120), new AddNumbers(2, 2)], {
      name: 'int-cancel-one',
      processesPerTask: 3,
    });
    const second = await jobDirOf(packed[1] as string);
    await eventually(() => (existsSync(second) ? true : undefined), 60_000, 'the second process to start');
    await driver.cancelJob(packed[1] as string);
    const packedStates = await driver.waitForJobs(packed, { timeoutMs: 60_000 });
    expect(packed.map((id) => packedStates.get(id)?.status)).toEqual(['completed', 'cancelled', 'completed']);

    const ids = await driver.submitJobs([new SleepFor(120), new SleepFor(120), new SleepFor(120)], {
      name: 'int-cancel-batch',
    });
    const arrayId = (ids[0] as string).split('_')[0] as string;
    await driver.cancelJob(ids[0] as string);
    expect((await driver.waitForJob(ids[0] as string, { timeoutMs: 60_000 })).status).toBe('cancelled');
    expect((await driver.checkJobStatus(ids[1] as string)).status).not.toBe('cancelled');
    await driver.cancelJob(arrayId);
    const states = await driver.waitForJobs(ids, { timeoutMs: 60_000 });
    expect([...states.values()].map((state: JobState) => state.status)).toEqual(Array(3).fill('cancelled'));
  });

  it('refuses slurmArgs.array, in submitJob too, before anything exists', async () => {
    for (const attempt of [
      driver.submitJobs([new AddNumbers()], { slurmArgs: { array: '0-3' } }),
      driver.submitJob(new AddNumbers(), { slurmArgs: { array: '0-3' } }),
    ]) {
      const error = await rejectionOf<Error & { setting?: string }>(attempt);
      expect(error.name).toBe('InvalidJobSettingError');
      expect(error.setting).toBe('slurmArgs.array');
      expect(error.message).toContain('submitJobs');
    }
  });

  it('a batch sbatch refuses leaves nothing behind, also when its second slice is refused', async () => {
    const before = readdirSync(driver.jobsRoot).length;
    const refused = await rejectionOf<Error>(
      driver.submitJobs([new AddNumbers(), new AddNumbers()], {
        slurmArgs: { partition: 'no-such-partition' },
      }),
    );
    expect(refused.name).toBe('SubmissionRefusedError');
    expect(readdirSync(driver.jobsRoot)).toHaveLength(before);

    // The real sbatch for the first slice (held: it must not run), a refusal for the second.
    const bin = fakeSlurmBin(
      'for last in "$@"; do :; done\nif [ "$last" != 0 ]; then echo "sbatch: error: refused for the test" >&2; exit 1; fi\nexec "$REAL_SBATCH" "$@"',
    );
    const split = new SLURMDriver({ home, binDir: bin, polling: { minIntervalMs: 300 } });
    try {
      const error = await rejectionOf<Error & { queued: string[]; cancelled: boolean }>(
        split.submitJobs(
          Array.from({ length: 1002 }, (_, i) => new AddNumbers(i, 0)),
          { name: 'int-split-refused', slurmArgs: { hold: true } },
        ),
      );
      expect(error.name).toBe('BatchSubmissionError');
      expect(error.message).toMatch(/slice 2 of 2.*refused for the test.*were cancelled/);
      expect(error.queued).toHaveLength(1);
      expect(error.cancelled).toBe(true);
      const states = queued(error.queued);
      expect(states === '' || /CANCELLED/.test(states)).toBe(true);
      expect(states).not.toMatch(/PENDING|RUNNING/);
      expect(readdirSync(driver.jobsRoot)).toHaveLength(before);
      expect((await split.listJobs()).some((job) => job.name === 'int-split-refused')).toBe(false);
    } finally {
      split.close();
    }
  });

  it('a submitter interrupted (SIGINT) while staging a batch leaves nothing behind', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hpc-arrays-sigint-'));
    const root = join(home, 'slurm', 'jobs');
    const src = JSON.stringify(`${REPO_ROOT}packages/slurm-driver/src/index.ts`);
    const fixtures = JSON.stringify(`${REPO_ROOT}packages/slurm-driver/test/fixtures/slurm-processes.ts`);
    // 60,000 processes take seconds to stage: the interrupt lands before the first sbatch.
    const child = spawnNodeScript(`
      const { SLURMDriver } = await import(${src});
      const { AddNumbers } = await import(${fixtures});
      const driver = new SLURMDriver({ home: ${JSON.stringify(home)}, storePath: ${JSON.stringify(join(home, 'index.sqlite'))} });
      const processes = Array.from({ length: 60_000 }, (_, i) => new AddNumbers(i, 1));
      await driver.submitJobs(processes, { name: 'int-sigint-batch', processesPerTask: 20, slurmArgs: { hold: true } });
      console.log('SUBMITTED');
    `);
    const done = exited(child);
    await eventually(
      () => (existsSync(root) && readdirSync(root).length > 0 ? true : undefined),
      30_000,
      'the batch folder',
    );
    child.kill('SIGINT');
    const result = await done;
    killGroup(child);
    expect(result.stdout).not.toContain('SUBMITTED');
    expect(result.signal).toBe('SIGINT');
    expect(readdirSync(root)).toEqual([]);
    expect(
      execFileSync('squeue', ['-h', '--me', '-n', 'int-sigint-batch', '-o', '%i'], {
        encoding: 'utf8',
      }).trim(),
    ).toBe('');
  });

  it('1,200 processes over two arrays: one squeue for all, the slice boundary maps right, one scancel', async () => {
    const [first, second] = [...new Set(big.map((id) => id.split('_')[0] as string))];
    expect([first, second].every(Boolean)).toBe(true);
    expect(big[1000]).toBe(`${first}_1000`);
    expect(big[1001]).toBe(`${second}_0`);
    expect(big[1199]).toBe(`${second}_198`);
    const all = await driver.checkAllJobStatuses();
    expect(big.every((id) => all.get(id)?.status === 'pending')).toBe(true);
    expect(driver.lastPollStats.squeueCalls).toBe(1);
    // The last task of the first array and the first of the second run the right processes.
    execFileSync('scontrol', ['release', `${first}_1000`], { timeout: 20_000 });
    execFileSync('scontrol', ['release', `${second}_0`], { timeout: 20_000 });
    const released = [big[1000] as string, big[1001] as string];
    const ran = await driver.waitForJobs(released, { timeoutMs: 60_000 });
    expect([...ran.values()].map((state) => state.status)).toEqual(['completed', 'completed']);
    expect(((await driver.getResult(big[1000] as string)) as { sum: number }).sum).toBe(1001);
    expect(((await driver.getResult(big[1001] as string)) as { sum: number }).sum).toBe(1002);
    await driver.cancelJob(first as string);
    const states = await driver.waitForJobs(big, { timeoutMs: 60_000 });
    const counts = new Map<string, number>();
    for (const state of states.values()) counts.set(state.status, (counts.get(state.status) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ completed: 2, cancelled: 1198 });
    expect(queued([first as string, second as string])).not.toMatch(/PENDING|RUNNING/);
    big = [];
  });

  /** A process's folder (p/<index>: made by the runner when the process starts). */
  async function jobDirOf(id: string): Promise<string> {
    const job = (await driver.listJobs()).find((tracked) => tracked.id === id);
    if (!job) throw new Error(`${id} is not tracked`);
    return job.jobDir;
  }
});
