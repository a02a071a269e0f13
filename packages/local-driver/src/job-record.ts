import { type JobRecord, jobPaths, readRecordFile, writeRecordFile } from '@hpc/container';
import {
  type CrateDigest,
  checkpointLeadSeconds,
  type DependencyEdge,
  fileModes,
  type JobAttempt,
  JobFileUnreadableError,
  type JobState,
  type RetryPolicy,
  recordedRequestOf,
} from '@hpc/core';
import type { LocalBatchRecord } from './batch-record.ts';

/** What the local driver writes about a job in its folder (job.json), so any process can read it. */
export type LocalJobRecord = JobRecord<'local', LocalRecordFields>;

/** The local driver's own fields of job.json, and the common ones it always sets. */
export interface LocalRecordFields {
  id: string;
  crate: string;
  /** SHA-256 of the staged crate; the runner refuses a crate that no longer matches it. */
  crateDigest?: CrateDigest | undefined;
  object: string | undefined;
  imports: string[];
  submittedAt: string;
  /** The driver process that owns the queue this job waits in. */
  ownerPid: number;
  timeLimitMs: number | undefined;
  /** Seconds before the time limit the runner is warned with SIGUSR1 (checkpointLeadSeconds); 0 = never. */
  checkpointLeadSeconds: number;
  env: Record<string, string>;
  pid?: number;
  startedAt?: string;
  /** When the driver sent the time-limit warning (SIGUSR1). */
  warnedAt?: string;
  endedAt?: string;
  exitCode?: number | null;
  signal?: string | null;
  cancelledAt?: string;
  timedOutAt?: string;
  /** Why the driver could not start or follow the job (its folder removed, a write failed). */
  failure?: string;
  /** after / afterAny / afterNotOk as given (checked). */
  dependencies?: DependencyEdge[];
  /** A batch's afterEach: process i's upstream. */
  afterEach?: string[];
  /** A batch's tasks that can never run, by task: their 'blocked' state (dependency-holds.ts). */
  blockedTasks?: Record<string, JobState>;
  /** Restarts from a checkpoint this job may have (a single job; the runner stops saving after them). */
  maxRestarts?: number;
  /** Every attempt once it was relaunched, oldest first (local-restarts.ts). */
  attempts?: JobAttempt[];
  /**
   * Set for one task of a batch: the runner runs that task's processes (its record is tasks/<n>/job.json);
   * with `process`, the retry of that one process under its task's id (its record is p/<index>/job.json).
   */
  batch?: { dir: string; task: number; process?: number; taskId?: string } | undefined;
  /** A batch task's failed processes were given their retries (process-retries.ts): the others' ends are final. */
  retriesDecidedAt?: string;
  /** Relaunches after failures (local-retries.ts). */
  retry?: RetryPolicy | undefined;
  /** Every attempt once the runner was relaunched. */
  retryNote?: string;
}

/** A job.json that cannot be read or parsed (truncated, garbled, permission). */
export class JobRecordUnreadableError extends JobFileUnreadableError {
  readonly _tag = 'JobRecordUnreadableError';
  constructor(file: string, detail: string, options: { cause?: unknown } = {}) {
    super(file, detail, `cannot read the local job record ${file}: ${detail}`, options);
  }
}

export async function readJobRecord(jobDir: string): Promise<LocalJobRecord | undefined> {
  const text = await readRecordFile(
    jobDir,
    (file, detail, cause) => new JobRecordUnreadableError(file, detail, { cause }),
  );
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as LocalJobRecord;
  } catch (error) {
    const file = jobPaths(jobDir).record;
    throw new JobRecordUnreadableError(file, `it is not valid JSON (${text.length} bytes)`, { cause: error });
  }
}

/** Writes job.json (it holds env values: private unless the driver shares with the group). */
export async function writeJobRecord(
  record: LocalJobRecord | LocalBatchRecord,
  mode = fileModes().file,
): Promise<void> {
  await writeRecordFile(record, { mode, durable: false });
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    JobRecordUnreadableError: JobRecordUnreadableError;
  }
}

/** The fields of a record every local submission sets the same way: owner, time limit, its warning, env. */
export function runSettingsOf(
  options: {
    checkpointSignalSeconds?: number | undefined;
    env?: Record<string, string> | undefined;
    slurmArgs?: Record<string, string> | undefined;
  },
  timeLimitMs: number | undefined,
) {
  return {
    requested: recordedRequestOf(options),
    submittedAt: new Date().toISOString(),
    ownerPid: process.pid,
    timeLimitMs,
    checkpointLeadSeconds:
      timeLimitMs === undefined
        ? 0
        : checkpointLeadSeconds(timeLimitMs / 1_000, options.checkpointSignalSeconds),
    env: options.env ?? {},
  };
}

/** The fields one run of a job writes into its record: a new attempt starts without them. */
export const RUN_FIELDS = [
  'pid',
  'startedAt',
  'warnedAt',
  'endedAt',
  'exitCode',
  'signal',
  'timedOutAt',
] as const;
