/**
 * Seeded damage for valid crates, generated with fast-check: truncations (anywhere, and at or next
 * to region boundaries), 1-8 byte flips anywhere, and 1-4 flips aimed at one named region of the
 * file (header, manifest, chunk index...). A mutation is plain JSON, so a failing case can be
 * printed and replayed byte for byte.
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';

/** A named part of a file: one or more [start, end) byte ranges. */
export interface Region {
  name: string;
  ranges: [number, number][];
}

export type Mutation =
  | { kind: 'truncate'; length: number; aim: string }
  | { kind: 'flip'; flips: [offset: number, xor: number][]; aim: string };

const xorMask = fc.integer({ min: 1, max: 255 });

function flipsIn(ranges: readonly [number, number][], maxFlips: number) {
  const flip = fc
    .integer({ min: 0, max: ranges.length - 1 })
    .chain((index) => {
      const [start, end] = ranges[index] as [number, number];
      return fc.tuple(fc.integer({ min: start, max: end - 1 }), xorMask);
    })
    .map(([offset, xor]): [number, number] => [offset, xor]);
  return fc.array(flip, { minLength: 1, maxLength: maxFlips });
}

/** Every mutation kind for a file of `size` bytes with these regions, weighted so each region gets cases. */
export function mutationArbitrary(size: number, regions: readonly Region[]): fc.Arbitrary<Mutation> {
  const usable = regions.filter((region) => region.ranges.some(([start, end]) => end > start));
  const boundaries = [...new Set(usable.flatMap((region) => region.ranges.flat()))].filter(
    (offset) => offset > 0 && offset <= size,
  );
  const truncateAnywhere = fc
    .integer({ min: 0, max: size - 1 })
    .map((length): Mutation => ({ kind: 'truncate', length, aim: 'anywhere' }));
  const truncateAtBoundary = fc
    .tuple(fc.constantFrom(...(boundaries.length ? boundaries : [size - 1])), fc.integer({ min: -3, max: 3 }))
    .map(
      ([boundary, delta]): Mutation => ({
        kind: 'truncate',
        length: Math.min(size - 1, Math.max(0, boundary + delta)),
        aim: 'boundary',
      }),
    );
  const flipAnywhere = flipsIn([[0, size]], 8).map(
    (flips): Mutation => ({ kind: 'flip', flips, aim: 'anywhere' }),
  );
  const aimed = usable.map((region) => ({
    arbitrary: flipsIn(
      region.ranges.filter(([start, end]) => end > start),
      4,
    ).map((flips): Mutation => ({ kind: 'flip', flips, aim: region.name })),
    weight: Math.max(1, Math.round(60 / usable.length)),
  }));
  return fc.oneof(
    { arbitrary: truncateAnywhere, weight: 8 },
    { arbitrary: truncateAtBoundary, weight: 8 },
    { arbitrary: flipAnywhere, weight: 24 },
    ...aimed,
  );
}

/** The damaged copy of `original` (the original is not changed, also when it is a Buffer, whose slice() is a view). */
export function applyMutation(original: Uint8Array, mutation: Mutation): Uint8Array {
  if (mutation.kind === 'truncate') return Uint8Array.prototype.slice.call(original, 0, mutation.length);
  const damaged = Uint8Array.prototype.slice.call(original);
  for (const [offset, xor] of mutation.flips) damaged[offset] = (damaged[offset] as number) ^ xor;
  return damaged;
}

/** A 32-bit fast-check seed for one shape of one format, derived from the run's seed. */
export function derivedSeed(runSeed: number, ...parts: string[]): number {
  return crc32(parts.join('/'), runSeed >>> 0) | 0;
}

/**
 * `count` mutations, the same for the same seed, file size and regions. Unbiased: fast-check's
 * default bias favours small integers, which put most "anywhere" flips into the first bytes.
 */
export function sampleMutations(
  seed: number,
  count: number,
  size: number,
  regions: readonly Region[],
): Mutation[] {
  return fc.sample(fc.noBias(mutationArbitrary(size, regions)), { seed, numRuns: count });
}

export function describeMutation(mutation: Mutation): string {
  if (mutation.kind === 'truncate') return `truncate to ${mutation.length} bytes (${mutation.aim})`;
  const flips = mutation.flips.map(([offset, xor]) => `@${offset}^0x${xor.toString(16)}`).join(' ');
  return `flip ${flips} (${mutation.aim})`;
}

/** Which regions a byte offset falls in (a flip report names them). */
export function regionsAt(regions: readonly Region[], offset: number): string[] {
  return regions
    .filter((region) => region.ranges.some(([start, end]) => offset >= start && offset < end))
    .map((region) => region.name);
}
