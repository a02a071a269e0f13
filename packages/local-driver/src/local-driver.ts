import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  jobLogFile,
  pollingWaiters,
  processLogFile,
  readAttemptLogs,
  readOutcome,
  refuseBatchRestarts,
  resultOrFailure,
  type SubmitTarget,
  stageJob,
  validateSubmitOptions,
  waitForTerminalState,
} from '@hpc/container';
import {
  asJobId,
  type BatchOptions,
  type BatchResult,
  checkRetryPolicy,
  type Driver,
  type FileModes,
  type ForgetOptions,
  type ForgetReport,
  fileModes,
  isTerminalState,
  type JobDescription,
  type JobId,
  JobNotFoundError,
  type JobState,
  type JobStats,
  type JobStatsOptions,
  JobUnreadableError,
  type LogOptions,
  resolveSharing,
  type Sharing,
  type SubmitOptions,
  type TrackedJob,
  unreadableRecordOf,
  type WaitOptions,
} from '@hpc/core';
import { BatchBook } from './batch-book.ts';
import { isBatchRecord, type LocalBatchRecord, parseLocalBatchId, trackedJobsOf } from './batch-record.ts';
import { batchProcessState, batchProcessStates } from './batch-states.ts';
import { DependencyGate } from './dependency-gate.ts';
import { dependencyFields, type HoldParts, queueDependent, queueDependentBatch } from './dependency-holds.ts';
import { defaultLocalRoot, type LocalDriverOptions } from './driver-options.ts';
import { allocateJobDir, jobDirOf, listJobIds, mapConcurrently } from './job-folders.ts';
import { type LiveJob, launchSettingsOf } from './job-launch.ts';
import { JobQueue, type QueueGroup } from './job-queue.ts';
import { type LocalJobRecord, readJobRecord, runSettingsOf, writeJobRecord } from './job-record.ts';
import { cancelPackedProcess, createLocalBatch, notAProcess, taskRecordOnDisk } from './local-batches.ts';
import { forgetLocalJobs } from './local-forget.ts';
import { describeLocalJob, localJobStats, withLocalSuggestions } from './local-inspection.ts';
import { withLocalAttempts } from './local-retries.ts';
import { liveStatusOf, localJobState, unknownState } from './local-state.ts';
import { terminateProcessGroup } from './process-group.ts';
import { ProcessRetries, retryKeyOf } from './process-retries.ts';

export { defaultLocalRoot, type LocalDriverOptions } from './driver-options.ts';

/** File reads in flight at once when reading every job's folder. */
const READ_CONCURRENCY = 64;

/**
 * The Driver interface on this machine: each job is a node-runner child process in its own job
 * folder, at most `concurrency` at a time. Jobs are recorded on disk (job.json), so another
 * process (the CLI) sees them; running jobs outlive the submitting process, queued ones do not.
 */
export class LocalDriver implements Driver<SubmitTarget> {
  readonly kind = 'local';
  readonly root: string;
  private readonly share: Sharing;
  private readonly modes: FileModes;
  private readonly queue: JobQueue;
  private readonly live: Map<string, LiveJob>;
  private readonly book: BatchBook;
  private readonly holds: HoldParts;
  private readonly retries: ProcessRetries;

  constructor(private readonly options: LocalDriverOptions = {}) {
    this.root = options.root ?? defaultLocalRoot();
    this.queue = new JobQueue(Math.max(1, options.concurrency ?? availableParallelism()), () =>
      launchSettingsOf(this.options, this.share, this.modes),
    );
    this.live = this.queue.live;
    this.book = new BatchBook(
      () => this.jobsRoot(),
      this.live,
      (id) => this.queue.isHeld(id),
    );
    this.share = resolveSharing(options.share);
    this.modes = fileModes(this.share);
    this.holds = {
      queue: this.queue,
      gate: new DependencyGate((id) => this.checkJobStatus(id)),
      modes: this.modes,
    };
    this.retries = new ProcessRetries(this.queue, this.book);
  }

  /**
   * Checks every setting, then stages the job into a new folder `local-N` and queues it. All or
   * nothing: a refused setting creates nothing, and a failed staging removes the folder.
   */
  async submitJob(target: SubmitTarget, asked: SubmitOptions = {}): Promise<JobId> {
    const options = await withLocalSuggestions(this, asked, target);
    const { timeLimitMs, maxRestarts } = validateSubmitOptions(options);
    const dependencies = await this.holds.gate.check(options);
    const retry = checkRetryPolicy(options.retry ?? this.options.retry);
    const { id, jobDir } = await allocateJobDir(this.jobsRoot(), this.modes.dir);
    let record: LocalJobRecord;
    try {
      const staged = await stageJob(target, {
        jobsRoot: this.jobsRoot(),
        jobDir,
        share: this.share,
        ...(options.name ? { name: options.name } : {}),
        ...(options.imports ? { imports: options.imports } : {}),
      });
      record = {
        id,
        driver: 'local',
        name: staged.name,
        jobDir,
        crate: staged.crate,
        crateDigest: staged.crateDigest,
        object: staged.object,
        imports: staged.imports,
        ...runSettingsOf(options, timeLimitMs),
        ...dependencyFields(dependencies),
        ...(retry && retry.maxAttempts > 1 ? { retry } : {}),
        maxRestarts,
      };
      await writeJobRecord(record, this.modes.file);
    } catch (error) {
      await rm(jobDir, { recursive: true, force: true });
      throw error;
    }
    await queueDependent(record, dependencies, this.holds);
    this.queue.start();
    return asJobId(id);
  }

  /**
   * Submits processes as one batch `local-N`: one bundle, one task per `processesPerTask`
   * processes, at most `parallelism` of its tasks at once within the driver's concurrency. One id
   * per process, in input order ('local-N_<task>', packed: 'local-N_<task>+<place>').
   */
  async submitJobs(targets: readonly SubmitTarget[], asked: BatchOptions = {}): Promise<JobId[]> {
    const options = await withLocalSuggestions(this, asked, targets[0]);
    const { timeLimitMs } = validateSubmitOptions(options);
    const shape = { count: targets.length, processesPerTask: options.processesPerTask ?? 1 };
    const dependencies = await this.holds.gate.check(options, shape);
    const retry = checkRetryPolicy(options.retry ?? this.options.retry);
    refuseBatchRestarts(options);
    const { batch, ids } = await createLocalBatch(targets, { ...options, retry }, timeLimitMs, {
      jobsRoot: this.jobsRoot(),
      share: this.share,
      modes: this.modes,
    });
    this.book.hold(batch);
    const group: QueueGroup = {
      id: batch.id,
      parallelism: batch.parallelism,
      refuse: async () => (await this.book.cancelledOnDisk(batch)).cancelledAt,
      afterRun: (task) => this.retries.afterTask(batch, task, group),
    };
    Object.assign(batch, dependencyFields(dependencies));
    await queueDependentBatch(batch, dependencies, group, this.holds);
    this.queue.start();
    return ids;
  }

  /** Each process's end as it happens, and waiting for all: one status round trip per poll for all of them. */
  private readonly waiters = pollingWaiters(
    this.kind,
    { pollIntervalMs: 100, maxPollIntervalMs: 1_000 },
    (ids) => this.statesOf(ids),
    (id) => this.getResult(id),
  );

  results<T = unknown>(ids: readonly string[], options: WaitOptions = {}): AsyncIterable<BatchResult<T>> {
    return this.waiters.results<T>(ids, options);
  }

  async waitForJobs(ids: readonly string[], options: WaitOptions = {}): Promise<Map<JobId, JobState>> {
    return this.waiters.waitForJobs(ids, options);
  }

  /** The states of these ids only: each batch they belong to is read once. */
  private async statesOf(ids: readonly string[]): Promise<Map<JobId, JobState>> {
    const batchIds = new Set<string>();
    const singles = new Map<JobId, JobState>();
    for (const id of ids) {
      const ref = parseLocalBatchId(id);
      if (ref) batchIds.add(ref.batchId);
      else singles.set(asJobId(id), await this.checkJobStatus(id));
    }
    return new Map([...singles, ...(await this.book.states(batchIds))]);
  }

  /** The job's state; 'unknown' with `unreadable` naming the file when its job.json or outcome.json cannot be read. */
  async checkJobStatus(id: string): Promise<JobState> {
    const found = await this.book.find(id);
    if (found) return batchProcessState(found.batch, found.index, this.book.liveTask);
    const entry = await this.readEntry(id);
    if (!entry) throw new JobNotFoundError(id, this.kind);
    if ('record' in entry && isBatchRecord(entry.record)) throw notAProcess(entry.record);
    return this.stateOfEntry(entry);
  }

  /**
   * Every job's state from its folder: one record read per finished job, reads in parallel. A job
   * whose job.json or outcome.json cannot be read is 'unknown', naming the file; the others go on.
   */
  async checkAllJobStatuses(): Promise<Map<JobId, JobState>> {
    const entries = await this.readRecords();
    const states = new Map<JobId, JobState>();
    const singles = entries.filter((entry) => !('record' in entry && isBatchRecord(entry.record)));
    const answers = await mapConcurrently(singles, READ_CONCURRENCY, (entry) => this.stateOfEntry(entry));
    // In id order: a batch's processes where the batch is.
    let next = 0;
    for (const entry of entries) {
      if ('record' in entry && isBatchRecord(entry.record)) {
        const batch = (await this.book.batchOf(entry.record.id)) ?? entry.record;
        for (const [id, state] of await batchProcessStates(batch, this.book.liveTask)) states.set(id, state);
      } else states.set(asJobId(entry.id), answers[next++] as JobState);
    }
    return states;
  }

  /** A state for every job folder, whatever is wrong with its files (unknownState). */
  private stateOfEntry(entry: RecordEntry): Promise<JobState> {
    if (!('record' in entry)) return Promise.resolve(unknownState(entry.error));
    const { record } = entry;
    return this.stateOf(record).catch((error: unknown) => unknownState(error, record.name));
  }

  /**
   * A job's state from its record, outcome and liveness. A final state is written back into the
   * record once, so later status calls (other processes too) read one small file per job.
   */
  private async stateOf(record: LocalJobRecord): Promise<JobState> {
    if (record.finalState) return record.finalState;
    const live = this.live.get(record.id);
    const liveStatus = liveStatusOf(live, this.queue.isHeld(record.id));
    const state = withLocalAttempts(
      localJobState(record, await readOutcome(record.jobDir), liveStatus),
      record,
    );
    if (isTerminalState(state) && record.endedAt && !live) {
      await writeJobRecord({ ...record, finalState: state }, this.modes.file).catch(() => {});
    }
    return state;
  }

  /**
   * Cancels a job; for a batch: one process (packed with others: skipped, or interrupted if
   * running), one task, or the whole batch by its id (queued tasks dropped, running ones stopped).
   */
  async cancelJob(id: string): Promise<void> {
    const found = await this.book.find(id);
    if (found && (await this.retries.cancel(found))) return;
    if (found?.packed) return cancelPackedProcess(found, this.modes);
    if (found) return this.cancelTask(found.batch, found.task);
    const record = await this.recordOf(id);
    if (isBatchRecord(record)) return this.cancelBatch(record);
    return this.cancelRecorded(id, record);
  }

  private async cancelBatch(batch: LocalBatchRecord): Promise<void> {
    const cancelled = await this.book.markCancelled(batch, this.modes);
    const tasks = Array.from({ length: batch.taskCount }, (_, task) => task);
    await mapConcurrently(tasks, READ_CONCURRENCY, (task) => this.cancelTask(cancelled, task));
    await this.retries.cancelAll(cancelled);
  }

  private async cancelTask(batch: LocalBatchRecord, task: number): Promise<void> {
    const taskId = `${batch.id}_${task}`;
    const record = this.live.get(taskId)?.record ?? (await taskRecordOnDisk(batch, task));
    if (record.pid === undefined && !this.live.has(taskId)) return; // Not started, not ours: the batch record says cancelled.
    return this.cancelRecorded(taskId, record);
  }

  private async cancelRecorded(id: string, record: LocalJobRecord): Promise<void> {
    const live = this.live.get(id);
    if (record.endedAt || (await readOutcome(record.jobDir))) return;
    record.cancelledAt = new Date().toISOString();
    if (this.queue.remove(id)) {
      if (record.batch)
        record.endedAt = record.cancelledAt; // never started: its folder is not made
      else await writeJobRecord(record, this.modes.file);
      live?.markExited();
      return;
    }
    await writeJobRecord(record, this.modes.file);
    const pid = live?.child?.pid ?? record.pid;
    if (pid !== undefined)
      await terminateProcessGroup(pid, launchSettingsOf(this.options, this.share, this.modes).killGraceMs);
  }

  async waitForJob(id: string, options: WaitOptions = {}): Promise<JobState> {
    const task = parseLocalBatchId(id);
    const liveId = task ? `${task.batchId}_${task.task}` : id;
    return waitForTerminalState(id, () => this.checkJobStatus(id), {
      pollIntervalMs: 100,
      maxPollIntervalMs: 1_000,
      ...options,
      wake: () => (this.live.get(retryKeyOf(id)) ?? this.live.get(liveId))?.exited ?? new Promise(() => {}),
    });
  }

  async getResult<T = unknown>(id: string): Promise<T> {
    const state = await this.checkJobStatus(id);
    const found = await this.book.find(id);
    return resultOrFailure<T>(
      id,
      found?.processDir ?? this.live.get(id)?.record.jobDir ?? this.jobDirOf(id),
      state,
    );
  }

  /** The job's output; for a process of a batch, what that process printed (its own capture). */
  async logs(id: string, options: LogOptions = {}): Promise<string> {
    return readAttemptLogs(await this.logFile(id, options), options);
  }

  async logFile(id: string, options: Pick<LogOptions, 'stream'> = {}): Promise<string> {
    const found = await this.book.find(id);
    if (found) return processLogFile(found.processDir, options.stream);
    return jobLogFile((await this.recordOf(id)).jobDir, options.stream);
  }

  /** Every job with a readable record (checkAllJobStatuses reports the unreadable ones). */
  async listJobs(): Promise<TrackedJob[]> {
    return trackedJobsOf(
      (await this.readRecords()).flatMap((entry) => ('record' in entry ? [entry.record] : [])),
    );
  }

  /** Everything known about one job, for one screen: see JobDescription. */
  async describeJob(id: string): Promise<JobDescription> {
    const process = await this.book.find(id);
    return describeLocalJob(this, { id, process, record: process ? undefined : await this.recordOf(id) });
  }

  /** Per Process class over this machine's jobs: see JobStats. */
  async stats(options: JobStatsOptions = {}): Promise<JobStats> {
    return localJobStats(this, options);
  }

  /** Removes finished jobs' folders (a batch whole); see Driver.forgetJobs. Their ids are never given again. */
  async forgetJobs(ids: readonly string[], options: ForgetOptions = {}): Promise<ForgetReport> {
    return forgetLocalJobs(this, this.jobsRoot(), ids, options, this.live);
  }

  /** Every job's record, in id order (this process's live copies where it has them). */
  private async readRecords(): Promise<RecordEntry[]> {
    const ids = await listJobIds(this.jobsRoot());
    const entries = await mapConcurrently(ids, READ_CONCURRENCY, (id) => this.readEntry(id));
    return entries.filter((entry): entry is RecordEntry => entry !== undefined);
  }

  /** One job's record (this process's live copy if it has one), or why it cannot be read; undefined when there is none. */
  private async readEntry(id: string): Promise<RecordEntry | undefined> {
    const live = this.live.get(id)?.record;
    if (live) return { id, record: live };
    const jobDir = this.jobDirOf(id); // a JobNotFoundError for an id that is not one of ours
    try {
      const record = await readJobRecord(jobDir);
      return record ? { id, record } : undefined;
    } catch (error) {
      return { id, error };
    }
  }

  /** The job's record for cancel and logs: a JobNotFoundError without one, a JobUnreadableError when it cannot be read. */
  private async recordOf(id: string): Promise<LocalJobRecord> {
    const entry = await this.readEntry(id);
    if (!entry) throw new JobNotFoundError(id, this.kind);
    if ('record' in entry) return entry.record;
    const unreadable = unreadableRecordOf(entry.error);
    throw unreadable ? new JobUnreadableError(id, unreadable, { cause: entry.error }) : entry.error;
  }

  private jobsRoot(): string {
    return join(this.root, 'jobs');
  }

  /** The folder of one of this driver's jobs; JobNotFoundError for an id that is not a local one. */
  jobDirOf(id: string): string {
    return jobDirOf(this.jobsRoot(), id);
  }
}

/** A job folder's record, or why it could not be read. */
type RecordEntry = { id: string; record: LocalJobRecord } | { id: string; error: unknown };
