import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  batchPaths,
  jobLogFile,
  processLogFile,
  readAttemptLogs,
  readJobLog,
  requestProcessCancel,
} from '@hpc/container';
import { batchTaskOf, type FileModes, type LogOptions } from '@hpc/core';
import { batchArrayIds, batchDirOfProcess } from './batch-record.ts';
import type { CommandRunner } from './command-runner.ts';
import { SchedulerCommandError } from './errors.ts';
import { readJobRecord } from './job-record.ts';
import type { JobRegistry } from './job-registry.ts';
import type { StoredJob } from './job-store.ts';

/** What cancelJob does for an id: nothing (finished), a cancel marker (packed process), or one scancel. */
export type CancelTarget = { kind: 'done' } | { kind: 'marked' } | { kind: 'scancel'; ids: string[] };

/** cancelJob and logs for every id a driver tracks: jobs, batch processes, tasks and batches. */
export class BatchJobs {
  constructor(
    private readonly registry: JobRegistry,
    private readonly run: CommandRunner,
    private readonly modes: FileModes,
  ) {}

  /**
   * Cancels `id` (see cancelTarget): one scancel at most, nothing for a finished job. False when
   * the id is not tracked. A job SLURM already finished or forgot is not an error.
   */
  async cancel(id: string, job: StoredJob | undefined): Promise<boolean> {
    const target = await this.cancelTarget(id, job);
    if (!target) return false;
    if (target.kind !== 'scancel') return true;
    const result = await this.run('scancel', target.ids);
    if (
      result.exitCode !== 0 &&
      !/already completing or completed|Invalid job id specified/i.test(result.stderr)
    )
      throw new SchedulerCommandError('scancel', target.ids, result.exitCode, result.stderr);
    return true;
  }

  /**
   * How to cancel `id`: a tracked job or unpacked process by its own id; a packed process by its
   * cancel marker (the runner skips it, or interrupts it, and goes on with the task's others); a
   * task of packed processes (`4711_3`) by its id; a batch by its first array's id, every slice at
   * once. Undefined when the id is none of these.
   */
  async cancelTarget(id: string, job: StoredJob | undefined): Promise<CancelTarget | undefined> {
    if (job) {
      if (job.terminal) return { kind: 'done' };
      if (job.batchIndex === undefined) return { kind: 'scancel', ids: [job.schedulerId ?? job.id] };
      // The marker also says "cancelled" once SLURM has forgotten a task cancelled while pending.
      await this.mark([job]);
      // A process retried on its own runs as its own one-task array (batch-process-retry.ts).
      if (job.schedulerId !== undefined) return { kind: 'scancel', ids: [job.schedulerId] };
      return job.id === batchTaskOf(job.id) ? { kind: 'scancel', ids: [job.id] } : { kind: 'marked' };
    }
    const processes = this.processesOf(id);
    const [first] = processes;
    if (!first || first.batchIndex === undefined) return undefined;
    if (processes.every((process) => process.terminal)) return { kind: 'done' };
    // Processes retried on their own run as their own one-task arrays: cancelled with their task or batch.
    const retried = processes.flatMap((process) =>
      !process.terminal && process.schedulerId !== undefined ? [process.schedulerId] : [],
    );
    if (id.includes('_')) {
      await this.mark(processes);
      return { kind: 'scancel', ids: [id, ...retried] };
    }
    const record = readJobRecord(batchDirOfProcess(first.jobDir));
    return { kind: 'scancel', ids: [...(record?.batch ? batchArrayIds(record.batch) : [id]), ...retried] };
  }

  /** The processes of a task or an array, from the index (caught up with the folders on a miss). */
  private processesOf(schedulerId: string): StoredJob[] {
    const found = this.registry.withStore((store) => store.processesOf(schedulerId));
    if (found.length > 0) return found;
    this.registry.refresh();
    return this.registry.withStore((store) => store.processesOf(schedulerId));
  }

  /**
   * Cancel markers for these processes. SLURM keeps no record at all of an array task cancelled
   * while pending (squeue and sacct both drop it, measured on 22.05): the marker is what says so.
   */
  private async mark(processes: readonly StoredJob[]): Promise<void> {
    for (const process of processes)
      if (process.batchIndex !== undefined)
        await requestProcessCancel(batchDirOfProcess(process.jobDir), process.batchIndex, this.modes);
  }

  /**
   * A batch process's own output once it has started (every attempt's, when it was retried);
   * before that, its task's capture (tasks/<task>.out).
   */
  logs(job: StoredJob, options: LogOptions): Promise<string> {
    if (job.batchIndex === undefined) return readJobLog(job.jobDir, options);
    return readAttemptLogs(this.logFile(job, options.stream), options);
  }

  /**
   * A job's own log; a batch process: its own capture once it started, its task's (the
   * scheduler's) until then.
   */
  logFile(job: StoredJob, stream: LogOptions['stream']): string {
    if (job.batchIndex === undefined) return jobLogFile(job.jobDir, stream);
    if (existsSync(job.jobDir)) return processLogFile(job.jobDir, stream);
    const task = batchTaskOf(job.id);
    const tasks = batchPaths(batchDirOfProcess(job.jobDir)).tasks;
    return join(tasks, `${task}.${stream === 'stderr' ? 'err' : 'out'}`);
  }
}
