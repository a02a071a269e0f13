import { groupByBatch } from './batch-groups.ts';
import { batchCounts, batchStatus, statusRows } from './batch-view.ts';
import { describeView, isFinished, type JobView, type ViewStatus, viewStatus } from './job-view.ts';

/** One row of `hpc status --watch` on a pipe: a line is printed whenever its text changes. */
export interface RowLine {
  id: string;
  name: string;
  status: ViewStatus;
  text: string;
}

/** A line per job, and per batch (its finished count and counts per state) unless `expand`. */
export function rowLines(views: readonly JobView[], expand: boolean): RowLine[] {
  return statusRows(views, expand).map((row) => {
    if (row.kind === 'job')
      return {
        id: row.view.id,
        name: row.view.name,
        status: viewStatus(row.view),
        text: describeView(row.view),
      };
    const { batch } = row;
    const finished = batch.views.filter(isFinished).length;
    return {
      id: batch.id,
      name: batch.name,
      status: batchStatus(batch),
      text: `${finished}/${batch.views.length} finished · ${batchCounts(batch)}`,
    };
  });
}

/**
 * At most `budget` rows: unfinished ones first, then the most recent finished ones; in submission
 * order. A batch is one row (all its processes are kept, its counts stay whole) unless `expand`.
 */
export function pickRows(views: readonly JobView[], budget: number, expand: boolean): JobView[] {
  const units = expand ? views.map((view) => [view]) : [...groupByBatch(views, (view) => view.id).values()];
  if (units.length <= budget) return [...views];
  const keep = new Set<JobView[]>();
  for (const unit of units) if (keep.size < budget && !unit.every(isFinished)) keep.add(unit);
  for (let index = units.length - 1; index >= 0 && keep.size < budget; index--)
    keep.add(units[index] as JobView[]);
  return units.filter((unit) => keep.has(unit)).flat();
}
