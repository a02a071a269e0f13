import type { ForgetOptions, ForgetReport } from './forget-jobs.ts';
import type { JobDescription } from './job-description.ts';
import type { JobId } from './job-id.ts';
import type { JobState, UnreadableRecord } from './job-state.ts';
import type { JobStats, JobStatsOptions } from './job-stats.ts';
import type { JobDependencies, RetryPolicy } from './long-jobs.ts';
import type { ResourcesChoice } from './suggested-resources.ts';

/** A crate file on disk, optionally one object inside an HDF5 crate ('/my_process'). */
export interface CrateRef {
  crate: string;
  object?: string;
}

export interface SubmitOptions extends JobDependencies {
  /** Job name shown by the scheduler and the CLI. Defaults to the process's class id. */
  name?: string;
  /**
   * Modules the node-runner imports before loading the crate (they call registerProcess).
   * Usually not needed: classes registered with `{ module: import.meta.url }` are found automatically.
   */
  imports?: string[];
  /** Environment variables set for the job. */
  env?: Record<string, string>;
  /** SLURM: conda environment to activate on the node. */
  condaEnv?: string;
  /** SLURM: environment modules to `module load`. */
  modules?: string[];
  /** SLURM options by sbatch's long names, e.g. { 'cpus-per-task': '4', mem: '4G', time: '01:00:00' }. */
  slurmArgs?: Record<string, string>;
  /**
   * Seconds before the time limit at which a Process with a checkpoint() hook is warned (SIGUSR1).
   * Capped at a tenth of the limit, for short limits a sixth of it up to 30 s (checkpoint-lead.ts);
   * 0 turns it off. Default 120.
   */
  checkpointSignalSeconds?: number;
  /** Where the job folder is created (default: the driver's jobs root). */
  jobsRoot?: string;
  /**
   * A Process with checkpoint() is saved and run again at its time limit or on preemption, at
   * most this often (default DEFAULT_MAX_RESTARTS, 3). 0: it ends 'timeout' / 'preempted'.
   */
  maxRestarts?: number;
  /** Retries after failures, escalating resources (default: none). */
  retry?: RetryPolicy;
  /**
   * 'suggested': mem and time from this class's history (what `hpc stats` suggests) instead of
   * slurmArgs' and the driver defaults', never below the highest peak plus a margin, and only with
   * at least 5 measured runs (else the request stands). `{ suggested: ['mem'] }` for mem only, so
   * an explicit time stands. The job's record says what was applied (describeJob().requested.suggested).
   */
  resources?: ResourcesChoice;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up with a WaitTimeoutError after this long (default: wait forever). */
  timeoutMs?: number;
  /** First poll interval; grows by 1.5x up to maxPollIntervalMs. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Called whenever the observed state changes. */
  onState?: (state: JobState) => void;
}

export interface LogOptions {
  stream?: 'stdout' | 'stderr';
  /** Only the last N lines. */
  tailLines?: number;
}

/** submitJobs(): every SubmitOptions field applies to each process, plus how the batch runs. */
export interface BatchOptions extends SubmitOptions {
  /** At most this many tasks run at once (SLURM's `--array=...%N`). Default: no limit of our own. */
  parallelism?: number;
  /** Processes run one after another in one task (one Node process). Default 1. */
  processesPerTask?: number;
  /**
   * One upstream id per process (same length as the processes): process i starts once
   * afterEach[i] completed. An upstream batch's tasks map task to task (SLURM's `aftercorr`).
   */
  afterEach?: readonly string[];
}

/** One process's end, as results() yields it: its value, or the JobFailedError getResult() throws. */
export type BatchResult<T = unknown> =
  | { id: JobId; state: JobState; value: T; error?: undefined }
  | { id: JobId; state: JobState; value?: undefined; error: Error };

/** What a driver remembers about a submitted job, across processes. */
export interface TrackedJob {
  id: JobId;
  driver: string;
  name: string;
  jobDir: string;
  submittedAt: string;
  /**
   * The last state the driver recorded for the job without asking the scheduler now (a SLURM job's
   * final state from its store), so a caller can show what is known while the scheduler is down.
   */
  knownState?: JobState;
  /** True when knownState can never change again. */
  knownFinal?: boolean;
}

/**
 * The interface both the local and the SLURM driver implement, so user code switches between a
 * laptop and a cluster by changing one constructor.
 */
export interface Driver<Target = unknown> {
  readonly kind: string;
  submitJob(target: Target, options?: SubmitOptions): Promise<JobId>;
  /**
   * Submits many processes as one batch: one crate, one job script, one job array per slice the
   * scheduler allows. One id per process, in input order; each works with every per-job call.
   */
  submitJobs(targets: readonly Target[], options?: BatchOptions): Promise<JobId[]>;
  /** Each process's end as it happens (finish order), one status round trip per poll for all of them. */
  results<T = unknown>(ids: readonly string[], options?: WaitOptions): AsyncIterable<BatchResult<T>>;
  /** Waits until every job is in a terminal state; the states by id. */
  waitForJobs(ids: readonly string[], options?: WaitOptions): Promise<Map<JobId, JobState>>;
  checkJobStatus(id: string): Promise<JobState>;
  /** Every tracked job's state, in one scheduler round trip however many jobs there are. */
  checkAllJobStatuses(): Promise<Map<JobId, JobState>>;
  cancelJob(id: string): Promise<void>;
  waitForJob(id: string, options?: WaitOptions): Promise<JobState>;
  /** The job's result, or a JobFailedError carrying the remote error and the scheduler's diagnosis. */
  getResult<T = unknown>(id: string): Promise<T>;
  logs(id: string, options?: LogOptions): Promise<string>;
  /**
   * The file logs() reads for this job and stream now (it may not exist yet), for reading a large
   * log in pieces or following it from where the last read stopped.
   */
  logFile(id: string, options?: Pick<LogOptions, 'stream'>): Promise<string>;
  listJobs(): Promise<TrackedJob[]>;
  /**
   * Everything known about one job, for one screen: state and its history, requested against used
   * (the runner's figures and the scheduler's, with efficiency), progress, the failure's class and
   * diagnosis, the remote error, the logs' last lines, job script, crate and digest, attempts.
   */
  describeJob(id: string): Promise<JobDescription>;
  /**
   * Per Process class (job name) over the tracked jobs: count, states, wall time and peak memory
   * percentiles against the request, CPU efficiency, and right-sizing suggestions.
   */
  stats(options?: JobStatsOptions): Promise<JobStats>;
  /**
   * Removes finished jobs from the tracked history: each one's folder and index entry, so no
   * status, list or stats call shows it again. A batch goes whole, by its id; one of its
   * processes alone is refused, and so is a job that has not finished (cancel it first) and a
   * folder outside the driver's home or behind a symbolic link. Each folder is first renamed to a
   * tombstone in the jobs root, so a crash never leaves a job half there. Local ids are never reused.
   */
  forgetJobs(ids: readonly string[], options?: ForgetOptions): Promise<ForgetReport>;
  /**
   * Job records the driver found but could not read well enough to know their job's id (a damaged
   * SLURM job.json), as of the last status call: those jobs are in no status answer. A job whose
   * id is known but whose files cannot be read is in the answer instead, as 'unknown' with
   * `unreadable`.
   */
  readonly unreadableRecords?: readonly UnreadableRecord[];
}
