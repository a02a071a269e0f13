import { stateFromOutcome, stoppedAtTimeLimitWarning } from '@hpc/container';
import {
  describeRunAgainstLimit,
  type JobState,
  type RunOutcome,
  unreadableJobState,
  unreadableRecordOf,
} from '@hpc/core';
import type { LocalJobRecord } from './job-record.ts';
import { isAlive } from './process-group.ts';

/** What the driver knows beyond the files: is the job queued or running in this very process? */
export type LiveStatus = 'queued' | 'held' | 'running' | undefined;

/** How this process sees a job it holds: running, held for its dependencies, queued, or over. */
export function liveStatusOf(
  live: { record: { endedAt?: string | undefined }; child?: unknown } | undefined,
  held: boolean,
): LiveStatus {
  if (!live || live.record.endedAt) return undefined;
  return live.child ? 'running' : held ? 'held' : 'queued';
}

/**
 * A local job's state from its record, its outcome file and process liveness. The outcome wins;
 * a cancel or time limit recorded by the driver explains a missing or 'signalled' outcome, and a
 * job stopped at its limit (or at the warning before it, having checkpointed) is 'timeout'.
 */
export function localJobState(
  record: LocalJobRecord,
  outcome: RunOutcome | undefined,
  live: LiveStatus,
): JobState {
  const details = {
    name: record.name,
    submittedAt: record.submittedAt,
    node: 'localhost',
    ...(record.startedAt ? { startedAt: record.startedAt } : {}),
  };
  // Interrupted by the driver, and over: the runner recorded the signal, or it is gone without a word.
  const interruptedAndOver = outcome
    ? outcome.status === 'failed' && outcome.kind === 'infrastructure' && outcome.reason === 'signalled'
    : live !== 'running';
  if (record.timedOutAt && interruptedAndOver) {
    const endedAt = record.endedAt ?? record.timedOutAt;
    return { ...details, ...timeout(record, endedAt, 'stopped at its time limit'), endedAt };
  }
  if (record.cancelledAt && interruptedAndOver)
    return { ...details, status: 'cancelled', endedAt: record.endedAt ?? record.cancelledAt };
  if (outcome && stoppedAtTimeLimitWarning(outcome)) {
    const endedAt = outcome.finishedAt;
    const how = 'checkpointed and stopped at the time-limit warning (SIGUSR1)';
    return { ...details, ...timeout(record, endedAt, how), endedAt };
  }
  if (outcome) return { ...details, ...stateFromOutcome(outcome) };
  if (live === 'running') return { ...details, status: 'running' };
  if (live === 'queued') return { ...details, status: 'pending', reason: 'Concurrency' };
  if (live === 'held') return { ...details, status: 'pending', reason: 'Dependency' };
  if (record.endedAt) {
    // Never started (its folder was gone): the driver's reason is the whole story.
    if (record.pid === undefined && record.failure)
      return { ...details, status: 'lost', reason: record.failure, endedAt: record.endedAt };
    const how = record.signal ? `signal ${record.signal}` : `exit code ${record.exitCode}`;
    const reasons = [`node-runner ended (${how}) without writing an outcome`, record.failure];
    return {
      ...details,
      status: 'lost',
      reason: reasons.filter(Boolean).join('; '),
      endedAt: record.endedAt,
    };
  }
  if (record.pid !== undefined) {
    return isAlive(record.pid)
      ? { ...details, status: 'running' }
      : {
          ...details,
          status: 'lost',
          reason: `node-runner (pid ${record.pid}) is gone and wrote no outcome`,
        };
  }
  // Seen from another process: a job with dependencies that has not started waits for them.
  return isAlive(record.ownerPid)
    ? { ...details, status: 'pending', reason: record.dependencies?.length ? 'Dependency' : 'Concurrency' }
    : {
        ...details,
        status: 'lost',
        reason: `the submitting process (pid ${record.ownerPid}) exited before the job started`,
      };
}

/** 'TIMEOUT (stopped at its time limit: ran 2m03s of its 2m limit)', with the times behind it. */
function timeout(record: LocalJobRecord, endedAt: string, how: string): JobState {
  const limit = record.timeLimitMs;
  const elapsedMs = record.startedAt ? Date.parse(endedAt) - Date.parse(record.startedAt) : undefined;
  const against =
    limit !== undefined && elapsedMs !== undefined ? `: ${describeRunAgainstLimit(elapsedMs, limit)}` : '';
  return {
    status: 'timeout',
    raw: `TIMEOUT (${how}${against})`,
    ...(limit !== undefined ? { timeLimitMs: limit } : {}),
    ...(elapsedMs !== undefined ? { elapsedMs } : {}),
  };
}

/**
 * The state of a job whose files cannot be read: 'unknown' with the error's words, and with
 * `unreadable` naming the file when the error is about one (job.json, outcome.json).
 */
export function unknownState(error: unknown, name?: string): JobState {
  const reason = (error as Error)?.message ?? String(error);
  const details = name === undefined ? {} : { name };
  const unreadable = unreadableRecordOf(error);
  return unreadable
    ? unreadableJobState(unreadable, reason, details)
    : { ...details, status: 'unknown', reason };
}
