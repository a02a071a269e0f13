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

/**
 * The tasks one worker has in flight, by id: adding one marks the worker busy (it then holds the
 * process open), settling it marks it idle, and if the worker fails or exits, every task still in
 * flight is rejected.
 */
export class WorkerTasks<Task extends { reject: (error: Error) => void }> {
  private readonly tasks = new Map<number, Task>();
  private readonly pooled: PooledWorker;

  // No parameter properties: worker threads run this file from sources with type stripping only.
  constructor(pooled: PooledWorker, exitMessage: (code: number) => string) {
    this.pooled = pooled;
    const failAll = (error: Error) => {
      for (const id of [...this.tasks.keys()]) this.settle(id)?.reject(error);
    };
    pooled.worker.on('error', failAll);
    pooled.worker.on('exit', (code: number) => failAll(new Error(exitMessage(code))));
  }

  add(id: number, task: Task): void {
    this.tasks.set(id, task);
    if (this.pooled.busy++ === 0) this.pooled.worker.ref();
  }

  get(id: number): Task | undefined {
    return this.tasks.get(id);
  }

  /** Takes the task out (undefined if it is not there): the worker is idle once none is left. */
  settle(id: number): Task | undefined {
    const task = this.tasks.get(id);
    if (task === undefined) return undefined;
    this.tasks.delete(id);
    if (--this.pooled.busy === 0) this.pooled.worker.unref();
    return task;
  }
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
