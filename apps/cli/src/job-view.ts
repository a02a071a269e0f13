import {
  describeAttempt,
  describeJobState,
  isTerminalState,
  type JobProgress,
  type JobState,
  type JobStatus,
  type UnreadableRecord,
  unreadableFileOf,
} from '@hpc/core';
import { batchIdOf } from './batch-groups.ts';
import type { Paint, Style } from './terminal-style.ts';

/** One tracked job as the CLI shows it: what the driver said, plus the numbers a table needs. */
export interface JobView {
  id: string;
  /** The driver that tracks it: 'local' or 'slurm'. */
  driver: string;
  name: string;
  state: JobState;
  /** A running job's last ctx.progress() (progress.json). */
  progress?: JobProgress;
}

/** Which of the job's files cannot be read, and why: the driver says so in the state ('unknown' with `unreadable`). */
export function unreadableOf(view: JobView): UnreadableRecord | undefined {
  return unreadableFileOf(view.state);
}

/** What a summary counts: the job states, plus jobs whose record could not be read. */
export type ViewStatus = JobStatus | 'unreadable';

export function viewStatus(view: JobView): ViewStatus {
  return unreadableOf(view) ? 'unreadable' : view.state.status;
}

/**
 * The STATE text: 'pending (Dependency)', 'failed (exit-code 3)', 'unreadable'; a job with several
 * attempts says which: 'running, attempt 2/3 (mem 4G after out-of-memory)'.
 */
export function describeView(view: JobView): string {
  if (unreadableOf(view)) return 'unreadable';
  const attempt = view.state.attempts?.at(-1);
  const described = describeJobState(view.state);
  return attempt && (view.state.attempts?.length ?? 0) > 1
    ? `${described}, ${describeAttempt(attempt, view.state.maxAttempts)}`
    : described;
}

/** Nothing more will change: the job has ended, or its record cannot be read (watching it would never end). */
export function isFinished(view: JobView): boolean {
  return unreadableOf(view) !== undefined || isTerminalState(view.state);
}

/** The JSON shape of one job in `hpc status --json` (stable: scripts read it). */
export interface JobJson {
  id: string;
  driver: string;
  name: string;
  status: JobStatus;
  /** One line, e.g. 'pending (Dependency)', 'failed (exit-code 3)'. */
  description: string;
  terminal: boolean;
  elapsedMs: number | null;
  node: string | null;
  exitCode: number | null;
  /** Everything the driver reported (reason, cause, raw scheduler text, timestamps). */
  state: JobState;
  /** Only for a job whose record could not be read (status 'unknown'). */
  unreadable?: UnreadableRecord;
  /** A running job's last ctx.progress(). */
  progress?: JobProgress;
}

/** Running time: the driver's figure, else from the start to the end (or now, while running). */
export function elapsedMs(state: JobState, now = Date.now()): number | undefined {
  if (state.elapsedMs !== undefined) return state.elapsedMs;
  if (!state.startedAt) return undefined;
  const start = Date.parse(state.startedAt);
  const end = state.endedAt ? Date.parse(state.endedAt) : isTerminalState(state) ? Number.NaN : now;
  return Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : undefined;
}

export function jobJson(view: JobView, now = Date.now()): JobJson {
  const unreadable = unreadableOf(view);
  const batch = batchIdOf(view.id);
  return {
    id: view.id,
    driver: view.driver,
    name: view.name,
    status: view.state.status,
    description: describeView(view),
    terminal: isTerminalState(view.state),
    elapsedMs: elapsedMs(view.state, now) ?? null,
    node: view.state.node ?? null,
    exitCode: view.state.exitCode ?? null,
    state: view.state,
    ...(unreadable ? { unreadable } : {}),
    ...(batch ? { batch } : {}),
    ...(view.progress ? { progress: view.progress } : {}),
  };
}

/** The colour a state is drawn in: green done, cyan running, yellow waiting, red failed or unreadable, gray cancelled. */
export function statusPaint(status: ViewStatus, style: Style): Paint {
  switch (status) {
    case 'completed':
      return style.green;
    case 'running':
    case 'completing':
      return style.cyan;
    case 'pending':
    case 'requeued':
      return style.yellow;
    case 'failed':
    case 'timeout':
    case 'lost':
    case 'unreadable':
      return style.red;
    case 'cancelled':
    case 'preempted':
      return style.magenta;
    default:
      return style.gray;
  }
}

/** The order counts appear in a summary line: live work first, then outcomes. */
export const SUMMARY_ORDER: readonly ViewStatus[] = [
  'running',
  'completing',
  'pending',
  'requeued',
  'completed',
  'failed',
  'timeout',
  'cancelled',
  'preempted',
  'lost',
  'unknown',
  'unreadable',
];

export function countByStatus(views: readonly JobView[]): Map<ViewStatus, number> {
  const counts = new Map<ViewStatus, number>();
  for (const view of views) {
    const status = viewStatus(view);
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

/** '3 running · 10 pending · 1 failed · 1 unreadable', coloured per state on a terminal. */
export function renderSummary(views: readonly JobView[], style: Style): string {
  const counts = countByStatus(views);
  const parts = SUMMARY_ORDER.filter((status) => counts.has(status)).map((status) =>
    statusPaint(status, style)(`${counts.get(status)} ${status}`),
  );
  return parts.length ? parts.join(' · ') : 'no jobs';
}
