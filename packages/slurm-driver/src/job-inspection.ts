import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchPaths, describeJobFolder, jobPaths } from '@hpc/container';
import {
  computeJobStats,
  isTerminalState,
  type JobDescription,
  type JobState,
  type JobStats,
  type JobStatsInput,
  type JobStatsOptions,
  type RequestedResources,
  type RunOutcome,
  type RunUsage,
} from '@hpc/core';
import { batchDirOfProcess } from './batch-record.ts';
import { queryIdOf, schedulerIdOf } from './batch-status.ts';
import type { CommandRunner } from './command-runner.ts';
import { type JobRecord, readJobRecord } from './job-record.ts';
import type { JobRegistry } from './job-registry.ts';
import type { StoredJob } from './job-store.ts';
import { parseSacct, sacctArgs } from './sacct-parse.ts';
import { SLURM_JOB_FILES } from './sbatch-script.ts';
import { mapSlurmState } from './slurm-state.ts';
import { SQUEUE_ENV } from './squeue-parse.ts';

/** What describeJob and stats need of the SLURM driver. */
export interface InspectionParts {
  registry: JobRegistry;
  run: CommandRunner;
  /** Whether sacct may be asked (false: accounting is off). */
  accounting: boolean | undefined;
  commandTimeoutMs?: number | undefined;
}

/** The driver's own calls describeJob uses. */
export interface DescribedDriver {
  checkJobStatus(id: string): Promise<JobState>;
  logFile(id: string, options: { stream?: 'stdout' | 'stderr' }): Promise<string>;
}

/**
 * describeJob on SLURM. A finished job whose state lacks sacct's figures (its outcome decided it,
 * so no poll asked sacct) gets them here: one sacct for this one job, kept in its final state so
 * it is asked once. Polls never pay for it.
 */
export async function describeSlurmJob(
  job: StoredJob,
  driver: DescribedDriver,
  parts: InspectionParts,
): Promise<JobDescription> {
  let state = await driver.checkJobStatus(job.id);
  if (isTerminalState(state) && !state.scheduler && parts.accounting !== false) {
    const scheduler = await accountedUsage(job, parts);
    if (scheduler) {
      state = { ...state, scheduler };
      parts.registry.update([
        {
          id: job.id,
          state,
          final: true,
          missingSince: undefined,
          ...(job.batchIndex !== undefined ? { batchProcess: true } : {}),
        },
      ]);
    }
  }
  const recordDir = job.batchIndex === undefined ? job.jobDir : batchDirOfProcess(job.jobDir);
  const record = readRecordQuietly(recordDir);
  return describeJobFolder({
    id: job.id,
    driver: 'slurm',
    name: record?.name ?? job.name,
    jobDir: job.jobDir,
    state,
    record,
    scriptPath:
      job.batchIndex === undefined ? join(recordDir, SLURM_JOB_FILES.script) : batchPaths(recordDir).script,
    logFile: (stream) => driver.logFile(job.id, { stream }),
  });
}

async function accountedUsage(job: StoredJob, parts: InspectionParts) {
  try {
    const tasks = job.batchIndex !== undefined;
    // Steps included even for a batch's task (sacctArgs leaves them out of polls).
    const args = sacctArgs({ ids: [queryIdOf(job)], tasks }).filter((arg) => arg !== '--allocations');
    const result = await parts.run('sacct', args, {
      env: SQUEUE_ENV,
      ...(parts.commandTimeoutMs !== undefined ? { timeoutMs: parts.commandTimeoutMs } : {}),
    });
    if (result.exitCode !== 0) return undefined;
    const report = parseSacct(result.stdout).get(schedulerIdOf(job));
    // sacct lags a job's end by a few seconds: figures without the batch step's MaxRSS are not final yet.
    if (!report?.usage || !isTerminalState(mapSlurmState(report))) return undefined;
    if (report.usage.maxRssBytes === undefined && report.startedAt) return undefined;
    return report.usage;
  } catch {
    return undefined; // accounting is advisory here: the description goes without it
  }
}

function readRecordQuietly(dir: string): JobRecord | undefined {
  try {
    return readJobRecord(dir);
  } catch {
    return undefined;
  }
}

/**
 * stats() on SLURM: every tracked job's state from the index (no scheduler call), its runner's
 * figures from its outcome.json (finished jobs only) and its request from job.json (a batch's
 * once for all its processes). `onlyName`: that class's jobs only (no other folder is read).
 */
export function slurmJobStats(
  registry: JobRegistry,
  options: JobStatsOptions = {},
  onlyName?: string,
): JobStats {
  const requests = new Map<string, RequestedResources | undefined>();
  const requestOf = (dir: string) => {
    if (!requests.has(dir)) requests.set(dir, readRecordQuietly(dir)?.requested);
    return requests.get(dir);
  };
  const inputs: JobStatsInput[] = [];
  for (const job of registry.jobs()) {
    if (onlyName !== undefined && job.name !== onlyName) continue;
    const state = job.state ?? { status: 'unknown', reason: 'not polled yet' };
    const finished = isTerminalState(state);
    const usage = finished ? usageOf(job.jobDir) : undefined;
    const requested = requestOf(job.batchIndex === undefined ? job.jobDir : batchDirOfProcess(job.jobDir));
    inputs.push({ name: job.name, state, usage, requested });
  }
  return computeJobStats(inputs, options);
}

/** The runner's figures in a finished job's outcome.json; read synchronously (10,000 in ~100 ms, 6× faster). */
function usageOf(jobDir: string): RunUsage | undefined {
  try {
    return (JSON.parse(readFileSync(jobPaths(jobDir).outcome, 'utf8')) as Partial<RunOutcome>).usage;
  } catch {
    return undefined; // none (lost, cancelled before it ran) or unreadable: its status says which
  }
}
