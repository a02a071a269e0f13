import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobPaths } from '@hpc/container';
import type { LocalJobRecord } from './job-record.ts';

/**
 * Waits until a job's record on disk (job.json, replaced atomically) satisfies `ready`, e.g. the
 * runner's pid is in it, so that another process asking about the job sees what this one knows.
 * True once it does, false when `timeoutMs` passed first.
 */
export async function waitForRecordOnDisk(
  jobDir: string,
  ready: (record: Partial<LocalJobRecord>) => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const file = jobPaths(jobDir).record;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text && ready(JSON.parse(text) as Partial<LocalJobRecord>)) return true;
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
}
