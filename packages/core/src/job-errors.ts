import { HpcError } from './errors.ts';
import { diagnoseFailure, type RequestedResources } from './failure-diagnosis.ts';
import type { JobState } from './job-state.ts';
import { describeJobState } from './job-state.ts';
import type { JobAttempt } from './long-jobs.ts';
import { formatRemoteError, type RemoteError } from './remote-error.ts';
import { escapeUnsafeText } from './safe-text.ts';

export class JobNotFoundError extends HpcError {
  readonly _tag = 'JobNotFoundError';
  constructor(
    readonly jobId: string,
    readonly driver: string,
  ) {
    super(`job ${jobId} is not tracked by the ${driver} driver (see 'hpc status' for known jobs)`);
  }
}

export interface JobFailedDetails {
  jobId: string;
  state: JobState;
  remote?: RemoteError;
  exitCode?: number;
  stderrTail?: string;
  /** What the job asked for (memory, time, CPUs), for the diagnosis. */
  requested?: RequestedResources;
  /** Peak memory used, when measured. */
  peakMemoryBytes?: number;
}

/** A job ended without a result. Carries the remote error (with its stack) and the scheduler's view. */
export class JobFailedError extends HpcError {
  readonly _tag = 'JobFailedError';
  readonly jobId: string;
  readonly state: JobState;
  readonly remote: RemoteError | undefined;
  readonly exitCode: number | undefined;
  readonly stderrTail: string | undefined;
  /** One readable paragraph on why (diagnoseFailure): what ended it, where, against what limit, what to change. */
  readonly diagnosis: string;

  constructor(details: JobFailedDetails) {
    const why = details.remote
      ? `${details.remote.name}: ${details.remote.message}`
      : describeJobState(details.state);
    super(`job ${details.jobId} ${describeJobState(details.state)}: ${why}`);
    this.jobId = details.jobId;
    this.state = details.state;
    this.remote = details.remote;
    this.exitCode = details.exitCode;
    this.stderrTail = details.stderrTail;
    this.diagnosis = diagnoseFailure(details);
    this.stack = `${this.stack}\n--- diagnosis ---\n${this.diagnosis}`;
    if (details.remote)
      this.stack = `${this.stack}\n--- remote error ---\n${formatRemoteError(details.remote)}`;
    if (details.stderrTail) this.stack = `${this.stack}\n--- stderr (tail) ---\n${details.stderrTail}`;
  }

  /** Every attempt behind the job's id, oldest first (empty when it ran once). */
  get attempts(): readonly JobAttempt[] {
    return this.state.attempts ?? [];
  }
}

export class JobNotFinishedError extends HpcError {
  readonly _tag = 'JobNotFinishedError';
  constructor(
    readonly jobId: string,
    readonly state: JobState,
  ) {
    super(`job ${jobId} has no result yet: it is ${describeJobState(state)} (use waitForJob first)`);
  }
}

export class WaitTimeoutError extends HpcError {
  readonly _tag = 'WaitTimeoutError';
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
    readonly lastState: JobState,
  ) {
    super(
      `gave up waiting for job ${jobId} after ${timeoutMs} ms; last state: ${describeJobState(lastState)}`,
    );
  }
}

/** Why a submit setting was refused. */
export type InvalidSettingProblem =
  | 'unknown-option'
  | 'short-option'
  | 'reserved-option'
  | 'control-character'
  /** Bidi overrides (U+202E), zero-width and other invisible characters: they hide what is shown. */
  | 'format-character'
  | 'missing-value'
  | 'unexpected-value'
  | 'invalid-name'
  | 'invalid-value'
  | 'not-a-string'
  /** A dependency on a job the driver does not track. */
  | 'unknown-job'
  /** Dependencies that can never be satisfied together (a cycle, or one job in contradicting lists). */
  | 'dependency-cycle';

/**
 * A submit setting (the job name, an import, an environment variable, the time limit, an sbatch
 * option...) that cannot be used safely. Thrown before anything of the job exists on disk.
 */
export class InvalidJobSettingError extends HpcError {
  readonly _tag = 'InvalidJobSettingError';
  constructor(
    /** Which setting: 'name', 'env.PATH', 'imports[1]', 'slurmArgs.time', 'checkpointSignalSeconds'. */
    readonly setting: string,
    readonly value: unknown,
    readonly problem: InvalidSettingProblem,
    detail: string,
  ) {
    super(`invalid ${escapeUnsafeText(setting)} = ${describeSettingValue(value)}: ${detail}`);
  }
}

/** The refused value as the message shows it: quoted, its unsafe characters escaped, cut at 120. */
function describeSettingValue(value: unknown): string {
  const text = escapeUnsafeText(typeof value === 'string' ? JSON.stringify(value) : String(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
