import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHpcError } from '@hpc/core';
import { Process, registerClass, registerProcess } from '@hpc/process';
import { CODEC_NAMES, ObjectSerializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayChunkLength } from '../src/hdf5/accel/blosc-relay-write.ts';
import { type H5Dataset, loadH5WriteRuntime } from '../src/hdf5/h5wasm-runtime.ts';
import { withRawFile } from './hdf5-helpers.ts';

let constructorCalls = 0;
class Point {
  constructor(
    public x = 0,
    public y = 0,
  ) {
    constructorCalls++;
  }
  norm() {
    return Math.hypot(this.x, this.y);
  }
}
registerClass(Point, { id: 'hdf5-test/Point' });

class Labels extends Map<string, number> {}
registerClass(Labels, { id: 'hdf5-test/Labels' });

class MyProcess extends Process<number> {
  constructor(
    public name: string,
    public values: Float64Array,
  ) {
    super();
    constructorCalls++;
  }
  points: Point[] = [];
  async run() {
    return this.values.reduce((a, b) => a + b, 0);
  }
}
registerProcess(MyProcess, { id: 'hdf5-test/MyProcess' });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-h5-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function smooth(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 1e-3) * 1000 + ((i * 7919) % 1000) * 1e-6;
  return out;
}

describe('ObjectSerializer round trip', () => {
  it('stores a Process with its arrays and loads an equal instance without running constructors', async () => {
    const file = join(dir, 'process.h5');
    const crate = new ObjectSerializer(file);
    const process = new MyProcess('Sample Data', smooth(100_000));
    process.points = [new Point(3, 4), new Point(1, 2)];
    await crate.serialize(process, '/my_process');
    const calls = constructorCalls;
    const loaded = await crate.load<MyProcess>('/my_process');
    expect(constructorCalls).toBe(calls);
    expect(loaded).toBeInstanceOf(MyProcess);
    expect(loaded.name).toBe('Sample Data');
    expect(loaded.values).toBeInstanceOf(Float64Array);
    expect(Buffer.from(loaded.values.buffer).equals(Buffer.from(process.values.buffer))).toBe(true);
    expect(loaded.points[0]).toBeInstanceOf(Point);
    expect(loaded.points[0]?.norm()).toBe(5);
    expect(await loaded.run()).toBe(await process.run());
    expect(await crate.list()).toEqual(['/my_process']);
    expect(await crate.has('/my_process')).toBe(true);
    expect(await crate.has('/other')).toBe(false);
    const info = await crate.info('/my_process');
    expect(info).toMatchObject({
      formatVersion: 2,
      rootType: 'hdf5-test/MyProcess',
      codec: 'blosc-lz4 level=5 shuffle=byte',
    });
    expect(info.typeIds.sort()).toEqual(['hdf5-test/MyProcess', 'hdf5-test/Point']);
  });

  it('keeps every kind of value: special numbers, BigInt, Date, Map, Set, RegExp, Error, boxed, shared and circular references', async () => {
    const file = join(dir, 'kinds.h5');
    const shared = { id: 1 };
    const labels = new Labels([['a', 1]]);
    const value: Record<string, unknown> = {
      text: 'héllo \u{1F600} \ud800',
      numbers: [
        0,
        -0,
        1.5,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        2 ** 53 + 2,
        -(2 ** 40),
      ],
      flags: [true, false, null, undefined],
      big: [0n, -(2n ** 100n), 2n ** 64n - 1n],
      when: new Date(1_700_000_000_123),
      invalidDate: new Date(Number.NaN),
      map: new Map<unknown, unknown>([
        ['k', shared],
        [1, 'one'],
        [shared, 'object key'],
      ]),
      set: new Set([1, 'two', shared]),
      re: /a+b/gi,
      error: new RangeError('boom', { cause: new Error('inner') }),
      boxed: [Object(1), Object('s'), Object(false)],
      dollar: { $: 'not a tag', $ref: 3 },
      proto: JSON.parse('{"__proto__": {"polluted": true}}'),
      shared: [shared, shared],
      labels,
      small: new Int16Array([1, -2, 3]),
      bytes: new Uint8Array([1, 2, 3]).buffer,
      view: new DataView(new Uint8Array([9, 8, 7]).buffer),
      clamped: new Uint8ClampedArray(5000).fill(255),
      bigints: new BigInt64Array([2n ** 62n, -(2n ** 63n), 1n]),
      ubig: new BigUint64Array([2n ** 64n - 1n, 0n]),
      sparse: Object.assign([1], { 2: 3 }),
    };
    value.self = value;
    const crate = new ObjectSerializer(file);
    await crate.serialize(value, '/kinds', { arrayThresholdBytes: 1024 });
    const back = await crate.load<Record<string, unknown>>('/kinds');
    expect(back.text).toBe(value.text);
    const numbers = back.numbers as number[];
    expect(Object.is(numbers[1], -0)).toBe(true);
    expect(numbers).toEqual(value.numbers);
    expect(back.flags).toEqual([true, false, null, undefined]);
    expect(back.big).toEqual(value.big);
    expect(back.when).toEqual(value.when);
    expect(Number.isNaN((back.invalidDate as Date).getTime())).toBe(true);
    const map = back.map as Map<unknown, unknown>;
    const sharedBack = map.get('k');
    expect(map.get(sharedBack)).toBe('object key');
    expect((back.set as Set<unknown>).has(sharedBack)).toBe(true);
    expect(back.shared).toEqual([sharedBack, sharedBack]);
    expect((back.shared as unknown[])[0]).toBe(sharedBack);
    expect(back.self).toBe(back);
    expect(back.re).toEqual(/a+b/gi);
    expect(back.error).toBeInstanceOf(RangeError);
    expect((back.error as Error).message).toBe('boom');
    expect(((back.error as Error).cause as Error).message).toBe('inner');
    expect(back.boxed).toEqual(value.boxed);
    expect(back.dollar).toEqual({ $: 'not a tag', $ref: 3 });
    expect(Object.getPrototypeOf(back.proto)).toBe(Object.prototype);
    expect(Object.hasOwn(back.proto as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(back.labels).toBeInstanceOf(Labels);
    expect((back.labels as Labels).get('a')).toBe(1);
    expect(back.small).toEqual(new Int16Array([1, -2, 3]));
    expect(new Uint8Array(back.bytes as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    expect((back.view as DataView).getUint8(1)).toBe(8);
    expect(back.clamped).toBeInstanceOf(Uint8ClampedArray);
    expect(back.clamped).toEqual(value.clamped);
    expect(back.bigints).toEqual(value.bigints);
    expect(back.ubig).toEqual(value.ubig);
    expect((back.sparse as unknown[]).length).toBe(3);
  });

  it('keeps identity when a repeated object first appears inside otherwise plain data', async () => {
    const file = join(dir, 'identity.h5');
    const a = { x: 1 };
    const b = { y: [a] };
    const value = {
      plain: { deep: [1, 2, { z: 'q' }] },
      first: [{ inner: a }, b],
      again: a,
      viaB: b,
      list: [[a]],
    };
    const crate = new ObjectSerializer(file);
    await crate.serialize(value, '/v');
    const back = await crate.load<typeof value>('/v');
    expect(back).toEqual(value);
    expect((back.first[0] as { inner: object }).inner).toBe(back.again);
    expect(back.viaB).toBe(back.first[1]);
    expect(back.viaB.y[0]).toBe(back.again);
    expect(back.list[0]?.[0]).toBe(back.again);
  });

  it('stores plain JSON data as exactly its JSON text', async () => {
    const file = join(dir, 'plain.h5');
    const records = Array.from({ length: 100 }, (_, i) => ({
      id: i,
      name: `r${i}`,
      tags: ['a', 'b'].slice(i % 3),
      score: i / 7,
    }));
    await new ObjectSerializer(file).serialize(records, '/records');
    await withRawFile(file, 'r', (f) => {
      const bytes = (f.get('/records/structure') as H5Dataset).value as Uint8Array;
      expect(Buffer.from(bytes).toString('utf8')).toBe(JSON.stringify(records));
    });
  });

  it('stores a subarray view as exactly its own elements (h5wasm 0.8 wrote the whole buffer)', async () => {
    const file = join(dir, 'views.h5');
    const backing = new Float64Array(10_000).map((_, i) => i);
    const view = backing.subarray(3, 5003);
    const crate = new ObjectSerializer(file);
    await crate.serialize({ view }, '/v', { arrayThresholdBytes: 1024 });
    const back = await crate.load<{ view: Float64Array }>('/v');
    expect(back.view.length).toBe(5000);
    expect(back.view[0]).toBe(3);
    expect(back.view[4999]).toBe(5002);
  });

  it('round-trips with every codec and several objects per file', async () => {
    const file = join(dir, 'codecs.h5');
    const crate = new ObjectSerializer(file);
    const data = smooth(300_000);
    for (const codec of CODEC_NAMES) {
      await crate.serialize({ data, codec }, `/by-codec/${codec}`, { codec });
    }
    expect(await crate.list()).toEqual(CODEC_NAMES.map((c) => `/by-codec/${c}`).sort());
    for (const codec of CODEC_NAMES) {
      const back = await crate.load<{ data: Float64Array; codec: string }>(`/by-codec/${codec}`);
      expect(back.codec).toBe(codec);
      expect(Buffer.from(back.data.buffer).equals(Buffer.from(data.buffer))).toBe(true);
    }
  });

  it('reads a slice of one array without loading the object', async () => {
    const file = join(dir, 'slice.h5');
    const crate = new ObjectSerializer(file);
    const values = new Float64Array(1_000_000).map((_, i) => i * 0.5);
    const process = new MyProcess('slice', values);
    await crate.serialize(process, '/p', { chunkBytes: 64 << 10 });
    const part = await crate.readArray('/p', 'values', { start: 123_456, count: 1000 });
    expect(part).toBeInstanceOf(Float64Array);
    expect(part.length).toBe(1000);
    expect(part[0]).toBe(123_456 * 0.5);
    expect(part[999]).toBe(124_455 * 0.5);
    expect(await crate.readArray('/p', ['values'], { start: 999_999 })).toEqual(
      new Float64Array([999_999 * 0.5]),
    );
    await expect(crate.readArray('/p', 'values', { start: 999_999, count: 2 })).rejects.toThrow(RangeError);
    await expect(crate.readArray('/p', 'name')).rejects.toThrow(/not a typed array/);
  });

  it('streams arrays in slices smaller than the array (the path big arrays take)', async () => {
    const file = join(dir, 'streamed.h5');
    const crate = new ObjectSerializer(file, { sliceBytes: 64 << 10 });
    const values = smooth(200_003); // not a multiple of the chunk or the slice
    await crate.serialize({ values }, '/s', { chunkBytes: 16 << 10 });
    const back = await crate.load<{ values: Float64Array }>('/s');
    expect(Buffer.from(back.values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    const middle = await crate.readArray('/s', 'values', { start: 1000, count: 150_000 });
    expect(Buffer.from(middle.buffer).equals(Buffer.from(values.slice(1000, 151_000).buffer))).toBe(true);
  });

  it('reads large arrays with worker threads, identical to the single-threaded read', async () => {
    const file = join(dir, 'parallel.h5');
    const values = smooth(5_000_000); // 40 MiB: above the 16 MiB parallel threshold
    await new ObjectSerializer(file).serialize({ values, small: smooth(100) }, '/p', { chunkBytes: 1 << 20 });
    const parallel = await new ObjectSerializer(file, { readThreads: 2 }).load<{ values: Float64Array }>(
      '/p',
    );
    expect(Buffer.from(parallel.values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    const single = await new ObjectSerializer(file, { readThreads: 1 }).load<{ values: Float64Array }>('/p');
    expect(Buffer.from(single.values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    const part = await new ObjectSerializer(file, { readThreads: 2 }).readArray('/p', 'values', {
      start: 7,
      count: 4_000_000,
    });
    expect(Buffer.from(part.buffer).equals(Buffer.from(values.buffer, 7 * 8, 4_000_000 * 8))).toBe(true);
    // Reads at the same time share the workers (and their shared-memory rings) and stay apart.
    const reader = new ObjectSerializer(file, { readThreads: 2 });
    const together = await Promise.all([
      reader.load<{ values: Float64Array }>('/p'),
      reader.readArray('/p', 'values', { start: 1_000_001, count: 3_000_000 }),
      reader.load<{ values: Float64Array }>('/p'),
    ]);
    expect(Buffer.from(together[0].values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    expect(
      Buffer.from(together[1].buffer).equals(Buffer.from(values.buffer, 1_000_001 * 8, 3_000_000 * 8)),
    ).toBe(true);
    expect(Buffer.from(together[2].values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
  });

  it('compresses large arrays on worker threads into the same file as compressing on the calling thread', async () => {
    const values = smooth(3_000_000); // 24 MiB: above the 16 MiB parallel threshold
    const sizes: number[] = [];
    for (const writeThreads of [1, 3]) {
      const file = join(dir, `write-threads-${writeThreads}.h5`);
      await new ObjectSerializer(file, { writeThreads }).serialize({ values }, '/p', { chunkBytes: 1 << 20 });
      const back = await new ObjectSerializer(file).load<{ values: Float64Array }>('/p');
      expect(Buffer.from(back.values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
      sizes.push((await stat(file)).size);
    }
    // The same Blosc code with the same parameters on the same chunks: byte for byte the same data.
    expect(sizes[0]).toBe(sizes[1]);
    expect(sizes[0]).toBeLessThan(values.byteLength);
  });

  it('gives every compressed chunk back to the writing instance once HDF5 has written it (its heap stays put)', async () => {
    const values = smooth(3_000_000); // 24 MiB, 24 chunks of 1 MiB: each chunk's buffer is HDF5's to free
    const heapAfter: number[] = [];
    for (let round = 0; round < 4; round++) {
      const file = join(dir, `heap-${round}.h5`);
      await new ObjectSerializer(file, { durable: false }).serialize({ values }, '/p', {
        chunkBytes: 1 << 20,
      });
      heapAfter.push((await loadH5WriteRuntime()).module.HEAPU8.length);
    }
    // Leaking each chunk would grow the heap by ~24 MiB a round.
    expect(heapAfter[3]).toBe(heapAfter[1]);
  });

  it('stores data Blosc cannot shrink (random bytes) with every Blosc codec', async () => {
    const file = join(dir, 'incompressible.h5');
    const noise = new Uint8Array(randomBytes(3 << 20));
    const crate = new ObjectSerializer(file);
    for (const codec of ['blosc-lz4', 'blosc-zstd', 'blosc-blosclz'] as const) {
      await crate.serialize({ noise }, `/${codec}`, { codec, chunkBytes: 1 << 20 });
      const back = await crate.load<{ noise: Uint8Array }>(`/${codec}`);
      expect(Buffer.from(back.noise).equals(Buffer.from(noise)), codec).toBe(true);
    }
  });

  it('evens out chunks whose edge chunk would be too small to relay, and round-trips them', async () => {
    expect(relayChunkLength(8193, 8, 64 << 10)).toBe(4097); // an 8-byte edge chunk otherwise
    expect(relayChunkLength(8192 * 3 + 2, 8, 64 << 10)).toBe(8192); // a 16-byte edge is enough
    expect(relayChunkLength(100, 8, 64 << 10)).toBe(100); // one chunk
    const file = join(dir, 'edge.h5');
    const values = smooth(8193);
    await new ObjectSerializer(file).serialize({ values }, '/e', { chunkBytes: 64 << 10 });
    const back = await new ObjectSerializer(file).load<{ values: Float64Array }>('/e');
    expect(Buffer.from(back.values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    const [array] = (await new ObjectSerializer(file).info('/e')).arrays;
    expect(array?.chunks).toEqual([4097]);
  });

  it('refuses to replace an object unless asked, and overwrite keeps the others', async () => {
    const file = join(dir, 'overwrite.h5');
    const crate = new ObjectSerializer(file);
    await crate.serialize({ v: 1, data: smooth(50_000) }, '/a');
    await crate.serialize({ v: 2 }, '/b');
    const error = await crate.serialize({ v: 3 }, '/a').catch((e: unknown) => e);
    expect(isHpcError(error) && error._tag).toBe('ObjectExistsError');
    await crate.serialize({ v: 4 }, '/a', { overwrite: true });
    expect(await crate.load('/a')).toEqual({ v: 4 });
    expect(await crate.load('/b')).toEqual({ v: 2 });
  });

  it('deletes an object and returns its space', async () => {
    const file = join(dir, 'delete.h5');
    const crate = new ObjectSerializer(file);
    const big = smooth(500_000);
    await crate.serialize({ big }, '/runs/1/big', { codec: 'none' });
    await crate.serialize({ small: 1, arr: smooth(10_000) }, '/runs/2/small');
    const { size: before } = await import('node:fs/promises').then((fs) => fs.stat(file));
    expect(await crate.delete('/runs/1/big')).toBe(true);
    expect(await crate.delete('/runs/1/big')).toBe(false);
    const { size: after } = await import('node:fs/promises').then((fs) => fs.stat(file));
    expect(after).toBeLessThan(before - 3_000_000);
    expect(await crate.list()).toEqual(['/runs/2/small']);
    expect(await crate.load('/runs/2/small')).toEqual({ small: 1, arr: smooth(10_000) });
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-') || n.endsWith('.lock'))).toEqual([]);
  });

  it('refuses values it cannot store, naming the property path, and leaves the file untouched', async () => {
    const file = join(dir, 'refuse.h5');
    const crate = new ObjectSerializer(file);
    class Unregistered {}
    await expect(crate.serialize({ a: { b: () => 1 } }, '/x')).rejects.toThrow(/\$\.a\.b/);
    await expect(crate.serialize({ a: [new Unregistered()] }, '/x')).rejects.toThrow(
      /unregistered class Unregistered at \$\.a\[0\]/,
    );
    expect(await crate.list()).toEqual([]);
  });
});
