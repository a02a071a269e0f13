import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Driver } from '@hpc/core';
import type { Output } from './cli-context.ts';
import { UsageError } from './cli-errors.ts';
import { findOnPath } from './command-path.ts';
import { shown } from './output-safety.ts';

export type DriverKind = 'local' | 'slurm';

/** Which driver a command uses, and why (shown by `hpc doctor` and in --debug output). */
export interface DriverChoice {
  kind: DriverKind;
  reason: string;
}

export interface DriverChoiceInput {
  /** --local was given. */
  local?: boolean;
  env: NodeJS.ProcessEnv;
  /** The job id the command is about, if any: 'local-3' belongs to the local driver. */
  jobId?: string;
}

/** 'local-12', and a local batch's processes: 'local-12_3', 'local-12_3+2'. */
const LOCAL_ID = /^local-\d+(?:_\d+(?:\+\d+)?)?$/;

/**
 * --local wins, then HPC_DRIVER=local|slurm, then the job id's shape ('local-N' is a local job),
 * then SLURM when `sbatch` is on PATH, else the local driver.
 */
export function chooseDriver(input: DriverChoiceInput): DriverChoice {
  if (input.local) return { kind: 'local', reason: '--local was given' };
  const forced = input.env.HPC_DRIVER?.trim();
  if (forced) {
    if (forced === 'local' || forced === 'slurm') return { kind: forced, reason: `HPC_DRIVER=${forced}` };
    throw new UsageError(
      `HPC_DRIVER must be 'local' or 'slurm', got '${forced}' (unset it to choose automatically)`,
      '',
    );
  }
  if (input.jobId !== undefined && LOCAL_ID.test(input.jobId))
    return { kind: 'local', reason: `${input.jobId} is a local job id` };
  const sbatch = findOnPath('sbatch', input.env.PATH ?? '');
  return sbatch
    ? { kind: 'slurm', reason: `sbatch found at ${sbatch}` }
    : { kind: 'local', reason: 'sbatch is not on PATH' };
}

/**
 * Groups job ids by the driver that owns them, so a command about several ids asks each driver
 * once. Order of ids inside a group is kept.
 */
export function groupIdsByDriver(
  ids: readonly string[],
  input: Omit<DriverChoiceInput, 'jobId'>,
): Map<DriverKind, string[]> {
  const groups = new Map<DriverKind, string[]>();
  for (const id of ids) {
    const { kind } = chooseDriver({ ...input, jobId: id });
    const list = groups.get(kind) ?? [];
    list.push(id);
    groups.set(kind, list);
  }
  return groups;
}

/**
 * The node-runner this CLI ships next to itself (dist/node-runner.mjs, copied at build time), so
 * jobs run the runner of the same version; undefined when running from sources.
 */
export function bundledRunnerPath(): string | undefined {
  const path = fileURLToPath(new URL('./node-runner.mjs', import.meta.url));
  return existsSync(path) ? path : undefined;
}

/** What the CLI uses of a driver: the Driver interface, and what only the SLURM driver has. */
export type CliDriver = Driver & {
  /** Closes the SLURM job index. */
  close?: () => void;
  /** Set when the SLURM driver found its job index corrupt and rebuilt it from the job folders. */
  readonly indexRebuiltAfter?: { file: string; detail: string; jobsRoot: string } | undefined;
};

/** Where a job finds Node and the node-runner (hpc submit --node-path/--runner-path, or the config file). */
export interface DriverPaths {
  nodePath?: string;
  runnerPath?: string;
}

/** A driver of `kind`; the heavy driver packages load only here. Give it back with closeDriver. */
export async function createDriver(kind: DriverKind, paths: DriverPaths = {}): Promise<CliDriver> {
  const runnerPath = paths.runnerPath ?? bundledRunnerPath();
  const options = {
    ...(runnerPath ? { runnerPath } : {}),
    ...(paths.nodePath ? { nodePath: paths.nodePath } : {}),
  };
  if (kind === 'slurm') {
    const { SLURMDriver } = await import('@hpc/slurm-driver');
    return new SLURMDriver(options);
  }
  const { LocalDriver } = await import('@hpc/local-driver');
  return new LocalDriver(options);
}

/**
 * Closes the driver, after one line on stderr if it rebuilt a corrupt SLURM job index: nothing
 * was lost (the job folders are the record), but a damaged file may point at a failing disk.
 */
export function closeDriver(driver: CliDriver, stderr: Output): void {
  const rebuilt = driver.indexRebuiltAfter;
  if (rebuilt)
    stderr.write(
      `${stderr.style.yellow('hpc:')} the SLURM job index ${shown(rebuilt.file)} was damaged (${shown(rebuilt.detail)}) and has been rebuilt from the job folders in ${shown(rebuilt.jobsRoot)}\n`,
    );
  driver.close?.();
}
