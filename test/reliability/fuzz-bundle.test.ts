/**
 * Batch bundles (processes.bin) under seeded damage: every crate of a damaged bundle loads as
 * exactly what was written or fails with a typed error; never another process's crate, never a
 * hang. Regions: the header, the index records, each crate's header and body. In this process:
 * a bundle read is bounded by its checks (no allocation beyond the file's size).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHpcError } from '@hpc/core';
import { readBundleEntry, Serializer, writeBundle } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDifference } from './support/exact-equal.ts';
import {
  applyMutation,
  derivedSeed,
  describeMutation,
  type Region,
  sampleMutations,
} from './support/mutations.ts';
import { settings } from './support/settings.ts';

const CASES = 1_500;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-fuzz-bundle-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const values = Array.from({ length: 6 }, (_, i) => ({
  index: i,
  label: `process ${i}`,
  data: i % 2 ? new Float64Array(20_000).map((_, k) => k + i) : new Int32Array(16).fill(i),
}));

describe('batch bundles under seeded damage (readBundleEntry)', () => {
  it('every crate of a damaged bundle is exactly what was written or a typed error', async () => {
    const file = join(dir, 'processes.bin');
    await writeBundle(
      file,
      values.map((value) => Serializer.encode(value, { inlineArrayBytes: 4096 })),
    );
    const original = new Uint8Array(await (await import('node:fs/promises')).readFile(file));
    const view = Buffer.from(original);
    const count = values.length;
    const records = Array.from({ length: count }, (_, i) => {
      const at = 40 + i * 24;
      return { offset: Number(view.readBigUInt64LE(at)), length: Number(view.readBigUInt64LE(at + 8)) };
    });
    const regions: Region[] = [
      { name: 'bundle header', ranges: [[0, 40]] },
      { name: 'index', ranges: [[40, 40 + count * 24]] },
      {
        name: 'crate headers',
        ranges: records.map(({ offset }) => [offset, offset + 40] as [number, number]),
      },
      {
        name: 'crate bodies',
        ranges: records.map(({ offset, length }) => [offset + 40, offset + length] as [number, number]),
      },
    ];
    const seed = derivedSeed(settings.seed(), 'fuzz', 'bundle');
    const mutations = sampleMutations(seed, CASES, original.length, regions);
    const damaged = join(dir, 'damaged.bin');
    const tags = new Map<string, number>();
    const failures: string[] = [];
    let correct = 0;
    for (const mutation of mutations) {
      await writeFile(damaged, applyMutation(original, mutation));
      for (const [index, value] of values.entries()) {
        try {
          const { value: loaded } = await readBundleEntry(damaged, index);
          const difference = describeDifference(value, loaded);
          if (difference)
            failures.push(`wrong load of crate ${index} after ${describeMutation(mutation)}: ${difference}`);
          else correct++;
        } catch (error) {
          if (!isHpcError(error))
            failures.push(`untyped error after ${describeMutation(mutation)}: ${String(error)}`);
          else if (!error.message.includes(damaged))
            failures.push(`error not naming the file: ${error.message}`);
          else tags.set(error._tag, (tags.get(error._tag) ?? 0) + 1);
        }
      }
    }
    console.log(
      `[reliability] fuzz bundle (seed ${settings.seed()}): ${CASES} damaged bundles x ${count} crates, ${correct} correct loads, ${[...tags.values()].reduce((a, b) => a + b, 0)} typed errors ${JSON.stringify(Object.fromEntries(tags))}, ${failures.length} failures`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
  }, 120_000);
});
