import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobContainer } from '@hpc/container';
import { isHpcError, type JobFailedError } from '@hpc/core';
import { LocalDriver, parseSlurmTimeMs } from '@hpc/local-driver';
import { Process, registerProcess } from '@hpc/process';
import { Serializer } from '@hpc/serializer';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BusyLoopProcess,
  ForeverProcess,
  Measurement,
  SleepProcess,
  SumProcess,
  ThrowingProcess,
} from '../../../test/fixtures/processes.ts';
import { isGroupAlive } from '../src/process-group.ts';
import { cancelUnfinished, waitUntil } from './helpers.ts';

const FIXTURES = new URL('../../../test/fixtures/processes.ts', import.meta.url).href;
const REPO = new URL('../../..', import.meta.url).pathname;
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-'));
});

// A failed test must not leave runners spinning on the machine.
afterEach(() => cancelUnfinished(root));

describe('LocalDriver', () => {
  it('runs a Process to completion and returns its result and logs', async () => {
    const driver = new LocalDriver({ root });
    const id = await driver.submitJob(new SumProcess(new Measurement('a', new Float64Array([1, 5]))));
    expect(id).toBe('local-1');
    const seen: string[] = [];
    const final = await driver.waitForJob(id, { onState: (state) => seen.push(state.status) });
    expect(final).toMatchObject({ status: 'completed', exitCode: 0, name: 'SumProcess' });
    expect(seen.at(-1)).toBe('completed');
    expect(await driver.getResult(id)).toMatchObject({ label: 'a', mean: 3 });
    expect(await driver.logs(id)).toMatch(/summing 2 values/);
  });

  it('reports a failed run() with the remote error and stack through getResult', async () => {
    const driver = new LocalDriver({ root });
    const id = await driver.submitJob(new ThrowingProcess('remote trouble'));
    expect(await driver.waitForJob(id)).toMatchObject({
      status: 'failed',
      cause: 'process-error',
      exitCode: 1,
    });
    const error = (await driver.getResult(id).catch((e: unknown) => e)) as JobFailedError;
    expect(isHpcError(error, 'JobFailedError')).toBe(true);
    expect(error.remote).toMatchObject({
      name: 'RangeError',
      message: 'remote trouble',
      cause: { message: 'the root cause' },
    });
    expect(error.stack).toMatch(/--- remote error ---[\s\S]*ThrowingProcess\.run/);
    expect(error.stderrTail).toMatch(/about to fail/);
  });

  it('cancels a job that never ends, and one that never yields (SIGKILL after the grace)', async () => {
    const driver = new LocalDriver({ root, killGraceMs: 500 });
    const cooperative = await driver.submitJob(new ForeverProcess(true));
    const busy = await driver.submitJob(new BusyLoopProcess());
    const started = Date.now();
    await driver.waitForJob(cooperative, { timeoutMs: 100 }).catch(() => {});
    await waitUntil(async () => existsSync(join(root, 'jobs', busy, 'work', 'started')));
    await driver.cancelJob(cooperative);
    await driver.cancelJob(busy);
    const cooperativeState = await driver.waitForJob(cooperative, { timeoutMs: 15_000 });
    expect(cooperativeState, JSON.stringify(cooperativeState)).toMatchObject({ status: 'cancelled' });
    expect(await driver.waitForJob(busy, { timeoutMs: 15_000 })).toMatchObject({ status: 'cancelled' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('kills a never-yielding job cancelled from another process that exits right away', async () => {
    const owner = new LocalDriver({ root });
    const busy = await owner.submitJob(new BusyLoopProcess());
    await waitUntil(async () => existsSync(join(root, 'jobs', busy, 'work', 'started')));
    const { pid } = JSON.parse(await readFile(join(root, 'jobs', busy, 'job.json'), 'utf8')) as {
      pid: number;
    };
    await execa(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { LocalDriver } from '@hpc/local-driver';
         await new LocalDriver({ root: ${JSON.stringify(root)}, killGraceMs: 300 }).cancelJob(${JSON.stringify(busy)});`,
      ],
      { cwd: REPO },
    );
    await waitUntil(async () => !isGroupAlive(pid), 3_000);
    expect(await owner.waitForJob(busy, { timeoutMs: 5_000 })).toMatchObject({ status: 'cancelled' });
  });

  it('enforces a slurmArgs time limit as a timeout', async () => {
    const driver = new LocalDriver({ root, killGraceMs: 500 });
    const id = await driver.submitJob(new ForeverProcess(true), { slurmArgs: { time: '0:1' } });
    const state = await driver.waitForJob(id, { timeoutMs: 15_000 });
    expect(state.status).toBe('timeout');
  });

  it('queues beyond its concurrency limit with reason Concurrency', async () => {
    const driver = new LocalDriver({ root, concurrency: 1 });
    const first = await driver.submitJob(new SleepProcess(400));
    const second = await driver.submitJob(new SleepProcess(10));
    expect(await driver.checkJobStatus(second)).toMatchObject({ status: 'pending', reason: 'Concurrency' });
    await driver.cancelJob(second);
    expect(await driver.checkJobStatus(second)).toMatchObject({ status: 'cancelled' });
    expect(await driver.waitForJob(first)).toMatchObject({ status: 'completed' });
  });

  it('shows jobs to another driver instance (another process) through the job folders', async () => {
    const submitter = new LocalDriver({ root });
    const id = await submitter.submitJob(new SleepProcess(50));
    await submitter.waitForJob(id);
    const observer = new LocalDriver({ root });
    const all = await observer.checkAllJobStatuses();
    expect([...all.keys()]).toEqual([id]);
    expect(all.get(id)?.status).toBe('completed');
    expect(await observer.getResult(id)).toBe(50);
  });

  it('keeps running and logging a job after the submitting process has exited', async () => {
    const submitter = await execa(
      process.execPath,
      [
        '--experimental-transform-types',
        '--disable-warning=ExperimentalWarning',
        '--input-type=module',
        '-e',
        `import { LocalDriver } from '@hpc/local-driver';
         import { LateLoggerProcess } from ${JSON.stringify(FIXTURES)};
         const id = await new LocalDriver({ root: ${JSON.stringify(root)} }).submitJob(new LateLoggerProcess(800));
         await new Promise((resolve) => setTimeout(resolve, 300));
         console.log(id);
         process.exit(0);`,
      ],
      { cwd: REPO },
    );
    const id = submitter.stdout.trim();
    const observer = new LocalDriver({ root });
    expect(await observer.waitForJob(id, { timeoutMs: 15_000 })).toMatchObject({ status: 'completed' });
    expect(await observer.logs(id)).toMatch(/early line\nlate line/);
  });

  it('keeps a cancel recorded by another driver instance when the owner records the exit', async () => {
    const owner = new LocalDriver({ root });
    const other = new LocalDriver({ root });
    const id = await owner.submitJob(new ForeverProcess(true));
    await waitUntil(async () => (await other.checkJobStatus(id)).status === 'running');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await other.cancelJob(id);
    expect(await owner.waitForJob(id, { timeoutMs: 15_000 })).toMatchObject({ status: 'cancelled' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await new LocalDriver({ root }).checkJobStatus(id)).toMatchObject({ status: 'cancelled' });
  });

  it('reports a job whose runner was killed before writing an outcome as lost', async () => {
    const driver = new LocalDriver({ root });
    const id = await driver.submitJob(new ForeverProcess(true));
    const recordFile = join(root, 'jobs', id, 'job.json');
    await waitUntil(
      async () => (JSON.parse(await readFile(recordFile, 'utf8')) as { pid?: number }).pid !== undefined,
    );
    const record = JSON.parse(await readFile(recordFile, 'utf8')) as { pid: number };
    process.kill(record.pid, 'SIGKILL');
    const state = await driver.waitForJob(id, { timeoutMs: 10_000 });
    expect(state).toMatchObject({ status: 'lost', reason: expect.stringMatching(/signal SIGKILL/) });
  });

  it('submits a crate path and a JobContainer as well as a Process', async () => {
    const driver = new LocalDriver({ root });
    const crate = join(root, 'mine.bin');
    await Serializer.serializeToFile(new SleepProcess(1), crate);
    const byPath = await driver.submitJob(crate);
    const byContainer = await driver.submitJob(new JobContainer(crate));
    expect(await driver.waitForJob(byPath)).toMatchObject({ status: 'completed' });
    expect(await driver.waitForJob(byContainer)).toMatchObject({ status: 'completed' });
  });

  it('refuses a class registered without its module, saying how to fix it', async () => {
    class Anonymous extends Process {
      run() {
        return 1;
      }
    }
    registerProcess(Anonymous, { id: 'test/Anonymous' });
    const driver = new LocalDriver({ root });
    const error = await driver.submitJob(new Anonymous()).catch((e: unknown) => e);
    expect(isHpcError(error, 'MissingModuleError')).toBe(true);
    expect(String(error)).toMatch(/'test\/Anonymous'.*module: import\.meta\.url/);
  });

  it('says which job is unknown', async () => {
    const driver = new LocalDriver({ root });
    for (const id of ['local-99', '12345', '../etc']) {
      const error = await driver.checkJobStatus(id).catch((e: unknown) => e);
      expect(isHpcError(error, 'JobNotFoundError')).toBe(true);
    }
  });

  it('waitForJob honours an AbortSignal and a timeout', async () => {
    const driver = new LocalDriver({ root });
    const id = await driver.submitJob(new SleepProcess(2_000));
    const timeout = await driver.waitForJob(id, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(isHpcError(timeout, 'WaitTimeoutError')).toBe(true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 100);
    await expect(driver.waitForJob(id, { signal: controller.signal })).rejects.toThrow('user gave up');
    await driver.cancelJob(id);
  });
});

describe('parseSlurmTimeMs', () => {
  it('reads every sbatch --time format', () => {
    expect(parseSlurmTimeMs('5')).toBe(300_000);
    expect(parseSlurmTimeMs('1:30')).toBe(90_000);
    expect(parseSlurmTimeMs('01:00:00')).toBe(3_600_000);
    expect(parseSlurmTimeMs('2-0')).toBe(172_800_000);
    expect(parseSlurmTimeMs('1-2:03')).toBe(93_780_000);
    expect(parseSlurmTimeMs('1-0:0:1')).toBe(86_401_000);
    expect(parseSlurmTimeMs('UNLIMITED')).toBeUndefined();
    expect(() => parseSlurmTimeMs('1h')).toThrow(/not a SLURM time limit/);
  });
});
