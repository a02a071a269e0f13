import { HpcError, type HpcErrorOptions } from '@hpc/core';

/** Why a value cannot go into a job script or an #SBATCH line. */
export type InvalidSettingProblem =
  | 'unknown-option'
  | 'short-option'
  | 'reserved-option'
  | 'control-character'
  | 'missing-value'
  | 'unexpected-value'
  | 'invalid-name'
  | 'not-a-string';

/**
 * A submit setting (an sbatch option, a module, the conda env, an environment variable, the job
 * name) that cannot be written into a job script safely. Thrown before anything is staged.
 */
export class InvalidJobSettingError extends HpcError {
  readonly _tag = 'InvalidJobSettingError';
  constructor(
    /** Which setting: 'slurmArgs.mem', 'modules[1]', 'condaEnv', 'env.PATH', 'name'. */
    readonly setting: string,
    readonly value: unknown,
    readonly problem: InvalidSettingProblem,
    detail: string,
  ) {
    super(`invalid ${setting} = ${describeValue(value)}: ${detail}`);
  }
}

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
    options: HpcErrorOptions = {},
  ) {
    super(`${command} failed: ${describeUnavailable(command, reason, stderr, durationMs)}`, options);
  }
}

/** sbatch refused the job (bad partition, memory that no node has, malformed time...). Nothing was queued. */
export class SubmissionRefusedError extends HpcError {
  readonly _tag = 'SubmissionRefusedError';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
    readonly script: string,
  ) {
    super(
      `sbatch refused the job (exit ${exitCode}): ${oneLine(stderr) || '(no message)'}; check slurmArgs (the script was ${script})`,
    );
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

function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
