import { checkRetryPolicy, type RetryPolicy } from '@hpc/core';
import type { SLURMSubmitOptions } from './job-preparation.ts';
import type { JobRecord } from './job-record.ts';
import { type SlurmArgs, validateSlurmArgs } from './sbatch-options.ts';

/** The sbatch options a retry reads or changes, kept in job.json (`resources`) at submission. */
const RETRY_RESOURCES = ['mem', 'mem-per-cpu', 'cpus-per-task', 'time', 'partition', 'exclude', 'comment'];

/** What job.json keeps for retries: the policy and the first attempt's resources. */
export function retryFields(settings: {
  retry?: RetryPolicy | undefined;
  slurmArgs?: SlurmArgs | undefined;
}): Pick<JobRecord, 'retry' | 'resources'> {
  const retry = checkRetryPolicy(settings.retry);
  if (!retry || retry.maxAttempts < 2) return {};
  const resources: Record<string, string> = {};
  for (const { key, value } of validateSlurmArgs(settings.slurmArgs))
    if (RETRY_RESOURCES.includes(key) && value !== undefined) resources[key] = value;
  return { retry, resources };
}

/** A submit's settings over the driver's defaults (per-submit wins; slurmArgs and env are merged), `retry` the driver's default policy. */
export function withDefaults(
  options: SLURMSubmitOptions,
  driverDefaults: SLURMSubmitOptions = {},
  retry?: RetryPolicy,
): SLURMSubmitOptions {
  const defaults = { ...(retry ? { retry } : {}), ...driverDefaults };
  return {
    ...defaults,
    ...options,
    slurmArgs: { ...defaults.slurmArgs, ...options.slurmArgs },
    env: { ...defaults.env, ...options.env },
  };
}
