import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/command-runner.ts';
import { readJobRecord } from '../src/job-record.ts';
import type { JobRegistry } from '../src/job-registry.ts';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { rejectionOf } from './cluster-helpers.ts';
import { AddNumbers } from './fixtures/slurm-processes.ts';

/** A driver over a scripted scheduler: scontrol's limits, sbatch answers in order, every call kept. */
function setup(sbatch: ({ exitCode: number; stdout?: string; stderr?: string } | undefined)[] = []) {
  const home = mkdtempSync(join(tmpdir(), 'hpc-submit-jobs-'));
  const calls: string[][] = [];
  let next = 100;
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args]);
    const reply =
      command === 'scontrol'
        ? { exitCode: 0, stdout: 'MaxArraySize            = 1001\nMaxJobCount             = 10000\n' }
        : command === 'sbatch'
          ? (sbatch.shift() ?? { exitCode: 0, stdout: `${next++}\n` })
          : { exitCode: 0 };
    return { command, args, stdout: '', stderr: '', durationMs: 1, ...reply };
  };
  const driver = new SLURMDriver({ home, run, storePath: join(home, 'index.sqlite') });
  drivers.push(driver);
  return { home, driver, calls, jobsRoot: driver.jobsRoot };
}

const drivers: SLURMDriver[] = [];
afterEach(() => {
  for (const driver of drivers.splice(0)) driver.close();
});

const processes = (n: number) => Array.from({ length: n }, (_, i) => new AddNumbers(i, 1));

describe('SLURMDriver.submitJobs (scripted scheduler)', () => {
  it('1,000 processes: one folder, one script, one sbatch --array, in well under a second', async () => {
    const { driver, calls, jobsRoot } = setup();
    const started = performance.now();
    const ids = await driver.submitJobs(processes(1000), {
      slurmArgs: { time: '00:05:00' },
      parallelism: 50,
    });
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(1000);
    expect(ids).toHaveLength(1000);
    expect(ids[0]).toBe('100_0');
    expect(ids[999]).toBe('100_999');
    expect(calls.map((call) => call[0])).toEqual(['scontrol', 'sbatch']);
    const sbatch = calls[1] as string[];
    expect(sbatch).toContain('--array=0-999%50');
    expect(sbatch.slice(-1)).toEqual(['0']);
    const [folder] = readdirSync(jobsRoot);
    const batchDir = join(jobsRoot, folder as string);
    const script = readFileSync(join(batchDir, 'job.sh'), 'utf8');
    expect(script).toContain(`#SBATCH --output="${batchDir}/tasks/%A_%a.out"`);
    expect(script).toContain(`#SBATCH --error="${batchDir}/tasks/%A_%a.err"`);
    expect(script).toMatch(/'--batch' '[^']+' '--task-offset' "\$@"\n/);
    expect(readJobRecord(batchDir)?.batch).toEqual({
      slices: [{ arrayId: '100', offset: 0, tasks: 1000 }],
      count: 1000,
      processesPerTask: 1,
    });
    expect((await driver.listJobs()).length).toBe(1000);
    expect((await driver.listJobs())[5]?.jobDir).toBe(join(batchDir, 'p', '5'));
    process.stdout.write(`submitJobs of 1,000 processes (scripted sbatch): ${ms.toFixed(0)} ms\n`);
  });

  it('1,200 processes, packed by 2 or not: slices by MaxArraySize, ids in input order', async () => {
    const { driver, calls } = setup();
    const ids = await driver.submitJobs(processes(1200));
    expect(ids[1000]).toBe('100_1000');
    expect(ids[1001]).toBe('101_0');
    expect(calls.filter((call) => call[0] === 'sbatch').map((call) => call.slice(-1)[0])).toEqual([
      '0',
      '1001',
    ]);
    const packed = await driver.submitJobs(processes(5), { processesPerTask: 2 });
    expect(packed).toEqual(['102_0+0', '102_0+1', '102_1+0', '102_1+1', '102_2+0']);
    // scontrol was read once for both batches.
    expect(calls.filter((call) => call[0] === 'scontrol')).toHaveLength(1);
  });

  it('requeue: --requeue for restartable tasks, --no-requeue for packed ones and for node-fail retries without checkpoint()', async () => {
    const { driver, jobsRoot } = setup();
    const scriptOf = (id: string) => {
      const folder = readdirSync(jobsRoot).find(
        (name) => readJobRecord(join(jobsRoot, name))?.id === id.split('_')[0],
      );
      return readFileSync(join(jobsRoot, folder as string, 'job.sh'), 'utf8');
    };
    const [plain] = await driver.submitJobs(processes(2));
    expect(scriptOf(plain as string)).toMatch(/^#SBATCH --requeue$/m);
    const [packed] = await driver.submitJobs(processes(4), { processesPerTask: 2 });
    expect(scriptOf(packed as string)).toMatch(/^#SBATCH --no-requeue$/m);
    const nodeFail = { retry: { maxAttempts: 2, on: ['node-fail' as const] } };
    const [retried] = await driver.submitJobs(processes(2), nodeFail);
    expect(scriptOf(retried as string)).toMatch(/^#SBATCH --no-requeue$/m);
    const [asked] = await driver.submitJobs(processes(2), { ...nodeFail, slurmArgs: { requeue: true } });
    expect(scriptOf(asked as string)).toMatch(/^#SBATCH --requeue$/m);
    expect(scriptOf(asked as string)).not.toMatch(/no-requeue/);
  });

  it('a later slice refused: the earlier ones are cancelled in one scancel, nothing is left', async () => {
    const { driver, calls, jobsRoot } = setup([
      { exitCode: 0, stdout: '200' },
      { exitCode: 1, stderr: 'sbatch: error: QOSMaxSubmitJobPerUserLimit' },
    ]);
    const error = await rejectionOf<Error>(driver.submitJobs(processes(1500)));
    expect(error.name).toBe('BatchSubmissionError');
    expect(error.message).toMatch(
      /slice 2 of 2.*QOSMaxSubmitJobPerUserLimit.*\(200\) were cancelled.*removed/,
    );
    expect(calls.find((call) => call[0] === 'scancel')).toEqual(['scancel', '200']);
    expect(readdirSync(jobsRoot)).toEqual([]);
    expect(await driver.listJobs()).toEqual([]);
  });

  it('refuses slurmArgs.array (submitJob too), an empty list and bad counts before creating anything', async () => {
    const { driver, calls, jobsRoot } = setup();
    for (const attempt of [
      driver.submitJobs(processes(2), { slurmArgs: { array: '0-1' } }),
      driver.submitJob(new AddNumbers(), { slurmArgs: { array: '0-1' } }),
    ]) {
      const error = await rejectionOf<Error & { setting: string }>(attempt);
      expect(error.setting).toBe('slurmArgs.array');
      expect(error.message).toMatch(/submitJobs/);
    }
    expect((await rejectionOf<Error>(driver.submitJobs([]))).message).toMatch(/submitJobs\(targets\)/);
    expect((await rejectionOf<Error>(driver.submitJobs(processes(3), { parallelism: 0 }))).message).toMatch(
      /parallelism/,
    );
    expect(calls.filter((call) => call[0] === 'sbatch')).toEqual([]);
    expect(existsSync(jobsRoot) ? readdirSync(jobsRoot) : []).toEqual([]);
  });

  it('cancels one process, a packed one by its marker, a task and a whole batch in one scancel', async () => {
    const { driver, calls } = setup();
    const ids = await driver.submitJobs(processes(1200));
    await driver.cancelJob(ids[3] as string);
    expect(calls.at(-1)).toEqual(['scancel', '100_3']);
    await driver.cancelJob('100');
    expect(calls.at(-1)).toEqual(['scancel', '100', '101']);
    const packed = await driver.submitJobs(processes(4), { processesPerTask: 2 });
    const before = calls.length;
    await driver.cancelJob(packed[1] as string);
    expect(calls.length).toBe(before);
    const job = (await driver.listJobs()).find((row) => row.id === packed[1]);
    expect(existsSync(join(job?.jobDir as string, '..', '..', 'cancel', '1'))).toBe(true);
    await driver.cancelJob('102_1');
    expect(calls.at(-1)).toEqual(['scancel', '102_1']);
  });

  it('a process retried on its own is cancelled under its current attempt, alone, with its task, or with its batch', async () => {
    const { driver, calls } = setup();
    const packed = await driver.submitJobs(processes(4), { processesPerTask: 2 });
    // The index as a retry leaves it: process 1 (task 100_0) runs as its own one-task array 900_0.
    const registry = (driver as unknown as { registry: JobRegistry }).registry;
    registry.withStore((store) => store.setAttempt(packed[1] as string, '900_0', { status: 'pending' }));
    await driver.cancelJob(packed[1] as string);
    expect(calls.at(-1)).toEqual(['scancel', '900_0']);
    await driver.cancelJob('100_0');
    expect(calls.at(-1)).toEqual(['scancel', '100_0', '900_0']);
    await driver.cancelJob('100');
    expect(calls.at(-1)).toEqual(['scancel', '100', '900_0']);
  });
});
