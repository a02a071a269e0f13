import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidJobSettingError, JobFailedError, type JobState } from '@hpc/core';
import { LocalDriver } from '@hpc/local-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EchoProcess, SleepProcess, ThrowingProcess } from '../../../test/fixtures/processes.ts';
import { cancelUnfinished } from './helpers.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-deps-'));
});
afterEach(() => cancelUnfinished(root));

function blockedOf(state: JobState) {
  if (state.status !== 'blocked') throw new Error(`expected blocked, got ${state.status}`);
  return state;
}

describe('LocalDriver dependencies', () => {
  it('a three-step pipeline whose middle step fails: the last is blocked naming it, and never runs', async () => {
    const driver = new LocalDriver({ root, concurrency: 2 });
    const first = await driver.submitJob(new SleepProcess(400));
    const middle = await driver.submitJob(new ThrowingProcess('middle broke'), { after: [first] });
    const last = await driver.submitJob(new EchoProcess('never'), { after: [middle] });
    expect(await driver.checkJobStatus(middle)).toMatchObject({ status: 'pending', reason: 'Dependency' });
    expect(await driver.checkJobStatus(last)).toMatchObject({ status: 'pending', reason: 'Dependency' });
    const state = blockedOf(await driver.waitForJob(last, { timeoutMs: 30_000 }));
    expect(state).toMatchObject({
      upstream: middle,
      upstreamStatus: 'failed',
      upstreamDetail: 'process-error',
    });
    const error = await driver.getResult(last).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).diagnosis).toContain(
      `Blocked: upstream ${middle} failed (process-error)`,
    );
    // It never ran: no output, and the middle step started only after the first ended.
    expect(await driver.logs(last)).toBe('');
    const [one, two] = [await driver.checkJobStatus(first), await driver.checkJobStatus(middle)];
    expect(Date.parse(two.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(one.endedAt as string));
    // Another driver instance (the CLI) lists it and sees it blocked.
    const other = new LocalDriver({ root });
    expect((await other.listJobs()).map((job) => job.id)).toContain(last);
    expect((await other.checkJobStatus(last)).status).toBe('blocked');
  }, 60_000);

  it('the same pipeline succeeding runs each step after its upstream ended', async () => {
    const driver = new LocalDriver({ root, concurrency: 3 });
    const a = await driver.submitJob(new SleepProcess(300));
    const b = await driver.submitJob(new SleepProcess(300), { after: [a] });
    const c = await driver.submitJob(new EchoProcess('done'), { after: [b] });
    await driver.waitForJob(c, { timeoutMs: 30_000 });
    const [sa, sb, sc] = await Promise.all([a, b, c].map((id) => driver.checkJobStatus(id)));
    expect([sa?.status, sb?.status, sc?.status]).toEqual(['completed', 'completed', 'completed']);
    expect(Date.parse(sb?.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(sa?.endedAt as string));
    expect(Date.parse(sc?.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(sb?.endedAt as string));
    expect(await driver.getResult(c)).toMatchObject({ value: 'done' });
  }, 60_000);

  it('decides at once on an upstream that already ended: blocked without running, or run', async () => {
    const driver = new LocalDriver({ root });
    const failed = await driver.submitJob(new ThrowingProcess());
    await driver.waitForJob(failed);
    const blocked = await driver.submitJob(new EchoProcess('x'), { after: [failed] });
    const state = blockedOf(await driver.checkJobStatus(blocked));
    expect(state.upstream).toBe(failed);
    expect(state.startedAt).toBeUndefined();
    const batch = await driver.submitJobs([new EchoProcess(1), new EchoProcess(2)], { after: [failed] });
    const batchStates = await driver.waitForJobs(batch, { timeoutMs: 5_000 });
    expect([...batchStates.values()].map((s) => s.status)).toEqual(['blocked', 'blocked']);
    expect((await new LocalDriver({ root }).checkJobStatus(batch[1] as string)).status).toBe('blocked');
    const onFailure = await driver.submitJob(new EchoProcess('cleanup'), { afterNotOk: [failed] });
    const always = await driver.submitJob(new EchoProcess('always'), { afterAny: [failed, blocked] });
    expect((await driver.waitForJob(onFailure)).status).toBe('completed');
    expect((await driver.waitForJob(always)).status).toBe('completed');
    const notOk = await driver.submitJob(new EchoProcess('y'), { afterNotOk: [onFailure] });
    expect(blockedOf(await driver.checkJobStatus(notOk))).toMatchObject({ upstreamStatus: 'completed' });
  }, 60_000);

  it('a held dependent can be cancelled: it stays cancelled when its upstream ends', async () => {
    const driver = new LocalDriver({ root });
    const upstream = await driver.submitJob(new SleepProcess(500));
    const dependent = await driver.submitJob(new EchoProcess('never'), { after: [upstream] });
    await driver.cancelJob(dependent);
    expect((await driver.waitForJob(dependent, { timeoutMs: 5_000 })).status).toBe('cancelled');
    await driver.waitForJob(upstream);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const state = await driver.checkJobStatus(dependent);
    expect(state.status).toBe('cancelled');
    expect(state.startedAt).toBeUndefined();
  }, 60_000);

  it('refuses unknown ids and contradicting lists before anything exists', async () => {
    const driver = new LocalDriver({ root });
    const jobs = join(root, 'jobs');
    const before = await readdir(jobs).catch(() => []);
    const unknown = await driver
      .submitJob(new EchoProcess(), { after: ['local-999'] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(InvalidJobSettingError);
    expect((unknown as InvalidJobSettingError).message).toMatch(
      /after\[0\].*local-999.*not tracked by the local driver/,
    );
    const foreign = await driver
      .submitJobs([new EchoProcess()], { afterAny: ['4711'] })
      .catch((e: unknown) => e);
    expect((foreign as InvalidJobSettingError).problem).toBe('unknown-job');
    const known = await driver.submitJob(new EchoProcess());
    const cycle = await driver
      .submitJob(new EchoProcess(), { after: [known], afterNotOk: [known] })
      .catch((e: unknown) => e);
    expect((cycle as InvalidJobSettingError).problem).toBe('dependency-cycle');
    expect((await readdir(jobs)).length).toBe(before.length + 1);
  }, 60_000);

  it('fans an array into one job, and afterEach maps a batch process to process', async () => {
    const driver = new LocalDriver({ root, concurrency: 3 });
    const fan = await driver.submitJobs([0, 1, 2, 3].map((i) => new EchoProcess(i, 200)));
    const sink = await driver.submitJob(new EchoProcess('sink'), { after: fan });
    expect((await driver.waitForJob(sink, { timeoutMs: 30_000 })).status).toBe('completed');
    const sinkStart = Date.parse((await driver.checkJobStatus(sink)).startedAt as string);
    for (const id of fan) {
      const state = await driver.checkJobStatus(id);
      expect(Date.parse(state.endedAt as string)).toBeLessThanOrEqual(sinkStart);
    }
    const upstream: string[] = await driver.submitJobs([
      new EchoProcess('u0', 200),
      new ThrowingProcess('u1 broke'),
    ]);
    const down = await driver.submitJobs([new EchoProcess('d0'), new EchoProcess('d1')], {
      afterEach: upstream,
    });
    const states = await driver.waitForJobs(down, { timeoutMs: 30_000 });
    const byId = new Map<string, JobState>(states);
    expect(byId.get(down[0] as string)?.status).toBe('completed');
    expect(blockedOf(byId.get(down[1] as string) as JobState).upstream).toBe(upstream[1]);
    expect((await new LocalDriver({ root }).checkJobStatus(down[1] as string)).status).toBe('blocked');
  }, 60_000);
});
