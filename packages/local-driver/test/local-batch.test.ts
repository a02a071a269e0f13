import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchResult, JobState } from '@hpc/core';
import { LocalDriver } from '@hpc/local-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EchoProcess,
  ExitingProcess,
  ForeverProcess,
  ThrowingProcess,
  UnserializableResultProcess,
} from '../../../test/fixtures/processes.ts';
import { cancelUnfinished, waitUntil } from './helpers.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-batch-'));
});
afterEach(() => cancelUnfinished(root));

async function collect<T>(results: AsyncIterable<BatchResult<T>>): Promise<BatchResult<T>[]> {
  const all: BatchResult<T>[] = [];
  for await (const result of results) all.push(result);
  return all;
}

describe('LocalDriver.submitJobs', () => {
  it('runs each process with its own id, result, logs and batch index; results() yields each once', async () => {
    const driver = new LocalDriver({ root, concurrency: 2 });
    const processes = Array.from({ length: 7 }, (_, i) => new EchoProcess(`v${i}`));
    const ids = await driver.submitJobs(processes);
    expect(ids).toHaveLength(7);
    expect(ids[0]).toMatch(/^local-\d+_0$/);
    expect(new Set(ids).size).toBe(7);
    const results = await collect(driver.results<{ value: string; batchIndex: number; jobId: string }>(ids));
    expect(results.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const result of results) {
      const index = ids.indexOf(result.id);
      expect(result.state.status).toBe('completed');
      expect(result.value).toMatchObject({ value: `v${index}`, batchIndex: index, jobId: result.id });
    }
    expect(await driver.logs(ids[3] as string)).toBe('echo "v3"\n');
    const states = await driver.waitForJobs(ids);
    expect([...states.keys()]).toEqual(ids);
    expect([...states.values()].every((s) => s.status === 'completed')).toBe(true);
    // Another driver (another process, the CLI) sees every process of the batch.
    const all = await new LocalDriver({ root }).checkAllJobStatuses();
    expect(ids.every((id) => all.get(id)?.status === 'completed')).toBe(true);
  }, 60_000);

  it('packs processes into tasks: one that throws, exits or returns the unstorable loses nothing of the others', async () => {
    const driver = new LocalDriver({ root });
    const processes = [
      new EchoProcess('a'),
      new ThrowingProcess('packed boom'),
      new EchoProcess('b'),
      new ExitingProcess(4),
      new UnserializableResultProcess(),
      new EchoProcess('c'),
    ];
    const ids = await driver.submitJobs(processes, { processesPerTask: 3 });
    expect(ids.map((id) => id.replace(/^local-\d+/, ''))).toEqual([
      '_0+0',
      '_0+1',
      '_0+2',
      '_1+0',
      '_1+1',
      '_1+2',
    ]);
    const states = await driver.waitForJobs(ids, { timeoutMs: 60_000 });
    const status = (i: number) => states.get(ids[i] as never) as JobState;
    expect([0, 2, 5].map((i) => status(i).status)).toEqual(['completed', 'completed', 'completed']);
    expect(status(1)).toMatchObject({ status: 'failed', cause: 'process-error' });
    expect(status(3)).toMatchObject({ status: 'failed', cause: 'infrastructure' });
    expect((status(3) as { message: string }).message).toContain('exit-called');
    expect((status(4) as { message: string }).message).toContain('result-unserializable');
    expect(await driver.getResult(ids[5] as string)).toMatchObject({ value: 'c', batchIndex: 5 });
    await expect(driver.getResult(ids[1] as string)).rejects.toMatchObject({ _tag: 'JobFailedError' });
  }, 60_000);

  it('runs at most `parallelism` tasks of a batch at once', async () => {
    const driver = new LocalDriver({ root, concurrency: 4 });
    const ids = await driver.submitJobs(
      Array.from({ length: 4 }, (_, i) => new EchoProcess(i, 300)),
      { parallelism: 1 },
    );
    await driver.waitForJobs(ids, { timeoutMs: 60_000 });
    const batchDir = join(root, 'jobs', (ids[0] as string).split('_')[0] as string);
    const spans = await Promise.all(
      ids.map(async (_, index) => {
        const outcome = JSON.parse(
          await readFile(join(batchDir, 'p', String(index), 'outcome.json'), 'utf8'),
        );
        return [Date.parse(outcome.startedAt), Date.parse(outcome.finishedAt)] as const;
      }),
    );
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] as number);
  }, 60_000);

  it('cancels one packed process alone (skipped before it starts) and then the whole batch', async () => {
    const driver = new LocalDriver({ root, concurrency: 1, killGraceMs: 200 });
    const ids = await driver.submitJobs(
      [new EchoProcess('first'), new ForeverProcess(), new EchoProcess('skipped'), new EchoProcess('later')],
      { processesPerTask: 4 },
    );
    await driver.cancelJob(ids[2] as string);
    await waitUntil(async () => (await driver.checkJobStatus(ids[1] as string)).status === 'running', 20_000);
    expect((await driver.checkJobStatus(ids[0] as string)).status).toBe('completed');
    expect((await driver.checkJobStatus(ids[3] as string)).status).toBe('pending');
    await driver.cancelJob((ids[0] as string).split('_')[0] as string);
    const states = await driver.waitForJobs(ids, { timeoutMs: 30_000 });
    expect([...states.values()].map((s) => s.status)).toEqual([
      'completed',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
  }, 60_000);

  it('a packed task killed midway: finished processes stay completed, the others report the task fate', async () => {
    const driver = new LocalDriver({ root, killGraceMs: 200 });
    const ids = await driver.submitJobs(
      [new EchoProcess('done'), new ForeverProcess(), new EchoProcess('never')],
      { processesPerTask: 3, slurmArgs: { time: '00:00:03' } },
    );
    const states = await driver.waitForJobs(ids, { timeoutMs: 30_000 });
    expect([...states.values()].map((s) => s.status)).toEqual(['completed', 'timeout', 'timeout']);
    // SIGKILL (out of memory, a node gone): the unfinished ones say the task ended without them.
    const killed = await driver.submitJobs(
      [new EchoProcess('done'), new ForeverProcess(), new EchoProcess('never')],
      {
        processesPerTask: 3,
      },
    );
    await waitUntil(
      async () => (await driver.checkJobStatus(killed[1] as string)).status === 'running',
      20_000,
    );
    const task = JSON.parse(
      await readFile(
        join(root, 'jobs', (killed[0] as string).split('_')[0] as string, 'tasks', '0', 'job.json'),
        'utf8',
      ),
    );
    process.kill(-task.pid, 'SIGKILL');
    const after = await driver.waitForJobs(killed, { timeoutMs: 30_000 });
    expect([...after.values()].map((s) => s.status)).toEqual(['completed', 'lost', 'lost']);
    expect((after.get(killed[2] as never) as { reason: string }).reason).toContain('SIGKILL');
  }, 60_000);

  it('refuses bad input before creating anything: empty list, slurmArgs.array, an unserializable process, bad counts', async () => {
    const driver = new LocalDriver({ root });
    await expect(driver.submitJobs([])).rejects.toMatchObject({ _tag: 'InvalidOption' });
    await expect(
      driver.submitJobs([new EchoProcess()], { slurmArgs: { array: '0-9' } }),
    ).rejects.toMatchObject({
      _tag: 'InvalidJobSettingError',
      message: expect.stringContaining('submitJobs'),
    });
    const bad = new EchoProcess({ nested: { fn: () => 1 } });
    const error = await driver.submitJobs([new EchoProcess(), bad]).catch((e: unknown) => e);
    expect(error).toMatchObject({ _tag: 'BatchProcessError', index: 1 });
    expect(String((error as Error).message)).toContain('$.value.nested.fn');
    await expect(driver.submitJobs([new EchoProcess()], { parallelism: 0 })).rejects.toMatchObject({
      _tag: 'InvalidOption',
      option: 'parallelism',
    });
    await expect(driver.submitJobs([new EchoProcess()], { processesPerTask: 1.5 })).rejects.toMatchObject({
      _tag: 'InvalidOption',
      option: 'processesPerTask',
    });
    expect(await readdir(join(root, 'jobs')).catch(() => [])).toEqual([]);
    await expect(driver.checkJobStatus('local-99_0')).rejects.toMatchObject({ _tag: 'JobNotFoundError' });
  });
});
