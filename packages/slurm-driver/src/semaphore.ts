import { InvalidOptionError } from '@hpc/core';

/** At most `limit` tasks at once; the rest wait in order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new InvalidOptionError({
        option: 'maxConcurrentSubmissions',
        value: limit,
        allowed: 'a whole number of at least 1',
        remedy: 'pass e.g. { maxConcurrentSubmissions: 4 } (the default) to SLURMDriver',
      });
  }

  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
