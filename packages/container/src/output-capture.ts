import { once } from 'node:events';
import { closeSync, createWriteStream, type WriteStream } from 'node:fs';
import { describeErrno, errnoCode } from '@hpc/core';
import { openForAppend } from './file-open.ts';

type Write = typeof process.stdout.write;

export interface OutputCaptureOptions {
  /** Copy to the real stdout/stderr too (default true). */
  passThrough?: boolean;
  /** Mode of the log files, set exactly whatever the umask (default 0o600). */
  mode?: number;
}

/**
 * Copies everything written to process.stdout / process.stderr while a job runs into the job's
 * log files, and still passes it on (the scheduler keeps its own capture of the whole job).
 * A log file that cannot be written (disk full) stops being written, with one line on stderr:
 * it never fails the job.
 */
export class OutputCapture {
  private readonly files: WriteStream[] = [];
  private readonly restores: (() => void)[] = [];

  constructor(stdoutFile: string, stderrFile: string, options: OutputCaptureOptions = {}) {
    const mode = options.mode ?? 0o600;
    const passThrough = options.passThrough ?? true;
    const stdoutFd = openForAppend(stdoutFile, mode);
    let stderrFd: number;
    try {
      stderrFd = openForAppend(stderrFile, mode);
    } catch (error) {
      closeSync(stdoutFd);
      throw error;
    }
    this.tee(process.stdout, stdoutFile, stdoutFd, passThrough);
    this.tee(process.stderr, stderrFile, stderrFd, passThrough);
  }

  private tee(stream: NodeJS.WriteStream, file: string, fd: number, passThrough: boolean): void {
    const sink = createWriteStream(file, { fd });
    let failed = false;
    sink.on('error', (error) => {
      if (failed) return;
      failed = true;
      process.stderr.write(
        `node-runner: cannot write ${file}: ${describeErrno(errnoCode(error))}; the job's output goes on to the scheduler's log only\n`,
      );
    });
    this.files.push(sink);
    const original: Write = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      if (!failed) sink.write(chunk as string | Uint8Array);
      if (passThrough) return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    } as Write;
    this.restores.push(() => {
      stream.write = original;
    });
  }

  /** Restores the streams and flushes the files. */
  async stop(): Promise<void> {
    for (const restore of this.restores.splice(0)) restore();
    await Promise.all(
      this.files.splice(0).map(async (sink) => {
        if (sink.closed) return;
        sink.end();
        await once(sink, 'close').catch(() => {}); // a failed sink has said so already
      }),
    );
  }
}
