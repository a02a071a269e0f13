import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHpcError, type JobId } from '@hpc/core';
import { LocalDriver } from '@hpc/local-driver';
import { Serializer } from '@hpc/serializer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SleepProcess, SumProcess } from '../../../test/fixtures/processes.ts';
import { mountTmpfs } from '../../../test/fixtures/tmpfs.ts';
import {
  ContextProcess,
  DiskFillerProcess,
  LabelProcess,
  UnplacedProcess,
} from '../../../test/fixtures/trust-processes.ts';
import { cancelUnfinished, waitUntil } from './helpers.ts';

let root: string;
let umaskBefore: number;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-trust-'));
  umaskBefore = process.umask();
});
afterEach(async () => {
  process.umask(umaskBefore);
  await cancelUnfinished(root);
});

const jobDir = (id: string) => join(root, 'jobs', id);
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const record = async (id: string) => JSON.parse(await readFile(join(jobDir(id), 'job.json'), 'utf8'));

describe('LocalDriver runs exactly the submitted bytes', () => {
  it('records the crate digest and runs the copy it staged, whatever happens to the original', async () => {
    const driver = new LocalDriver({ root, concurrency: 1 });
    const blocker = await driver.submitJob(new SleepProcess(1_000));
    const original = join(root, 'mine.bin');
    await Serializer.serializeToFile(new LabelProcess('submitted'), original);
    const id = await driver.submitJob(original);
    const digest = `sha256:${createHash('sha256')
      .update(await readFile(original))
      .digest('hex')}`;
    expect((await record(id)).crateDigest).toBe(digest);
    // Edited in place (same inode) while the job waits: the job does not see it.
    const other = join(root, 'other.bin');
    await Serializer.serializeToFile(new LabelProcess('edited'), other);
    await writeFile(original, await readFile(other));
    expect(await driver.waitForJob(id, { timeoutMs: 20_000 })).toMatchObject({ status: 'completed' });
    expect(await driver.getResult(id)).toBe('submitted');
    expect(await driver.waitForJob(blocker)).toMatchObject({ status: 'completed' });
  });

  it("refuses a job folder's crate rewritten in place or replaced after submission (crate-changed)", async () => {
    const driver = new LocalDriver({ root, concurrency: 1 });
    const blocker = await driver.submitJob(new SleepProcess(1_500));
    const inPlace = await driver.submitJob(new LabelProcess('a'));
    const replaced = await driver.submitJob(new LabelProcess('b'));
    const other = join(root, 'other.bin');
    await Serializer.serializeToFile(new LabelProcess('not submitted'), other);
    // `cat other > process.bin`: same file, new bytes.
    await writeFile(join(jobDir(inPlace), 'process.bin'), await readFile(other));
    // `mv other process.bin`: a new file in its place.
    await cp(other, join(jobDir(replaced), 'replacement'));
    await rename(join(jobDir(replaced), 'replacement'), join(jobDir(replaced), 'process.bin'));
    for (const id of [inPlace, replaced]) {
      const state = await driver.waitForJob(id, { timeoutMs: 20_000 });
      expect(state, id).toMatchObject({ status: 'failed', cause: 'infrastructure', exitCode: 2 });
      if (state.status === 'failed')
        expect(state.message).toMatch(/^crate-changed: CrateChangedError: .*resubmit/);
      const error = await driver.getResult(id).catch((e: unknown) => e);
      expect(error).toMatchObject({ remote: { name: 'CrateChangedError' } });
    }
    await driver.waitForJob(blocker);
  });
});

describe('LocalDriver files are private', () => {
  for (const umask of [0o000, 0o077]) {
    it(`creates folders 0700 and every file 0600 under umask ${umask.toString(8).padStart(3, '0')}`, async () => {
      process.umask(umask);
      const home = join(root, 'home');
      const driver = new LocalDriver({ root: home });
      const id = await driver.submitJob(new SumProcess(), { env: { DB_PASSWORD: 'secret' } });
      expect(await driver.waitForJob(id)).toMatchObject({ status: 'completed' });
      const dir = join(home, 'jobs', id);
      for (const folder of [home, join(home, 'jobs'), dir, join(dir, 'work')])
        expect(await modeOf(folder), folder).toBe(0o700);
      const files = (await readdir(dir)).filter((name) => name !== 'work').sort();
      expect(files).toEqual([
        'job.err',
        'job.json',
        'job.out',
        'outcome.json',
        'process.bin',
        'result.bin',
        'stderr.log',
        'stdout.log',
      ]);
      for (const file of files) expect(await modeOf(join(dir, file)), file).toBe(0o600);
    });
  }

  it("shares with the group when asked (share: 'group'): folders 0750, files 0640", async () => {
    process.umask(0o022);
    const driver = new LocalDriver({ root, share: 'group' });
    const id = await driver.submitJob(new SumProcess());
    await driver.waitForJob(id);
    expect(await modeOf(jobDir(id))).toBe(0o750);
    for (const file of ['job.json', 'job.out', 'process.bin', 'outcome.json', 'result.bin', 'stdout.log'])
      expect(await modeOf(join(jobDir(id), file)), file).toBe(0o640);
  });
});

describe('LocalDriver submission is all or nothing', () => {
  it('refuses bad settings with a typed error naming the setting, creating nothing', async () => {
    const driver = new LocalDriver({ root });
    const refused: [Parameters<LocalDriver['submitJob']>[1], string][] = [
      [{ name: 'report\u202Etxt.exe' }, 'name'],
      [{ name: 'two\nlines' }, 'name'],
      [{ env: { 'BAD-NAME': 'x' } }, 'env.BAD-NAME'],
      [{ env: { OK: 'nul\u0000inside' } }, 'env.OK'],
      [{ slurmArgs: { time: '1h' } }, 'slurmArgs.time'],
      [{ checkpointSignalSeconds: -1 }, 'checkpointSignalSeconds'],
      [{ imports: ['./x\u001b.js'] }, 'imports[0]'],
    ];
    for (const [options, setting] of refused) {
      const error = await driver.submitJob(new SumProcess(), options).catch((e: unknown) => e);
      expect(isHpcError(error, 'InvalidJobSettingError'), `${setting}: ${String(error)}`).toBe(true);
      expect(error).toMatchObject({ setting });
    }
    expect(existsSync(join(root, 'jobs')) ? await readdir(join(root, 'jobs')) : []).toEqual([]);
  });

  it('removes the local-N folder when staging fails, and the next job takes its id', async () => {
    const driver = new LocalDriver({ root });
    await expect(driver.submitJob(new UnplacedProcess())).rejects.toMatchObject({
      _tag: 'MissingModuleError',
    });
    await expect(driver.submitJob(join(root, 'absent.bin'))).rejects.toMatchObject({
      _tag: 'FileMissingError',
    });
    expect(await readdir(join(root, 'jobs'))).toEqual([]);
    expect(await driver.submitJob(new SleepProcess(1))).toBe('local-1');
  });
});

describe('LocalDriver survives one job’s fault', () => {
  it('goes on when a running job’s folder is deleted and another job fills its disk', async () => {
    const driver = new LocalDriver({ root, concurrency: 1, killGraceMs: 500 });
    const vanishing = await driver.submitJob(new LabelProcess('vanishing', 1_500));
    const filler = await driver.submitJob(new DiskFillerProcess());
    const others = [
      await driver.submitJob(new SleepProcess(10)),
      await driver.submitJob(new SleepProcess(20)),
    ];
    // The filler's folder moves onto its own small disk (the driver keeps its record in memory).
    const disk = await mountTmpfs(2 << 20);
    try {
      await cp(jobDir(filler), disk.path, { recursive: true });
      await rm(jobDir(filler), { recursive: true });
      await mkdir(jobDir(filler));
      await bindMount(disk.path, jobDir(filler));
      try {
        await waitUntil(async () => existsSync(join(jobDir(vanishing), 'work', 'started')));
        await rm(jobDir(vanishing), { recursive: true, force: true });

        expect(await driver.waitForJob(vanishing, { timeoutMs: 20_000 })).toMatchObject({
          status: 'lost',
          reason: expect.stringMatching(/job folder .*local-1 was removed while it ran/),
        });
        expect(await driver.waitForJob(filler, { timeoutMs: 20_000 })).toMatchObject({
          status: 'lost',
          reason: expect.stringMatching(/without writing an outcome.*job\.json.*no space left on device/),
        });
        for (const id of others)
          expect(await driver.waitForJob(id, { timeoutMs: 20_000 }), id).toMatchObject({
            status: 'completed',
          });
        expect(await driver.getResult(others[1] as string)).toBe(20);
      } finally {
        await unmount(jobDir(filler));
      }
    } finally {
      await disk.unmount();
    }
  });
});

describe('LocalDriver status survives one unreadable job', () => {
  it('reports a job with a garbled outcome.json or job.json as unknown, naming the file, and the others as they are', async () => {
    const driver = new LocalDriver({ root });
    const ids = [
      await driver.submitJob(new SleepProcess(1)),
      await driver.submitJob(new SleepProcess(2)),
      await driver.submitJob(new SleepProcess(3)),
    ];
    for (const id of ids) await driver.waitForJob(id);
    const [garbledOutcome, garbledRecord, fine] = ids as [JobId, JobId, JobId];
    const outcomeFile = join(jobDir(garbledOutcome), 'outcome.json');
    await writeFile(outcomeFile, (await readFile(outcomeFile, 'utf8')).slice(0, 40));
    const recordFile = join(jobDir(garbledRecord), 'job.json');
    await writeFile(recordFile, '{"id": "local-2", "driv');
    await mkdir(join(root, 'jobs', 'local-notes')); // not a job folder: neither listed nor fatal
    const states = await new LocalDriver({ root }).checkAllJobStatuses();
    expect([...states.keys()]).toEqual(ids);
    expect(states.get(garbledOutcome)).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining(`cannot read the job outcome ${outcomeFile}: it is not valid JSON`),
      unreadable: { file: outcomeFile, message: expect.stringMatching(/^it is not valid JSON/) },
      name: 'SleepProcess',
    });
    expect(states.get(garbledRecord)).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining(`cannot read the local job record ${recordFile}`),
      unreadable: { file: recordFile, message: expect.stringMatching(/^it is not valid JSON/) },
    });
    expect(states.get(fine)).toMatchObject({ status: 'completed' });
    expect((await new LocalDriver({ root }).listJobs()).map((job) => job.id)).toEqual([garbledOutcome, fine]);

    // Asked one by one, the same states; the calls that need the files fail naming them.
    const other = new LocalDriver({ root });
    for (const id of [garbledOutcome, garbledRecord])
      expect(await other.checkJobStatus(id)).toEqual(states.get(id));
    const unreadable = (file: string, id: string) => ({
      _tag: 'JobUnreadableError',
      jobId: id,
      file,
      message: expect.stringMatching(new RegExp(`^cannot read job ${id}: ${file}: it is not valid JSON`)),
    });
    await expect(other.getResult(garbledOutcome)).rejects.toMatchObject(
      unreadable(outcomeFile, garbledOutcome),
    );
    await expect(other.waitForJob(garbledOutcome)).rejects.toMatchObject(
      unreadable(outcomeFile, garbledOutcome),
    );
    await expect(other.getResult(garbledRecord)).rejects.toMatchObject(unreadable(recordFile, garbledRecord));
    await expect(other.logs(garbledRecord)).rejects.toMatchObject(unreadable(recordFile, garbledRecord));
    await expect(other.cancelJob(garbledRecord)).rejects.toMatchObject(unreadable(recordFile, garbledRecord));
  });
});

describe('LocalDriver gives run() its job id', () => {
  it('sets ctx.jobId to the local id', async () => {
    const driver = new LocalDriver({ root });
    const id = await driver.submitJob(new ContextProcess());
    await driver.waitForJob(id);
    expect(await driver.getResult(id)).toEqual({ jobId: id, jobDir: jobDir(id) });
  });
});

async function bindMount(from: string, to: string): Promise<void> {
  const { execa } = await import('execa');
  await execa('mount', ['--bind', from, to]);
}

/** Lazily: a runner that still has files open there must not hide the test's own failure. */
async function unmount(path: string): Promise<void> {
  const { execa } = await import('execa');
  await execa('umount', ['--lazy', path]);
}
