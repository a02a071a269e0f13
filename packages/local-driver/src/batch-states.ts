import { existsSync } from 'node:fs';
import { processDirOf, readOutcome } from '@hpc/container';
import type { JobId, JobState } from '@hpc/core';
import { type LocalBatchRecord, processIdOf, taskRecordOf } from './batch-record.ts';
import { mapConcurrently } from './job-folders.ts';
import type { LocalJobRecord } from './job-record.ts';
import { taskRecordOnDisk } from './local-batches.ts';
import { type LiveStatus, localJobState } from './local-state.ts';
import { retriedProcessState, withBatchRetry } from './process-retry-state.ts';

/** How this driver process sees one task: its live record and status, if it holds the task. */
export type LiveTask = (taskId: string) => { record: LocalJobRecord; status: LiveStatus } | undefined;

const READ_CONCURRENCY = 64;

/**
 * Every process state of a batch: its own outcome decides when there is one; otherwise its task's
 * record (cancelled, timed out, ended without this process's outcome, queued, gone) does, as for
 * a single job. A process of a running task that has not started yet (no folder) is pending.
 */
export async function batchProcessStates(
  batch: LocalBatchRecord,
  live: LiveTask,
): Promise<Map<JobId, JobState>> {
  const tasks = await mapConcurrently(
    Array.from({ length: batch.taskCount }, (_, task) => task),
    READ_CONCURRENCY,
    (task) => taskView(batch, task, live),
  );
  const indexes = Array.from({ length: batch.count }, (_, index) => index);
  const states = await mapConcurrently(indexes, READ_CONCURRENCY, async (index) => {
    const task = tasks[Math.floor(index / batch.processesPerTask)] as TaskView;
    return processState(batch, index, task, live).catch(
      (error: unknown): JobState => ({
        status: 'unknown',
        reason: (error as Error)?.message ?? String(error),
      }),
    );
  });
  return new Map(indexes.map((index) => [processIdOf(batch, index), states[index] as JobState]));
}

/** One process's state (for checkJobStatus on one id: reads only that process and its task). */
export async function batchProcessState(
  batch: LocalBatchRecord,
  index: number,
  live: LiveTask,
): Promise<JobState> {
  const task = await taskView(batch, Math.floor(index / batch.processesPerTask), live);
  return processState(batch, index, task, live);
}

export interface TaskView {
  record: LocalJobRecord;
  status: LiveStatus;
}

async function taskView(batch: LocalBatchRecord, task: number, live: LiveTask): Promise<TaskView> {
  const held = live(taskRecordOf(batch, task).id);
  if (held) return held;
  // Not started (no record yet): as the batch says, so a cancelled batch or a gone submitter shows.
  return { record: await taskRecordOnDisk(batch, task), status: undefined };
}

/** A process retried on its own is its retry record's; before that, its first run's (pending while a retry is decided). */
async function processState(
  batch: LocalBatchRecord,
  index: number,
  task: TaskView,
  live: LiveTask,
): Promise<JobState> {
  if (!batch.retry) return firstRunState(batch, index, task);
  const retried = await retriedProcessState(batch, index, live);
  return retried ?? withBatchRetry(await firstRunState(batch, index, task), batch, index, task.record);
}

/** The process's state from its run in its task (the whole story without retries). */
export async function firstRunState(
  batch: LocalBatchRecord,
  index: number,
  task: TaskView,
): Promise<JobState> {
  const folder = processDirOf(batch.jobDir, index);
  const outcome = await readOutcome(folder);
  const blocked = batch.blockedTasks?.[String(Math.floor(index / batch.processesPerTask))];
  if (blocked && !outcome) return blocked;
  const record = { ...task.record, cancelledAt: task.record.cancelledAt ?? batch.cancelledAt };
  const state = localJobState(record, outcome, task.status);
  if (state.status === 'running' && !outcome && !existsSync(folder))
    return { ...state, status: 'pending', reason: 'waiting for the processes before it in its task' };
  return state;
}
