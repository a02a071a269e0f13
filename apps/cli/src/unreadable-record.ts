import { isHpcError, unreadableState } from '@hpc/core';
import { UnreadableJobError } from './cli-errors.ts';

/** The drivers' typed errors for a job file that exists but cannot be read; each names its file. */
const UNREADABLE_TAGS = ['JobRecordUnreadableError', 'OutcomeUnreadableError', 'JobRecordError'];

/**
 * For commands about one job (result, logs): a driver's "this job's file cannot be read" error
 * becomes an UnreadableJobError ("cannot read job <id>: <file>: ..."); anything else passes.
 */
export function explainUnreadableJob(error: unknown, jobId: string): unknown {
  if (!isHpcError(error, ...UNREADABLE_TAGS)) return error;
  const file = (error as { file?: unknown }).file;
  if (typeof file !== 'string') return error;
  const state = unreadableState(error, file);
  const detail = state.status === 'unknown' ? state.unreadable?.message : undefined;
  return new UnreadableJobError(jobId, file, detail ?? error.message, { cause: error });
}
