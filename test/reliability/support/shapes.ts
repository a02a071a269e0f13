/**
 * The values the reliability suite writes, damages and loads back: each shape is built the same
 * way in every process (deterministic data, no clock, no randomness), so a child process that
 * loads a damaged crate can compare what it got with the original without receiving it.
 * Importing this module registers the classes, as a user's module would.
 */
import { Process, registerClass, registerProcess } from '@hpc/process';
import type { ObjectSerializeOptions } from '@hpc/serializer';

export class Sample {
  constructor(
    public label = '',
    public values: Float64Array = new Float64Array(0),
    public taken = new Date(0),
  ) {}
}
registerClass(Sample, { id: 'reliability/Sample', module: import.meta.url });

/** A registered Map subclass: revived with its own prototype, entries kept in order. */
export class Catalog extends Map<string, unknown> {}
registerClass(Catalog, { id: 'reliability/Catalog', module: import.meta.url });

export class FitProcess extends Process<number> {
  constructor(
    public name = '',
    public sample = new Sample(),
    public settings: Record<string, unknown> = {},
  ) {
    super();
  }

  run(): number {
    return this.sample.values.length;
  }
}
registerProcess(FitProcess, { id: 'reliability/FitProcess', module: import.meta.url });

/** Deterministic pseudo-random doubles (xorshift32): no two chunks compress alike. */
function noisy(length: number, seed: number, scale = 1): Float64Array {
  let state = seed >>> 0 || 1;
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = Math.sin(i * 1e-3) * scale + (state >>> 0) / 2 ** 32;
  }
  return out;
}

function inlineSmall(): unknown {
  return {
    label: 'inline arrays, ünïcødé ✓',
    count: 42,
    negativeZero: -0,
    notANumber: Number.NaN,
    infinite: Number.NEGATIVE_INFINITY,
    missing: undefined,
    doubles: Float64Array.from([1.5, -0, Number.NaN, 2 ** -1074, 1e308, -3.25, 7, 8]),
    ints: Int32Array.from([1, -2, 2 ** 31 - 1, -(2 ** 31), 5]),
    bytes: Uint8Array.from([0, 1, 254, 255, 128]),
    big: BigInt64Array.from([2n ** 62n, -(2n ** 63n), 1n]),
    nested: { list: [1, 'two', [3, { four: 4 }], null, true] },
  };
}

function largeArray(): unknown {
  return { description: 'one large array', values: noisy(800_000, 11, 1000) };
}

function manyChunks(): unknown {
  const floats = Float32Array.from({ length: 65_536 }, (_, i) => Math.cos(i * 0.01) * i);
  const shorts = Int16Array.from({ length: 40_000 }, (_, i) => (i * 7919) % 65_536);
  const unsigned = BigUint64Array.from({ length: 10_000 }, (_, i) => 2n ** 64n - 1n - BigInt(i) * 3n);
  return { floats, shorts, unsigned };
}

function uncompressed(): unknown {
  return { values: noisy(100_000, 23), weights: Float64Array.from({ length: 5_000 }, (_, i) => i / 3) };
}

/** An Error whose stack is the same in every process (a real stack names the caller's file). */
function fixedError(): RangeError {
  const error = new RangeError('out of range', { cause: 'a cause' });
  error.stack = 'RangeError: out of range\n    at graph (shapes.ts:1:1)';
  return error;
}

function graph(): unknown {
  const shared = { tag: 'shared', when: new Date(1_700_000_000_000) };
  const array = noisy(4_096, 5);
  const sample = new Sample('graph sample', array, new Date(1_600_000_000_000));
  const catalog = new Catalog([
    ['first', shared],
    ['sample', sample],
  ]);
  const root: Record<string, unknown> = {
    shared,
    again: shared,
    sample,
    sameArray: array,
    catalog,
    map: new Map<unknown, unknown>([
      [1, 'one'],
      ['two', shared],
      [3n, [shared, sample]],
    ]),
    set: new Set<unknown>(['a', 2, shared, 10n ** 30n]),
    big: -(2n ** 100n),
    pattern: /a(b|c)+\/d/giu,
    failure: fixedError(),
    dates: [new Date(0), new Date(-1), new Date(8.64e15)],
  };
  root.self = root;
  (shared as Record<string, unknown>).owner = root;
  return root;
}

function processRoot(): unknown {
  const sample = new Sample('process sample', noisy(20_000, 77), new Date(1_650_000_000_000));
  return new FitProcess('fit ✓', sample, { iterations: 100, tolerance: 1e-9, steps: [1, 2, 3] });
}

export interface Shape {
  name: string;
  build: () => unknown;
  /** How ObjectSerializer stores it (the .bin format has no options that change the layout here). */
  h5: ObjectSerializeOptions;
  /** A stored array to read part of with readArray, and the range. */
  readArray?: { property: string; start: number; count: number };
}

export const SHAPES: readonly Shape[] = [
  { name: 'inline-small', build: inlineSmall, h5: {} },
  {
    name: 'large',
    build: largeArray,
    h5: { codec: 'blosc-lz4', chunkBytes: 1 << 20 },
    readArray: { property: 'values', start: 100_000, count: 300_000 },
  },
  {
    name: 'many-chunks',
    build: manyChunks,
    h5: { codec: 'gzip', level: 1, chunkBytes: 4096 },
    readArray: { property: 'floats', start: 1_000, count: 20_000 },
  },
  {
    name: 'codec-none',
    build: uncompressed,
    h5: { codec: 'none' },
    readArray: { property: 'values', start: 10, count: 50_000 },
  },
  {
    name: 'graph',
    build: graph,
    h5: { codec: 'blosc-zstd', chunkBytes: 8192 },
    readArray: { property: 'sample.values', start: 0, count: 4_096 },
  },
  {
    name: 'process-root',
    build: processRoot,
    h5: { codec: 'blosc-lz4', chunkBytes: 32 << 10 },
    readArray: { property: 'sample.values', start: 5, count: 10_000 },
  },
];

export function shapeNamed(name: string): Shape {
  const shape = SHAPES.find((candidate) => candidate.name === name);
  if (!shape) throw new Error(`no shape named ${name}`);
  return shape;
}

/** Where a shape lives in its HDF5 fuzz crate, next to a small second object (so list() has two). */
export const FUZZ_OBJECT_PATH = '/runs/target';
export const FUZZ_NEIGHBOUR_PATH = '/neighbour';
export const NEIGHBOUR_VALUE = { note: 'the other object in the file', values: [1, 2, 3] };
