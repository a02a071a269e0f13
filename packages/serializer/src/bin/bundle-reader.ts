import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { isHpcError } from '@hpc/core';
import { CorruptFileError, NotASerializedFileError } from '../errors.ts';
import { asReadError, openForReading, readFully } from '../read-fully.ts';
import type { LayoutOptions } from './bin-layout.ts';
import { readCrateInWindow } from './bin-reader.ts';
import {
  BUNDLE_HEADER_BYTES,
  BUNDLE_MAGIC,
  BUNDLE_RECORD_BYTES,
  BUNDLE_VERSION,
  bundleDataStart,
  CRATE_CRC_OFFSET,
  MAX_BUNDLE_COUNT,
  recordChecksum,
} from './bundle-format.ts';

export interface BundleInfo {
  /** The bundle's id, hex: the one writeBundle returned. */
  bundleId: string;
  count: number;
}

/** The bundle's id and crate count, its header verified. */
export async function readBundleInfo(file: string): Promise<BundleInfo> {
  const bundle = await openBundle(file);
  await bundle.close();
  return bundle.info;
}

/** An open bundle: its header read and verified once, then any of its crates read alone. */
export interface BundleReader {
  readonly file: string;
  readonly info: BundleInfo;
  read<T = unknown>(index: number, options?: LayoutOptions): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens a bundle for reading many of its crates (a packed task's): one open and one header check,
 * then per crate only its index record and its bytes. Close it when done.
 */
export async function openBundle(file: string): Promise<BundleReader> {
  const { handle, size } = await openForReading(file);
  try {
    const { info, id } = await guarded(file, () => readHeader(handle, file, size));
    return {
      file,
      info,
      read: <T>(index: number, options: LayoutOptions = {}) =>
        guarded(file, () => readEntry<T>(handle, file, size, info, id, index, options)),
      close: () => handle.close().catch(() => {}),
    };
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
}

/**
 * Crate `index` of a bundle: only the header, that crate's index record and that crate are read,
 * each verified (the record by its CRC, the crate by its own checksums and the CRC the record
 * keeps for it). Never runs or imports code; errors name the file and the crate's number.
 */
export async function readBundleEntry<T = unknown>(
  file: string,
  index: number,
  options: LayoutOptions = {},
): Promise<{ value: T; info: BundleInfo }> {
  const bundle = await openBundle(file);
  try {
    return { value: await bundle.read<T>(index, options), info: bundle.info };
  } finally {
    await bundle.close();
  }
}

async function readEntry<T>(
  handle: FileHandle,
  file: string,
  size: number,
  info: BundleInfo,
  id: Buffer,
  index: number,
  options: LayoutOptions,
): Promise<T> {
  if (!Number.isSafeInteger(index) || index < 0 || index >= info.count)
    throw new CorruptFileError(file, `it holds ${info.count} crates, not one numbered ${index}`);
  const recordAt = BUNDLE_HEADER_BYTES + index * BUNDLE_RECORD_BYTES;
  const record = await readFully(handle, file, recordAt, BUNDLE_RECORD_BYTES);
  if (recordChecksum(id, index, record) !== record.readUInt32LE(20))
    throw new CorruptFileError(file, `checksum mismatch in the index record of crate ${index}`);
  const offset = Number(record.readBigUInt64LE(0));
  const length = Number(record.readBigUInt64LE(8));
  const label = `${file} (crate ${index})`;
  if (offset < bundleDataStart(info.count) || length < BUNDLE_HEADER_BYTES || offset + length > size)
    throw new CorruptFileError(
      label,
      `its place (${length} bytes at ${offset}) is outside the file's ${size} bytes`,
    );
  const head = await readFully(handle, file, offset + CRATE_CRC_OFFSET, 4);
  if (head.readUInt32LE(0) !== record.readUInt32LE(16))
    throw new CorruptFileError(label, 'it is not the crate its index record names (checksum mismatch)');
  return readCrateInWindow<T>(handle, label, offset, length, options);
}

async function readHeader(handle: FileHandle, file: string, size: number) {
  if (size < BUNDLE_HEADER_BYTES)
    throw new NotASerializedFileError(file, `it is ${size} bytes, too short for a bundle`);
  const header = await readFully(handle, file, 0, BUNDLE_HEADER_BYTES);
  if (!header.subarray(0, 8).equals(BUNDLE_MAGIC))
    throw new NotASerializedFileError(file, 'it does not start with the bundle magic bytes');
  if (crc32(header.subarray(0, 32)) !== header.readUInt32LE(32))
    throw new CorruptFileError(file, 'checksum mismatch in the bundle header');
  const version = header.readUInt16LE(8);
  if (version !== BUNDLE_VERSION || header.readUInt16LE(10) !== 0 || header.readUInt32LE(36) !== 0)
    throw new CorruptFileError(
      file,
      `bundle version ${version} with flags this reader does not know (it reads ${BUNDLE_VERSION})`,
    );
  const count = header.readUInt32LE(12);
  if (count > MAX_BUNDLE_COUNT || bundleDataStart(count) > size)
    throw new CorruptFileError(
      file,
      `its header declares ${count} crates, more than its ${size} bytes can index`,
    );
  const id = header.subarray(16, 32);
  return { info: { bundleId: id.toString('hex'), count }, id };
}

async function guarded<R>(file: string, work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } catch (error) {
    const typed = asReadError(error, file);
    if (isHpcError(typed)) throw typed;
    throw new CorruptFileError(file, `reading it failed unexpectedly (${String(error)})`, { cause: error });
  }
}
