import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOutcome } from '@hpc/container';
import { LocalDriver } from '@hpc/local-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForeverProcess, SleepProcess } from '../../../test/fixtures/processes.ts';
import { cancelUnfinished } from './helpers.ts';

/**
 * The local driver emulates SLURM's time limit: the checkpoint warning (SIGUSR1) comes
 * checkpointLeadSeconds(limit) before the limit, and only a Process with checkpoint() stops at it.
 */
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-limit-'));
});
afterEach(() => cancelUnfinished(root));

const recordOf = async (id: string) => JSON.parse(await readFile(join(root, 'jobs', id, 'job.json'), 'utf8'));

describe('LocalDriver time limits', () => {
  it('lets a 3-second job with a 2-minute limit complete (warned 20 s before the limit)', async () => {
    const driver = new LocalDriver({ root });
    const id = await driver.submitJob(new SleepProcess(3_000), { slurmArgs: { time: '2:00' } });
    expect(await driver.waitForJob(id, { timeoutMs: 30_000 })).toMatchObject({ status: 'completed' });
    expect(await driver.getResult(id)).toBe(3_000);
    expect(await recordOf(id)).toMatchObject({ timeLimitMs: 120_000, checkpointLeadSeconds: 20 });
    expect((await readOutcome(join(root, 'jobs', id)))?.warnedAt).toBeUndefined();
  });

  it('ends a job at its limit and says how long it ran against it', async () => {
    const driver = new LocalDriver({ root, killGraceMs: 300 });
    const id = await driver.submitJob(new SleepProcess(60_000), { slurmArgs: { time: '0:2' } });
    const state = await driver.waitForJob(id, { timeoutMs: 20_000 });
    expect(state).toMatchObject({
      status: 'timeout',
      timeLimitMs: 2_000,
      raw: expect.stringMatching(/^TIMEOUT \(stopped at its time limit: ran [23]s of its 2s limit\)$/),
    });
    expect(state.elapsedMs).toBeGreaterThanOrEqual(2_000);
  });

  it('warns checkpointLeadSeconds before the limit: a Process with checkpoint() stops, one without runs on', {
    timeout: 60_000,
  }, async () => {
    // 30 s with a 5 s lead (a sixth of the limit, checkpointLeadSeconds); no restarts: it ends as it stops.
    const options = { slurmArgs: { time: '0:30' }, checkpointSignalSeconds: 5, maxRestarts: 0 };
    const driver = new LocalDriver({ root, concurrency: 3, killGraceMs: 300 });
    const checkpointFile = join(root, 'checkpointed');
    const checkpointing = await driver.submitJob(new ForeverProcess(true, checkpointFile), options);
    const fitting = await driver.submitJob(new SleepProcess(27_500), options);
    const overrunning = await driver.submitJob(new SleepProcess(60_000), options);
    expect(await recordOf(checkpointing)).toMatchObject({ timeLimitMs: 30_000, checkpointLeadSeconds: 5 });

    const stopped = await driver.waitForJob(checkpointing, { timeoutMs: 50_000 });
    expect(existsSync(checkpointFile)).toBe(true);
    expect(stopped).toMatchObject({
      status: 'timeout',
      raw: expect.stringMatching(
        /checkpointed and stopped at the time-limit warning \(SIGUSR1\): ran 2[456]s of its 30s limit/,
      ),
    });

    expect(await driver.waitForJob(fitting, { timeoutMs: 50_000 })).toMatchObject({ status: 'completed' });
    const fitted = await readOutcome(join(root, 'jobs', fitting));
    expect(fitted).toMatchObject({ status: 'ok', warnedAt: expect.any(String) });
    const record = await recordOf(fitting);
    const warnedAfterMs = Date.parse(fitted?.warnedAt as string) - Date.parse(record.startedAt);
    expect(warnedAfterMs).toBeGreaterThan(24_000);
    expect(warnedAfterMs).toBeLessThan(27_000);

    expect(await driver.waitForJob(overrunning, { timeoutMs: 50_000 })).toMatchObject({
      status: 'timeout',
      raw: expect.stringMatching(/stopped at its time limit: ran 3[01]s of its 30s limit/),
    });
  });
});
