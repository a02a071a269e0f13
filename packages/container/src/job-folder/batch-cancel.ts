import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory, writeFileAtomic } from '@hpc/core';
import { batchPaths } from './batch-files.ts';

/**
 * Asks for one process of a batch to be cancelled, by a marker file the runner looks for: before
 * the process starts (it is then recorded as cancelled without running) and while it runs (it is
 * interrupted like a cancelled job). How a process packed with others is cancelled alone.
 */
export async function requestProcessCancel(
  batchDir: string,
  index: number,
  modes: { dir: number; file: number },
) {
  const folder = batchPaths(batchDir).cancel;
  await makeDirectory(folder, modes.dir);
  await writeFileAtomic(join(folder, String(index)), `${new Date().toISOString()}\n`, {
    mode: modes.file,
    durable: false,
  });
}

/** Whether process `index` was asked to be cancelled (a stat: the runner checks it often). */
export function isProcessCancelRequested(batchDir: string, index: number): boolean {
  return existsSync(join(batchPaths(batchDir).cancel, String(index)));
}
