/**
 * Scratch folders for the suite. Fuzz cases write thousands of damaged copies of crates up to
 * 6 MiB: on a RAM filesystem (/dev/shm, where there is one) that costs no disk writeback, which
 * on this 2-core machine doubled the wall time of the .bin fuzz (71 s on /tmp).
 */
import { statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function ramFolder(): string | undefined {
  try {
    return statSync('/dev/shm').isDirectory() ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}

export function scratchDir(prefix: string, onRam = true): Promise<string> {
  return mkdtemp(join((onRam && ramFolder()) || tmpdir(), `hpc-reliability-${prefix}-`));
}
