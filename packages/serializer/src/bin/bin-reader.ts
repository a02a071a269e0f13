import type { FileHandle } from 'node:fs/promises';
import { isHpcError } from '@hpc/core';
import { CorruptFileError, InsufficientMemoryError } from '../errors.ts';
import { asReadError, openForReading, type ReadAt, readFully } from '../read-fully.ts';
import { type StoredTypedArray, TYPED_ARRAYS } from '../typed-arrays.ts';
import {
  type ArrayPlacement,
  checkHeader,
  type LayoutOptions,
  parseManifest,
  placeArrays,
} from './bin-layout.ts';
import { type CrateManifest, HEADER_BYTES, headerChecksum } from './binary-format.ts';
import { readChecksummed } from './checksummed-io.ts';
import { decodeStructure } from './v8-payload.ts';

interface Preamble {
  manifest: CrateManifest;
  meta: Buffer;
  placements: ArrayPlacement[];
}

/** The value stored in `file`, every byte of it verified; any failure is a typed error naming it. */
export async function readCrate<T>(file: string, options: LayoutOptions): Promise<T> {
  return withFile(file, (handle, size) => readCrateFrom<T>(handle, file, size, options));
}

/**
 * The crate stored in bytes [base, base + length) of an open file (one entry of a bundle), read
 * and verified as if those bytes were the whole file; `label` names it in errors.
 */
export async function readCrateInWindow<T>(
  handle: FileHandle,
  label: string,
  base: number,
  length: number,
  options: LayoutOptions,
): Promise<T> {
  const window: ReadAt = {
    read: ((buffer: Uint8Array, offset: number, size: number, position: number) =>
      handle.read(
        buffer,
        offset,
        Math.max(0, Math.min(size, length - position)),
        base + position,
      )) as ReadAt['read'],
  };
  try {
    return await readCrateFrom<T>(window, label, length, options);
  } catch (error) {
    const typed = asReadError(error, label);
    if (isHpcError(typed)) throw typed;
    throw new CorruptFileError(label, `reading it failed unexpectedly (${String(error)})`, { cause: error });
  }
}

async function readCrateFrom<T>(
  handle: ReadAt,
  file: string,
  size: number,
  options: LayoutOptions,
): Promise<T> {
  const { meta, placements } = await readPreamble(handle, file, size, options);
  const arrays = allocateArrays(file, placements);
  const crcs = await readChecksummed(
    handle,
    file,
    arrays.map((array, index) => ({
      bytes: new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
      position: (placements[index] as ArrayPlacement).position,
    })),
  );
  for (const [index, { entry }] of placements.entries()) {
    const [, offset, byteLength, expected] = entry;
    if (expected !== undefined && crcs[index] !== expected) {
      throw new CorruptFileError(
        file,
        `checksum mismatch in array ${index} (${byteLength} bytes at data offset ${offset})`,
      );
    }
  }
  return decodeStructure<T>(file, meta, arrays);
}

/** The manifest of `file`, with the header, manifest and structure verified. */
export async function readCrateManifest(file: string, options: LayoutOptions): Promise<CrateManifest> {
  return withFile(file, async (handle, size) => (await readPreamble(handle, file, size, options)).manifest);
}

async function withFile<R>(file: string, use: (handle: FileHandle, size: number) => Promise<R>): Promise<R> {
  const { handle, size } = await openForReading(file);
  try {
    return await use(handle, size);
  } catch (error) {
    const typed = asReadError(error, file);
    if (isHpcError(typed)) throw typed;
    throw new CorruptFileError(file, `reading it failed unexpectedly (${String(error)})`, { cause: error });
  } finally {
    await handle.close().catch(() => {});
  }
}

async function readPreamble(
  handle: ReadAt,
  file: string,
  size: number,
  options: LayoutOptions,
): Promise<Preamble> {
  const head = await readFully(handle, file, 0, Math.min(size, HEADER_BYTES));
  const header = checkHeader(file, head, size, options);
  const length = header.manifestLength + header.metaLength;
  const preamble = allocate(file, length, 'its manifest and structure', () => Buffer.allocUnsafe(length));
  await readFully(handle, file, HEADER_BYTES, length, preamble);
  const manifestBytes = preamble.subarray(0, header.manifestLength);
  const meta = preamble.subarray(header.manifestLength);
  if (headerChecksum(header.version, head, manifestBytes, meta) !== header.crc32)
    throw new CorruptFileError(file, 'checksum mismatch in the header, manifest or object structure');
  if (header.totalLength !== size) {
    throw new CorruptFileError(
      file,
      `the file is ${size} bytes but was written as ${header.totalLength} bytes (truncated or appended to)`,
    );
  }
  const manifest = parseManifest(file, manifestBytes, header.version);
  return { manifest, meta, placements: placeArrays(file, manifest, HEADER_BYTES + length, size) };
}

/** All arrays at once, after the layout was checked whole: together they are at most the file's size. */
function allocateArrays(file: string, placements: readonly ArrayPlacement[]): StoredTypedArray[] {
  return placements.map(({ entry: [code, , byteLength] }, index) => {
    const Kind = TYPED_ARRAYS[code] as (typeof TYPED_ARRAYS)[number];
    return allocate(file, byteLength, `array ${index}`, () => new Kind(byteLength / Kind.BYTES_PER_ELEMENT));
  });
}

function allocate<T>(file: string, bytes: number, what: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof RangeError) throw new InsufficientMemoryError(file, what, { bytes, cause: error });
    throw error;
  }
}
