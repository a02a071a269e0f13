import type { FileWriteError } from './file-write-error.ts';
import type {
  InvalidJobSettingError,
  JobFailedError,
  JobNotFinishedError,
  JobNotFoundError,
  WaitTimeoutError,
} from './job-errors.ts';
import type { SubmitDuringImportError } from './module-import-guard.ts';
import type { InternalError, InvalidOptionError } from './option-errors.ts';
import type { JobUnreadableError } from './unreadable-record.ts';

/**
 * The error base every @hpc package throws. The brand is a registered symbol, so `isHpcError`
 * works even when two copies of @hpc/core are loaded (a bundled node-runner plus the user's copy).
 */
const HPC_ERROR = Symbol.for('@hpc/error');

export interface HpcErrorOptions {
  cause?: unknown;
}

/**
 * Every error tag an @hpc package throws, mapped to its class. Each package adds its own tags by
 * declaration merging, next to its error classes:
 *
 * ```ts
 * declare module '@hpc/core' {
 *   interface HpcErrorTags { SchedulerUnavailableError: SchedulerUnavailableError }
 * }
 * ```
 *
 * so `isHpcError(error, 'SchedulerUnavailableError')` narrows to that class, and a misspelt tag
 * does not compile.
 */
export interface HpcErrorTags {
  FileWriteError: FileWriteError;
  Internal: InternalError;
  InvalidJobSettingError: InvalidJobSettingError;
  InvalidOption: InvalidOptionError;
  JobFailedError: JobFailedError;
  JobNotFinishedError: JobNotFinishedError;
  JobNotFoundError: JobNotFoundError;
  JobUnreadableError: JobUnreadableError;
  SubmitDuringImportError: SubmitDuringImportError;
  WaitTimeoutError: WaitTimeoutError;
}

/** A tag some @hpc package throws (the keys of {@link HpcErrorTags}). */
export type HpcErrorTag = keyof HpcErrorTags;

export abstract class HpcError extends Error {
  /** Stable machine-readable tag, one per failure kind (e.g. 'UnknownTypeError'). */
  abstract readonly _tag: string;
  readonly [HPC_ERROR] = true;

  constructor(message: string, options: HpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/**
 * True for any @hpc error, or, given tags, only for those with one of them. The tags are checked
 * at compile time (see {@link HpcErrorTags}) and narrow the error to their classes.
 */
export function isHpcError(error: unknown): error is HpcError;
export function isHpcError<K extends HpcErrorTag>(error: unknown, ...tags: K[]): error is HpcErrorTags[K];
export function isHpcError(error: unknown, ...tags: string[]): boolean {
  if (typeof error !== 'object' || error === null || !(HPC_ERROR in error)) return false;
  return tags.length === 0 || tags.includes((error as HpcError)._tag);
}
