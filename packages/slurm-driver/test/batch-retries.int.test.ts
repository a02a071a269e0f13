import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobFailedError, JobId } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { eventually, rejectionOf, requireCluster, sacct, sacctSettled } from './cluster-helpers.ts';
import { AddNumbers, AllocateMemory, type BatchPlace, FailsFirstRuns } from './fixtures/slurm-processes.ts';

/**
 * submitJobs with a retry policy on the real cluster: each process is retried on its own (a
 * one-task array of the batch's script running only it), under its one id, while the other
 * processes of its task keep their outcomes and never run again.
 */
describe('SLURMDriver: retries of batch processes on the real cluster', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-slurm-batch-retry-'));
  const runs = mkdtempSync(join(tmpdir(), 'hpc-slurm-batch-runs-'));
  let driver: SLURMDriver;
  let unpacked: JobId[] = [];
  let packed: JobId[] = [];
  let dependent: JobId;

  beforeAll(async () => {
    requireCluster();
    driver = new SLURMDriver({
      home,
      polling: { minIntervalMs: 500 },
      defaults: { slurmArgs: { exclude: 'n3' } },
    });
    // One process per task; the middle one touches ~290 MB under --mem=200M: OOM once, then 400M fits.
    unpacked = await driver.submitJobs(
      [new AddNumbers(1, 2), new AllocateMemory(288), new AddNumbers(3, 4)],
      {
        name: 'batch-retry-oom',
        slurmArgs: { mem: '200M' },
        retry: { maxAttempts: 3, on: ['out-of-memory'] },
      },
    );
    // Three processes packed into one task: the middle one throws on its first run only; the
    // last throws every time it runs and process-error is listed, so it uses up its attempts.
    packed = await driver.submitJobs(
      [
        new FailsFirstRuns(runs, 'first', 0),
        new FailsFirstRuns(runs, 'middle', 1),
        new FailsFirstRuns(runs, 'always', 99),
      ],
      { name: 'batch-retry-packed', processesPerTask: 3, retry: { maxAttempts: 2, on: ['process-error'] } },
    );
    // Waits for the process that fails once: it must follow the retry, not be cancelled with the task.
    dependent = await driver.submitJob(new AddNumbers(5, 6), {
      name: 'after-retried-process',
      after: [packed[1] as JobId],
    });
  });

  afterAll(async () => {
    for (const id of [...unpacked, ...packed, dependent]) await driver?.cancelJob(id).catch(() => {});
    driver?.close();
  });

  it('retries only the OOM-killed array task, with doubled memory, under its own id', async () => {
    const states = await driver.waitForJobs(unpacked, { timeoutMs: 150_000, pollIntervalMs: 500 });
    const [first, middle, last] = unpacked.map((id) => states.get(id));
    expect(first).toMatchObject({ status: 'completed' });
    expect(last).toMatchObject({ status: 'completed' });
    expect(first?.attempts).toBeUndefined();
    expect(middle).toMatchObject({ status: 'completed', maxAttempts: 3 });
    const [one, two] = middle?.attempts ?? [];
    expect(middle?.attempts).toHaveLength(2);
    expect(one).toMatchObject({ number: 1, schedulerId: unpacked[1], endedAs: 'failed' });
    expect(two).toMatchObject({
      number: 2,
      cause: 'retry',
      after: 'out-of-memory',
      changed: { mem: '400M' },
    });
    // Its own one-task array, task 1 like the first attempt's: SLURM's ids say which is which.
    expect(two?.schedulerId).toMatch(/^\d+_1$/);
    expect(two?.schedulerId).not.toBe(unpacked[1]);
    // slurmdbd may record an array task's end a few seconds after squeue showed it.
    const accounted = () => sacct(unpacked[1] as string, 'State') || undefined;
    expect(await eventually(accounted, 30_000, 'sacct to record the first attempt')).toMatch(/OUT_OF_MEMORY/);
    expect(await sacctSettled(two?.schedulerId as string, 'ReqMem')).toMatch(/^400M/);
    expect(await driver.getResult(unpacked[1] as JobId)).toBe(18); // 18 blocks of 16 MiB
    expect((await driver.getResult(unpacked[2] as JobId)) as { sum: number }).toMatchObject({ sum: 7 });
  }, 200_000);

  it('retries one packed process alone; the others of its task ran once and keep their outcomes', async () => {
    const states = await driver.waitForJobs(packed, { timeoutMs: 150_000, pollIntervalMs: 500 });
    const [first, middle, always] = packed.map((id) => states.get(id));
    expect(first).toMatchObject({ status: 'completed' });
    expect(first?.attempts).toBeUndefined();
    expect(middle).toMatchObject({ status: 'completed', maxAttempts: 2 });
    expect(middle?.attempts?.map((a) => a.after ?? a.cause)).toEqual(['submitted', 'process-error']);
    expect(always).toMatchObject({ status: 'failed', cause: 'process-error', maxAttempts: 2 });
    expect(always?.attempts).toHaveLength(2);
    // Each retry ran only its process, and kept the process's id (ctx.jobId) in its own task.
    expect(runsOf('first')).toEqual([packed[0]]);
    expect(runsOf('middle')).toEqual([packed[1], packed[1]]);
    expect(runsOf('always')).toEqual([packed[2], packed[2]]);
    const value = (await driver.getResult(packed[1] as JobId)) as BatchPlace;
    expect(value).toMatchObject({ value: 2, batchIndex: 1, arrayTaskId: 0, jobId: packed[1] });
    const error = (await rejectionOf(driver.getResult(packed[2] as JobId))) as JobFailedError;
    expect(error.name).toBe('JobFailedError');
    expect(error.state.attempts).toHaveLength(2);
    // The process's log shows both attempts, each under its own header.
    const log = await driver.logs(packed[1] as JobId);
    expect(log).toMatch(/==> attempt 1 <==\nrun 1 of middle\n==> attempt 2 <==\nrun 2 of middle/);
    // The retried process has its own record; the batch folder lists it for a rebuilt index.
    const processDir = join(batchDir(packed[0] as JobId), 'p', '1');
    expect(existsSync(join(processDir, 'job.json'))).toBe(true);
    expect(existsSync(join(processDir, 'attempts', '1', 'outcome.json'))).toBe(true);
    expect(existsSync(join(batchDir(packed[0] as JobId), 'p', '0', 'attempts'))).toBe(false);
  }, 200_000);

  it('a job after a retried process runs after its retry, and completes', async () => {
    const state = await driver.waitForJob(dependent, { timeoutMs: 150_000, pollIntervalMs: 500 });
    expect(state.status).toBe('completed');
    // The packed task failed (one of its processes did), so SLURM cancelled the dependent: it was
    // submitted again, waiting on the retry's own one-task array (or on nothing, once that is done).
    expect(state.attempts?.at(-1)?.cause).toBe('upstream-retried');
    const spec = state.attempts?.at(-1)?.changed?.dependency;
    if (spec !== undefined) expect(spec).toMatch(/^afterok:\d+_0$/);
    expect(((await driver.getResult(dependent)) as { sum: number }).sum).toBe(11);
    const upstream = await driver.checkJobStatus(packed[1] as JobId);
    const upstreamEnd = Math.floor(Date.parse(upstream.endedAt as string) / 1000);
    expect(Math.floor(Date.parse(state.startedAt as string) / 1000)).toBeGreaterThanOrEqual(upstreamEnd);
  }, 200_000);

  it('a new driver on the same home (its index rebuilt) reports the retried processes as they ended', async () => {
    const fresh = new SLURMDriver({ home, storePath: join(home, 'rebuilt.sqlite') });
    try {
      const states = await fresh.waitForJobs([...unpacked, ...packed], { timeoutMs: 60_000 });
      expect(states.get(unpacked[1] as JobId)).toMatchObject({ status: 'completed' });
      expect(states.get(packed[1] as JobId)).toMatchObject({ status: 'completed' });
      expect(states.get(packed[2] as JobId)).toMatchObject({ status: 'failed' });
    } finally {
      fresh.close();
    }
  }, 90_000);

  function runsOf(name: string): string[] {
    return readFileSync(join(runs, `${name}.runs`), 'utf8')
      .split('\n')
      .filter(Boolean);
  }

  function batchDir(id: JobId): string {
    const job = (driver as unknown as { registry: { get(id: string): { jobDir: string } } }).registry.get(id);
    return join(job.jobDir, '..', '..');
  }
});
