import { availableParallelism } from 'node:os';
import { type PooledWorker, WorkerPool, WorkerTasks } from './worker-pool.ts';

/**
 * Parallel decompression for large reads. h5wasm is single-threaded and synchronous, so big
 * arrays are split into chunk-aligned ranges and read by worker threads, each with its own wasm
 * instance; the main thread copies the pieces they send into the result. Workers start on first
 * use, stay for later reads, and never keep the process alive when idle.
 *
 * Pieces travel through a small ring of shared memory per worker (RING_SLOTS slots of SLOT_BYTES),
 * not as fresh buffers: a fresh buffer per piece costs a page fault per 4 KiB on both threads,
 * which took longer than the decompression itself. The worker waits for a free slot; the main
 * thread frees each slot once it has copied it.
 */
const RING_SLOTS = 4;
const SLOT_BYTES = 4 << 20;
/** Slot flags (Int32, 1 = holds a piece not yet copied), padded to a cache line, then the slots. */
const RING_HEADER_BYTES = 64;

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
  file: string;
  path: string;
  bytesPerElement: number;
  /** First element of the whole read (offsets in replies are relative to it). */
  rangeStart: number;
  start: number;
  count: number;
  chunk: number;
  sliceBytes: number;
  ring: ReadRing;
}

export type ReadReply =
  | { id: number; offset: number; slot: number; length: number }
  | { id: number; done: true }
  | { id: number; error: string };

const readers = new WorkerPool('read-worker', import.meta.url);
let nextId = 1;

/** A job in flight: where its pieces go, and how it ends. */
interface ActiveJob {
  target: Uint8Array;
  bytesPerElement: number;
  resolve: () => void;
  reject: (error: Error) => void;
}
interface Reader {
  /** One ring per worker, for every job it runs (a worker runs its jobs one after another). */
  ring: ReadRing;
  jobs: WorkerTasks<ActiveJob>;
}
const readerStates = new WeakMap<PooledWorker, Reader>();

/**
 * A new worker's ring, and the one listener for all its jobs: it copies each piece into its job's
 * result and always frees the slot, even for a job that already failed, so the ring never jams.
 */
function listen(pooled: PooledWorker): void {
  const ring: ReadRing = {
    shared: new SharedArrayBuffer(RING_HEADER_BYTES + RING_SLOTS * SLOT_BYTES),
    slots: RING_SLOTS,
    slotBytes: SLOT_BYTES,
  };
  const jobs = new WorkerTasks<ActiveJob>(pooled, (code) => `the read worker exited (code ${code})`);
  readerStates.set(pooled, { ring, jobs });
  const flags = ringFlags(ring);
  pooled.worker.on('message', (reply: ReadReply) => {
    if ('slot' in reply) {
      const job = jobs.get(reply.id);
      job?.target.set(
        ringSlot(ring, reply.slot).subarray(0, reply.length),
        reply.offset * job.bytesPerElement,
      );
      Atomics.store(flags, reply.slot, 0);
      Atomics.notify(flags, reply.slot);
    } else if ('done' in reply) jobs.settle(reply.id)?.resolve();
    else jobs.settle(reply.id)?.reject(new Error(reply.error));
  });
}

export function defaultReadThreads(): number {
  return Math.min(4, availableParallelism());
}

export function parallelReadsAvailable(): boolean {
  return readers.available;
}

/**
 * Reads `[start, start + count)` of the dataset into `target` (a byte view of the result) with
 * `threads` threads: the calling thread reads the first share itself (straight into the result,
 * yielding between slices so worker pieces are copied as they come), and `threads - 1` workers
 * read the others.
 */
export async function readInParallel(
  request: Omit<ReadJob, 'id' | 'rangeStart' | 'ring'>,
  target: Uint8Array,
  threads: number,
  readHere: (start: number, count: number) => void,
): Promise<void> {
  const pool = readers.take(threads - 1, listen);
  const { start, count, chunk, bytesPerElement, sliceBytes } = request;
  // Shares of whole chunks, one per thread.
  const chunks = Math.ceil(count / chunk);
  const share = Math.ceil(chunks / (pool.length + 1)) * chunk;
  const remote: Promise<void>[] = [];
  for (let offset = share; offset < count; offset += share) {
    const pooled = pool[remote.length] as PooledWorker;
    const reader = readerStates.get(pooled) as Reader;
    const job: ReadJob = {
      ...request,
      id: nextId++,
      rangeStart: start,
      start: start + offset,
      count: Math.min(share, count - offset),
      ring: reader.ring,
    };
    remote.push(
      new Promise((resolve, reject) => {
        reader.jobs.add(job.id, { target, bytesPerElement, resolve, reject });
        pooled.worker.postMessage(job);
      }),
    );
  }
  const all = Promise.all(remote);
  all.catch(() => {});
  const own = Math.min(share, count);
  const step = Math.max(chunk, Math.floor(sliceBytes / bytesPerElement / chunk) * chunk);
  for (let done = 0; done < own; done += step) {
    readHere(start + done, Math.min(step, own - done));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await all;
}
