import { randomBytes } from 'node:crypto';
import { constants, copyFile, link, mkdir } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CrateRef, isHpcError } from '@hpc/core';
import { isProcess, type Process, registeredClassById, registeredClassIds } from '@hpc/process';
import { Serializer } from '@hpc/serializer';
import { MissingModuleError } from './errors.ts';
import { JobContainer } from './job-container.ts';
import { jobPaths } from './job-paths.ts';

/** What a driver can submit: a crate file, one object in an HDF5 crate, a Process, or a JobContainer. */
export type SubmitTarget = string | CrateRef | Process | JobContainer;

export interface StageOptions {
  /** Folder under which the job's own folder is created (a new, uniquely named one). */
  jobsRoot: string;
  /** Use this exact (new or empty) folder instead, e.g. one named by a driver's job id. */
  jobDir?: string;
  name?: string;
  /** Extra modules for the node to import (beyond those found from the class registry). */
  imports?: string[];
}

/** A job folder ready to run: the crate inside it, and the modules the node must import first. */
export interface StagedJob {
  jobDir: string;
  crate: string;
  object: string | undefined;
  imports: string[];
  name: string;
  typeIds: string[];
}

/**
 * Prepares a job folder for any submit target: a Process is serialized into it; a crate file is
 * hard-linked (or copied) in, so later edits of the original cannot change a queued job. The
 * modules to import come from this process's class registry, never from the file.
 */
export async function stageJob(target: SubmitTarget, options: StageOptions): Promise<StagedJob> {
  const source = normalizeTarget(target);
  const typeIds = source.process ? undefined : await crateTypeIds(source.crate);
  const name = sanitizeName(options.name ?? source.process?.constructor.name ?? typeIds?.[0] ?? 'job');
  const jobDir = options.jobDir
    ? await ensureDir(options.jobDir)
    : await createJobDir(options.jobsRoot, name);
  const crate = jobPaths(jobDir).crate;
  let storedTypeIds = typeIds;
  if (source.process) storedTypeIds = (await Serializer.serializeToFile(source.process, crate)).types;
  else await linkOrCopy(source.crate, crate);
  return {
    jobDir,
    crate,
    object: source.object,
    imports: storedTypeIds
      ? resolveImports(storedTypeIds, options.imports ?? [])
      : allRegisteredModules(options.imports ?? []),
    name,
    typeIds: storedTypeIds ?? [],
  };
}

function normalizeTarget(target: SubmitTarget): { crate: string; object?: string; process?: Process } {
  if (typeof target === 'string') return { crate: resolve(target) };
  if (target instanceof JobContainer)
    return { crate: target.crate, ...(target.object ? { object: target.object } : {}) };
  if (isProcess(target)) return { crate: '', process: target };
  if (typeof target === 'object' && target !== null && typeof (target as CrateRef).crate === 'string') {
    const ref = target as CrateRef;
    return { crate: resolve(ref.crate), ...(ref.object ? { object: ref.object } : {}) };
  }
  throw new TypeError('submitJob expects a crate path, { crate, object }, a Process or a JobContainer');
}

/** Class ids stored in a crate; undefined when its format keeps no manifest (HDF5 crates). */
async function crateTypeIds(crate: string): Promise<string[] | undefined> {
  try {
    return (await Serializer.readManifest(crate)).types;
  } catch (error) {
    if (isHpcError(error, 'NotASerializedFileError')) return undefined;
    throw error;
  }
}

/** Without a manifest, the node imports every registered class's module (plus extras). */
function allRegisteredModules(extra: readonly string[]): string[] {
  const modules = new Set(extra.map(toImportSpecifier));
  for (const id of registeredClassIds()) {
    const module = registeredClassById(id)?.module;
    if (module) modules.add(toImportSpecifier(module));
  }
  return [...modules];
}

/** Modules the node imports: the registered module of every class the crate holds, plus extras. */
export function resolveImports(typeIds: readonly string[], extra: readonly string[]): string[] {
  const modules = new Set(extra.map(toImportSpecifier));
  const missing: string[] = [];
  for (const id of typeIds) {
    const module = registeredClassById(id)?.module;
    if (module) modules.add(toImportSpecifier(module));
    else missing.push(id);
  }
  if (missing.length && extra.length === 0) throw new MissingModuleError(missing);
  return [...modules];
}

/** Absolute paths become file URLs; URLs and package names stay as they are. */
function toImportSpecifier(module: string): string {
  return isAbsolute(module) ? pathToFileURL(module).href : module;
}

function sanitizeName(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 64) || 'job'
  );
}

async function createJobDir(jobsRoot: string, name: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const jobDir = resolve(jobsRoot, `${name}-${stamp}-${randomBytes(3).toString('hex')}`);
  await mkdir(jobDir, { recursive: true });
  return jobDir;
}

async function ensureDir(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  return resolve(folder);
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw error;
    await copyFile(from, to, constants.COPYFILE_FICLONE);
  }
}
