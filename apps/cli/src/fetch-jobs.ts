import { readProgress } from '@hpc/container';
import { type Driver, JobNotFoundError, type JobState, type TrackedJob } from '@hpc/core';
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
  let tracked: Map<string, TrackedJob> | undefined;
  const trackedJobs = async () => {
    tracked ??= new Map((await driver.listJobs()).map((job) => [String(job.id), job]));
    return tracked;
  };
  const nameOf = async (id: string, stateName: string | undefined): Promise<string> =>
    stateName || ((await trackedJobs()).get(id)?.name ?? '');
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
  } else {
    for (const [id, state] of states)
      views.push({ id: String(id), driver: driver.kind, name: await nameOf(id, state.name), state });
  }
  await addProgress(views, trackedJobs);
  return views;
}

/** Running jobs' last ctx.progress() (progress.json in each job's folder: one small read per running job). */
async function addProgress(
  views: JobView[],
  trackedJobs: () => Promise<Map<string, TrackedJob>>,
): Promise<void> {
  const running = views.filter((view) => view.state.status === 'running');
  if (running.length === 0) return;
  const jobs = await trackedJobs();
  await Promise.all(
    running.map(async (view) => {
      const jobDir = jobs.get(view.id)?.jobDir;
      const progress = jobDir ? await readProgress(jobDir) : undefined;
      if (progress) view.progress = progress;
    }),
  );
}
