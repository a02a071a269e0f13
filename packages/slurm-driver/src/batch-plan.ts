import { InvalidJobSettingError } from '@hpc/core';
import type { ClusterLimits } from './cluster-config.ts';

/**
 * How a batch of processes becomes SLURM job arrays: `processesPerTask` processes per array task,
 * and one `sbatch --array=0-<k-1>` per slice of at most MaxArraySize tasks (task indices start at 0
 * in every slice, so each slice stays within the limit whatever N is).
 */
export interface BatchPlan {
  slices: ArraySlice[];
  tasks: number;
}

export interface ArraySlice {
  /** Index (in the batch's input order) of the slice's first process. */
  firstProcess: number;
  /** How many processes the slice runs. */
  processes: number;
  /** How many array tasks: `--array=0-<tasks-1>`. */
  tasks: number;
  /** This slice's share of the batch's parallelism (`%N`), when one was asked for. */
  parallelism?: number;
  /** Slice index this slice must wait for (`--dependency=afterany`), when shares would be 0. */
  after?: number;
}

export interface BatchPlanRequest {
  processes: number;
  processesPerTask: number;
  parallelism?: number;
  limits: ClusterLimits;
  /** Jobs the controller holds now (its MaxJobCount counts every user's, array tasks included). */
  queuedJobs?: number;
}

/** Plans the arrays for a batch; refuses, with what to change, a batch the controller cannot hold. */
export function planBatch(request: BatchPlanRequest): BatchPlan {
  const { processes, processesPerTask, parallelism, limits } = request;
  const tasks = Math.ceil(processes / processesPerTask);
  const room = limits.maxJobCount - (request.queuedJobs ?? 0);
  if (tasks > room) {
    const needed = Math.ceil(processes / Math.max(1, room));
    const remedy =
      room > 0 ? `pack them: processesPerTask: ${needed} or more` : 'wait until the queue drains';
    throw new InvalidJobSettingError(
      'processesPerTask',
      processesPerTask,
      'invalid-value',
      `${processes} processes make ${tasks} array tasks, but the controller has room for ${Math.max(0, room)} ` +
        `more jobs (MaxJobCount ${limits.maxJobCount}, ${request.queuedJobs ?? 0} queued): ${remedy}`,
    );
  }
  const slices: ArraySlice[] = [];
  for (let first = 0; first < processes; first += limits.maxArraySize * processesPerTask) {
    const count = Math.min(limits.maxArraySize * processesPerTask, processes - first);
    slices.push({ firstProcess: first, processes: count, tasks: Math.ceil(count / processesPerTask) });
  }
  if (parallelism !== undefined) shareParallelism(slices, parallelism);
  return { slices, tasks };
}

/**
 * SLURM's `%N` holds per array, so a batch of several arrays shares N between them (in proportion
 * to their tasks, at least 1 each); with fewer than one slot per array, the arrays run in groups of
 * N, each group after the one before (`afterany`), so never more than N tasks run at once.
 */
function shareParallelism(slices: ArraySlice[], parallelism: number): void {
  if (slices.length <= parallelism) {
    const total = slices.reduce((sum, slice) => sum + slice.tasks, 0);
    let left = parallelism;
    slices.forEach((slice, index) => {
      const others = slices.length - index - 1;
      const share =
        index === slices.length - 1 ? left : Math.max(1, Math.floor((parallelism * slice.tasks) / total));
      slice.parallelism = Math.max(1, Math.min(share, left - others, slice.tasks));
      left -= slice.parallelism;
    });
    return;
  }
  slices.forEach((slice, index) => {
    slice.parallelism = 1;
    if (index >= parallelism) slice.after = index - parallelism;
  });
}

/** Which processes (batch input indices) array task `task` of `slice` runs. */
export function processesOfTask(slice: ArraySlice, task: number, processesPerTask: number): number[] {
  const first = slice.firstProcess + task * processesPerTask;
  const last = Math.min(first + processesPerTask, slice.firstProcess + slice.processes);
  return Array.from({ length: Math.max(0, last - first) }, (_, i) => first + i);
}
