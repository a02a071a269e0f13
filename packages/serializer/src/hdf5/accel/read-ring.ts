import type { DatasetRead } from '../format/array-dataset.ts';

/**
 * What the main thread and the read workers share for parallel reads (read-pool.ts runs them,
 * read-worker.ts is one; this module imports nothing a worker from sources could not strip).
 *
 * Pieces travel through a small ring of shared memory per worker (RING_SLOTS slots of SLOT_BYTES),
 * not as fresh buffers: a fresh buffer per piece costs a page fault per 4 KiB on both threads,
 * which took longer than the decompression itself. The worker waits for a free slot; the main
 * thread frees each slot once it has copied it.
 */
export const RING_SLOTS = 4;
export const SLOT_BYTES = 4 << 20;
/** Slot flags (Int32, 1 = holds a piece not yet copied), padded to a cache line, then the slots. */
export const RING_HEADER_BYTES = 64;

export interface ReadRing {
  shared: SharedArrayBuffer;
  slots: number;
  slotBytes: number;
}

export function ringFlags(ring: ReadRing): Int32Array {
  return new Int32Array(ring.shared, 0, ring.slots);
}

export function ringSlot(ring: ReadRing, slot: number): Uint8Array {
  return new Uint8Array(ring.shared, RING_HEADER_BYTES + slot * ring.slotBytes, ring.slotBytes);
}

export interface ReadJob {
  id: number;
  /** The crate (the worker's h5wasm instance may open only this file meanwhile). */
  file: string;
  /** The worker's share: whole chunks (its checks hold their CRC-32s), the range's part of them. */
  read: DatasetRead;
  /** First element of the whole read (offsets in replies are relative to it). */
  rangeStart: number;
  sliceBytes: number;
  ring: ReadRing;
}

export type ReadReply =
  | { id: number; offset: number; slot: number; length: number }
  | { id: number; done: true }
  /** A chunk failed its checksum (the detail names dataset and chunk). */
  | { id: number; corrupt: string }
  /** HDF5 tried to open another file (external storage...): refused. */
  | { id: number; refused: string; activity: string | undefined }
  /** The worker's wasm instance trapped; the worker exits and a fresh one takes its place. */
  | { id: number; crashed: string }
  | { id: number; error: string };
