import { isTerminalState, type JobDescription, type JobProgress, type JobState } from '@hpc/core';
import { batchIdOf } from '../batch-groups.ts';
import { renderJobProgress } from '../job-progress.ts';
import { describeView, type JobView, viewStatus } from '../job-view.ts';
import { shown } from '../output-safety.ts';

/** One line of the dashboard's job table (sent to the page as JSON; the page writes it as text). */
export interface DashboardRow {
  id: string;
  name: string;
  /** The batch (job array) it belongs to, for the link to its timeline. */
  batch?: string;
  /** The state word the colour goes by ('running', 'failed', 'unreadable'). */
  status: string;
  /** 'failed (exit-code 3)', 'pending (Dependency)'. */
  state: string;
  progress?: { share?: number; text: string };
  elapsedMs?: number;
  node?: string;
  /** seff's ratios (0..1+), when known. */
  efficiency?: { cpu?: number; memory?: number; time?: number };
  submittedAt?: string;
  startedAt?: string;
  endedAt?: string;
}

/** How long it has run: SLURM's elapsed, else from its times (to now while it runs). */
export function elapsedOf(state: JobState, now: number): number | undefined {
  if (state.elapsedMs !== undefined) return state.elapsedMs;
  if (!state.startedAt) return undefined;
  const end = state.endedAt ? Date.parse(state.endedAt) : isTerminalState(state) ? Number.NaN : now;
  const ms = end - Date.parse(state.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function progressOf(progress: JobProgress | undefined): DashboardRow['progress'] {
  if (!progress) return undefined;
  const text = shown(renderJobProgress(progress, 0).replace(/^\[\] /, ''));
  return progress.total
    ? { share: Math.min(1, Math.max(0, progress.done / progress.total)), text }
    : { text };
}

/** A table row from the poll's view of a job and, when described, its description. */
export function dashboardRow(
  view: JobView,
  description: JobDescription | undefined,
  now: number,
): DashboardRow {
  const { state } = view;
  const row: DashboardRow = {
    id: view.id,
    name: view.name,
    status: viewStatus(view),
    state: describeView(view),
  };
  const batch = batchIdOf(view.id);
  if (batch) row.batch = batch;
  const progress = progressOf(view.progress ?? description?.progress);
  if (progress) row.progress = progress;
  const elapsed = elapsedOf(state, now);
  if (elapsed !== undefined) row.elapsedMs = elapsed;
  if (state.node) row.node = state.node;
  const efficiency = description?.efficiency;
  if (efficiency && (efficiency.cpu || efficiency.memory || efficiency.time)) {
    row.efficiency = {};
    if (efficiency.cpu) row.efficiency.cpu = efficiency.cpu.ratio;
    if (efficiency.memory) row.efficiency.memory = efficiency.memory.ratio;
    if (efficiency.time) row.efficiency.time = efficiency.time.ratio;
  }
  for (const key of ['submittedAt', 'startedAt', 'endedAt'] as const) {
    const at = state[key];
    if (at) row[key] = at;
  }
  return row;
}
