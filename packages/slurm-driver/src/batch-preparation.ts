import { join } from 'node:path';
import {
  BATCH_FILES,
  batchPaths,
  checkSettingText,
  refuseBatchRestarts,
  type StagedBatch,
  type SubmitTarget,
  stageBatch,
  validateSubmitOptions,
} from '@hpc/container';
import { DEFAULT_MAX_RESTARTS, makeDirectory, type SubmitOptions } from '@hpc/core';
import { runnerCommand } from '@hpc/runner';
import { InvalidJobSettingError } from './errors.ts';
import { slurmFilenamePattern } from './filename-pattern.ts';
import type { PreparationOptions, SLURMSubmitOptions } from './job-preparation.ts';
import { scriptSpecOf } from './job-preparation.ts';
import { writePrivateFile } from './private-files.ts';
import { PACKED_TASK_REQUEUE, requeueChoice } from './requeue-choice.ts';
import { renderSbatchScript, validateJobScript } from './sbatch-script.ts';

/** submitJobs' options on SLURM: submitJob's, plus how the batch runs. */
export interface SLURMBatchOptions extends SLURMSubmitOptions {
  /** At most this many array tasks run at once (`--array=...%N`, shared between slices). */
  parallelism?: number;
  /** Processes run one after another in one array task (default 1). */
  processesPerTask?: number;
  /** Process i starts once afterEach[i] completed (dependency-submission.ts: aftercorr). */
  afterEach?: readonly string[];
}

/** The batch's shape, checked. */
export interface BatchShape {
  count: number;
  processesPerTask: number;
  parallelism: number | undefined;
}

/** Most processes one batch takes (SLURM's MaxArraySize is at most 4,000,001 tasks). */
const MAX_PROCESSES = 4_000_000;

/**
 * Refuses a batch that cannot be submitted, before anything is created: an empty list,
 * `parallelism` / `processesPerTask` that are not whole numbers in range, and every setting a
 * single job checks (slurmArgs.array among them: it is the driver's own).
 */
export function checkBatchShape(targets: readonly unknown[], options: SLURMBatchOptions): BatchShape {
  if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_PROCESSES) {
    throw new InvalidJobSettingError(
      'submitJobs(targets)',
      Array.isArray(targets) ? `a list of ${targets.length}` : targets,
      'invalid-value',
      `pass a list of 1 to ${MAX_PROCESSES} processes or crates`,
    );
  }
  const count = targets.length;
  const processesPerTask = wholeNumber('processesPerTask', options.processesPerTask ?? 1, count, count);
  const parallelism =
    options.parallelism === undefined
      ? undefined
      : wholeNumber('parallelism', options.parallelism, 1_000_000, count);
  return { count, processesPerTask, parallelism };
}

function wholeNumber(setting: string, value: unknown, max: number, count: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > Math.max(1, max)) {
    const advice =
      setting === 'processesPerTask'
        ? `use a whole number from 1 to ${max} (the batch has ${count} processes)`
        : `use a whole number of tasks from 1 to ${max}, or leave it out for no limit of the driver's own`;
    throw new InvalidJobSettingError(setting, value, 'invalid-value', advice);
  }
  return value;
}

/** What one staged batch holds for sbatch: the script every slice runs, and the batch's manifest. */
export interface PreparedBatch {
  scriptPath: string;
  staged: StagedBatch;
}

/**
 * The batch's job script and folder: the settings are checked before the folder exists
 * (validate), then the processes are staged into one bundle and one script is written (prepare)
 * that every slice runs with its task offset as first argument.
 */
export class BatchPreparation {
  constructor(private readonly options: PreparationOptions) {}

  validate(settings: SLURMBatchOptions, jobsRoot: string, processesPerTask = 1): void {
    validateSubmitOptions(withoutBatchFields(settings) as SubmitOptions);
    refuseBatchRestarts(settings, processesPerTask);
    checkSettingText('jobsRoot', jobsRoot, true);
    slurmFilenamePattern('jobsRoot', jobsRoot);
    const batchDir = join(jobsRoot, 'batch');
    validateJobScript(
      this.spec(settings, settings.name ?? 'batch', batchDir, settings.imports ?? [], processesPerTask),
    );
  }

  async prepare(
    targets: readonly SubmitTarget[],
    settings: SLURMBatchOptions,
    batchDir: string,
    processesPerTask: number,
  ): Promise<PreparedBatch> {
    const staged = await stageBatch(targets, {
      jobsRoot: batchDir,
      batchDir,
      share: this.options.sharing,
      processesPerTask,
      ...(settings.name ? { name: settings.name } : {}),
      ...(settings.imports ? { imports: settings.imports } : {}),
    });
    const paths = batchPaths(batchDir);
    const script = renderSbatchScript(
      this.spec(
        settings,
        settings.name ?? staged.manifest.name,
        batchDir,
        staged.manifest.imports,
        processesPerTask,
        targets,
      ),
    );
    // slurmstepd creates each task's capture in tasks/ (the folder must exist when a task starts).
    await makeDirectory(paths.tasks, this.options.modes.dir);
    writePrivateFile(paths.script, script, this.options.modes.file);
    return { scriptPath: paths.script, staged };
  }

  /**
   * The script of a batch: the runner in batch mode, the slice's offset added as "$@". With one
   * process per task, each task is restarted from its checkpoint on its own (maxRestarts); a task
   * of packed processes is never requeued (requeue-choice.ts).
   */
  private spec(
    settings: SLURMSubmitOptions,
    name: string,
    batchDir: string,
    imports: readonly string[],
    processesPerTask: number,
    targets: readonly SubmitTarget[] = [],
  ) {
    const restartable = processesPerTask === 1;
    const { file, args } = runnerCommand({
      imports: [...imports],
      crate: '',
      object: undefined,
      jobDir: undefined,
      share: this.options.sharing,
      batch: { dir: batchDir },
      ...(restartable
        ? { maxRestarts: settings.maxRestarts ?? DEFAULT_MAX_RESTARTS, nodeRequeue: true }
        : {}),
      ...(this.options.nodePath ? { nodePath: this.options.nodePath } : {}),
      ...(this.options.runnerPath ? { runnerPath: this.options.runnerPath } : {}),
    });
    return {
      ...scriptSpecOf(settings, name, batchDir, { file, args: [...args, '--task-offset'] }, this.options),
      batch: { taskLogs: BATCH_FILES.tasks },
      requeue: restartable ? requeueChoice(targets, settings.retry) : PACKED_TASK_REQUEUE,
    };
  }
}

function withoutBatchFields(options: SLURMBatchOptions): SLURMSubmitOptions {
  const { parallelism: _p, processesPerTask: _n, afterEach: _a, ...rest } = options;
  return rest;
}
