import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Driver, isHpcError, JOB_FILES } from '@hpc/core';
import { UnreadableJobError } from './cli-errors.ts';
import type { UnreadableRecord } from './job-view.ts';
import { localJobDir, localRootOf } from './local-jobs.ts';

/**
 * Why a job's state could not be read, naming the file: the one the error names (typed @hpc
 * errors carry `file`), else the first of the job folder's JSON files (job.json, outcome.json)
 * that cannot be read or parsed, else the folder itself. A JSON SyntaxError names no file, so
 * without this `hpc status` could only say "Unexpected end of JSON input".
 */
export async function describeUnreadable(error: unknown, jobDir: string): Promise<UnreadableRecord> {
  const message = ((error as Error)?.message ?? String(error)).split('\n')[0] ?? '';
  const named = (error as { file?: unknown })?.file;
  const file = typeof named === 'string' ? named : ((await firstUnparsableFile(jobDir)) ?? jobDir);
  return { file, message };
}

async function firstUnparsableFile(jobDir: string): Promise<string | undefined> {
  for (const name of [JOB_FILES.record, JOB_FILES.outcome]) {
    const file = join(jobDir, name);
    try {
      JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return file;
    }
  }
  return undefined;
}

/**
 * For commands about one job (result, logs): an untyped error from reading a local job's files
 * becomes an UnreadableJobError naming the file; typed errors (they name theirs) pass unchanged.
 */
export async function explainUnreadableJob(error: unknown, driver: Driver, jobId: string): Promise<unknown> {
  const localRoot = localRootOf(driver);
  if (localRoot === undefined || isHpcError(error)) return error;
  const { file, message } = await describeUnreadable(error, localJobDir(localRoot, jobId));
  return new UnreadableJobError(jobId, file, message, { cause: error });
}
