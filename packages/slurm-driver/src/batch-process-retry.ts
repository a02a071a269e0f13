import { batchPaths } from '@hpc/container';
import { batchTaskOf } from '@hpc/core';
import { type BatchProcessPlace, batchDirOfProcess, sliceOfTask } from './batch-record.ts';
import { JOB_RECORD_VERSION, type JobRecord, readJobRecord } from './job-record.ts';
import type { StoredJob } from './job-store.ts';

/**
 * Retries of one process of a batch (submitJobs with a `retry` policy). The process is retried on
 * its own: a one-task array of the batch's own job script (`--array=<its task>`, the slice's offset
 * and `--process <index>` as arguments), so the runner runs only that process, in its own folder
 * `p/<index>`, under its one id, while the other processes of its task keep their outcomes. From
 * its first retry on, the process has a job.json of its own (its attempts, as a single job's), and
 * the batch folder lists it in `retried/` so a rebuilt index asks SLURM about its current attempt.
 */

/**
 * The job.json a batch process gets for its first retry: the batch's policy and resources, one
 * attempt so far (its task). Undefined when the batch has no retry policy.
 */
export function processRecordOf(job: Pick<StoredJob, 'id' | 'jobDir' | 'batchIndex'>, batch: JobRecord) {
  if (!batch.retry || !batch.batch || job.batchIndex === undefined) return undefined;
  const task = Math.floor(job.batchIndex / batch.batch.processesPerTask);
  const slice = sliceOfTask(batch.batch.slices, task);
  const taskId = batchTaskOf(job.id);
  const place: BatchProcessPlace = {
    index: job.batchIndex,
    taskOffset: slice.offset,
    arrayTask: task - slice.offset,
    taskId,
  };
  const record: JobRecord = {
    version: JOB_RECORD_VERSION,
    driver: 'slurm',
    token: batch.token,
    name: batch.name,
    jobDir: job.jobDir,
    createdAt: batch.createdAt,
    host: batch.host,
    pid: batch.pid,
    id: taskId,
    ...(batch.submittedAt !== undefined ? { submittedAt: batch.submittedAt } : {}),
    ...(batch.requested !== undefined ? { requested: batch.requested } : {}),
    retry: batch.retry,
    resources: batch.resources ?? {},
    batchProcess: place,
  };
  return record;
}

/** Batch records by folder, read once per status poll (many processes of one batch end together). */
export class BatchRecords {
  private readonly known = new Map<string, JobRecord | undefined>();

  of(job: Pick<StoredJob, 'jobDir'>): JobRecord | undefined {
    const dir = batchDirOfProcess(job.jobDir);
    if (!this.known.has(dir)) {
      let record: JobRecord | undefined;
      try {
        record = readJobRecord(dir);
      } catch {
        record = undefined;
      }
      this.known.set(dir, record);
    }
    return this.known.get(dir);
  }
}

/** What sbatch gets for an attempt of a retried batch process: the batch's script, its task, only it. */
export function processSubmission(record: JobRecord & { batchProcess: BatchProcessPlace }): {
  script: string;
  options: string[];
  scriptArgs: string[];
} {
  const place = record.batchProcess;
  return {
    script: batchPaths(batchDirOfProcess(record.jobDir)).script,
    options: [`--array=${place.arrayTask}`],
    scriptArgs: [String(place.taskOffset), '--process', String(place.index), '--task-id', place.taskId],
  };
}

/** A retried process's SLURM id from sbatch's (or a lookup's) array id: `<array>_<its task>`. */
export function processSchedulerId(record: JobRecord, id: string): string {
  if (!record.batchProcess) return id;
  const array = id.includes('_') ? id.slice(0, id.indexOf('_')) : id;
  return `${array}_${record.batchProcess.arrayTask}`;
}
