import type { JobStatus } from './job-state.ts';

/**
 * The vocabulary of long and failing jobs shared by every driver: restarts from a checkpoint,
 * retries that escalate resources, dependencies, and the attempts a job's one id stands for.
 */

/** A Process with checkpoint() is restarted at its time limit or on preemption at most this often. */
export const DEFAULT_MAX_RESTARTS = 3;

/**
 * The node-runner's exit code after a checkpoint when it could not requeue the job itself (no
 * `scontrol` on the node, or not under SLURM): the driver restarts it from the login side.
 * (75 is EX_TEMPFAIL of sysexits.h: "try again later".)
 */
export const RESTART_EXIT_CODE = 75;

/** What a retry may be asked for; a run() exception ('process-error') only when listed. */
export const RETRY_CAUSES = [
  'out-of-memory',
  'timeout',
  'node-fail',
  'preempted',
  'lost',
  'process-error',
  'exit-code',
] as const;
export type RetryCause = (typeof RETRY_CAUSES)[number];

export interface RetryPolicy {
  /** Attempts in all, the first included (2 = one retry). */
  maxAttempts: number;
  /** Which failures are retried. */
  on: readonly RetryCause[];
  /**
   * Factors applied to the previous attempt's request: `mem` after 'out-of-memory' (default 2),
   * `time` after 'timeout' of a Process without checkpoint() (default 1.5). Capped by the
   * partition's limits; a retry that cannot fit says so instead of being refused by sbatch.
   */
  escalate?: { mem?: number; time?: number };
}

/** How a job's attempt came to be. */
export type AttemptCause =
  /** The first submission. */
  | 'submitted'
  /** restarted from its checkpoint after the time-limit warning or a preemption. */
  | 'restart'
  /** A retry under `retry` after a failure. */
  | 'retry'
  /** Submitted again because an upstream it depends on was retried (not counted as a retry). */
  | 'upstream-retried';

/** How a restart or retry was carried out, recorded so users and tests can tell. */
export type AttemptMechanism =
  /** The node-runner ran `scontrol requeue` itself: same SLURM id. */
  | 'node-requeue'
  /** The driver ran `scontrol requeue` from the login side: same SLURM id. */
  | 'driver-requeue'
  /** SLURM requeued it (PreemptMode=REQUEUE): same SLURM id. */
  | 'scheduler-requeue'
  /** A new sbatch (new SLURM id, same job folder and logical id). */
  | 'resubmitted'
  /** The local driver started the runner again. */
  | 'relaunched';

/**
 * What a run that was stopped to checkpoint (time-limit warning or preemption) did, as the
 * node-runner recorded it in its outcome (RunOutcome.checkpoint).
 */
export interface CheckpointNote {
  /** What asked for it: SIGUSR1 (the scheduler's time-limit warning) or SIGTERM (a preemption). */
  signal: 'SIGUSR1' | 'SIGTERM';
  /** ctx.signal's abort reason. */
  reason: 'time-limit' | 'preempted';
  /** When the signal came (ISO). */
  signalAt: string;
  /** How long checkpoint() took, in ms. */
  checkpointMs: number;
  /** The object (or checkpoint()'s replacement) was saved as the job's next crate. */
  saved: boolean;
  /** When saved: the number of restarts the next run sees (ctx.restarts). */
  restarts?: number;
  /** When not saved: why ('checkpoint() threw: …', 'no restart left (maxRestarts 3)'). */
  error?: string;
  /** When saved: how the job is to run again (see AttemptMechanism). */
  requeue?: AttemptMechanism;
}

/** One attempt of a job: its scheduler id, why it started, what it was given, how it ended. */
export interface JobAttempt {
  /** 1-based, in order. */
  number: number;
  cause: AttemptCause;
  /** For a restart or retry: what ended the previous attempt ('out-of-memory', 'time-limit', 'preempted', …). */
  after?: string;
  mechanism?: AttemptMechanism;
  /** The scheduler's id of this attempt ('4711'); the same as the last one's for an in-place requeue. */
  schedulerId?: string;
  /** Resources changed for this attempt, by sbatch option: { mem: '4G' }, { time: '00:03:00' }, { exclude: 'n2' }. */
  changed?: Record<string, string>;
  /** ISO times, when known. */
  submittedAt?: string;
  startedAt?: string;
  endedAt?: string;
  node?: string;
  /** How this attempt ended, once it has. */
  endedAs?: JobStatus;
  /** One line on how it ended ('out of memory: peak 1.9 GiB of 2 GiB'). */
  endNote?: string;
}

/** Dependencies of one submission, by the ids the drivers returned. */
export interface JobDependencies {
  /** Start once all of these completed ('afterok'). */
  after?: readonly string[];
  /** Start once all of these ended, however ('afterany'). */
  afterAny?: readonly string[];
  /** Start once all of these ended other than completed ('afternotok'). */
  afterNotOk?: readonly string[];
}

/** One line for a job's current attempt in a status: 'attempt 2/3 (mem 4G after out-of-memory)'. */
export function describeAttempt(attempt: JobAttempt, maxAttempts: number | undefined): string {
  const of = maxAttempts !== undefined ? `/${maxAttempts}` : '';
  const changed = Object.entries(attempt.changed ?? {})
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  const after = attempt.after ? `after ${attempt.after}` : '';
  const detail = [changed, after].filter(Boolean).join(' ');
  return `attempt ${attempt.number}${of}${detail ? ` (${detail})` : ''}`;
}

/** 'restart 2/3 after time-limit': the latest restart of a job, for its status line. */
export function describeRestart(restarts: number, maxRestarts: number | undefined, after?: string): string {
  const of = maxRestarts !== undefined ? `/${maxRestarts}` : '';
  return `restart ${restarts}${of}${after ? ` after ${after}` : ''}`;
}
