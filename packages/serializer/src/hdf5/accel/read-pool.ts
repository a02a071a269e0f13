import { availableParallelism } from 'node:os';
import { CorruptFileError } from '../../errors.ts';
import type { DatasetRead } from '../format/array-dataset.ts';
import { ExternalReferenceError, quoteFromFile } from '../hdf5-errors.ts';
import {
  type ReadJob,
  type ReadReply,
  type ReadRing,
  RING_HEADER_BYTES,
  RING_SLOTS,
  ringFlags,
  ringSlot,
  SLOT_BYTES,
} from './read-ring.ts';
import { type PooledWorker, WorkerPool, WorkerTasks } from './worker-pool.ts';

/**
 * Parallel decompression for large reads. h5wasm is single-threaded and synchronous, so big
 * arrays are split into shares of whole chunks and read by worker threads, each with its own wasm
 * instance (and its own guard: it may open only the crate); the main thread copies the pieces
 * they send into the result. Workers start on first use, stay for later reads, and never keep
 * the process alive when idle.
 */
const readers = new WorkerPool('read-worker', import.meta.url);
let nextId = 1;

/** A job in flight: where its pieces go, and how it ends. */
interface ActiveJob {
  target: Uint8Array;
  bytesPerElement: number;
  crate: string;
  objectPath: string;
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
    else {
      const job = jobs.settle(reply.id);
      job?.reject(replyError(reply, job));
    }
  });
}

/** The typed error a worker's failure reply stands for (a plain Error for HDF5's own reports). */
function replyError(reply: ReadReply, job: ActiveJob): Error {
  const { crate, objectPath } = job;
  if ('corrupt' in reply) return new CorruptFileError(crate, reply.corrupt, { objectPath });
  if ('refused' in reply)
    return new ExternalReferenceError(
      crate,
      objectPath,
      reply.activity ?? 'the object',
      `reads from another file (${quoteFromFile(reply.refused)})`,
    );
  if ('crashed' in reply)
    return new CorruptFileError(
      crate,
      `the HDF5 library crashed while reading it in a worker thread (${reply.crashed}); the worker was replaced`,
      { objectPath },
    );
  return new Error('error' in reply ? reply.error : 'unexpected reply from a read worker');
}

export function defaultReadThreads(): number {
  return Math.min(4, availableParallelism());
}

export function parallelReadsAvailable(): boolean {
  return readers.available;
}

export interface ParallelRead {
  crate: string;
  objectPath: string;
  /** The whole range, its dataset chunked (each share is whole chunks). */
  read: DatasetRead;
  sliceBytes: number;
}

/** The part of `read` inside chunks [first, end), with only those chunks' checksums. */
function share(read: DatasetRead, first: number, end: number): DatasetRead {
  const { start, count, chunk, checks } = read;
  const from = Math.max(start, first * chunk);
  const to = Math.min(start + count, end * chunk);
  const own = checks && {
    ...checks,
    crcs: checks.crcs.slice(first - checks.firstUnit, end - checks.firstUnit),
    firstUnit: first,
  };
  return { ...read, start: from, count: to - from, checks: own };
}

/**
 * The calling thread's part of a parallel read, with one worker (divided among more). It also
 * copies every worker's pieces into the result and takes the result's first-touch page faults:
 * measured on 256 MiB, 130 ms of CPU with no chunks of its own, while a worker decompressing and
 * verifying everything took 150 ms. With 15% of the chunks each thread spent ~140 ms; with an
 * equal half the calling thread spent 170 ms and the worker 68 ms idled the rest.
 */
const CALLING_THREAD_SHARE = 0.15;

/**
 * Reads the range into `target` (a byte view of the result) with `threads` threads, split into
 * shares of whole chunks: the calling thread reads the first (small) share itself, straight into
 * the result, a slice at a time, yielding between slices so worker pieces are copied as they
 * come; `threads - 1` workers read the others. Every thread verifies the chunks it decompresses.
 */
export async function readInParallel(
  request: ParallelRead,
  target: Uint8Array,
  threads: number,
  readHere: (part: DatasetRead) => void,
): Promise<void> {
  const pool = readers.take(threads - 1, listen);
  const { read, sliceBytes } = request;
  const { start, count, chunk, bytesPerElement } = read;
  const firstChunk = Math.floor(start / chunk);
  const endChunk = Math.ceil((start + count) / chunk);
  const chunks = endChunk - firstChunk;
  const own = Math.floor(chunks * (pool.length === 0 ? 1 : CALLING_THREAD_SHARE / pool.length));
  const perWorker = Math.ceil((chunks - own) / Math.max(1, pool.length));
  const remote: Promise<void>[] = [];
  for (let first = firstChunk + own; first < endChunk; first += perWorker) {
    const pooled = pool[remote.length] as PooledWorker;
    const reader = readerStates.get(pooled) as Reader;
    const job: ReadJob = {
      id: nextId++,
      file: request.crate,
      read: share(read, first, Math.min(endChunk, first + perWorker)),
      rangeStart: start,
      sliceBytes,
      ring: reader.ring,
    };
    remote.push(
      new Promise((resolve, reject) => {
        const { crate, objectPath } = request;
        reader.jobs.add(job.id, { target, bytesPerElement, crate, objectPath, resolve, reject });
        pooled.worker.postMessage(job);
      }),
    );
  }
  const all = Promise.all(remote);
  all.catch(() => {});
  const ownEnd = firstChunk + own;
  const step = Math.max(1, Math.floor(sliceBytes / bytesPerElement / chunk));
  for (let first = firstChunk; first < ownEnd; first += step) {
    readHere(share(read, first, Math.min(ownEnd, first + step)));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await all;
}
