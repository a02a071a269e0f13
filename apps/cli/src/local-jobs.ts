import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the local driver keeps its jobs: one folder per job, `<root>/jobs/local-N`. The CLI reads
 * the folder names itself only to go on job by job when one record cannot be read.
 */
const LOCAL_JOB_FOLDER = /^local-(\d+)$/;

/** The local driver's state folder, when `driver` is one (its `root`). */
export function localRootOf(driver: { kind: string }): string | undefined {
  const root = (driver as { root?: unknown }).root;
  return driver.kind === 'local' && typeof root === 'string' ? root : undefined;
}

export function localJobDir(localRoot: string, jobId: string): string {
  return join(localRoot, 'jobs', jobId);
}

/** The ids of the job folders under `localRoot`, in submission order ([] when there are none). */
export async function localJobIds(localRoot: string): Promise<string[]> {
  const names = await readdir(join(localRoot, 'jobs')).catch(() => [] as string[]);
  return names
    .filter((name) => LOCAL_JOB_FOLDER.test(name))
    .sort((a, b) => Number(a.slice('local-'.length)) - Number(b.slice('local-'.length)));
}
