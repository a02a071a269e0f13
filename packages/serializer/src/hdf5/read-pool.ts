import { availableParallelism } from 'node:os';
import { markBusy, markIdle, type PooledWorker, WorkerPool } from './worker-pool.ts';

/**
 * Parallel decompression for large reads. h5wasm is single-threaded and synchronous, so big
 * arrays are split into chunk-aligned ranges and read by worker threads, each with its own wasm
 * instance; the main thread copies the slices they send into the result. Workers start on first
 * use, stay for later reads, and never keep the process alive when idle.
 */
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
}

export type ReadReply =
  | { id: number; offset: number; bytes: Uint8Array }
  | { id: number; done: true }
  | { id: number; error: string };

const readers = new WorkerPool('read-worker', import.meta.url);
let nextId = 1;

export function defaultReadThreads(): number {
  return Math.min(4, availableParallelism());
}

export function parallelReadsAvailable(): boolean {
  return readers.available;
}

/**
 * Reads `[start, start + count)` of the dataset into `target` (a byte view of the result) with
 * `threads` threads: the calling thread reads the first share itself (straight into the result,
 * yielding between slices so worker replies are copied as they come and do not pile up), and
 * `threads - 1` workers read the others.
 */
export async function readInParallel(
  request: Omit<ReadJob, 'id' | 'rangeStart'>,
  target: Uint8Array,
  threads: number,
  readHere: (start: number, count: number) => void,
): Promise<void> {
  const pool = readers.take(threads - 1);
  const { start, count, chunk, bytesPerElement, sliceBytes } = request;
  // Shares of whole chunks, one per thread.
  const chunks = Math.ceil(count / chunk);
  const share = Math.ceil(chunks / (pool.length + 1)) * chunk;
  const jobs: ReadJob[] = [];
  for (let offset = share; offset < count; offset += share) {
    jobs.push({
      ...request,
      id: nextId++,
      rangeStart: start,
      start: start + offset,
      count: Math.min(share, count - offset),
    });
  }
  const remote = Promise.all(
    jobs.map((job, index) => runJob(pool[index] as PooledWorker, job, target, bytesPerElement)),
  );
  remote.catch(() => {});
  const own = Math.min(share, count);
  const step = Math.max(chunk, Math.floor(sliceBytes / bytesPerElement / chunk) * chunk);
  for (let done = 0; done < own; done += step) {
    readHere(start + done, Math.min(step, own - done));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await remote;
}

function runJob(
  pooled: PooledWorker,
  job: ReadJob,
  target: Uint8Array,
  bytesPerElement: number,
): Promise<void> {
  const { worker } = pooled;
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      markIdle(pooled);
      if (error) reject(error);
      else resolve();
    };
    const onMessage = (reply: ReadReply) => {
      if (reply.id !== job.id) return;
      if ('bytes' in reply) target.set(reply.bytes, reply.offset * bytesPerElement);
      else if ('done' in reply) finish();
      else finish(new Error(reply.error));
    };
    const onError = (error: Error) => finish(error);
    const onExit = (code: number) => finish(new Error(`the read worker exited (code ${code})`));
    markBusy(pooled);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(job);
  });
}
