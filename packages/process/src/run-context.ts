/** What a running Process gets from the container. */
export interface RunContext {
  /** The job's own working folder; also the current directory while run() executes. */
  readonly workDir: string;
  /** The job folder holding the crate, logs, result and outcome. */
  readonly jobDir: string;
  /** The scheduler's job id, when there is one. */
  readonly jobId: string | undefined;
  /** This process's place in the list given to submitJobs() (0-based); undefined for submitJob(). */
  readonly batchIndex?: number | undefined;
  /** SLURM's array task id of the task running this process (SLURM_ARRAY_TASK_ID), on a cluster. */
  readonly arrayTaskId?: number | undefined;
  /**
   * How many times this job was restarted from its checkpoint (time limit or preemption), 0 on
   * its first run; the revived object carries the fields checkpoint() left.
   */
  readonly restarts: number;
  /** @deprecated The same number as `restarts` (its old name). */
  readonly attempt: number;
  /** Aborts when the job is cancelled or about to hit its time limit; `reason` says which. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /**
   * Says how far run() has got: `ctx.progress(420, 1000, 'fitting')`. Cheap to call often: the
   * value is written to the job folder at most about once a second, shown by `hpc status`, and
   * the last one is kept in the outcome.
   */
  progress(done: number, total?: number, message?: string): void;
}

export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** Why ctx.signal aborted. */
/** 'preempted': SIGTERM while the Process can checkpoint (a preemption; a cancel looks the same to the node). */
export type AbortReason = 'cancelled' | 'time-limit' | 'terminated' | 'preempted';
