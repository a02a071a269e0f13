import { fchmodSync, openSync } from 'node:fs';
import { errnoCode } from '@hpc/core';

/**
 * Opens a log file for appending (a file descriptor). A new file gets exactly `mode`, whatever the
 * umask; an existing one (a rerun, or one the driver made) keeps its own.
 */
export function openForAppend(file: string, mode: number): number {
  let fd: number;
  try {
    fd = openSync(file, 'ax', mode);
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    return openSync(file, 'a');
  }
  fchmodSync(fd, mode);
  return fd;
}
