import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeJobFolder, jobPaths, type SubmitTarget, withSuggestedResources } from '@hpc/container';
import {
  computeJobStats,
  isTerminalState,
  type JobDescription,
  type JobId,
  type JobState,
  type JobStats,
  type JobStatsOptions,
  type RequestedResources,
  type RunOutcome,
  type SubmitOptions,
  type TrackedJob,
} from '@hpc/core';
import type { LocalBatchRecord } from './batch-record.ts';
import type { LocalJobRecord } from './job-record.ts';

/** The driver's own calls describeJob and stats use. */
export interface InspectedDriver {
  checkJobStatus(id: string): Promise<JobState>;
  checkAllJobStatuses(): Promise<Map<JobId, JobState>>;
  listJobs(): Promise<TrackedJob[]>;
  logFile(id: string, options: { stream?: 'stdout' | 'stderr' }): Promise<string>;
}

/** One id: a batch process (its own folder, its batch's record), or a job with its record. */
export interface LocalDescribed {
  id: string;
  process?: { processDir: string; batch: LocalBatchRecord } | undefined;
  record?: LocalJobRecord | undefined;
}

/** describeJob on this machine: the folder's files, the driver's own start and end times. */
export async function describeLocalJob(
  driver: InspectedDriver,
  { id, process, record }: LocalDescribed,
): Promise<JobDescription> {
  const source = process?.batch ?? record;
  return describeJobFolder({
    id,
    driver: 'local',
    name: source?.name ?? id,
    jobDir: process?.processDir ?? record?.jobDir ?? '',
    state: await driver.checkJobStatus(id),
    record: source,
    logFile: (stream) => driver.logFile(id, { stream }),
    times: process ? {} : { startedAt: record?.startedAt, endedAt: record?.endedAt },
  });
}

/**
 * stats() on this machine: every job's state, its runner's figures and its request, from the
 * folders. `onlyName`: that class's jobs only (no other job's outcome is read).
 */
export async function localJobStats(
  driver: InspectedDriver,
  options: JobStatsOptions = {},
  onlyName?: string,
): Promise<JobStats> {
  const [all, states] = await Promise.all([driver.listJobs(), driver.checkAllJobStatuses()]);
  const jobs = onlyName === undefined ? all : all.filter((job) => job.name === onlyName);
  const requests = new Map<string, RequestedResources | undefined>();
  const inputs = jobs.map((job) => {
    const state = states.get(job.id) ?? { status: 'unknown' as const, reason: 'no state' };
    return {
      name: job.name,
      state,
      usage: isTerminalState(state) ? readJson<RunOutcome>(jobPaths(job.jobDir).outcome)?.usage : undefined,
      requested: requestOf(job.jobDir, requests),
    };
  });
  return computeJobStats(inputs, options);
}

/** `resources: 'suggested'` on this machine: the class's history from the job folders, read once per submit. */
export function withLocalSuggestions<O extends SubmitOptions>(
  driver: InspectedDriver,
  settings: O,
  first: SubmitTarget | undefined,
): Promise<O> {
  return withSuggestedResources(settings, first, {
    history: async (name) => (await localJobStats(driver, {}, name)).classes[0],
  });
}

/** The request in the job's record, or for a batch process (`<batch>/p/<index>`) its batch's, read once. */
function requestOf(
  jobDir: string,
  cache: Map<string, RequestedResources | undefined>,
): RequestedResources | undefined {
  const own = readJson<LocalJobRecord>(jobPaths(jobDir).record);
  if (own) return own.requested;
  const batchDir = dirname(dirname(jobDir));
  if (!cache.has(batchDir))
    cache.set(batchDir, readJson<LocalBatchRecord>(jobPaths(batchDir).record)?.requested);
  return cache.get(batchDir);
}

/** A small JSON file read synchronously (10,000 of them: ~100 ms); undefined when missing or damaged. */
function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
