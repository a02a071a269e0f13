import { type Driver, isHpcError } from '@hpc/core';
import { isFinished, type JobView } from './job-view.ts';
import { cancelThroughHost } from './local-cancel.ts';

/** What cancelling one batch did. */
export interface BatchCancel {
  id: string;
  processes: number;
  /** The processes not finished when the cancel was asked: these were cancelled. */
  unfinished: number;
}

/**
 * Cancels a whole batch (or a whole packed task, '4711_3'). The driver is asked once with its id
 * (SLURM: one `scancel` of the array); a driver that does not take a batch id (JobNotFoundError, InvalidOptionError) gets a
 * cancel per unfinished process instead, through its local host when one listens.
 */
export async function cancelBatch(
  driver: Driver,
  id: string,
  members: readonly JobView[],
): Promise<BatchCancel> {
  const unfinished = members.filter((view) => !isFinished(view));
  const report = { id, processes: members.length, unfinished: unfinished.length };
  if (!unfinished.length) return report;
  try {
    if (!(await cancelThroughHost(driver, id))) await driver.cancelJob(id);
    return report;
  } catch (error) {
    if (!isHpcError(error, 'JobNotFoundError', 'InvalidOption')) throw error;
  }
  const failures: string[] = [];
  for (const view of unfinished) {
    try {
      if (!(await cancelThroughHost(driver, view.id))) await driver.cancelJob(view.id);
    } catch (error) {
      failures.push(`${view.id}: ${(error as Error)?.message ?? String(error)}`);
    }
  }
  if (failures.length)
    throw new Error(
      `batch ${id}: ${failures.length} of ${unfinished.length} unfinished processes could not be cancelled (${failures.join('; ')})`,
    );
  return report;
}
