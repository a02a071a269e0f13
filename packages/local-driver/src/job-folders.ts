import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asFileWriteError, JobNotFoundError, makeDirectory, syncFolder } from '@hpc/core';

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

/**
 * Ids up to N were given out, though their folders may be gone (forgotten): an empty marker file
 * `.ids-used-to-N` in the jobs root. Creating a file is atomic and concurrent forgets each create
 * their own (only smaller markers are ever deleted), so the highest mark never goes down.
 */
const USED_MARK_PREFIX = '.ids-used-to-';

function usedMarkOf(name: string): number | undefined {
  if (!name.startsWith(USED_MARK_PREFIX)) return undefined;
  const mark = Number(name.slice(USED_MARK_PREFIX.length));
  return Number.isSafeInteger(mark) ? mark : undefined;
}

/** The highest id number ever given out under the root: by its folders and its used-id marks. */
export async function highestUsedNumber(jobsRoot: string): Promise<number> {
  const names = await readdir(jobsRoot).catch(() => [] as string[]);
  let highest = 0;
  for (const name of names) {
    const used = isJobId(name) ? jobNumber(name) : usedMarkOf(name);
    if (used !== undefined && used > highest) highest = used;
  }
  return highest;
}

/**
 * Records, durably and before any of them is removed, that ids up to `ids`' highest were used, so
 * allocateJobDir never gives one of them again (a user, a log or a dependency may still name it).
 */
export async function markIdsUsed(jobsRoot: string, ids: readonly string[]): Promise<void> {
  const upTo = Math.max(0, ...ids.filter(isJobId).map(jobNumber));
  if (upTo === 0) return;
  await writeFile(join(jobsRoot, `${USED_MARK_PREFIX}${upTo}`), '', { flag: 'w' });
  await syncFolder(jobsRoot);
  const names = await readdir(jobsRoot).catch(() => [] as string[]);
  for (const name of names) {
    const mark = usedMarkOf(name);
    if (mark !== undefined && mark < upTo) await rm(join(jobsRoot, name), { force: true });
  }
}

/** The next id never given out, its folder made with `mode`: mkdir is atomic, so it is never shared. */
export async function allocateJobDir(
  jobsRoot: string,
  mode: number,
): Promise<{ id: string; jobDir: string }> {
  await makeDirectory(jobsRoot, mode).catch((error: unknown) => {
    throw asFileWriteError(error, jobsRoot, 'create the jobs folder');
  });
  let next = (await highestUsedNumber(jobsRoot)) + 1;
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
