import { readFile, rm } from 'node:fs/promises';
import { fileModes, InvalidOptionError, type Sharing } from '@hpc/core';
import { isProcess } from '@hpc/process';
import { detectFileFormat, Serializer, summarizeGraph, writeBundle } from '@hpc/serializer';
import { BatchProcessError } from './errors.ts';
import { batchPaths, taskCountOf } from './job-folder/batch-files.ts';
import {
  BATCH_MANIFEST_VERSION,
  type BatchManifest,
  writeBatchManifest,
} from './job-folder/batch-manifest.ts';
import { loadCrate } from './load-crate.ts';
import {
  allRegisteredModules,
  crateTypeIds,
  createJobDir,
  encodeProcess,
  ensureDir,
  normalizeTarget,
  resolveImports,
  type SubmitTarget,
  sanitizeName,
} from './stage-job.ts';
import { checkSettingText } from './submit-settings.ts';

export interface StageBatchOptions {
  /** Folder under which the batch's own folder is created. */
  jobsRoot: string;
  /** Use this exact (new or empty) folder instead (a driver that made it already). */
  batchDir?: string;
  name?: string;
  imports?: string[];
  share?: Sharing;
  processesPerTask?: number;
}

export interface StagedBatch {
  batchDir: string;
  manifest: BatchManifest;
}

/** More processes than one batch takes (SLURM's MaxArraySize is at most 4,000,001 tasks). */
export const MAX_BATCH_SIZE = 4_000_000;

/**
 * Stages a submitJobs() list: every process is encoded first (one that cannot be is refused by
 * its index and property path, and nothing is created), then the batch folder gets one bundle
 * with every crate and the manifest. Processes of different classes may share a batch: the node
 * imports every module they need. Crate files given by path are copied in as they are (.bin) or
 * loaded and re-encoded (an HDF5 object, whose class must be registered here).
 */
export async function stageBatch(
  targets: readonly SubmitTarget[],
  options: StageBatchOptions,
): Promise<StagedBatch> {
  checkBatchList(targets);
  const processesPerTask = checkCount('processesPerTask', options.processesPerTask ?? 1, MAX_BATCH_SIZE);
  if (options.name !== undefined) checkSettingText('name', options.name);
  options.imports?.forEach((module, i) => {
    checkSettingText(`imports[${i}]`, module, true);
  });
  const crates: Uint8Array[][] = [];
  const typeIds = new Set<string>();
  let withoutManifest = false;
  for (const [index, target] of targets.entries()) {
    try {
      const encoded = await encodeTarget(target);
      crates.push(encoded.pieces);
      if (encoded.typeIds) for (const id of encoded.typeIds) typeIds.add(id);
      else withoutManifest = true;
    } catch (error) {
      throw new BatchProcessError(index, targets.length, error);
    }
  }
  const types = [...typeIds];
  const imports = withoutManifest
    ? allRegisteredModules(options.imports ?? [])
    : resolveImports(types, options.imports ?? []);
  const first = targets[0];
  const name = sanitizeName(
    options.name ?? (first && isProcess(first) ? first.constructor.name : undefined) ?? types[0] ?? 'batch',
  );
  const modes = fileModes(options.share);
  const folder = options.batchDir
    ? await ensureDir(options.batchDir, modes.dir)
    : { jobDir: await createJobDir(options.jobsRoot, name, modes.dir), created: true };
  const batchDir = folder.jobDir;
  const paths = batchPaths(batchDir);
  try {
    const bundle = await writeBundle(paths.bundle, crates, { mode: modes.file });
    const manifest: BatchManifest = {
      version: BATCH_MANIFEST_VERSION,
      name,
      count: targets.length,
      processesPerTask,
      taskCount: taskCountOf(targets.length, processesPerTask),
      bundleId: bundle.bundleId,
      imports,
      typeIds: types,
      createdAt: new Date().toISOString(),
    };
    await writeBatchManifest(batchDir, manifest, modes.file);
    return { batchDir, manifest };
  } catch (error) {
    if (folder.created) await rm(batchDir, { recursive: true, force: true });
    else await Promise.all([rm(paths.bundle, { force: true }), rm(paths.manifest, { force: true })]);
    throw error;
  }
}

async function encodeTarget(target: SubmitTarget): Promise<{ pieces: Uint8Array[]; typeIds?: string[] }> {
  const source = normalizeTarget(target);
  if (source.process) return encodeProcess(source.process);
  if ((await detectFileFormat(source.crate)).format === 'hdf5') {
    const value = await loadCrate(source.crate, source.object);
    return { pieces: Serializer.encode(value), typeIds: summarizeGraph(value).typeIds };
  }
  const typeIds = await crateTypeIds(source.crate);
  return { pieces: [await readFile(source.crate)], ...(typeIds ? { typeIds } : {}) };
}

function checkBatchList(targets: readonly SubmitTarget[]): void {
  if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_BATCH_SIZE)
    throw new InvalidOptionError({
      option: 'submitJobs(targets)',
      value: Array.isArray(targets) ? `a list of ${targets.length}` : targets,
      allowed: `a list of 1 to ${MAX_BATCH_SIZE} processes or crates`,
      remedy:
        Array.isArray(targets) && targets.length === 0
          ? 'pass at least one process'
          : 'pass an array of processes',
    });
}

/** A positive integer option of a batch (at most `max`). */
export function checkCount(option: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > Math.max(1, max))
    throw new InvalidOptionError({
      option,
      value,
      allowed: `an integer from 1 to ${Math.max(1, max)}`,
      remedy: `set ${option} to a whole number of at least 1`,
    });
  return value;
}
