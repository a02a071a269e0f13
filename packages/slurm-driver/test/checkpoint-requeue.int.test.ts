import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpointRecord } from '@hpc/container';
import type { JobAttempt, JobId, JobState } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CounterProcess, type CounterResult } from '../../../test/fixtures/checkpoint-processes.ts';
import { readJobRecord } from '../src/job-record.ts';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { requireCluster, waitForState } from './cluster-helpers.ts';
import { SleepFor } from './fixtures/slurm-processes.ts';

/**
 * Checkpoint and requeue on the real cluster: a Process with checkpoint() is saved at its
 * time-limit warning (SIGUSR1) or preemption (SIGTERM in the `spot` partition, PreemptMode=REQUEUE)
 * and runs again under the same id until it is done; preempted in `spot-cancel` (PreemptMode=CANCEL)
 * it is resubmitted by the driver under a new SLURM id for the same logical id. All jobs are submitted at once and overlap;
 * cred_expire=10 makes a requeued job run again ~12 s later.
 */
describe.concurrent('SLURMDriver: checkpoint and requeue', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-slurm-ckpt-'));
  let driver: SLURMDriver;
  const ids: Record<string, JobId> = {};
  let batch: JobId[] = [];
  /** Every state line the waits saw, per job. */
  const seen: Record<string, string[]> = {};
  const oneMinute = { time: '00:01:00', exclude: 'n3' };

  beforeAll(async () => {
    requireCluster();
    driver = new SLURMDriver({ home, polling: { minIntervalMs: 300 } });
    // 95 s of counting: a 1-minute limit is warned 10 s before it, which SLURM's 30 s check sends
    // 20-50 s into each run, so it takes three or four runs.
    ids.counter = await driver.submitJob(new CounterProcess(95, 1_000), {
      name: 'ckpt-counter',
      slurmArgs: oneMinute,
    });
    ids.plain = await driver.submitJob(new SleepFor(600, true), { name: 'ckpt-plain', slurmArgs: oneMinute });
    // No scontrol on the node (a failing one first on PATH): the runner exits 75, the driver requeues.
    const fakeBin = join(home, 'fake-bin');
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, 'scontrol'), '#!/bin/sh\necho "scontrol: not on this node" >&2\nexit 1\n');
    chmodSync(join(fakeBin, 'scontrol'), 0o755);
    // 55 s of counting: more than one run can do (the warning comes by 50 s), at most three.
    ids.driverRequeue = await driver.submitJob(new CounterProcess(55, 1_000), {
      name: 'ckpt-no-scontrol',
      slurmArgs: oneMinute,
      env: { PATH: `${fakeBin}:${process.env.PATH}` },
    });
    // The whole of n3 in `spot`, so that an `urgent` job can only run by preempting it.
    ids.preempted = await driver.submitJob(new CounterProcess(90, 1_000), {
      name: 'ckpt-spot',
      slurmArgs: { partition: 'spot', 'cpus-per-task': 8, time: '00:05:00' },
    });
    // An array of two: task 0 finishes in its first run, task 1 needs restarts and is requeued alone.
    batch = await driver.submitJobs([new CounterProcess(8, 1_000), new CounterProcess(70, 1_000)], {
      name: 'ckpt-array',
      slurmArgs: oneMinute,
    });
  }, 60_000);
  afterAll(async () => {
    for (const id of [...Object.values(ids), ...batch]) await driver?.cancelJob(id).catch(() => {});
    driver?.close();
  });

  async function finished(name: string, timeoutMs: number): Promise<JobState> {
    seen[name] = [];
    return driver.waitForJob(ids[name] as JobId, {
      timeoutMs,
      maxPollIntervalMs: 2_000,
      onState: (state) => seen[name]?.push(`${state.status} ${state.raw ?? ''}`),
    });
  }
  const jobDirOf = async (name: string) =>
    (await driver.listJobs()).find((job) => job.id === ids[name])?.jobDir as string;
  const attemptsOf = async (name: string): Promise<JobAttempt[]> =>
    readJobRecord(await jobDirOf(name))?.attempts ?? [];

  it('restarts a counter needing three allocations of a 1-minute limit until it is done, exactly', {
    timeout: 420_000,
  }, async () => {
    const state = await finished('counter', 400_000);
    expect(state.status).toBe('completed');
    const result = await driver.getResult<CounterResult>(ids.counter as string);
    expect(result.count).toBe(95);
    expect(result.sum).toBe((95 * 94) / 2);
    const restarts = result.restartsSeen.length - 1;
    expect(restarts).toBeGreaterThanOrEqual(2);
    expect(restarts).toBeLessThanOrEqual(3);
    expect(result.restartsSeen).toEqual([...Array(restarts + 1).keys()]);
    // Every restart is in the record and in the status.
    const attempts = await attemptsOf('counter');
    expect(attempts.map((a) => a.cause)).toEqual(['submitted', ...Array(restarts).fill('restart')]);
    for (const attempt of attempts.slice(1)) {
      expect(attempt).toMatchObject({
        after: 'time-limit',
        mechanism: 'node-requeue',
        schedulerId: ids.counter,
      });
    }
    expect(state).toMatchObject({ restarts, maxRestarts: 3, attempts });
    for (let n = 1; n <= restarts; n++)
      expect(seen.counter?.some((line) => line.includes(`restart ${n}/3 after time-limit`))).toBe(true);
    expect(seen.counter?.some((line) => /^(timeout|failed|cancelled)/.test(line))).toBe(false);
    // One log across the runs (job.out is appended to on requeue).
    const log = await driver.logs(ids.counter as string);
    for (let n = 0; n <= restarts; n++) expect(log).toContain(`(restarts ${n}) from`);
    expect(log).toMatch(/checkpoint at \d+ \(time-limit\)/);
  });

  it('ends a Process without checkpoint() at its 1-minute limit as timeout, never requeued', {
    timeout: 200_000,
  }, async () => {
    const state = await finished('plain', 180_000);
    expect(state.status).toBe('timeout');
    // SLURM's TIMEOUT, with how long it ran against its limit (sacct's ElapsedRaw and Timelimit).
    expect(state.raw).toMatch(/TIMEOUT/);
    expect(state).toMatchObject({ timeLimitMs: 60_000 });
    expect(state.raw).toMatch(/; ran \dm(\d\ds)? of its 1m limit$/);
    expect(state.restarts).toBeUndefined();
    expect(await attemptsOf('plain')).toEqual([]);
    expect(await readCheckpointRecord(await jobDirOf('plain'))).toBeUndefined();
  });

  it('requeues from the login side when scontrol does not work on the node (exit 75)', {
    timeout: 300_000,
  }, async () => {
    const state = await finished('driverRequeue', 280_000);
    expect(state.status).toBe('completed');
    const result = await driver.getResult<CounterResult>(ids.driverRequeue as string);
    expect(result).toMatchObject({ count: 55, sum: (55 * 54) / 2 });
    const attempts = await attemptsOf('driverRequeue');
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    for (const attempt of attempts.slice(1))
      expect(attempt).toMatchObject({ cause: 'restart', after: 'time-limit', mechanism: 'driver-requeue' });
    // The driver's 'requeued' lasts one poll (SLURM says pending next), and a poll made for another
    // waiter may take it: what every waiter sees is the job back in the queue with its restart.
    expect(
      seen.driverRequeue?.some((line) =>
        /^(requeued|pending|running) .*restart 1\/3 after time-limit/.test(line),
      ),
    ).toBe(true);
    const log = await driver.logs(ids.driverRequeue as string, { stream: 'stderr' });
    expect(log).toMatch(/scontrol requeue \d+ did not work on this node/);
  });

  /** Once `id` has run a while, an `urgent` job that can only start by preempting it (n3 is all its). */
  async function preemptWhenRunning(id: JobId): Promise<string> {
    await waitForState(driver, id, (state) => state.status === 'running', 240_000);
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    return execFileSync(
      'sbatch',
      ['--parsable', '--partition=urgent', '--output=/dev/null', '--wrap', 'sleep 3'],
      { encoding: 'utf8' },
    ).trim();
  }
  let spotDone: () => void = () => {};
  const spotFinished = new Promise<void>((resolve) => {
    spotDone = resolve;
  });

  it('comes back from a preemption in the spot partition and finishes correctly', {
    timeout: 300_000,
  }, async () => {
    const id = ids.preempted as JobId;
    let urgent: string | undefined;
    try {
      urgent = await preemptWhenRunning(id);
      const state = await finished('preempted', 240_000);
      expect(state.status).toBe('completed');
      const result = await driver.getResult<CounterResult>(id);
      expect(result).toMatchObject({ count: 90, sum: (90 * 89) / 2, restartsSeen: [0, 1] });
      expect(await attemptsOf('preempted')).toMatchObject([
        { number: 1, cause: 'submitted', schedulerId: id },
        { number: 2, cause: 'restart', after: 'preempted', mechanism: 'scheduler-requeue', schedulerId: id },
      ]);
      expect(state).toMatchObject({ restarts: 1 });
    } finally {
      if (urgent) execFileSync('scancel', [urgent]);
      spotDone();
    }
  });

  it('resubmits a job preempted in a PreemptMode=CANCEL partition under its one id: it resumes, exactly', {
    timeout: 420_000,
  }, async () => {
    await spotFinished; // one job on all of n3 at a time
    // 40 s of counting: preempted 8 s in, the resubmitted run counts the rest from the checkpoint.
    ids.cancelMode = await driver.submitJob(new CounterProcess(40, 1_000), {
      name: 'ckpt-spot-cancel',
      slurmArgs: { partition: 'spot-cancel', 'cpus-per-task': 8, time: '00:05:00' },
    });
    const id = ids.cancelMode;
    const urgent = await preemptWhenRunning(id);
    try {
      const state = await finished('cancelMode', 240_000);
      expect(state.status).toBe('completed');
      const result = await driver.getResult<CounterResult>(id);
      expect(result).toMatchObject({ count: 40, sum: (40 * 39) / 2, restartsSeen: [0, 1] });
      const attempts = await attemptsOf('cancelMode');
      expect(attempts).toMatchObject([
        { number: 1, cause: 'submitted', schedulerId: id, endedAs: 'preempted' },
        { number: 2, cause: 'restart', after: 'preempted', mechanism: 'resubmitted', endedAs: 'completed' },
      ]);
      const second = attempts[1]?.schedulerId as string;
      expect(second).toMatch(/^\d+$/);
      expect(second).not.toBe(id);
      // SLURM's own words: the first id ended PREEMPTED (not requeued), the second ran to the end.
      const sacct = execFileSync('sacct', ['-X', '-n', '-P', '-o', 'JobID,State', '-j', `${id},${second}`], {
        encoding: 'utf8',
      });
      expect(sacct).toContain(`${id}|PREEMPTED`);
      expect(sacct).toContain(`${second}|COMPLETED`);
      expect(state).toMatchObject({ restarts: 1, maxRestarts: 3 });
      expect(seen.cancelMode?.some((line) => line.includes('restart 1/3 after preempted'))).toBe(true);
      // The user's id never ended between the attempts.
      expect(seen.cancelMode?.some((line) => /^(preempted|failed|cancelled)/.test(line))).toBe(false);
      // One log for both attempts: the first one's moved to attempts/1/ and is shown first.
      const log = await driver.logs(id);
      expect(log.indexOf('==> attempt 1 <==')).toBeLessThan(log.indexOf('==> attempt 2 <=='));
      expect(log).toMatch(
        /\(restarts 0\) from[\s\S]*checkpoint at \d+ \(preempted\)[\s\S]*\(restarts 1\) from/,
      );
    } finally {
      execFileSync('scancel', [urgent]);
    }
  });

  it('requeues an array task on its own: it resumes, the finished task is not run again', {
    timeout: 300_000,
  }, async () => {
    const [short, long] = batch as [JobId, JobId];
    const states = await driver.waitForJobs([short, long], { timeoutMs: 280_000, maxPollIntervalMs: 2_000 });
    expect(states.get(short)).toMatchObject({ status: 'completed' });
    expect(states.get(long)).toMatchObject({ status: 'completed' });
    expect(await driver.getResult<CounterResult>(short)).toEqual({ count: 8, sum: 28, restartsSeen: [0] });
    const resumed = await driver.getResult<CounterResult>(long);
    expect(resumed).toMatchObject({ count: 70, sum: (70 * 69) / 2 });
    expect(resumed.restartsSeen.length).toBeGreaterThanOrEqual(2);
    expect(resumed.restartsSeen).toEqual([...Array(resumed.restartsSeen.length).keys()]);
    expect(states.get(long)?.restarts).toBe(resumed.restartsSeen.length - 1);
    expect((await driver.logs(short)).match(/run \d+ \(restarts/g)).toHaveLength(1);
    expect((await driver.logs(long)).match(/run \d+ \(restarts/g)).toHaveLength(resumed.restartsSeen.length);
  });
});
