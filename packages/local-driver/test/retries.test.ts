import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHpcError, type JobFailedError } from '@hpc/core';
import { LocalDriver } from '@hpc/local-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SleepProcess, ThrowingProcess } from '../../../test/fixtures/processes.ts';
import { cancelUnfinished } from './helpers.ts';

/** The local driver relaunches the runner after a failure its job's retry lists, recording every attempt. */
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-retry-'));
});
afterEach(() => cancelUnfinished(root));

const recordOf = async (id: string) => JSON.parse(await readFile(join(root, 'jobs', id, 'job.json'), 'utf8'));

describe('LocalDriver retries', () => {
  it('relaunches a timed-out job with a longer limit, and it completes', async () => {
    const driver = new LocalDriver({ root, killGraceMs: 200 });
    const id = await driver.submitJob(new SleepProcess(3_000), {
      slurmArgs: { time: '0:2' },
      retry: { maxAttempts: 2, on: ['timeout'], escalate: { time: 3 } },
    });
    const state = await driver.waitForJob(id, { timeoutMs: 30_000 });
    expect(state).toMatchObject({ status: 'completed', maxAttempts: 2 });
    expect(state.attempts).toMatchObject([
      { number: 1, cause: 'submitted', endedAs: 'timeout' },
      { number: 2, cause: 'retry', after: 'timeout', mechanism: 'relaunched', changed: { time: '6s' } },
    ]);
    expect(await driver.getResult(id)).toBe(3_000);
    expect((await recordOf(id)).timeLimitMs).toBe(6_000);
    expect(existsSync(join(root, 'jobs', id, 'attempts', '1', 'job.err'))).toBe(true);
  });

  it('retries a run() exception only when process-error is listed, and lists every attempt when they run out', async () => {
    const driver = new LocalDriver({ root, retry: { maxAttempts: 3, on: ['timeout'] } });
    const once = await driver.submitJob(new ThrowingProcess('no retry'));
    const thrice = await driver.submitJob(new ThrowingProcess('three times'), {
      retry: { maxAttempts: 3, on: ['process-error'] },
    });
    const single = await driver.waitForJob(once, { timeoutMs: 30_000 });
    expect(single).toMatchObject({ status: 'failed', cause: 'process-error', maxAttempts: 3 });
    expect(single.attempts).toBeUndefined();
    const failed = await driver.waitForJob(thrice, { timeoutMs: 60_000 });
    expect(failed).toMatchObject({
      status: 'failed',
      cause: 'process-error',
      retryNote: 'retries ran out: 3 of 3 attempts used',
    });
    expect(failed.attempts?.map((a) => [a.number, a.after, a.endedAs])).toEqual([
      [1, undefined, 'failed'],
      [2, 'process-error', 'failed'],
      [3, 'process-error', 'failed'],
    ]);
    const error = (await driver.getResult(thrice).catch((e: unknown) => e)) as JobFailedError;
    expect(isHpcError(error, 'JobFailedError')).toBe(true);
    expect(error.attempts).toHaveLength(3);
    expect(error.diagnosis).toContain('retries ran out: 3 of 3 attempts used.');
  });

  it('refuses a retry policy it cannot follow, before anything is made', async () => {
    const driver = new LocalDriver({ root });
    await expect(
      driver.submitJob(new SleepProcess(1), { retry: { maxAttempts: 0, on: [] } }),
    ).rejects.toThrow(/retry\.maxAttempts/);
    await expect(
      driver.submitJob(new SleepProcess(1), { retry: { maxAttempts: 2, on: ['bad' as never] } }),
    ).rejects.toThrow(/retry\.on/);
    await expect(
      driver.submitJobs([new SleepProcess(1)], { retry: { maxAttempts: 2, on: ['bad' as never] } }),
    ).rejects.toThrow(/retry\.on/);
    expect(existsSync(join(root, 'jobs'))).toBe(false);
  });
});
