import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { type PooledWorker, WorkerTasks } from '../src/hdf5/accel/worker-pool.ts';

describe('WorkerTasks', () => {
  it('holds the worker while tasks are in flight, and rejects them all if it exits', async () => {
    // A worker that exits with code 3 when told to.
    const worker = new Worker(
      "require('node:worker_threads').parentPort.on('message', () => process.exit(3));",
      { eval: true },
    );
    const pooled: PooledWorker = { worker, busy: 0 };
    const tasks = new WorkerTasks<{ reject: (error: Error) => void }>(
      pooled,
      (code) => `gone (code ${code})`,
    );
    const settled = [1, 2].map(
      (id) =>
        new Promise<Error>((resolve) => {
          tasks.add(id, { reject: resolve });
        }),
    );
    expect(pooled.busy).toBe(2);
    expect(tasks.settle(2)).toBeDefined();
    expect(tasks.settle(2)).toBeUndefined(); // settled once only
    expect(pooled.busy).toBe(1);
    worker.postMessage('exit');
    expect((await settled[0])?.message).toBe('gone (code 3)');
    expect(pooled.busy).toBe(0);
    expect(tasks.get(1)).toBeUndefined();
  });
});
