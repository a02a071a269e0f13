import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BatchResult, isHpcError, type JobFailedError, type JobId, type JobState } from '@hpc/core';
import { LocalDriver } from '@hpc/local-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlakyProcess, runsOf } from '../../../test/fixtures/retry-processes.ts';
import { cancelUnfinished, waitUntil } from './helpers.ts';

/** submitJobs with `retry`: each failed process is relaunched alone, the others of its task keep their outcomes. */
let root: string;
let runs: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-batch-retry-'));
  runs = await mkdtemp(join(tmpdir(), 'hpc-local-batch-runs-'));
});
afterEach(() => cancelUnfinished(root));

async function collect<T>(results: AsyncIterable<BatchResult<T>>): Promise<BatchResult<T>[]> {
  const all: BatchResult<T>[] = [];
  for await (const result of results) all.push(result);
  return all;
}

const batchDirOf = (id: string) => join(root, 'jobs', id.split('_')[0] as string);
const processDir = (id: string, index: number) => join(batchDirOf(id), 'p', String(index));
const runIds = async (label: string, count: number) =>
  Promise.all(Array.from({ length: count }, (_, n) => readFile(join(runs, `${label}.${n + 1}`), 'utf8')));

describe('LocalDriver.submitJobs retries', () => {
  it('retries only the failed process of a packed task, under its id and the batch parallelism', async () => {
    const driver = new LocalDriver({ root, concurrency: 4 });
    const labels = ['a', 'b', 'c', 'd'];
    // 'a' throws on its first run only; 'b', after it in the same task, takes a second.
    const ids = await driver.submitJobs(
      labels.map((label) => new FlakyProcess(runs, label, label === 'a' ? 1 : 0, label === 'b' ? 1_000 : 0)),
      // 'lost' listed too: the task's runner exits 1 without an outcome of its own, yet is never rerun whole.
      { processesPerTask: 2, parallelism: 1, retry: { maxAttempts: 3, on: ['process-error', 'lost'] } },
    );
    const [a, b] = ids as [JobId, JobId, ...JobId[]];
    const results = collect(driver.results<string>(ids, { timeoutMs: 60_000 }));
    // While 'b' runs, 'a''s failed first run is already written: 'a' is pending its retry, not failed.
    await waitUntil(async () => (await driver.checkJobStatus(b)).status === 'running', 20_000);
    expect(await driver.checkJobStatus(a)).toMatchObject({
      status: 'pending',
      reason: expect.stringMatching(/^attempt 2 starting after failed/),
      maxAttempts: 3,
    });
    // Each process is yielded once, at its end: never the failed first run of 'a'.
    expect((await results).map((r) => [r.id, r.state.status, r.value]).sort()).toEqual(
      labels.map((label, i) => [ids[i], 'completed', `${label} ok on run ${label === 'a' ? 2 : 1}`]).sort(),
    );
    // The others of a's task (and of the other task) ran exactly once; 'a' twice, as local-N_0+0 both times.
    expect(labels.map((label) => runsOf(runs, label))).toEqual([2, 1, 1, 1]);
    expect(await runIds('a', 2)).toEqual([a, a]);
    const state = await driver.checkJobStatus(a);
    expect(state).toMatchObject({ status: 'completed', maxAttempts: 3 });
    expect(state.attempts).toMatchObject([
      { number: 1, cause: 'submitted', endedAs: 'failed', node: 'localhost' },
      { number: 2, cause: 'retry', after: 'process-error', mechanism: 'relaunched' },
    ]);
    expect((await driver.checkJobStatus(b)).attempts).toBeUndefined();
    expect(await driver.getResult(a)).toBe('a ok on run 2');
    // The first attempt's outcome and logs moved aside; logs() shows both attempts.
    const aDir = processDir(a, 0);
    expect(existsSync(join(aDir, 'attempts', '1', 'outcome.json'))).toBe(true);
    expect(await driver.logs(a)).toBe('==> attempt 1 <==\na run 1\n==> attempt 2 <==\na run 2\n');
    expect(await driver.logs(b)).toBe('b run 1\n');
    // The attempts live in files: a new driver on the same home sees them.
    const again = await new LocalDriver({ root }).checkJobStatus(a);
    expect(again.attempts?.map((attempt) => [attempt.number, attempt.endedAs])).toEqual([
      [1, 'failed'],
      [2, 'completed'],
    ]);
    // parallelism 1 holds for the retry too: no run overlapped one of another task (or of the retry).
    const runsByTask = [
      [join(aDir, 'attempts', '1', 'outcome.json'), join(processDir(a, 1), 'outcome.json')],
      [2, 3].map((i) => join(processDir(a, i), 'outcome.json')),
      [join(aDir, 'outcome.json')],
    ];
    const spans = await Promise.all(
      runsByTask.map(async (files) => {
        const outcomes = await Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8'))));
        return [Date.parse(outcomes[0].startedAt), Date.parse(outcomes.at(-1).finishedAt)] as const;
      }),
    );
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] as number);
  }, 90_000);

  it('a process that always throws ends failed after maxAttempts, with a JobFailedError listing them', async () => {
    const driver = new LocalDriver({ root });
    const ids = await driver.submitJobs([new FlakyProcess(runs, 'x', 99), new FlakyProcess(runs, 'y')], {
      retry: { maxAttempts: 3, on: ['process-error'] },
    });
    const results = await collect(driver.results(ids, { timeoutMs: 90_000 }));
    expect(results).toHaveLength(2);
    const failed = results.find((r) => r.id === ids[0])?.state as JobState;
    expect(failed).toMatchObject({
      status: 'failed',
      cause: 'process-error',
      maxAttempts: 3,
      retryNote: 'retries ran out: 3 of 3 attempts used',
    });
    expect(failed.attempts?.map((a) => [a.number, a.after, a.endedAs])).toEqual([
      [1, undefined, 'failed'],
      [2, 'process-error', 'failed'],
      [3, 'process-error', 'failed'],
    ]);
    expect([runsOf(runs, 'x'), runsOf(runs, 'y')]).toEqual([3, 1]);
    expect(await runIds('x', 3)).toEqual([ids[0], ids[0], ids[0]]);
    const error = (await driver.getResult(ids[0] as string).catch((e: unknown) => e)) as JobFailedError;
    expect(isHpcError(error, 'JobFailedError')).toBe(true);
    expect(error.attempts).toHaveLength(3);
    expect(error.diagnosis).toContain('retries ran out: 3 of 3 attempts used.');
    expect(await driver.getResult(ids[1] as string)).toBe('y ok on run 1');
    const log = await driver.logs(ids[0] as string);
    expect(log.match(/==> attempt \d <==/g)).toEqual([
      '==> attempt 1 <==',
      '==> attempt 2 <==',
      '==> attempt 3 <==',
    ]);
  }, 90_000);

  it("follows the driver's default retry, and never retries a failure the policy does not list", async () => {
    const driver = new LocalDriver({ root, retry: { maxAttempts: 2, on: ['process-error'] } });
    const [byDefault] = await driver.submitJobs([new FlakyProcess(runs, 'default', 1)]);
    const [unlisted] = await driver.submitJobs([new FlakyProcess(runs, 'unlisted', 1)], {
      retry: { maxAttempts: 3, on: ['timeout'] },
    });
    const states = await driver.waitForJobs([byDefault as string, unlisted as string], { timeoutMs: 60_000 });
    expect(states.get(byDefault as never)).toMatchObject({ status: 'completed', maxAttempts: 2 });
    const once = states.get(unlisted as never) as JobState;
    expect(once).toMatchObject({ status: 'failed', cause: 'process-error', maxAttempts: 3 });
    expect(once.attempts).toBeUndefined();
    expect([runsOf(runs, 'default'), runsOf(runs, 'unlisted')]).toEqual([2, 1]);
    expect(existsSync(join(processDir(unlisted as string, 0), 'attempts'))).toBe(false);
  }, 60_000);

  it('after a timeout, retries with the longer limit each process its task did not finish', async () => {
    const driver = new LocalDriver({ root, killGraceMs: 200 });
    // The task hits its 2 s limit in 'slow'; 'quick', after it, never started.
    const ids = await driver.submitJobs(
      [new FlakyProcess(runs, 'slow', 0, 3_000), new FlakyProcess(runs, 'quick')],
      {
        processesPerTask: 2,
        slurmArgs: { time: '0:2' },
        retry: { maxAttempts: 2, on: ['timeout'], escalate: { time: 3 } },
      },
    );
    const states = await driver.waitForJobs(ids, { timeoutMs: 30_000 });
    expect([...states.values()].map((s) => s.status)).toEqual(['completed', 'completed']);
    for (const state of states.values())
      expect(state.attempts).toMatchObject([
        { number: 1, endedAs: 'timeout' },
        { number: 2, after: 'timeout', mechanism: 'relaunched', changed: { time: '6s' } },
      ]);
    expect([runsOf(runs, 'slow'), runsOf(runs, 'quick')]).toEqual([2, 1]);
    const record = JSON.parse(await readFile(join(processDir(ids[0] as string, 0), 'job.json'), 'utf8'));
    expect(record.timeLimitMs).toBe(6_000);
    expect(await driver.getResult(ids[1] as string)).toBe('quick ok on run 1');
  }, 60_000);

  it('cancelJob(process) stops its running retry; cancelling the batch stops its running and queued retries', async () => {
    const driver = new LocalDriver({ root, concurrency: 1, killGraceMs: 200 });
    const policy = { retry: { maxAttempts: 3, on: ['process-error' as const] } };
    const [held] = await driver.submitJobs([new FlakyProcess(runs, 'held', 1, 60_000)], policy);
    await waitUntil(async () => runsOf(runs, 'held') === 2, 30_000);
    expect(await driver.checkJobStatus(held as string)).toMatchObject({ status: 'running' });
    await driver.cancelJob(held as string);
    expect(await driver.waitForJob(held as string, { timeoutMs: 20_000 })).toMatchObject({
      status: 'cancelled',
    });

    // One slot: 'p' and 'q' fail in their tasks; p's retry runs (and holds), q's waits behind it.
    const ids = await driver.submitJobs(
      [new FlakyProcess(runs, 'p', 1, 60_000), new FlakyProcess(runs, 'q', 1)],
      policy,
    );
    await waitUntil(async () => runsOf(runs, 'p') === 2, 30_000);
    expect(await driver.checkJobStatus(ids[1] as string)).toMatchObject({ status: 'pending' });
    await driver.cancelJob((ids[0] as string).split('_')[0] as string);
    const states = await driver.waitForJobs(ids, { timeoutMs: 20_000 });
    expect([...states.values()].map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect([runsOf(runs, 'held'), runsOf(runs, 'p'), runsOf(runs, 'q')]).toEqual([2, 2, 1]);
  }, 90_000);
});
