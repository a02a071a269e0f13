import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOfFile, JobContainer, jobPaths, readOutcome, readResult } from '@hpc/container';
import type { RunOutcome } from '@hpc/core';
import { Serializer } from '@hpc/serializer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForeverProcess, SleepProcess, SumProcess } from '../../../test/fixtures/processes.ts';
import { mountTmpfs } from '../../../test/fixtures/tmpfs.ts';
import { BigResultProcess } from '../../../test/fixtures/trust-processes.ts';

let jobDir: string;
let umaskBefore: number;
beforeEach(async () => {
  jobDir = await mkdtemp(join(tmpdir(), 'hpc-container-trust-'));
  umaskBefore = process.umask();
});
afterEach(() => {
  process.umask(umaskBefore);
});

async function crateOf(value: unknown, folder = jobDir): Promise<string> {
  const crate = join(folder, 'process.bin');
  await Serializer.serializeToFile(value, crate);
  return crate;
}

function failure(outcome: RunOutcome) {
  if (outcome.status !== 'failed' || outcome.kind !== 'infrastructure')
    throw new Error(JSON.stringify(outcome));
  return outcome;
}

describe('JobContainer: the crate digest', () => {
  it('runs a crate that matches its digest', async () => {
    const crate = await crateOf(new SleepProcess(1));
    const outcome = await new JobContainer(crate, {
      crateDigest: await digestOfFile(crate),
      passThroughOutput: false,
    }).execute();
    expect(outcome.status).toBe('ok');
  });

  it('refuses a crate changed since its digest was taken, naming the file and both digests', async () => {
    const crate = await crateOf(new SleepProcess(1));
    const submitted = await digestOfFile(crate);
    await Serializer.serializeToFile(new SleepProcess(2), crate);
    const now = await digestOfFile(crate);
    const outcome = failure(
      await new JobContainer(crate, { crateDigest: submitted, passThroughOutput: false }).execute(),
    );
    expect(outcome.reason).toBe('crate-changed');
    expect(outcome.error.name).toBe('CrateChangedError');
    expect(outcome.error.message).toContain(crate);
    expect(outcome.error.message).toContain(submitted);
    expect(outcome.error.message).toContain(now);
    expect(outcome.error.message).toMatch(/the crate changed after submission; resubmit/);
    expect(existsSync(jobPaths(jobDir).result)).toBe(false);
  });
});

describe('JobContainer: private files', () => {
  for (const umask of [0o000, 0o077]) {
    it(`creates result, outcome, logs 0600 and work/ 0700 under umask ${umask.toString(8).padStart(3, '0')}`, async () => {
      process.umask(umask);
      const crate = await crateOf(new SumProcess());
      expect((await new JobContainer(crate, { passThroughOutput: false }).execute()).status).toBe('ok');
      const paths = jobPaths(jobDir);
      const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
      for (const file of [paths.result, paths.outcome, paths.stdout, paths.stderr])
        expect(await modeOf(file), file).toBe(0o600);
      expect(await modeOf(paths.workDir)).toBe(0o700);
    });
  }

  it("shares with the group when asked (share: 'group')", async () => {
    process.umask(0o022);
    const crate = await crateOf(new SumProcess());
    await new JobContainer(crate, { passThroughOutput: false, share: 'group' }).execute();
    const paths = jobPaths(jobDir);
    expect((await stat(paths.outcome)).mode & 0o777).toBe(0o640);
    expect((await stat(paths.stdout)).mode & 0o777).toBe(0o640);
    expect((await stat(paths.workDir)).mode & 0o777).toBe(0o750);
  });
});

describe('JobContainer on a full disk', () => {
  it("records a result that does not fit as 'result-write-failed' with its errno, leaving no temp file", async () => {
    const disk = await mountTmpfs(1 << 20);
    try {
      const folder = join(disk.path, 'job');
      await mkdir(folder);
      const crate = await crateOf(new BigResultProcess(4 << 20), folder);
      const outcome = failure(await new JobContainer(crate, { passThroughOutput: false }).execute());
      expect(outcome).toMatchObject({ reason: 'result-write-failed', errno: 'ENOSPC' });
      expect(outcome.error.name).toBe('FileWriteError');
      expect(outcome.error.message).toContain(jobPaths(folder).result);
      expect(outcome.error.message).toMatch(/no space left on device/);
      expect(await readOutcome(folder)).toEqual(outcome);
      expect((await readdir(folder)).sort()).toEqual([
        'outcome.json',
        'process.bin',
        'stderr.log',
        'stdout.log',
        'work',
      ]);
    } finally {
      await disk.unmount();
    }
  });

  it('throws a FileWriteError naming outcome.json when the outcome itself cannot be written', async () => {
    const disk = await mountTmpfs(256 << 10);
    try {
      const folder = join(disk.path, 'job');
      await mkdir(folder);
      const crate = await crateOf(new SleepProcess(1), folder);
      await writeFile(join(disk.path, 'filler'), Buffer.alloc(256 << 10)).catch(() => {});
      const error = await new JobContainer(crate, { passThroughOutput: false })
        .execute()
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ _tag: 'FileWriteError', code: 'ENOSPC', file: jobPaths(folder).outcome });
    } finally {
      await disk.unmount();
    }
  });
});

describe('JobContainer: the time-limit warning', () => {
  it('lets a Process without checkpoint() run on, noting when the warning came', async () => {
    const crate = await crateOf(new SleepProcess(300));
    const container = new JobContainer(crate, { passThroughOutput: false });
    const running = container.execute();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const warned = Date.now();
    await container.warnOfTimeLimit();
    const outcome = await running;
    expect(outcome.status).toBe('ok');
    expect(await readResult(jobDir)).toBe(300);
    expect(Math.abs(Date.parse(outcome.warnedAt as string) - warned)).toBeLessThan(1_000);
    expect(await readFile(jobPaths(jobDir).stderr, 'utf8')).toMatch(/no checkpoint\(\), so it keeps running/);
  });

  it("checkpoints and stops a Process with checkpoint(), as 'time-limit'", async () => {
    const checkpointFile = join(jobDir, 'ckpt');
    const crate = await crateOf(new ForeverProcess(true, checkpointFile));
    const container = new JobContainer(crate, { passThroughOutput: false });
    const running = container.execute();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await container.warnOfTimeLimit();
    const outcome = failure(await running);
    expect(outcome).toMatchObject({ reason: 'signalled', interruption: 'time-limit' });
    expect(outcome.warnedAt).toBeDefined();
    expect(await readFile(checkpointFile, 'utf8')).toBe('checkpointed');
  });
});
