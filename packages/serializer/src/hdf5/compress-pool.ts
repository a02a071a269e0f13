import { availableParallelism } from 'node:os';
import { type BloscHost, loadBloscHost } from './blosc-host.ts';
import { locateBloscPlugin } from './h5wasm-runtime.ts';
import { markBusy, markIdle, type PooledWorker, WorkerPool } from './worker-pool.ts';

/**
 * Blosc compression of whole chunks, off the HDF5 thread. h5wasm's Blosc filter runs inside
 * HDF5's write call, on one thread; here the same Blosc code (blosc-host.ts) runs on worker
 * threads, so a big array's chunks compress in parallel while the calling thread writes the
 * finished ones. Workers start on first use, stay for later writes, and never keep the process
 * alive when idle. Small arrays compress on the calling thread.
 */
export interface CompressTask {
  id: number;
  /** One whole chunk (the edge chunk padded with zeros, as HDF5 pads it with the fill value). */
  chunk: Uint8Array;
  cdValues: number[];
}

/** The chunk's buffer travels back with the result, to carry the next chunk (no fresh pages each time). */
export type CompressReply =
  | { id: number; bytes: Uint8Array; chunk: Uint8Array }
  | { id: number; error: string; chunk: Uint8Array };

/**
 * Compresses one chunk into the Blosc frame the file stores (see BloscHost.compress). `data` is
 * the chunk's elements; an edge chunk's are fewer than `chunkBytes` and are padded with zeros.
 */
export type ChunkCompressor = (
  data: Uint8Array,
  chunkBytes: number,
  cdValues: number[],
) => Promise<Uint8Array>;

const compressors = new WorkerPool('compress-worker', import.meta.url, () => ({
  bloscPlugin: locateBloscPlugin(),
}));
interface PendingTask {
  resolve: (bytes: Uint8Array) => void;
  reject: (error: Error) => void;
  pooled: PooledWorker;
}
const pending = new Map<number, PendingTask>();
let nextId = 1;
let localHost: BloscHost | undefined;
/** Chunk buffers back from the workers, by size, ready to carry the next chunks. */
const spareBuffers = new Map<number, ArrayBuffer[]>();

export function defaultWriteThreads(): number {
  return Math.min(4, availableParallelism());
}

/** Compresses on the calling thread (small arrays, or no worker script in this bundle). */
export const compressHere: ChunkCompressor = async (data, chunkBytes, cdValues) => {
  localHost ??= loadBloscHost(locateBloscPlugin());
  return localHost.compress(data, chunkBytes, cdValues);
};

/**
 * A compressor backed by `threads` worker threads (each task goes to the least busy one), or
 * undefined when this build has no worker script.
 */
export function compressorThreads(threads: number): ChunkCompressor | undefined {
  const pool = compressors.take(threads, listen);
  if (pool.length === 0) return undefined;
  return (data, chunkBytes, cdValues) =>
    new Promise((resolve, reject) => {
      const pooled = pool.reduce((best, next) => (next.busy < best.busy ? next : best));
      const id = nextId++;
      pending.set(id, { resolve, reject, pooled });
      markBusy(pooled);
      // A copy of the chunk travels (the caller's array stays whole and usable).
      const chunk = new Uint8Array(spareBuffers.get(chunkBytes)?.pop() ?? new ArrayBuffer(chunkBytes));
      chunk.set(data);
      if (data.byteLength < chunkBytes) chunk.fill(0, data.byteLength);
      pooled.worker.postMessage({ id, chunk, cdValues } satisfies CompressTask, [chunk.buffer]);
    });
}

function keepSpare(chunk: Uint8Array): void {
  const spares = spareBuffers.get(chunk.byteLength);
  if (!spares) spareBuffers.set(chunk.byteLength, [chunk.buffer as ArrayBuffer]);
  else if (spares.length < 16) spares.push(chunk.buffer as ArrayBuffer);
}

/** Routes a new worker's replies to their tasks, and fails its tasks if it dies. */
function listen(pooled: PooledWorker): void {
  const { worker } = pooled;
  const settle = (id: number) => {
    const task = pending.get(id);
    if (!task) return undefined;
    pending.delete(id);
    markIdle(pooled);
    return task;
  };
  worker.on('message', (reply: CompressReply) => {
    keepSpare(reply.chunk);
    const task = settle(reply.id);
    if (!task) return;
    if ('bytes' in reply) task.resolve(reply.bytes);
    else task.reject(new Error(`Blosc compression failed in a worker thread: ${reply.error}`));
  });
  const failAll = (error: Error) => {
    for (const [id, task] of pending) {
      if (task.pooled !== pooled) continue;
      settle(id);
      task.reject(error);
    }
  };
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`a compressor thread exited (code ${code})`)));
}
