import { InvalidOptionError, isHpcError } from '@hpc/core';
import { defaultWriteThreads } from './accel/compress-pool.ts';
import { defaultReadThreads } from './accel/read-pool.ts';
import { type CodecOptions, type ResolvedCodec, resolveCodec } from './format/codecs.ts';

/** ObjectSerializer's options, their defaults and their checks (bad values: InvalidOptionError). */

export interface ObjectSerializerOptions {
  /** Wait this long for another process writing the same file (default 60 s), then FileLockedError. */
  lockTimeoutMs?: number;
  /** fsync before a write returns (default true). */
  durable?: boolean;
  /** Refuse to allocate any one array larger than this on read (default 64 GiB). */
  maxArrayBytes?: number;
  /**
   * On read, compressed datasets may declare at most this many times the file's size (default
   * 65536; the codecs reach at most ~18,000x on all-zero data, blosc2 with 64 MiB chunks ~900,000x).
   * A small file declaring a huge array is refused before anything is allocated.
   */
  maxCompressionRatio?: number;
  /**
   * Load objects of layout version 1 (written by @hpc before checksums), unverified (default false:
   * refused with UnsupportedFormatVersionError). For reading an old crate once to re-create it.
   */
  acceptVersion1WithoutChecksums?: boolean;
  /**
   * Bytes moved through the wasm heap per call (default 8 MiB: small enough to stay in cache between
   * HDF5 and the result, and each wasm heap keeps its largest slice for good; hard limit 2 GiB).
   */
  sliceBytes?: number;
  /**
   * Threads that decompress large arrays (>= 16 MiB) on read: the calling thread and
   * `readThreads - 1` workers, each with its own wasm instance (default: cores, at most 4).
   * 1 reads everything on the calling thread.
   */
  readThreads?: number;
  /**
   * Threads that write large Blosc arrays (>= 16 MiB): the calling thread, which runs HDF5 and
   * writes the file, and `writeThreads - 1` workers that compress (default: cores, at most 4).
   * 1 compresses on the calling thread.
   */
  writeThreads?: number;
}

export interface ObjectSerializeOptions extends CodecOptions {
  /** Replace an object already stored at the path (rewrites the file). Default false: ObjectExistsError. */
  overwrite?: boolean;
  /** HDF5 chunk size for array datasets (default 4 MiB; 1-4 MiB is the sweet spot). */
  chunkBytes?: number;
  /** Typed arrays at least this large become their own dataset (default 16 KiB); smaller ones are inline. */
  arrayThresholdBytes?: number;
}

export interface ReadArrayOptions {
  /** First element (default 0). */
  start?: number;
  /** Number of elements (default: to the end). */
  count?: number;
}

const DEFAULT_CHUNK_BYTES = 4 << 20;
const DEFAULT_ARRAY_THRESHOLD_BYTES = 16 << 10;
const DEFAULT_SLICE_BYTES = 8 << 20;
const DEFAULT_MAX_ARRAY_BYTES = 64 * 2 ** 30;
/** Above what every codec measured on all-zero data (blosc-zstd level 9: ~18,000x). */
const DEFAULT_MAX_COMPRESSION_RATIO = 65_536;
/** Blosc fails on chunks under 128 bytes; arrays this small are always inline. */
const MIN_DATASET_BYTES = 1024;

export type ResolvedSerializerOptions = Required<ObjectSerializerOptions>;

/** The options with their defaults, checked: a bad value is an InvalidOptionError naming the file. */
export function resolveSerializerOptions(
  file: string,
  options: ObjectSerializerOptions,
): ResolvedSerializerOptions {
  const resolved: ResolvedSerializerOptions = {
    lockTimeoutMs: options.lockTimeoutMs ?? 60_000,
    durable: options.durable ?? true,
    maxArrayBytes: options.maxArrayBytes ?? DEFAULT_MAX_ARRAY_BYTES,
    maxCompressionRatio: options.maxCompressionRatio ?? DEFAULT_MAX_COMPRESSION_RATIO,
    acceptVersion1WithoutChecksums: options.acceptVersion1WithoutChecksums ?? false,
    sliceBytes: options.sliceBytes ?? DEFAULT_SLICE_BYTES,
    readThreads: options.readThreads ?? defaultReadThreads(),
    writeThreads: options.writeThreads ?? defaultWriteThreads(),
  };
  const { readThreads, writeThreads, sliceBytes, maxCompressionRatio } = resolved;
  const at = `${file}: `;
  if (!Number.isInteger(readThreads) || readThreads < 1 || readThreads > 64)
    refuse(
      at,
      'readThreads',
      readThreads,
      '1 to 64',
      `readThreads ${readThreads} is out of range: use 1 to 64`,
    );
  if (!Number.isInteger(writeThreads) || writeThreads < 1 || writeThreads > 64)
    refuse(
      at,
      'writeThreads',
      writeThreads,
      '1 to 64',
      `writeThreads ${writeThreads} is out of range: use 1 to 64`,
    );
  if (!Number.isSafeInteger(sliceBytes) || sliceBytes < 4096 || sliceBytes > 1 << 30)
    refuse(
      at,
      'sliceBytes',
      sliceBytes,
      '4 KiB to 1 GiB',
      `sliceBytes ${sliceBytes} is out of range: use 4 KiB to 1 GiB`,
    );
  if (!(maxCompressionRatio >= 1))
    refuse(
      at,
      'maxCompressionRatio',
      maxCompressionRatio,
      'at least 1',
      `maxCompressionRatio ${maxCompressionRatio} must be at least 1`,
    );
  return resolved;
}

/** The chunk size of one serialize call, checked. */
export function resolveChunkBytes(file: string, objectPath: string, options: ObjectSerializeOptions): number {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1024 || chunkBytes > 64 << 20) {
    refuse(
      `${file}:${objectPath}: `,
      'chunkBytes',
      chunkBytes,
      '1 KiB to 64 MiB',
      `chunkBytes ${chunkBytes} is out of range: use 1 KiB to 64 MiB (1-4 MiB reads and compresses best)`,
    );
  }
  return chunkBytes;
}

/** Typed arrays at least this large become datasets. */
export function datasetThreshold(options: ObjectSerializeOptions): number {
  return Math.max(MIN_DATASET_BYTES, options.arrayThresholdBytes ?? DEFAULT_ARRAY_THRESHOLD_BYTES);
}

function refuse(at: string, option: string, value: unknown, allowed: string, detail: string): never {
  throw new InvalidOptionError({ option, value, allowed, message: `${at}${detail}` });
}

/** The codec of one serialize call, checked; a bad option names the file and object, as every option error here does. */
export function resolveCodecAt(file: string, objectPath: string, options: CodecOptions): ResolvedCodec {
  try {
    return resolveCodec(options);
  } catch (error) {
    if (isHpcError(error, 'InvalidOption')) error.message = `${file}:${objectPath}: ${error.message}`;
    throw error;
  }
}
