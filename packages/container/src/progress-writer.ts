import { readFile } from 'node:fs/promises';
import { InvalidOptionError, type JobProgress, writeFileAtomic } from '@hpc/core';
import { jobPaths } from './job-folder/job-files.ts';
import { monotonicMs } from './monotonic-clock.ts';
import { figuresOff } from './run-usage.ts';

/** At most one write of progress.json per this long, however often run() reports. */
export const PROGRESS_WRITE_INTERVAL_MS = 1_000;
/** A progress message longer than this is cut (it is shown in one table cell). */
const MAX_MESSAGE_LENGTH = 200;

/**
 * ctx.progress(): cheap to call in a tight loop. Each call only keeps the latest value; the file
 * (progress.json in the job folder, written atomically) is written at once when a second has
 * passed since the last write, else once when it has. The last value also goes into the outcome.
 */
export class ProgressWriter {
  private latest: JobProgress | undefined;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The benchmark's switch (HPC_RUNNER_NO_FIGURES=1): report() does nothing. */
  private readonly off = figuresOff();

  constructor(
    private readonly jobDir: string,
    private readonly fileMode: number,
    private readonly onWriteError: (error: unknown) => void,
  ) {}

  /** The value run() reported last, if any. */
  get last(): JobProgress | undefined {
    return this.latest;
  }

  report(done: number, total?: number, message?: string): void {
    if (this.off) return;
    this.latest = checkedProgress(done, total, message);
    if (this.timer) return;
    const wait = this.lastWriteAt + PROGRESS_WRITE_INTERVAL_MS - monotonicMs();
    if (wait <= 0) this.write();
    else {
      this.timer = setTimeout(() => this.write(), wait);
      this.timer.unref();
    }
  }

  /** Stops the pending write and waits for one in flight (the outcome carries the last value). */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
  }

  private write(): void {
    this.timer = undefined;
    this.lastWriteAt = monotonicMs();
    const text = `${JSON.stringify(this.latest)}\n`;
    this.writing = this.writing
      .then(() => writeFileAtomic(jobPaths(this.jobDir).progress, text, { mode: this.fileMode }))
      .catch(this.onWriteError);
  }
}

function checkedProgress(done: number, total: number | undefined, message: string | undefined): JobProgress {
  if (typeof done !== 'number' || !Number.isFinite(done) || done < 0)
    throw new InvalidOptionError({
      option: 'ctx.progress(done)',
      value: done,
      allowed: 'a finite number ≥ 0',
    });
  if (total !== undefined && (typeof total !== 'number' || !Number.isFinite(total) || total <= 0))
    throw new InvalidOptionError({
      option: 'ctx.progress(done, total)',
      value: total,
      allowed: 'a finite number > 0, or nothing',
    });
  if (message !== undefined && typeof message !== 'string')
    throw new InvalidOptionError({
      option: 'ctx.progress(done, total, message)',
      value: message,
      allowed: 'a string',
    });
  return {
    done,
    ...(total !== undefined ? { total } : {}),
    ...(message ? { message: message.slice(0, MAX_MESSAGE_LENGTH) } : {}),
    at: new Date().toISOString(),
  };
}

/** The progress a running job reported last (progress.json), or undefined; a damaged file reads as none. */
export async function readProgress(jobDir: string): Promise<JobProgress | undefined> {
  let text: string;
  try {
    text = await readFile(jobPaths(jobDir).progress, 'utf8');
  } catch {
    return undefined; // none yet (ENOENT), or not readable: progress is advisory
  }
  try {
    const value = JSON.parse(text) as Partial<JobProgress>;
    if (typeof value.done !== 'number' || typeof value.at !== 'string') return undefined;
    return {
      done: value.done,
      ...(typeof value.total === 'number' ? { total: value.total } : {}),
      ...(typeof value.message === 'string' ? { message: value.message.slice(0, MAX_MESSAGE_LENGTH) } : {}),
      at: value.at,
    };
  } catch {
    return undefined;
  }
}
