import {
  batchPaths,
  InterruptedError,
  isProcessCancelRequested,
  JobContainer,
  processDirOf,
  processesOfTask,
  readBatchManifest,
  savedForRestart,
  taskOfProcess,
} from '@hpc/container';
import { batchProcessId, exitCodeOf, type RunOutcome } from '@hpc/core';
import type { AbortReason } from '@hpc/process';
import { openBundle } from '@hpc/serializer';
import { requeueAfterCheckpoint } from './node-requeue.ts';
import { type BatchTaskArgs, type RunnerArgs, RunnerUsageError } from './runner-args.ts';

/** Imports the job's modules (once per task); the failure, if any, as the error each process records. */
export type ImportModules = (jobId: string) => Promise<Error | undefined>;

/**
 * One task of a batch: its processes one after another in this Node process, each in its own
 * JobContainer and job folder (p/<index>), so a process that throws, calls process.exit() or
 * returns what cannot be stored records that and the next one runs. A signal interrupts the
 * running process; the ones after it are recorded as interrupted without running. A process whose
 * cancel was asked for (its marker) is skipped, or interrupted if running.
 * Exit code: 0 when every process ended ok, 1 when the worst was a run() that threw, 2 otherwise.
 */
export async function runBatchTask(
  args: RunnerArgs & { batch: BatchTaskArgs },
  importModules: ImportModules,
) {
  const { dir } = args.batch;
  const manifest = await readBatchManifest(dir);
  const arrayTaskId =
    process.env.SLURM_ARRAY_TASK_ID === undefined ? undefined : Number(process.env.SLURM_ARRAY_TASK_ID);
  const task = args.batch.task ?? taskFromOffset(args.batch.taskOffset as number, arrayTaskId);
  const { first, end } = onlyProcess(
    processesOfTask(task, manifest.count, manifest.processesPerTask),
    task,
    args.batch.process,
  );
  const taskId = args.batch.taskId ?? `${process.env.SLURM_ARRAY_JOB_ID ?? 'task'}_${arrayTaskId ?? task}`;
  let current: JobContainer | undefined;
  let stopped: AbortReason | undefined;
  const stop = (reason: AbortReason) => {
    stopped ??= reason;
    void current?.interrupt(reason);
  };
  // A task of one process is requeued on its own from its checkpoint, like a single job.
  const restart =
    args.maxRestarts !== undefined && manifest.processesPerTask === 1
      ? { maxRestarts: args.maxRestarts }
      : undefined;
  process.on('SIGTERM', () => {
    if (!restart) return stop('terminated');
    stopped ??= 'terminated';
    void current?.terminate();
  });
  process.on('SIGINT', () => stop('cancelled'));
  process.on('SIGUSR1', () => void current?.warnOfTimeLimit());
  const importFailure = await importModules(taskId);
  const bundle = batchPaths(dir).bundle;
  // Opened once for the task; a bundle that cannot be opened fails each process alone (its outcome says why).
  const reader = await openBundle(bundle).catch(() => undefined);
  let worst = 0;
  for (let index = first; index < end; index++) {
    const { place } = taskOfProcess(index, manifest.processesPerTask);
    current = new JobContainer(bundle, {
      jobDir: processDirOf(dir, index),
      jobId: batchProcessId(taskId, place),
      bundleEntry: { index, bundleId: manifest.bundleId, reader },
      batchIndex: index,
      ...(arrayTaskId !== undefined ? { arrayTaskId } : {}),
      ...(args.share ? { share: args.share } : {}),
      cancelRequested: () => isProcessCancelRequested(dir, index),
      ...(restart ? { restart } : {}),
    });
    let outcome: RunOutcome;
    if (importFailure) outcome = await current.recordFailure('import-failed', importFailure);
    else if (stopped) outcome = await current.recordFailure('signalled', new InterruptedError(stopped));
    else outcome = await current.execute();
    worst = Math.max(worst, exitCodeOf(outcome));
    if (restart && savedForRestart(outcome)) {
      await reader?.close();
      return requeueAfterCheckpoint(outcome, processDirOf(dir, index), {
        nodeRequeue: args.nodeRequeue === true,
        share: args.share,
      });
    }
  }
  current = undefined;
  await reader?.close();
  return worst;
}

/** The task's processes, or only `process` (a retry of that one; it must be in the task). */
function onlyProcess(
  range: { first: number; end: number },
  task: number,
  process: number | undefined,
): { first: number; end: number } {
  if (process === undefined) return range;
  if (process < range.first || process >= range.end)
    throw new RunnerUsageError(
      `--process ${process} is not in task ${task} (its processes are ${range.first}..${range.end - 1})`,
    );
  return { first: process, end: process + 1 };
}

function taskFromOffset(offset: number, arrayTaskId: number | undefined): number {
  if (arrayTaskId === undefined || !Number.isSafeInteger(arrayTaskId))
    throw new RunnerUsageError(
      '--task-offset needs $SLURM_ARRAY_TASK_ID (is this an array job?); use --task outside SLURM',
    );
  return offset + arrayTaskId;
}
