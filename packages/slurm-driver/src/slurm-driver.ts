import { basename, extname, join, resolve } from 'node:path';
import {
  checkSettingText,
  jobPaths,
  readJobLog,
  resultOrFailure,
  type SubmitTarget,
  stageJob,
  validateSubmitOptions,
  waitForTerminalState,
} from '@hpc/container';
import {
  type CrateDigest,
  type Driver,
  type FileModes,
  fileModes,
  hpcHome,
  type JobId,
  JobNotFoundError,
  type JobState,
  type LogOptions,
  resolveSharing,
  type Sharing,
  type SubmitOptions,
  type TrackedJob,
  type WaitOptions,
} from '@hpc/core';
import { runnerCommand } from '@hpc/node-runner';
import { type CommandRunner, createCommandRunner } from './command-runner.ts';
import { SchedulerCommandError, SchedulerUnavailableError, SubmissionInterruptedError } from './errors.ts';
import { slurmFilenamePattern } from './filename-pattern.ts';
import { onInterrupt } from './interrupt-guard.ts';
import type { JobRecord } from './job-record.ts';
import { JobRegistry, type Submission } from './job-registry.ts';
import type { StoredJob } from './job-store.ts';
import { writePrivateFile } from './private-files.ts';
import { runSbatch, type SbatchAnswer } from './sbatch-answer.ts';
import type { SlurmArgs } from './sbatch-options.ts';
import { renderSbatchScript, type SbatchScriptSpec, SLURM_JOB_FILES } from './sbatch-script.ts';
import { Semaphore } from './semaphore.ts';
import { type PollStats, StatusPoller, type StatusPollerOptions } from './status-poller.ts';
import { type ReconcileOptions, type ReconcileReport, SubmissionReconciler } from './submission-reconcile.ts';

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

export interface SLURMDriverOptions {
  /** State folder (default $HPC_HOME or ~/.hpc). Job folders go to <home>/slurm/jobs. */
  home?: string;
  /** Where job folders are created; must be visible to the compute nodes (default <home>/slurm/jobs). */
  jobsRoot?: string;
  /**
   * The job index, a per-host SQLite cache of the job folders (default: a file in this host's
   * `$TMPDIR/hpc-<uid>/`, named by host and home). The folders are the record: it is rebuilt from
   * them when missing or corrupt. Keep it on a local file system (WAL); on a network one it uses the
   * rollback journal and must still be used from one host only.
   */
  storePath?: string;
  /** Who may read job folders and files: private (0700/0600, the default, or $HPC_SHARE) or 'group'. */
  share?: Sharing;
  /** Settling submissions whose sbatch never answered (killed, timed out): when to look them up and drop them. */
  reconcile?: Omit<ReconcileOptions, 'commandTimeoutMs'>;
  /** Runs SLURM's commands (default: execa, commandTimeoutMs each). Wrap it to observe or count calls. */
  run?: CommandRunner;
  /** Time limit of each SLURM command (default 30 s). */
  commandTimeoutMs?: number;
  /** Folder of SLURM's commands (default: PATH). */
  binDir?: string;
  /** Node binary on the compute nodes (default: this process's). */
  nodePath?: string;
  /** The node-runner script (default: @hpc/node-runner's built runner). */
  runnerPath?: string;
  /** Files that define `module` on the nodes (default: Lmod's usual places). */
  lmodInit?: string[];
  /** Options applied to every submit (per-submit options win; slurmArgs and env are merged). */
  defaults?: SLURMSubmitOptions;
  /** sbatch processes at once when submitJob() is called concurrently (default 4). */
  maxConcurrentSubmissions?: number;
  /** Status polling: minimum interval, accounting on/off, grace periods. */
  polling?: Omit<StatusPollerOptions, 'commandTimeoutMs'>;
}

/**
 * The Driver interface on a SLURM cluster. Each job is a folder (crate, job script, job.json, logs,
 * outcome) plus a batch script submitted with `sbatch --parsable`. The folders under
 * <home>/slurm/jobs are the record every host shares; a per-host index answers quickly; every
 * status question is answered by one squeue and at most one sacct.
 */
export class SLURMDriver implements Driver<SubmitTarget> {
  readonly kind = 'slurm';
  readonly home: string;
  readonly jobsRoot: string;
  private readonly sharing: Sharing;
  private readonly modes: FileModes;
  private readonly registry: JobRegistry;
  private readonly reconciler: SubmissionReconciler;
  private readonly run: CommandRunner;
  private readonly poller: StatusPoller;
  /** Concurrent submitJob() calls stage in parallel but share a few sbatch processes. */
  private readonly submissions: Semaphore;

  constructor(private readonly options: SLURMDriverOptions = {}) {
    this.home = options.home ?? hpcHome();
    const registryRoot = join(this.home, 'slurm', 'jobs');
    this.jobsRoot = resolve(options.jobsRoot ?? registryRoot);
    this.sharing = resolveSharing(options.share);
    this.modes = fileModes(this.sharing);
    this.registry = new JobRegistry({
      root: registryRoot,
      home: this.home,
      modes: this.modes,
      ...(options.storePath !== undefined ? { storePath: options.storePath } : {}),
    });
    this.run =
      options.run ??
      createCommandRunner({
        ...(options.commandTimeoutMs !== undefined ? { timeoutMs: options.commandTimeoutMs } : {}),
        ...(options.binDir ? { binDir: options.binDir } : {}),
      });
    this.submissions = new Semaphore(options.maxConcurrentSubmissions ?? 4);
    const commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
    this.reconciler = new SubmissionReconciler(this.registry, this.run, {
      lookupAfterMs: commandTimeoutMs + 10_000,
      ...options.reconcile,
      commandTimeoutMs,
    });
    const tracked = {
      list: async () => {
        this.registry.refresh();
        await this.reconciler.settle();
        return this.registry.withStore((store) => store.list());
      },
      update: (updates: Parameters<JobRegistry['update']>[0]) => this.registry.update(updates),
    };
    this.poller = new StatusPoller(tracked, this.run, {
      ...options.polling,
      ...(options.commandTimeoutMs !== undefined ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
    });
  }

  /** The job index file (a per-host cache of the job folders). */
  get storePath(): string {
    return this.registry.storePath;
  }

  /** What the last status poll cost (scheduler calls, jobs asked, answered from outcome files or cache). */
  get lastPollStats(): PollStats {
    return this.poller.lastStats;
  }

  /** job.json files that could not be read (file -> error): those folders are not tracked. */
  get unreadableRecords(): ReadonlyMap<string, Error> {
    return this.registry.unreadable;
  }

  /**
   * Stages the target into a new job folder (a Process is serialized there), renders the batch
   * script and submits it. All or nothing: every setting is validated before the folder exists; a
   * refusal, an error or an interrupt (SIGINT/SIGTERM/SIGHUP) before sbatch runs removes the folder.
   * The intent is recorded before sbatch runs, so a submitter killed while sbatch runs leaves a job
   * the next status poll adopts (found by its token) rather than one nobody tracks.
   */
  async submitJob(target: SubmitTarget, options: SLURMSubmitOptions = {}): Promise<JobId> {
    const settings = this.mergeDefaults(options);
    const jobsRoot = resolve(settings.jobsRoot ?? this.jobsRoot);
    this.validate(target, settings, jobsRoot);
    const submission = await this.registry.begin(settings.name ?? defaultName(target), jobsRoot);
    let interrupted: string | undefined;
    const release = onInterrupt((signal) => {
      interrupted = signal;
      this.registry.abandon(submission);
    });
    let prepared: Prepared;
    let answer: SbatchAnswer;
    try {
      prepared = await this.prepare(target, settings, submission);
      answer = await this.submissions.use(async () => {
        // The last moment an interrupt can undo everything: from here on sbatch may queue the job.
        release();
        if (interrupted) throw new SubmissionInterruptedError(interrupted, submission.jobDir);
        return runSbatch(
          this.run,
          prepared.scriptPath,
          submission.jobDir,
          submission.token,
          this.options.commandTimeoutMs,
        );
      });
    } catch (error) {
      release();
      this.registry.abandon(submission);
      if (interrupted && !(error instanceof SubmissionInterruptedError))
        throw new SubmissionInterruptedError(interrupted, submission.jobDir);
      throw error;
    }
    if (answer.kind === 'refused') {
      this.registry.abandon(submission);
      throw answer.error;
    }
    if (answer.kind === 'uncertain') {
      // Kept: the next status poll adopts the job if SLURM has it, or drops the folder once it provably has not.
      this.registry.release(submission);
      throw answer.error instanceof SchedulerUnavailableError
        ? answer.error.withNote(
            `the job may still have been queued: ${submission.jobDir} is kept and the next status poll adopts the job (found by its token ${submission.token}) or removes the folder`,
          )
        : answer.error;
    }
    await this.registry.confirm(submission, answer.id, answer.from, prepared.details);
    this.poller.invalidate();
    return answer.id;
  }

  /**
   * Settles submissions whose sbatch never answered, now (status polls also do it): each is
   * adopted when SLURM has its job, or dropped with its folder once it provably never got it.
   */
  async reconcileSubmissions(): Promise<ReconcileReport> {
    this.registry.refresh();
    const report = await this.reconciler.settle();
    if (report.adopted.length > 0 || report.dropped.length > 0) this.poller.invalidate();
    return report;
  }

  async checkJobStatus(id: string): Promise<JobState> {
    const job = this.tracked(id);
    if (job.terminal && job.state) return job.state;
    let state = (await this.poller.poll()).get(job.id);
    // Submitted by another driver since the last poll: ask again, now including it.
    if (!state) state = (await this.poller.poll({ force: true })).get(job.id);
    return state ?? { status: 'unknown', reason: `job ${id} vanished from the job store while polling` };
  }

  /** Every tracked job's state: one squeue and at most one sacct, whatever the number of jobs. */
  async checkAllJobStatuses(): Promise<Map<JobId, JobState>> {
    return new Map(await this.poller.poll());
  }

  /** Cancels a queued or running job (scancel). Cancelling a finished job does nothing. */
  async cancelJob(id: string): Promise<void> {
    const job = this.tracked(id);
    if (job.terminal) return;
    const args = [job.id];
    const result = await this.run('scancel', args);
    this.poller.invalidate();
    if (
      result.exitCode !== 0 &&
      !/already completing or completed|Invalid job id specified/i.test(result.stderr)
    ) {
      throw new SchedulerCommandError('scancel', args, result.exitCode, result.stderr);
    }
  }

  /** Waits for a terminal state, polling with backoff (1 s growing to 10 s); AbortSignal and timeoutMs honoured. */
  async waitForJob(id: string, options: WaitOptions = {}): Promise<JobState> {
    this.tracked(id);
    return waitForTerminalState(id, () => this.checkJobStatus(id), {
      pollIntervalMs: 1_000,
      maxPollIntervalMs: 10_000,
      ...options,
    });
  }

  /** The job's result; or a JobFailedError with the remote error and stack, SLURM's state, exit code and stderr tail. */
  async getResult<T = unknown>(id: string): Promise<T> {
    const job = this.tracked(id);
    return resultOrFailure<T>(job.id, job.jobDir, await this.checkJobStatus(id));
  }

  /** The job's stdout (or stderr) as SLURM captured it (job.out / job.err); '' before the job starts. */
  async logs(id: string, options: LogOptions = {}): Promise<string> {
    return readJobLog(this.tracked(id).jobDir, options);
  }

  async listJobs(): Promise<TrackedJob[]> {
    return this.registry
      .jobs()
      .map(({ id, driver, name, jobDir, submittedAt }) => ({ id, driver, name, jobDir, submittedAt }));
  }

  /** Stops tracking a job, for every driver on every host (its job.json says so); the folder stays. */
  async forgetJob(id: string): Promise<boolean> {
    this.poller.invalidate();
    return this.registry.forget(String(id).trim());
  }

  /** Closes the job index. The driver cannot be used afterwards. */
  close(): void {
    this.registry.close();
  }

  private tracked(id: string): StoredJob {
    const job = this.registry.get(String(id).trim());
    if (!job) throw new JobNotFoundError(String(id), this.kind);
    return job;
  }

  /**
   * Refuses any setting that cannot go into a job script or reach SLURM safely, before a folder
   * exists: the checks every driver makes (validateSubmitOptions), the paths (also for SLURM's
   * filename patterns), then everything the script holds, by rendering it once with placeholder
   * paths under the jobs root.
   */
  private validate(target: SubmitTarget, settings: SLURMSubmitOptions, jobsRoot: string): void {
    validateSubmitOptions(settings as SubmitOptions);
    checkSettingText('jobsRoot', jobsRoot, true);
    slurmFilenamePattern('jobsRoot', jobsRoot);
    const object = targetObject(target);
    if (object !== undefined) checkSettingText('object', object, true);
    const jobDir = join(jobsRoot, 'job');
    renderSbatchScript({
      ...this.scriptSpec(
        settings,
        settings.name ?? 'job',
        jobDir,
        this.command(settings.imports ?? [], jobPaths(jobDir).crate, object, jobDir, PLACEHOLDER_DIGEST),
      ),
      submissionToken: '0'.repeat(16),
    });
  }

  /** Stages the target into the submission's folder and writes the script and SLURM's log files, all private. */
  private async prepare(
    target: SubmitTarget,
    settings: SLURMSubmitOptions,
    submission: Submission,
  ): Promise<Prepared> {
    const staged = await stageJob(target, {
      jobsRoot: submission.jobDir,
      jobDir: submission.jobDir,
      share: this.sharing,
      ...(settings.name ? { name: settings.name } : {}),
      ...(settings.imports ? { imports: settings.imports } : {}),
    });
    const command = this.command(
      staged.imports,
      staged.crate,
      staged.object,
      staged.jobDir,
      staged.crateDigest,
    );
    const script = renderSbatchScript({
      ...this.scriptSpec(settings, staged.name, staged.jobDir, command),
      submissionToken: submission.token,
    });
    const scriptPath = join(staged.jobDir, SLURM_JOB_FILES.script);
    const paths = jobPaths(staged.jobDir);
    // sbatch only reads the script; slurmstepd keeps an existing log file's mode, so both are made here.
    writePrivateFile(scriptPath, script, this.modes.file);
    writePrivateFile(paths.schedulerStdout, '', this.modes.file);
    writePrivateFile(paths.schedulerStderr, '', this.modes.file);
    return {
      scriptPath,
      details: {
        name: staged.name,
        imports: staged.imports,
        crate: staged.crate,
        crateDigest: staged.crateDigest,
        ...(staged.object !== undefined ? { object: staged.object } : {}),
      },
    };
  }

  /** The node-runner's command: it checks the crate against `crateDigest` before loading it. */
  private command(
    imports: string[],
    crate: string,
    object: string | undefined,
    jobDir: string,
    crateDigest: CrateDigest,
  ) {
    return runnerCommand({
      imports,
      crate,
      object,
      jobDir,
      crateDigest,
      share: this.sharing,
      ...(this.options.nodePath ? { nodePath: this.options.nodePath } : {}),
      ...(this.options.runnerPath ? { runnerPath: this.options.runnerPath } : {}),
    });
  }

  private mergeDefaults(options: SLURMSubmitOptions): SLURMSubmitOptions {
    const defaults = this.options.defaults ?? {};
    return {
      ...defaults,
      ...options,
      slurmArgs: { ...defaults.slurmArgs, ...options.slurmArgs },
      env: { ...defaults.env, ...options.env },
    };
  }

  private scriptSpec(
    settings: SLURMSubmitOptions,
    name: string,
    jobDir: string,
    command: SbatchScriptSpec['command'],
  ): SbatchScriptSpec {
    return {
      name,
      jobDir,
      command,
      ...(settings.slurmArgs ? { slurmArgs: settings.slurmArgs } : {}),
      ...(settings.modules ? { modules: settings.modules } : {}),
      ...(settings.modulePaths ? { modulePaths: settings.modulePaths } : {}),
      ...(this.options.lmodInit ? { lmodInit: this.options.lmodInit } : {}),
      ...(settings.condaEnv !== undefined ? { condaEnv: settings.condaEnv } : {}),
      ...(settings.condaExecutable ? { condaExecutable: settings.condaExecutable } : {}),
      ...(settings.env ? { env: settings.env } : {}),
      ...(settings.checkpointSignalSeconds !== undefined
        ? { checkpointSignalSeconds: settings.checkpointSignalSeconds }
        : {}),
    };
  }
}

/** Stands for the crate's digest while validating (the crate is not staged yet). */
const PLACEHOLDER_DIGEST: CrateDigest = `sha256:${'0'.repeat(64)}`;

interface Prepared {
  scriptPath: string;
  details: Partial<JobRecord>;
}

/** The object path of an HDF5 crate target, if one was given. */
function targetObject(target: SubmitTarget): string | undefined {
  if (typeof target === 'object' && target !== null && 'crate' in target && typeof target.crate === 'string')
    return (target as { object?: string }).object;
  return undefined;
}

/** A name for the job folder before staging knows the job's: the Process's class, or the crate file's name. */
function defaultName(target: SubmitTarget): string {
  if (typeof target === 'string') return basename(target, extname(target));
  if (typeof target === 'object' && target !== null && 'crate' in target && typeof target.crate === 'string')
    return basename(target.crate, extname(target.crate));
  return (target as object).constructor?.name ?? 'job';
}
