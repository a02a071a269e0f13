import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';

type Write = typeof process.stdout.write;

/**
 * Copies everything written to process.stdout / process.stderr while a job runs into the job's
 * log files, and still passes it on (the scheduler keeps its own capture of the whole job).
 */
export class OutputCapture {
  private readonly files: WriteStream[] = [];
  private readonly restores: (() => void)[] = [];

  constructor(
    stdoutFile: string,
    stderrFile: string,
    private readonly passThrough = true,
  ) {
    this.tee(process.stdout, stdoutFile);
    this.tee(process.stderr, stderrFile);
  }

  private tee(stream: NodeJS.WriteStream, file: string): void {
    const sink = createWriteStream(file, { flags: 'a' });
    this.files.push(sink);
    const original: Write = stream.write;
    const passThrough = this.passThrough;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      sink.write(chunk as string | Uint8Array);
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
        sink.end();
        await once(sink, 'close');
      }),
    );
  }
}
