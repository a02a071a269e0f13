import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzFormat } from './support/fuzz-run.ts';
import { failed } from './support/fuzz-tally.ts';
import { scratchDir } from './support/scratch-dir.ts';
import { settings } from './support/settings.ts';

/** Cases per shape (2,100 in all): the large shape costs most per case. */
const COUNTS = {
  'inline-small': 400,
  large: 300,
  'many-chunks': 400,
  'codec-none': 300,
  graph: 400,
  'process-root': 300,
};

let dir: string;
beforeAll(async () => {
  dir = await scratchDir('fuzz-bin');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('.bin crates under seeded damage (Serializer.deserializeFromFile)', () => {
  it('every damaged crate loads exactly what was written or fails with a typed error, in bounded time and memory', async () => {
    const tally = await fuzzFormat('bin', COUNTS, dir);
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
