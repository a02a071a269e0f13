import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectSerializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { H5Dataset } from '../src/hdf5/h5wasm-runtime.ts';
import { withRawFile } from './hdf5-helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-h5-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('structure text and object header', () => {
  it('writes non-ASCII structure text as exactly its UTF-8 bytes', async () => {
    const file = join(dir, 'utf8.h5');
    const value = { text: 'héllo € \u{1F600} \ud800', ascii: 'plain', list: ['ü', 'ß'] };
    await new ObjectSerializer(file, { durable: false }).serialize(value, '/v');
    await withRawFile(file, 'r', (f) => {
      const bytes = (f.get('/v/structure') as H5Dataset).value as Uint8Array;
      expect(Buffer.from(bytes).equals(Buffer.from(JSON.stringify(value), 'utf8'))).toBe(true);
    });
    expect(await new ObjectSerializer(file).load('/v')).toEqual(value);
  });

  it('reads a structure larger than one heap slice, multi-byte characters across slice edges included', async () => {
    const file = join(dir, 'slices.h5');
    // Reads go by whole 4 MiB chunks at least: ~6 MiB of text with 4 KiB slices takes two reads;
    // the one 'x' puts the edge inside a multi-byte character.
    const crate = new ObjectSerializer(file, { sliceBytes: 4096, durable: false });
    const value = Array.from({ length: 700 }, (_, i) => ({
      i,
      text: `${i === 0 ? 'x' : ''}${'é€\u{1F600}'.repeat(1000)}${'ü'.repeat(i % 13)}`,
    }));
    await crate.serialize(value, '/text');
    expect(await crate.load('/text')).toEqual(value);
  });

  it('info still reports every attribute and array after load reads only the header', async () => {
    const file = join(dir, 'info.h5');
    const crate = new ObjectSerializer(file, { durable: false });
    await crate.serialize({ values: new Float64Array(5000), note: 'x' }, '/run');
    await crate.load('/run');
    const info = await crate.info('/run');
    expect(info).toMatchObject({
      objectPath: '/run',
      formatVersion: 2,
      rootType: undefined,
      typeIds: [],
      arrays: [{ name: 'arrays/0', dtype: 'Float64Array', shape: [5000] }],
    });
    expect(info.codec).toMatch(/^blosc-lz4/);
    expect(Number.isNaN(Date.parse(info.createdAt as string))).toBe(false);
  });
});
