import { copyFile, cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readOutcome, readResult } from '@hpc/container';
import { nodeRunnerPath, parseRunnerArgs, runnerCommand } from '@hpc/runner';
import { Serializer } from '@hpc/serializer';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import { MyProcess } from '../../../test/fixtures/my-process.ts';
import {
  ExitingProcess,
  ForeverProcess,
  Measurement,
  SumProcess,
  ThrowingProcess,
} from '../../../test/fixtures/processes.ts';

const FIXTURES = new URL('../../../test/fixtures/processes.ts', import.meta.url).href;
let jobDir: string;
beforeEach(async () => {
  jobDir = await mkdtemp(join(tmpdir(), 'hpc-runner-'));
});

/** Serializes the value, then returns the runner's command (so a test can start it and signal it). */
async function prepareJob(value: unknown, imports = [FIXTURES]) {
  const crate = join(jobDir, 'process.bin');
  await Serializer.serializeToFile(value, crate);
  return runnerCommand({ imports, crate, object: undefined, jobDir: undefined });
}

async function runJob(value: unknown, imports = [FIXTURES]) {
  const { file, args } = await prepareJob(value, imports);
  return await execa(file, args, { reject: false });
}

describe('node-runner', () => {
  it('exits 0 and writes the result when run() returns', async () => {
    const run = await runJob(new SumProcess(new Measurement('x', new Float64Array([2, 4]))));
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/summing 2 values/);
    expect(await readResult(jobDir)).toMatchObject({ label: 'x', mean: 3 });
  });

  it('exits 1 when run() throws, keeping the remote stack in the outcome', async () => {
    const run = await runJob(new ThrowingProcess('nope'));
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/run\(\) threw.*RangeError: nope/);
    const outcome = await readOutcome(jobDir);
    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'process',
      error: { name: 'RangeError', message: 'nope' },
    });
  });

  it('exits 2 with an import-failed outcome when a module fails to import', async () => {
    const broken = join(jobDir, 'broken.mjs');
    await writeFile(broken, 'throw new Error("module side effect failed");\n');
    const run = await runJob(new SumProcess(), [FIXTURES, broken]);
    expect(run.exitCode).toBe(2);
    expect(await readOutcome(jobDir)).toMatchObject({
      status: 'failed',
      reason: 'import-failed',
      error: { message: expect.stringMatching(/broken\.mjs.*module side effect failed/) },
    });
  });

  it('exits 2 with unknown-type when the module that registers the class is not imported, listing what is registered', async () => {
    const run = await runJob(new SumProcess(), []);
    expect(run.exitCode).toBe(2);
    expect(await readOutcome(jobDir)).toMatchObject({
      reason: 'unknown-type',
      error: { message: expect.stringMatching(/'fixtures\/SumProcess'.*not registered/) },
    });
  });

  it('exits 2 when run() calls process.exit()', async () => {
    const run = await runJob(new ExitingProcess(5));
    expect(run.exitCode).toBe(2);
    expect(await readOutcome(jobDir)).toMatchObject({ reason: 'exit-called' });
  });

  it('on SIGUSR1 calls checkpoint(), aborts run() and exits 2 with a signalled outcome', async () => {
    const checkpointFile = join(jobDir, 'ckpt');
    const { file, args } = await prepareJob(new ForeverProcess(true, checkpointFile));
    const child = execa(file, args, { reject: false });
    await waitFor(
      async () => (await readFile(join(jobDir, 'stdout.log'), 'utf8').catch(() => undefined)) !== undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGUSR1');
    const run = await child;
    expect(run.exitCode).toBe(2);
    expect(await readFile(checkpointFile, 'utf8')).toBe('checkpointed');
    expect(await readOutcome(jobDir)).toMatchObject({
      reason: 'signalled',
      error: { message: 'stopped: time-limit' },
    });
  });

  it('writes timings.json with the phase breakdown only when HPC_RUNNER_TIMINGS=1', async () => {
    const { file, args } = await prepareJob(new SumProcess(new Measurement('t', new Float64Array([1]))));
    const plain = await execa(file, args, { reject: false });
    expect(plain.exitCode).toBe(0);
    await expect(readFile(join(jobDir, 'timings.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const timed = await execa(file, args, { reject: false, env: { HPC_RUNNER_TIMINGS: '1' } });
    expect(timed.exitCode).toBe(0);
    const timings = JSON.parse(await readFile(join(jobDir, 'timings.json'), 'utf8'));
    const phases = ['nodeBoot', 'runnerLoad', 'setup', 'userImport', 'crateRead', 'run', 'resultEncode'];
    expect(Object.keys(timings.phases)).toEqual([...phases, 'resultWriteAndOutcome']);
    for (const ms of Object.values(timings.phases)) expect(ms).toBeGreaterThanOrEqual(0);
    const sum = Object.values<number>(timings.phases).reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - timings.totalMs)).toBeLessThan(0.1);
  });

  it('refuses bad usage with exit 2 and the usage line', async () => {
    const run = await execa(process.execPath, [nodeRunnerPath, '--bogus'], { reject: false });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/unknown option --bogus[\s\S]*usage: node-runner/);
    expect(() => parseRunnerArgs(['a', 'b'])).toThrow(/unexpected argument b/);
  });

  it('reads --process (a retry of one batch process) only with --batch, as a whole number', () => {
    const args = parseRunnerArgs([
      '--batch',
      '/b',
      '--task-offset',
      '0',
      '--process',
      '7',
      '--task-id',
      '9_3',
    ]);
    expect(args.batch).toEqual({ dir: '/b', taskOffset: 0, process: 7, taskId: '9_3' });
    expect(() => parseRunnerArgs(['--process', '7', 'crate.bin'])).toThrow(/need --batch/);
    expect(() => parseRunnerArgs(['--batch', '/b', '--task', '1', '--process', '-1'])).toThrow(
      /--process must be a whole number/,
    );
  });

  it('runs from a lone copy of the bundle, outside the workspace, with a .ts user module using parameter properties', async () => {
    const lone = await mkdtemp(join(tmpdir(), 'hpc-lone-'));
    await copyFile(nodeRunnerPath, join(lone, 'node-runner.mjs'));
    await copyFile(
      new URL('../../../test/fixtures/my-process.ts', import.meta.url),
      join(lone, 'my-process.ts'),
    );
    await mkdir(join(lone, 'job'));
    await Serializer.serializeToFile(
      new MyProcess('lonely', new Float64Array([1, 2, 3, 4])),
      join(lone, 'job', 'process.bin'),
    );
    const run = await execa(
      process.execPath,
      ['node-runner.mjs', '--import', './my-process.ts', 'job/process.bin'],
      { cwd: lone, reject: false, env: { NODE_PATH: '' } },
    );
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Process running lonely/);
    expect(await readResult(join(lone, 'job'))).toEqual({ data: 'lonely', n: 4, sum: 10 });
  });
});

describe('node-runner with HDF5 crates', () => {
  it('runs one object of an HDF5 crate from a copy of dist/ outside the workspace (h5wasm and plugins beside it)', async () => {
    const lone = await mkdtemp(join(tmpdir(), 'hpc-lone-h5-'));
    await cp(dirname(nodeRunnerPath), join(lone, 'runner'), { recursive: true });
    await copyFile(
      new URL('../../../test/fixtures/my-process.ts', import.meta.url),
      join(lone, 'my-process.ts'),
    );
    const { ObjectSerializer } = await import('@hpc/serializer');
    const crates = new ObjectSerializer(join(lone, 'crates.h5'));
    await crates.serialize(
      new MyProcess(
        'first',
        Float64Array.from({ length: 200_000 }, (_, i) => i),
      ),
      '/first',
    );
    await crates.serialize(new MyProcess('second', new Float64Array([5, 6])), '/second');
    const run = await execa(
      process.execPath,
      [
        'runner/node-runner.mjs',
        '--import',
        './my-process.ts',
        '--object',
        '/first',
        '--job-dir',
        'job',
        'crates.h5',
      ],
      { cwd: lone, reject: false },
    );
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(await readResult(join(lone, 'job'))).toEqual({
      n: 200_000,
      sum: (199_999 * 200_000) / 2,
      data: 'first',
    });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
