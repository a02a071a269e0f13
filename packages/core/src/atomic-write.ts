import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileModes } from './file-modes.ts';
import { asFileWriteError } from './file-write-error.ts';
import { sweepStaleTempFiles, tempFileName } from './stale-temp-files.ts';

export interface AtomicWriteOptions {
  /** fsync the file and its folder before returning (default true): the write survives a crash. */
  durable?: boolean;
  /** The file's exact mode, whatever the umask (default `fileModes().file`: 0600, 0640 shared). */
  mode?: number;
}

/** Writes `bytes` at `position` of the file being written, completely. */
export type PositionalWrite = (bytes: Uint8Array, position: number) => Promise<void>;
/** Writes a file's content itself, in any order (e.g. a header last, once its checksums are known). */
export type ContentWriter = (writeAt: PositionalWrite) => Promise<void>;
export type AtomicWriteContent = string | Uint8Array | readonly Uint8Array[] | ContentWriter;

/** Node's write() moves at most 2 GiB per call; pieces are cut well below that. */
const MAX_WRITE_BYTES = 1 << 30;
/** Below this size the thread-pool round trips of async I/O cost more than the blocking write. */
const SYNC_WRITE_BYTES = 4 << 20;

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one, never a
 * part: a temp file beside it (named after this writer), fsync, rename, fsync of the folder.
 * Several pieces are written in order without being joined (no copy of large arrays). On any
 * failure the temp file is closed and removed, and system errors become `FileWriteError`
 * naming `path` ("no space left on device"). Temp files of this name left by killed writers
 * are removed first (see stale-temp-files.ts).
 */
export async function writeFileAtomic(
  path: string,
  data: AtomicWriteContent,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const mode = options.mode ?? fileModes().file;
  const folder = dirname(path);
  await sweepStaleTempFiles(folder, basename(path));
  const temp = join(folder, tempFileName(basename(path)));
  try {
    if (typeof data === 'function') await writeLargeFile(temp, path, data, durable, mode);
    else {
      const parts = pieces(data);
      if (parts.reduce((total, part) => total + part.byteLength, 0) <= SYNC_WRITE_BYTES)
        writeSmallFile(temp, path, parts, durable, mode);
      else await writeLargeFile(temp, path, writeInOrder(parts), durable, mode);
    }
  } catch (error) {
    throw asFileWriteError(error, path);
  }
  if (durable) await syncFolder(folder);
}

function writeInOrder(parts: readonly Uint8Array[]): ContentWriter {
  return async (writeAt) => {
    let position = 0;
    for (const part of parts) {
      await writeAt(part, position);
      position += part.byteLength;
    }
  };
}

/** Fills `temp` (created with exactly `mode`) through `content`, then renames it to `path`. */
async function writeLargeFile(
  temp: string,
  path: string,
  content: ContentWriter,
  durable: boolean,
  mode: number,
): Promise<void> {
  const handle = await open(temp, 'wx', mode);
  let isOpen = true;
  try {
    await handle.chmod(mode).catch(ignoreChmodRefusal);
    await content((bytes, position) => writeAll(handle, bytes, position));
    if (durable) await handle.sync();
    isOpen = false;
    await handle.close();
    await rename(temp, path);
  } catch (error) {
    if (isOpen) await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const length = Math.min(MAX_WRITE_BYTES, bytes.byteLength - done);
    const { bytesWritten } = await handle.write(bytes, done, length, position + done);
    done += bytesWritten;
  }
}

/** The same, blocking: for small files the thread-pool round trips cost more than the writes. */
function writeSmallFile(
  temp: string,
  path: string,
  parts: readonly Uint8Array[],
  durable: boolean,
  mode: number,
): void {
  const fd = openSync(temp, 'wx', mode);
  let isOpen = true;
  try {
    try {
      fchmodSync(fd, mode);
    } catch (error) {
      ignoreChmodRefusal(error);
    }
    for (const part of parts) {
      let offset = 0;
      while (offset < part.byteLength) offset += writeSync(fd, part, offset, part.byteLength - offset);
    }
    if (durable) fsyncSync(fd);
    isOpen = false; // never close twice: the number may already belong to another open file
    closeSync(fd);
    renameSync(temp, path);
  } catch (error) {
    if (isOpen) closeQuietly(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Already gone.
    }
    throw error;
  }
}

/**
 * open()'s mode is filtered by the umask, so the exact mode comes from fchmod. Where a file system
 * refuses fchmod (some network mounts), the file keeps open()'s mode: never more open than asked.
 */
function ignoreChmodRefusal(error: unknown): void {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // The error being thrown is the one that matters.
  }
}

function pieces(data: string | Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8')];
  if (data instanceof Uint8Array) return [data];
  return data;
}

/** fsync a folder so a rename inside it survives a crash (a no-op where the filesystem refuses). */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems (and platforms) refuse fsync on a directory; the rename is still atomic.
  } finally {
    await handle.close();
  }
}
