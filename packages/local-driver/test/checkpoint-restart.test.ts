import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTerminalState, type JobState } from '@hpc/core';
import { LocalDriver } from '@hpc/local-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CounterProcess, type CounterResult } from '../../../test/fixtures/checkpoint-processes.ts';
import { cancelUnfinished } from './helpers.ts';

/**
 * The local driver emulates checkpoint and requeue: a Process with checkpoint() is warned before
 * its limit, saved, and run again ('relaunched') with ctx.restarts incremented, up to maxRestarts.
 */
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-restart-'));
});
afterEach(() => cancelUnfinished(root));

const recordOf = async (id: string) => JSON.parse(await readFile(join(root, 'jobs', id, 'job.json'), 'utf8'));

describe('LocalDriver: checkpoint and relaunch', () => {
  it('relaunches a checkpointing counter until it is done, exactly, and ends one out of restarts as timeout', {
    timeout: 60_000,
  }, async () => {
    const driver = new LocalDriver({ root, concurrency: 2, killGraceMs: 300 });
    // 6 s limits warned 1 s before them: 12 s of counting needs three runs.
    const counter = await driver.submitJob(new CounterProcess(120, 100), { slurmArgs: { time: '0:06' } });
    const limited = await driver.submitJob(new CounterProcess(1_000, 100), {
      slurmArgs: { time: '0:06' },
      maxRestarts: 1,
    });
    // Every state on the way, as `hpc status` would show it.
    const seen: string[] = [];
    let done: JobState;
    const deadline = Date.now() + 40_000;
    do {
      done = await driver.checkJobStatus(counter);
      seen.push(`${done.status} ${done.raw ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (!isTerminalState(done) && Date.now() < deadline);
    expect(done).toMatchObject({ status: 'completed', restarts: 2, maxRestarts: 3 });
    const result = await driver.getResult<CounterResult>(counter);
    expect(result).toEqual({ count: 120, sum: (120 * 119) / 2, restartsSeen: [0, 1, 2] });
    const { attempts } = await recordOf(counter);
    expect(attempts).toMatchObject([
      { number: 1, cause: 'submitted', endedAs: 'requeued', endNote: expect.stringMatching(/SIGUSR1/) },
      { number: 2, cause: 'restart', after: 'time-limit', mechanism: 'relaunched', endedAs: 'requeued' },
      { number: 3, cause: 'restart', after: 'time-limit', mechanism: 'relaunched' },
    ]);
    expect(seen.some((line) => /^running .*restart 1\/3 after time-limit/.test(line))).toBe(true);
    expect(seen.some((line) => /^running .*restart 2\/3 after time-limit/.test(line))).toBe(true);
    expect(seen.some((line) => /^(timeout|failed|lost)/.test(line))).toBe(false);
    const log = await driver.logs(counter);
    expect(log).toContain('run 1 (restarts 0) from 0');
    expect(log).toMatch(/run 3 \(restarts 2\) from \d+/);

    const ended = await driver.waitForJob(limited, { timeoutMs: 30_000 });
    expect(ended).toMatchObject({ status: 'timeout', restarts: 1, maxRestarts: 1 });
    expect((await recordOf(limited)).attempts).toHaveLength(2);
  });

  it('refuses a bad maxRestarts, and maxRestarts for a batch (batches are not restarted), creating nothing', async () => {
    const driver = new LocalDriver({ root });
    for (const maxRestarts of [-1, 1.5, 1_001])
      await expect(driver.submitJob(new CounterProcess(), { maxRestarts })).rejects.toMatchObject({
        _tag: 'InvalidJobSettingError',
        setting: 'maxRestarts',
      });
    await expect(driver.submitJobs([new CounterProcess()], { maxRestarts: 2 })).rejects.toMatchObject({
      _tag: 'InvalidJobSettingError',
      setting: 'maxRestarts',
      message: expect.stringMatching(/this driver does not restart batches/),
    });
    expect(await driver.listJobs()).toEqual([]);
  });

  it('does not relaunch a job cancelled while it runs', { timeout: 30_000 }, async () => {
    const driver = new LocalDriver({ root, killGraceMs: 300 });
    const id = await driver.submitJob(new CounterProcess(1_000, 100), { slurmArgs: { time: '0:06' } });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await driver.cancelJob(id);
    expect(await driver.waitForJob(id, { timeoutMs: 20_000 })).toMatchObject({ status: 'cancelled' });
    expect((await recordOf(id)).attempts).toBeUndefined();
  });
});
