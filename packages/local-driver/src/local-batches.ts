import { rm } from 'node:fs/promises';
import {
  checkCount,
  MAX_BATCH_SIZE,
  processDirOf,
  readOutcome,
  requestProcessCancel,
  type SubmitTarget,
  stageBatch,
} from '@hpc/container';
import {
  type BatchOptions,
  type FileModes,
  InvalidOptionError,
  type JobId,
  JobNotFoundError,
  type Sharing,
} from '@hpc/core';
import {
  batchFieldsOf,
  isBatchRecord,
  type LocalBatchRecord,
  parseLocalBatchId,
  processIdsOf,
  processIndexOf,
  taskDirOf,
  taskRecordOf,
} from './batch-record.ts';
import { allocateJobDir, jobDirOf } from './job-folders.ts';
import { type LocalJobRecord, readJobRecord, runSettingsOf, writeJobRecord } from './job-record.ts';

/** What a local batch operation needs of the driver. */
export interface BatchHost {
  jobsRoot: string;
  share: Sharing;
  modes: FileModes;
}

/** A process of a local batch, found by its id. */
export interface BatchProcess {
  batch: LocalBatchRecord;
  index: number;
  task: number;
  packed: boolean;
  processDir: string;
}

/**
 * Stages a batch into a new folder `local-N` and writes its record; the driver queues its tasks.
 * All or nothing: a refused setting or process creates nothing, a failed staging removes the folder.
 */
export async function createLocalBatch(
  targets: readonly SubmitTarget[],
  options: BatchOptions,
  timeLimitMs: number | undefined,
  host: BatchHost,
): Promise<{ batch: LocalBatchRecord; ids: JobId[] }> {
  const parallelism =
    options.parallelism === undefined
      ? undefined
      : checkCount('parallelism', options.parallelism, MAX_BATCH_SIZE);
  const { id, jobDir } = await allocateJobDir(host.jobsRoot, host.modes.dir);
  try {
    const { manifest } = await stageBatch(targets, {
      jobsRoot: host.jobsRoot,
      batchDir: jobDir,
      share: host.share,
      processesPerTask: options.processesPerTask ?? 1,
      ...(options.name ? { name: options.name } : {}),
      ...(options.imports ? { imports: options.imports } : {}),
    });
    const batch: LocalBatchRecord = {
      kind: 'batch',
      id,
      driver: 'local',
      name: manifest.name,
      jobDir,
      imports: manifest.imports,
      ...runSettingsOf(options, timeLimitMs),
      ...batchFieldsOf(manifest),
      parallelism,
      // Each process is retried alone (process-retries.ts); maxAttempts 1 is no retry.
      ...(options.retry && options.retry.maxAttempts > 1 ? { retry: options.retry } : {}),
    };
    await writeJobRecord(batch, host.modes.file);
    return { batch, ids: processIdsOf(batch) };
  } catch (error) {
    await rm(jobDir, { recursive: true, force: true });
    throw error;
  }
}

/** The batch record in a local-N folder, or undefined when that folder holds a single job (or nothing). */
export async function readBatchRecord(
  jobsRoot: string,
  batchId: string,
): Promise<LocalBatchRecord | undefined> {
  const record = await readJobRecord(jobDirOf(jobsRoot, batchId));
  return record && isBatchRecord(record) ? record : undefined;
}

/** The process an id names ('local-12_3', 'local-12_3+1'), or undefined when it is not a batch id. */
export async function findBatchProcess(
  id: string,
  batchOf: (batchId: string) => Promise<LocalBatchRecord | undefined>,
): Promise<BatchProcess | undefined> {
  const ref = parseLocalBatchId(id);
  if (!ref) return undefined;
  const batch = await batchOf(ref.batchId);
  const index = batch && processIndexOf(ref, batch);
  if (!batch || index === undefined) throw new JobNotFoundError(id, 'local');
  return {
    batch,
    index,
    task: ref.task,
    packed: batch.processesPerTask > 1,
    processDir: processDirOf(batch.jobDir, index),
  };
}

/** A batch id given where one process is meant: say which ids to use instead. */
export function notAProcess(batch: LocalBatchRecord): InvalidOptionError {
  const [first] = processIdsOf({ ...batch, count: 1 });
  return new InvalidOptionError({
    option: 'job id',
    value: batch.id,
    allowed: `one process of the batch, e.g. ${first}`,
    remedy: `${batch.id} is a batch of ${batch.count} processes: ask for its processes' ids (submitJobs returned them) or use waitForJobs(ids); cancelJob('${batch.id}') cancels all of them`,
  });
}

/**
 * Cancels one process of a packed task alone: a marker the runner reads before starting it and
 * while it runs. A finished process is left as it is.
 */
export async function cancelPackedProcess(found: BatchProcess, modes: FileModes): Promise<void> {
  if (await readOutcome(found.processDir).catch(() => undefined)) return;
  await requestProcessCancel(found.batch.jobDir, found.index, modes);
}

/** The task's record as another process may have written it (started, cancelled), or as the batch says. */
export async function taskRecordOnDisk(batch: LocalBatchRecord, task: number): Promise<LocalJobRecord> {
  return (
    (await readJobRecord(taskDirOf(batch.jobDir, task)).catch(() => undefined)) ?? taskRecordOf(batch, task)
  );
}
