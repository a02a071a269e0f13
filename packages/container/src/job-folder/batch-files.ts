import { join } from 'node:path';
import { InvalidOptionError } from '@hpc/core';

/**
 * A batch folder (submitJobs): the driver's record, the batch manifest, the bundle holding every
 * process's crate, and one ordinary job folder per process under `p/`, made by the runner when that
 * process starts (absent: not started). The one place these names are spelt.
 */
export const BATCH_FILES = {
  /** The driver's record (job.json), as for a single job. */
  record: 'job.json',
  /** The BatchManifest, written once at staging. */
  manifest: 'batch.json',
  /** The batch crate: one .bin crate per process, readable alone (@hpc/serializer bundles). */
  bundle: 'processes.bin',
  /** The scheduler's capture of each task's stdout / stderr. */
  tasks: 'tasks',
  /** One marker file per process whose cancel was asked for (a packed process is skipped or interrupted). */
  cancel: 'cancel',
  /** One job folder per process, named by its index in the batch. */
  processes: 'p',
  /** The job script, where the driver uses one. */
  script: 'job.sh',
} as const;

export function batchPaths(batchDir: string) {
  return {
    batchDir,
    record: join(batchDir, BATCH_FILES.record),
    manifest: join(batchDir, BATCH_FILES.manifest),
    bundle: join(batchDir, BATCH_FILES.bundle),
    tasks: join(batchDir, BATCH_FILES.tasks),
    cancel: join(batchDir, BATCH_FILES.cancel),
    processes: join(batchDir, BATCH_FILES.processes),
    script: join(batchDir, BATCH_FILES.script),
  };
}
export type BatchPaths = ReturnType<typeof batchPaths>;

/** The job folder of process `index` of the batch. */
export function processDirOf(batchDir: string, index: number): string {
  return join(batchDir, BATCH_FILES.processes, String(index));
}

/** How many tasks `count` processes need at `processesPerTask` each. */
export function taskCountOf(count: number, processesPerTask: number): number {
  return Math.ceil(count / processesPerTask);
}

/** The processes task `task` runs: indexes first..end-1. */
export function processesOfTask(
  task: number,
  count: number,
  processesPerTask: number,
): { first: number; end: number } {
  const first = task * processesPerTask;
  if (!Number.isSafeInteger(task) || task < 0 || first >= count)
    throw new InvalidOptionError({
      option: 'task',
      value: task,
      allowed: `0 to ${taskCountOf(count, processesPerTask) - 1}`,
      remedy: "use a task number of this batch (its manifest's taskCount)",
    });
  return { first, end: Math.min(count, first + processesPerTask) };
}

/** Which task runs process `index`, and its place in it (undefined when tasks are not packed). */
export function taskOfProcess(
  index: number,
  processesPerTask: number,
): { task: number; place: number | undefined } {
  const task = Math.floor(index / processesPerTask);
  return { task, place: processesPerTask === 1 ? undefined : index - task * processesPerTask };
}
