import {
  DEFAULT_MAX_RESTARTS,
  describeUnsafeCharacter,
  findUnsafeCharacter,
  InvalidJobSettingError,
  isHpcError,
  parseSlurmTimeMs,
  refuseSubmitDuringImport,
  type SubmitOptions,
} from '@hpc/core';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** sbatch's --signal takes at most this many seconds. */
const MAX_CHECKPOINT_SIGNAL_SECONDS = 65_535;

/** What validateSubmitOptions read out of the settings. */
export interface CheckedSubmitOptions {
  /** The time limit (slurmArgs.time) in ms; undefined without one (SLURM's 0 and UNLIMITED too). */
  timeLimitMs: number | undefined;
  /** How often a Process with checkpoint() is restarted (maxRestarts, default DEFAULT_MAX_RESTARTS). */
  maxRestarts: number;
}
/** The most restarts a job may ask for. */
const MAX_RESTARTS_LIMIT = 1_000;

/**
 * Checks the settings every driver reads — name, imports, env, modules, conda env, slurmArgs
 * text, the time limit and the checkpoint lead — before anything of the job exists, and throws an
 * InvalidJobSettingError naming the first bad one. Drivers add their own checks (sbatch options).
 */
export function validateSubmitOptions(options: SubmitOptions): CheckedSubmitOptions {
  // First: a job module that submits while the node-runner imports it is refused before any folder exists.
  refuseSubmitDuringImport();
  if (options.name !== undefined) checkSettingText('name', options.name);
  if (options.jobsRoot !== undefined) checkSettingText('jobsRoot', options.jobsRoot, true);
  if (options.condaEnv !== undefined) checkSettingText('condaEnv', options.condaEnv, true);
  checkList('imports', options.imports);
  checkList('modules', options.modules);
  for (const [key, value] of Object.entries(options.env ?? {})) checkEnv(key, value);
  for (const [key, value] of Object.entries(options.slurmArgs ?? {})) {
    if (key === 'array')
      throw new InvalidJobSettingError(
        'slurmArgs.array',
        value,
        'reserved-option',
        'job arrays are made by submitJobs(processes, { parallelism, processesPerTask }): it gives every process its own folder, outcome and id (with one job and --array they would overwrite each other); in the CLI, hpc submit --each',
      );
    checkSettingText(`slurmArgs.${key}`, key);
    if (typeof value === 'string') checkSettingText(`slurmArgs.${key}`, value);
  }
  checkCheckpointSeconds(options.checkpointSignalSeconds);
  const maxRestarts = options.maxRestarts ?? DEFAULT_MAX_RESTARTS;
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0 || maxRestarts > MAX_RESTARTS_LIMIT)
    throw new InvalidJobSettingError(
      'maxRestarts',
      maxRestarts,
      'invalid-value',
      `use a whole number of restarts from 0 (never restart) to ${MAX_RESTARTS_LIMIT}`,
    );
  return { timeLimitMs: timeLimitOf(options.slurmArgs?.time), maxRestarts };
}

/**
 * Batches are restarted from a checkpoint only where each task holds one process (a SLURM array
 * task is requeued on its own); anywhere else asking for restarts is refused rather than ignored
 * (checkpointing processes there end 'timeout' at the warning, as without restarts).
 * `processesPerTask` undefined: this driver restarts no batch at all.
 */
export function refuseBatchRestarts(
  options: Pick<SubmitOptions, 'maxRestarts'>,
  processesPerTask?: number,
): void {
  if (options.maxRestarts === undefined || options.maxRestarts === 0 || processesPerTask === 1) return;
  const where =
    processesPerTask === undefined
      ? 'this driver does not restart batches'
      : `a task of ${processesPerTask} processes is not restarted (use processesPerTask 1)`;
  throw new InvalidJobSettingError(
    'maxRestarts',
    options.maxRestarts,
    'invalid-value',
    `restarts from a checkpoint are for submitJob() and batches of one process per task: ${where}; leave maxRestarts out or use 0`,
  );
}

/**
 * A text setting as it may be used: a string without control, bidi or other invisible format
 * characters (they would change what a terminal shows or a script runs). Returns the text.
 */
export function checkSettingText(setting: string, value: unknown, nonEmpty = false): string {
  if (typeof value !== 'string')
    throw new InvalidJobSettingError(setting, value, 'not-a-string', 'expected a string');
  if (nonEmpty && value === '')
    throw new InvalidJobSettingError(setting, value, 'missing-value', 'cannot be empty');
  const unsafe = findUnsafeCharacter(value);
  if (unsafe) {
    throw new InvalidJobSettingError(
      setting,
      value,
      unsafe.kind === 'control' ? 'control-character' : 'format-character',
      `it contains ${describeUnsafeCharacter(unsafe)}; remove it`,
    );
  }
  return value;
}

function checkList(setting: string, values: unknown): void {
  if (values === undefined) return;
  if (!Array.isArray(values))
    throw new InvalidJobSettingError(setting, values, 'not-a-string', 'expected a list of strings');
  values.forEach((value, i) => {
    checkSettingText(`${setting}[${i}]`, value, true);
  });
}

function checkEnv(key: string, value: unknown): void {
  const setting = `env.${key}`;
  if (!ENV_NAME.test(key)) {
    throw new InvalidJobSettingError(
      setting,
      value,
      'invalid-name',
      'environment variable names are letters, digits and _, not starting with a digit',
    );
  }
  if (typeof value !== 'string')
    throw new InvalidJobSettingError(setting, value, 'not-a-string', 'environment values must be strings');
  if (value.includes('\0'))
    throw new InvalidJobSettingError(
      setting,
      value,
      'control-character',
      'environment values cannot contain NUL',
    );
}

function checkCheckpointSeconds(seconds: unknown): void {
  if (seconds === undefined) return;
  if (
    !Number.isInteger(seconds) ||
    (seconds as number) < 0 ||
    (seconds as number) > MAX_CHECKPOINT_SIGNAL_SECONDS
  ) {
    throw new InvalidJobSettingError(
      'checkpointSignalSeconds',
      seconds,
      'invalid-value',
      `use a whole number of seconds from 0 to ${MAX_CHECKPOINT_SIGNAL_SECONDS} (0 turns the warning off)`,
    );
  }
}

/** SLURM reads a time limit of 0 as "no limit" (sbatch(1)), as it does UNLIMITED. */
function timeLimitOf(time: unknown): number | undefined {
  if (time === undefined) return undefined;
  const text = checkSettingText('slurmArgs.time', time, true);
  let ms: number | undefined;
  try {
    ms = parseSlurmTimeMs(text);
  } catch (error) {
    throw new InvalidJobSettingError('slurmArgs.time', time, 'invalid-value', timeLimitProblem(error));
  }
  return ms === 0 ? undefined : ms;
}

/** What was wrong with a time limit parseSlurmTimeMs refused, for the setting's message. */
function timeLimitProblem(error: unknown): string {
  if (isHpcError(error, 'InvalidOption')) return error.remedy;
  throw error;
}
