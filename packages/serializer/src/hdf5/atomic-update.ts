import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncFolder } from '@hpc/core';
import { acquireFileLock, type LockOptions } from './file-lock.ts';
import { checkHdf5Signature } from './hdf5-signature.ts';

/**
 * Every change to an HDF5 crate goes through here: under the file's write lock, work on a copy
 * (`.<name>.tmp-<pid>-<random>` in the same folder, a reflink where the filesystem has them),
 * fsync it, rename it over the original. A writer killed at any moment leaves the original
 * untouched (and a temp file, removed by the next writer); readers see the old or the new file.
 */
export interface AtomicUpdateOptions extends LockOptions {
  /** fsync the new file and its folder before returning (default true). */
  durable?: boolean;
}

export interface UpdateTarget {
  /** The temp file to change: a copy of the original, or a path to create when `existed` is false. */
  tempPath: string;
  existed: boolean;
  /** The original (read-only use: rewrites read from it). */
  originalPath: string;
  /** Copies the original to tempPath (a reflink where the filesystem supports it). */
  copyOriginal: () => Promise<void>;
}

export async function updateFileAtomically<T>(
  file: string,
  options: AtomicUpdateOptions,
  mutate: (target: UpdateTarget) => Promise<T> | T,
): Promise<T> {
  const lock = await acquireFileLock(file, options);
  const tempPath = join(
    dirname(file),
    `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await removeAbandonedTemps(file);
    const existed = await exists(file);
    if (existed) await checkHdf5Signature(file);
    const copyOriginal = () => copyFile(file, tempPath, constants.COPYFILE_FICLONE);
    const result = await mutate({ tempPath, existed, originalPath: file, copyOriginal });
    await syncFile(tempPath, options.durable ?? true);
    await rename(tempPath, file);
    if (options.durable ?? true) await syncFolder(dirname(file));
    return result;
  } catch (error) {
    await unlink(tempPath).catch(() => {});
    throw error;
  } finally {
    await lock.release();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Opens the temp file, which also proves h5wasm wrote a real file (its browser build would not). */
async function syncFile(path: string, durable: boolean): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `h5wasm reported writing ${path} but no such file exists: the browser build of h5wasm was loaded instead of 'h5wasm/node'`,
      );
    }
    throw error;
  }
  try {
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temp files of writers that died: we hold the lock, so no live writer owns one. */
async function removeAbandonedTemps(file: string): Promise<void> {
  const prefix = `.${basename(file)}.tmp-`;
  const names = await readdir(dirname(file)).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix))
      .map((name) => unlink(join(dirname(file), name)).catch(() => {})),
  );
}
