import { mkdir, readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  jobPaths,
  readOutcome,
  resultOrFailure,
  type SubmitTarget,
  stageJob,
  tailFile,
  waitForTerminalState,
} from '@hpc/container';
import {
  asJobId,
  type Driver,
  type JobId,
  JobNotFoundError,
  type JobState,
  type LogOptions,
  type SubmitOptions,
  type TrackedJob,
  type WaitOptions,
} from '@hpc/core';
import { runnerCommand } from '@hpc/node-runner';
import { execa, type ResultPromise } from 'execa';
import { hpcHome } from './hpc-home.ts';
import { type LocalJobRecord, readJobRecord, writeJobRecord } from './job-record.ts';
import { isAlive, localJobState } from './local-state.ts';
import { parseSlurmTimeMs } from './time-limit.ts';

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
    const jobDir = live?.record.jobDir ?? this.jobDirOf(id);
    const record = live?.record ?? (await readJobRecord(jobDir));
    if (!record) throw new JobNotFoundError(id, this.kind);
    const liveStatus = live
      ? live.child
        ? live.record.endedAt
          ? undefined
          : 'running'
        : 'queued'
      : undefined;
    return localJobState(record, await readOutcome(jobDir), liveStatus);
  }

  async checkAllJobStatuses(): Promise<Map<JobId, JobState>> {
    const states = new Map<JobId, JobState>();
    for (const job of await this.listJobs()) states.set(job.id, await this.checkJobStatus(job.id));
    return states;
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
    if (live?.child) this.terminate(live);
    else if (record.pid !== undefined && isAlive(record.pid)) signalGroup(record.pid, 'SIGTERM');
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
    const paths = jobPaths(record.jobDir);
    const file = options.stream === 'stderr' ? paths.schedulerStderr : paths.schedulerStdout;
    if (options.tailLines !== undefined) return tailFile(file, options.tailLines);
    return readFile(file, 'utf8').catch(() => '');
  }

  async listJobs(): Promise<TrackedJob[]> {
    const names = await readdir(this.jobsRoot()).catch(() => [] as string[]);
    const ids = names
      .filter((name) => name.startsWith(JOB_ID_PREFIX))
      .sort((a, b) => jobNumber(a) - jobNumber(b));
    const jobs: TrackedJob[] = [];
    for (const id of ids) {
      const record = this.live.get(id)?.record ?? (await readJobRecord(this.jobDirOf(id)));
      if (record)
        jobs.push({
          id: asJobId(id),
          driver: this.kind,
          name: record.name,
          jobDir: record.jobDir,
          submittedAt: record.submittedAt,
        });
    }
    return jobs;
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
    const child = execa(command.file, command.args, {
      cwd: record.jobDir,
      env: { ...record.env, HPC_JOB_ID: record.id },
      stdin: 'ignore',
      stdout: { file: paths.schedulerStdout },
      stderr: { file: paths.schedulerStderr },
      detached: true,
      cleanup: false,
      reject: false,
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
    this.terminate(live);
  }

  /** SIGTERM to the runner's process group (the runner checkpoints and stops), SIGKILL after the grace. */
  private terminate(live: LiveJob): void {
    const pid = live.child?.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    const kill = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.options.killGraceMs ?? 5_000);
    kill.unref();
    void live.exited.then(() => clearTimeout(kill));
  }
}

function jobNumber(id: string): number {
  return Number(id.slice(JOB_ID_PREFIX.length));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
