import type { BatchPlan } from './batch-plan.ts';
import type { BatchSlice } from './batch-record.ts';
import { cancelArrays, type SliceContext, sliceOptions } from './batch-submit.ts';
import type { CommandRunner } from './command-runner.ts';
import { SchedulerCommandError } from './errors.ts';

/**
 * Per-task `afterok` for a batch whose afterEach upstreams do not map task to task onto one
 * upstream array (so `aftercorr` cannot say it): the slice was queued held, each task that waits
 * for its own upstream gets its whole dependency list with `scontrol update JobId=<array>_<t>
 * Dependency=...` (measured on Slurm 22.05: a held task keeps it, and is cancelled by
 * --kill-on-invalid-dep when that upstream fails), then the array is released. One scontrol per
 * waiting task, a few at a time.
 */

/** Task t's dependency list: the slice's own (user's, shared, slice chain) and its upstream's. */
export function taskDependency(slice: string | undefined, own: string | undefined): string | undefined {
  return [slice, own].filter(Boolean).join(',') || undefined;
}

/** Sets each waiting task's dependency, then releases the slice (unless the user asked for it held). */
export async function applyTaskDependencies(
  run: CommandRunner,
  slice: BatchSlice,
  sliceDependency: string | undefined,
  perTask: readonly (string | undefined)[],
  release: boolean,
): Promise<void> {
  const updates = perTask.flatMap((own, task) =>
    own ? [[`JobId=${slice.arrayId}_${task}`, `Dependency=${taskDependency(sliceDependency, own)}`]] : [],
  );
  const runChecked = async (args: string[]) => {
    const result = await run('scontrol', args);
    if (result.exitCode !== 0)
      throw new SchedulerCommandError('scontrol', args, result.exitCode, result.stderr);
  };
  for (let at = 0; at < updates.length; at += 4)
    await Promise.all(
      updates
        .slice(at, at + 4)
        .map(([job, dependency]) => runChecked(['update', job as string, dependency as string])),
    );
  if (release) await runChecked(['release', slice.arrayId]);
}

/**
 * After every slice is queued: each held slice's tasks get their dependencies and the slice is
 * released. A failure cancels every slice of the batch (one scancel), undoes the submission and
 * throws: the batch is all or nothing.
 */
export async function withTaskDependencies(
  run: CommandRunner,
  plan: BatchPlan,
  slices: readonly BatchSlice[],
  context: Pick<SliceContext, 'token' | 'userDependency' | 'dependencyOf'>,
  perTask: (index: number) => (string | undefined)[] | undefined,
  options: { release: boolean; undo: () => void },
): Promise<void> {
  try {
    for (const [index, slice] of slices.entries()) {
      const tasks = perTask(index);
      if (!tasks) continue;
      const sliceDependency = sliceOptions(plan, index, slices.slice(0, index), context)
        .find((option) => option.startsWith('--dependency='))
        ?.slice('--dependency='.length);
      await applyTaskDependencies(run, slice, sliceDependency, tasks, options.release);
    }
  } catch (error) {
    await cancelArrays(
      run,
      slices.map((slice) => slice.arrayId),
    );
    options.undo();
    throw error;
  }
}
