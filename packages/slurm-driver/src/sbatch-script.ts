import { join } from 'node:path';
import { checkSettingText, JOB_FILES } from '@hpc/container';
import { checkpointLeadSeconds, isHpcError, parseSlurmTimeMs } from '@hpc/core';
import { InvalidJobSettingError } from './errors.ts';
import { slurmFilenamePattern } from './filename-pattern.ts';
import { type SbatchDirective, type SlurmArgs, validateSlurmArgs } from './sbatch-options.ts';
import { checkWord, refuseUnsafeCharacters } from './setting-checks.ts';
import { sbatchDirectiveQuote, shellQuote } from './shell-quote.ts';

/** Files the SLURM driver adds to a job folder. */
export const SLURM_JOB_FILES = {
  /** The rendered batch script that was submitted. */
  script: 'job.sbatch',
  /** sbatch --output / --error: the whole job's stdout / stderr, as the scheduler captured them. */
  stdout: JOB_FILES.schedulerStdout,
  stderr: JOB_FILES.schedulerStderr,
} as const;

/** Where Lmod's shell setup usually lives; the first readable one is sourced when `module` is missing. */
export const DEFAULT_LMOD_INIT = [
  '/etc/profile.d/lmod.sh',
  '/usr/share/lmod/lmod/init/bash',
  '/etc/profile.d/modules.sh',
];

/** Exit status of a job whose script failed before the node-runner started (module, conda). */
export const SETUP_FAILED_EXIT_CODE = 3;

export interface SbatchScriptSpec {
  /** Job name (sbatch --job-name); `slurmArgs['job-name']` wins when given. */
  name: string;
  /** The job folder: job.out / job.err go there. Absolute path. */
  jobDir: string;
  /** The command the job runs, as file + argument array (from @hpc/node-runner's runnerCommand). */
  command: { file: string; args: readonly string[] };
  slurmArgs?: SlurmArgs;
  /** Environment modules to `module load`, in order. */
  modules?: readonly string[];
  /** Folders to `module use` before loading (modulefiles outside the default MODULEPATH). */
  modulePaths?: readonly string[];
  /** Files tried, in order, to define `module` when the batch shell lacks it. */
  lmodInit?: readonly string[];
  /** A conda environment (name or prefix path) to activate. */
  condaEnv?: string;
  /** The conda executable (default 'conda', found on PATH). */
  condaExecutable?: string;
  /** Environment variables exported before the command runs. */
  env?: Readonly<Record<string, string>>;
  /**
   * Seconds before the time limit at which the batch shell receives SIGUSR1 (the node-runner turns it
   * into a checkpoint). Default 120, 0 disables it; capped by `checkpointLeadSeconds` (@hpc/core) so
   * that SLURM's early delivery (up to a minute) never comes before half of `slurmArgs.time`.
   */
  checkpointSignalSeconds?: number;
  /**
   * The submission's token: sent as `--comment=hpc:<token>` (after the user's own comment, if any)
   * so that a job whose sbatch never answered can be found in the queue (submission-lookup.ts).
   */
  submissionToken?: string;
  /**
   * A batch (submitJobs): each array task's stdout / stderr go to `<jobDir>/<taskLogs>/%A_%a.out`
   * / `.err` instead of job.out / job.err, and the script's arguments (the slice's task offset,
   * `sbatch job.sh <offset>`; a retry of one process adds `--process <index>`) end the command (`"$@"`).
   */
  batch?: { taskLogs: string };
  /**
   * true: the job may be restarted from its checkpoint: `--requeue` (unless slurmArgs say
   * otherwise), so `scontrol requeue` and a preemption bring it back under its id. 'never':
   * `--no-requeue`, so a node failure ends the job for the retry policy (requeue-choice.ts).
   */
  requeue?: boolean | 'never';
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A job script's settings after validateJobScript: every value checked, ready to render. */
export interface CheckedJobScript {
  readonly jobDir: string;
  readonly command: { readonly file: string; readonly args: readonly string[] };
  /** The `#SBATCH` lines, in order: name, output/error patterns, signal, then the user's options. */
  readonly header: readonly (readonly [string, string | undefined])[];
  readonly modules: readonly string[];
  readonly modulePaths: readonly string[];
  readonly lmodInit: readonly string[];
  readonly condaEnv: string | undefined;
  readonly conda: string;
  readonly env: readonly (readonly [string, string])[];
  /** The command ends with the script's arguments (a batch's task offset; a retry adds `--process <i>`). */
  readonly scriptArgument: boolean;
}

/**
 * Checks every setting a job script holds, before anything is written: values with control or
 * bidi/format characters, bad names, a time limit SLURM would not read, paths SLURM would read as
 * other filename patterns. Throws an InvalidJobSettingError naming the setting; returns what
 * renderJobScript needs.
 */
export function validateJobScript(spec: SbatchScriptSpec): CheckedJobScript {
  const directives = validateSlurmArgs(spec.slurmArgs);
  checkSettingText('name', spec.name);
  checkSettingText('jobDir', spec.jobDir);
  const modules = (spec.modules ?? []).map((module, i) => checkWord(`modules[${i}]`, module));
  const modulePaths = (spec.modulePaths ?? []).map((path, i) =>
    checkSettingText(`modulePaths[${i}]`, path, true),
  );
  const lmodInit = (spec.lmodInit ?? DEFAULT_LMOD_INIT).map((path, i) =>
    checkSettingText(`lmodInit[${i}]`, path, true),
  );
  const condaEnv = spec.condaEnv === undefined ? undefined : checkWord('condaEnv', spec.condaEnv);
  const conda = checkSettingText('condaExecutable', spec.condaExecutable ?? 'conda', true);
  const env = Object.entries(spec.env ?? {}).map(([key, value]) => checkEnv(key, value));
  checkSettingText('command.file', spec.command.file, true);
  for (const [i, arg] of spec.command.args.entries()) checkSettingText(`command.args[${i}]`, arg);
  const signalSeconds = checkpointLead(spec.checkpointSignalSeconds, directives);

  const header: [string, string | undefined][] = [];
  if (!directives.some((d) => d.key === 'job-name')) header.push(['job-name', spec.name]);
  // One capture per array task in a batch (%A_%a: the array's id and the task's index).
  const taskLogs =
    spec.batch && `${slurmFilenamePattern('jobDir', join(spec.jobDir, spec.batch.taskLogs))}/%A_%a`;
  header.push(
    [
      'output',
      taskLogs
        ? `${taskLogs}.out`
        : slurmFilenamePattern('jobDir', join(spec.jobDir, SLURM_JOB_FILES.stdout)),
    ],
    [
      'error',
      taskLogs
        ? `${taskLogs}.err`
        : slurmFilenamePattern('jobDir', join(spec.jobDir, SLURM_JOB_FILES.stderr)),
    ],
  );
  if (signalSeconds > 0 && !directives.some((d) => d.key === 'signal'))
    header.push(['signal', `B:USR1@${signalSeconds}`]);
  const has = (...keys: string[]) => directives.some((d) => keys.includes(d.key));
  if (spec.requeue && !has('requeue', 'no-requeue'))
    header.push([spec.requeue === 'never' ? 'no-requeue' : 'requeue', undefined]);
  // A requeued job (restart, NODE_FAIL) writes to the same job.out / job.err: append, keep every run's output.
  if (!has('open-mode')) header.push(['open-mode', 'append']);
  for (const { key, value } of withSubmissionToken(directives, spec.submissionToken))
    header.push([key, value]);
  const command = { file: spec.command.file, args: spec.command.args };
  const scriptArgument = spec.batch !== undefined;
  return {
    jobDir: spec.jobDir,
    command,
    header,
    modules,
    modulePaths,
    lmodInit,
    condaEnv,
    conda,
    env,
    scriptArgument,
  };
}

/**
 * Renders the batch script for one job: validateJobScript, then renderJobScript. Pure: same input,
 * same text. Every value is quoted — `#SBATCH` values for sbatch's directive parser, everything else
 * with shellQuote; paths SLURM reads as filename patterns are escaped (filename-pattern.ts) — and
 * values with control or bidi/format characters are refused with an InvalidJobSettingError naming
 * the setting.
 */
export function renderSbatchScript(spec: SbatchScriptSpec): string {
  return renderJobScript(validateJobScript(spec));
}

/** The script text of checked settings. Pure, and throws nothing: validateJobScript did the checks. */
export function renderJobScript(script: CheckedJobScript): string {
  const { modules, modulePaths, lmodInit, condaEnv, conda } = script;
  const lines = ['#!/bin/bash'];
  for (const [key, value] of script.header)
    lines.push(value === undefined ? `#SBATCH --${key}` : `#SBATCH --${key}=${sbatchDirectiveQuote(value)}`);
  lines.push(
    '# Generated by @hpc/slurm-driver. Every value below is quoted; edit the submit options, not this file.',
    `hpc_setup_failed() { printf '[hpc] job setup failed: %s\\n' "$1" >&2; exit ${SETUP_FAILED_EXIT_CODE}; }`,
  );
  if (modules.length > 0 || modulePaths.length > 0) {
    lines.push(
      '# Environment modules. Lmod init reads unset variables, so it runs before `set -u`.',
      'if ! type module >/dev/null 2>&1; then',
      `  for hpc_lmod_init in ${lmodInit.map(shellQuote).join(' ')}; do`,
      '    if [ -r "$hpc_lmod_init" ]; then source "$hpc_lmod_init"; break; fi',
      '  done',
      'fi',
      `type module >/dev/null 2>&1 || hpc_setup_failed ${shellQuote(`no 'module' command: none of ${lmodInit.join(', ')} defines it (set lmodInit)`)}`,
    );
    for (const path of modulePaths)
      lines.push(`module use ${shellQuote(path)} || hpc_setup_failed ${shellQuote(`module use ${path}`)}`);
    for (const module of modules)
      lines.push(
        `module load ${shellQuote(module)} || hpc_setup_failed ${shellQuote(`module load ${module}`)}`,
      );
  }
  if (condaEnv !== undefined) {
    lines.push(
      '# Conda: the shell hook defines `conda activate` in this non-interactive shell.',
      `hpc_conda_hook="$(${shellQuote(conda)} shell.bash hook)" || hpc_setup_failed ${shellQuote(`${conda} shell.bash hook`)}`,
      'eval "$hpc_conda_hook" || hpc_setup_failed \'conda shell hook\'',
      `conda activate ${shellQuote(condaEnv)} || hpc_setup_failed ${shellQuote(`conda activate ${condaEnv}`)}`,
    );
  }
  lines.push('set -u');
  lines.push(`export HPC_JOB_DIR=${shellQuote(script.jobDir)}`);
  for (const [key, value] of script.env) lines.push(`export ${key}=${shellQuote(value)}`);
  lines.push(
    '# The node-runner replaces this shell, so SIGUSR1 (checkpoint) and SIGTERM reach it directly.',
    `exec ${[script.command.file, ...script.command.args].map(shellQuote).join(' ')}${script.scriptArgument ? ' "$@"' : ''}`,
    '',
  );
  return lines.join('\n');
}

/** One environment variable, checked: a shell name, a string value without unsafe characters. */
function checkEnv(key: string, value: unknown): readonly [string, string] {
  if (!ENV_NAME.test(key)) {
    throw new InvalidJobSettingError(
      `env.${key}`,
      value,
      'invalid-name',
      'environment variable names are letters, digits and _, not starting with a digit',
    );
  }
  if (typeof value !== 'string')
    throw new InvalidJobSettingError(
      `env.${key}`,
      value,
      'not-a-string',
      'environment values must be strings',
    );
  // Values are data: newlines and tabs are kept (shellQuote carries them), nothing else unsafe.
  refuseUnsafeCharacters(`env.${key}`, value, value, { keepLayout: true });
  return [key, value];
}

/**
 * The checkpoint warning's lead for this job: the requested one (default 120 s), capped by the
 * time limit (`checkpointLeadSeconds`); 0 means no `--signal` line. Without `time` the partition's
 * default limit applies, which the script cannot know: the requested lead is used as it is.
 */
function checkpointLead(requested: number | undefined, directives: readonly SbatchDirective[]): number {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 0 || requested > 65535)) {
    throw new InvalidJobSettingError(
      'checkpointSignalSeconds',
      requested,
      'invalid-value',
      'use a whole number of seconds from 0 to 65535',
    );
  }
  const time = directives.find((d) => d.key === 'time')?.value;
  let limitMs: number | undefined;
  try {
    limitMs = time === undefined ? undefined : parseSlurmTimeMs(time);
  } catch (error) {
    throw new InvalidJobSettingError('slurmArgs.time', time, 'invalid-value', timeLimitProblem(error));
  }
  // SLURM reads a limit of 0 as "no limit", like UNLIMITED (sbatch(1)).
  return checkpointLeadSeconds(limitMs ? limitMs / 1000 : undefined, requested);
}

/** The directives with `hpc:<token>` in the comment (appended to the user's own comment). */
function withSubmissionToken(
  directives: readonly SbatchDirective[],
  token: string | undefined,
): readonly SbatchDirective[] {
  if (token === undefined) return directives;
  if (!/^[0-9a-f]{16,64}$/.test(token))
    throw new InvalidJobSettingError('submissionToken', token, 'invalid-value', 'expected lower-case hex');
  const mark = `hpc:${token}`;
  const own = directives.find((d) => d.key === 'comment');
  if (!own) return [...directives, { key: 'comment', value: mark }];
  return directives.map((d) => (d === own ? { key: 'comment', value: `${own.value} ${mark}` } : d));
}

/** What was wrong with a time limit parseSlurmTimeMs refused, for the setting's message. */
function timeLimitProblem(error: unknown): string {
  if (isHpcError(error, 'InvalidOption')) return error.remedy;
  throw error;
}
