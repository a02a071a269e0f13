import type { StoredTypedArray } from '../typed-arrays.ts';
import type { ResolvedCodec } from './codecs.ts';
import { constructorFor, TYPED_ARRAY_DTYPES, type TypedArrayName } from './dtypes.ts';
import type { H5Group, H5Module } from './h5wasm-runtime.ts';

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
    throw new RangeError(
      `the wasm heap could not allocate ${bytes} bytes (its limit is 2 GiB); lower sliceBytes`,
    );
  return pointer;
}

/** Writes `view` as `<group>/<name>`: chunked and compressed unless the codec is 'none' and it fits one slice. */
export function writeArrayDataset(
  module: H5Module,
  group: H5Group,
  name: string,
  view: StoredTypedArray,
  kind: TypedArrayName,
  options: ArrayLayoutOptions,
): void {
  const length = view.length;
  const bpe = view.BYTES_PER_ELEMENT;
  const chunk = chunkLength(length, bpe, options.chunkBytes);
  const slice = sliceLength(chunk, bpe, options.sliceBytes);
  const firstLength = Math.min(length, slice);
  const filter = options.codec.filter;
  const contiguous = !filter && firstLength === length;
  // The array's own bytes (not its whole backing buffer: views are written exactly).
  const first = new (constructorFor(kind))(view.buffer, view.byteOffset, firstLength) as StoredTypedArray;
  group.create_dataset({
    name,
    data: first as never,
    shape: [firstLength],
    maxshape: [length],
    dtype: TYPED_ARRAY_DTYPES[kind],
    chunks: contiguous ? null : [chunk],
    ...(filter ? { compression: filter.compression, compression_opts: filter.compressionOpts } : {}),
  });
  if (firstLength === length) return;

  const path = datasetPath(group, name);
  module.resize_dataset(group.file_id, path, [BigInt(length)]);
  const pointer = mallocOrThrow(module, slice * bpe);
  try {
    for (let start = firstLength; start < length; start += slice) {
      const count = Math.min(slice, length - start);
      module.HEAPU8.set(bytesOf(view, start, count), pointer);
      module.set_dataset_data(group.file_id, path, [BigInt(count)], [BigInt(start)], [1n], BigInt(pointer));
    }
  } finally {
    module._free(pointer);
  }
}

/**
 * Reads `count` elements from `start` of a 1-D dataset into a new typed array (or `into`), one
 * slice of whole chunks at a time through a reused heap buffer. The caller has checked the sizes.
 */
export function readArrayDataset(
  module: H5Module,
  fileId: bigint,
  path: string,
  kind: TypedArrayName,
  range: { start: number; count: number; chunk: number },
  sliceBytes: number,
  into?: StoredTypedArray,
): StoredTypedArray {
  const ctor = constructorFor(kind);
  const target = into ?? (new ctor(range.count) as StoredTypedArray);
  forEachSlice(module, fileId, path, ctor.BYTES_PER_ELEMENT, range, sliceBytes, (bytes, done, count) => {
    bytesOf(target, done, count).set(bytes);
  });
  return target;
}

/**
 * Reads the range slice by slice and hands each slice's bytes (a view into the wasm heap, valid
 * only during the call) to `sink` with its element offset within the range.
 */
export function forEachSlice(
  module: H5Module,
  fileId: bigint,
  path: string,
  bpe: number,
  range: { start: number; count: number; chunk: number },
  sliceBytes: number,
  sink: (bytes: Uint8Array, done: number, count: number) => void,
): void {
  if (range.count === 0) return;
  const slice = Math.min(range.count, sliceLength(range.chunk, bpe, sliceBytes));
  const pointer = mallocOrThrow(module, slice * bpe);
  try {
    let done = 0;
    while (done < range.count) {
      // Align slice ends to chunk boundaries of the dataset, so no chunk is decompressed twice.
      const absolute = range.start + done;
      let count = Math.min(slice, range.count - done);
      const end = absolute + count;
      if (end < range.start + range.count && count > range.chunk) count -= end % range.chunk;
      module.get_dataset_data(fileId, path, [BigInt(count)], [BigInt(absolute)], [1n], BigInt(pointer));
      sink(module.HEAPU8.subarray(pointer, pointer + count * bpe), done, count);
      done += count;
    }
  } finally {
    module._free(pointer);
  }
}
