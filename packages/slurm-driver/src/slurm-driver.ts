import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  jobPaths,
  readJobLog,
  resultOrFailure,
  type SubmitTarget,
  stageJob,
  waitForTerminalState,
} from '@hpc/container';
import {
  asJobId,
  type Driver,
  hpcHome,
  type JobId,
  JobNotFoundError,
  type JobState,
  type LogOptions,
  type SubmitOptions,
  type TrackedJob,
  type WaitOptions,
} from '@hpc/core';
import { runnerCommand } from '@hpc/node-runner';
import { type CommandRunner, createCommandRunner } from './command-runner.ts';
import { SchedulerCommandError, SubmissionRefusedError } from './errors.ts';
import { JobStore, type StoredJob } from './job-store.ts';
import type { SlurmArgs } from './sbatch-options.ts';
import { renderSbatchScript, type SbatchScriptSpec, SLURM_JOB_FILES } from './sbatch-script.ts';
import { Semaphore } from './semaphore.ts';
import { type PollStats, StatusPoller, type StatusPollerOptions } from './status-poller.ts';

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
  /** The SQLite file of tracked jobs (default <home>/slurm/jobs.sqlite). */
  storePath?: string;
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
 * The Driver interface on a SLURM cluster. Each job is a folder (crate, job script, logs, outcome)
 * plus a batch script submitted with `sbatch --parsable`; jobs are tracked in SQLite so any later
 * SLURMDriver sees them; every status question is answered by one squeue and at most one sacct.
 */
export class SLURMDriver implements Driver<SubmitTarget> {
  readonly kind = 'slurm';
  readonly home: string;
  readonly jobsRoot: string;
  private readonly store: JobStore;
  private readonly run: CommandRunner;
  private readonly poller: StatusPoller;
  /** Concurrent submitJob() calls stage in parallel but share a few sbatch processes. */
  private readonly submissions: Semaphore;

  constructor(private readonly options: SLURMDriverOptions = {}) {
    this.home = options.home ?? hpcHome();
    this.jobsRoot = options.jobsRoot ?? join(this.home, 'slurm', 'jobs');
    this.store = new JobStore(options.storePath ?? join(this.home, 'slurm', 'jobs.sqlite'));
    this.run =
      options.run ??
      createCommandRunner({
        ...(options.commandTimeoutMs !== undefined ? { timeoutMs: options.commandTimeoutMs } : {}),
        ...(options.binDir ? { binDir: options.binDir } : {}),
      });
    this.submissions = new Semaphore(options.maxConcurrentSubmissions ?? 4);
    this.poller = new StatusPoller(this.store, this.run, {
      ...options.polling,
      ...(options.commandTimeoutMs !== undefined ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
    });
  }

  /** What the last status poll cost (scheduler calls, jobs asked, answered from outcome files or cache). */
  get lastPollStats(): PollStats {
    return this.poller.lastStats;
  }

  /**
   * Stages the target into a new job folder (a Process is serialized there), renders the batch
   * script and submits it. Every setting is validated before anything is written; sbatch refusing
   * the job throws SubmissionRefusedError with sbatch's message.
   */
  async submitJob(target: SubmitTarget, options: SLURMSubmitOptions = {}): Promise<JobId> {
    const settings = this.mergeDefaults(options);
    // Refuse bad settings before a job folder exists (the command is a placeholder here).
    renderSbatchScript(
      this.scriptSpec(settings, settings.name ?? 'job', this.jobsRoot, { file: 'node', args: [] }),
    );
    const staged = await stageJob(target, {
      jobsRoot: settings.jobsRoot ?? this.jobsRoot,
      ...(settings.name ? { name: settings.name } : {}),
      ...(settings.imports ? { imports: settings.imports } : {}),
    });
    const command = runnerCommand({
      imports: staged.imports,
      crate: staged.crate,
      object: staged.object,
      jobDir: staged.jobDir,
      ...(this.options.nodePath ? { nodePath: this.options.nodePath } : {}),
      ...(this.options.runnerPath ? { runnerPath: this.options.runnerPath } : {}),
    });
    const script = renderSbatchScript(this.scriptSpec(settings, staged.name, staged.jobDir, command));
    const scriptPath = join(staged.jobDir, SLURM_JOB_FILES.script);
    await writeFile(scriptPath, script, { mode: 0o755 });

    const args = ['--parsable', scriptPath];
    const result = await this.submissions.use(() => this.run('sbatch', args, { cwd: staged.jobDir }));
    if (result.exitCode !== 0)
      throw new SubmissionRefusedError(args, result.exitCode, result.stderr, scriptPath);
    const id = parseSbatchJobId(result.stdout, args);
    const submittedAt = new Date().toISOString();
    this.store.add({ id, name: staged.name, jobDir: staged.jobDir, submittedAt });
    await writeFile(
      jobPaths(staged.jobDir).record,
      `${JSON.stringify({ id, driver: this.kind, name: staged.name, jobDir: staged.jobDir, submittedAt, imports: staged.imports, crate: staged.crate, object: staged.object }, null, 2)}\n`,
    );
    this.poller.invalidate();
    return id;
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
    return this.store
      .list()
      .map(({ id, driver, name, jobDir, submittedAt }) => ({ id, driver, name, jobDir, submittedAt }));
  }

  /** Stops tracking a job (its folder stays on disk). */
  forgetJob(id: string): boolean {
    this.poller.invalidate();
    return this.store.remove(id);
  }

  /** Closes the job store. The driver cannot be used afterwards. */
  close(): void {
    this.store.close();
  }

  private tracked(id: string): StoredJob {
    const job = this.store.get(String(id).trim());
    if (!job) throw new JobNotFoundError(String(id), this.kind);
    return job;
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

/** `sbatch --parsable` prints 'id' or 'id;cluster'. */
export function parseSbatchJobId(stdout: string, args: readonly string[] = []): JobId {
  const first = stdout.trim().split('\n').pop()?.split(';')[0]?.trim() ?? '';
  if (!/^\d+(_\d+)?$/.test(first)) {
    throw new SchedulerCommandError(
      'sbatch',
      args,
      0,
      `sbatch --parsable printed no job id: ${JSON.stringify(stdout.slice(0, 200))}`,
    );
  }
  return asJobId(first);
}
