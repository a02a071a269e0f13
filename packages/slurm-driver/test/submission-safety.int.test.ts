import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHpcError, type JobId } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvalidJobSettingError, SchedulerUnavailableError } from '../src/errors.ts';
import { readJobRecord } from '../src/job-record.ts';
import { SLURM_JOB_FILES } from '../src/sbatch-script.ts';
import { SLURMDriver, type SLURMDriverOptions } from '../src/slurm-driver.ts';
import {
  eventually,
  exited,
  fakeSlurmBin,
  killGroup,
  REPO_ROOT,
  rejectionOf,
  requireCluster,
  scontrol,
  spawnNodeScript,
  waitForState,
} from './cluster-helpers.ts';
import { AddNumbers, SleepFor } from './fixtures/slurm-processes.ts';

const SRC = JSON.stringify(`${REPO_ROOT}packages/slurm-driver/src/index.ts`);
const FIXTURES = JSON.stringify(`${REPO_ROOT}packages/slurm-driver/test/fixtures/slurm-processes.ts`);
const newHome = (label: string) => mkdtempSync(join(tmpdir(), `hpc-slurm-${label}-`));
const jobsRootOf = (home: string) => join(home, 'slurm', 'jobs');
/** What is left under a jobs root (missing = nothing). */
const leftovers = (home: string) => (existsSync(jobsRootOf(home)) ? readdirSync(jobsRootOf(home)) : []);
const modeOf = (path: string) => statSync(path).mode & 0o777;

/**
 * Submissions that are all or nothing, never leave an untracked job, give SLURM paths it cannot
 * misread, private files, and a checkpoint warning that never cuts a fitting job short — on the real
 * cluster, with failure injection (a fake sbatch around the real one) where SLURM would need bad luck.
 */
describe('SLURMDriver submissions on the real cluster', () => {
  const drivers: SLURMDriver[] = [];
  const submitted: JobId[] = [];
  const driverFor = (home: string, options: SLURMDriverOptions = {}) => {
    const driver = new SLURMDriver({
      home,
      storePath: join(home, 'index.sqlite'),
      polling: { minIntervalMs: 200 },
      ...options,
    });
    drivers.push(driver);
    return driver;
  };
  let shortLimit: { driver: SLURMDriver; id: JobId };

  beforeAll(async () => {
    requireCluster();
    // The slow one first: it runs while the others do.
    const driver = driverFor(newHome('short'));
    const id = await driver.submitJob(new SleepFor(30), {
      name: 'int-short-limit',
      slurmArgs: { time: '00:02:00' },
    });
    shortLimit = { driver, id };
    submitted.push(id);
  });

  afterAll(() => {
    for (let i = 0; i < submitted.length; i += 200) {
      try {
        execFileSync('scancel', submitted.slice(i, i + 200), { stdio: 'ignore' });
      } catch {
        // Finished already.
      }
    }
    for (const driver of drivers) driver.close();
  });

  it('escapes %j, % and spaces in job paths: the job runs and its logs land at the literal path', async () => {
    const home = join(newHome('pct'), 'home %j 100% done');
    const driver = driverFor(home);
    const id = await driver.submitJob(new AddNumbers(4, 5), { name: 'pct' });
    submitted.push(id);
    expect(await driver.waitForJob(id, { timeoutMs: 60_000 })).toMatchObject({ status: 'completed' });
    expect(await driver.getResult(id)).toMatchObject({ sum: 9 });
    expect(await driver.logs(id)).toContain('adding 4 + 5');
    const [job] = await driver.listJobs();
    expect(job?.jobDir.startsWith(jobsRootOf(home))).toBe(true);
    expect(readFileSync(join(job?.jobDir as string, SLURM_JOB_FILES.stdout), 'utf8')).toContain(
      'adding 4 + 5',
    );
    expect(readFileSync(join(job?.jobDir as string, SLURM_JOB_FILES.script), 'utf8')).toContain(
      'home %%j 100%% done',
    );
  });

  it('keeps every file private whatever the umask (job.out/job.err too, after the job wrote them)', async () => {
    const home = newHome('modes');
    const previous = process.umask(0);
    try {
      const driver = driverFor(home);
      const id = await driver.submitJob(new AddNumbers(1, 2), { name: 'modes' });
      submitted.push(id);
      expect(await driver.waitForJob(id, { timeoutMs: 60_000 })).toMatchObject({ status: 'completed' });
      const [job] = await driver.listJobs();
      const jobDir = job?.jobDir as string;
      expect(await driver.logs(id)).toContain('adding 1 + 2');
      expect(modeOf(join(home, 'slurm'))).toBe(0o700);
      expect(modeOf(jobsRootOf(home))).toBe(0o700);
      expect(modeOf(jobDir)).toBe(0o700);
      for (const file of [SLURM_JOB_FILES.script, 'job.json', SLURM_JOB_FILES.stdout, SLURM_JOB_FILES.stderr])
        expect([file, modeOf(join(jobDir, file))]).toEqual([file, 0o600]);
      expect(modeOf(driver.storePath)).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('validates every setting before any folder exists, and removes the folder of a refused or failed submission', async () => {
    const home = newHome('aon');
    const driver = driverFor(home);
    const bidi = await rejectionOf<InvalidJobSettingError>(
      driver.submitJob(new AddNumbers(), { name: 'inv\u202Eoice' }),
    );
    expect(bidi).toMatchObject({
      _tag: 'InvalidJobSettingError',
      setting: 'name',
      problem: 'format-character',
    });
    const module = await rejectionOf<InvalidJobSettingError>(
      driver.submitJob(new AddNumbers(), { modules: ['gcc\u2066'] }),
    );
    expect(module).toMatchObject({ setting: 'modules[0]' });
    const backslash = await rejectionOf<InvalidJobSettingError>(
      driver.submitJob(new AddNumbers(), { jobsRoot: join(home, 'a\\b') }),
    );
    expect(backslash).toMatchObject({ setting: 'jobsRoot' });
    expect(existsSync(jobsRootOf(home))).toBe(false); // nothing was created at all

    for (const slurmArgs of [{ mem: '100G' }, { partition: 'nosuch' }]) {
      const refused = await rejectionOf(driver.submitJob(new AddNumbers(), { slurmArgs }));
      expect(isHpcError(refused, 'SubmissionRefusedError')).toBe(true);
    }
    // Staging fails (the crate does not exist) after the folder was made.
    await rejectionOf(driver.submitJob(join(home, 'no-such-crate.bin')));
    expect(leftovers(home)).toEqual([]);
    expect(await driver.listJobs()).toEqual([]);
    expect((await driver.reconcileSubmissions()).kept).toEqual([]);
  });

  it('removes the folder when the submitter is interrupted (SIGINT) before sbatch runs', async () => {
    const home = newHome('sigint-stage');
    // 400 MB to serialize: the interrupt lands while the job is being staged.
    const child = spawnNodeScript(`
      const { SLURMDriver } = await import(${SRC});
      const { AddNumbers } = await import(${FIXTURES});
      const big = new AddNumbers(1, 1);
      big.blob = new Float64Array(50_000_000).fill(1.5);
      const driver = new SLURMDriver({ home: ${JSON.stringify(home)}, storePath: ${JSON.stringify(join(home, 'index.sqlite'))} });
      await driver.submitJob(big, { slurmArgs: { hold: true } });
      console.log('SUBMITTED');
    `);
    const done = exited(child);
    await eventually(() => (leftovers(home).length > 0 ? true : undefined), 30_000, 'the job folder');
    child.kill('SIGINT');
    const result = await done;
    killGroup(child);
    expect(result.stdout).not.toContain('SUBMITTED');
    expect(result.signal).toBe('SIGINT');
    expect(leftovers(home)).toEqual([]);
  });

  it('never leaves an untracked job when the submitter is interrupted or killed while sbatch runs', async () => {
    const run = async (signal: NodeJS.Signals) => {
      // The real sbatch queues the job (its id goes to a mark file), then the fake one hangs.
      const marks = mkdtempSync(join(tmpdir(), 'hpc-marks-'));
      const bin = fakeSlurmBin(`out=$("$REAL_SBATCH" "$@"); rc=$?
printf '%s' "$out" > ${JSON.stringify(marks)}.tmp && mv ${JSON.stringify(marks)}.tmp ${JSON.stringify(marks)}/id; sleep 60; printf '%s\\n' "$out"; exit $rc`);
      const home = newHome(`kill-${signal}`);
      const child = spawnNodeScript(`
        const { SLURMDriver } = await import(${SRC});
        const { AddNumbers } = await import(${FIXTURES});
        const driver = new SLURMDriver({ home: ${JSON.stringify(home)}, binDir: ${JSON.stringify(bin)}, storePath: ${JSON.stringify(join(home, 'index.sqlite'))} });
        console.log(await driver.submitJob(new AddNumbers(6, 7), { slurmArgs: { hold: true } }));
      `);
      const done = exited(child);
      const mark = await eventually(() => readdirSync(marks)[0], 30_000, 'the real sbatch');
      const queuedId = readFileSync(join(marks, mark), 'utf8').trim();
      submitted.push(queuedId as JobId);
      child.kill(signal);
      const result = await done;
      killGroup(child);
      expect(result.signal).toBe(signal);
      // The intent is on disk; a new driver finds the job by its token and tracks it exactly once.
      const driver = driverFor(home);
      const report = await driver.reconcileSubmissions();
      expect(report.adopted.map((a) => a.id)).toEqual([queuedId]);
      const jobs = await driver.listJobs();
      expect(jobs.map((job) => job.id)).toEqual([queuedId]);
      expect(readJobRecord(jobs[0]?.jobDir as string)).toMatchObject({ id: queuedId, idFrom: 'lookup' });
      expect(await waitForState(driver, queuedId, (s) => s.status === 'pending')).toMatchObject({
        reason: 'JobHeldUser',
      });
      expect((await driverFor(home).listJobs()).length).toBe(1);
    };
    await Promise.all([run('SIGINT'), run('SIGKILL')]);
  });

  it('finds the job when sbatch times out, or fails, after queuing it', async () => {
    const hang = fakeSlurmBin(`"$REAL_SBATCH" "$@"; exec sleep 60`);
    const fail = fakeSlurmBin(
      `"$REAL_SBATCH" "$@" >/dev/null; echo 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation' >&2; exit 1`,
    );
    for (const binDir of [hang, fail]) {
      const home = newHome('lookup');
      const driver = driverFor(home, { binDir, commandTimeoutMs: 4_000 });
      const id = await driver.submitJob(new AddNumbers(8, 9), { slurmArgs: { hold: true } });
      submitted.push(id);
      expect(scontrol('show', 'job', id)).toMatch(/JobState=PENDING/);
      const jobs = await driverFor(home).listJobs();
      expect(jobs.map((job) => job.id)).toEqual([id]);
      expect(readJobRecord(jobs[0]?.jobDir as string)).toMatchObject({ idFrom: 'lookup' });
    }
  });

  it('drops a submission SLURM provably never got, with its folder', async () => {
    const home = newHome('never');
    const bin = fakeSlurmBin('exec sleep 60');
    const driver = driverFor(home, { binDir: bin, commandTimeoutMs: 2_000, reconcile: { graceMs: 0 } });
    const error = await rejectionOf<SchedulerUnavailableError>(driver.submitJob(new AddNumbers()));
    expect(error).toMatchObject({ _tag: 'SchedulerUnavailableError', reason: 'timeout' });
    expect(error.message).toMatch(/may still have been queued: .* is kept/);
    expect(leftovers(home).length).toBe(1);
    const report = await driver.reconcileSubmissions();
    expect(report.dropped.length).toBe(1);
    expect(leftovers(home)).toEqual([]);
    expect(await driver.listJobs()).toEqual([]);
  });

  it('tracks every job once when two driver processes submit at the same time', async () => {
    const home = newHome('two');
    const storePath = join(home, 'index.sqlite');
    const script = `
      const { SLURMDriver } = await import(${SRC});
      const { AddNumbers } = await import(${FIXTURES});
      const driver = new SLURMDriver({ home: ${JSON.stringify(home)}, storePath: ${JSON.stringify(storePath)} });
      const ids = await Promise.all(Array.from({ length: 15 }, (_, i) => driver.submitJob(new AddNumbers(i, 0), { slurmArgs: { hold: true } })));
      console.log(JSON.stringify(ids));
    `;
    const results = await Promise.all([exited(spawnNodeScript(script)), exited(spawnNodeScript(script))]);
    const ids = results.flatMap(
      (result) => JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as string[],
    );
    submitted.push(...(ids as JobId[]));
    expect(ids.length).toBe(30);
    const sameHost = (await driverFor(home, { storePath }).listJobs()).map((job) => job.id);
    expect(sameHost.sort()).toEqual([...ids].sort());
    // Another host: its own index, built from the folders.
    const otherHost = driverFor(home, { storePath: join(home, 'other-host.sqlite') });
    expect((await otherHost.listJobs()).map((job) => job.id).sort()).toEqual([...ids].sort());
    const states = await otherHost.checkAllJobStatuses();
    expect([...states.values()].every((state) => state.status === 'pending')).toBe(true);
  });

  it('survives a corrupt index and a truncated outcome.json: the others are answered', async () => {
    const home = newHome('damage');
    const driver = driverFor(home);
    const held = await driver.submitJob(new AddNumbers(1, 1), { slurmArgs: { hold: true } });
    const other = await driver.submitJob(new AddNumbers(2, 2), { slurmArgs: { hold: true } });
    submitted.push(held, other);
    driver.close();
    writeFileSync(driver.storePath, Buffer.alloc(32 * 1024, 0xa5));
    const [heldJob] = (await driverFor(home).listJobs()).filter((job) => job.id === held);
    const outcome = join(heldJob?.jobDir as string, 'outcome.json');
    writeFileSync(outcome, '{"version":1,"status":"o');

    const states = await driverFor(home).checkAllJobStatuses();
    expect(states.size).toBe(2);
    expect(states.get(other)).toMatchObject({ status: 'pending', reason: 'JobHeldUser' });
    const damaged = states.get(held);
    expect(damaged?.status).toBe('unknown');
    expect(damaged && 'reason' in damaged ? damaged.reason : '').toContain(outcome);
    expect(damaged).toMatchObject({ unreadable: { file: outcome } });
    await expect(driverFor(home).getResult(held)).rejects.toMatchObject({
      _tag: 'JobUnreadableError',
      file: outcome,
    });
  });

  it('lets a 30 s job with a 2-minute limit finish: its warning comes 20-50 s before the limit, no timeout', async () => {
    const { driver, id } = shortLimit;
    const [job] = await driver.listJobs();
    // A sixth of the limit (checkpointLeadSeconds): SLURM's 30 s check sends it 70-100 s into the run.
    expect(readFileSync(join(job?.jobDir as string, SLURM_JOB_FILES.script), 'utf8')).toContain(
      '--signal="B:USR1@20"',
    );
    const state = await driver.waitForJob(id, { timeoutMs: 150_000 });
    expect(state).toMatchObject({ status: 'completed' });
    expect(await driver.getResult(id)).toBe('slept 30 s');
    expect(state.elapsedMs ?? 0).toBeGreaterThanOrEqual(29_000);
  });
});
