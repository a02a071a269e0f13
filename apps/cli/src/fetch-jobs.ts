import { type Driver, isHpcError, JobNotFoundError, type JobState } from '@hpc/core';
import type { JobView } from './job-view.ts';
import { localJobDir, localJobIds, localRootOf } from './local-jobs.ts';
import { describeUnreadable } from './unreadable-record.ts';

/** Job folders read at once when going job by job. */
const ONE_BY_ONE_BATCH = 64;

/**
 * Every tracked job of one driver as views, from ONE status round trip (checkAllJobStatuses: one
 * squeue + at most one sacct on SLURM, however many jobs). Names the driver did not put in the
 * state come from its own job store, which costs no scheduler call. With `ids`, only those jobs,
 * in that order; an id the driver does not track is a JobNotFoundError.
 *
 * One bad record must not hide every other job: when the local driver cannot answer for all its
 * jobs at once (a truncated outcome.json, a garbled job.json), each job folder is asked on its own
 * and the ones that fail are shown as unreadable, naming the file. (The SLURM driver answers from
 * one poll of its store, so its failures are the store's or the scheduler's, and are reported.)
 */
export async function fetchJobViews(driver: Driver, ids?: readonly string[]): Promise<JobView[]> {
  let states: Map<string, JobState>;
  try {
    states = (await driver.checkAllJobStatuses()) as Map<string, JobState>;
  } catch (error) {
    const localRoot = localRootOf(driver);
    if (localRoot === undefined) throw error;
    return fetchOneByOne(driver, localRoot, ids);
  }
  let names: Map<string, string> | undefined;
  const nameOf = async (id: string, stateName: string | undefined): Promise<string> => {
    if (stateName) return stateName;
    names ??= new Map((await driver.listJobs()).map((job) => [String(job.id), job.name]));
    return names.get(id) ?? '';
  };
  const views: JobView[] = [];
  if (ids) {
    for (const id of ids) {
      const state = states.get(id);
      if (!state) throw new JobNotFoundError(id, driver.kind);
      views.push({ id, driver: driver.kind, name: await nameOf(id, state.name), state });
    }
    return views;
  }
  for (const [id, state] of states)
    views.push({ id: String(id), driver: driver.kind, name: await nameOf(id, state.name), state });
  return views;
}

/** Asks for each job on its own; without `ids`, every job folder (a folder with no record yet is skipped, as the driver does). */
async function fetchOneByOne(
  driver: Driver,
  localRoot: string,
  ids: readonly string[] | undefined,
): Promise<JobView[]> {
  const viewOf = async (id: string): Promise<JobView | undefined> => {
    try {
      const state = await driver.checkJobStatus(id);
      return { id, driver: driver.kind, name: state.name ?? '', state };
    } catch (error) {
      if (isHpcError(error, 'JobNotFoundError')) {
        if (ids) throw error;
        return undefined;
      }
      const unreadable = await describeUnreadable(error, localJobDir(localRoot, id));
      return {
        id,
        driver: driver.kind,
        name: '',
        state: { status: 'unknown', reason: `unreadable: ${unreadable.file}: ${unreadable.message}` },
        unreadable,
      };
    }
  };
  const wanted = ids ?? (await localJobIds(localRoot));
  const views: JobView[] = [];
  for (let start = 0; start < wanted.length; start += ONE_BY_ONE_BATCH) {
    const batch = await Promise.all(wanted.slice(start, start + ONE_BY_ONE_BATCH).map(viewOf));
    for (const view of batch) if (view) views.push(view);
  }
  return views;
}
