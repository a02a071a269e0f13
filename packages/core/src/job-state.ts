import { describeRestart, type JobAttempt } from './long-jobs.ts';
import type { SchedulerUsage } from './scheduler-usage.ts';

/**
 * The one state vocabulary of every driver. A discriminated union on `status`; the scheduler's own
 * words stay in `raw` for display, so nothing SLURM said is lost in the mapping.
 */
export const JOB_STATUSES = [
  'pending',
  'running',
  'completing',
  'completed',
  'failed',
  'cancelled',
  'timeout',
  'preempted',
  'requeued',
  'lost',
  /** Never started: a job it depends on ended in a way that can never satisfy the dependency. */
  'blocked',
  'unknown',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Why a job failed: its own exit code, the process's exception, memory, the node, or our plumbing. */
export type FailureCause =
  | 'exit-code'
  | 'process-error'
  | 'out-of-memory'
  | 'node-fail'
  | 'signal'
  | 'infrastructure';

export interface JobStateDetails {
  /** The scheduler's own text, e.g. 'CANCELLED by 0' or 'PENDING (Dependency)'. */
  raw?: string;
  /** Node(s) the job ran on. */
  node?: string;
  exitCode?: number;
  signal?: number;
  /** ISO timestamps, when known. */
  submittedAt?: string;
  startedAt?: string;
  endedAt?: string;
  elapsedMs?: number;
  name?: string;
  /**
   * Every attempt behind this one id, oldest first, when there was more than one (retries,
   * restarts from a checkpoint, resubmissions): see JobAttempt.
   */
  attempts?: readonly JobAttempt[];
  /** The retry policy's maxAttempts, when the job has one. */
  maxAttempts?: number;
  /** Restarts from a checkpoint so far (time limit or preemption). */
  restarts?: number;
  /** The scheduler's own figures for a finished run (sacct), when its accounting has them. */
  scheduler?: SchedulerUsage;
  /**
   * Why a job whose retry policy lists its failure was not retried: 'retry not possible: mem 4G
   * exceeds partition short's MaxMemPerNode 2000M', 'retries ran out: 3 of 3 attempts used'.
   */
  retryNote?: string;
  /** The restarts the job may have (maxRestarts), shown with `restarts`: 'restart 2/3 after time-limit'. */
  maxRestarts?: number;
}

export type JobState = JobStateDetails &
  (
    | { status: 'pending'; reason?: string }
    | { status: 'running' }
    | { status: 'completing' }
    | { status: 'completed' }
    | { status: 'failed'; cause: FailureCause; message?: string }
    | { status: 'cancelled'; by?: string }
    | {
        status: 'timeout';
        /** The limit the job was stopped at, when known (see describeRunAgainstLimit). */
        timeLimitMs?: number;
      }
    | { status: 'preempted' }
    | { status: 'requeued' }
    | { status: 'lost'; reason: string }
    | {
        status: 'blocked';
        /** The upstream job whose end can never satisfy this job's dependency, and how it ended. */
        upstream: string;
        upstreamStatus: JobStatus;
        /** More on how the upstream ended: its failure cause ('out-of-memory'), who cancelled it. */
        upstreamDetail?: string;
        /** Which of the job's dependency lists named the upstream. */
        dependency?: 'after' | 'afterAny' | 'afterNotOk';
      }
    | {
        status: 'unknown';
        reason: string;
        /**
         * Set when the job's own record or outcome (job.json, outcome.json) exists but cannot be
         * read: which file, and what is wrong with it. Every driver reports such a job this way
         * and goes on with the others (unreadableJobState).
         */
        unreadable?: UnreadableRecord;
      }
  );

/** A job file that exists but cannot be read (truncated, garbled, another version, a permission). */
export interface UnreadableRecord {
  file: string;
  /** What is wrong with it, without the file name: 'it is not valid JSON (40 bytes; truncated or damaged)'. */
  message: string;
}

const TERMINAL: ReadonlySet<JobStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
  'timeout',
  'preempted',
  'lost',
  'blocked',
]);

/** Terminal states never change again; drivers cache them and stop asking the scheduler. */
export function isTerminalState(state: Pick<JobState, 'status'>): boolean {
  return TERMINAL.has(state.status);
}

/**
 * One short human line: 'pending (Dependency)', 'failed (exit-code 3)', 'cancelled by 0', and
 * for a job restarted from its checkpoint 'running; restart 2/3 after time-limit'.
 */
export function describeJobState(state: JobState): string {
  const line = describeStatus(state);
  if (!state.restarts) return line;
  const latest = [...(state.attempts ?? [])].reverse().find((attempt) => attempt.cause === 'restart');
  return `${line}; ${describeRestart(state.restarts, state.maxRestarts, latest?.after)}`;
}

function describeStatus(state: JobState): string {
  switch (state.status) {
    case 'pending':
      return state.reason ? `pending (${state.reason})` : 'pending';
    case 'failed': {
      const detail = state.cause === 'exit-code' && state.exitCode !== undefined ? ` ${state.exitCode}` : '';
      return `failed (${state.cause}${detail})`;
    }
    case 'cancelled':
      return state.by ? `cancelled by ${state.by}` : 'cancelled';
    case 'blocked':
      return `blocked by ${state.upstream} (${state.upstreamStatus}${state.upstreamDetail ? `: ${state.upstreamDetail}` : ''})`;
    case 'lost':
    case 'unknown':
      return `${state.status} (${state.reason})`;
    default:
      return state.status;
  }
}

/** 'ran 2m03s of its 2m limit': how a job stopped at its time limit says how long it had. */
export function describeRunAgainstLimit(elapsedMs: number, limitMs: number): string {
  return `ran ${formatRunTime(elapsedMs)} of its ${formatRunTime(limitMs)} limit`;
}

const RUN_TIME_UNITS: readonly [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/**
 * A duration in whole seconds, in the units time limits are written in: '45s', '2m03s', '2m',
 * '1h00m05s', '1d02h'. Units below the last non-zero one are left out.
 */
export function formatRunTime(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1_000));
  const parts: string[] = [];
  for (const [unit, seconds] of RUN_TIME_UNITS) {
    const count = Math.floor(rest / seconds);
    rest -= count * seconds;
    if (count > 0 || parts.length > 0)
      parts.push(`${parts.length ? String(count).padStart(2, '0') : count}${unit}`);
    if (rest === 0 && parts.length > 0) break;
  }
  return parts.join('') || '0s';
}
