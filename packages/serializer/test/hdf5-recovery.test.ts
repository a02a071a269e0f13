import { readdirSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectSerializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadH5Runtime } from '../src/hdf5/h5wasm-runtime.ts';
import { runH5py, typedErrorOf } from './hdf5-helpers.ts';

/**
 * What one bad file must never do to the next call in the same process: leave descriptors or a
 * stale open file behind, or a wasm instance in an undefined state.
 */
let dir: string;
let good: string;
const value = { values: Float64Array.from({ length: 200_000 }, (_, i) => Math.sin(i)), label: 'good' };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-h5-recovery-'));
  good = join(dir, 'good.h5');
  await new ObjectSerializer(good).serialize(value, '/obj', { chunkBytes: 64 << 10 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const openDescriptors = () => readdirSync('/proc/self/fd').length;

/** A crate whose one chunk is a Blosc frame pointing 2 GiB past itself: decoding it traps the wasm module. */
async function trappingCrate(file: string): Promise<void> {
  await runH5py(
    `
import struct
with h5py.File(sys.argv[1], 'w') as f:
    g = put_object(f, 'obj', {'v': ta('arrays/0', 100)})
    ds = g.create_dataset('arrays/0', shape=(100,), dtype='<f8', chunks=(100,), compression=32001, compression_opts=(0, 0, 0, 0, 5, 1, 1))
    header = struct.pack('<BBBBIII', 2, 1, 0x01 | (1 << 5), 8, 800, 800, 0x7ffffff0)
    ds.id.write_direct_chunk((0,), header + struct.pack('<i', 0x7ff00000) + bytes(64), filter_mask=0)
    checksum(ds, np.zeros(100))`,
    file,
  );
}

describe('a bad file leaves nothing behind', () => {
  it('a wasm trap (out-of-bounds read) is a CorruptFileError, every time, and the next load gets a fresh instance', async () => {
    const file = join(dir, 'trap.h5');
    await trappingCrate(file);
    await new ObjectSerializer(good).load('/obj');
    const before = await loadH5Runtime();
    const first = await typedErrorOf(new ObjectSerializer(file).load('/obj'));
    expect(first).toMatchObject({ _tag: 'CorruptFileError', file, objectPath: '/obj' });
    expect(first.message).toContain('the HDF5 library crashed while trying to read the object');
    const again = await typedErrorOf(new ObjectSerializer(file).load('/obj'));
    expect(again.message).toBe(first.message);
    expect(await loadH5Runtime()).not.toBe(before);
    expect(await new ObjectSerializer(good).load('/obj')).toEqual(value);
  });

  it('a damaged global heap gives the same typed error whatever was loaded before, and load does not need it', async () => {
    const bytes = await readFile(good);
    const heap = bytes.indexOf('GCOL');
    expect(heap).toBeGreaterThan(0);
    const damaged = join(dir, 'global-heap.h5');
    bytes.fill(0xff, heap + 16, heap + 200); // the heap objects: vlen attributes (hpc_types, hpc_codec...)
    await writeFile(damaged, bytes);
    const tags: string[] = [];
    for (const before of [undefined, good, join(dir, 'trap.h5')]) {
      if (before) await new ObjectSerializer(before).load('/obj').catch(() => {});
      const error = await typedErrorOf(new ObjectSerializer(damaged).info('/obj'));
      tags.push(`${error._tag} ${error.objectPath}`);
      // load reads no variable-length attribute: the value is all there, checksummed.
      expect(await new ObjectSerializer(damaged).load('/obj')).toEqual(value);
    }
    expect(tags).toEqual(Array(3).fill('CorruptFileError /obj'));
    expect(await new ObjectSerializer(good).load('/obj')).toEqual(value);
  });

  it('failed loads leave no descriptor open, and a file rewritten in place afterwards loads as it is now', async () => {
    const bytes = await readFile(good);
    const inPlace = join(dir, 'in-place.h5');
    await copyFile(good, inPlace);
    await new ObjectSerializer(inPlace).load('/obj');
    const before = openDescriptors();
    const cuts = [0.3, 0.5, 0.7, 0.9];
    let failed = 0;
    for (let round = 0; round < 40; round++) {
      // The same inode each time: HDF5 used to keep the damaged file open and reuse it.
      const damaged = Buffer.from(bytes);
      damaged.fill(round, 0x30 + round * 7, 0x30 + round * 7 + 64);
      await writeFile(inPlace, damaged);
      await new ObjectSerializer(inPlace).load('/obj').catch(() => failed++);
      await writeFile(inPlace, bytes);
      expect(await new ObjectSerializer(inPlace).load('/obj'), `round ${round}`).toEqual(value);
      const cut = join(dir, 'cut.h5');
      await copyFile(good, cut);
      await truncate(cut, Math.floor(bytes.length * (cuts[round % cuts.length] as number)));
      expect((await typedErrorOf(new ObjectSerializer(cut).load('/obj')))._tag).toBe('CorruptFileError');
    }
    expect(failed).toBeGreaterThan(30);
    expect(openDescriptors()).toBe(before);
  }, 60_000);
});
