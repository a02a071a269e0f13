import { type Driver, isHpcError, type JobState } from '@hpc/core';
import { resolveBatchIds } from './batch-groups.ts';
import { fetchJobViews } from './fetch-jobs.ts';
import type { JobView } from './job-view.ts';

/** The scheduler's failure when the views below are all that could be shown. */
export interface SchedulerOutage {
  message: string;
  /** Jobs shown as 'unknown' because only the scheduler knows their state now. */
  unknown: number;
}

/**
 * fetchJobViews, except that a failing scheduler call (controller down, squeue timing out) does not
 * blank the answer: every job is still listed from the driver's own store, with the state it knows
 * without asking (a recorded final state) or as 'unknown' naming the failure; `outage` says so.
 * Other errors (an id nobody tracks) are thrown as before.
 */
export async function fetchJobViewsOrKnown(
  driver: Driver,
  ids?: readonly string[],
): Promise<{ views: JobView[]; outage?: SchedulerOutage }> {
  try {
    return { views: await fetchJobViews(driver, ids) };
  } catch (error) {
    if (!isSchedulerFailure(error)) throw error;
    const message = (error as Error).message;
    const tracked = await driver.listJobs();
    const known = new Map(tracked.map((job) => [String(job.id), job]));
    const chosen = ids
      ? ids.flatMap((given) => resolveBatchIds(given, known.keys(), (id) => known.has(id)))
      : [...known.keys()];
    let unknown = 0;
    const views = chosen.map((id): JobView => {
      const job = known.get(id);
      const state: JobState = job?.knownState && job.knownFinal ? job.knownState : unknownState(message);
      if (state.status === 'unknown') unknown++;
      return { id, driver: driver.kind, name: job?.name ?? '', state };
    });
    return { views, outage: { message, unknown } };
  }
}

function unknownState(message: string): JobState {
  return { status: 'unknown', reason: `not known now: the scheduler did not answer (${message})` };
}

function isSchedulerFailure(error: unknown): boolean {
  return isHpcError(error, 'SchedulerUnavailableError', 'SchedulerCommandError');
}
