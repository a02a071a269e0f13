import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOfFile, readCheckpointRecord, readOutcome, readResult } from '@hpc/container';
import { RESTART_EXIT_CODE } from '@hpc/core';
import { formatRunnerArgs, parseRunnerArgs, type RunnerArgs, runnerCommand } from '@hpc/runner';
import { Serializer } from '@hpc/serializer';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import { CounterProcess } from '../../../test/fixtures/checkpoint-processes.ts';

/** The node-runner's restart protocol: save at SIGUSR1, exit 75, resume on the next start. */
const FIXTURES = [new URL('../../../test/fixtures/checkpoint-processes.ts', import.meta.url).href];
let jobDir: string;
beforeEach(async () => {
  jobDir = await mkdtemp(join(tmpdir(), 'hpc-runner-restart-'));
});

describe('runner args for restarts', () => {
  it('formats and parses --max-restarts and --node-requeue, and refuses --node-requeue alone', () => {
    const args: RunnerArgs = {
      imports: [],
      crate: '/jobs/1/process.bin',
      object: undefined,
      jobDir: undefined,
      maxRestarts: 3,
      nodeRequeue: true,
    };
    expect(formatRunnerArgs(args)).toEqual(['--max-restarts', '3', '--node-requeue', '/jobs/1/process.bin']);
    expect(parseRunnerArgs(formatRunnerArgs(args))).toEqual(args);
    expect(() => parseRunnerArgs(['--node-requeue', 'x.bin'])).toThrow(/--node-requeue needs --max-restarts/);
    expect(() => parseRunnerArgs(['--max-restarts', '-1', 'x.bin'])).toThrow(
      /--max-restarts must be a whole number/,
    );
  });
});

describe('node-runner restarts', () => {
  it('exits 75 after saving at SIGUSR1 (no SLURM job to requeue), then resumes from the save', {
    timeout: 30_000,
  }, async () => {
    const crate = join(jobDir, 'process.bin');
    await Serializer.serializeToFile(new CounterProcess(20, 50), crate);
    const crateDigest = await digestOfFile(crate);
    const { file, args } = runnerCommand({
      imports: FIXTURES,
      crate,
      object: undefined,
      jobDir,
      crateDigest,
      maxRestarts: 2,
      nodeRequeue: true,
    });
    const env = { ...process.env, SLURM_JOB_ID: '' };
    const first = execa(file, args, { reject: false, env });
    await new Promise((resolve) => setTimeout(resolve, 800));
    first.kill('SIGUSR1');
    expect((await first).exitCode).toBe(RESTART_EXIT_CODE);
    expect((await readOutcome(jobDir))?.checkpoint).toMatchObject({
      saved: true,
      restarts: 1,
      requeue: 'driver-requeue',
    });
    expect(await readCheckpointRecord(jobDir)).toMatchObject({ restarts: 1, submittedDigest: crateDigest });

    const second = await execa(file, args, { reject: false, env });
    expect(second.exitCode).toBe(0);
    expect(await readResult(jobDir)).toMatchObject({ count: 20, sum: 190, restartsSeen: [0, 1] });
    expect(await readFile(join(jobDir, 'stdout.log'), 'utf8')).toMatch(/run 2 \(restarts 1\) from [1-9]/);
  });
});
