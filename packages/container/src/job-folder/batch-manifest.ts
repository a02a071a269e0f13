import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@hpc/core';
import { BatchManifestError } from '../errors.ts';
import { batchPaths } from './batch-files.ts';

export const BATCH_MANIFEST_VERSION = 1;

/** batch.json: what a batch is, fixed at staging. Drivers keep their own record beside it. */
export interface BatchManifest {
  version: typeof BATCH_MANIFEST_VERSION;
  name: string;
  /** Processes in the batch, in submission order (their indexes 0..count-1). */
  count: number;
  processesPerTask: number;
  taskCount: number;
  /** The bundle's id (writeBundle): the runner checks the bundle it reads is still this one. */
  bundleId: string;
  /** Modules the node imports before loading any process. */
  imports: string[];
  typeIds: string[];
  createdAt: string;
}

export async function writeBatchManifest(
  batchDir: string,
  manifest: BatchManifest,
  mode: number,
): Promise<void> {
  await writeFileAtomic(batchPaths(batchDir).manifest, `${JSON.stringify(manifest, null, 2)}\n`, { mode });
}

/** The manifest, checked field by field; a BatchManifestError names the file and what is wrong. */
export async function readBatchManifest(batchDir: string): Promise<BatchManifest> {
  const file = batchPaths(batchDir).manifest;
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new BatchManifestError(file, `cannot be read as JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  const manifest = value as Partial<BatchManifest>;
  if (typeof value !== 'object' || value === null || manifest.version !== BATCH_MANIFEST_VERSION)
    throw new BatchManifestError(file, `is not a batch manifest of version ${BATCH_MANIFEST_VERSION}`);
  const counts = ['count', 'processesPerTask', 'taskCount'] as const;
  for (const key of counts)
    if (!Number.isSafeInteger(manifest[key]) || (manifest[key] as number) < 1)
      throw new BatchManifestError(file, `'${key}' is not a positive integer`);
  if (typeof manifest.bundleId !== 'string' || !/^[0-9a-f]{32}$/.test(manifest.bundleId))
    throw new BatchManifestError(file, "'bundleId' is not 32 hex digits");
  if (!Array.isArray(manifest.imports) || manifest.imports.some((m) => typeof m !== 'string'))
    throw new BatchManifestError(file, "'imports' is not a list of module names");
  return manifest as BatchManifest;
}
