import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  asFileWriteError,
  type CrateDigest,
  type CrateRef,
  fileModes,
  InvalidOptionError,
  isHpcError,
  makeDirectory,
  type Sharing,
} from '@hpc/core';
import { isProcess, type Process, registeredClassById, registeredClassIds } from '@hpc/process';
import { Serializer, summarizeGraph } from '@hpc/serializer';
import { copyCrate, writeCrate } from './crate-copy.ts';
import { MissingModuleError } from './errors.ts';
import { JobContainer } from './job-container.ts';
import { jobPaths } from './job-folder/job-files.ts';
import { checkSettingText } from './submit-settings.ts';

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
  /** Who may read the job folder and its files (default $HPC_SHARE, else private: 0700/0600). */
  share?: Sharing;
}

/** A job folder ready to run: the crate inside it, and the modules the node must import first. */
export interface StagedJob {
  jobDir: string;
  crate: string;
  /** SHA-256 of the crate as staged; the node-runner checks it (--crate-digest) before loading. */
  crateDigest: CrateDigest;
  object: string | undefined;
  imports: string[];
  name: string;
  typeIds: string[];
}

/**
 * Prepares a job folder for any submit target: a Process is serialized into it; a crate file is
 * copied in (reflinked where the file system can), so later edits of the original cannot change
 * a queued job, and the digest of what was staged is returned. Everything is checked before the
 * folder exists (name, imports, the modules to import), and a failed staging removes what it made.
 * The modules to import come from this process's class registry, never from the file.
 */
export async function stageJob(target: SubmitTarget, options: StageOptions): Promise<StagedJob> {
  const source = normalizeTarget(target);
  if (options.name !== undefined) checkSettingText('name', options.name);
  options.imports?.forEach((module, i) => {
    checkSettingText(`imports[${i}]`, module, true);
  });
  const content = source.process ? encodeProcess(source.process) : undefined;
  const typeIds = content?.typeIds ?? (await crateTypeIds(source.crate));
  const imports = typeIds
    ? resolveImports(typeIds, options.imports ?? [])
    : allRegisteredModules(options.imports ?? []);
  const name = sanitizeName(options.name ?? source.process?.constructor.name ?? typeIds?.[0] ?? 'job');
  const modes = fileModes(options.share);
  const folder = options.jobDir
    ? await ensureDir(options.jobDir, modes.dir)
    : { jobDir: await createJobDir(options.jobsRoot, name, modes.dir), created: true };
  const crate = jobPaths(folder.jobDir).crate;
  try {
    const crateDigest = content
      ? await writeCrate(content.pieces, crate, modes.file)
      : await copyCrate(source.crate, crate, modes.file);
    return {
      jobDir: folder.jobDir,
      crate,
      crateDigest,
      object: source.object,
      imports,
      name,
      typeIds: typeIds ?? [],
    };
  } catch (error) {
    await (folder.created ? rm(folder.jobDir, { recursive: true, force: true }) : rm(crate, { force: true }));
    throw error;
  }
}

/**
 * A Process as crate bytes, and the class ids it holds. The graph is summarized first (a second
 * walk next to encode's own; the manifest is not public) so that a missing module is refused
 * before any folder exists.
 */
export function encodeProcess(process: Process): { pieces: Uint8Array[]; typeIds: string[] } {
  const { typeIds } = summarizeGraph(process);
  return { pieces: Serializer.encode(process), typeIds };
}

export function normalizeTarget(target: SubmitTarget): { crate: string; object?: string; process?: Process } {
  if (typeof target === 'string') return { crate: resolve(target) };
  if (target instanceof JobContainer)
    return { crate: target.crate, ...(target.object ? { object: target.object } : {}) };
  if (isProcess(target)) return { crate: '', process: target };
  if (typeof target === 'object' && target !== null && typeof (target as CrateRef).crate === 'string') {
    const ref = target as CrateRef;
    return { crate: resolve(ref.crate), ...(ref.object ? { object: ref.object } : {}) };
  }
  throw new InvalidOptionError({
    option: 'submitJob(target)',
    value: target,
    allowed: 'a crate path, { crate, object }, a Process or a JobContainer',
    remedy: 'pass the process instance to run, or the path of a crate that holds it',
  });
}

/** Class ids stored in a crate; undefined when its format keeps no manifest (HDF5 crates). */
export async function crateTypeIds(crate: string): Promise<string[] | undefined> {
  try {
    return (await Serializer.readManifest(crate)).types;
  } catch (error) {
    if (isHpcError(error, 'NotASerializedFileError')) return undefined;
    throw error;
  }
}

/** Without a manifest, the node imports every registered class's module (plus extras). */
export function allRegisteredModules(extra: readonly string[]): string[] {
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

export function sanitizeName(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 64) || 'job'
  );
}

export async function createJobDir(jobsRoot: string, name: string, mode: number): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const jobDir = resolve(jobsRoot, `${name}-${stamp}-${randomBytes(3).toString('hex')}`);
  try {
    await makeDirectory(jobsRoot, mode);
    // A new name (random suffix), made exclusively: never a folder that was there before.
    await mkdir(jobDir, { mode });
    await chmod(jobDir, mode);
  } catch (error) {
    throw asFileWriteError(error, jobDir, 'create the job folder');
  }
  return jobDir;
}

/** The given folder, made (with `mode`) unless it exists; says whether it was made here. */
export async function ensureDir(folder: string, mode: number): Promise<{ jobDir: string; created: boolean }> {
  const jobDir = resolve(folder);
  const existed = await stat(jobDir).then(
    () => true,
    () => false,
  );
  await makeDirectory(jobDir, mode).catch((error: unknown) => {
    throw asFileWriteError(error, jobDir, 'create the job folder');
  });
  return { jobDir, created: !existed };
}
