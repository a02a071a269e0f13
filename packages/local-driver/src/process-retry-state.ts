import { isProcessCancelRequested, processDirOf, readOutcome } from '@hpc/container';
import { decideRetry, describeJobState, isTerminalState, type JobState } from '@hpc/core';
import { type LocalBatchRecord, processIdOf } from './batch-record.ts';
import type { LiveTask } from './batch-states.ts';
import { type LocalJobRecord, readJobRecord } from './job-record.ts';
import { withLocalAttempts } from './local-retries.ts';
import { localJobState } from './local-state.ts';
import { isAlive } from './process-group.ts';

/**
 * How a process of a batch with a `retry` policy looks. Its first run is part of its task; once
 * that run ended in a failure the policy lists, the driver gives the process a record of its own,
 * p/<index>/job.json (process-retries.ts), and from then on it is followed like a single job: its
 * attempts, its outcome in p/<index>, its runner in the driver's queue under retryKeyOf(id).
 */

/** The key of a process's retry in the driver's live jobs (unpacked, a process's id is its task's: 'local-12_3'). */
export function retryKeyOf(processId: string): string {
  return `${processId}#retry`;
}

/** A process's state from its retry record, or undefined while it has none (its task's run decides). */
export async function retriedProcessState(
  batch: LocalBatchRecord,
  index: number,
  live: LiveTask,
): Promise<JobState | undefined> {
  const held = live(retryKeyOf(processIdOf(batch, index)));
  const folder = processDirOf(batch.jobDir, index);
  const own = held?.record ?? (await readJobRecord(folder));
  if (!own) return undefined;
  const record = { ...own, cancelledAt: own.cancelledAt ?? batch.cancelledAt };
  return withLocalAttempts(localJobState(record, await readOutcome(folder), held?.status), record);
}

/**
 * A first run's state with the batch's maxAttempts. A failed run its task's driver is about to
 * retry (the task has not recorded its retries yet, its driver is alive) is pending, not failed:
 * results() and waitForJobs never see a failure that is retried.
 */
export function withBatchRetry(
  state: JobState,
  batch: LocalBatchRecord,
  index: number,
  task: LocalJobRecord,
): JobState {
  const policy = batch.retry;
  if (!policy) return state;
  const deciding =
    isTerminalState(state) &&
    !task.retriesDecidedAt &&
    !batch.cancelledAt &&
    isAlive(task.ownerPid) &&
    !isProcessCancelRequested(batch.jobDir, index) &&
    decideRetry(state, policy, 1).kind === 'retry';
  if (!deciding) return { ...state, maxAttempts: policy.maxAttempts };
  return {
    ...(state.name !== undefined ? { name: state.name } : {}),
    ...(state.submittedAt !== undefined ? { submittedAt: state.submittedAt } : {}),
    status: 'pending',
    reason: `attempt 2 starting after ${describeJobState(state)}`,
    maxAttempts: policy.maxAttempts,
  };
}
