import type { StoredTypedArray } from '../../typed-arrays.ts';
import { writeRelayedBloscDataset } from '../accel/blosc-relay-write.ts';
import { compressHere, compressorThreads } from '../accel/compress-pool.ts';
import type { H5Group, H5Runtime } from '../h5wasm-runtime.ts';
import { type ArrayLayoutOptions, writeArrayDataset } from './array-dataset.ts';
import { FILTER_BLOSC } from './codecs.ts';
import type { TypedArrayName } from './dtypes.ts';

/** Arrays at least this large compress on worker threads; smaller ones on the calling thread. */
const PARALLEL_WRITE_MIN_BYTES = 16 << 20;

/** Writes one array's dataset; resolves to the CRC-32 of each of its chunks. */
export type ArrayWriter = (
  parent: H5Group,
  name: string,
  view: StoredTypedArray,
  kind: TypedArrayName,
) => Promise<Uint32Array>;

/**
 * How each array of an object is written, in the writing h5wasm instance: Blosc datasets through
 * the chunk relay (compressed outside HDF5, in parallel when big), other codecs (and Blosc where
 * there is no relay) by h5wasm's own filters, or uncompressed.
 */
export function arrayWriter(
  runtime: H5Runtime,
  layout: ArrayLayoutOptions,
  writeThreads: number,
): ArrayWriter {
  const { module } = runtime;
  return async (parent, name, view, kind) => {
    if (!runtime.relay || layout.codec.filter?.compression !== FILTER_BLOSC)
      return writeArrayDataset(module, parent, name, view, kind, layout);
    // The calling thread counts as one: it runs HDF5 and the file writes, which is as much work
    // as a compressing thread does (a worker per core would starve it: measured slower on 2 cores).
    const workers = writeThreads - 1;
    const threads =
      view.byteLength >= PARALLEL_WRITE_MIN_BYTES && workers > 0 ? compressorThreads(workers) : undefined;
    return writeRelayedBloscDataset(module, parent, name, view, kind, {
      ...layout,
      compress: threads ?? compressHere,
      // Enough queued work to keep every worker busy while this thread writes.
      ahead: threads ? 2 * workers : 1,
    });
  };
}
