import type { JobDescription } from '@hpc/core';
import { batchIdOf } from '../batch-groups.ts';
import { ganttSvg, type MemoryBar, memorySvg, type TimelineTask } from './gantt-svg.ts';
import { html, type SafeHtml } from './html.ts';
import type { DashboardRow } from './job-rows.ts';
import { jobTableHtml, tableRow } from './job-table.ts';

/** A batch's processes: the rows whose id is `<batch>_...`, in task order. */
export function batchRows(rows: readonly DashboardRow[], batch: string): DashboardRow[] {
  return rows.filter((row) => batchIdOf(row.id) === batch);
}

/**
 * A batch: its counts per state, the Gantt of its tasks (waiting → running → end, coloured by
 * state), memory used vs requested per task (from the descriptions of its finished tasks), and
 * its rows.
 */
export function batchFragment(
  batch: string,
  rows: readonly DashboardRow[],
  describedOf: (id: string) => JobDescription | undefined,
  now: number,
  links = true,
): SafeHtml {
  if (rows.length === 0) return html`<p class="error">No tracked batch has the id ${batch}.</p>`;
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  const summary = [...counts].map(
    ([status, n]) => html`<span class="state s-${status}">${n} ${status}</span> `,
  );
  const tasks: TimelineTask[] = rows.map((row) => ({ ...row }));
  const memory: MemoryBar[] = rows.map((row) => {
    const d = describedOf(row.id);
    return {
      id: row.id,
      status: row.status,
      usedBytes: d?.usage?.peakRssBytes ?? d?.scheduler?.maxRssBytes,
      requestedBytes: d?.requested.memBytes ?? d?.scheduler?.reqMemBytes,
    };
  });
  return html`<section class="batch" data-id="${batch}"><p>${rows.length} processes: ${summary}</p>
<h2>timeline</h2>${ganttSvg(tasks, now)}<h2>memory used vs requested</h2>${memorySvg(memory)}
<h2>processes</h2>${jobTableHtml(rows.map(tableRow), links, `tasks-${batch}`)}</section>`;
}
