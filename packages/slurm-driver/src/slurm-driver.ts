import { resolve } from 'node:path';
import { pollingWaiters, resultOrFailure, type SubmitTarget, waitForTerminalState } from '@hpc/container';
import {
  type BatchResult,
  type Driver,
  type FileModes,
  fileModes,
  hpcHome,
  type JobDescription,
  type JobId,
  JobNotFoundError,
  type JobState,
  type JobStats,
  type JobStatsOptions,
  type LogOptions,
  resolveSharing,
  type Sharing,
  type TrackedJob,
  type UnreadableRecord,
  type WaitOptions,
} from '@hpc/core';
import { driverRetries } from './attempt-retries.ts';
import { BatchJobs } from './batch-jobs.ts';
import type { SLURMBatchOptions } from './batch-preparation.ts';
import { BatchSubmitter } from './batch-submitter.ts';
import { ClusterLimitsReader } from './cluster-limits-reader.ts';
import { type CommandRunner, createCommandRunner } from './command-runner.ts';
import { DependencySubmissions } from './dependency-submission.ts';
import { type JobStoreError, SchedulerUnavailableError, SubmissionInterruptedError } from './errors.ts';
import { onInterrupt } from './interrupt-guard.ts';
import { describeSlurmJob, slurmJobStats } from './job-inspection.ts';
import { defaultName, JobPreparation, type Prepared, type SLURMSubmitOptions } from './job-preparation.ts';

export type { SLURMSubmitOptions } from './job-preparation.ts';

import { JobRegistry, type Submission } from './job-registry.ts';
import { type StoredJob, trackedJobOf } from './job-store.ts';
import { ResourceSuggestions } from './resource-suggestions.ts';
import { retryFields, withDefaults } from './retry-settings.ts';
import { runSbatch, type SbatchAnswer } from './sbatch-answer.ts';
import { budgetedRunner, SchedulerBudget, type SchedulerCallCounts } from './scheduler-budget.ts';
import { Semaphore } from './semaphore.ts';
import type { SLURMDriverOptions } from './slurm-driver-options.ts';
import { forgetSlurmJobs } from './slurm-forget.ts';
import { type PollStats, StatusPoller } from './status-poller.ts';
import { defaultJobsRoot } from './store-location.ts';
import { planSubmission } from './submission-plan.ts';
import { type ReconcileReport, SubmissionReconciler } from './submission-reconcile.ts';

export type { SLURMDriverOptions } from './slurm-driver-options.ts';

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
  private readonly preparation: JobPreparation;
  private readonly reconciler: SubmissionReconciler;
  private readonly run: CommandRunner;
  private readonly budget: SchedulerBudget | undefined;
  private readonly poller: StatusPoller;
  /** Concurrent submitJob() calls stage in parallel but share a few sbatch processes. */
  private readonly submissions: Semaphore;
  private readonly batches: BatchSubmitter;
  private readonly batchJobs: BatchJobs;
  private readonly dependencies: DependencySubmissions;
  private readonly suggestions: ResourceSuggestions;

  constructor(private readonly options: SLURMDriverOptions = {}) {
    this.home = options.home ?? hpcHome();
    const registryRoot = defaultJobsRoot(this.home);
    this.jobsRoot = resolve(options.jobsRoot ?? registryRoot);
    this.sharing = resolveSharing(options.share);
    this.modes = fileModes(this.sharing);
    const preparation = {
      sharing: this.sharing,
      modes: this.modes,
      ...(options.nodePath ? { nodePath: options.nodePath } : {}),
      ...(options.runnerPath ? { runnerPath: options.runnerPath } : {}),
      ...(options.lmodInit ? { lmodInit: options.lmodInit } : {}),
    };
    this.preparation = new JobPreparation(preparation);
    this.registry = new JobRegistry({
      root: registryRoot,
      home: this.home,
      modes: this.modes,
      ...(options.storePath !== undefined ? { storePath: options.storePath } : {}),
    });
    const run =
      options.run ??
      createCommandRunner({
        ...(options.commandTimeoutMs !== undefined ? { timeoutMs: options.commandTimeoutMs } : {}),
        ...(options.binDir ? { binDir: options.binDir } : {}),
      });
    if (options.schedulerBudget !== false) this.budget = new SchedulerBudget(options.schedulerBudget);
    this.run = this.budget ? budgetedRunner(run, this.budget) : run;
    this.submissions = new Semaphore(options.maxConcurrentSubmissions ?? 4);
    const commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
    this.reconciler = new SubmissionReconciler(this.registry, this.run, {
      lookupAfterMs: commandTimeoutMs + 10_000,
      ...options.reconcile,
      commandTimeoutMs,
    });
    const timeout = options.commandTimeoutMs;
    const limits = new ClusterLimitsReader(this.run, timeout);
    this.suggestions = new ResourceSuggestions(this.registry, limits);
    const retries = driverRetries(this.run, this.registry, this.modes, timeout, limits);
    const tracked = {
      list: async () => {
        this.registry.refresh();
        await this.reconciler.settle();
        return this.registry.withStore((store) => store.list());
      },
      update: (updates: Parameters<JobRegistry['update']>[0]) => this.registry.update(updates),
      review: retries.review.bind(retries),
    };
    this.poller = new StatusPoller(tracked, this.run, {
      ...options.polling,
      refine: (updates, states) => this.dependencies.refine(updates, states),
      fileMode: this.modes.file,
      ...(timeout !== undefined ? { commandTimeoutMs: timeout } : {}),
    });
    this.dependencies = new DependencySubmissions(this.registry, this.run, this.modes, this.poller, timeout);
    this.batches = new BatchSubmitter({
      dependencies: this.dependencies,
      registry: this.registry,
      run: this.run,
      limits,
      submissions: this.submissions,
      preparation,
      jobsRoot: this.jobsRoot,
      commandTimeoutMs: options.commandTimeoutMs,
    });
    this.batchJobs = new BatchJobs(this.registry, this.run, this.modes);
  }

  /** The job index file (a per-host cache of the job folders). */
  get storePath(): string {
    return this.registry.storePath;
  }

  /** What the last status poll cost (scheduler calls, jobs asked, answered from outcome files or cache). */
  get lastPollStats(): PollStats {
    return this.poller.lastStats;
  }

  /** Every scheduler call this driver made so far, by command (undefined with schedulerBudget: false). */
  get schedulerCalls(): Readonly<SchedulerCallCounts> | undefined {
    return this.budget?.counts;
  }

  /**
   * The job.json files the last catch-up with the folders could not read: without a readable
   * record the job's id is unknown, so those folders are not tracked (and in no status answer).
   */
  get unreadableRecords(): UnreadableRecord[] {
    return [...this.registry.unreadable.values()].map((error) => ({
      file: error.file,
      message: error.detail,
    }));
  }

  /**
   * Set when this driver found its job index corrupt and rebuilt it from the job folders (a missing
   * index is rebuilt without a word: a reboot clears $TMPDIR). The error says which file and why.
   */
  get indexRebuiltAfter(): JobStoreError | undefined {
    return this.registry.rebuiltAfter;
  }

  /**
   * Stages the target into a new job folder (a Process is serialized there), renders the batch
   * script and submits it. All or nothing: every setting is validated before the folder exists; a
   * refusal, an error or an interrupt (SIGINT/SIGTERM/SIGHUP) before sbatch runs removes the folder.
   * The intent is recorded before sbatch runs, so a submitter killed while sbatch runs leaves a job
   * the next status poll adopts (found by its token) rather than one nobody tracks.
   */
  async submitJob(target: SubmitTarget, options: SLURMSubmitOptions = {}): Promise<JobId> {
    const settings = await this.suggestions.apply(this.mergeDefaults(options), target);
    const jobsRoot = resolve(settings.jobsRoot ?? this.jobsRoot);
    this.preparation.validate(target, settings, jobsRoot);
    const retry = retryFields(settings);
    const name = settings.name ?? defaultName(target);
    const after = await this.dependencies.resolve(settings);
    if (after.blocked) return this.dependencies.block({ name, jobsRoot }, after);
    // Guarded before the folder exists: an interrupt while begin() makes it undoes it too.
    const planned = planSubmission(name, jobsRoot);
    let interrupted: string | undefined;
    const release = onInterrupt((signal) => {
      interrupted = signal;
      this.registry.abandon(planned);
    });
    let submission = planned as Submission;
    let prepared: Prepared;
    let answer: SbatchAnswer;
    try {
      submission = await this.registry.begin(name, jobsRoot, planned, retry);
      prepared = await this.preparation.prepare(target, settings, submission);
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
          { options: after.sbatch },
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
    await this.registry.confirm(submission, answer.id, answer.from, { ...prepared.details, ...after.record });
    this.poller.invalidate();
    return answer.id;
  }

  /**
   * Submits many processes as one batch: one bundle, one job script, one `sbatch --array` per
   * MaxArraySize slice (`scontrol show config`, read once). One id per process, in input order:
   * `<array>_<task>`, or `<array>_<task>+<place>` when `processesPerTask` packs several into a task.
   */
  async submitJobs(targets: readonly SubmitTarget[], options: SLURMBatchOptions = {}): Promise<JobId[]> {
    const settings = await this.suggestions.apply({ ...options, ...this.mergeDefaults(options) }, targets[0]);
    try {
      return await this.batches.submit(targets, settings);
    } finally {
      this.poller.invalidate();
    }
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

  /**
   * Cancels a queued or running job (scancel). Cancelling a finished job does nothing. Of a batch:
   * a process (packed: its cancel marker, so the task skips or interrupts it and runs the others),
   * a task (`4711_3`), or the whole batch by its id (every slice in one scancel).
   */
  async cancelJob(id: string): Promise<void> {
    const key = String(id).trim();
    const found = await this.batchJobs.cancel(key, this.registry.get(key));
    this.poller.invalidate();
    if (!found) throw new JobNotFoundError(key, this.kind);
  }

  /** Each process's end as it happens, and waiting for all: one status round trip per poll for all of them. */
  private readonly waiters = pollingWaiters(
    this.kind,
    { pollIntervalMs: 1_000, maxPollIntervalMs: 10_000 },
    (ids) => this.statesFor(ids),
    (id) => this.getResult(id),
  );

  results<T = unknown>(ids: readonly string[], options: WaitOptions = {}): AsyncIterable<BatchResult<T>> {
    return this.waiters.results<T>(ids, options);
  }

  async waitForJobs(ids: readonly string[], options: WaitOptions = {}): Promise<Map<JobId, JobState>> {
    return this.waiters.waitForJobs(ids, options);
  }

  /** One poll for every tracked job; asked again (forced) when one of `ids` was submitted by another driver since. */
  private async statesFor(ids: readonly string[]): Promise<Map<JobId, JobState>> {
    const states = await this.poller.poll();
    if (ids.every((id) => states.has(id as JobId))) return states;
    return this.poller.poll({ force: true });
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

  /**
   * The job's stdout (or stderr) as SLURM captured it (job.out / job.err); '' before the job starts.
   * A batch process: its own output (p/<index>/stdout.log), or its task's capture before it started.
   */
  async logs(id: string, options: LogOptions = {}): Promise<string> {
    return this.batchJobs.logs(this.tracked(id), options);
  }

  async logFile(id: string, options: Pick<LogOptions, 'stream'> = {}): Promise<string> {
    return this.batchJobs.logFile(this.tracked(id), options.stream);
  }

  async listJobs(): Promise<TrackedJob[]> {
    return this.registry.jobs().map(trackedJobOf);
  }

  /** Everything known about one job for one screen; a finished job lacking sacct's figures asks sacct once. */
  async describeJob(id: string): Promise<JobDescription> {
    const parts = { registry: this.registry, run: this.run, accounting: this.poller.accountingAvailable };
    return describeSlurmJob(this.tracked(id), this, {
      ...parts,
      commandTimeoutMs: this.options.commandTimeoutMs,
    });
  }

  /** Per Process class over the tracked jobs (no scheduler call): see JobStats. */
  async stats(options: JobStatsOptions = {}): Promise<JobStats> {
    return slurmJobStats(this.registry, options);
  }

  /** Stops tracking a job, for every driver on every host (its job.json says so); the folder stays. */
  async forgetJob(id: string): Promise<boolean> {
    this.poller.invalidate();
    return this.registry.forget(String(id).trim());
  }

  /** Removes finished jobs' folders and index rows (a batch whole); see Driver.forgetJobs. */
  readonly forgetJobs: Driver['forgetJobs'] = (ids, options) => {
    this.poller.invalidate(); // a fresh poll decides what has finished; the next one lists no forgotten job
    return forgetSlurmJobs(this, this.registry, ids, options).finally(() => this.poller.invalidate());
  };

  /** Closes the job index. The driver cannot be used afterwards. */
  close(): void {
    this.registry.close();
  }

  private tracked(id: string): StoredJob {
    const job = this.registry.get(String(id).trim());
    if (!job) throw new JobNotFoundError(String(id), this.kind);
    return job;
  }

  private mergeDefaults(options: SLURMSubmitOptions): SLURMSubmitOptions {
    return withDefaults(options, this.options.defaults, this.options.retry);
  }
}
