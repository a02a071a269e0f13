import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLane, type LaneReport } from './support/kill-lane.ts';
import { derivedSeed } from './support/mutations.ts';
import { scratchDir } from './support/scratch-dir.ts';
import { settings } from './support/settings.ts';
import type { WriterKind } from './support/writers.ts';

/**
 * SIGKILL at random points of each writer, 200 kills per writer per run: two lanes of 100 per
 * writer (each lane one file, one writer at a time), the three writers at once. The delays are
 * seeded (HPC_FUZZ_SEED) and span a few writes of each kind (measured here: a .bin write takes
 * 5-60 ms, an HDF5 rewrite 25-110 ms, an outcome write under 1 ms). A writer takes ~60 ms of CPU
 * to start (~210 ms for HDF5, which compiles the wasm library), so the 600 starts dominate.
 */
const WRITERS: { kind: WriterKind; what: string; maxDelayMs: number }[] = [
  { kind: 'bin', what: 'Serializer.serializeToFile', maxDelayMs: 50 },
  { kind: 'h5', what: 'ObjectSerializer.serialize into a file holding other objects', maxDelayMs: 300 },
  { kind: 'outcome', what: 'writeOutcome (@hpc/container)', maxDelayMs: 10 },
];
const LANES = 2;
const KILLS_PER_LANE = 100;

let dir: string;
beforeAll(async () => {
  dir = await scratchDir('kills');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function summary(kind: WriterKind, reports: LaneReport[]): string {
  const sum = (pick: (report: LaneReport) => number) =>
    reports.reduce((total, report) => total + pick(report), 0);
  return (
    `[reliability] kills ${kind}: ${sum((r) => r.kills)} kills, ${sum((r) => r.failures.length)} failures, ` +
    `new version after ${sum((r) => r.newVersionAfterKill)} of them, ` +
    `at most ${Math.max(...reports.map((r) => r.maxLeftovers))} leftover file(s) between kills, ` +
    `${sum((r) => r.leftoverAtEnd.length)} left after the final write` +
    (reports.some((r) => r.leftoverAtEnd.length)
      ? ` (${reports
          .flatMap((r) => r.leftoverAtEnd)
          .slice(0, 5)
          .join(', ')}...)`
      : '')
  );
}

describe.concurrent('writers killed with SIGKILL at random points', () => {
  for (const { kind, what, maxDelayMs } of WRITERS) {
    it(`${what}: the file is the old or the new complete version, and no temp files accumulate`, async () => {
      const lanes = await Promise.all(
        Array.from({ length: LANES }, async (_, lane) => {
          const folder = join(dir, `${kind}-${lane}`);
          const scratch = join(dir, `${kind}-${lane}-scratch`);
          await mkdir(folder);
          await mkdir(scratch);
          return killLane(kind, folder, scratch, {
            kills: KILLS_PER_LANE,
            maxDelayMs,
            seed: derivedSeed(settings.seed(), 'kills', kind, String(lane)),
          });
        }),
      );
      console.log(summary(kind, lanes));
      expect(lanes.reduce((total, lane) => total + lane.kills, 0)).toBeGreaterThanOrEqual(200);
      expect(lanes.flatMap((lane) => lane.failures).slice(0, 10)).toEqual([]);
      expect(lanes.flatMap((lane) => lane.leftoverAtEnd)).toEqual([]);
    });
  }
});
