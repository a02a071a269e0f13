import { parentPort, workerData } from 'node:worker_threads';
import { type BloscHost, loadBloscHost } from './blosc-host.ts';
import type { CompressReply, CompressTask } from './compress-pool.ts';

/**
 * A compressor thread: runs h5wasm-plugins' Blosc code (no HDF5, no h5wasm) on whole chunks and
 * sends each compressed chunk back as a transferred buffer. Knows nothing about files.
 */
const port = parentPort;
if (!port) throw new Error('compress-worker must run in a worker thread');
let host: BloscHost | undefined;

port.on('message', (task: CompressTask) => {
  try {
    host ??= loadBloscHost((workerData as { bloscPlugin: string }).bloscPlugin);
    const bytes = host.compress(task.chunk, task.chunk.byteLength, task.cdValues);
    port.postMessage({ id: task.id, bytes, chunk: task.chunk } satisfies CompressReply, [
      bytes.buffer as ArrayBuffer,
      task.chunk.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    port.postMessage(
      {
        id: task.id,
        error: error instanceof Error ? error.message : String(error),
        chunk: task.chunk,
      } satisfies CompressReply,
      [task.chunk.buffer as ArrayBuffer],
    );
  }
});
