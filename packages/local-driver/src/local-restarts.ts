import { rm } from 'node:fs/promises';
import { jobPaths, readOutcome, savedForRestart } from '@hpc/container';
import {
  describeRestart,
  type JobAttempt,
  type JobState,
  RESTART_EXIT_CODE,
  type RunOutcome,
} from '@hpc/core';
import { type LocalJobRecord, RUN_FIELDS, writeJobRecord } from './job-record.ts';
import { isAlive } from './process-group.ts';

/**
 * The local driver's emulation of a requeue: a run that saved its checkpoint and exited with
 * RESTART_EXIT_CODE (75) is started again (mechanism 'relaunched'), its new attempt in job.json;
 * the runner itself stops saving after `maxRestarts`. Returns whether to run the job again; the
 * record is then ready for the next run (the old run's end and outcome cleared).
 */
export async function prepareRestart(record: LocalJobRecord, fileMode: number): Promise<boolean> {
  // Not after a cancel, nor once ended at its limit (SLURM does not requeue a TIMEOUT either).
  if (record.cancelledAt || record.timedOutAt || record.failure || record.exitCode !== RESTART_EXIT_CODE)
    return false;
  const outcome = await readOutcome(record.jobDir).catch(() => undefined);
  const note = outcome?.checkpoint;
  if (!outcome || !savedForRestart(outcome) || note?.restarts === undefined) return false;
  const attempts = [...(record.attempts ?? [])];
  if (attempts.some((attempt) => attempt.number === (note.restarts as number) + 1)) return false;
  if (attempts.length === 0)
    attempts.push({ number: 1, cause: 'submitted', schedulerId: record.id, submittedAt: record.submittedAt });
  const last = attempts.length - 1;
  attempts[last] = {
    ...(attempts[last] as JobAttempt),
    ...(record.startedAt ? { startedAt: record.startedAt } : {}),
    endedAt: outcome.finishedAt,
    node: 'localhost',
    endedAs: 'requeued',
    endNote: `checkpointed at ${note.signal} (${note.reason}) in ${note.checkpointMs} ms`,
  };
  attempts.push({
    number: attempts.length + 1,
    cause: 'restart',
    after: note.reason,
    mechanism: 'relaunched',
    schedulerId: record.id,
    submittedAt: new Date().toISOString(),
  });
  record.attempts = attempts;
  for (const field of RUN_FIELDS) delete record[field];
  // The record first (then the saved outcome says 'requeued'), then the outcome: the next run writes its own.
  try {
    await writeJobRecord(record, fileMode);
    await rm(jobPaths(record.jobDir).outcome, { force: true });
  } catch (error) {
    record.failure = `it checkpointed but could not be relaunched: ${(error as Error).message}`;
    return false;
  }
  return true;
}

/**
 * Between a checkpointed run's exit and its relaunch the job is 'requeued', not over (if the
 * driver that would relaunch it is gone, it never will be: undefined, and the outcome decides).
 */
export function betweenRuns(record: LocalJobRecord, outcome: RunOutcome | undefined): JobState | undefined {
  if (!savedForRestart(outcome) || record.cancelledAt || record.failure) return undefined;
  if (record.endedAt && record.exitCode !== RESTART_EXIT_CODE) return undefined;
  if (!isAlive(record.ownerPid)) return undefined;
  return { status: 'requeued', raw: 'REQUEUED (checkpointed; the local driver runs it again)' };
}

/** The attempts, restart count and a 'restart 2/3 after time-limit' line for a state. */
export function withRestarts(state: JobState, record: LocalJobRecord): JobState {
  const attempts = record.attempts ?? [];
  if (attempts.length === 0) return state;
  const restarts = attempts.filter((attempt) => attempt.cause === 'restart').length;
  const latest = [...attempts].reverse().find((attempt) => attempt.cause === 'restart');
  const line = restarts > 0 ? describeRestart(restarts, record.maxRestarts, latest?.after) : '';
  const raw = [state.raw, line].filter(Boolean).join('; ');
  return {
    ...state,
    attempts,
    restarts,
    ...(record.maxRestarts !== undefined ? { maxRestarts: record.maxRestarts } : {}),
    ...(raw ? { raw } : {}),
  };
}
