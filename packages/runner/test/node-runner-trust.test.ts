import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOfFile, readOutcome, readResult } from '@hpc/container';
import { isHpcError } from '@hpc/core';
import { formatRunnerArgs, parseRunnerArgs, type RunnerArgs, runnerCommand } from '@hpc/runner';
import { Serializer } from '@hpc/serializer';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import { SleepProcess } from '../../../test/fixtures/processes.ts';
import { mountTmpfs } from '../../../test/fixtures/tmpfs.ts';
import { ContextProcess, DiskFillerProcess } from '../../../test/fixtures/trust-processes.ts';

const FIXTURES = [
  new URL('../../../test/fixtures/processes.ts', import.meta.url).href,
  new URL('../../../test/fixtures/trust-processes.ts', import.meta.url).href,
];
const DIGEST = `sha256:${'ab'.repeat(32)}` as const;
let jobDir: string;
beforeEach(async () => {
  jobDir = await mkdtemp(join(tmpdir(), 'hpc-runner-trust-'));
});

async function run(value: unknown, extra: Partial<RunnerArgs> = {}, folder = jobDir) {
  const crate = join(folder, 'process.bin');
  await Serializer.serializeToFile(value, crate);
  const { file, args } = runnerCommand({
    imports: FIXTURES,
    crate,
    object: undefined,
    jobDir: undefined,
    ...extra,
  });
  return { crate, run: await execa(file, args, { reject: false }) };
}

describe('runner args', () => {
  it('formats and parses the digest, job id and sharing in one place', () => {
    const args: RunnerArgs = {
      imports: ['a.js'],
      crate: '/jobs/1/process.bin',
      object: '/p',
      jobDir: '/jobs/1',
      crateDigest: DIGEST,
      jobId: 'local-7',
      share: 'group',
    };
    expect(formatRunnerArgs(args)).toEqual([
      '--import',
      'a.js',
      '--object',
      '/p',
      '--job-dir',
      '/jobs/1',
      '--crate-digest',
      DIGEST,
      '--job-id',
      'local-7',
      '--share',
      'group',
      '/jobs/1/process.bin',
    ]);
    expect(parseRunnerArgs(formatRunnerArgs(args))).toEqual(args);
  });

  it('refuses a malformed digest or sharing with a typed RunnerUsageError', () => {
    for (const argv of [
      ['--crate-digest', 'md5:abc', 'x.bin'],
      ['--crate-digest', `sha256:${'AB'.repeat(32)}`, 'x.bin'],
      ['--share', 'world', 'x.bin'],
      ['--bogus\u001b[2J'],
    ]) {
      let error: unknown;
      try {
        parseRunnerArgs(argv);
      } catch (caught) {
        error = caught;
      }
      expect(isHpcError(error, 'RunnerUsageError'), argv.join(' ')).toBe(true);
      expect(String(error)).not.toContain('\u001b');
    }
    expect(() =>
      formatRunnerArgs({
        imports: [],
        crate: 'x',
        object: undefined,
        jobDir: undefined,
        crateDigest: 'sha256:1' as never,
      }),
    ).toThrow(/--crate-digest/);
  });
});

describe('node-runner', () => {
  it('checks the crate against --crate-digest: runs a match, refuses a change with exit 2 and crate-changed', async () => {
    const crate = join(jobDir, 'process.bin');
    await Serializer.serializeToFile(new SleepProcess(5), crate);
    const digest = await digestOfFile(crate);
    const { file, args } = runnerCommand({
      imports: FIXTURES,
      crate,
      object: undefined,
      jobDir: undefined,
      crateDigest: digest,
    });
    expect((await execa(file, args, { reject: false })).exitCode).toBe(0);
    expect(await readResult(jobDir)).toBe(5);

    await Serializer.serializeToFile(new SleepProcess(6), crate);
    const changed = await execa(file, args, { reject: false });
    expect(changed.exitCode).toBe(2);
    expect(changed.stderr).toMatch(/crate-changed.*the crate changed after submission; resubmit/);
    expect(await readOutcome(jobDir)).toMatchObject({
      status: 'failed',
      reason: 'crate-changed',
      error: { name: 'CrateChangedError', message: expect.stringContaining(digest) },
    });
  });

  it('on SIGUSR1 lets a Process without checkpoint() finish, noting warnedAt', async () => {
    const crate = join(jobDir, 'process.bin');
    await Serializer.serializeToFile(new SleepProcess(1_500), crate);
    const { file, args } = runnerCommand({ imports: FIXTURES, crate, object: undefined, jobDir: undefined });
    const child = execa(file, args, { reject: false });
    await waitFor(
      async () => (await readFile(join(jobDir, 'stdout.log')).catch(() => undefined)) !== undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGUSR1');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(await readResult(jobDir)).toBe(1_500);
    const outcome = await readOutcome(jobDir);
    expect(outcome).toMatchObject({ status: 'ok', warnedAt: expect.any(String) });
    expect(Date.parse(outcome?.warnedAt as string)).toBeLessThan(
      Date.parse(outcome?.finishedAt as string) - 500,
    );
  });

  it('gives run() the --job-id as ctx.jobId', async () => {
    const { run: result } = await run(new ContextProcess(), { jobId: 'local-42' });
    expect(result.exitCode).toBe(0);
    expect(await readResult(jobDir)).toEqual({ jobId: 'local-42', jobDir });
    expect(await readOutcome(jobDir)).toMatchObject({ jobId: 'local-42' });
  });

  it('says in one line which outcome could not be written when the disk is full, and exits 2', async () => {
    const disk = await mountTmpfs(1 << 20);
    try {
      const folder = join(disk.path, 'job');
      await mkdir(folder);
      const { run: result } = await run(new DiskFillerProcess(), {}, folder);
      expect(result.exitCode).toBe(2);
      const lines = result.stderr.split('\n').filter((line) => line.includes('outcome'));
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^node-runner: the job's outcome was not recorded: cannot write ${folder}/outcome\\.json: no space left on device`,
          ),
        ),
      ]);
      await expect(readFile(join(folder, 'outcome.json'))).rejects.toThrow(/ENOENT/);
    } finally {
      await disk.unmount();
    }
  });

  it('says so when the job folder cannot even be made (a file is in its way), and exits 2', async () => {
    const blocker = join(jobDir, 'not-a-folder');
    await writeFile(blocker, 'a file where the job folder should be');
    const crate = join(jobDir, 'process.bin');
    await Serializer.serializeToFile(new SleepProcess(1), crate);
    const { file, args } = runnerCommand({
      imports: FIXTURES,
      crate,
      object: undefined,
      jobDir: join(blocker, 'job'),
    });
    const result = await execa(file, args, { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /outcome was not recorded: cannot write .*not-a-folder\/job\/outcome\.json: a part of the path is not a folder/,
    );
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
