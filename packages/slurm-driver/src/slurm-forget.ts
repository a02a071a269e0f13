import { lstatSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { forgetPlanned, upstreamsOf } from '@hpc/container';
import {
  type ForgetOptions,
  type ForgetReport,
  type ForgottenJob,
  isTerminalState,
  type JobState,
  planForget,
} from '@hpc/core';
import { batchDirOfProcess } from './batch-record.ts';
import { readSafely } from './job-record.ts';
import type { JobRegistry } from './job-registry.ts';
import type { JobStore, StoredJob } from './job-store.ts';

/** The folder forgetting a row removes: the job's own, or its batch's for a process of a batch. */
export function folderOfRow(job: StoredJob): string {
  return job.batchIndex !== undefined ? batchDirOfProcess(job.jobDir) : job.jobDir;
}

/** Drops every row whose folder (by name) is one of `folders`: they are gone, or tombstones. */
export function removeFolderRows(store: JobStore, folders: ReadonlySet<string>): void {
  if (folders.size === 0) return;
  store.transaction(() => {
    for (const job of store.list()) if (folders.has(basename(folderOfRow(job)))) store.remove(job.id);
    for (const folder of folders) store.markFolder(folder, 'forgotten');
  });
}

/** What forgetting needs of the SLURMDriver. */
export interface SlurmForgetHost {
  readonly home: string;
  checkAllJobStatuses(): Promise<Map<string, JobState>>;
}

/**
 * The SLURM driver's forgetJobs: a folder goes to a tombstone in the registry's root, its rows
 * leave this host's index in one transaction, the pointer (for a folder outside the root) goes,
 * then the tombstone. Another host's index drops the rows when its refresh sees the tombstone, or
 * at its next rebuild. Unfinished jobs are refused: they would keep running on SLURM, untracked.
 */
export async function forgetSlurmJobs(
  host: SlurmForgetHost,
  registry: JobRegistry,
  ids: readonly string[],
  options: ForgetOptions = {},
): Promise<ForgetReport> {
  const states = await host.checkAllJobStatuses();
  const jobs = registry.jobs();
  const rows = jobs.map((job) => ({ id: job.id, folder: folderOfRow(job) }));
  const removePointer = (folder: string) => {
    const pointer = join(registry.root, folder);
    if (lstatSync(pointer, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(pointer);
  };
  return forgetPlanned(
    planForget(
      ids.map((id) => String(id).trim()),
      rows,
    ),
    {
      home: host.home,
      jobsRoot: registry.root,
      states,
      waiting: waitingJobs(jobs, states),
      unindex: (unit: ForgottenJob) => {
        const folder = basename(unit.jobDir);
        registry.withStore((store) => removeFolderRows(store, new Set([folder])));
        if (dirname(unit.jobDir) !== registry.root) removePointer(folder);
      },
      unindexFolder: (folder) => {
        registry.withStore((store) => removeFolderRows(store, new Set([folder])));
        removePointer(folder); // the tombstone of a folder outside the root left its pointer
      },
    },
    options,
  );
}

/** Each unfinished job or batch (by folder) with the upstreams its job.json names. */
function waitingJobs(jobs: readonly StoredJob[], states: ReadonlyMap<string, JobState>) {
  const folders = new Map<string, string>();
  for (const job of jobs) {
    const state = states.get(job.id);
    if (!state || !isTerminalState(state))
      folders.set(folderOfRow(job), job.batchIndex === undefined ? job.id : (job.id.split('_')[0] as string));
  }
  return [...folders].flatMap(([folder, id]) => {
    const upstreams = upstreamsOf(readSafely(folder).record ?? {});
    return upstreams.length ? [{ id, upstreams }] : [];
  });
}
