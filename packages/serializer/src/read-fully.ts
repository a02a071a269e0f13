import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { errnoCode, isHpcError } from '@hpc/core';
import { CorruptFileError, FileMissingError, FileReadError, NotASerializedFileError } from './errors.ts';

const MAX_READ_BYTES = 1 << 30;

/** What the readers need of an open file: positional reads (a FileHandle, or a window into one). */
export type ReadAt = Pick<FileHandle, 'read'>;

export interface OpenedFile {
  handle: FileHandle;
  size: number;
}

/**
 * Opens a regular file for reading, or says what it is instead. O_NONBLOCK: opening a FIFO
 * would otherwise wait for a writer forever (a thread-pool thread lost); it changes nothing
 * for regular files.
 */
export async function openForReading(file: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const typed = asReadError(error, file);
    // Not a system error: the path itself is unusable (a NUL byte in it, not a string...).
    throw isHpcError(typed)
      ? typed
      : new FileReadError(file, undefined, { cause: error, detail: String(error) });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new NotASerializedFileError(
        file,
        info.isDirectory() ? 'it is a folder' : 'it is not a regular file (a pipe, device or socket)',
      );
    }
    return { handle, size: info.size };
  } catch (error) {
    await handle.close().catch(() => {});
    throw asReadError(error, file);
  }
}

/** Reads exactly `length` bytes at `position` (in ≤1 GiB calls), into `target` if given. */
export async function readFully(
  handle: ReadAt,
  file: string,
  position: number,
  length: number,
  target?: Uint8Array,
): Promise<Buffer> {
  const buffer = target ? Buffer.from(target.buffer, target.byteOffset, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(
      buffer,
      done,
      Math.min(MAX_READ_BYTES, length - done),
      position + done,
    );
    if (bytesRead === 0) {
      throw new CorruptFileError(
        file,
        `the file ended at byte ${position + done}, before the ${position + length} bytes its header promised (was it truncated while being read?)`,
      );
    }
    done += bytesRead;
  }
  return buffer;
}

/** A system error met while reading `file` as a typed error; typed errors pass through. */
export function asReadError(error: unknown, file: string): unknown {
  if (isHpcError(error)) return error;
  const code = errnoCode(error);
  if (code === 'ENOENT') return new FileMissingError(file, { cause: error });
  if (code === 'EISDIR') return new NotASerializedFileError(file, 'it is a folder');
  return code ? new FileReadError(file, code, { cause: error }) : error;
}
