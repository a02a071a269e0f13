import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzFormat } from './support/fuzz-run.ts';
import { failed } from './support/fuzz-tally.ts';
import { scratchDir } from './support/scratch-dir.ts';
import { settings } from './support/settings.ts';

/** Cases per shape (2,100 in all); every fourth case also runs list, info and readArray. */
const COUNTS = {
  'inline-small': 350,
  large: 300,
  'many-chunks': 400,
  'codec-none': 300,
  graph: 400,
  'process-root': 350,
};

let dir: string;
beforeAll(async () => {
  dir = await scratchDir('fuzz-h5');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('HDF5 crates under seeded damage (ObjectSerializer load, list, info, readArray)', () => {
  it('every damaged crate gives exactly what was written or a typed error, in bounded time and memory', async () => {
    const tally = await fuzzFormat('h5', COUNTS, dir);
    expect(tally.cases).toBeGreaterThanOrEqual(settings.only() ? 1 : 2_000);
    expect(failed(tally) ? tally.failures.slice(0, 20) : []).toEqual([]);
    expect(tally).toMatchObject({
      wrongLoads: 0,
      hangs: 0,
      untypedErrors: 0,
      pollutedCases: 0,
      leakedDescriptorCases: 0,
      overMemoryBound: 0,
    });
  });
});
