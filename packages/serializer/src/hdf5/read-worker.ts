import { parentPort } from 'node:worker_threads';
import { forEachSlice } from './array-dataset.ts';
import { loadH5Runtime } from './h5wasm-runtime.ts';
import { type ReadJob, type ReadReply, ringFlags, ringSlot } from './read-pool.ts';

/**
 * A read worker: its own h5wasm instance (own 2 GiB heap, own thread) decompressing one range of
 * a dataset, passing it to the main thread piece by piece through the job's shared ring (see
 * read-pool.ts). Knows nothing about objects.
 */
const port = parentPort;
if (!port) throw new Error('read-worker must run in a worker thread');

port.on('message', async (job: ReadJob) => {
  try {
    const { h5, module } = await loadH5Runtime();
    const flags = ringFlags(job.ring);
    const slots = Array.from({ length: job.ring.slots }, (_, slot) => ringSlot(job.ring, slot));
    let next = 0;
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
          const rangeOffset = job.start - job.rangeStart + done;
          // Pieces of whole elements that fit a slot.
          const pieceBytes = job.ring.slotBytes - (job.ring.slotBytes % job.bytesPerElement);
          for (let at = 0; at < bytes.byteLength; at += pieceBytes) {
            const slot = next;
            next = (next + 1) % slots.length;
            // Wait until the main thread has copied what this slot held last.
            while (Atomics.load(flags, slot) !== 0) Atomics.wait(flags, slot, 1);
            const piece = bytes.subarray(at, Math.min(bytes.byteLength, at + pieceBytes));
            (slots[slot] as Uint8Array).set(piece);
            Atomics.store(flags, slot, 1);
            port.postMessage({
              id: job.id,
              offset: rangeOffset + at / job.bytesPerElement,
              slot,
              length: piece.byteLength,
            } satisfies ReadReply);
          }
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
