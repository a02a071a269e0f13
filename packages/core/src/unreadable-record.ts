import { HpcError, type HpcErrorOptions, isHpcError } from './errors.ts';
import type { JobState, JobStateDetails, UnreadableRecord } from './job-state.ts';

/** A registered symbol (like HpcError's brand), so two loaded copies of @hpc/core agree. */
const UNREADABLE_JOB_FILE = Symbol.for('@hpc/unreadable-job-file');

/**
 * A job's own file (its record job.json, its outcome outcome.json) exists but cannot be read. Each
 * package's error for one of its files extends this, so any caller finds the file and the problem
 * with unreadableRecordOf(error), without knowing whose file it is.
 */
export abstract class JobFileUnreadableError extends HpcError {
  readonly [UNREADABLE_JOB_FILE] = true;
  constructor(
    readonly file: string,
    /** What is wrong with the file, without its name. */
    readonly detail: string,
    message: string,
    options: HpcErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The unreadable file and its problem, when `error` is (or extends) a JobFileUnreadableError. */
export function unreadableRecordOf(error: unknown): UnreadableRecord | undefined {
  if (!isHpcError(error) || !(UNREADABLE_JOB_FILE in error)) return undefined;
  const { file, detail } = error as JobFileUnreadableError;
  return { file, message: detail };
}

/**
 * The state of a job whose record or outcome cannot be read: 'unknown', with the file in
 * `unreadable`. Drivers never cache it: once the file is repaired or removed the job is read again.
 */
export function unreadableJobState(
  unreadable: UnreadableRecord,
  reason = `cannot read ${unreadable.file}: ${unreadable.message}`,
  details: JobStateDetails = {},
): JobState {
  return { ...details, status: 'unknown', reason, unreadable };
}

/** The unreadable file a state names, if any. */
export function unreadableFileOf(state: JobState): UnreadableRecord | undefined {
  return state.status === 'unknown' ? state.unreadable : undefined;
}

/**
 * A job cannot be answered for because one of its files cannot be read: from getResult, logs and
 * waitForJob of both drivers. Names the job and the file.
 */
export class JobUnreadableError extends JobFileUnreadableError {
  readonly _tag = 'JobUnreadableError';
  constructor(
    readonly jobId: string,
    unreadable: UnreadableRecord,
    options: HpcErrorOptions = {},
  ) {
    super(
      unreadable.file,
      unreadable.message,
      `cannot read job ${jobId}: ${unreadable.file}: ${unreadable.message} (repair or remove that file)`,
      options,
    );
  }
}
