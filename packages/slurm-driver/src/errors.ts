import { HpcError, type HpcErrorOptions, JobFileUnreadableError } from '@hpc/core';

// The setting errors are shared by every driver (@hpc/core): re-exported here, where they were first.
export { InvalidJobSettingError, type InvalidSettingProblem } from '@hpc/core';

/** Why a scheduler command could not be used at all. */
export type UnavailableReason = 'not-installed' | 'unreachable' | 'timeout';

/**
 * SLURM did not answer: its commands are missing, the controller cannot be contacted, or a command
 * ran past its time limit. Retry later; nothing was changed on the cluster by the failed call.
 */
export class SchedulerUnavailableError extends HpcError {
  readonly _tag = 'SchedulerUnavailableError';
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly reason: UnavailableReason,
    readonly stderr: string,
    readonly durationMs: number,
    options: HpcErrorOptions & { note?: string } = {},
  ) {
    super(
      `${command} failed: ${describeUnavailable(command, reason, stderr, durationMs)}${options.note ? `; ${options.note}` : ''}`,
      options,
    );
  }

  /** The same failure with a sentence added (what the driver did about it). */
  withNote(note: string): SchedulerUnavailableError {
    return new SchedulerUnavailableError(this.command, this.args, this.reason, this.stderr, this.durationMs, {
      cause: this,
      note,
    });
  }
}

/**
 * sbatch refused the job (bad partition, memory that no node has, malformed time...). Nothing was
 * queued, and the job folder (with the script, `script`) was removed.
 */
export class SubmissionRefusedError extends HpcError {
  readonly _tag = 'SubmissionRefusedError';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
    readonly script: string,
  ) {
    super(
      `sbatch refused the job (exit ${exitCode}): ${oneLine(stderr) || '(no message)'}; check slurmArgs (nothing was queued; the job folder was removed)`,
    );
  }
}

/**
 * The process was interrupted (SIGINT, SIGTERM, SIGHUP) while a job was being prepared, before
 * sbatch was called: its job folder was removed and nothing was queued.
 */
export class SubmissionInterruptedError extends HpcError {
  readonly _tag = 'SubmissionInterruptedError';
  constructor(
    readonly signal: string,
    readonly jobDir: string,
  ) {
    super(
      `the submission was interrupted by ${signal} before sbatch ran; nothing was queued and ${jobDir} was removed`,
    );
  }
}

/** Why the job index cannot be used as it is. */
export type JobStoreProblem = 'corrupt' | 'newer-schema' | 'unsafe-folder' | 'unwritable';

/**
 * The SLURM driver's job index (a per-host SQLite cache of the job folders) cannot be used. The
 * job folders are the record; the index is rebuilt from them when it is missing or corrupt, so
 * this error is met only when that is impossible. `file` names the index, `jobsRoot` the folders.
 */
export class JobStoreError extends HpcError {
  readonly _tag = 'JobStoreError';
  /** What to do about it (the end of the message). */
  readonly remedy: string;
  constructor(
    readonly file: string,
    readonly problem: JobStoreProblem,
    /** What is wrong, without the remedy: SQLite's words for a corrupt file, the owner of an unsafe folder. */
    readonly detail: string,
    readonly jobsRoot: string,
    options: HpcErrorOptions = {},
  ) {
    super(
      `the job index ${file} cannot be used: ${detail}; ${storeRemedy(problem, file, jobsRoot)}`,
      options,
    );
    this.remedy = storeRemedy(problem, file, jobsRoot);
  }
}

function storeRemedy(problem: JobStoreProblem, file: string, jobsRoot: string): string {
  return problem === 'unsafe-folder'
    ? 'remove that folder, or set TMPDIR (or SLURMDriverOptions.storePath) to keep the index in a folder of your own'
    : `remove ${file} (with its -wal and -shm files): the driver rebuilds it from the job folders under ${jobsRoot}`;
}

/** A job folder's job.json that cannot be read or is not a job record (truncated, edited, foreign). */
export class JobRecordError extends JobFileUnreadableError {
  readonly _tag = 'JobRecordError';
  constructor(file: string, detail: string, options: HpcErrorOptions = {}) {
    super(file, detail, `cannot read the job record ${file}: ${detail}`, options);
  }
}

/** A scheduler command failed in a way that is neither unavailability nor a refused submission. */
export class SchedulerCommandError extends HpcError {
  readonly _tag = 'SchedulerCommandError';
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(
      `${command} ${args.join(' ').slice(0, 200)} exited ${exitCode}: ${oneLine(stderr) || '(no message)'}`,
    );
  }
}

function describeUnavailable(
  command: string,
  reason: UnavailableReason,
  stderr: string,
  durationMs: number,
): string {
  switch (reason) {
    case 'not-installed':
      return `'${command}' is not on PATH; install SLURM's client commands or use the local driver`;
    case 'timeout':
      return `no answer within ${durationMs} ms; the SLURM controller may be overloaded or down (check 'scontrol ping')`;
    default:
      return `${oneLine(stderr)} (after ${durationMs} ms); is slurmctld running? check 'scontrol ping' and retry`;
  }
}

function oneLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    JobRecordError: JobRecordError;
    JobStoreError: JobStoreError;
    SchedulerCommandError: SchedulerCommandError;
    SchedulerUnavailableError: SchedulerUnavailableError;
    SubmissionInterruptedError: SubmissionInterruptedError;
    SubmissionRefusedError: SubmissionRefusedError;
  }
}
