import type { CleanChoice, Driver } from '@hpc/core';
import { batchIdOf } from './batch-groups.ts';

/**
 * The chosen ids whose folders hold only chosen jobs: a batch too large for one SLURM array is
 * grouped per array, but its folder goes whole, so an array chosen while another is kept stays
 * (asked first as a dry run, only when a batch was chosen: a job's folder is its own), said as
 * 'shares-folder'. `batches`: the candidates that are batches (by their array id).
 */
export async function wholeFolders(
  driver: Pick<Driver, 'forgetJobs'>,
  choice: CleanChoice,
  batches: ReadonlySet<string>,
): Promise<string[]> {
  if (!choice.selected.some((id) => batches.has(id))) return choice.selected;
  const chosen = new Set(choice.selected);
  const keyOf = (id: string) => batchIdOf(id) ?? id;
  const plan = await driver.forgetJobs(choice.selected, { dryRun: true });
  for (const unit of plan.removed) {
    const keys = new Set(unit.ids.map(keyOf));
    if ([...keys].every((key) => chosen.has(key) || !batches.has(key))) continue;
    for (const key of keys) if (chosen.delete(key)) choice.kept.push({ id: key, reason: 'shares-folder' });
  }
  return [...chosen];
}
