import type { JobId, JobState, TrackedJob } from '@hpc/core';

/** One tracked SLURM job as the store keeps it. */
export interface StoredJob extends TrackedJob {
  /** The last state observed (undefined until the first poll). */
  state: JobState | undefined;
  /** True once the state can never change again: it is answered from the store. */
  terminal: boolean;
  /** When (ms since epoch) SLURM was first seen not knowing the job, or not having finished writing it. */
  missingSince: number | undefined;
  /** A process of a batch (submitJobs): its index; jobDir is `<batchDir>/p/<index>`. */
  batchIndex?: number;
  /** A retried job's current attempt's SLURM id (the id stays the first attempt's): job-attempts.ts. */
  schedulerId?: string;
}

/** What listJobs() tells about a stored job: the common fields and the state known without a poll. */
export function trackedJobOf({
  id,
  driver,
  name,
  jobDir,
  submittedAt,
  state,
  terminal,
}: StoredJob): TrackedJob {
  return {
    id,
    driver,
    name,
    jobDir,
    submittedAt,
    ...(state ? { knownState: state, knownFinal: terminal } : {}),
  };
}

/** A job (or batch process) to record. */
export interface NewJob {
  id: JobId;
  name: string;
  jobDir: string;
  submittedAt: string;
  /** The jobs-root entry it came from, marked as known. */
  folder?: string;
  /** A state given with `terminal` is cached as final. */
  state?: JobState;
  batchIndex?: number;
  schedulerId?: string;
}

export interface StateUpdate {
  id: JobId;
  state: JobState;
  /** Cache as final (never ask the scheduler again). */
  final: boolean;
  missingSince: number | undefined;
  /** Set for a batch process: its outcome.json is its final record, so no job.json gets the state. */
  batchProcess?: boolean;
}

/** A submission whose sbatch has not answered (yet): its job folder exists, its id is unknown. */
export interface StoredIntent {
  token: string;
  /** The entry in the jobs root (the folder's name). */
  folder: string;
  jobDir: string;
  name: string;
  createdAt: string;
  host: string;
  pid: number;
}

/** What the index knows about one entry of the jobs root. */
export type FolderKind = 'job' | 'intent' | 'forgotten' | 'pending' | 'unreadable';

export interface StoreOptions {
  /** SQLite journal mode: WAL where only this host reaches the file, the rollback journal elsewhere. */
  journalMode?: 'WAL' | 'DELETE';
  /** Mode of a new store file (default 0600). */
  fileMode?: number;
  /** The job folders the store indexes (named in errors: the store is rebuilt from them). */
  jobsRoot?: string;
}
