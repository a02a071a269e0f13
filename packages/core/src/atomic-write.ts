import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** fsync the file and its folder before returning (default true): the write survives a crash. */
  durable?: boolean;
  /** File mode for a new file (default 0o644). */
  mode?: number;
}

/** Node's write() moves at most 2 GiB per call; pieces are cut well below that. */
const MAX_WRITE_BYTES = 1 << 30;
/** Below this size the thread-pool round trips of async I/O cost more than the blocking write. */
const SYNC_WRITE_BYTES = 4 << 20;

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one, never a
 * part: a temp file beside it, fsync, rename, fsync of the folder. Several pieces are written
 * in order without being joined (no copy of large arrays).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array | readonly Uint8Array[],
  options: AtomicWriteOptions = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const parts = pieces(data);
  if (parts.reduce((total, part) => total + part.byteLength, 0) <= SYNC_WRITE_BYTES) {
    writeSmallFileAtomic(temp, path, parts, durable, options.mode ?? 0o644);
    if (durable) await syncFolder(dirname(path));
    return;
  }
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    for (const piece of parts) {
      let offset = 0;
      while (offset < piece.byteLength) {
        const { bytesWritten } = await handle.write(
          piece,
          offset,
          Math.min(MAX_WRITE_BYTES, piece.byteLength - offset),
        );
        offset += bytesWritten;
      }
    }
    if (durable) await handle.sync();
    await handle.close();
    await rename(temp, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  if (durable) await syncFolder(dirname(path));
}

function writeSmallFileAtomic(
  temp: string,
  path: string,
  parts: readonly Uint8Array[],
  durable: boolean,
  mode: number,
): void {
  const fd = openSync(temp, 'wx', mode);
  try {
    for (const part of parts) {
      let offset = 0;
      while (offset < part.byteLength) offset += writeSync(fd, part, offset, part.byteLength - offset);
    }
    if (durable) fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
    try {
      unlinkSync(temp);
    } catch {
      // Never created or already renamed.
    }
    throw error;
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
