import { HpcError, type HpcErrorOptions } from '@hpc/core';

/** The command line is wrong. Exit code 2; the message is one line that names the offending value. */
export class UsageError extends HpcError {
  readonly _tag = 'UsageError';
  constructor(
    message: string,
    /** The command whose --help explains the right usage ('' for hpc itself). */
    readonly command: string,
  ) {
    super(message);
  }
}

/** The user's module (hpc submit my-process.ts) is missing, failed to import, or holds no usable Process. */
export class UserModuleError extends HpcError {
  readonly _tag = 'UserModuleError';
  constructor(
    message: string,
    readonly file: string,
    options: HpcErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** A file given to a command (hpc inspect, hpc submit --crate) does not exist or cannot be read. */
export class InputFileError extends HpcError {
  readonly _tag = 'InputFileError';
  constructor(
    message: string,
    readonly file: string,
    options: HpcErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The local driver did not record the job's runner process as started in time. */
export class JobStartError extends HpcError {
  readonly _tag = 'JobStartError';
  constructor(
    readonly jobId: string,
    readonly waitedMs: number,
  ) {
    super(
      `job ${jobId} was queued but its runner did not start within ${waitedMs} ms; check 'hpc logs ${jobId} --stderr'`,
    );
  }
}

/** `hpc result` on a job that has not finished. */
export class ResultNotReadyError extends HpcError {
  readonly _tag = 'ResultNotReadyError';
  constructor(
    readonly jobId: string,
    readonly stateText: string,
    options: HpcErrorOptions = {},
  ) {
    super(
      `job ${jobId} has no result yet: it is ${stateText} (wait for it with: hpc result ${jobId} --wait)`,
      options,
    );
  }
}

/** The result holds an instance of a class this CLI process has not registered. */
export class ResultTypeError extends HpcError {
  readonly _tag = 'ResultTypeError';
  constructor(
    readonly jobId: string,
    detail: string,
    options: HpcErrorOptions = {},
  ) {
    super(
      `cannot read the result of job ${jobId}: ${detail}; pass the module that registers the class: hpc result ${jobId} --import ./my-types.ts`,
      options,
    );
  }
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    InputFileError: InputFileError;
    JobStartError: JobStartError;
    ResultNotReadyError: ResultNotReadyError;
    ResultTypeError: ResultTypeError;
    UsageError: UsageError;
    UserModuleError: UserModuleError;
  }
}
