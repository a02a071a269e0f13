import { readdirSync, readlinkSync } from 'node:fs';

/** How many of this process's file descriptors are open on `file` (a failed open that never closed it). */
export function descriptorsOn(file: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // The readdir's own descriptor, closed meanwhile.
    }
  }
  return count;
}

/** All of this process's open descriptors. */
export function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}
