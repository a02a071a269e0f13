import type { StoredTypedArray } from '../../typed-arrays.ts';
import { WasmHeapExhaustedError } from '../accel/worker-errors.ts';
import { guardOf } from '../h5wasm-guard.ts';
import type { H5Group, H5Module } from '../h5wasm-runtime.ts';
import { type ChunkChecks, ChunkVerifier, checksumOf, unitCount } from './chunk-checksums.ts';
import type { ResolvedCodec } from './codecs.ts';
import { constructorFor, TYPED_ARRAY_DTYPES, type TypedArrayName } from './dtypes.ts';

/**
 * Typed arrays to and from 1-D HDF5 datasets, in slices: the wasm heap is capped at 2 GiB and
 * never shrinks, so no call hands h5wasm more than `sliceBytes` at a time. Slices are whole
 * numbers of chunks, so every chunk is compressed exactly once.
 */
export interface ArrayLayoutOptions {
  codec: ResolvedCodec;
  /** Target chunk size in bytes (HDF5 chunks of 1-4 MiB compress and read best). */
  chunkBytes: number;
  /** At most this many bytes cross into the wasm heap per call. */
  sliceBytes: number;
  /** Compute the CRC-32s (false only for the benchmark's checksums-off row: zeros are stored). */
  checksums: boolean;
}

export function chunkLength(length: number, bytesPerElement: number, chunkBytes: number): number {
  return Math.max(1, Math.min(length, Math.floor(chunkBytes / bytesPerElement)));
}

function sliceLength(chunk: number, bytesPerElement: number, sliceBytes: number): number {
  return Math.max(chunk, Math.floor(sliceBytes / bytesPerElement / chunk) * chunk);
}

function bytesOf(view: StoredTypedArray, start: number, count: number): Uint8Array {
  const bpe = view.BYTES_PER_ELEMENT;
  return new Uint8Array(view.buffer, view.byteOffset + start * bpe, count * bpe);
}

/** The absolute path of `name` in `group` (h5wasm's low-level calls take paths from the file root). */
export function datasetPath(group: H5Group, name: string): string {
  return `${group.path === '/' ? '' : group.path}/${name}`;
}

export function mallocOrThrow(module: H5Module, bytes: number): number {
  const pointer = module._malloc(bytes);
  if (!pointer)
    throw new WasmHeapExhaustedError(
      bytes,
      `the wasm heap could not allocate ${bytes} bytes (its limit is 2 GiB); lower sliceBytes`,
    );
  return pointer;
}

/**
 * Writes `view` as `<group>/<name>`: chunked and compressed unless the codec is 'none' and it fits
 * one slice. Returns the CRC-32 of each chunk (one for a contiguous dataset), computed from the
 * source as each slice is copied into the wasm heap.
 */
export function writeArrayDataset(
  module: H5Module,
  group: H5Group,
  name: string,
  view: StoredTypedArray,
  kind: TypedArrayName,
  options: ArrayLayoutOptions,
): Uint32Array {
  const length = view.length;
  const bpe = view.BYTES_PER_ELEMENT;
  const chunk = chunkLength(length, bpe, options.chunkBytes);
  const slice = sliceLength(chunk, bpe, options.sliceBytes);
  const firstLength = Math.min(length, slice);
  const filter = options.codec.filter;
  const contiguous = !filter && firstLength === length;
  const unit = contiguous ? length : chunk;
  const crcs = new Uint32Array(unitCount(length, unit));
  const checksum = (start: number, count: number) => {
    for (let at = start; at < start + count; at += unit)
      crcs[at / unit] = checksumOf(bytesOf(view, at, Math.min(unit, length - at)), options.checksums);
  };
  // The array's own bytes (not its whole backing buffer: views are written exactly).
  const first = new (constructorFor(kind))(view.buffer, view.byteOffset, firstLength) as StoredTypedArray;
  checksum(0, firstLength);
  group.create_dataset({
    name,
    data: first as never,
    shape: [firstLength],
    maxshape: [length],
    dtype: TYPED_ARRAY_DTYPES[kind],
    chunks: contiguous ? null : [chunk],
    ...(filter ? { compression: filter.compression, compression_opts: filter.compressionOpts } : {}),
  });
  if (firstLength === length) return crcs;

  const path = datasetPath(group, name);
  module.resize_dataset(group.file_id, path, [BigInt(length)]);
  const pointer = mallocOrThrow(module, slice * bpe);
  try {
    for (let start = firstLength; start < length; start += slice) {
      const count = Math.min(slice, length - start);
      checksum(start, count);
      module.HEAPU8.set(bytesOf(view, start, count), pointer);
      module.set_dataset_data(group.file_id, path, [BigInt(count)], [BigInt(start)], [1n], BigInt(pointer));
    }
  } finally {
    module._free(pointer);
  }
  return crcs;
}

/** A read of elements [start, start + count) of a 1-D dataset, checked by inspectArrayDataset. */
export interface DatasetRead {
  path: string;
  start: number;
  count: number;
  /** The dataset's chunk length: slices of the read end on chunk boundaries. */
  chunk: number;
  bytesPerElement: number;
  /** The checksums the data is verified against; undefined when it is not (version 1, on request). */
  checks: ChunkChecks | undefined;
}

/** Throws the caller's typed error (CorruptFileError naming file and object) with the detail. */
export type FailRead = (detail: string) => never;

/**
 * Reads the range into a new typed array (or `into`), one slice of whole chunks at a time
 * through a reused heap buffer, verifying every chunk it covers. The caller has checked the sizes.
 */
export function readArrayDataset(
  module: H5Module,
  fileId: bigint,
  kind: TypedArrayName,
  read: DatasetRead,
  sliceBytes: number,
  fail: FailRead,
  into?: StoredTypedArray,
): StoredTypedArray {
  const target = into ?? (new (constructorFor(kind))(read.count) as StoredTypedArray);
  forEachSlice(module, fileId, read, sliceBytes, fail, (bytes, done, count) => {
    bytesOf(target, done, count).set(bytes);
  });
  return target;
}

/**
 * Reads the units (chunks) covering the range, slice by slice, verifies each as it comes out of
 * HDF5, and hands the range's part of each slice (a view into the wasm heap, valid only during
 * the call) to `sink` with its element offset within the range. A partial read so reads and
 * verifies whole chunks, as HDF5 decompresses them anyway.
 */
export function forEachSlice(
  module: H5Module,
  fileId: bigint,
  read: DatasetRead,
  sliceBytes: number,
  fail: FailRead,
  sink: (bytes: Uint8Array, done: number, count: number) => void,
): void {
  const { path, start, count, chunk, checks, bytesPerElement: bpe } = read;
  if (count === 0) return;
  const unit = checks?.unit ?? 1;
  const from = Math.floor(start / unit) * unit;
  const to = Math.min(checks?.length ?? start + count, Math.ceil((start + count) / unit) * unit);
  const verifier = checks && new ChunkVerifier(checks, bpe, from, `dataset ${path}`, fail);
  const slice = Math.min(to - from, sliceLength(chunk, bpe, sliceBytes));
  const guard = guardOf(module);
  const pointer = mallocOrThrow(module, slice * bpe);
  try {
    for (let at = from; at < to; ) {
      let length = Math.min(slice, to - at);
      // Slices end on chunk boundaries of the dataset, so no chunk is decompressed twice.
      const end = at + length;
      if (end < to && length > chunk) length -= end % chunk;
      guard.activity = `dataset ${path}`;
      module.get_dataset_data(fileId, path, [BigInt(length)], [BigInt(at)], [1n], BigInt(pointer));
      guard.activity = undefined;
      const bytes = module.HEAPU8.subarray(pointer, pointer + length * bpe);
      verifier?.update(bytes);
      const first = Math.max(at, start);
      const last = Math.min(at + length, start + count);
      if (last > first)
        sink(bytes.subarray((first - at) * bpe, (last - at) * bpe), first - start, last - first);
      at += length;
    }
    verifier?.finish();
  } finally {
    guard.activity = undefined;
    module._free(pointer);
  }
}
