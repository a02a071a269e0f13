import { batchIdOf, groupByBatch } from './batch-groups.ts';
import {
  countByStatus,
  elapsedMs,
  isFinished,
  type JobView,
  SUMMARY_ORDER,
  type ViewStatus,
} from './job-view.ts';
import { summaryJson } from './status-json.ts';

/** One batch as `hpc status` shows it: a row for all its processes. */
export interface BatchView {
  id: string;
  driver: string;
  name: string;
  views: JobView[];
}

/** A status table's row: a plain job (or, with --expand, one process of a batch), or a whole batch. */
export type StatusRow = { kind: 'job'; view: JobView } | { kind: 'batch'; batch: BatchView };

/** Rows in first-seen order: each batch collapsed into one row unless `expand`. */
export function statusRows(views: readonly JobView[], expand = false): StatusRow[] {
  if (expand) return views.map((view) => ({ kind: 'job', view }));
  const rows: StatusRow[] = [];
  for (const [id, members] of groupByBatch(views, (view) => view.id)) {
    const first = members[0] as JobView;
    if (batchIdOf(first.id) === undefined) rows.push({ kind: 'job', view: first });
    else rows.push({ kind: 'batch', batch: batchViewOf(id, members) });
  }
  return rows;
}

/** The batches among these views (their processes' ids hold the batch id). */
export function batchViews(views: readonly JobView[]): BatchView[] {
  return statusRows(views).flatMap((row) => (row.kind === 'batch' ? [row.batch] : []));
}

function batchViewOf(id: string, views: JobView[]): BatchView {
  const names = new Set(views.map((view) => view.name));
  const name = names.size === 1 ? (views[0] as JobView).name : `${names.size} classes`;
  return { id, driver: (views[0] as JobView).driver, name, views };
}

/** What a batch row's STATE says and is painted as: the state that matters most among its processes. */
export function batchStatus(batch: BatchView): ViewStatus {
  const counts = countByStatus(batch.views);
  return WEIGHTIEST_FIRST.find((status) => counts.has(status)) ?? 'unknown';
}

/** A batch with one failed process is painted failed; then live work; all completed is green. */
const WEIGHTIEST_FIRST: readonly ViewStatus[] = [
  'unreadable',
  'failed',
  'timeout',
  'lost',
  'running',
  'completing',
  'pending',
  'requeued',
  'cancelled',
  'preempted',
  'unknown',
  'completed',
];

/** '2 running · 6 pending · 6 completed': counts per state, live work first. */
export function batchCounts(batch: BatchView): string {
  const counts = countByStatus(batch.views);
  return SUMMARY_ORDER.filter((status) => counts.has(status))
    .map((status) => `${counts.get(status)} ${status}`)
    .join(' · ');
}

/** The longest elapsed time among its processes. */
export function batchElapsedMs(batch: BatchView, now = Date.now()): number | undefined {
  let longest: number | undefined;
  for (const view of batch.views) {
    const ms = elapsedMs(view.state, now);
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms;
  }
  return longest;
}

/** The one node its started processes ran on, or how many (a pending one has no node yet). */
export function batchNodes(batch: BatchView): string {
  const nodes = new Set(
    batch.views.flatMap((view) =>
      view.state.node && view.state.status !== 'pending' ? [view.state.node] : [],
    ),
  );
  if (nodes.size <= 1) return [...nodes][0] ?? '';
  return `${nodes.size} nodes`;
}

/** The JSON shape of one batch in `hpc status --json` (its processes are in `jobs` too, with `batch`). */
export function batchJson(batch: BatchView) {
  return {
    id: batch.id,
    driver: batch.driver,
    name: batch.name,
    count: batch.views.length,
    finished: batch.views.filter(isFinished).length,
    summary: summaryJson(batch.views),
    ids: batch.views.map((view) => view.id),
  };
}
