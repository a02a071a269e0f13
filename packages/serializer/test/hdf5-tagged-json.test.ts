import { registerClass } from '@hpc/process';
import { describe, expect, it } from 'vitest';
import { decodeStructure, parseStructure, scanStructure } from '../src/hdf5/format/tagged-json-decode.ts';
import { encodeStructure, type StructureEncoding } from '../src/hdf5/format/tagged-json-encode.ts';
import type { StoredTypedArray } from '../src/typed-arrays.ts';

class Spot {
  constructor(
    public x = 0,
    public y = 0,
  ) {}
}
registerClass(Spot, { id: 'tagged-json-test/Spot' });

class Row extends Array<unknown> {}
registerClass(Row, { id: 'tagged-json-test/Row' });

const OPTIONS = { datasetThresholdBytes: 1024, datasetName: (index: number) => `arrays/${index}` };

function encode(value: unknown): StructureEncoding {
  return encodeStructure(value, OPTIONS);
}

const corrupt = (detail: string): never => {
  throw new Error(`corrupt: ${detail}`);
};

/** encode, then parse and decode as load does (datasets come from the encoding itself). */
function roundTrip<T>(value: T): T {
  const encoding = encode(value);
  const arrays = new Map(encoding.datasets.map(({ name, view }) => [name, view]));
  const parsed = parseStructure(encoding.json, corrupt);
  expect(scanStructure(parsed, corrupt).refs.map((ref) => ref.name)).toEqual(
    encoding.datasets.map((d) => d.name),
  );
  const decoded = decodeStructure(parsed, {
    loadDataset: (name) => arrays.get(name) as StoredTypedArray,
    corrupt,
  });
  return decoded.root as T;
}

describe('tagged JSON encoder: one walk, then one JSON.stringify', () => {
  it('writes plain data as exactly its JSON text and leaves the value untouched', () => {
    const records = Array.from({ length: 200 }, (_, i) => ({
      id: i,
      name: `r${i} "quoted" \u00e9 \u{1F600}`,
      tags: ['a', 'b', 'c'].slice(i % 4),
      score: i / 7,
      nested: { ok: i % 2 === 0, none: null, list: [[], [1, [2]]] },
    }));
    const copy = structuredClone(records);
    const encoding = encode(records);
    expect(encoding.json).toBe(JSON.stringify(records));
    expect(encoding).toMatchObject({ datasets: [], typeIds: [], rootType: undefined });
    expect(records).toEqual(copy);
  });

  it('still finds shared and circular references inside plain data (arrays of primitives included)', () => {
    const tags = ['x', 'y'];
    const none: unknown[] = [];
    const inner = { k: 1 };
    const records = [
      { id: 0, tags, none },
      { id: 1, tags, none, deep: { inner } },
      { id: 2, again: inner, none },
    ];
    // Objects are numbered in depth-first order: 0 the root, 1 records[0], 2 tags, 3 none, ...
    expect(encode(records).json).toBe(
      '[{"id":0,"tags":["x","y"],"none":[]},' +
        '{"id":1,"tags":{"$":"ref","i":2},"none":{"$":"ref","i":3},"deep":{"inner":{"k":1}}},' +
        '{"id":2,"again":{"$":"ref","i":6},"none":{"$":"ref","i":3}}]',
    );
    const back = roundTrip(records);
    expect(back).toEqual(records);
    expect(back[1]?.tags).toBe(back[0]?.tags);
    expect(back[2]?.none).toBe(back[0]?.none);
    expect(back[2]?.again).toBe(back[1]?.deep?.inner);

    const node: Record<string, unknown> = { name: 'a', list: [1, 2] };
    node.self = node;
    (node.list as unknown[]).push(node.list);
    expect(encode(node).json).toBe('{"name":"a","list":[1,2,{"$":"ref","i":1}],"self":{"$":"ref","i":0}}');
    const cyclic = roundTrip(node);
    expect(cyclic.self).toBe(cyclic);
    expect((cyclic.list as unknown[])[2]).toBe(cyclic.list);
  });

  it('numbers objects right when repeats come between new objects all along (a random graph)', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const nodes = Array.from({ length: 300 }, (_, i) => ({ i, next: [] as object[], tags: [`t${i}`] }));
    for (const node of nodes) {
      for (let k = 0; k < 3; k++) node.next.push(nodes[Math.floor(random() * nodes.length)] as object);
      if (random() < 0.3)
        node.next.push((nodes[Math.floor(random() * nodes.length)] as { tags: object }).tags);
    }
    const back = roundTrip(nodes);
    const index = new Map<object, number>(back.map((node, i) => [node, i]));
    const tagsIndex = new Map<object, number>(back.map((node, i) => [node.tags, i]));
    nodes.forEach((node, i) => {
      const copy = back[i] as (typeof nodes)[number];
      expect(copy.i).toBe(i);
      node.next.forEach((target, k) => {
        const got = copy.next[k] as object;
        if ('i' in target) expect(index.get(got)).toBe((target as { i: number }).i);
        else expect(tagsIndex.get(got)).toBe(nodes.findIndex((n) => n.tags === target));
      });
    });
  });

  it('tags what JSON cannot say inside plain containers, copying the containers, never changing them', () => {
    const value = {
      numbers: [1, Number.NaN, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2],
      missing: [undefined, 1],
      holes: Object.assign([1], { 2: 3 }),
      field: undefined,
      big: 2n ** 70n,
      when: new Date(1_700_000_000_000),
      dollar: { $: 'not a tag', inner: { $: { $: 1 } } },
    };
    const encoding = encode(value);
    expect(encoding.json).toBe(
      '{"numbers":[1,{"$":"num","v":"NaN"},{"$":"num","v":"-0"},{"$":"num","v":"Infinity"},{"$":"num","v":"-Infinity"},2],' +
        '"missing":[{"$":"u"},1],"holes":[1,{"$":"u"},3],"field":{"$":"u"},' +
        '"big":{"$":"big","v":"1180591620717411303424"},"when":{"$":"date","v":1700000000000},' +
        '"dollar":{"$":"esc","v":{"$":"not a tag","inner":{"$":"esc","v":{"$":{"$":"esc","v":{"$":1}}}}}}}',
    );
    expect(value.numbers).toHaveLength(6);
    expect(Object.is(value.numbers[2], -0)).toBe(true);
    expect(2 in value.holes && !(1 in value.holes)).toBe(true);
    const back = roundTrip(value);
    expect(back).toEqual({ ...value, holes: [1, undefined, 3] });
    expect(Object.is(back.numbers[2], -0)).toBe(true);
    expect(back.dollar).toEqual({ $: 'not a tag', inner: { $: { $: 1 } } });
  });

  it('keeps a "__proto__" key as an own field when its object is copied, without touching prototypes', () => {
    const value = JSON.parse('{"a": 1, "__proto__": {"polluted": true}, "z": 2}');
    value.z = Number.NaN; // forces a copy of the object
    const json = encode(value).json;
    expect(json).toBe('{"a":1,"__proto__":{"polluted":true},"z":{"$":"num","v":"NaN"}}');
    const back = roundTrip(value);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lists only own keys when Object.prototype has enumerable keys', () => {
    Object.defineProperty(Object.prototype, 'injected', {
      value: { $: 'ref', i: 0 },
      enumerable: true,
      configurable: true,
      writable: true,
    });
    try {
      const value = { a: 1, b: [{ c: Number.NaN }] };
      expect(encode(value).json).toBe('{"a":1,"b":[{"c":{"$":"num","v":"NaN"}}]}');
      const back = roundTrip(value);
      expect(Object.keys(back)).toEqual(['a', 'b']);
      expect(Number.isNaN(back.b[0]?.c)).toBe(true);
    } finally {
      delete (Object.prototype as Record<string, unknown>).injected;
    }
  });

  it('names registered classes and the root type, and refuses what cannot be stored with its path', () => {
    const spot = new Spot(1, 2);
    const encoding = encode({ spots: [spot, spot], row: Row.from([new Spot()]) });
    expect(encoding.typeIds.sort()).toEqual(['tagged-json-test/Row', 'tagged-json-test/Spot']);
    expect(encoding.rootType).toBeUndefined();
    expect(encoding.json).toContain('{"$":"ref","i":2}');
    expect(encode(spot).rootType).toBe('tagged-json-test/Spot');
    expect(encode(Row.from([1])).rootType).toBe('tagged-json-test/Row');

    class Unregistered {}
    expect(() => encode({ a: [1, { b: () => 1 }] })).toThrow(/function.*\$\.a\[1\]\.b/);
    expect(() => encode({ tags: ['a', Symbol('s')] })).toThrow(/symbol.*\$\.tags\[1\]/);
    expect(() => encode({ list: [new Unregistered()] })).toThrow(
      /unregistered class Unregistered at \$\.list\[0\]/,
    );
    expect(() => encode({ e: new Error('x', { cause: () => 1 }) })).toThrow(/a function cannot be stored/);
  });

  it('stores large typed arrays as datasets, small ones inline, and keeps views and sharing', () => {
    const big = new Float64Array(2000).map((_, i) => i);
    const value = { big, again: big, view: big.subarray(10, 20), small: new Int16Array([1, -2]) };
    const encoding = encode(value);
    expect(encoding.datasets.map(({ name, kind, view }) => [name, kind, view.length])).toEqual([
      ['arrays/0', 'Float64Array', 2000],
    ]);
    const back = roundTrip(value);
    expect(back.again).toBe(back.big);
    expect(back.view).toEqual(new Float64Array([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]));
    expect(back.small).toEqual(new Int16Array([1, -2]));
  });
});

describe('the walks keep one state object between calls', () => {
  it('an encode or decode started inside another (from a getter, from loadDataset) gets its own', () => {
    const shared = { k: 1 };
    let inner: StructureEncoding | undefined;
    const outer = {
      a: shared,
      get b() {
        inner = encode([shared, shared, Number.NaN]);
        return shared;
      },
    };
    expect(encode(outer).json).toBe('{"a":{"k":1},"b":{"$":"ref","i":1}}');
    expect(inner?.json).toBe('[{"k":1},{"$":"ref","i":1},{"$":"num","v":"NaN"}]');
    // Nothing of the last call is kept: the next one numbers from 0 again.
    expect(encode([shared, [shared]]).json).toBe('[{"k":1},[{"$":"ref","i":1}]]');

    const nested = parseStructure('[{"a":1},{"$":"ref","i":1}]', corrupt);
    let innerRoot: unknown;
    const decoded = decodeStructure(
      parseStructure(
        '[{"x":2},{"$":"ta","t":"Uint8Array","n":1,"ds":"arrays/0"},{"$":"ref","i":1}]',
        corrupt,
      ),
      {
        loadDataset: () => {
          innerRoot = decodeStructure(nested, { loadDataset: () => corrupt('none'), corrupt }).root;
          return new Uint8Array([7]);
        },
        corrupt,
      },
    ).root as unknown[];
    expect(decoded[2]).toBe(decoded[0]);
    expect(decoded[1]).toEqual(new Uint8Array([7]));
    expect((innerRoot as unknown[])[1]).toBe((innerRoot as unknown[])[0]);
  });
});

describe('tagged JSON decoder', () => {
  it('takes text without any "$" as the parsed JSON itself, with no decoding walk', () => {
    const parsed = parseStructure('{"a":[1,{"b":null}],"__proto__":{"x":1}}', corrupt);
    expect(parsed.tagged).toBe(false);
    const decoded = decodeStructure(parsed, { loadDataset: () => corrupt('no datasets'), corrupt });
    expect(decoded.root).toBe(parsed.value);
    expect(decoded.instances).toEqual([]);
    expect(scanStructure(parsed, corrupt).refs).toEqual([]);
    expect(Object.hasOwn(decoded.root as object, '__proto__')).toBe(true);
  });

  it('decodes text whose only "$" is inside strings to the same plain value', () => {
    const value = { price: '$5', list: ['a$', { key$: '$' }] };
    const parsed = parseStructure(encode(value).json, corrupt);
    expect(parsed.tagged).toBe(true);
    expect(decodeStructure(parsed, { loadDataset: () => corrupt('none'), corrupt }).root).toEqual(value);
  });

  it('refuses broken tags and references that do not point back', () => {
    const decode = (json: string) =>
      decodeStructure(parseStructure(json, corrupt), { loadDataset: () => corrupt('none'), corrupt });
    expect(() => decode('[{"$":"ref","i":3}]')).toThrow(/does not precede it/);
    expect(() => decode('{"a":{"$":"nope"}}')).toThrow(/unknown tag "nope"/);
    expect(() => decode('{"$":"big","v":"1e3"}')).toThrow(/not a decimal integer/);
    expect(() => parseStructure('{"a":', corrupt)).toThrow(/not valid JSON/);
  });
});
