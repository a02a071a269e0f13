import { randomBytes } from 'node:crypto';
import { chmodSync, constants, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { asFileWriteError, fileModes, syncFolder } from '@hpc/core';
import { Hdf5Error } from '../hdf5-errors.ts';
import { acquireFileLock, type LockOptions, lockPathFor } from './file-lock.ts';
import { checkHdf5Signature } from './hdf5-signature.ts';

/**
 * Every change to an HDF5 crate goes through here: under the file's write lock, work on a copy
 * (`.<name>.tmp-<pid>-<random>` in the same folder, a reflink where the filesystem has them),
 * fsync it, rename it over the original. A writer killed at any moment leaves the original
 * untouched (and a temp file, removed by the next writer); readers see the old or the new file.
 * The small metadata steps (stat, rename, unlink) are synchronous, as in file-lock.ts; copying
 * and fsync stay asynchronous. A new file gets the private mode (0600, or 0640 with
 * HPC_SHARE=group); a rewritten one keeps its mode. Every failure of the file system (no space
 * left...) is a FileWriteError naming the crate; h5wasm's own descriptors are closed by its
 * sessions (h5-session.ts), so the temp file is gone, space and descriptors given back.
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
  const lock = await acquireFileLock(file, options).catch((error: unknown) => {
    throw asFileWriteError(error, lockPathFor(file), 'create the lock file');
  });
  const tempPath = join(
    dirname(file),
    `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    removeAbandonedTemps(file);
    const original = statSync(file, { throwIfNoEntry: false });
    const existed = original !== undefined;
    if (existed) await checkHdf5Signature(file);
    const copyOriginal = () => copyFile(file, tempPath, constants.COPYFILE_FICLONE);
    const result = await mutate({ tempPath, existed, originalPath: file, copyOriginal });
    checkWritten(tempPath);
    chmodSync(tempPath, original ? original.mode & 0o7777 : fileModes().file);
    await syncFile(tempPath, options.durable ?? true);
    renameSync(tempPath, file);
    if (options.durable ?? true) await syncFolder(dirname(file));
    return result;
  } catch (error) {
    try {
      unlinkSync(tempPath);
    } catch {
      // Never created, or already renamed.
    }
    throw asFileWriteError(error, file);
  } finally {
    await lock.release();
  }
}

/** Checks h5wasm wrote a real file (its browser build would not). */
function checkWritten(path: string): void {
  if (statSync(path, { throwIfNoEntry: false }) === undefined) {
    throw new Hdf5Error(
      path,
      undefined,
      'write the file',
      `h5wasm reported writing ${path} but no such file exists: the browser build of h5wasm was loaded instead of 'h5wasm/node'`,
    );
  }
}

async function syncFile(path: string, durable: boolean): Promise<void> {
  if (!durable) return;
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temp files of writers that died: we hold the lock, so no live writer owns one. */
function removeAbandonedTemps(file: string): void {
  const prefix = `.${basename(file)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    try {
      unlinkSync(join(dirname(file), name));
    } catch {
      // Removed by someone else meanwhile.
    }
  }
}
