import { lstat, readdir, realpath, rename, rm } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';

/**
 * Forgetting a job removes its folder in three steps: rename it to a tombstone in the jobs root
 * (atomic: the job is gone from every listing at once), update the driver's index, delete the
 * tombstone. A crash between them leaves a tombstone, never a half-listed job; the next sweep
 * finishes it. Listings skip the name (it starts with '.').
 */
export const TOMBSTONE_PREFIX = '.forgotten-';

/**
 * Why `jobDir` must not be deleted, or undefined when it may: it must be a real folder (not a
 * symbolic link, which is refused rather than followed) whose real path is inside `home`'s.
 */
export async function folderOutsideHome(jobDir: string, home: string): Promise<string | undefined> {
  let entry: Awaited<ReturnType<typeof lstat>>;
  try {
    entry = await lstat(jobDir);
  } catch (error) {
    return `its folder ${jobDir} cannot be examined (${(error as Error).message})`;
  }
  if (entry.isSymbolicLink()) return `its folder ${jobDir} is a symbolic link: it is not followed`;
  if (!entry.isDirectory()) return `${jobDir} is not a folder`;
  const [real, realHome] = await Promise.all([realpath(jobDir), realpath(home).catch(() => home)]);
  if (!real.startsWith(realHome + sep))
    return `its folder ${real} is outside the driver's home ${realHome}: remove it yourself`;
  return undefined;
}

/** Renames the job folder to its tombstone in `jobsRoot`; returns the tombstone's path. */
export async function buryFolder(jobDir: string, jobsRoot: string): Promise<string> {
  const tombstone = join(jobsRoot, `${TOMBSTONE_PREFIX}${basename(jobDir)}`);
  // A leftover of an earlier, interrupted forget of a folder of that name goes first.
  await rm(tombstone, { recursive: true, force: true });
  await rename(jobDir, tombstone);
  return tombstone;
}

export async function removeTombstone(tombstone: string): Promise<void> {
  await rm(tombstone, { recursive: true, force: true });
}

/** The folder name a tombstone stands for, or undefined for any other entry. */
export function buriedFolderOf(entry: string): string | undefined {
  return entry.startsWith(TOMBSTONE_PREFIX) ? entry.slice(TOMBSTONE_PREFIX.length) : undefined;
}

/**
 * Finishes interrupted forgets: `settle` gets each stale tombstone's folder name (to drop it from
 * an index), then the tombstone is deleted. Returns the folder names.
 */
export async function sweepTombstones(
  jobsRoot: string,
  settle: (folder: string) => void | Promise<void> = () => {},
): Promise<string[]> {
  const names = await readdir(jobsRoot).catch(() => [] as string[]);
  const folders: string[] = [];
  for (const name of names) {
    const folder = buriedFolderOf(name);
    if (folder === undefined) continue;
    await settle(folder);
    await removeTombstone(join(jobsRoot, name));
    folders.push(folder);
  }
  return folders;
}
