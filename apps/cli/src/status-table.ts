import {
  type BatchView,
  batchCounts,
  batchElapsedMs,
  batchNodes,
  batchStatus,
  statusRows,
} from './batch-view.ts';
import { formatDuration } from './human-units.ts';
import { renderJobProgress } from './job-progress.ts';
import { describeView, elapsedMs, isFinished, type JobView, statusPaint, viewStatus } from './job-view.ts';
import { renderProgressBar } from './progress-bar.ts';
import { createStyle, type Style } from './terminal-style.ts';
import { type Cell, type Column, renderTable } from './text-table.ts';

const COLUMNS: readonly Column[] = [
  { header: 'ID' },
  { header: 'NAME', shrinkable: true },
  { header: 'STATE', shrinkable: true },
  { header: 'ELAPSED', align: 'right' },
  { header: 'NODE', shrinkable: true },
  { header: 'EXIT', align: 'right' },
];

const BAR_WIDTH = 10;
const PLAIN = createStyle(false);

/**
 * The status table: id, name, state with reason, elapsed, node, exit code (renderTable escapes the
 * data). A batch is one row (its id, a progress bar and its counts per state) unless `expand`
 * asks for a row per process.
 */
export function renderStatusTable(
  views: readonly JobView[],
  style: Style,
  width?: number,
  now = Date.now(),
  expand = false,
): string[] {
  const rows = statusRows(views, expand).map((row) =>
    row.kind === 'job' ? jobCells(row.view, style, now) : batchCells(row.batch, style, now),
  );
  return renderTable(COLUMNS, rows, { headerPaint: style.bold, ...(width !== undefined ? { width } : {}) });
}

function jobCells(view: JobView, style: Style, now: number): Cell[] {
  return [
    { text: view.id },
    { text: view.name },
    {
      text: view.progress ? `${describeView(view)} ${renderJobProgress(view.progress)}` : describeView(view),
      paint: statusPaint(viewStatus(view), style),
    },
    { text: formatDuration(elapsedMs(view.state, now)) },
    { text: view.state.node ?? '' },
    { text: view.state.exitCode === undefined ? '' : String(view.state.exitCode) },
  ];
}

/** '[██████░░░░] 6/14 finished · 2 running · 6 pending · 6 completed', painted by its weightiest state. */
function batchCells(batch: BatchView, style: Style, now: number): Cell[] {
  const completed = batch.views.filter((view) => viewStatus(view) === 'completed').length;
  const finished = batch.views.filter(isFinished).length;
  const bar = renderProgressBar(
    { completed, otherFinished: finished - completed, total: batch.views.length },
    PLAIN,
    BAR_WIDTH,
  );
  return [
    { text: batch.id },
    { text: batch.name },
    { text: `${bar} · ${batchCounts(batch)}`, paint: statusPaint(batchStatus(batch), style) },
    { text: formatDuration(batchElapsedMs(batch, now)) },
    { text: batchNodes(batch) },
    { text: '' },
  ];
}
