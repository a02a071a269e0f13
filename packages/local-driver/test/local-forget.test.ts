import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDriver } from '@hpc/local-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EchoProcess, ForeverProcess } from '../../../test/fixtures/processes.ts';
import { cancelUnfinished } from './helpers.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-forget-'));
});
afterEach(() => cancelUnfinished(root));

const jobsOf = (driver: LocalDriver) => driver.listJobs().then((jobs) => jobs.map((job) => String(job.id)));

describe('LocalDriver.forgetJobs', () => {
  it('removes a finished job; its id, even the newest one, is never given again (also by another driver)', async () => {
    const driver = new LocalDriver({ root });
    const first = await driver.submitJob(new EchoProcess('a'));
    const second = await driver.submitJob(new EchoProcess('b'));
    await driver.waitForJobs([first, second]);
    const report = await driver.forgetJobs([second]);
    expect(report).toEqual({
      removed: [{ id: second, ids: [second], jobDir: driver.jobDirOf(second) }],
      refused: [],
    });
    expect(existsSync(driver.jobDirOf(second))).toBe(false);
    expect(await jobsOf(driver)).toEqual([first]);
    // The driver that ran it forgets it too.
    await expect(driver.checkJobStatus(second)).rejects.toMatchObject({ _tag: 'JobNotFoundError' });
    const next = await new LocalDriver({ root }).submitJob(new EchoProcess('c'));
    expect(next).not.toBe(second);
    expect(Number(next.slice('local-'.length))).toBe(Number(second.slice('local-'.length)) + 1);
    await driver.waitForJob(next);
    // Forgetting everything still leaves the mark: the next id goes on counting.
    await driver.forgetJobs([first, next]);
    expect(await jobsOf(driver)).toEqual([]);
    const after = await driver.submitJob(new EchoProcess('d'));
    expect(Number(after.slice('local-'.length))).toBe(Number(next.slice('local-'.length)) + 1);
    await driver.waitForJob(after);
  }, 60_000);

  it('refuses a running job, a process of a batch and an unknown id; a batch id removes the whole batch', async () => {
    const driver = new LocalDriver({ root, concurrency: 2, killGraceMs: 200 });
    const ids = await driver.submitJobs([new EchoProcess(1), new EchoProcess(2)]);
    await driver.waitForJobs(ids);
    const batch = (ids[0] as string).split('_')[0] as string;
    const forever = await driver.submitJob(new ForeverProcess());
    const refused = await driver.forgetJobs([ids[0] as string, forever, 'local-999']);
    expect(refused.removed).toEqual([]);
    expect(refused.refused.map((refusal) => [refusal.id, refusal.reason])).toEqual([
      [ids[0], 'batch-member'],
      ['local-999', 'not-tracked'],
      [forever, 'not-final'],
    ]);
    expect(refused.refused[0]?.message).toContain(`hpc forget ${batch}`);
    expect(await jobsOf(driver)).toEqual([...ids, forever]);

    const dry = await driver.forgetJobs([batch], { dryRun: true });
    expect(dry.removed).toEqual([{ id: batch, ids, jobDir: driver.jobDirOf(batch) }]);
    expect(existsSync(driver.jobDirOf(batch))).toBe(true);
    const done = await driver.forgetJobs([batch]);
    expect(done.removed.map((job) => job.ids)).toEqual([ids]);
    expect(await jobsOf(driver)).toEqual([forever]);
  }, 60_000);

  it('keeps an upstream while a job that names it has not finished', async () => {
    const driver = new LocalDriver({ root, killGraceMs: 200 });
    const upstream = await driver.submitJob(new EchoProcess('u'));
    await driver.waitForJob(upstream);
    const dependent = await driver.submitJob(new ForeverProcess(), { afterAny: [upstream] });
    const report = await driver.forgetJobs([upstream]);
    expect(report.refused).toEqual([
      expect.objectContaining({
        id: upstream,
        reason: 'has-dependents',
        message: expect.stringContaining(dependent),
      }),
    ]);
    expect(existsSync(driver.jobDirOf(upstream))).toBe(true);
    await driver.cancelJob(dependent);
    await driver.waitForJob(dependent);
    expect((await driver.forgetJobs([upstream])).removed.map((job) => job.id)).toEqual([upstream]);
  }, 60_000);

  it('refuses a job folder that is a symbolic link out of the home and keeps its target', async () => {
    const driver = new LocalDriver({ root });
    const id = await driver.submitJob(new EchoProcess('x'));
    await driver.waitForJob(id);
    const outside = await mkdtemp(join(tmpdir(), 'hpc-local-outside-'));
    const target = join(outside, id);
    await rename(driver.jobDirOf(id), target);
    await symlink(target, driver.jobDirOf(id));
    expect((await driver.checkJobStatus(id)).status).toBe('completed');
    const report = await driver.forgetJobs([id]);
    expect(report.refused).toEqual([
      expect.objectContaining({
        id,
        reason: 'outside-home',
        message: expect.stringContaining('symbolic link'),
      }),
    ]);
    expect(existsSync(join(target, 'job.json'))).toBe(true);
  }, 60_000);

  it('finishes a tombstone an interrupted forget left, which no listing ever showed', async () => {
    const driver = new LocalDriver({ root });
    const id = await driver.submitJob(new EchoProcess('y'));
    await driver.waitForJob(id);
    const stale = join(root, 'jobs', '.forgotten-local-77');
    await mkdir(stale);
    await writeFile(join(stale, 'job.json'), '{}');
    expect(await jobsOf(driver)).toEqual([id]);
    await driver.forgetJobs([id]);
    expect((await readdir(join(root, 'jobs'))).filter((name) => !name.startsWith('.ids-used-to-'))).toEqual(
      [],
    );
  }, 60_000);
});
