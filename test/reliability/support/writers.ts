/**
 * The three writers the kill test interrupts, and what each version they write looks like. A
 * version is rebuilt from its number alone, so the parent can tell which complete version a file
 * holds after a writer died. Sizes alternate so both paths of each writer run: .bin versions of
 * 0.8 MB (one synchronous write) and 4.8 MB (async writes, above writeFileAtomic's 4 MiB switch);
 * HDF5 versions with the array inline or as a chunked Blosc dataset (two 160 KiB chunks).
 */
import { join } from 'node:path';
import { readOutcome, writeOutcome } from '@hpc/container';
import { RUN_OUTCOME_VERSION, type RunOutcome } from '@hpc/core';
import { ObjectSerializer, Serializer } from '@hpc/serializer';

export const WRITER_KINDS = ['bin', 'h5', 'outcome'] as const;
export type WriterKind = (typeof WRITER_KINDS)[number];

export const TARGET_OBJECT = '/target';
/** Objects the HDF5 file holds besides the one being rewritten: they must survive every kill. */
export const OTHER_OBJECTS: Record<string, unknown> = {
  '/others/a': { note: 'must survive', values: Float64Array.from({ length: 50_000 }, (_, i) => i * 0.5) },
  '/others/b': new Map<string, unknown>([['kept', [1, 2, 3]]]),
};

export function binVersion(version: number): unknown {
  const length = version % 2 === 0 ? 100_000 : 600_000;
  return {
    version,
    label: `v${version}`,
    values: Float64Array.from({ length }, (_, i) => version + i * 1e-3),
  };
}

export function h5Version(version: number): unknown {
  const length = version % 2 === 0 ? 100 : 40_000;
  return { version, values: Float64Array.from({ length }, (_, i) => version * 2 + i) };
}

export function outcomeVersion(version: number): RunOutcome {
  return {
    version: RUN_OUTCOME_VERSION,
    status: 'ok',
    resultFile: 'result.bin',
    startedAt: new Date(version * 1000).toISOString(),
    finishedAt: new Date(version * 1000 + 5).toISOString(),
    durationMs: version,
    host: 'reliability',
    pid: version,
  };
}

export function versionValue(kind: WriterKind, version: number): unknown {
  if (kind === 'bin') return binVersion(version);
  if (kind === 'h5') return h5Version(version);
  return outcomeVersion(version);
}

/** The file each kind writes, in its folder. */
export function targetFile(kind: WriterKind, dir: string): string {
  if (kind === 'bin') return join(dir, 'crate.bin');
  if (kind === 'h5') return join(dir, 'crate.h5');
  return join(dir, 'outcome.json');
}

export async function writeVersion(kind: WriterKind, dir: string, version: number): Promise<void> {
  if (kind === 'bin') await Serializer.serializeToFile(binVersion(version), targetFile(kind, dir));
  else if (kind === 'h5')
    await new ObjectSerializer(targetFile(kind, dir)).serialize(h5Version(version), TARGET_OBJECT, {
      overwrite: true,
      chunkBytes: 160 << 10,
    });
  else await writeOutcome(dir, outcomeVersion(version));
}

export async function readVersion(kind: WriterKind, dir: string): Promise<unknown> {
  if (kind === 'bin') return Serializer.deserializeFromFile(targetFile(kind, dir));
  if (kind === 'h5') return new ObjectSerializer(targetFile(kind, dir)).load(TARGET_OBJECT);
  return readOutcome(dir);
}

/** The version number a loaded value claims (checked against the full value afterwards). */
export function claimedVersion(kind: WriterKind, value: unknown): number | undefined {
  const field = kind === 'outcome' ? 'durationMs' : 'version';
  const claimed = (value as Record<string, unknown> | undefined)?.[field];
  return typeof claimed === 'number' ? claimed : undefined;
}
