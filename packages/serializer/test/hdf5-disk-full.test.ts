import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectSerializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typedErrorOf } from './hdf5-helpers.ts';

/**
 * A full disk, for real: a 4 MiB tmpfs (the tests run as root in CI; mounting is required, not
 * optional). Every write path that runs out of space ends in a FileWriteError saying so, with
 * every descriptor it opened closed and its temp file gone; the old file still loads and a
 * later write that fits succeeds.
 */
let root: string;
let disk: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-h5-full-'));
  disk = join(root, 'disk');
  mkdirSync(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', disk], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `cannot mount a 4 MiB tmpfs at ${disk} (these tests need root to fill a real file system): ${String(error)}`,
    );
  }
});
afterAll(async () => {
  execFileSync('umount', [disk]);
  await rm(root, { recursive: true, force: true });
});

const openDescriptors = () => readdirSync('/proc/self/fd').length;

function noise(n: number): Float64Array {
  let s = 12345;
  return Float64Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s / 2 ** 31;
  });
}

describe('no space left on device', () => {
  it('every write path fails with FileWriteError ENOSPC, leaks nothing, and the disk is usable again', async () => {
    const small = noise(1 << 20); // 8 MiB that do not compress: more than the disk holds
    const big = noise(3 << 20); // 24 MiB: compressed by worker threads
    // Worker threads and both wasm instances exist before descriptors are counted.
    const roomy = new ObjectSerializer(join(root, 'warm-up.h5'), { writeThreads: 2 });
    await roomy.serialize({ big, small }, '/warm', { codec: 'gzip', level: 1 });
    await roomy.serialize({ big }, '/warm-blosc');
    await roomy.delete('/warm');

    const file = join(disk, 'crate.h5');
    const crate = new ObjectSerializer(file, { writeThreads: 2 });
    await crate.serialize({ kept: 'yes', values: noise(1000) }, '/kept');
    expect(await crate.load('/kept')).toMatchObject({ kept: 'yes' });
    const descriptors = openDescriptors();
    const attempts: [string, () => Promise<unknown>][] = [
      ['blosc, calling thread', () => crate.serialize({ small }, '/a')],
      ['blosc, worker threads', () => crate.serialize({ big }, '/b')],
      ['gzip (the HDF5 filter)', () => crate.serialize({ small }, '/c', { codec: 'gzip', level: 1 })],
      ['uncompressed', () => crate.serialize({ small }, '/d', { codec: 'none' })],
      ['overwrite (a rewrite)', () => crate.serialize({ small }, '/kept', { overwrite: true })],
    ];
    for (const [name, attempt] of attempts) {
      const error = await typedErrorOf(attempt());
      expect(error, name).toMatchObject({ _tag: 'FileWriteError', file, code: 'ENOSPC' });
      expect(error.message, name).toContain(`cannot write ${file}: no space left on device`);
      expect(readdirSync(disk), name).toEqual(['crate.h5']);
      expect(openDescriptors(), name).toBe(descriptors);
    }
    expect(await crate.load('/kept')).toMatchObject({ kept: 'yes' });
    await crate.serialize({ later: 1 }, '/later');
    expect(await crate.list()).toEqual(['/kept', '/later']);
  }, 120_000);
});
