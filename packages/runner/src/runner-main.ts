import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as hpcContainer from '@hpc/container';
import { JobContainer, jobPaths, savedForRestart } from '@hpc/container';
import * as hpcCore from '@hpc/core';
import {
  exitCodeOf,
  type FileWriteError,
  fileModes,
  isHpcError,
  RESTART_EXIT_CODE,
  type RunOutcome,
  whileImportingJobModules,
} from '@hpc/core';
import * as hpcProcess from '@hpc/process';
import * as hpcSerializer from '@hpc/serializer';
import { runBatchTask } from './batch-task.ts';
import { installModuleHooks } from './module-hooks.ts';
import { requeueAfterCheckpoint } from './node-requeue.ts';
import { installPhaseHooks } from './phase-hooks.ts';
import { type BatchTaskArgs, parseRunnerArgs, type RunnerArgs } from './runner-args.ts';
import { markPhase, writeStartupTimings } from './startup-timings.ts';

/**
 * node-runner: the program a job script (or the local driver) starts on the compute node
 * (its entry point, node-runner.ts, is bundled into dist/node-runner.mjs).
 * Exit codes: 0 ok, 1 run() threw, 2 infrastructure failure (bad crate, failed import, signal),
 * 75 (RESTART_EXIT_CODE) saved at its checkpoint for a restart (node-requeue.ts).
 * Every run ends with an outcome.json, except when the command line names no job (usage error)
 * or the outcome itself cannot be written: then one line on stderr says why, and the exit is 2.
 */
export async function runNodeRunner(argv: readonly string[]): Promise<number> {
  markPhase('runnerLoad');
  let args: RunnerArgs;
  try {
    args = parseRunnerArgs(argv);
  } catch (error) {
    process.stderr.write(`node-runner: ${(error as Error).message}\n`);
    return 2;
  }
  installModuleHooks(
    {
      '@hpc/core': hpcCore,
      '@hpc/process': hpcProcess,
      '@hpc/serializer': hpcSerializer,
      '@hpc/container': hpcContainer,
    },
    { 'h5wasm/node': new URL('./h5wasm/hdf5_hl.js', import.meta.url).href },
  );
  if (args.batch) return runBatch({ ...args, batch: args.batch });
  const container = new JobContainer(args.crate, {
    object: args.object,
    jobDir: args.jobDir,
    ...(args.crateDigest ? { crateDigest: args.crateDigest } : {}),
    ...(args.jobId ? { jobId: args.jobId } : {}),
    ...(args.share ? { share: args.share } : {}),
    ...(args.maxRestarts !== undefined ? { restart: { maxRestarts: args.maxRestarts } } : {}),
  });
  // A Process that can checkpoint takes SIGTERM as a preemption: it is saved, and SLURM requeues it.
  process.on('SIGTERM', () => void container.terminate());
  process.on('SIGINT', () => void container.interrupt('cancelled'));
  // The time-limit warning stops only a Process that can checkpoint (JobContainer.warnOfTimeLimit).
  process.on('SIGUSR1', () => void container.warnOfTimeLimit());
  installPhaseHooks();
  markPhase('setup');
  try {
    const outcome = await importAndRun(
      container,
      args.imports,
      args.jobId ?? process.env.SLURM_JOB_ID ?? args.jobDir ?? args.crate,
    );
    markPhase('resultWriteAndOutcome');
    writeStartupTimings(container.jobDir, fileModes(args.share).file);
    if (savedForRestart(outcome))
      return await requeueAfterCheckpoint(outcome, container.jobDir, {
        nodeRequeue: args.nodeRequeue === true,
        share: args.share,
      });
    reportFailure(outcome);
    return exitCodeOf(outcome);
  } catch (error) {
    return recordUnexpected(container, error);
  }
}

async function importAndRun(
  container: JobContainer,
  imports: readonly string[],
  jobId: string,
): Promise<RunOutcome> {
  const failed = await importJobModules(imports, jobId);
  return failed ? container.recordFailure('import-failed', failed) : container.execute();
}

/** A batch task; what escapes it (an unreadable manifest, a bad task number) is one line on stderr. */
async function runBatch(args: RunnerArgs & { batch: BatchTaskArgs }): Promise<number> {
  try {
    const code = await runBatchTask(args, (jobId) => importJobModules(args.imports, jobId));
    if (code !== 0 && code !== RESTART_EXIT_CODE)
      process.stderr.write(
        `node-runner: a process of this task did not end ok (exit ${code}); see its outcome\n`,
      );
    return code;
  } catch (error) {
    process.stderr.write(
      `node-runner: the batch task could not run: ${(error as Error)?.message ?? String(error)}\n`,
    );
    return 2;
  }
}

/** Imports the job's modules in order; the first failure as a ModuleImportError, else undefined. */
async function importJobModules(imports: readonly string[], jobId: string): Promise<Error | undefined> {
  for (const specifier of imports) {
    try {
      // Submitting is refused while the job's modules load: one that submits at its top level
      // would otherwise start a new job from every job.
      await whileImportingJobModules(jobId, () => import(toImportUrl(specifier)));
    } catch (error) {
      const wrapped = new Error(
        `importing ${specifier} failed: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
      wrapped.name = 'ModuleImportError';
      return wrapped;
    }
  }
  markPhase('userImport');
  return undefined;
}

function reportFailure(outcome: RunOutcome): void {
  if (outcome.status !== 'failed') return;
  const why = outcome.kind === 'process' ? 'run() threw' : outcome.reason;
  process.stderr.write(`node-runner: job failed (${why}): ${outcome.error.name}: ${outcome.error.message}\n`);
}

/**
 * The outcome could not be written (disk full, folder removed): say so in one line. Anything else
 * that escaped the container is our bug: record it as 'internal' if the outcome can still be written.
 */
async function recordUnexpected(container: JobContainer, error: unknown): Promise<number> {
  if (!isOutcomeWriteFailure(container, error)) {
    process.stderr.write(`node-runner: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    try {
      await container.recordFailure('internal', error);
      return 2;
    } catch (recordError) {
      error = recordError;
    }
  }
  process.stderr.write(`node-runner: the job's outcome was not recorded: ${(error as Error).message}\n`);
  return 2;
}

function isOutcomeWriteFailure(container: JobContainer, error: unknown): error is FileWriteError {
  return isHpcError(error, 'FileWriteError') && error.file === jobPaths(container.jobDir).outcome;
}

function toImportUrl(specifier: string): string {
  if (specifier.startsWith('file:') || specifier.startsWith('data:')) return specifier;
  if (isAbsolute(specifier) || specifier.startsWith('.')) return pathToFileURL(resolve(specifier)).href;
  return specifier;
}
