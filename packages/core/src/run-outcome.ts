import type { CheckpointNote } from './long-jobs.ts';
import type { RemoteError } from './remote-error.ts';

// The job folder's file names (JOB_FILES) live with the job-folder protocol in @hpc/container.
export const RUN_OUTCOME_VERSION = 1;

/** Why the plumbing (not the user's run()) failed. */
export type InfrastructureFailure =
  | 'crate-missing'
  | 'crate-corrupt'
  /** The crate's bytes differ from the digest recorded at submission (edited or replaced since). */
  | 'crate-changed'
  | 'object-missing'
  | 'unknown-type'
  | 'not-a-process'
  | 'import-failed'
  | 'result-unserializable'
  /** run() returned a storable value, but writing it failed (disk full, folder gone): see `errno`. */
  | 'result-write-failed'
  /**
   * Reading the crate or writing the job folder failed at the system level (permission denied,
   * disk full, folder removed, I/O error): see `errno`.
   */
  | 'io-error'
  | 'exit-called'
  | 'signalled'
  /** A process of a batch whose cancel was asked for by itself (cancelJob on its id): skipped or interrupted. */
  | 'cancelled'
  | 'internal';

/** What one run used, as the node-runner measured it (independent of site accounting). */
export interface RunUsage {
  wallMs: number;
  userCpuMs: number;
  systemCpuMs: number;
  /** The highest resident memory seen while this process ran (sampled, and at its end). */
  peakRssBytes: number;
  /** The whole runner's peak (getrusage maxrss): in a packed task, the task's so far. */
  taskPeakRssBytes: number;
}

/** What run() reported last through ctx.progress(). */
export interface JobProgress {
  done: number;
  total?: number;
  message?: string;
  /** When it was reported (ISO). */
  at: string;
}

interface OutcomeCommon {
  version: typeof RUN_OUTCOME_VERSION;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  host: string;
  pid: number;
  jobId?: string;
  /**
   * When the time-limit warning (SIGUSR1) came, if it came. A Process without checkpoint() keeps
   * running after it (the warning never shortens a job), so an 'ok' outcome can carry it too.
   */
  warnedAt?: string;
  /** What the run used (absent in outcomes written before it was recorded, or before run() could start). */
  usage?: RunUsage;
  /** The last ctx.progress() value, when run() reported any. */
  progress?: JobProgress;
  /** Set when the run was stopped to checkpoint (time-limit warning or preemption). */
  checkpoint?: CheckpointNote;
}

/**
 * The record a container writes last, atomically. Its presence means the run is over; its absence
 * after the scheduler says the job ended means the job was lost.
 */
export type RunOutcome = OutcomeCommon &
  (
    | { status: 'ok'; resultFile: string }
    | { status: 'failed'; kind: 'process'; error: RemoteError }
    | {
        status: 'failed';
        kind: 'infrastructure';
        reason: InfrastructureFailure;
        error: RemoteError;
        /** For 'result-write-failed', 'io-error' and other system failures: the errno code ('ENOSPC'). */
        errno?: string;
        /** For 'signalled': why the job was interrupted (SIGUSR1 before the time limit, cancel, SIGTERM, preemption). */
        interruption?: 'cancelled' | 'time-limit' | 'terminated' | 'preempted';
      }
  );

/** The exit code a node-runner reports for an outcome: 0 ok, 1 run() threw, 2 infrastructure. */
export function exitCodeOf(outcome: RunOutcome | undefined): 0 | 1 | 2 {
  if (!outcome) return 2;
  if (outcome.status === 'ok') return 0;
  return outcome.kind === 'process' ? 1 : 2;
}
