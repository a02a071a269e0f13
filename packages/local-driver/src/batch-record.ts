import { join } from 'node:path';
import { type BatchManifest, batchPaths, processDirOf, taskOfProcess } from '@hpc/container';
import { asJobId, batchProcessId, batchTaskId, type JobId, type TrackedJob } from '@hpc/core';
import { JOB_ID_PREFIX } from './job-folders.ts';
import type { LocalJobRecord } from './job-record.ts';

/**
 * A local batch (submitJobs): one folder `local-N` with the batch's job.json (kind 'batch'), its
 * manifest and bundle, one task folder `tasks/<t>/` per task once it starts (that task's own
 * LocalJobRecord and logs) and one job folder per process (`p/<index>/`, made by the runner).
 * Process ids: `local-N_<task>`, or `local-N_<task>+<place>` when tasks are packed.
 */
export type LocalBatchRecord = Omit<LocalJobRecord, 'crate' | 'crateDigest' | 'object' | 'batch'> & {
  kind: 'batch';
  count: number;
  processesPerTask: number;
  taskCount: number;
  /** At most this many of its tasks run at once (besides the driver's concurrency). */
  parallelism: number | undefined;
};

export function isBatchRecord(record: LocalJobRecord | LocalBatchRecord): record is LocalBatchRecord {
  return (record as { kind?: string }).kind === 'batch';
}

/** A process or task id of a local batch, read; undefined for anything else. */
export interface LocalBatchRef {
  batchId: string;
  task: number;
  place: number | undefined;
}

export function parseLocalBatchId(id: string): LocalBatchRef | undefined {
  const match = new RegExp(`^(${JOB_ID_PREFIX}\\d+)_(\\d+)(?:\\+(\\d+))?$`).exec(id);
  if (!match) return undefined;
  return {
    batchId: match[1] as string,
    task: Number(match[2]),
    place: match[3] === undefined ? undefined : Number(match[3]),
  };
}

/** The index of the process an id names; undefined when the id's place does not fit the batch. */
export function processIndexOf(
  ref: LocalBatchRef,
  batch: Pick<LocalBatchRecord, 'count' | 'processesPerTask'>,
) {
  const packed = batch.processesPerTask > 1;
  if (packed !== (ref.place !== undefined)) return undefined;
  const index = ref.task * batch.processesPerTask + (ref.place ?? 0);
  if ((ref.place ?? 0) >= batch.processesPerTask || index >= batch.count) return undefined;
  return index;
}

/** Every process id of a batch, in index order. */
export function processIdsOf(batch: Pick<LocalBatchRecord, 'id' | 'count' | 'processesPerTask'>): JobId[] {
  return Array.from({ length: batch.count }, (_, index) => processIdOf(batch, index));
}

export function processIdOf(batch: Pick<LocalBatchRecord, 'id' | 'processesPerTask'>, index: number): JobId {
  const { task, place } = taskOfProcess(index, batch.processesPerTask);
  return batchProcessId(batchTaskId(batch.id, task), place);
}

export function taskDirOf(batchDir: string, task: number): string {
  return join(batchPaths(batchDir).tasks, String(task));
}

/** A task's record before it has one on disk: what the batch says, no pid yet. */
export function taskRecordOf(batch: LocalBatchRecord, task: number): LocalJobRecord {
  const {
    kind: _kind,
    count: _count,
    processesPerTask: _ppt,
    taskCount: _tasks,
    parallelism: _p,
    blockedTasks: _blocked,
    afterEach: _each,
    // A batch retries each process alone (process-retries.ts), never a whole task.
    retry: _retry,
    ...common
  } = batch;
  return {
    ...common,
    id: batchTaskId(batch.id, task),
    jobDir: taskDirOf(batch.jobDir, task),
    crate: batchPaths(batch.jobDir).bundle,
    object: undefined,
    batch: { dir: batch.jobDir, task },
  };
}

/** The manifest fields a batch record repeats. */
export function batchFieldsOf(manifest: BatchManifest) {
  return {
    count: manifest.count,
    processesPerTask: manifest.processesPerTask,
    taskCount: manifest.taskCount,
  };
}

/** listJobs' rows: a job as itself, a batch as one row per process (each in its own folder). */
export function trackedJobsOf(records: readonly (LocalJobRecord | LocalBatchRecord)[]): TrackedJob[] {
  return records.flatMap((record) => {
    const common = { driver: 'local' as const, name: record.name, submittedAt: record.submittedAt };
    if (!isBatchRecord(record)) return [{ ...common, id: asJobId(record.id), jobDir: record.jobDir }];
    return processIdsOf(record).map((id, index) => ({
      ...common,
      id,
      jobDir: processDirOf(record.jobDir, index),
    }));
  });
}
