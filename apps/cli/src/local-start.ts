import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JOB_FILES } from '@hpc/core';
import { JobStartError } from './cli-errors.ts';

/**
 * The local driver runs each job as a detached node-runner and records its pid in the job's
 * job.json. A CLI that exits right after submitJob() must first see that record on disk;
 * otherwise a later `hpc status` would find no pid and call the job lost.
 *
 * TODO(local-driver): replace with a driver call (e.g. `await driver.started(id)`) once it offers one.
 */
export async function waitForLocalStart(root: string, jobId: string, timeoutMs = 10_000): Promise<void> {
  const record = join(root, 'jobs', jobId, JOB_FILES.record);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(record, 'utf8').catch(() => '');
    if (text) {
      try {
        const parsed = JSON.parse(text) as { pid?: number; cancelledAt?: string; endedAt?: string };
        if (parsed.pid !== undefined || parsed.cancelledAt || parsed.endedAt) return;
      } catch {
        // Read mid-replace is impossible (atomic rename), but be lenient anyway.
      }
    }
    if (Date.now() > deadline) throw new JobStartError(jobId, timeoutMs);
    await sleep(5);
  }
}
