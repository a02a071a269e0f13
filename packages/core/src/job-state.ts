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
}

export type JobState = JobStateDetails &
  (
    | { status: 'pending'; reason?: string }
    | { status: 'running' }
    | { status: 'completing' }
    | { status: 'completed' }
    | { status: 'failed'; cause: FailureCause; message?: string }
    | { status: 'cancelled'; by?: string }
    | { status: 'timeout' }
    | { status: 'preempted' }
    | { status: 'requeued' }
    | { status: 'lost'; reason: string }
    | { status: 'unknown'; reason: string }
  );

const TERMINAL: ReadonlySet<JobStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
  'timeout',
  'preempted',
  'lost',
]);

/** Terminal states never change again; drivers cache them and stop asking the scheduler. */
export function isTerminalState(state: Pick<JobState, 'status'>): boolean {
  return TERMINAL.has(state.status);
}

/** One short human line: 'pending (Dependency)', 'failed (exit-code 3)', 'cancelled by 0'. */
export function describeJobState(state: JobState): string {
  switch (state.status) {
    case 'pending':
      return state.reason ? `pending (${state.reason})` : 'pending';
    case 'failed': {
      const detail = state.cause === 'exit-code' && state.exitCode !== undefined ? ` ${state.exitCode}` : '';
      return `failed (${state.cause}${detail})`;
    }
    case 'cancelled':
      return state.by ? `cancelled by ${state.by}` : 'cancelled';
    case 'lost':
    case 'unknown':
      return `${state.status} (${state.reason})`;
    default:
      return state.status;
  }
}
