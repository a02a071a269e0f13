import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDriver } from '@hpc/local-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SleepProcess } from '../../../test/fixtures/processes.ts';
import { cancelUnfinished } from './helpers.ts';

/** `resources: 'suggested'` on the local driver: the class's history from its own folders. */
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-suggest-'));
});
afterEach(() => cancelUnfinished(root));

const recordOf = async (id: string) => JSON.parse(await readFile(join(root, 'jobs', id, 'job.json'), 'utf8'));
const asked = { mem: '16G', time: '01:00:00' };

describe('LocalDriver resources: suggested', { timeout: 60_000 }, () => {
  it('applies the history with 5 measured runs, records it, and leaves a class with too few as asked', async () => {
    const driver = new LocalDriver({ root, concurrency: 4 });
    const history = await driver.submitJobs(
      Array.from({ length: 5 }, () => new SleepProcess(10)),
      { slurmArgs: asked },
    );
    await driver.waitForJobs(history, { timeoutMs: 30_000 });
    const few = await driver.submitJob(new SleepProcess(10), { name: 'Fresh', slurmArgs: asked });
    await driver.waitForJob(few, { timeoutMs: 30_000 });

    const id = await driver.submitJob(new SleepProcess(10), { slurmArgs: asked, resources: 'suggested' });
    const record = await recordOf(id);
    // A Node runner peaks well under 1 GiB: 16G comes down; 10 ms runs need the minimum minute.
    expect(record.timeLimitMs).toBe(60_000);
    expect(record.requested.memBytes).toBeLessThan(1024 ** 3);
    expect(record.requested.memBytes).toBeGreaterThanOrEqual(100 * 1024 ** 2);
    const described = await driver.describeJob(id);
    expect(described.requested.suggested?.map((note) => note.text)).toEqual([
      expect.stringMatching(/^mem=\d+M suggested from 5 runs, asked 16G$/),
      'time=00:01:00 suggested from 5 runs, asked 01:00:00',
    ]);
    expect(await driver.waitForJob(id, { timeoutMs: 30_000 })).toMatchObject({ status: 'completed' });

    const fresh = await driver.submitJob(new SleepProcess(10), {
      name: 'Fresh',
      slurmArgs: asked,
      resources: 'suggested',
    });
    expect((await recordOf(fresh)).timeLimitMs).toBe(3_600_000);
    expect((await driver.describeJob(fresh)).requested.suggested?.[0]?.text).toBe(
      'mem: 1 measured runs of Fresh, 5 needed; asked 16G stands',
    );
  });

  it('applies it once to a whole batch, and refuses a bad choice naming resources', async () => {
    const driver = new LocalDriver({ root, concurrency: 4 });
    const history = await driver.submitJobs(
      Array.from({ length: 5 }, () => new SleepProcess(10)),
      { slurmArgs: asked },
    );
    await driver.waitForJobs(history, { timeoutMs: 30_000 });
    const ids = await driver.submitJobs([new SleepProcess(10), new SleepProcess(10)], {
      slurmArgs: asked,
      resources: { suggested: ['time'] },
    });
    const batch = await recordOf((ids[0] as string).split('_')[0] as string);
    expect(batch.timeLimitMs).toBe(60_000);
    expect(batch.requested).toMatchObject({ memBytes: 16 * 1024 ** 3, timeLimitMs: 60_000 });
    expect((await driver.describeJob(ids[1] as string)).requested.suggested?.map((n) => n.option)).toEqual([
      'time',
    ]);
    await expect(
      driver.submitJob(new SleepProcess(10), { resources: 'smaller' as 'suggested' }),
    ).rejects.toMatchObject({ _tag: 'InvalidJobSettingError', setting: 'resources' });
  });
});
