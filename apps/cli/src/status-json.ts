import { countByStatus, type JobView, SUMMARY_ORDER } from './job-view.ts';

/** { total, running, pending, ... } with every status present (0 when none), for scripts. */
export function summaryJson(views: readonly JobView[]): Record<string, number> {
  const counts = countByStatus(views);
  const summary: Record<string, number> = { total: views.length };
  for (const status of SUMMARY_ORDER) summary[status] = counts.get(status) ?? 0;
  return summary;
}
