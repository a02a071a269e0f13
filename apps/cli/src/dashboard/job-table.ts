import { formatDuration } from '../human-units.ts';
import { html, type SafeHtml } from './html.ts';
import type { DashboardRow } from './job-rows.ts';

export const TABLE_COLUMNS = ['id', 'name', 'state', 'progress', 'elapsed', 'node', 'efficiency'] as const;

/** One cell: what it shows, and what it sorts by (numbers sort as numbers). */
export interface TableCell {
  text: string;
  sort: string | number;
}

/** A row as the page receives it: the cells pre-formatted here, so page and report agree. */
export interface TableRow {
  id: string;
  status: string;
  href: string;
  batchHref?: string;
  cells: TableCell[];
}

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;

function efficiencyText(row: DashboardRow): string {
  const e = row.efficiency;
  if (!e) return '';
  const parts: string[] = [];
  if (e.cpu !== undefined) parts.push(`cpu ${percent(e.cpu)}`);
  if (e.memory !== undefined) parts.push(`mem ${percent(e.memory)}`);
  if (e.time !== undefined) parts.push(`time ${percent(e.time)}`);
  return parts.join(' · ');
}

/** The ids sort by their numbers ('local-9' before 'local-10', '4711_2' before '4711_10'). */
function idSortKey(id: string): string {
  return id.replace(/\d+/g, (digits) => digits.padStart(12, '0'));
}

export function tableRow(row: DashboardRow): TableRow {
  const out: TableRow = {
    id: row.id,
    status: row.status,
    href: `/job/${encodeURIComponent(row.id)}`,
    cells: [
      { text: row.id, sort: idSortKey(row.id) },
      { text: row.name, sort: row.name.toLowerCase() },
      { text: row.state, sort: row.status },
      { text: row.progress?.text ?? '', sort: row.progress?.share ?? -1 },
      { text: formatDuration(row.elapsedMs), sort: row.elapsedMs ?? -1 },
      { text: row.node ?? '', sort: row.node ?? '' },
      { text: efficiencyText(row), sort: row.efficiency?.cpu ?? -1 },
    ],
  };
  if (row.batch) out.batchHref = `/batch/${encodeURIComponent(row.batch)}`;
  return out;
}

/** The table as HTML (the static report, and the dashboard's first paint before its script runs). */
export function jobTableHtml(rows: readonly TableRow[], links: boolean, tableId = 'jobs'): SafeHtml {
  const body = rows.map((row) => {
    const cells = row.cells.map((cell, i) => {
      if (i === 0 && links) {
        const batch = row.batchHref ? html` <a class="batch" href="${row.batchHref}">batch</a>` : undefined;
        return html`<td><a href="${row.href}">${cell.text}</a>${batch}</td>`;
      }
      if (i === 2) return html`<td><span class="state s-${row.status}">${cell.text}</span></td>`;
      return html`<td>${cell.text}</td>`;
    });
    return html`<tr data-id="${row.id}" data-status="${row.status}">${cells}</tr>`;
  });
  const head = TABLE_COLUMNS.map((name) => html`<th data-column="${name}">${name}</th>`);
  return html`<table id="${tableId}" class="jobs"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
