import { formatDuration } from './human-units.ts';
import { describeView, elapsedMs, type JobView, statusPaint, viewStatus } from './job-view.ts';
import type { Style } from './terminal-style.ts';
import { type Cell, type Column, renderTable } from './text-table.ts';

const COLUMNS: readonly Column[] = [
  { header: 'ID' },
  { header: 'NAME', shrinkable: true },
  { header: 'STATE', shrinkable: true },
  { header: 'ELAPSED', align: 'right' },
  { header: 'NODE', shrinkable: true },
  { header: 'EXIT', align: 'right' },
];

/** The status table: id, name, state with reason, elapsed, node, exit code (renderTable escapes the data). */
export function renderStatusTable(
  views: readonly JobView[],
  style: Style,
  width?: number,
  now = Date.now(),
): string[] {
  const rows = views.map((view): Cell[] => [
    { text: view.id },
    { text: view.name },
    { text: describeView(view), paint: statusPaint(viewStatus(view), style) },
    { text: formatDuration(elapsedMs(view.state, now)) },
    { text: view.state.node ?? '' },
    { text: view.state.exitCode === undefined ? '' : String(view.state.exitCode) },
  ]);
  return renderTable(COLUMNS, rows, { headerPaint: style.bold, ...(width !== undefined ? { width } : {}) });
}
