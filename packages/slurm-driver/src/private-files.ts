import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { asFileWriteError } from '@hpc/core';

/**
 * Creates a new file with exactly `mode`, whatever the umask (open's mode is filtered by it, so it
 * is set again on the open descriptor before anything is written). Fails if the file exists.
 * Synchronous: a job's few small files cost tens of microseconds each this way.
 */
export function writePrivateFile(path: string, data: string, mode: number): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'wx', mode);
    fchmodSync(fd, mode);
    const bytes = Buffer.from(data);
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
  } catch (error) {
    throw asFileWriteError(error, path, 'write');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
