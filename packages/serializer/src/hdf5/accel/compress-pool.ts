import { availableParallelism } from 'node:os';
import { checksumOf } from '../format/chunk-checksums.ts';
import { locateBloscPlugin } from '../h5wasm-runtime.ts';
import { type BloscHost, loadBloscHost } from './blosc-host.ts';
import { type PooledWorker, WorkerPool, WorkerTasks } from './worker-pool.ts';

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
  /** Where the compressed frame goes: chunk bytes + 16, room for any Blosc frame of the chunk. */
  output: Uint8Array;
  cdValues: number[];
  /** The chunk's own bytes (the edge chunk's are fewer): what its CRC-32 covers. */
  dataBytes: number;
  /** Compute the CRC-32 (false only for the benchmark's checksums-off row). */
  checksum: boolean;
}

/**
 * Both buffers travel back with the result (`bytes` is a view of `output`), to carry the next
 * chunks: no fresh pages for each chunk, on either thread.
 */
export type CompressReply =
  | { id: number; bytes: Uint8Array; crc: number; chunk: Uint8Array; output: Uint8Array }
  | { id: number; error: string; chunk: Uint8Array; output: Uint8Array };

/** A compressed chunk; `release` hands its memory back for later chunks once it has been copied. */
export interface CompressedChunk {
  bytes: Uint8Array;
  /** CRC-32 of the chunk's own uncompressed bytes (computed where they are, before compressing). */
  crc: number;
  release(): void;
}

/**
 * Compresses one chunk into the Blosc frame the file stores (see BloscHost.compress). `data` is
 * the chunk's elements; an edge chunk's are fewer than `chunkBytes` and are padded with zeros.
 */
export type ChunkCompressor = (
  data: Uint8Array,
  chunkBytes: number,
  cdValues: number[],
  checksum: boolean,
) => Promise<CompressedChunk>;

const compressors = new WorkerPool('compress-worker', import.meta.url, () => ({
  bloscPlugin: locateBloscPlugin(),
}));
interface PendingTask {
  resolve: (chunk: CompressedChunk) => void;
  reject: (error: Error) => void;
}
const inFlight = new WeakMap<PooledWorker, WorkerTasks<PendingTask>>();
let nextId = 1;
let localHost: BloscHost | undefined;
/** Chunk and output buffers back from the workers, by size, ready to carry the next chunks. */
const spareBuffers = new Map<number, ArrayBuffer[]>();

export function defaultWriteThreads(): number {
  return Math.min(4, availableParallelism());
}

/** Compresses on the calling thread (small arrays, or no worker script in this bundle). */
export const compressHere: ChunkCompressor = async (data, chunkBytes, cdValues, checksum) => {
  localHost ??= loadBloscHost(locateBloscPlugin());
  const crc = checksumOf(data, checksum);
  const output = spareBuffer(chunkBytes + BLOSC_FRAME_OVERHEAD);
  const bytes = localHost.compress(data, chunkBytes, cdValues, output);
  return { bytes, crc, release: () => keepSpare(output) };
};

/** A Blosc 1 frame is at most the chunk plus its 16-byte header (the memcpyed frame). */
const BLOSC_FRAME_OVERHEAD = 16;

/**
 * A compressor backed by `threads` worker threads (each task goes to the least busy one), or
 * undefined when this build has no worker script.
 */
export function compressorThreads(threads: number): ChunkCompressor | undefined {
  const pool = compressors.take(threads, listen);
  if (pool.length === 0) return undefined;
  return (data, chunkBytes, cdValues, checksum) =>
    new Promise((resolve, reject) => {
      const pooled = pool.reduce((best, next) => (next.busy < best.busy ? next : best));
      const id = nextId++;
      (inFlight.get(pooled) as WorkerTasks<PendingTask>).add(id, { resolve, reject });
      // A copy of the chunk travels (the caller's array stays whole and usable).
      const chunk = spareBuffer(chunkBytes);
      chunk.set(data);
      if (data.byteLength < chunkBytes) chunk.fill(0, data.byteLength);
      const output = spareBuffer(chunkBytes + BLOSC_FRAME_OVERHEAD);
      const task: CompressTask = { id, chunk, output, cdValues, dataBytes: data.byteLength, checksum };
      pooled.worker.postMessage(task, [chunk.buffer, output.buffer]);
    });
}

function spareBuffer(bytes: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(spareBuffers.get(bytes)?.pop() ?? new ArrayBuffer(bytes));
}

function keepSpare(view: Uint8Array): void {
  const buffer = view.buffer as ArrayBuffer;
  const spares = spareBuffers.get(buffer.byteLength);
  if (!spares) spareBuffers.set(buffer.byteLength, [buffer]);
  else if (spares.length < 16) spares.push(buffer);
}

/** Routes a new worker's replies to their tasks (which fail if it dies). */
function listen(pooled: PooledWorker): void {
  const tasks = new WorkerTasks<PendingTask>(pooled, (code) => `a compressor thread exited (code ${code})`);
  inFlight.set(pooled, tasks);
  pooled.worker.on('message', (reply: CompressReply) => {
    keepSpare(reply.chunk);
    const task = tasks.settle(reply.id);
    if (!task || !('bytes' in reply)) keepSpare(reply.output);
    if (!task) return;
    if ('bytes' in reply)
      task.resolve({ bytes: reply.bytes, crc: reply.crc, release: () => keepSpare(reply.output) });
    else task.reject(new Error(`Blosc compression failed in a worker thread: ${reply.error}`));
  });
}
