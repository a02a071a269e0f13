import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJobLog, writeOutcome } from '@hpc/container';
import {
  asJobId,
  type CheckpointNote,
  type JobAttempt,
  type JobState,
  type RetryPolicy,
  RUN_OUTCOME_VERSION,
  type RunOutcome,
} from '@hpc/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { JobRetries } from '../src/attempt-retries.ts';
import type { ClusterLimitsReader } from '../src/cluster-limits-reader.ts';
import type { CommandRunner } from '../src/command-runner.ts';
import { type JobRecord, readJobRecord } from '../src/job-record.ts';
import type { StateUpdate, StoredJob } from '../src/job-store.ts';
import { restartAfterPreemption } from '../src/preemption-restart.ts';
import { writeCounterRecord } from './job-record-fixture.ts';

/**
 * A job SLURM ended PREEMPTED (PreemptMode=CANCEL) after saving its checkpoint is resubmitted under
 * its one id. sbatch is scripted here; the real cluster runs in checkpoint-requeue.int.test.ts.
 */
const id = asJobId('4711');
let jobDir: string;
let sbatchCalls: (readonly string[])[];
let attemptsSet: [string, string][];

const run: CommandRunner = async (command, args) => {
  if (command === 'sbatch') sbatchCalls.push(args);
  const stdout = command === 'sbatch' ? '5000\n' : '';
  return { command, args, stdout, stderr: '', exitCode: 0, durationMs: 1 };
};
const limits = {
  partition: async () => undefined,
  defaultMemPerCpuMiB: async () => undefined,
} as unknown as ClusterLimitsReader;
const retries = () =>
  new JobRetries({
    context: { run, modes: { file: 0o600, dir: 0o700 } },
    limits,
    setAttempt: (job, schedulerId) => attemptsSet.push([job, schedulerId]),
  });

function preemptedOutcome(note: Partial<CheckpointNote> = {}): RunOutcome {
  return {
    version: RUN_OUTCOME_VERSION,
    status: 'failed',
    kind: 'infrastructure',
    reason: 'signalled',
    interruption: 'preempted',
    error: { name: 'Error', message: 'stopped' },
    startedAt: '2026-12-03T07:01:00Z',
    finishedAt: '2026-12-03T07:01:30Z',
    durationMs: 30_000,
    host: 'n3',
    pid: 7,
    checkpoint: {
      signal: 'SIGTERM',
      reason: 'preempted',
      signalAt: '2026-12-03T07:01:29Z',
      checkpointMs: 4,
      saved: true,
      restarts: 1,
      requeue: 'scheduler-requeue',
      ...note,
    },
  } as RunOutcome;
}

function writeRecord(extra: Partial<JobRecord> = {}): Promise<void> {
  return writeCounterRecord(jobDir, id, extra);
}

const preempted: JobState = { status: 'preempted', raw: 'PREEMPTED', node: 'n3' };
const update = (state: JobState, final = true): StateUpdate => ({
  id,
  state,
  final,
  missingSince: undefined,
});
const stored = (): StoredJob =>
  ({ id, jobDir, name: 'counter', submittedAt: '2026-12-03T07:00:01Z' }) as StoredJob;

beforeEach(async () => {
  jobDir = mkdtempSync(join(tmpdir(), 'hpc-preemption-restart-'));
  sbatchCalls = [];
  attemptsSet = [];
  writeFileSync(join(jobDir, 'job.sbatch'), '#!/bin/bash\n');
  writeFileSync(join(jobDir, 'job.out'), 'run 1 (restarts 0) from 0\ncheckpoint at 8 (preempted)\n');
  await writeRecord();
});

describe('restartAfterPreemption', () => {
  const restart = (attempts: JobAttempt[]): JobAttempt => ({ number: attempts.length + 1, cause: 'restart' });
  it('restarts a run that saved its checkpoint at a preemption, while restarts are left', () => {
    expect(restartAfterPreemption(preemptedOutcome(), [])).toMatchObject({ restarts: 1, maxRestarts: 3 });
    const two: JobAttempt[] = [{ number: 1, cause: 'submitted' }];
    two.push(restart(two), restart([...two, restart(two)]));
    expect(restartAfterPreemption(preemptedOutcome({ restarts: 3 }), two)).toMatchObject({ restarts: 3 });
  });

  it('does not restart what saved nothing, a time limit, a used-up job, or a checkpoint already restarted', () => {
    expect(restartAfterPreemption(undefined, [])).toBeUndefined();
    expect(
      restartAfterPreemption(preemptedOutcome({ saved: false, restarts: undefined }), []),
    ).toBeUndefined();
    expect(restartAfterPreemption(preemptedOutcome({ reason: 'time-limit' }), [])).toBeUndefined();
    const once: JobAttempt[] = [
      { number: 1, cause: 'submitted' },
      { number: 2, cause: 'restart' },
    ];
    expect(restartAfterPreemption(preemptedOutcome({ restarts: 1 }), once)).toBeUndefined();
    expect(restartAfterPreemption(preemptedOutcome({ restarts: 2 }), once, 1)).toBeUndefined();
  });
});

describe('JobRetries after a PreemptMode=CANCEL preemption', () => {
  it('resubmits the saved job under its one id, records both SLURM ids, and keeps both logs', async () => {
    await writeOutcome(jobDir, preemptedOutcome(), 0o600);
    const [reviewed] = await retries().review([update(preempted)], [stored()]);
    expect(reviewed).toMatchObject({
      final: false,
      state: { status: 'pending', restarts: 1, maxRestarts: 3 },
    });
    expect(reviewed?.state.raw).toContain('restart 1/3 after preempted');
    expect(sbatchCalls).toHaveLength(1);
    expect(attemptsSet).toEqual([[id, '5000']]);
    expect(readJobRecord(jobDir)?.attempts).toMatchObject([
      { number: 1, cause: 'submitted', schedulerId: id, endedAs: 'preempted', node: 'n3' },
      { number: 2, cause: 'restart', after: 'preempted', mechanism: 'resubmitted', schedulerId: '5000' },
    ]);
    // The preempted run's files moved aside; checkpoint.json (not written here) is never moved.
    expect(existsSync(join(jobDir, 'attempts', '1', 'outcome.json'))).toBe(true);
    writeFileSync(join(jobDir, 'job.out'), 'run 2 (restarts 1) from 8\n');
    expect(await readJobLog(jobDir)).toBe(
      '==> attempt 1 <==\nrun 1 (restarts 0) from 0\ncheckpoint at 8 (preempted)\n' +
        '==> attempt 2 <==\nrun 2 (restarts 1) from 8\n',
    );
    expect(await readJobLog(jobDir, { tailLines: 2 })).toBe('==> attempt 2 <==\nrun 2 (restarts 1) from 8');
  });

  it('leaves a preempted job without a saved checkpoint preempted', async () => {
    await writeOutcome(jobDir, preemptedOutcome({ saved: false, restarts: undefined }), 0o600);
    const [reviewed] = await retries().review([update(preempted)], [stored()]);
    expect(reviewed).toMatchObject({ final: true, state: { status: 'preempted' } });
    expect(sbatchCalls).toHaveLength(0);
  });

  it('restarts from the checkpoint before a retry listing preempted, which keeps its attempts', async () => {
    const retry: RetryPolicy = { maxAttempts: 2, on: ['preempted'] };
    await writeRecord({ retry, resources: {} });
    await writeOutcome(jobDir, preemptedOutcome(), 0o600);
    const [restarted] = await retries().review([update(preempted)], [stored()]);
    expect(readJobRecord(jobDir)?.attempts?.[1]).toMatchObject({ cause: 'restart', schedulerId: '5000' });
    expect(restarted?.state).toMatchObject({ status: 'pending', restarts: 1, maxAttempts: 2 });
    // Preempted again with no restart left (the runner saved nothing): the retry policy's turn.
    await writeOutcome(jobDir, preemptedOutcome({ saved: false, restarts: undefined }), 0o600);
    const job = { ...stored(), schedulerId: '5000' };
    const [retried] = await retries().review([update(preempted)], [job]);
    expect(retried?.state.status).toBe('pending');
    expect(readJobRecord(jobDir)?.attempts?.map((a) => a.cause)).toEqual(['submitted', 'restart', 'retry']);
  });

  it('keeps a preempted end open while SLURM has not made it final, when a restart follows', async () => {
    await writeOutcome(jobDir, preemptedOutcome(), 0o600);
    const [settling] = await retries().review([update(preempted, false)], [stored()]);
    expect(settling?.state.status).toBe('completing');
    expect(settling?.state.raw).toMatch(/^PREEMPTED; waiting for SLURM's final state/);
    expect(sbatchCalls).toHaveLength(0);
  });
});
