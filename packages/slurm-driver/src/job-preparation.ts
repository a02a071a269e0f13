import { basename, extname, join } from 'node:path';
import {
  checkSettingText,
  jobPaths,
  type SubmitTarget,
  stageJob,
  validateSubmitOptions,
} from '@hpc/container';
import {
  type CrateDigest,
  DEFAULT_MAX_RESTARTS,
  type FileModes,
  recordedRequestOf,
  type Sharing,
  type SubmitOptions,
} from '@hpc/core';
import { runnerCommand } from '@hpc/runner';
import { slurmFilenamePattern } from './filename-pattern.ts';
import type { JobRecord } from './job-record.ts';
import type { Submission } from './job-registry.ts';
import { writePrivateFile } from './private-files.ts';
import { requeueChoice } from './requeue-choice.ts';
import type { SlurmArgs } from './sbatch-options.ts';
import {
  renderSbatchScript,
  type SbatchScriptSpec,
  SLURM_JOB_FILES,
  validateJobScript,
} from './sbatch-script.ts';

/** submitJob's options: the shared ones, with sbatch options that may also be numbers or flags. */
export interface SLURMSubmitOptions extends Omit<SubmitOptions, 'slurmArgs'> {
  /** sbatch options by long name: { 'cpus-per-task': 4, mem: '4G', time: '01:00:00', requeue: true }. */
  slurmArgs?: SlurmArgs;
  /** Folders to `module use` before `module load` (modulefiles outside the default MODULEPATH). */
  modulePaths?: string[];
  /** The conda executable (default 'conda' on the node's PATH). */
  condaExecutable?: string;
  /** Seconds before the time limit the node-runner gets SIGUSR1 to checkpoint (default 120, 0 = off). */
  checkpointSignalSeconds?: number;
}

export interface PreparationOptions {
  nodePath?: string;
  runnerPath?: string;
  lmodInit?: string[];
  sharing: Sharing;
  modes: FileModes;
}

/** A staged job folder whose script and log files are written: what sbatch needs, and what job.json gets. */
export interface Prepared {
  scriptPath: string;
  details: Partial<JobRecord>;
}

/**
 * What a submission checks and writes before sbatch runs: the settings (before any folder exists),
 * then the staged crate, the batch script and SLURM's log files in the submission's folder.
 */
export class JobPreparation {
  constructor(private readonly options: PreparationOptions) {}

  /**
   * Refuses any setting that cannot go into a job script or reach SLURM safely, before a folder
   * exists: the checks every driver makes (validateSubmitOptions), the paths (also for SLURM's
   * filename patterns), then everything the script holds (validateJobScript, with placeholder
   * paths under the jobs root; nothing is rendered).
   */
  validate(target: SubmitTarget, settings: SLURMSubmitOptions, jobsRoot: string): void {
    validateSubmitOptions(settings as SubmitOptions);
    checkSettingText('jobsRoot', jobsRoot, true);
    slurmFilenamePattern('jobsRoot', jobsRoot);
    const object = targetObject(target);
    if (object !== undefined) checkSettingText('object', object, true);
    const jobDir = join(jobsRoot, 'job');
    validateJobScript({
      ...this.scriptSpec(
        settings,
        settings.name ?? 'job',
        jobDir,
        this.command(settings.imports ?? [], jobPaths(jobDir).crate, object, jobDir, PLACEHOLDER_DIGEST),
      ),
      requeue: true,
      submissionToken: '0'.repeat(16),
    });
  }

  /** Stages the target into the submission's folder and writes the script and SLURM's log files, all private. */
  async prepare(
    target: SubmitTarget,
    settings: SLURMSubmitOptions,
    submission: Submission,
  ): Promise<Prepared> {
    const staged = await stageJob(target, {
      jobsRoot: submission.jobDir,
      jobDir: submission.jobDir,
      share: this.options.sharing,
      ...(settings.name ? { name: settings.name } : {}),
      ...(settings.imports ? { imports: settings.imports } : {}),
    });
    const maxRestarts = settings.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    const command = this.command(
      staged.imports,
      staged.crate,
      staged.object,
      staged.jobDir,
      staged.crateDigest,
      maxRestarts,
    );
    const script = renderSbatchScript({
      ...this.scriptSpec(settings, staged.name, staged.jobDir, command),
      submissionToken: submission.token,
      requeue: requeueChoice([target], settings.retry),
    });
    const scriptPath = join(staged.jobDir, SLURM_JOB_FILES.script);
    const paths = jobPaths(staged.jobDir);
    // sbatch only reads the script; slurmstepd keeps an existing log file's mode, so both are made here.
    writePrivateFile(scriptPath, script, this.options.modes.file);
    writePrivateFile(paths.schedulerStdout, '', this.options.modes.file);
    writePrivateFile(paths.schedulerStderr, '', this.options.modes.file);
    return {
      scriptPath,
      details: {
        name: staged.name,
        imports: staged.imports,
        crate: staged.crate,
        crateDigest: staged.crateDigest,
        maxRestarts,
        ...(staged.object !== undefined ? { object: staged.object } : {}),
        requested: recordedRequestOf(settings),
      },
    };
  }

  /**
   * The node-runner's command: it checks the crate against `crateDigest` before loading it, and
   * saves a checkpointing Process for at most `maxRestarts` restarts, requeueing from the node when it can.
   */
  private command(
    imports: string[],
    crate: string,
    object: string | undefined,
    jobDir: string,
    crateDigest: CrateDigest,
    maxRestarts = DEFAULT_MAX_RESTARTS,
  ) {
    return runnerCommand({
      imports,
      crate,
      object,
      jobDir,
      crateDigest,
      maxRestarts,
      nodeRequeue: true,
      share: this.options.sharing,
      ...(this.options.nodePath ? { nodePath: this.options.nodePath } : {}),
      ...(this.options.runnerPath ? { runnerPath: this.options.runnerPath } : {}),
    });
  }

  private scriptSpec(
    settings: SLURMSubmitOptions,
    name: string,
    jobDir: string,
    command: SbatchScriptSpec['command'],
  ): SbatchScriptSpec {
    return scriptSpecOf(settings, name, jobDir, command, this.options);
  }
}

/** The job script's spec from submit settings (shared by single jobs and batches). */
export function scriptSpecOf(
  settings: SLURMSubmitOptions,
  name: string,
  jobDir: string,
  command: SbatchScriptSpec['command'],
  options: Pick<PreparationOptions, 'lmodInit'>,
): SbatchScriptSpec {
  return {
    name,
    jobDir,
    command,
    ...(settings.slurmArgs ? { slurmArgs: settings.slurmArgs } : {}),
    ...(settings.modules ? { modules: settings.modules } : {}),
    ...(settings.modulePaths ? { modulePaths: settings.modulePaths } : {}),
    ...(options.lmodInit ? { lmodInit: options.lmodInit } : {}),
    ...(settings.condaEnv !== undefined ? { condaEnv: settings.condaEnv } : {}),
    ...(settings.condaExecutable ? { condaExecutable: settings.condaExecutable } : {}),
    ...(settings.env ? { env: settings.env } : {}),
    ...(settings.checkpointSignalSeconds !== undefined
      ? { checkpointSignalSeconds: settings.checkpointSignalSeconds }
      : {}),
  };
}

/** Stands for the crate's digest while validating (the crate is not staged yet). */
const PLACEHOLDER_DIGEST: CrateDigest = `sha256:${'0'.repeat(64)}`;

/** The object path of an HDF5 crate target, if one was given. */
function targetObject(target: SubmitTarget): string | undefined {
  if (typeof target === 'object' && target !== null && 'crate' in target && typeof target.crate === 'string')
    return (target as { object?: string }).object;
  return undefined;
}

/** A name for the job folder before staging knows the job's: the Process's class, or the crate file's name. */
export function defaultName(target: SubmitTarget): string {
  if (typeof target === 'string') return basename(target, extname(target));
  if (typeof target === 'object' && target !== null && 'crate' in target && typeof target.crate === 'string')
    return basename(target.crate, extname(target.crate));
  return (target as object).constructor?.name ?? 'job';
}
