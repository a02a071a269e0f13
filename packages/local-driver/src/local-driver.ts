import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  readJobLog,
  readOutcome,
  resultOrFailure,
  type SubmitTarget,
  stageJob,
  validateSubmitOptions,
  waitForTerminalState,
} from '@hpc/container';
import {
  asJobId,
  checkpointLeadSeconds,
  type Driver,
  type FileModes,
  fileModes,
  hpcHome,
  isTerminalState,
  type JobId,
  JobNotFoundError,
  type JobState,
  JobUnreadableError,
  type LogOptions,
  resolveSharing,
  type Sharing,
  type SubmitOptions,
  type TrackedJob,
  unreadableJobState,
  unreadableRecordOf,
  type WaitOptions,
} from '@hpc/core';
import { allocateJobDir, jobDirOf, listJobIds, mapConcurrently } from './job-folders.ts';
import { type LaunchSettings, type LiveJob, runJob } from './job-launch.ts';
import { type LocalJobRecord, readJobRecord, writeJobRecord } from './job-record.ts';
import { localJobState } from './local-state.ts';
import { terminateProcessGroup } from './process-group.ts';

export interface LocalDriverOptions {
  /** Folder for job folders (default defaultLocalRoot(): $HPC_HOME/local, i.e. ~/.hpc/local). */
  root?: string;
  /** Jobs run at once (default: the number of cores). */
  concurrency?: number;
  /** Node binary for the runner (default: this process's). */
  nodePath?: string;
  /** The runner script (default: @hpc/runner's runner bundle, dist/node-runner.mjs). */
  runnerPath?: string;
  /** Between SIGTERM and SIGKILL on cancel or time limit (default 5 s). */
  killGraceMs?: number;
  /**
   * Who may read job folders and their files (default $HPC_SHARE, else 'private': folders 0700,
   * files 0600). 'group' (0750/0640) for projects whose group reads results.
   */
  share?: Sharing;
}

/** Where the local driver keeps its job folders by default: `<home>/local` ($HPC_HOME, else ~/.hpc). */
export function defaultLocalRoot(home: string = hpcHome()): string {
  return join(home, 'local');
}

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
  private readonly concurrency: number;
  private readonly share: Sharing;
  private readonly modes: FileModes;
  private readonly live = new Map<string, LiveJob>();
  private readonly queue: string[] = [];
  private running = 0;

  constructor(private readonly options: LocalDriverOptions = {}) {
    this.root = options.root ?? defaultLocalRoot();
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.share = resolveSharing(options.share);
    this.modes = fileModes(this.share);
  }

  /**
   * Checks every setting, then stages the job into a new folder `local-N` and queues it. All or
   * nothing: a refused setting creates nothing, and a failed staging removes the folder.
   */
  async submitJob(target: SubmitTarget, options: SubmitOptions = {}): Promise<JobId> {
    const { timeLimitMs } = validateSubmitOptions(options);
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
        submittedAt: new Date().toISOString(),
        ownerPid: process.pid,
        timeLimitMs,
        checkpointLeadSeconds:
          timeLimitMs === undefined
            ? 0
            : checkpointLeadSeconds(timeLimitMs / 1_000, options.checkpointSignalSeconds),
        env: options.env ?? {},
      };
      await writeJobRecord(record, this.modes.file);
    } catch (error) {
      await rm(jobDir, { recursive: true, force: true });
      throw error;
    }
    let markExited: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    this.live.set(id, { record, exited, markExited });
    this.queue.push(id);
    this.startQueued();
    return asJobId(id);
  }

  /** The job's state; 'unknown' with `unreadable` naming the file when its job.json or outcome.json cannot be read. */
  async checkJobStatus(id: string): Promise<JobState> {
    const entry = await this.readEntry(id);
    if (!entry) throw new JobNotFoundError(id, this.kind);
    return this.stateOfEntry(entry);
  }

  /**
   * Every job's state from its folder: one record read per finished job, reads in parallel. A job
   * whose job.json or outcome.json cannot be read is 'unknown', naming the file; the others go on.
   */
  async checkAllJobStatuses(): Promise<Map<JobId, JobState>> {
    const entries = await this.readRecords();
    const states = await mapConcurrently(entries, READ_CONCURRENCY, (entry) => this.stateOfEntry(entry));
    return new Map(entries.map((entry, index) => [asJobId(entry.id), states[index] as JobState]));
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
    const liveStatus = !live || live.record.endedAt ? undefined : live.child ? 'running' : 'queued';
    const state = localJobState(record, await readOutcome(record.jobDir), liveStatus);
    if (isTerminalState(state) && record.endedAt && !live) {
      await writeJobRecord({ ...record, finalState: state }, this.modes.file).catch(() => {});
    }
    return state;
  }

  async cancelJob(id: string): Promise<void> {
    const live = this.live.get(id);
    const record = await this.recordOf(id);
    if (record.endedAt || (await readOutcome(record.jobDir))) return;
    record.cancelledAt = new Date().toISOString();
    await writeJobRecord(record, this.modes.file);
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      live?.markExited();
      return;
    }
    const pid = live?.child?.pid ?? record.pid;
    if (pid !== undefined) await terminateProcessGroup(pid, this.killGraceMs());
  }

  async waitForJob(id: string, options: WaitOptions = {}): Promise<JobState> {
    return waitForTerminalState(id, () => this.checkJobStatus(id), {
      pollIntervalMs: 100,
      maxPollIntervalMs: 1_000,
      ...options,
      wake: () => this.live.get(id)?.exited ?? new Promise(() => {}),
    });
  }

  async getResult<T = unknown>(id: string): Promise<T> {
    const state = await this.checkJobStatus(id);
    return resultOrFailure<T>(id, this.live.get(id)?.record.jobDir ?? this.jobDirOf(id), state);
  }

  async logs(id: string, options: LogOptions = {}): Promise<string> {
    return readJobLog((await this.recordOf(id)).jobDir, options);
  }

  /** Every job with a readable record (checkAllJobStatuses reports the unreadable ones). */
  async listJobs(): Promise<TrackedJob[]> {
    const records = (await this.readRecords()).flatMap((entry) => ('record' in entry ? [entry.record] : []));
    return records.map((record) => ({
      id: asJobId(record.id),
      driver: this.kind,
      name: record.name,
      jobDir: record.jobDir,
      submittedAt: record.submittedAt,
    }));
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

  private startQueued(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift() as string;
      const live = this.live.get(id);
      if (live) void this.launch(live);
    }
  }

  /** Runs one job and then the next queued one; whatever happens to this job, the queue goes on. */
  private async launch(live: LiveJob): Promise<void> {
    this.running++;
    try {
      await runJob(live, this.launchSettings());
    } catch (error) {
      // runJob records its job's failures itself; this keeps an unforeseen one from ending the driver.
      live.record.failure ??= `the local driver failed while running it: ${(error as Error)?.message ?? String(error)}`;
      live.record.endedAt ??= new Date().toISOString();
    } finally {
      this.running--;
      live.markExited();
      this.startQueued();
    }
  }

  private launchSettings(): LaunchSettings {
    return {
      nodePath: this.options.nodePath,
      runnerPath: this.options.runnerPath,
      killGraceMs: this.killGraceMs(),
      share: this.share,
      modes: this.modes,
    };
  }

  private killGraceMs(): number {
    return this.options.killGraceMs ?? 5_000;
  }
}

/** A job folder's record, or why it could not be read. */
type RecordEntry = { id: string; record: LocalJobRecord } | { id: string; error: unknown };

/**
 * The state of a job whose files cannot be read: 'unknown' with the error's words, and with
 * `unreadable` naming the file when the error is about one (job.json, outcome.json).
 */
function unknownState(error: unknown, name?: string): JobState {
  const reason = (error as Error)?.message ?? String(error);
  const details = name === undefined ? {} : { name };
  const unreadable = unreadableRecordOf(error);
  return unreadable
    ? unreadableJobState(unreadable, reason, details)
    : { ...details, status: 'unknown', reason };
}
