import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { isHpcError } from '@hpc/core';
import { registerClass } from '@hpc/process';
import { Serializer } from '@hpc/serializer';
import { beforeAll, describe, expect, it } from 'vitest';
import { regionsOf } from './bin-helpers.ts';

class Point {
  constructor(
    public x = 0,
    public y = 0,
  ) {}
}
registerClass(Point, { id: 'bin-corruption/Point' });

/** Errors a damaged file may give; anything else (or a value that differs) is a failure. */
const READ_ERRORS = ['CorruptFileError', 'NotASerializedFileError', 'UnsupportedFormatVersionError'] as const;

function sample(start: number, end: number, count: number): number[] {
  if (end - start <= count) return Array.from({ length: end - start }, (_, i) => start + i);
  return Array.from({ length: count }, (_, i) => start + Math.floor(((end - start - 1) * i) / (count - 1)));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-bin-corrupt-'));
});

type Outcome = 'equal' | string;

async function load(file: string, bytes: Buffer, original: unknown): Promise<Outcome> {
  await writeFile(file, bytes);
  try {
    const value = await Serializer.deserializeFromFile(file);
    if (bytes.length < 1 << 20)
      expect(value, 'a damaged file loaded a different value').toStrictEqual(original);
    // Big values: v8's own encoding of both must be the same bytes (toStrictEqual takes ~0.5 s here).
    else expect(Buffer.compare(v8.serialize(value), v8.serialize(original)), 'a different value').toBe(0);
    return 'equal';
  } catch (error) {
    if (!isHpcError(error, ...READ_ERRORS)) throw new Error(`untyped or unexpected error: ${String(error)}`);
    return `${error._tag}: ${error.message}`;
  }
}

const SHAPES = {
  // Out-of-line arrays built in memory: an odd-length Int8Array (padding after it), a Float64Array.
  'in memory': () => ({
    bytes: Int8Array.from({ length: 70_001 }, (_, i) => (i * 7) % 128),
    values: Float64Array.from({ length: 20_000 }, (_, i) => i / 3),
    point: new Point(1, 2),
    map: new Map([['k', new Set([1n, 2n])]]),
    small: new Uint16Array([1, 2, 3]),
    when: new Date(0),
  }),
  // Arrays of 8 MiB or more are streamed, the manifest padded with spaces and written last.
  streamed: () => ({
    odd: Uint8Array.from({ length: 65_541 }, (_, i) => i & 0xff),
    values: Float64Array.from({ length: (9 << 20) / 8 }, (_, i) => i),
  }),
};

describe('.bin files with flipped bytes: a typed error or the very same value, region by region', () => {
  // Every byte position sampled with three masks in memory; the 9 MiB file with one (time).
  for (const [shape, make] of Object.entries(SHAPES)) {
    const masks = shape === 'streamed' ? [0x10] : [0x01, 0x80, 0xff];
    it(`${shape}`, async () => {
      const original = make();
      const file = join(dir, `${shape}.bin`);
      await Serializer.serializeToFile(original, file);
      const valid = await readFile(file);
      const regions = regionsOf(valid);
      const tally: Record<string, Record<string, number>> = {};
      const expectations: [string, [number, number][], number, RegExp][] = [
        ['magic', [regions.header.magic], 8, /^NotASerializedFileError/],
        ['version', [regions.header.version], 2, /^(UnsupportedFormatVersionError|CorruptFileError)/],
        ['flags', [regions.header.flags], 2, /^CorruptFileError: .*(header field 'flags'|checksum mismatch)/],
        ['lengths', [regions.header.lengths], 20, /^CorruptFileError/],
        ['crc32', [regions.header.crc32], 4, /^CorruptFileError: .*checksum mismatch in the header/],
        ['reserved', [regions.header.reserved], 4, /^CorruptFileError: .*header field 'reserved'/],
        [
          'manifest',
          [regions.manifest],
          60,
          /^CorruptFileError: .*checksum mismatch in the header, manifest/,
        ],
        [
          'structure',
          [regions.structure],
          60,
          /^CorruptFileError: .*checksum mismatch in the header, manifest/,
        ],
        ['arrays', regions.arrays, 40, /^CorruptFileError: .*checksum mismatch in array \d/],
        ['padding', regions.padding, 16, /^equal$/],
      ];
      for (const [region, ranges, perRange, expected] of expectations) {
        for (const [start, end] of ranges) {
          for (const position of sample(start, end, perRange)) {
            for (const mask of masks) {
              const damaged = Buffer.from(valid);
              damaged[position] = (damaged[position] as number) ^ mask;
              const outcome = await load(file, damaged, original);
              expect(outcome, `${region} byte ${position} ^ 0x${mask.toString(16)}`).toMatch(expected);
              const kind = outcome.split(':')[0] as string;
              const counts = tally[region] ?? {};
              counts[kind] = (counts[kind] ?? 0) + 1;
              tally[region] = counts;
            }
          }
        }
      }
      expect(regions.padding.length).toBeGreaterThan(0);
      console.log(`flipped bytes (${shape}, ${valid.length} bytes):`, JSON.stringify(tally));
    });
  }
});

describe('.bin files cut short or appended to', () => {
  it('gives a typed error at every kind of cut, never a partial value', async () => {
    const original = SHAPES['in memory']();
    const file = join(dir, 'cut.bin');
    await Serializer.serializeToFile(original, file);
    const valid = await readFile(file);
    const regions = regionsOf(valid);
    const boundaries = [
      ...Object.values(regions.header).flat(),
      ...regions.manifest,
      ...regions.structure,
      ...regions.arrays.flat(),
      ...regions.padding.flat(),
    ];
    const cuts = new Set([
      0,
      1,
      7,
      ...boundaries.flatMap((at) => [at - 1, at, at + 1]),
      ...sample(0, valid.length, 50),
    ]);
    for (const keep of [...cuts].filter((at) => at >= 0 && at < valid.length)) {
      const outcome = await load(file, valid.subarray(0, keep), original);
      expect(outcome, `cut at ${keep}`).toMatch(
        keep < 8 ? /^NotASerializedFileError/ : /^CorruptFileError: .*(truncated|past the end)/,
      );
    }
    const appended = await load(file, Buffer.concat([valid, Buffer.from([0])]), original);
    expect(appended).toMatch(/^CorruptFileError: .*appended to/);
  });
});
