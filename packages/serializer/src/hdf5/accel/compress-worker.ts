import { parentPort, workerData } from 'node:worker_threads';
import { checksumOf } from '../format/chunk-checksums.ts';
import { type BloscHost, loadBloscHost } from './blosc-host.ts';
import type { CompressReply, CompressTask } from './compress-pool.ts';
import { WorkerSafeInternalError } from './worker-errors.ts';

/**
 * A compressor thread: runs h5wasm-plugins' Blosc code (no HDF5, no h5wasm) on whole chunks and
 * sends each compressed chunk back as a transferred buffer. Knows nothing about files.
 */
const port = parentPort;
if (!port) throw new WorkerSafeInternalError('compress-worker must run in a worker thread');
let host: BloscHost | undefined;

port.on('message', (task: CompressTask) => {
  const buffers = [task.chunk.buffer as ArrayBuffer, task.output.buffer as ArrayBuffer];
  try {
    host ??= loadBloscHost((workerData as { bloscPlugin: string }).bloscPlugin);
    // The chunk's CRC-32 while its bytes are here (the edge chunk's padding is not covered).
    const crc = checksumOf(task.chunk.subarray(0, task.dataBytes), task.checksum);
    const bytes = host.compress(task.chunk, task.chunk.byteLength, task.cdValues, task.output);
    const reply: CompressReply = { id: task.id, bytes, crc, chunk: task.chunk, output: task.output };
    // A frame too big for `output` (never for Blosc 1) would be a fresh buffer: send it too.
    port.postMessage(
      reply,
      bytes.buffer === task.output.buffer ? buffers : [...buffers, bytes.buffer as ArrayBuffer],
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    port.postMessage(
      { id: task.id, error: message, chunk: task.chunk, output: task.output } satisfies CompressReply,
      buffers,
    );
  }
});
