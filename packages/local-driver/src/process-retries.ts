import {
  archiveAttemptFiles,
  isProcessCancelRequested,
  processDirOf,
  processesOfTask,
  readOutcome,
  requestProcessCancel,
} from '@hpc/container';
import {
  decideRetry,
  describeJobState,
  type FileModes,
  type JobAttempt,
  type JobState,
  makeDirectory,
  type RetryPolicy,
  type RunOutcome,
} from '@hpc/core';
import type { BatchBook } from './batch-book.ts';
import { type LocalBatchRecord, processIdOf } from './batch-record.ts';
import { firstRunState } from './batch-states.ts';
import { mapConcurrently } from './job-folders.ts';
import type { LaunchSettings, LiveJob } from './job-launch.ts';
import type { JobQueue, QueueGroup } from './job-queue.ts';
import { type LocalJobRecord, RUN_FIELDS, readJobRecord, writeJobRecord } from './job-record.ts';
import type { BatchProcess } from './local-batches.ts';
import { escalateLocally } from './local-retries.ts';
import { terminateProcessGroup } from './process-group.ts';
import { retryKeyOf } from './process-retry-state.ts';

export { retryKeyOf } from './process-retry-state.ts';

/** The fields of a task's run that a process's retry starts without. */
const TASK_RUN_FIELDS = [
  ...RUN_FIELDS,
  'cancelledAt',
  'failure',
  'finalState',
  'retriesDecidedAt',
  'dependencies',
] as const;

/**
 * A batch's retries, each process alone: when a task's runner is over, each of its processes that
 * ended in a failure its batch's `retry` lists gets a record of its own (p/<index>/job.json, its
 * first attempt in it) and is queued again in the batch's group, so `parallelism` holds. The
 * runner then runs that process only (`--process <index>`, under its task's id) in its folder, and
 * later attempts are relaunched as a single job's are (local-retries.ts). The others of its task
 * keep their outcomes and never run again.
 */
export class ProcessRetries {
  constructor(
    private readonly queue: JobQueue,
    private readonly book: BatchBook,
  ) {}

  private settings(): LaunchSettings {
    return this.queue.settings();
  }

  /** When the batch was cancelled, as another process (the CLI) may have recorded it. */
  private async cancelledAt(batch: LocalBatchRecord): Promise<string | undefined> {
    return (await this.book.cancelledOnDisk(batch)).cancelledAt;
  }

  private get modes(): FileModes {
    return this.settings().modes;
  }

  /** A task's runner is over: queues the retries its processes need, then records that it did. */
  async afterTask(batch: LocalBatchRecord, task: LiveJob, group: QueueGroup): Promise<void> {
    const { record } = task;
    if (!batch.retry || !record.batch || record.batch.process !== undefined || record.retriesDecidedAt)
      return;
    try {
      if (await this.cancelledAt(batch)) return;
      const { first, end } = processesOfTask(record.batch.task, batch.count, batch.processesPerTask);
      for (let index = first; index < end; index++) {
        const retry = await firstRetryOf(batch, index, record, this.modes).catch(() => undefined);
        if (!retry) continue;
        const own: QueueGroup = { ...group, refuse: () => this.refuse(batch, retry) };
        delete own.afterRun;
        this.queue.add(retry, own, false, retryKeyOf(retry.id));
      }
    } finally {
      // From now on a process of this task without a record of its own has ended for good.
      record.retriesDecidedAt = new Date().toISOString();
      if (record.pid !== undefined) await writeJobRecord(record, this.modes.file).catch(() => {});
    }
  }

  /**
   * cancelJob(processId) of a batch with retries: no further attempt (the process's cancel marker,
   * which the runner also obeys), and its queued or running retry stops. False while it has no
   * retry: its task's run is cancelled as without retries.
   */
  async cancel(found: BatchProcess): Promise<boolean> {
    if (!found.batch.retry) return false;
    await requestProcessCancel(found.batch.jobDir, found.index, this.modes);
    return this.stop(found.batch, found.index);
  }

  /** cancelJob(batchId): every retry of the batch that is queued or running stops. */
  async cancelAll(batch: LocalBatchRecord): Promise<void> {
    if (!batch.retry) return;
    const indexes = Array.from({ length: batch.count }, (_, index) => index);
    await mapConcurrently(indexes, 64, (index) => this.stop(batch, index));
  }

  private async stop(batch: LocalBatchRecord, index: number): Promise<boolean> {
    const key = retryKeyOf(processIdOf(batch, index));
    const live = this.queue.live.get(key);
    const record =
      live?.record ?? (await readJobRecord(processDirOf(batch.jobDir, index)).catch(() => undefined));
    if (!record) return false;
    if (record.endedAt) return true;
    record.cancelledAt ??= new Date().toISOString();
    const queued = this.queue.remove(key);
    if (queued) record.endedAt = record.cancelledAt; // never started: nothing to stop
    await writeJobRecord(record, this.modes.file).catch(() => {});
    if (queued) live?.markExited();
    const pid = live?.child?.pid ?? record.pid;
    if (!queued && pid !== undefined) await terminateProcessGroup(pid, this.settings().killGraceMs);
    return true;
  }

  /** Right before a retry starts: not after its batch or it was cancelled (maybe by another process). */
  private async refuse(batch: LocalBatchRecord, record: LocalJobRecord): Promise<string | undefined> {
    const onDisk = await readJobRecord(record.jobDir).catch(() => undefined);
    const marked = isProcessCancelRequested(batch.jobDir, record.batch?.process ?? -1);
    const reason =
      record.cancelledAt ??
      onDisk?.cancelledAt ??
      (await this.cancelledAt(batch)) ??
      (marked ? new Date().toISOString() : undefined);
    if (!reason) return undefined;
    Object.assign(record, { cancelledAt: reason, endedAt: new Date().toISOString() });
    await writeJobRecord(record, this.modes.file).catch(() => {});
    return reason;
  }
}

/**
 * The retry record of a process whose first run (in its task) ended in a failure the policy
 * lists, written before that run's files move to attempts/1/ (so its state never goes missing);
 * undefined when it is not retried.
 */
async function firstRetryOf(
  batch: LocalBatchRecord,
  index: number,
  task: LocalJobRecord,
  modes: FileModes,
): Promise<LocalJobRecord | undefined> {
  if (isProcessCancelRequested(batch.jobDir, index)) return undefined;
  const folder = processDirOf(batch.jobDir, index);
  const outcome = await readOutcome(folder).catch(() => undefined);
  const state = await firstRunState(batch, index, { record: task, status: undefined });
  const decision = decideRetry(state, batch.retry, 1);
  if (decision.kind !== 'retry') return undefined;
  const record: LocalJobRecord = {
    ...task,
    id: processIdOf(batch, index),
    jobDir: folder,
    batch: { dir: batch.jobDir, task: task.batch?.task ?? 0, process: index, taskId: task.id },
    retry: batch.retry as RetryPolicy,
    ownerPid: process.pid,
  };
  for (const key of TASK_RUN_FIELDS) delete record[key];
  const changed = escalateLocally(record, decision.cause);
  record.attempts = [
    { number: 1, cause: 'submitted', submittedAt: batch.submittedAt, ...firstRunEnd(state, task, outcome) },
    { number: 2, cause: 'retry', after: decision.cause, mechanism: 'relaunched', ...changed },
  ];
  await makeDirectory(folder, modes.dir);
  await writeJobRecord(record, modes.file);
  archiveAttemptFiles(folder, 1, modes.dir);
  return record;
}

/** How the first run ended: the process's own times where it has an outcome, else its task's. */
function firstRunEnd(
  state: JobState,
  task: LocalJobRecord,
  outcome: RunOutcome | undefined,
): Partial<JobAttempt> {
  const startedAt = outcome?.startedAt ?? task.startedAt;
  const endedAt = outcome?.finishedAt ?? task.endedAt;
  return {
    endedAs: state.status,
    endNote: describeJobState(state),
    node: 'localhost',
    ...(startedAt ? { startedAt } : {}),
    ...(endedAt ? { endedAt } : {}),
    ...(task.pid !== undefined ? { schedulerId: `pid ${task.pid}` } : {}),
  };
}
