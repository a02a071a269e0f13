import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAttempt, type JobFailedError, type JobId } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { rejectionOf, requireCluster, sacct, sacctSettled, waitForState } from './cluster-helpers.ts';
import { AddNumbers, AllocateMemory, Explode } from './fixtures/slurm-processes.ts';

/**
 * Retries with escalation on the real cluster (cgroup memory limits are enforced: a job over its
 * --mem ends OUT_OF_MEMORY). n3 is left to the tests that take it down.
 */
describe('SLURMDriver retries on the real cluster', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-slurm-retry-'));
  let driver: SLURMDriver;
  const ids: Record<string, JobId> = {};

  beforeAll(async () => {
    requireCluster();
    driver = new SLURMDriver({
      home,
      defaults: { slurmArgs: { exclude: 'n3' } },
      retry: { maxAttempts: 3, on: ['out-of-memory'] },
      polling: { minIntervalMs: 500 },
    });
    // ~290 MB touched under --mem=200M: killed once, then fits in the doubled 400M.
    ids.oom = await driver.submitJob(new AllocateMemory(288), {
      name: 'retry-oom',
      slurmArgs: { mem: '200M' },
    });
    // At short's MaxMemPerNode (2000M) already: doubling cannot fit, and says so.
    // A retried upstream carries its dependents: SLURM cancels them when the first attempt fails.
    ids.dependent = await driver.submitJob(new AddNumbers(20, 22), {
      name: 'retry-dependent',
      after: [ids.oom],
    });
    ids.second = await driver.submitJob(new AddNumbers(1, 2), {
      name: 'retry-second',
      after: [ids.dependent],
    });
    ids.capped = await driver.submitJob(new AllocateMemory(2112), {
      name: 'retry-capped',
      slurmArgs: { mem: '2000M', partition: 'short' },
    });
    ids.notListed = await driver.submitJob(new Explode('not retried'), { name: 'retry-not-listed' });
    ids.listed = await driver.submitJob(new Explode('retried once'), {
      name: 'retry-listed',
      retry: { maxAttempts: 2, on: ['process-error'] },
    });
  });

  afterAll(async () => {
    for (const id of Object.values(ids)) await driver?.cancelJob(id).catch(() => {});
    driver?.close();
  });

  it('retries an OOM-killed job with doubled memory under the same id, every attempt visible', async () => {
    const id = ids.oom as JobId;
    const retrying = await waitForState(driver, id, (s) => (s.attempts?.length ?? 0) >= 2, 120_000);
    expect(retrying.status).not.toBe('failed');
    const state = await driver.waitForJob(id, { timeoutMs: 150_000 });
    expect(state).toMatchObject({ status: 'completed', maxAttempts: 3 });
    const [first, second] = state.attempts ?? [];
    expect(state.attempts).toHaveLength(2);
    expect(first).toMatchObject({ number: 1, cause: 'submitted', schedulerId: id, endedAs: 'failed' });
    expect(second).toMatchObject({
      number: 2,
      cause: 'retry',
      after: 'out-of-memory',
      mechanism: 'resubmitted',
      changed: { mem: '400M' },
    });
    expect(second?.schedulerId).toMatch(/^\d+$/);
    expect(second?.schedulerId).not.toBe(id);
    expect(describeAttempt(second as never, state.maxAttempts)).toBe(
      'attempt 2/3 (mem 400M after out-of-memory)',
    );
    // SLURM ran the second attempt with the escalated memory, and the first one really was OOM.
    expect(await sacctSettled(second?.schedulerId as string, 'ReqMem')).toMatch(/^400M/);
    expect(sacct(id, 'State')).toMatch(/OUT_OF_MEMORY/);
    expect(await driver.getResult<number>(id)).toBe(18);
    // The record keeps every attempt; the first attempt's logs are kept beside it.
    const job = (await driver.listJobs()).find((j) => j.id === id);
    const record = JSON.parse(readFileSync(join(job?.jobDir as string, 'job.json'), 'utf8'));
    expect(record.attempts.map((a: { schedulerId: string }) => a.schedulerId)).toEqual([
      id,
      second?.schedulerId,
    ]);
    expect(existsSync(join(job?.jobDir as string, 'attempts', '1', 'job.err'))).toBe(true);
  }, 200_000);

  it('a dependent (and its own dependent) of the retried job runs after the retry, submitted again under its id', async () => {
    const state = await driver.waitForJob(ids.dependent as JobId, { timeoutMs: 200_000 });
    expect(state.status).toBe('completed');
    expect((await driver.getResult<{ sum: number }>(ids.dependent as JobId)).sum).toBe(42);
    // SLURM cancelled the first attempt when the upstream's first attempt ended OUT_OF_MEMORY.
    expect(sacct(ids.dependent as string, 'State')).toBe('CANCELLED');
    const [first, second] = state.attempts ?? [];
    expect(first).toMatchObject({ number: 1, cause: 'submitted', schedulerId: ids.dependent });
    expect(second).toMatchObject({ number: 2, cause: 'upstream-retried', mechanism: 'resubmitted' });
    // Its own retries are not used up by it.
    expect(state.attempts).toHaveLength(2);
    const last = await driver.waitForJob(ids.second as JobId, { timeoutMs: 120_000 });
    expect(last.status).toBe('completed');
    expect(last.attempts?.at(-1)).toMatchObject({ cause: 'upstream-retried' });
  }, 260_000);

  it('ends a retry that cannot fit the partition with the reason, instead of a refused sbatch', async () => {
    const id = ids.capped as JobId;
    const state = await driver.waitForJob(id, { timeoutMs: 150_000 });
    expect(state).toMatchObject({ status: 'failed', cause: 'out-of-memory' });
    expect(state.retryNote).toBe(
      "retry not possible: mem 4000M exceeds partition short's MaxMemPerNode 2000M",
    );
    expect(state.attempts).toBeUndefined();
    const error = await rejectionOf<JobFailedError>(driver.getResult(id));
    expect(error.diagnosis).toContain(
      "retry not possible: mem 4000M exceeds partition short's MaxMemPerNode 2000M",
    );
  }, 200_000);

  it('does not retry a run() exception unless process-error is listed', async () => {
    const once = await driver.waitForJob(ids.notListed as string, { timeoutMs: 90_000 });
    expect(once).toMatchObject({ status: 'failed', cause: 'process-error' });
    expect(once.attempts).toBeUndefined();
    const twice = await driver.waitForJob(ids.listed as string, { timeoutMs: 120_000 });
    expect(twice).toMatchObject({ status: 'failed', cause: 'process-error', maxAttempts: 2 });
    expect(twice.attempts?.map((a) => [a.number, a.after, a.endedAs])).toEqual([
      [1, undefined, 'failed'],
      [2, 'process-error', 'failed'],
    ]);
    expect(twice.retryNote).toBe('retries ran out: 2 of 2 attempts used');
    const error = await rejectionOf<JobFailedError>(driver.getResult(ids.listed as string));
    expect(error.attempts).toHaveLength(2);
    expect(error.remote?.message).toBe('retried once');
    expect(error.diagnosis).toMatch(
      /Attempts: attempt 1\/2 failed .*; attempt 2\/2 \(after process-error\) failed/,
    );
  }, 200_000);
});
