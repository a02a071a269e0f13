import { archiveAttemptFiles, readOutcome } from '@hpc/container';
import {
  decideRetry,
  describeJobState,
  formatRunTime,
  isTerminalState,
  type JobAttempt,
  type JobState,
  type RetryCause,
} from '@hpc/core';
import { type LocalJobRecord, readJobRecord } from './job-record.ts';
import { localJobState } from './local-state.ts';
import { isAlive } from './process-group.ts';

/**
 * The local driver's retries: a runner that ended in a failure its job's `retry` lists is started
 * again in the same folder (mechanism 'relaunched'), with a longer limit after 'timeout'. The
 * previous attempt's files move to `attempts/<n>/`; every attempt is in job.json. This machine
 * cannot tell an out-of-memory kill from any other, so 'out-of-memory' never applies here.
 */

/** The runner's end as the driver saw it. */
export interface RunnerEnd {
  exitCode: number | undefined;
  signal: string | undefined;
}

/**
 * Decides after the runner exited: true when the record now describes the next attempt (saved by
 * the caller, then the runner is started again); false when this end is the job's end.
 */
export async function prepareRelaunch(
  record: LocalJobRecord,
  end: RunnerEnd,
  dirMode: number,
): Promise<boolean> {
  if (!record.retry) return false;
  const onDisk = await readJobRecord(record.jobDir).catch(() => undefined);
  const ended: LocalJobRecord = {
    ...record,
    cancelledAt: record.cancelledAt ?? onDisk?.cancelledAt,
    timedOutAt: record.timedOutAt ?? onDisk?.timedOutAt,
    endedAt: new Date().toISOString(),
    exitCode: end.exitCode ?? null,
    signal: end.signal ?? null,
  } as LocalJobRecord;
  const outcome = await readOutcome(record.jobDir).catch(() => undefined);
  const state = localJobState(ended, outcome, undefined);
  const attempts = localAttempts(record);
  const decision = decideRetry(state, record.retry, attempts.length);
  const current = { ...(attempts[attempts.length - 1] as JobAttempt), ...attemptEnd(ended, state) };
  if (decision.kind === 'final') {
    if (record.attempts) record.attempts = [...attempts.slice(0, -1), current];
    if (decision.note) record.retryNote = decision.note;
    return false;
  }
  const changed = escalateLocally(record, decision.cause);
  archiveAttemptFiles(record.jobDir, current.number, dirMode);
  record.attempts = [
    ...attempts.slice(0, -1),
    current,
    { number: decision.number, cause: 'retry', after: decision.cause, mechanism: 'relaunched', ...changed },
  ];
  for (const key of ['pid', 'startedAt', 'warnedAt', 'timedOutAt', 'endedAt', 'exitCode', 'signal'] as const)
    delete record[key];
  return true;
}

/** The job's attempts; the first submission when there was only one. */
export function localAttempts(record: LocalJobRecord): JobAttempt[] {
  if (record.attempts?.length) return [...record.attempts];
  return [{ number: 1, cause: 'submitted', submittedAt: record.submittedAt }];
}

/**
 * A local job's state with its attempts (when several), its policy's maxAttempts and why it was not
 * retried. A failed run its driver is about to relaunch (its outcome is written, the driver has not
 * yet moved it aside) is pending, not failed: the job ends only when its record says so.
 */
export function withLocalAttempts(state: JobState, record: LocalJobRecord): JobState {
  const attempts = localAttempts(record);
  // The runner has ended but its driver has not recorded the job's end: a relaunch, or the end, is coming.
  const deciding =
    record.retry !== undefined && !record.endedAt && isTerminalState(state) && isAlive(record.ownerPid);
  const relaunching = deciding && decideRetry(state, record.retry, attempts.length).kind === 'retry';
  const details = {
    ...(state.name !== undefined ? { name: state.name } : {}),
    ...(state.submittedAt !== undefined ? { submittedAt: state.submittedAt } : {}),
  };
  let shown = state;
  if (relaunching) {
    const reason = `attempt ${attempts.length + 1} starting after ${describeJobState(state)}`;
    shown = { ...details, status: 'pending', reason };
  } else if (deciding) shown = { ...details, status: 'completing' };
  return {
    ...shown,
    ...((record.attempts?.length ?? 0) > 1 ? { attempts: record.attempts } : {}),
    ...(record.retry ? { maxAttempts: record.retry.maxAttempts } : {}),
    ...(record.retryNote ? { retryNote: record.retryNote } : {}),
  };
}

/** A longer limit after 'timeout' (escalate.time, default 1.5); the same otherwise. */
export function escalateLocally(
  record: LocalJobRecord,
  cause: RetryCause,
): { changed?: Record<string, string> } {
  if (cause !== 'timeout' || record.timeLimitMs === undefined) return {};
  record.timeLimitMs = Math.ceil(record.timeLimitMs * (record.retry?.escalate?.time ?? 1.5));
  return { changed: { time: formatRunTime(record.timeLimitMs) } };
}

function attemptEnd(record: LocalJobRecord, state: JobState): Partial<JobAttempt> {
  return {
    endedAs: state.status,
    endNote: describeJobState(state),
    node: 'localhost',
    ...(record.startedAt ? { startedAt: record.startedAt } : {}),
    ...(record.endedAt ? { endedAt: record.endedAt } : {}),
    ...(record.pid !== undefined ? { schedulerId: `pid ${record.pid}` } : {}),
  };
}
