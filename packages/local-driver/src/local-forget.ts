import { basename } from 'node:path';
import { forgetPlanned, upstreamsOf } from '@hpc/container';
import {
  type ForgetOptions,
  type ForgetReport,
  isTerminalState,
  type JobId,
  type JobState,
  planForget,
} from '@hpc/core';
import { jobDirOf, markIdsUsed } from './job-folders.ts';
import { readJobRecord } from './job-record.ts';

/** What forgetting needs of the LocalDriver: its root (nothing outside it is deleted) and every state. */
export interface LocalForgetHost {
  readonly root: string;
  checkAllJobStatuses(): Promise<Map<JobId, JobState>>;
}

/**
 * The local driver's forgetJobs: the job folders are its whole record, so a folder renamed to a
 * tombstone is forgotten. The ids are first marked used (job-folders.ts), so the next submission
 * never gets the id of a forgotten job, even the newest one's.
 */
export async function forgetLocalJobs(
  host: LocalForgetHost,
  jobsRoot: string,
  ids: readonly string[],
  options: ForgetOptions = {},
  /** This driver's live jobs and tasks: a forgotten one's copy goes too, or it would still answer. */
  live: Map<string, unknown> = new Map(),
): Promise<ForgetReport> {
  const states: Map<string, JobState> = await host.checkAllJobStatuses();
  // A batch's processes ('local-12_3', 'local-12_3+1') all live in the batch's folder ('local-12').
  const rows = [...states.keys()].map((id) => ({
    id,
    folder: jobDirOf(jobsRoot, id.split('_')[0] as string),
  }));
  const report = await forgetPlanned(
    planForget(
      ids.map((id) => String(id).trim()),
      rows,
    ),
    {
      home: host.root,
      jobsRoot,
      states,
      waiting: await waitingJobs(states, jobsRoot),
      beforeRemoval: (units) =>
        markIdsUsed(
          jobsRoot,
          units.map((unit) => basename(unit.jobDir)),
        ),
      unindex: () => {},
    },
    options,
  );
  if (options.dryRun) return report;
  for (const folder of report.removed.map((unit) => basename(unit.jobDir)))
    for (const id of [...live.keys()]) if (id === folder || id.startsWith(`${folder}_`)) live.delete(id);
  return report;
}

/** Each unfinished job or batch (by folder) with the upstreams its record names. */
async function waitingJobs(states: ReadonlyMap<string, JobState>, jobsRoot: string) {
  const folders = new Set<string>();
  for (const [id, state] of states) if (!isTerminalState(state)) folders.add(id.split('_')[0] as string);
  const waiting: { id: string; upstreams: string[] }[] = [];
  for (const id of folders) {
    const record = await readJobRecord(jobDirOf(jobsRoot, id)).catch(() => undefined);
    const upstreams = record ? upstreamsOf(record as Parameters<typeof upstreamsOf>[0]) : [];
    if (upstreams.length) waiting.push({ id, upstreams });
  }
  return waiting;
}
