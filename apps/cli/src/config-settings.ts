import type { RetryPolicy } from '@hpc/core';

/** What a config file's `defaults` or `clusters.<name>` section may set. */
export interface ConfigSettings {
  slurmArgs?: Record<string, string>;
  modules?: string[];
  /** Folders to `module use` before `module load` on the node. */
  modulePaths?: string[];
  env?: Record<string, string>;
  condaEnv?: string;
  checkpointSignalSeconds?: number;
  maxRestarts?: number;
  retry?: RetryPolicy;
  /** Node on the compute nodes, when the login node's is not there. */
  nodePath?: string;
  /** The node-runner the job script starts (a path the nodes see). */
  runnerPath?: string;
}

type Check = (value: unknown) => string | undefined;

const isText: Check = (value) =>
  typeof value === 'string' && value !== '' ? undefined : 'must be a non-empty string';
const isTextList: Check = (value) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '')
    ? undefined
    : 'must be a list of non-empty strings';
const isTextMap: Check = (value) =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((item) => typeof item === 'string')
    ? undefined
    : 'must be an object of strings ({ "mem": "4G" })';
const isWholeNumber: Check = (value) =>
  Number.isSafeInteger(value) && (value as number) >= 0 ? undefined : 'must be a whole number of at least 0';
// The drivers check a retry policy's contents when it is used (checkRetryPolicy); here only its shape.
const isObject: Check = (value) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : 'must be an object';

const SETTINGS: Record<keyof ConfigSettings, Check> = {
  slurmArgs: isTextMap,
  modules: isTextList,
  modulePaths: isTextList,
  env: isTextMap,
  condaEnv: isText,
  checkpointSignalSeconds: isWholeNumber,
  maxRestarts: isWholeNumber,
  retry: isObject,
  nodePath: isText,
  runnerPath: isText,
};

/** The section checked key by key; `problem(path, detail)` makes the error naming the file. */
export function checkConfigSettings(
  value: unknown,
  path: string,
  problem: (path: string, detail: string) => Error,
): ConfigSettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw problem(path, 'must be an object');
  for (const [key, setting] of Object.entries(value)) {
    const check = SETTINGS[key as keyof ConfigSettings];
    if (!check)
      throw problem(`${path}.${key}`, `is not a setting; use one of: ${Object.keys(SETTINGS).join(', ')}`);
    const wrong = check(setting);
    if (wrong) throw problem(`${path}.${key}`, wrong);
  }
  return value as ConfigSettings;
}
