import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  jobPaths,
  readJobLog,
  readOutcome,
  resultOrFailure,
  type SubmitTarget,
  stageJob,
  waitForTerminalState,
} from '@hpc/container';
import {
  asJobId,
  type Driver,
  hpcHome,
  isTerminalState,
  type JobId,
  JobNotFoundError,
  type JobState,
  type LogOptions,
  parseSlurmTimeMs,
  type SubmitOptions,
  type TrackedJob,
  type WaitOptions,
} from '@hpc/core';
import { runnerCommand } from '@hpc/node-runner';
import { execa, type ResultPromise } from 'execa';
import { type LocalJobRecord, readJobRecord, writeJobRecord } from './job-record.ts';
import { localJobState } from './local-state.ts';
import { terminateProcessGroup } from './process-group.ts';

export interface LocalDriverOptions {
  /** Folder for job folders (default $HPC_HOME/local, i.e. ~/.hpc/local). */
  root?: string;
  /** Jobs run at once (default: the number of cores). */
  concurrency?: number;
  /** Node binary for the runner (default: this process's). */
  nodePath?: string;
  /** The runner script (default: @hpc/node-runner's built runner). */
  runnerPath?: string;
  /** Between SIGTERM and SIGKILL on cancel or time limit (default 5 s). */
  killGraceMs?: number;
}

interface LiveJob {
  record: LocalJobRecord;
  child?: ResultPromise;
  exited: Promise<void>;
  markExited: () => void;
}

const JOB_ID_PREFIX = 'local-';
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
  private readonly live = new Map<string, LiveJob>();
  private readonly queue: string[] = [];
  private running = 0;

  constructor(private readonly options: LocalDriverOptions = {}) {
    this.root = options.root ?? join(hpcHome(), 'local');
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  }

  async submitJob(target: SubmitTarget, options: SubmitOptions = {}): Promise<JobId> {
    const { id, jobDir } = await this.allocateJobDir();
    const staged = await stageJob(target, {
      jobsRoot: this.jobsRoot(),
      jobDir,
      ...(options.name ? { name: options.name } : {}),
      ...(options.imports ? { imports: options.imports } : {}),
    });
    const timeLimit = options.slurmArgs?.time;
    const record: LocalJobRecord = {
      id,
      driver: 'local',
      name: staged.name,
      jobDir,
      crate: staged.crate,
      object: staged.object,
      imports: staged.imports,
      submittedAt: new Date().toISOString(),
      ownerPid: process.pid,
      timeLimitMs: timeLimit === undefined ? undefined : parseSlurmTimeMs(timeLimit),
      env: options.env ?? {},
    };
    await writeJobRecord(record);
    let markExited: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    this.live.set(id, { record, exited, markExited });
    this.queue.push(id);
    this.startQueued();
    return asJobId(id);
  }

  async checkJobStatus(id: string): Promise<JobState> {
    const live = this.live.get(id);
    const record = live?.record ?? (await readJobRecord(this.jobDirOf(id)));
    if (!record) throw new JobNotFoundError(id, this.kind);
    return this.stateOf(record);
  }

  /** Every job's state from its folder: one record read per finished job, reads in parallel. */
  async checkAllJobStatuses(): Promise<Map<JobId, JobState>> {
    const records = await this.readRecords();
    const states = await mapConcurrently(records, READ_CONCURRENCY, (record) => this.stateOf(record));
    return new Map(records.map((record, index) => [asJobId(record.id), states[index] as JobState]));
  }

  /**
   * A job's state from its record, outcome and liveness. A final state is written back into the
   * record once, so later status calls (other processes too) read one small file per job.
   */
  private async stateOf(record: LocalJobRecord): Promise<JobState> {
    if (record.finalState) return record.finalState;
    const live = this.live.get(record.id);
    const liveStatus = live
      ? live.child
        ? live.record.endedAt
          ? undefined
          : 'running'
        : 'queued'
      : undefined;
    const state = localJobState(record, await readOutcome(record.jobDir), liveStatus);
    if (isTerminalState(state) && record.endedAt && !live) {
      await writeJobRecord({ ...record, finalState: state }).catch(() => {});
    }
    return state;
  }

  async cancelJob(id: string): Promise<void> {
    const live = this.live.get(id);
    const record = live?.record ?? (await readJobRecord(this.jobDirOf(id)));
    if (!record) throw new JobNotFoundError(id, this.kind);
    if (record.endedAt || (await readOutcome(record.jobDir))) return;
    record.cancelledAt = new Date().toISOString();
    await writeJobRecord(record);
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
    const record = this.live.get(id)?.record ?? (await readJobRecord(this.jobDirOf(id)));
    if (!record) throw new JobNotFoundError(id, this.kind);
    return readJobLog(record.jobDir, options);
  }

  async listJobs(): Promise<TrackedJob[]> {
    return (await this.readRecords()).map((record) => ({
      id: asJobId(record.id),
      driver: this.kind,
      name: record.name,
      jobDir: record.jobDir,
      submittedAt: record.submittedAt,
    }));
  }

  /** Every job's record, in id order (this process's live copies where it has them). */
  private async readRecords(): Promise<LocalJobRecord[]> {
    const names = await readdir(this.jobsRoot()).catch(() => [] as string[]);
    const ids = names
      .filter((name) => name.startsWith(JOB_ID_PREFIX))
      .sort((a, b) => jobNumber(a) - jobNumber(b));
    const records = await mapConcurrently(
      ids,
      READ_CONCURRENCY,
      async (id) => this.live.get(id)?.record ?? (await readJobRecord(this.jobDirOf(id))),
    );
    return records.filter((record): record is LocalJobRecord => record !== undefined);
  }

  private jobsRoot(): string {
    return join(this.root, 'jobs');
  }

  private jobDirOf(id: string): string {
    if (!id.startsWith(JOB_ID_PREFIX) || !Number.isSafeInteger(jobNumber(id)))
      throw new JobNotFoundError(id, this.kind);
    return join(this.jobsRoot(), id);
  }

  /** The next free id: mkdir is atomic, so concurrent submitters never share a folder. */
  private async allocateJobDir(): Promise<{ id: string; jobDir: string }> {
    await mkdir(this.jobsRoot(), { recursive: true });
    const existing = (await readdir(this.jobsRoot()))
      .filter((name) => name.startsWith(JOB_ID_PREFIX))
      .map(jobNumber);
    let next = Math.max(0, ...existing.filter(Number.isSafeInteger)) + 1;
    for (;;) {
      const id = `${JOB_ID_PREFIX}${next}`;
      const jobDir = join(this.jobsRoot(), id);
      try {
        await mkdir(jobDir);
        return { id, jobDir };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        next++;
      }
    }
  }

  private startQueued(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift() as string;
      const live = this.live.get(id);
      if (live) void this.start(live);
    }
  }

  private async start(live: LiveJob): Promise<void> {
    this.running++;
    const { record } = live;
    const paths = jobPaths(record.jobDir);
    const command = runnerCommand({
      imports: record.imports,
      crate: record.crate,
      object: record.object,
      jobDir: record.jobDir,
      ...(this.options.nodePath ? { nodePath: this.options.nodePath } : {}),
      ...(this.options.runnerPath ? { runnerPath: this.options.runnerPath } : {}),
    });
    const child = spawnRunner(command, {
      cwd: record.jobDir,
      env: { ...record.env, HPC_JOB_ID: record.id },
      stdoutFile: paths.schedulerStdout,
      stderrFile: paths.schedulerStderr,
    });
    live.child = child;
    record.pid = child.pid;
    record.startedAt = new Date().toISOString();
    await writeJobRecord(record);
    const limit =
      record.timeLimitMs === undefined
        ? undefined
        : setTimeout(() => void this.timeOut(live), record.timeLimitMs);
    const result = await child;
    if (limit) clearTimeout(limit);
    // Another process (the CLI) may have cancelled the job meanwhile: keep what it recorded.
    const onDisk = await readJobRecord(record.jobDir);
    record.cancelledAt ??= onDisk?.cancelledAt;
    record.timedOutAt ??= onDisk?.timedOutAt;
    record.endedAt = new Date().toISOString();
    record.exitCode = result.exitCode ?? null;
    record.signal = result.signal ?? null;
    await writeJobRecord(record);
    this.running--;
    live.markExited();
    this.startQueued();
  }

  private async timeOut(live: LiveJob): Promise<void> {
    if (live.record.endedAt) return;
    live.record.timedOutAt = new Date().toISOString();
    await writeJobRecord(live.record);
    const pid = live.child?.pid;
    if (pid !== undefined) await terminateProcessGroup(pid, this.killGraceMs());
  }

  private killGraceMs(): number {
    return this.options.killGraceMs ?? 5_000;
  }
}

/**
 * Starts the runner in its own process group, writing its logs through its own file descriptors
 * (not piped through this process), so a running job keeps logging after the submitter exits.
 */
function spawnRunner(
  command: { file: string; args: string[] },
  options: { cwd: string; env: Record<string, string>; stdoutFile: string; stderrFile: string },
): ResultPromise {
  // execa's types accept file descriptors only as number literals, hence the casts.
  const stdout = openSync(options.stdoutFile, 'a') as 1;
  const stderr = openSync(options.stderrFile, 'a') as 2;
  try {
    return execa(command.file, command.args, {
      cwd: options.cwd,
      env: options.env,
      stdin: 'ignore',
      stdout,
      stderr,
      detached: true,
      cleanup: false,
      reject: false,
    });
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
}

/** Maps with at most `limit` promises pending, keeping the input order. */
async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function jobNumber(id: string): number {
  return Number(id.slice(JOB_ID_PREFIX.length));
}
