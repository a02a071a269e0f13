import { resolve } from 'node:path';
import { describeUnsafeCharacter, findUnsafeCharacter, type SubmitOptions } from '@hpc/core';
import type { CliConfig } from './cli-config.ts';
import { UsageError } from './cli-errors.ts';
import type { DriverPaths } from './driver-select.ts';
import { longJobOptions } from './long-job-options.ts';
import { shown } from './output-safety.ts';
import { keyValueOption, listOption, type OptionValues, stringOption } from './parse-command-line.ts';
import { resourcesOption } from './resources-option.ts';
import { toNodeImport } from './user-module.ts';

/**
 * Options whose text reaches the job (its name, script, environment, module lines, imports) or
 * picks what runs. The drivers refuse control and bidi/format characters in them too; refusing
 * them here, before the module is even imported, names the flag the user typed.
 */
const PLAIN_TEXT_OPTIONS = [
  'name',
  'export',
  'module',
  'module-path',
  'node-path',
  'runner-path',
  'conda-env',
  'slurm-arg',
  'env',
  'import',
  'after',
  'after-any',
  'after-not-ok',
] as const;

/** SLURM's --signal takes at most this many seconds (sbatch(1): 0 to 65535). */
const MAX_CHECKPOINT_LEAD_SECONDS = 65_535;

/**
 * Where the job finds Node and the runner: --node-path/--runner-path, else the config file's
 * nodePath/runnerPath (paths as the compute nodes see them).
 */
export function driverPaths(values: OptionValues, config: CliConfig, cwd: string): DriverPaths {
  const nodePath = stringOption(values, 'node-path') ?? config.settings.nodePath;
  const runnerPath = stringOption(values, 'runner-path') ?? config.settings.runnerPath;
  return {
    ...(nodePath ? { nodePath: resolve(cwd, nodePath) } : {}),
    ...(runnerPath ? { runnerPath: resolve(cwd, runnerPath) } : {}),
  };
}

/** The SubmitOptions of `hpc submit`'s flags; every value is checked before anything is submitted. */
export function submitOptions(values: OptionValues, cwd: string): SubmitOptions {
  refuseUnsafeCharacters(values);
  const options: SubmitOptions = {};
  const name = stringOption(values, 'name');
  if (name !== undefined) options.name = name;
  const imports = listOption(values, 'import').map((specifier) => toNodeImport(specifier, cwd));
  if (imports.length) options.imports = imports;
  const slurmArgs = keyValueOption(values, 'slurm-arg', 'submit');
  if (Object.keys(slurmArgs).length) options.slurmArgs = slurmArgs;
  const env = keyValueOption(values, 'env', 'submit');
  if (Object.keys(env).length) options.env = env;
  const modules = listOption(values, 'module');
  if (modules.length) options.modules = modules;
  const modulePaths = listOption(values, 'module-path').map((dir) => resolve(cwd, dir));
  if (modulePaths.length) (options as { modulePaths?: string[] }).modulePaths = modulePaths;
  const condaEnv = stringOption(values, 'conda-env');
  if (condaEnv !== undefined) options.condaEnv = condaEnv;
  const lead = checkpointLead(values);
  if (lead !== undefined) options.checkpointSignalSeconds = lead;
  const resources = resourcesOption(values);
  if (resources !== undefined) options.resources = resources;
  return { ...options, ...longJobOptions(values) };
}

function refuseUnsafeCharacters(values: OptionValues): void {
  for (const option of PLAIN_TEXT_OPTIONS) {
    for (const value of listOption(values, option)) {
      const found = findUnsafeCharacter(value);
      if (found)
        throw new UsageError(
          `--${option} '${shown(value)}' contains ${describeUnsafeCharacter(found)}: names and settings passed to a job must be plain text`,
          'submit',
        );
    }
  }
}

/**
 * --checkpoint-lead <seconds>: how long before the time limit a Process with checkpoint() is
 * warned; 0 turns the warning off. The drivers cap it (checkpointLeadSeconds in @hpc/core).
 */
function checkpointLead(values: OptionValues): number | undefined {
  const text = stringOption(values, 'checkpoint-lead');
  if (text === undefined) return undefined;
  const seconds = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds > MAX_CHECKPOINT_LEAD_SECONDS)
    throw new UsageError(
      `--checkpoint-lead expects whole seconds from 0 (no warning) to ${MAX_CHECKPOINT_LEAD_SECONDS}, got '${text}'`,
      'submit',
    );
  return seconds;
}
