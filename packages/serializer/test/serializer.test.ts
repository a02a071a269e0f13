import { mkdtemp, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Process, registerClass, registerProcess } from '@hpc/process';
import { Serializer, TYPED_ARRAYS } from '@hpc/serializer';
import { beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_VERSION, HEADER_BYTES } from '../src/bin/binary-format.ts';
import { craftCrate, expectTagged } from './bin-helpers.ts';

let constructorCalls = 0;
class Vec {
  constructor(
    public x = 0,
    public y = 0,
  ) {
    constructorCalls++;
  }
  length() {
    return Math.hypot(this.x, this.y);
  }
}
registerClass(Vec, { id: 'test/Vec' });

class Model extends Process<number> {
  weights = new Float64Array(0);
  parts: Vec[] = [];
  lookup = new Map<string, Vec>();
  tags = new Set<string>();
  created = new Date(0);
  big = 0n;
  parent: Model | undefined;
  run() {
    return this.weights.length;
  }
}
registerProcess(Model, { id: 'test/Model' });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-serializer-'));
});

async function roundTrip<T>(value: T, name = `f${Math.random()}.bin`): Promise<T> {
  const file = join(dir, name);
  await Serializer.serializeToFile(value, file);
  return Serializer.deserializeFromFile<T>(file);
}

describe('Serializer round trips', () => {
  it('keeps primitives, Map, Set, Date, BigInt, nested arrays and plain objects', async () => {
    const value = {
      n: 1.5,
      i: -7,
      s: 'ünïcode ✓',
      b: true,
      nil: null,
      undef: undefined,
      big: 2n ** 70n,
      date: new Date('2026-01-02T03:04:05Z'),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, { deep: [1, [2, [3]]] }],
      ]),
      set: new Set(['x', 'y']),
      nan: Number.NaN,
      inf: -Infinity,
      regexp: /a+b/gi,
    };
    expect(await roundTrip(value)).toEqual(value);
  });

  it('revives registered class instances without running their constructors, and keeps shared and circular references', async () => {
    const shared = new Vec(3, 4);
    const model = new Model();
    model.parts = [shared, shared, new Vec(1, 1)];
    model.lookup.set('first', shared);
    model.parent = model;
    model.weights = Float64Array.from({ length: 100_000 }, (_, i) => i / 3);
    model.tags.add('x');
    model.big = 12345678901234567890n;
    constructorCalls = 0;
    const again = await roundTrip(model);
    expect(constructorCalls).toBe(0);
    expect(again).toBeInstanceOf(Model);
    expect(again.parts[0]).toBeInstanceOf(Vec);
    expect(again.parts[0]?.length()).toBe(5);
    expect(again.parts[0]).toBe(again.parts[1]);
    expect(again.lookup.get('first')).toBe(again.parts[0]);
    expect(again.parent).toBe(again);
    expect(again.weights).toEqual(model.weights);
    expect(again.big).toBe(model.big);
    expect(again.run()).toBe(100_000);
  });

  it('stores every typed array kind, small (inline) and large (out of line), and only a view’s own bytes', async () => {
    const kinds = TYPED_ARRAYS.filter((Kind) => Kind !== BigInt64Array && Kind !== BigUint64Array) as (
      | Float64ArrayConstructor
      | Int8ArrayConstructor
    )[];
    const value: Record<string, unknown> = {};
    for (const Kind of kinds) {
      value[`small${Kind.name}`] = Kind.from([1, 2, 3]);
      value[`large${Kind.name}`] = Kind.from(Array.from({ length: 70_000 }, (_, i) => i % 100));
    }
    value.int64 = BigInt64Array.from([-(2n ** 62n), 2n ** 62n, -1n]);
    value.uint64 = BigUint64Array.from(Array.from({ length: 10_000 }, (_, i) => 2n ** 64n - 1n - BigInt(i)));
    const backing = Float64Array.from({ length: 200_000 }, (_, i) => i);
    value.view = backing.subarray(3, 100_003);
    const again = await roundTrip(value);
    expect(again).toEqual(value);
    expect((again.view as Float64Array)[0]).toBe(3);
    expect((again.view as Float64Array).buffer.byteLength).toBe(100_000 * 8);
  });

  it('writes large arrays out of line, 8-byte aligned, and lists them in the manifest', async () => {
    const file = join(dir, 'manifest.bin');
    const model = new Model();
    model.weights = new Float64Array(10_000).fill(1);
    model.parts = [new Vec()];
    await Serializer.serializeToFile(model, file);
    const manifest = await Serializer.readManifest(file);
    expect(manifest.rootType).toBe('test/Model');
    expect(manifest.types.sort()).toEqual(['test/Model', 'test/Vec']);
    expect(manifest.arrays).toHaveLength(1);
    expect((manifest.arrays[0]?.[1] ?? 1) % 8).toBe(0);
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(80_000);
    expect(size).toBeLessThan(82_000);
  });
});

describe('Serializer refuses what it cannot store faithfully', () => {
  it('names the property path of a function', async () => {
    const error = await expectTagged(
      Serializer.serializeToFile({ model: { callback: () => 1 } }, join(dir, 'x.bin')),
      'UnsupportedValueError',
    );
    expect(error.propertyPath).toBe('$.model.callback');
  });

  it('names the path of a symbol value, a symbol key on a class instance and an unregistered class inside a Map', async () => {
    class Unregistered {}
    const sym = await expectTagged(
      Serializer.serializeToFile({ list: [1, Symbol('s')] }, join(dir, 'x.bin')),
      'UnsupportedValueError',
    );
    expect(sym.propertyPath).toBe('$.list[1]');
    const withSymbolKey = new Vec(1, 2) as Vec & Record<symbol, number>;
    withSymbolKey[Symbol('k')] = 1;
    const key = await expectTagged(
      Serializer.serializeToFile({ inner: withSymbolKey }, join(dir, 'x.bin')),
      'UnsupportedValueError',
    );
    expect(key.propertyPath).toBe('$.inner[Symbol(k)]');
    const cls = await expectTagged(
      Serializer.serializeToFile({ m: new Map([['key', new Unregistered()]]) }, join(dir, 'x.bin')),
      'UnsupportedValueError',
      /unregistered class Unregistered.*registerClass/,
    );
    expect(cls.propertyPath).toBe('$.m.get("key")');
  });

  it('refuses values v8 cannot clone (WeakMap) with a clear error', async () => {
    await expectTagged(
      Serializer.serializeToFile({ w: new WeakMap() }, join(dir, 'x.bin')),
      'UnsupportedValueError',
      /WeakMap|could not be cloned/,
    );
  });

  it('leaves an existing file untouched and no temp files behind when a write is refused', async () => {
    const file = join(dir, 'keep.bin');
    await Serializer.serializeToFile({ keep: 1 }, file);
    await expect(Serializer.serializeToFile({ bad: () => 1 }, file)).rejects.toThrow();
    expect(await Serializer.deserializeFromFile(file)).toEqual({ keep: 1 });
    expect((await readdir(dir)).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });
});

describe('Serializer reading bad files', () => {
  it('reports a missing file', async () => {
    await expectTagged(
      Serializer.deserializeFromFile(join(dir, 'nope.bin')),
      'FileMissingError',
      /does not exist/,
    );
  });

  it('reports a file that is not ours, an empty file, and an HDF5 file', async () => {
    await writeFile(join(dir, 'text.bin'), 'hello world, this is not a crate at all........');
    await expectTagged(
      Serializer.deserializeFromFile(join(dir, 'text.bin')),
      'NotASerializedFileError',
      /magic/,
    );
    await writeFile(join(dir, 'empty.bin'), '');
    await expectTagged(
      Serializer.deserializeFromFile(join(dir, 'empty.bin')),
      'NotASerializedFileError',
      /empty/,
    );
    await writeFile(
      join(dir, 'fake.h5'),
      Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
    );
    await expectTagged(
      Serializer.deserializeFromFile(join(dir, 'fake.h5')),
      'NotASerializedFileError',
      /ObjectSerializer/,
    );
  });

  it('reports truncation, wherever the cut is', async () => {
    const file = join(dir, 'cut.bin');
    const value = { a: Float64Array.from({ length: 50_000 }, (_, i) => i), s: 'x'.repeat(1000) };
    for (const keep of [20, HEADER_BYTES + 10, 2_000, 300_000]) {
      await Serializer.serializeToFile(value, file);
      await truncate(file, keep);
      await expectTagged(Serializer.deserializeFromFile(file), 'CorruptFileError', /truncated/);
    }
  });

  it('reports a flipped byte in the structure (checksum)', async () => {
    const file = join(dir, 'flip.bin');
    await Serializer.serializeToFile({ hello: 'world', n: [1, 2, 3] }, file);
    const bytes = await readFile(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0xff, bytes.length - 3);
    await writeFile(file, bytes);
    await expectTagged(Serializer.deserializeFromFile(file), 'CorruptFileError', /checksum/);
  });

  it('refuses a newer format version and says to upgrade', async () => {
    const file = join(dir, 'future.bin');
    await Serializer.serializeToFile({ a: 1 }, file);
    const bytes = await readFile(file);
    bytes.writeUInt16LE(FORMAT_VERSION + 1, 8);
    await writeFile(file, bytes);
    const error = await expectTagged(
      Serializer.deserializeFromFile(file),
      'UnsupportedFormatVersionError',
      /upgrade/,
    );
    expect(error.version).toBe(FORMAT_VERSION + 1);
  });

  it('refuses an unknown type id and lists the registered ones', async () => {
    const file = join(dir, 'unknown.bin');
    await writeCrafted(file, (o) => [o, [o, 'nobody/Registered']]);
    const error = await expectTagged(
      Serializer.deserializeFromFile(file),
      'UnknownTypeError',
      /nobody\/Registered.*test\/Vec/,
    );
    expect(error.registeredIds).toContain('test/Model');
  });

  it('refuses __proto__, constructor and prototype keys on a revived instance', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const file = join(dir, `forbidden-${key}.bin`);
      await writeCrafted(file, (o) => {
        Object.defineProperty(o, key, {
          value: { polluted: true },
          enumerable: true,
          configurable: true,
          writable: true,
        });
        return [o, [o, 'test/Vec']];
      });
      await expectTagged(Serializer.deserializeFromFile(file), 'ForbiddenKeyError', new RegExp(key));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses an out-of-line array that claims more bytes than the file has, before allocating', async () => {
    const file = join(dir, 'huge.bin');
    await writeCrafted(file, () => [{ a: 1 }, []], [[8, 0, 2 ** 40, 0]]);
    await expectTagged(Serializer.deserializeFromFile(file), 'CorruptFileError', /array 0/);
  });
});

/** Writes a crate by hand, bypassing the writer's own checks, as a hostile or broken writer would. */
async function writeCrafted(
  file: string,
  payload: (o: Record<string, unknown>) => unknown[],
  arrays: unknown[] = [],
) {
  await writeFile(file, craftCrate({ payload: payload({ x: 1 }), arrays }));
}
