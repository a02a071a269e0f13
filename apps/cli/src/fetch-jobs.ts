import { type Driver, JobNotFoundError, type JobState } from '@hpc/core';
import type { JobView } from './job-view.ts';

/**
 * Every tracked job of one driver as views, from ONE status round trip (checkAllJobStatuses: one
 * squeue + at most one sacct on SLURM, however many jobs). Names the driver did not put in the
 * state come from its own job store, which costs no scheduler call. With `ids`, only those jobs,
 * in that order; an id the driver does not track is a JobNotFoundError. A job whose record cannot
 * be read comes back from the driver as 'unknown' with `unreadable` (the file and why): it is
 * shown as such, with all the others.
 */
export async function fetchJobViews(driver: Driver, ids?: readonly string[]): Promise<JobView[]> {
  const states = (await driver.checkAllJobStatuses()) as Map<string, JobState>;
  let names: Map<string, string> | undefined;
  const nameOf = async (id: string, stateName: string | undefined): Promise<string> => {
    if (stateName) return stateName;
    names ??= new Map((await driver.listJobs()).map((job) => [String(job.id), job.name]));
    return names.get(id) ?? '';
  };
  const viewOf = async (id: string, state: JobState): Promise<JobView> => {
    const unreadable = state.status === 'unknown' ? state.unreadable : undefined;
    const name = unreadable ? '' : await nameOf(id, state.name);
    return { id, driver: driver.kind, name, state, ...(unreadable ? { unreadable } : {}) };
  };
  const views: JobView[] = [];
  if (ids) {
    for (const id of ids) {
      const state = states.get(id);
      if (!state) throw new JobNotFoundError(id, driver.kind);
      views.push(await viewOf(id, state));
    }
    return views;
  }
  for (const [id, state] of states) views.push(await viewOf(String(id), state));
  return views;
}
