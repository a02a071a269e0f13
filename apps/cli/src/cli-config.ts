import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HpcError, type HpcErrorOptions, hpcHome, type SubmitOptions } from '@hpc/core';
import { type ConfigSettings, checkConfigSettings } from './config-settings.ts';

/** A config file that cannot be used: names the file and the key, says what to change. */
export class ConfigFileError extends HpcError {
  readonly _tag = 'ConfigFileError';
  constructor(
    readonly file: string,
    detail: string,
    options: HpcErrorOptions = {},
  ) {
    super(`config file ${file}: ${detail}`, options);
  }
}

declare module '@hpc/core' {
  interface HpcErrorTags {
    ConfigFileError: ConfigFileError;
  }
}

/** The project file, found in the working folder or the nearest folder above it (like .npmrc). */
export const PROJECT_CONFIG_NAME = '.hpc.json';
/** Config files are a few lines; a bigger one is not a config file. */
const MAX_CONFIG_BYTES = 256 * 1024;

/** What the config files say, merged: user file first, then the project's; command-line flags win over both. */
export interface CliConfig {
  /** The files read, in the order they apply. */
  files: string[];
  /** The cluster whose `clusters.<name>` section applied (ClusterName of slurm.conf), if any. */
  cluster?: string;
  settings: ConfigSettings;
}

/**
 * Reads the user's config ($HPC_CONFIG, or <hpc home>/config.json) and the project's
 * (.hpc.json here or above). Each holds `defaults` (for every cluster) and `clusters.<ClusterName>`
 * (for one), each with the same settings: default submit options (slurmArgs, modules, modulePaths,
 * env, condaEnv, checkpointSignalSeconds, maxRestarts, retry) and where the job script finds Node
 * and the runner on the nodes (nodePath, runnerPath). JSON only: reading it never runs code.
 */
export function loadCliConfig(env: NodeJS.ProcessEnv, cwd: string): CliConfig {
  const cluster = clusterName(env);
  const files = [env.HPC_CONFIG ? resolve(cwd, env.HPC_CONFIG) : join(hpcHome(env), 'config.json')];
  const project = findUp(cwd, PROJECT_CONFIG_NAME);
  if (project && project !== files[0]) files.push(project);
  const config: CliConfig = { files: [], settings: {}, ...(cluster ? { cluster } : {}) };
  for (const file of files) {
    const parsed = readConfigFile(file);
    if (!parsed) continue;
    config.files.push(file);
    config.settings = mergeSettings(config.settings, parsed.defaults ?? {});
    const section = cluster ? parsed.clusters?.[cluster] : undefined;
    if (section) config.settings = mergeSettings(config.settings, section);
  }
  return config;
}

/** Later settings win; slurmArgs and env are merged by key, lists are replaced. */
export function mergeSettings(base: ConfigSettings, over: ConfigSettings): ConfigSettings {
  const merged: ConfigSettings = { ...base, ...over };
  if (base.slurmArgs || over.slurmArgs) merged.slurmArgs = { ...base.slurmArgs, ...over.slurmArgs };
  if (base.env || over.env) merged.env = { ...base.env, ...over.env };
  return merged;
}

/** The config's submit defaults under the options the flags gave (flags win, maps merged by key). */
export function withConfigDefaults(config: CliConfig, options: SubmitOptions): SubmitOptions {
  const { nodePath: _node, runnerPath: _runner, ...defaults } = config.settings;
  return mergeSettings(defaults, options as ConfigSettings) as SubmitOptions;
}

function readConfigFile(
  file: string,
): { defaults?: ConfigSettings; clusters?: Record<string, ConfigSettings> } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConfigFileError(file, `cannot be read (${code}); fix its permissions or remove it`, {
      cause: error,
    });
  }
  if (text.length > MAX_CONFIG_BYTES)
    throw new ConfigFileError(file, `is over ${MAX_CONFIG_BYTES / 1024} KiB: not a config file`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(file, `is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!isObject(value))
    throw new ConfigFileError(file, 'must hold a JSON object: { "defaults": {...}, "clusters": {...} }');
  for (const key of Object.keys(value))
    if (key !== 'defaults' && key !== 'clusters')
      throw new ConfigFileError(
        file,
        `unknown key '${key}'; a config file has 'defaults' and 'clusters' only`,
      );
  const problem = (path: string, detail: string) => new ConfigFileError(file, `${path}: ${detail}`);
  const result: { defaults?: ConfigSettings; clusters?: Record<string, ConfigSettings> } = {};
  if (value.defaults !== undefined)
    result.defaults = checkConfigSettings(value.defaults, 'defaults', problem);
  if (value.clusters !== undefined) {
    if (!isObject(value.clusters)) throw problem('clusters', 'must be an object of cluster names');
    result.clusters = {};
    for (const [name, section] of Object.entries(value.clusters))
      result.clusters[name] = checkConfigSettings(section, `clusters.${name}`, problem);
  }
  return result;
}

/** ClusterName from slurm.conf ($SLURM_CONF or /etc/slurm/slurm.conf), read as text; no scheduler call. */
export function clusterName(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const text = readFileSync(env.SLURM_CONF || '/etc/slurm/slurm.conf', 'utf8');
    return /^\s*ClusterName\s*=\s*(\S+)/im.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

function findUp(from: string, name: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
