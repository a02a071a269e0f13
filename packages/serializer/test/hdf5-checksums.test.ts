import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ObjectSerializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { H5Dataset, H5Group } from '../src/hdf5/h5wasm-runtime.ts';
import { runH5py, typedErrorOf, withRawFile } from './hdf5-helpers.ts';

/**
 * Layout version 2: the CRC-32 of every chunk of every array (hpc_crc32) and of the structure
 * (hpc_structure_crc32), on every write path, verified on every read path (whole loads, partial
 * reads, worker threads); damage HDF5 does not see is a CorruptFileError naming the chunk.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-h5-crc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ramp(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => i + 0.25);
}

function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** The CRC-32 of each `unit`-element piece of `values` (the last one shorter). */
function expectedCrcs(values: Float64Array, unit: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < values.length; at += unit) out.push(crc32(bytesOf(values.subarray(at, at + unit))));
  return out;
}

/** What the file stores for the object: its structure CRC and each array's chunks and CRCs. */
async function storedChecksums(file: string, objectPath: string) {
  return withRawFile(file, 'r', (f) => {
    const group = f.get(objectPath) as H5Group;
    const structure = (f.get(`${objectPath}/structure`) as H5Dataset).value as Uint8Array;
    const arrays = (f.get(`${objectPath}/arrays`) as H5Group | null)?.keys() ?? [];
    return {
      structure: group.attrs.hpc_structure_crc32?.value,
      structureType: group.attrs.hpc_structure_crc32?.dtype,
      structureExpected: crc32(structure),
      arrays: arrays.map((name) => {
        const dataset = f.get(`${objectPath}/arrays/${name}`) as H5Dataset;
        const attribute = dataset.attrs.hpc_crc32;
        return {
          chunks: dataset.metadata.chunks,
          crcs: [...((attribute?.value as Uint32Array | undefined) ?? [])],
          dtype: attribute?.dtype,
          shape: attribute?.shape,
        };
      }),
    };
  });
}

describe('layout version 2 checksums', () => {
  it('every write path stores the CRC-32 of each chunk (the last one only its elements) and of the structure', async () => {
    const small = ramp(50_003); // several 64 KiB chunks, a short last one
    const big = ramp((24 << 17) + 5); // 24 MiB + 5 elements: compressed by the worker threads
    const cases = [
      { name: 'blosc', values: small, options: { chunkBytes: 64 << 10 }, unit: 8192 },
      { name: 'blosc-workers', values: big, options: { chunkBytes: 1 << 20 }, unit: 131_072 },
      { name: 'gzip', values: small, options: { codec: 'gzip', chunkBytes: 64 << 10 }, unit: 8192 },
      { name: 'none-chunked', values: big, options: { codec: 'none', chunkBytes: 1 << 20 }, unit: 131_072 },
      { name: 'none-contiguous', values: small, options: { codec: 'none' }, unit: small.length },
    ] as const;
    const file = join(dir, 'layout.h5');
    const serializer = new ObjectSerializer(file, { writeThreads: 2 });
    for (const { name, values, options } of cases)
      await serializer.serialize({ values }, `/${name}`, options);
    for (const { name, values, unit } of cases) {
      const stored = await storedChecksums(file, `/${name}`);
      expect(stored.structure, name).toBe(stored.structureExpected);
      expect(stored.structureType, name).toBe('<I');
      const [array] = stored.arrays;
      const crcs = expectedCrcs(values, unit);
      expect(array, name).toEqual({
        chunks: name === 'none-contiguous' ? null : [unit],
        crcs,
        dtype: '<I',
        shape: [crcs.length],
      });
      expect(
        bytesOf((await serializer.load<{ values: Float64Array }>(`/${name}`)).values).equals(bytesOf(values)),
      ).toBe(true);
    }
  }, 60_000);
});

/** Flips one bit of the first occurrence of `marker` in the file. */
async function flipAt(file: string, marker: Buffer, copy: string): Promise<void> {
  const bytes = await readFile(file);
  const at = bytes.indexOf(marker);
  if (at < 0) throw new Error('marker not found in the file');
  bytes[at] = (bytes[at] as number) ^ 0x10;
  await writeFile(copy, bytes);
}

function float64Bytes(value: number): Buffer {
  return bytesOf(Float64Array.of(value));
}

describe('damage is found where HDF5 does not look', () => {
  it('a flipped byte in a chunk: load, partial reads of that chunk and worker reads name the chunk', async () => {
    const values = ramp(5_000_000); // 40 MiB in 1 MiB chunks: read by two threads
    const file = join(dir, 'flip.h5');
    await new ObjectSerializer(file).serialize({ values }, '/obj', { codec: 'none', chunkBytes: 1 << 20 });
    const cases = [
      { element: 10, chunk: 0 }, // the calling thread's share
      { element: 4_500_000, chunk: 34 }, // the worker's share
    ];
    for (const { element, chunk } of cases) {
      const damaged = join(dir, `flip-${chunk}.h5`);
      await flipAt(file, float64Bytes(element + 0.25), damaged);
      const where = `chunk ${chunk} of 39 (elements ${chunk * 131_072}-${chunk * 131_072 + 131_071})`;
      for (const readThreads of [1, 2]) {
        const serializer = new ObjectSerializer(damaged, { readThreads });
        const error = await typedErrorOf(serializer.load('/obj'));
        expect(error, `${chunk}/${readThreads}`).toMatchObject({
          _tag: 'CorruptFileError',
          file: damaged,
          objectPath: '/obj',
        });
        expect(error.message).toContain(`checksum mismatch in dataset /obj/arrays/0, ${where}`);
        // A part of the damaged chunk that does not hold the flipped byte: the whole chunk is read and checked.
        const part = await typedErrorOf(
          serializer.readArray('/obj', 'values', { start: chunk * 131_072 + 100_000, count: 5 }),
        );
        expect(part.message).toContain(where);
      }
      // Other chunks still read.
      const other = await new ObjectSerializer(damaged).readArray('/obj', 'values', {
        start: 2_000_000,
        count: 3,
      });
      expect([...other]).toEqual([2_000_000.25, 2_000_001.25, 2_000_002.25]);
    }
  }, 60_000);

  it('a flipped byte in the structure text', async () => {
    const file = join(dir, 'structure.h5');
    await new ObjectSerializer(file).serialize({ distinctiveFieldName: 1 }, '/obj');
    const damaged = join(dir, 'structure-damaged.h5');
    await flipAt(file, Buffer.from('distinctiveFieldName'), damaged);
    const error = await typedErrorOf(new ObjectSerializer(damaged).load('/obj'));
    expect(error).toMatchObject({ _tag: 'CorruptFileError', objectPath: '/obj' });
    expect(error.message).toContain('checksum mismatch in dataset /obj/structure, its only chunk');
  });

  it('a flipped byte in a string attribute (global heap, not checksummed by HDF5): info refuses it', async () => {
    const file = join(dir, 'attributes.h5');
    await new ObjectSerializer(file).serialize({ x: 1 }, '/obj', { codec: 'gzip' });
    const stamp = (await new ObjectSerializer(file).info('/obj')).createdAt as string;
    const damaged = join(dir, 'attributes-damaged.h5');
    await flipAt(file, Buffer.from(stamp), damaged);
    const error = await typedErrorOf(new ObjectSerializer(damaged).info('/obj'));
    expect(error).toMatchObject({ _tag: 'CorruptFileError', objectPath: '/obj' });
    expect(error.message).toContain("checksum mismatch in the object's attributes");
    // The codec label lives there too.
    const codecDamaged = join(dir, 'codec-damaged.h5');
    await flipAt(file, Buffer.from('gzip level='), codecDamaged);
    expect((await typedErrorOf(new ObjectSerializer(codecDamaged).info('/obj'))).message).toContain(
      "checksum mismatch in the object's attributes",
    );
  });

  it('a global heap object size HDF5 would loop on forever (a free-space object of size 0): info refuses it at once', async () => {
    const file = join(dir, 'heap.h5');
    await new ObjectSerializer(file).serialize({ x: 1 }, '/obj');
    const bytes = await readFile(file);
    const heap = bytes.indexOf('GCOL');
    expect(bytes[heap + 4]).toBe(1);
    // Walk to the free-space object (index 0) and make its size 0: HDF5 2.0's walk stands still there.
    let at = heap + 16;
    while (bytes.readUInt16LE(at) !== 0) at += 16 + Math.ceil(Number(bytes.readBigUInt64LE(at + 8)) / 8) * 8;
    const damaged = Buffer.from(bytes);
    damaged.writeBigUInt64LE(0n, at + 8);
    const copy = join(dir, 'heap-damaged.h5');
    await writeFile(copy, damaged);
    const started = performance.now();
    const error = await typedErrorOf(new ObjectSerializer(copy).info('/obj'));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ _tag: 'CorruptFileError', file: copy, objectPath: '/obj' });
    expect(error.message).toContain(
      `the global heap collection at byte ${heap} is damaged: object 0 at +${at - heap} has a size of 0 bytes`,
    );
    // load and list do not read these strings: they give what was written.
    expect(await new ObjectSerializer(copy).load('/obj')).toEqual({ x: 1 });
    expect(await new ObjectSerializer(copy).list()).toEqual(['/obj']);
    // The undamaged file still reads (the check passes whole collections).
    expect(await new ObjectSerializer(file).load('/obj')).toEqual({ x: 1 });
  });

  it('the chunk index: a filter mask that skips Blosc, and an entry count of zero (v1 B-tree, not checksummed)', async () => {
    const values = ramp(100_000);
    const file = join(dir, 'btree.h5');
    await new ObjectSerializer(file).serialize({ values }, '/obj', { chunkBytes: 64 << 10 });
    const bytes = await readFile(file);
    const tree = bytes.indexOf('TREE');
    expect(bytes[tree + 4]).toBe(1); // node type 1: raw data chunks
    // Entries start at 24: chunk size (4), filter mask (4), offsets... of the first chunk.
    const mask = Buffer.from(bytes);
    mask.writeUInt32LE(1, tree + 24 + 4);
    const none = Buffer.from(bytes);
    none.writeUInt16LE(0, tree + 6);
    for (const [name, damaged] of [
      ['mask', mask],
      ['entries', none],
    ] as const) {
      const copy = join(dir, `btree-${name}.h5`);
      await writeFile(copy, damaged);
      const error = await typedErrorOf(new ObjectSerializer(copy).load('/obj'));
      expect(error, name).toMatchObject({ _tag: 'CorruptFileError', objectPath: '/obj' });
      expect(error.message, name).toContain('checksum mismatch in dataset /obj/arrays/0');
    }
  });
});

describe('objects written before checksums (layout version 1)', () => {
  it('are refused by default, described by info, and loaded unverified on request', async () => {
    const file = join(dir, 'version1.h5');
    await runH5py(
      `
with h5py.File(sys.argv[1], 'w') as f:
    g = f.create_group('old')
    g.attrs['hpc_format_version'] = np.int32(1)
    g.attrs['hpc_types'] = '[]'
    g.create_dataset('arrays/0', data=np.arange(1000, dtype='<f8'), chunks=(100,), compression='gzip')
    g.create_dataset('structure', data=np.frombuffer(json.dumps({'v': ta('arrays/0', 1000)}).encode(), dtype='u1'))`,
      file,
    );
    const refused = await typedErrorOf(new ObjectSerializer(file).load('/old'));
    expect(refused).toMatchObject({
      _tag: 'UnsupportedFormatVersionError',
      file,
      objectPath: '/old',
      version: 1,
    });
    expect(refused.message).toContain('by an older @hpc, without checksums');
    expect(refused.message).toContain('acceptVersion1WithoutChecksums: true');
    expect((await typedErrorOf(new ObjectSerializer(file).readArray('/old', 'v')))._tag).toBe(
      'UnsupportedFormatVersionError',
    );
    expect((await new ObjectSerializer(file).info('/old')).formatVersion).toBe(1);
    const legacy = new ObjectSerializer(file, { acceptVersion1WithoutChecksums: true });
    expect((await legacy.load<{ v: Float64Array }>('/old')).v).toEqual(
      Float64Array.from({ length: 1000 }, (_, i) => i),
    );
  });
});
