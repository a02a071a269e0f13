import { type Driver, JobNotFoundError, type JobState } from '@hpc/core';
import { resolveBatchIds } from './batch-groups.ts';
import type { JobView } from './job-view.ts';

/**
 * Every tracked job of one driver as views, from ONE status round trip (checkAllJobStatuses: one
 * squeue + at most one sacct on SLURM, however many jobs). Names the driver did not put in the
 * state come from its own job store, which costs no scheduler call. With `ids`, only those jobs,
 * in that order; a batch's id ('4711', 'local-12') stands for all its processes; an id the driver
 * does not track is a JobNotFoundError.
 *
 * A job whose record cannot be read is in the answer like any other, as 'unknown' with
 * `unreadable` naming the file (both drivers say so and go on with the others).
 */
export async function fetchJobViews(driver: Driver, ids?: readonly string[]): Promise<JobView[]> {
  const states = (await driver.checkAllJobStatuses()) as Map<string, JobState>;
  let names: Map<string, string> | undefined;
  const nameOf = async (id: string, stateName: string | undefined): Promise<string> => {
    if (stateName) return stateName;
    names ??= new Map((await driver.listJobs()).map((job) => [String(job.id), job.name]));
    return names.get(id) ?? '';
  };
  const views: JobView[] = [];
  if (ids) {
    for (const given of ids) {
      const found = resolveBatchIds(given, states.keys(), (id) => states.has(id));
      if (!found.length) throw new JobNotFoundError(given, driver.kind);
      for (const id of found) {
        const state = states.get(id) as JobState;
        views.push({ id, driver: driver.kind, name: await nameOf(id, state.name), state });
      }
    }
    return views;
  }
  for (const [id, state] of states)
    views.push({ id: String(id), driver: driver.kind, name: await nameOf(id, state.name), state });
  return views;
}
