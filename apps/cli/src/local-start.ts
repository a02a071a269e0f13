import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JOB_FILES } from '@hpc/core';
import { JobStartError } from './cli-errors.ts';
import { localJobDir } from './local-jobs.ts';

/** The fields of the local driver's job.json the CLI waits on. */
export interface LocalRecordFields {
  pid?: number;
  endedAt?: string;
  cancelledAt?: string;
}

/**
 * Waits until the local driver's record of a job (job.json, replaced atomically) satisfies
 * `ready`, e.g. the runner's pid is on disk, so that another process asking about the job sees it.
 *
 * TODO(local-driver): replace with a driver call (e.g. `await driver.started(id)`) once it offers one.
 */
export async function waitForLocalRecord(
  root: string,
  jobId: string,
  ready: (record: LocalRecordFields) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const file = join(localJobDir(root, jobId), JOB_FILES.record);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text && ready(JSON.parse(text) as LocalRecordFields)) return;
    if (Date.now() > deadline) throw new JobStartError(jobId, timeoutMs);
    await sleep(5);
  }
}
