import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asJobId, batchProcessId, batchTaskId, type JobId } from '@hpc/core';

/**
 * A batch in its job.json (submitJobs): the arrays SLURM gave it and how processes map to tasks.
 * The record's `id` is the batch's id, its first slice's array id. Every process is a row of the
 * job index, rebuilt from this record alone: process `i` runs in global task
 * `floor(i / processesPerTask)`, which is task `task - offset` of the slice holding it.
 */
export interface BatchRecordFields {
  /** One sbatch --array per slice, in order: the array's id, its first global task, its task count. */
  slices: BatchSlice[];
  /** Processes in the batch (indexes 0..count-1, input order). */
  count: number;
  processesPerTask: number;
}

export interface BatchSlice {
  arrayId: string;
  /** The global index of the slice's task 0 (the job script's first argument). */
  offset: number;
  tasks: number;
}

/** The folders of a batch's processes: `p/<index>` (@hpc/container's processDirOf, spelt here for speed). */
const PROCESSES_FOLDER = 'p';

/** One job index row of a batch process. */
export interface BatchProcessRow {
  id: JobId;
  jobDir: string;
  batchIndex: number;
}

/** Process `index`'s id: `<array>_<task>` with one process per task, `<array>_<task>+<place>` packed. */
export function batchProcessIdOf(batch: BatchRecordFields, index: number): JobId {
  const { processesPerTask } = batch;
  const task = Math.floor(index / processesPerTask);
  const slice = sliceOfTask(batch.slices, task);
  const place = processesPerTask === 1 ? undefined : index - task * processesPerTask;
  return batchProcessId(batchTaskId(slice.arrayId, task - slice.offset), place);
}

/** Every process's row, in input order: 10,000 in a few milliseconds (no file is read). */
export function batchProcessRows(batch: BatchRecordFields, batchDir: string): BatchProcessRow[] {
  const rows: BatchProcessRow[] = new Array(batch.count);
  const processes = join(batchDir, PROCESSES_FOLDER);
  for (let index = 0; index < batch.count; index++)
    rows[index] = { id: batchProcessIdOf(batch, index), jobDir: `${processes}/${index}`, batchIndex: index };
  return rows;
}

/** The batch folder of a process row's jobDir (`<batchDir>/p/<index>`). */
export function batchDirOfProcess(jobDir: string): string {
  return jobDir.replace(/\/[^/]+\/[^/]+$/, '');
}

/** The array ids of a batch, first slice first (one scancel, one sacct -j for all of them). */
export function batchArrayIds(batch: BatchRecordFields): JobId[] {
  return batch.slices.map((slice) => asJobId(slice.arrayId));
}

/** The slice holding global task `task`. */
export function sliceOfTask(slices: readonly BatchSlice[], task: number): BatchSlice {
  for (const slice of slices) if (task >= slice.offset && task < slice.offset + slice.tasks) return slice;
  throw new RangeError(`task ${task} is in no slice of the batch`);
}

/** Checks the batch fields of a parsed job.json; the problem, or undefined when they are sound. */
export function batchFieldsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return "'batch' is not an object";
  const batch = value as Partial<BatchRecordFields>;
  if (!Number.isSafeInteger(batch.count) || (batch.count as number) < 1)
    return "'batch.count' is not a positive integer";
  if (!Number.isSafeInteger(batch.processesPerTask) || (batch.processesPerTask as number) < 1)
    return "'batch.processesPerTask' is not a positive integer";
  if (!Array.isArray(batch.slices) || batch.slices.length === 0) return "'batch.slices' is empty";
  let next = 0;
  for (const slice of batch.slices) {
    if (typeof slice?.arrayId !== 'string' || !/^\d+$/.test(slice.arrayId))
      return "a slice's 'arrayId' is not a SLURM job id";
    if (slice.offset !== next || !Number.isSafeInteger(slice.tasks) || slice.tasks < 1)
      return 'the slices do not cover the tasks in order';
    next += slice.tasks;
  }
  if (next !== Math.ceil((batch.count as number) / (batch.processesPerTask as number)))
    return "the slices' tasks do not match 'batch.count'";
  return undefined;
}

/** Where a retried batch process sits in its batch: what its attempts' sbatch needs. */
export interface BatchProcessPlace {
  index: number;
  /** The slice's first global task: the job script's first argument. */
  taskOffset: number;
  /** Its task's index in its slice's array (`--array=<arrayTask>`, $SLURM_ARRAY_TASK_ID). */
  arrayTask: number;
  /** Its first attempt's task (`4711_3`): ctx.jobId stays the process's own id. */
  taskId: string;
}

/** The folder listing a batch's retried processes (one empty file per index). */
const RETRIED_FOLDER = 'retried';

/** Notes in the batch folder that process `index` has a job.json of its own (before its first retry's sbatch). */
export function markRetried(batchDir: string, index: number, dirMode: number): void {
  const folder = join(batchDir, RETRIED_FOLDER);
  mkdirSync(folder, { recursive: true, mode: dirMode });
  writeFileSync(join(folder, String(index)), '', { mode: 0o600 });
}

/** The indexes of a batch's processes that have been retried (one readdir; none when never). */
export function retriedIndexes(batchDir: string): number[] {
  try {
    return readdirSync(join(batchDir, RETRIED_FOLDER))
      .filter((name) => /^\d{1,9}$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}
