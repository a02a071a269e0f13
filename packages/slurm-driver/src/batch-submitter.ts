import { resolve } from 'node:path';
import type { SubmitTarget } from '@hpc/container';
import { type JobId, recordedRequestOf } from '@hpc/core';
import { BatchSubmissionError } from './batch-errors.ts';
import { planBatch } from './batch-plan.ts';
import { BatchPreparation, checkBatchShape, type SLURMBatchOptions } from './batch-preparation.ts';
import { batchProcessRows } from './batch-record.ts';
import { cancelArrays, submitSlices } from './batch-submit.ts';
import type { ClusterLimitsReader } from './cluster-limits-reader.ts';
import type { CommandRunner } from './command-runner.ts';
import type { DependencySubmissions } from './dependency-submission.ts';
import { SubmissionInterruptedError } from './errors.ts';
import { onInterrupt } from './interrupt-guard.ts';
import { defaultName, type PreparationOptions } from './job-preparation.ts';
import type { JobRegistry, Submission } from './job-registry.ts';
import { retryFields } from './retry-settings.ts';
import { validateSlurmArgs } from './sbatch-options.ts';
import type { Semaphore } from './semaphore.ts';
import { planSubmission } from './submission-plan.ts';
import { withTaskDependencies } from './task-dependencies.ts';

export interface BatchSubmitterParts {
  dependencies: DependencySubmissions;
  registry: JobRegistry;
  run: CommandRunner;
  limits: ClusterLimitsReader;
  submissions: Semaphore;
  preparation: PreparationOptions;
  jobsRoot: string;
  commandTimeoutMs?: number | undefined;
}

/**
 * submitJobs on SLURM: check everything, plan the arrays from the cluster's limits, stage the
 * processes into one bundle and one script, then one sbatch per slice. All or nothing: an error
 * or interrupt before the first sbatch removes the folder; a slice sbatch refuses cancels the
 * slices before it (one scancel) and removes the folder.
 */
export class BatchSubmitter {
  private readonly preparation: BatchPreparation;

  constructor(private readonly parts: BatchSubmitterParts) {
    this.preparation = new BatchPreparation(parts.preparation);
  }

  async submit(targets: readonly SubmitTarget[], settings: SLURMBatchOptions): Promise<JobId[]> {
    const { registry, run } = this.parts;
    const shape = checkBatchShape(targets, settings);
    const jobsRoot = resolve(settings.jobsRoot ?? this.parts.jobsRoot);
    this.preparation.validate(settings, jobsRoot, shape.processesPerTask);
    // Checked before anything is made; each process is retried on its own (batch-process-retry.ts).
    const retry = retryFields(settings);
    const directives = validateSlurmArgs(settings.slurmArgs);
    const plan = planBatch({
      processes: shape.count,
      processesPerTask: shape.processesPerTask,
      limits: await this.parts.limits.read(),
      ...(shape.parallelism !== undefined ? { parallelism: shape.parallelism } : {}),
    });
    const name0 = settings.name ?? defaultName(targets[0] as SubmitTarget);
    const after = await this.parts.dependencies.resolveBatch(settings, shape, plan);
    if (after.blocked)
      return this.parts.dependencies.blockAll({ name: name0, jobsRoot, count: shape.count }, after);
    // The guard is set before the folder exists: an interrupt at any point before sbatch undoes it all.
    const planned = planSubmission(name0, jobsRoot);
    let interrupted: string | undefined;
    const release = onInterrupt((signal) => {
      interrupted = signal;
      registry.abandon(planned);
    });
    let submission: Submission;
    try {
      submission = await registry.begin(name0, jobsRoot, planned);
    } catch (error) {
      release();
      throw error;
    }
    let outcome: Awaited<ReturnType<typeof submitSlices>>;
    let name: string;
    let imports: string[];
    try {
      const prepared = await this.preparation.prepare(
        targets,
        settings,
        submission.jobDir,
        shape.processesPerTask,
      );
      ({ name, imports } = prepared.staged.manifest);
      await this.parts.dependencies.markBlocked(submission.jobDir, after.blockedProcesses);
      outcome = await this.parts.submissions.use(async () => {
        // The last moment an interrupt can undo everything: from here on sbatch may queue arrays.
        release();
        if (interrupted) throw new SubmissionInterruptedError(interrupted, submission.jobDir);
        return submitSlices(plan, {
          run,
          scriptPath: prepared.scriptPath,
          batchDir: submission.jobDir,
          token: submission.token,
          processesPerTask: shape.processesPerTask,
          userComment: directives.find((d) => d.key === 'comment')?.value,
          userDependency: directives.find((d) => d.key === 'dependency')?.value,
          dependencyOf: after.sliceDependency,
          held: (index) => after.taskDependencies(index) !== undefined,
          lookupTimeoutMs: this.parts.commandTimeoutMs,
        });
      });
    } catch (error) {
      release();
      registry.abandon(submission);
      if (interrupted && !(error instanceof SubmissionInterruptedError))
        throw new SubmissionInterruptedError(interrupted, submission.jobDir);
      throw error;
    }
    if (outcome.kind === 'failed') {
      const queued = outcome.slices.map((slice) => slice.arrayId);
      const cancelled = await cancelArrays(run, queued);
      // A lost answer may have queued the slice: the folder stays as an intent, and a status poll
      // cancels whatever carries the batch's token and removes the folder (submission-reconcile.ts).
      if (outcome.answer.kind === 'uncertain') registry.release(submission);
      else registry.abandon(submission);
      if (queued.length === 0 && outcome.answer.kind === 'refused') throw outcome.answer.error;
      throw new BatchSubmissionError(
        outcome.failed,
        plan.slices.length,
        queued,
        cancelled,
        outcome.answer.kind === 'uncertain' ? outcome.token : undefined,
        submission.jobDir,
        { cause: outcome.answer.error },
      );
    }
    const context = {
      token: submission.token,
      userDependency: directives.find((d) => d.key === 'dependency')?.value,
      dependencyOf: after.sliceDependency,
    };
    await withTaskDependencies(run, plan, outcome.slices, context, after.taskDependencies, {
      release: !directives.some((d) => d.key === 'hold'),
      undo: () => registry.abandon(submission),
    });
    const batch = { slices: outcome.slices, count: shape.count, processesPerTask: shape.processesPerTask };
    const [first] = outcome.slices;
    await registry.confirmBatch(submission, {
      id: first?.arrayId as string,
      batch,
      name,
      imports,
      requested: recordedRequestOf(settings),
      ...retry,
      ...after.record,
    });
    return batchProcessRows(batch, submission.jobDir).map((row) => row.id);
  }
}
