import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { asFileWriteError, JobNotFoundError, makeDirectory } from '@hpc/core';

/**
 * The local driver's jobs root: one folder per job, named by its id ('local-12'). Ids come from
 * the folder names, so any process sees every job and concurrent submitters never share one.
 */
export const JOB_ID_PREFIX = 'local-';

export function jobNumber(id: string): number {
  return Number(id.slice(JOB_ID_PREFIX.length));
}

function isJobId(name: string): boolean {
  return name.startsWith(JOB_ID_PREFIX) && Number.isSafeInteger(jobNumber(name));
}

/** The folder of a job id, or JobNotFoundError for anything that is not a local id ('../etc'). */
export function jobDirOf(jobsRoot: string, id: string): string {
  if (!isJobId(id)) throw new JobNotFoundError(id, 'local');
  return join(jobsRoot, id);
}

/** Every job id under the root, in id order (other entries, such as 'local-notes', are not jobs). */
export async function listJobIds(jobsRoot: string): Promise<string[]> {
  const names = await readdir(jobsRoot).catch(() => [] as string[]);
  return names.filter(isJobId).sort((a, b) => jobNumber(a) - jobNumber(b));
}

/** The next free id, its folder made with `mode`: mkdir is atomic, so it is never shared. */
export async function allocateJobDir(
  jobsRoot: string,
  mode: number,
): Promise<{ id: string; jobDir: string }> {
  await makeDirectory(jobsRoot, mode).catch((error: unknown) => {
    throw asFileWriteError(error, jobsRoot, 'create the jobs folder');
  });
  const existing = (await listJobIds(jobsRoot)).map(jobNumber);
  let next = Math.max(0, ...existing.filter(Number.isSafeInteger)) + 1;
  for (;;) {
    const id = `${JOB_ID_PREFIX}${next}`;
    const jobDir = join(jobsRoot, id);
    try {
      await mkdir(jobDir, { mode });
      await chmod(jobDir, mode); // mkdir's mode passes through the umask
      return { id, jobDir };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw asFileWriteError(error, jobDir, 'create the job folder');
      next++;
    }
  }
}

/** Maps with at most `limit` promises pending, keeping the input order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
