import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The worker threads of one script (parallel reads, parallel compression): started on first use,
 * kept for later calls, dropped when they exit, and never keeping the process alive while idle.
 */
export interface PooledWorker {
  worker: Worker;
  /** Tasks in flight; the worker holds the process open only while this is above 0. */
  busy: number;
}

export class WorkerPool {
  private readonly workers: PooledWorker[] = [];
  private readonly script: URL | undefined;
  private readonly workerData: () => unknown;

  /** `name`'s script beside the module at `base` (see workerScript); `workerData` is computed per start. */
  constructor(name: string, base: string, workerData: () => unknown = () => undefined) {
    this.script = workerScript(name, base);
    this.workerData = workerData;
  }

  /** False when this build ships no script for the pool: callers do the work on their own thread. */
  get available(): boolean {
    return this.script !== undefined;
  }

  /** The first `size` workers, started as needed (none without a script); `onStart` sees each new one. */
  take(size: number, onStart?: (pooled: PooledWorker) => void): PooledWorker[] {
    if (!this.script || size < 1) return [];
    while (this.workers.length < size) {
      const worker = new Worker(this.script, { workerData: this.workerData() });
      worker.unref();
      const pooled: PooledWorker = { worker, busy: 0 };
      worker.on('exit', () => {
        const index = this.workers.indexOf(pooled);
        if (index >= 0) this.workers.splice(index, 1);
      });
      this.workers.push(pooled);
      onStart?.(pooled);
    }
    return this.workers.slice(0, size);
  }
}

export function markBusy(pooled: PooledWorker): void {
  if (pooled.busy++ === 0) pooled.worker.ref();
}

export function markIdle(pooled: PooledWorker): void {
  if (--pooled.busy === 0) pooled.worker.unref();
}

/**
 * A worker thread's script beside the calling module: `<name>.ts` when running from sources, the
 * built entry `hdf5-<name>.js` in dist, or `hdf5-<name>.mjs` beside a bundle. Undefined if none
 * is there (a bundle shipped without it).
 */
function workerScript(name: string, base: string): URL | undefined {
  for (const candidate of [`./${name}.ts`, `./hdf5-${name}.js`, `./hdf5-${name}.mjs`]) {
    const url = new URL(candidate, base);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}
