/**
 * Child Node processes that run the workspace's TypeScript sources (the '@hpc/source' export
 * condition), as the package tests' children do. NODE_COMPILE_CACHE keeps the transpiled modules
 * between children: measured here, importing @hpc/serializer from source took ~450 ms cold and
 * ~55 ms from the cache, which is what makes hundreds of short-lived writer children affordable.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NODE_SOURCE_FLAGS = [
  '--conditions=@hpc/source',
  '--experimental-transform-types',
  '--no-warnings',
];

export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // A NODE_COMPILE_CACHE set by the caller wins.
  return { NODE_COMPILE_CACHE: join(tmpdir(), 'hpc-reliability-compile-cache'), ...process.env, ...extra };
}

export type Reply<T> =
  | { kind: 'reply'; value: T }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; stderr: string };

/** One forked child that answers one message at a time; a request that outlives its bound is reported, not awaited. */
export class ForkedChild {
  private readonly child: ChildProcess;
  private stderr = '';
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private pending: ((reply: Reply<unknown>) => void) | undefined;
  readonly ready: Promise<Reply<unknown>>;

  constructor(script: string, options: { cwd?: string } = {}) {
    this.child = fork(script, [], {
      execArgv: NODE_SOURCE_FLAGS,
      env: childEnv(),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.child.on('message', (message) => this.settle({ kind: 'reply', value: message }));
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      this.settle({ kind: 'exit', code, signal, stderr: this.stderr });
    });
    this.ready = this.wait(60_000);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `message` and waits for the answer, at most `timeoutMs`. */
  request<T>(message: unknown, timeoutMs: number): Promise<Reply<T>> {
    if (this.exited) return Promise.resolve({ kind: 'exit', ...this.exited, stderr: this.stderr });
    const reply = this.wait(timeoutMs) as Promise<Reply<T>>;
    this.child.send(message as never);
    return reply;
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** Ends the child and waits until it is gone. */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.kill();
    await gone;
  }

  private wait(timeoutMs: number): Promise<Reply<unknown>> {
    return new Promise((resolve) => {
      const started = Date.now();
      const timer = setTimeout(() => {
        this.pending = undefined;
        resolve({ kind: 'timeout', afterMs: Date.now() - started });
      }, timeoutMs);
      this.pending = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
    });
  }

  private settle(reply: Reply<unknown>): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.(reply);
  }
}
