import { describe, expect, it } from 'vitest';
import { describeDifference } from './support/exact-equal.ts';
import { Catalog, Sample, SHAPES } from './support/shapes.ts';

/** The fuzz's judge must see every difference a wrong load could make, and none where there is none. */
describe('exact comparison of a loaded value with the original', () => {
  it('finds nothing between two builds of every shape', () => {
    for (const shape of SHAPES)
      expect(describeDifference(shape.build(), shape.build()), shape.name).toBeUndefined();
  });

  it('tells -0 from 0, and typed array elements by Object.is', () => {
    expect(describeDifference({ x: -0 }, { x: 0 })).toMatch(/\$\.x: -0 became 0/);
    expect(describeDifference(Float64Array.of(1, -0), Float64Array.of(1, 0))).toMatch(/\$\[1\]/);
    expect(describeDifference(Float64Array.of(Number.NaN), Float64Array.of(Number.NaN))).toBeUndefined();
    expect(describeDifference(Float64Array.of(1), Float32Array.of(1))).toMatch(
      /Float64Array became Float32Array/,
    );
  });

  it('tells a registered class from a plain object with the same fields', () => {
    expect(
      describeDifference(new Sample('a'), { label: 'a', values: new Float64Array(0), taken: new Date(0) }),
    ).toMatch(/prototype Sample became Object/);
    expect(describeDifference(new Catalog([['k', 1]]), new Map([['k', 1]]))).toMatch(
      /prototype Catalog became Map/,
    );
  });

  it('tells a shared object from two equal copies, and a cycle from its unrolled copy', () => {
    const shared = { n: 1 };
    expect(describeDifference({ a: shared, b: shared }, { a: { n: 1 }, b: { n: 1 } })).toMatch(/sharing/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeDifference(cyclic, { self: { self: {} } })).toBeDefined();
  });

  it('compares Map and Set entries in order, Dates, RegExps, Errors and BigInts', () => {
    expect(describeDifference(new Map([[1, 'a']]), new Map([[1, 'b']]))).toMatch(/entry\(0\)/);
    expect(describeDifference(new Set([1, 2]), new Set([2, 1]))).toBeDefined();
    expect(describeDifference(new Date(5), new Date(6))).toMatch(/getTime/);
    expect(describeDifference(/a/g, /a/i)).toMatch(/became/);
    expect(describeDifference(new RangeError('x'), new RangeError('y'))).toMatch(/message/);
    expect(describeDifference(2n ** 70n, 2n ** 70n + 1n)).toMatch(/became/);
  });
});
