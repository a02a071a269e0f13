import { parentPort } from 'node:worker_threads';
import { forEachSlice } from '../format/array-dataset.ts';
import type { H5Guard } from '../h5wasm-guard.ts';
import { loadH5Runtime } from '../h5wasm-runtime.ts';
import { type ReadJob, type ReadReply, ringFlags, ringSlot } from './read-ring.ts';
import { WorkerSafeInternalError } from './worker-errors.ts';

/**
 * A read worker: its own h5wasm instance (own 2 GiB heap, own thread) decompressing one share of
 * a dataset, verifying each chunk's CRC-32 as it comes out of HDF5, and passing the share to the
 * main thread piece by piece through the job's shared ring (see read-ring.ts). It may open only
 * the job's file. Knows nothing about objects. If its wasm instance traps, it reports that and
 * exits (a fresh worker takes its place, with all of its memory given back).
 */
const port = parentPort;
if (!port) throw new WorkerSafeInternalError('read-worker must run in a worker thread');

/** A chunk that failed its checksum (the message names dataset and chunk). */
class ChecksumFailure extends Error {}

port.on('message', async (job: ReadJob) => {
  let runtime: Awaited<ReturnType<typeof loadH5Runtime>>;
  try {
    runtime = await loadH5Runtime();
  } catch (error) {
    port.postMessage({ id: job.id, error: String(error) } satisfies ReadReply);
    return;
  }
  const { h5, module, guard } = runtime;
  const release = guard.allow([job.file]);
  try {
    guard.takeRefusals();
    guard.takeDamage();
    const flags = ringFlags(job.ring);
    const slots = Array.from({ length: job.ring.slots }, (_, slot) => ringSlot(job.ring, slot));
    let next = 0;
    const bpe = job.read.bytesPerElement;
    // Pieces of whole elements that fit a slot.
    const pieceBytes = job.ring.slotBytes - (job.ring.slotBytes % bpe);
    const file = new h5.File(job.file, 'r');
    try {
      const fail = (detail: string): never => {
        throw new ChecksumFailure(detail);
      };
      forEachSlice(module, file.file_id, job.read, job.sliceBytes, fail, (bytes, done) => {
        const rangeOffset = job.read.start - job.rangeStart + done;
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
            offset: rangeOffset + at / bpe,
            slot,
            length: piece.byteLength,
          } satisfies ReadReply);
        }
      });
    } finally {
      file.close();
    }
    const refused = guard.takeRefusals()[0];
    if (refused) throw new WorkerSafeInternalError(`refused to open ${refused.path}`);
    port.postMessage({ id: job.id, done: true } satisfies ReadReply);
  } catch (error) {
    port.postMessage(failureReply(job.id, error, guard));
    if (guard.poisoned) setImmediate(() => process.exit(1));
  } finally {
    release();
  }
});

function failureReply(id: number, error: unknown, guard: H5Guard): ReadReply {
  const refused = guard.takeRefusals()[0];
  if (refused) return { id, refused: refused.path, activity: refused.activity };
  const damage = guard.takeDamage();
  if (damage) return { id, corrupt: damage.detail };
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ChecksumFailure) return { id, corrupt: message };
  if (guard.poisoned) return { id, crashed: message.split('\n')[0] ?? message };
  return { id, error: message };
}
