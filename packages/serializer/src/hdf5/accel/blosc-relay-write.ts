import type { StoredTypedArray } from '../../typed-arrays.ts';
import { type ArrayLayoutOptions, chunkLength, datasetPath, mallocOrThrow } from '../format/array-dataset.ts';
import { constructorFor, TYPED_ARRAY_DTYPES, type TypedArrayName } from '../format/dtypes.ts';
import type { H5Group, H5Module } from '../h5wasm-runtime.ts';
import type { ChunkCompressor, CompressedChunk } from './compress-pool.ts';
import { WorkerSafeInternalError } from './worker-errors.ts';

/**
 * Writes a typed array as a Blosc dataset whose chunks were compressed outside HDF5 (on worker
 * threads for big arrays), through the chunk relay filter of the writing h5wasm instance
 * (wasm/chunk-relay.wat): each chunk is written as a 16-byte ticket naming its compressed bytes
 * in the wasm heap, and the relay hands HDF5 that very buffer, which HDF5 writes and frees. The
 * file is the same as if h5wasm's Blosc filter had compressed it: same parameters, same Blosc
 * code, same chunks.
 */
const TICKET_MAGIC = [0x2d637068, 0x31796c72] as const; // "hpc-" "rly1", as the relay checks
const TICKET_BYTES = 16;
/** Filter parameters Blosc's own set_local would write: its version, the format, typesize and chunk bytes. */
const FILTER_BLOSC_VERSION = 2;
const BLOSC_VERSION_FORMAT = 2;

/**
 * Chunk length in elements: as for every dataset, unless that would leave an edge chunk too small
 * to hold a ticket; then the chunks are evened out (same count, the edge one nearly full).
 */
export function relayChunkLength(length: number, bytesPerElement: number, chunkBytes: number): number {
  const chunk = chunkLength(length, bytesPerElement, chunkBytes);
  const edge = length % chunk;
  if (edge === 0 || edge * bytesPerElement >= TICKET_BYTES) return chunk;
  return Math.ceil(length / Math.ceil(length / chunk));
}

export interface RelayWriteOptions extends ArrayLayoutOptions {
  compress: ChunkCompressor;
  /** How many chunks may be compressing ahead of the one being written. */
  ahead: number;
}

/** Writes the dataset; returns the CRC-32 of each chunk's own bytes, computed by the compressors. */
export async function writeRelayedBloscDataset(
  module: H5Module,
  group: H5Group,
  name: string,
  view: StoredTypedArray,
  kind: TypedArrayName,
  options: RelayWriteOptions,
): Promise<Uint32Array> {
  const filter = options.codec.filter;
  if (!filter) throw new WorkerSafeInternalError('writeRelayedBloscDataset needs a Blosc codec');
  const length = view.length;
  const bpe = view.BYTES_PER_ELEMENT;
  const chunk = relayChunkLength(length, bpe, options.chunkBytes);
  const chunkBytes = chunk * bpe;
  if (chunkBytes < TICKET_BYTES)
    throw new WorkerSafeInternalError(`chunks of ${chunkBytes} bytes are too small to relay`);
  const cdValues = [
    FILTER_BLOSC_VERSION,
    BLOSC_VERSION_FORMAT,
    bpe,
    chunkBytes,
    ...filter.compressionOpts.slice(4),
  ];
  const chunks = Math.ceil(length / chunk);
  const crcs = new Uint32Array(chunks);

  /** Chunk `index`'s own elements (the compressor pads the edge chunk as HDF5 would). */
  const chunkData = (index: number): Uint8Array => {
    const start = index * chunk;
    const count = Math.min(chunk, length - start);
    return new Uint8Array(view.buffer, view.byteOffset + start * bpe, count * bpe);
  };
  const queue: Promise<CompressedChunk>[] = [];
  let queued = 0;
  const fillQueue = () => {
    while (queued < chunks && queue.length < options.ahead) {
      const compressed = options.compress(chunkData(queued++), chunkBytes, cdValues, options.checksums);
      compressed.catch(() => {}); // awaited in order below; a failure surfaces there
      queue.push(compressed);
    }
  };

  // Only the ticket's elements are written: HDF5 fills the rest of the chunk (the relay ignores
  // it), which costs less than copying a whole chunk of placeholder data.
  const ticketElements = Math.ceil(TICKET_BYTES / bpe);
  const ticket = new Uint8Array(ticketElements * bpe);
  const ticketView = new DataView(ticket.buffer);
  ticketView.setUint32(0, TICKET_MAGIC[0], true);
  ticketView.setUint32(4, TICKET_MAGIC[1], true);

  const path = datasetPath(group, name);
  let ticketAddress = 0;
  try {
    for (let index = 0; index < chunks; index++) {
      fillQueue();
      const { bytes: compressed, crc, release } = await (queue.shift() as Promise<CompressedChunk>);
      crcs[index] = crc;
      // This chunk's own buffer: HDF5 frees it once written. (If the write fails before the relay
      // runs, it stays allocated in the writing instance: one chunk, on an error path.)
      const payload = mallocOrThrow(module, compressed.byteLength);
      module.HEAPU8.set(compressed, payload);
      release();
      ticketView.setUint32(8, payload, true);
      ticketView.setUint32(12, compressed.byteLength, true);
      if (index === 0) {
        // Created holding chunk 0's ticket (h5wasm writes whatever data a dataset is created with),
        // then extended to its real length.
        group.create_dataset({
          name,
          data: new (constructorFor(kind))(ticket.buffer, 0, ticketElements) as never,
          shape: [ticketElements],
          maxshape: [length],
          dtype: TYPED_ARRAY_DTYPES[kind],
          chunks: [chunk],
          compression: filter.compression,
          compression_opts: cdValues,
        });
        module.resize_dataset(group.file_id, path, [BigInt(length)]);
        continue;
      }
      ticketAddress ||= mallocOrThrow(module, ticket.byteLength);
      module.HEAPU8.set(ticket, ticketAddress);
      const start = BigInt(index * chunk);
      module.set_dataset_data(
        group.file_id,
        path,
        [BigInt(ticketElements)],
        [start],
        [1n],
        BigInt(ticketAddress),
      );
    }
  } finally {
    module._free(ticketAddress);
  }
  return crcs;
}
