import { parentPort } from 'node:worker_threads';
import { forEachSlice } from './array-dataset.ts';
import { loadH5Runtime } from './h5wasm-runtime.ts';
import type { ReadJob, ReadReply } from './read-pool.ts';

/**
 * A read worker: its own h5wasm instance (own 2 GiB heap, own thread) decompressing one range of
 * a dataset, posting each slice back as a transferred buffer. Knows nothing about objects.
 */
const port = parentPort;
if (!port) throw new Error('read-worker must run in a worker thread');

port.on('message', async (job: ReadJob) => {
  try {
    const { h5, module } = await loadH5Runtime();
    const file = new h5.File(job.file, 'r');
    try {
      forEachSlice(
        module,
        file.file_id,
        job.path,
        job.bytesPerElement,
        job,
        job.sliceBytes,
        (bytes, done) => {
          const copy = bytes.slice();
          port.postMessage(
            { id: job.id, offset: job.start - job.rangeStart + done, bytes: copy } satisfies ReadReply,
            [copy.buffer],
          );
        },
      );
    } finally {
      file.close();
    }
    port.postMessage({ id: job.id, done: true } satisfies ReadReply);
  } catch (error) {
    port.postMessage({
      id: job.id,
      error: error instanceof Error ? error.message : String(error),
    } satisfies ReadReply);
  }
});
