/** One format's whole fuzz run: valid crates, seeded mutations, loads in child processes, the tally. */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FuzzCase, planCases, type ShapeBase, selectCases, writeBase } from './fuzz-cases.ts';
import type { Format } from './fuzz-child.ts';
import { runCases } from './fuzz-pool.ts';
import { reportTally, type Tally, tallyResults } from './fuzz-tally.ts';
import { scratchDir } from './scratch-dir.ts';
import { settings } from './settings.ts';
import { shapeNamed } from './shapes.ts';

export async function fuzzFormat(
  format: Format,
  counts: Record<string, number>,
  workDir: string,
): Promise<Tally> {
  const started = performance.now();
  const seed = settings.seed();
  const bases = new Map<string, ShapeBase>();
  const cases: FuzzCase[] = [];
  for (const [name, count] of Object.entries(counts)) {
    const base = await writeBase(format, shapeNamed(name), workDir);
    bases.set(name, base);
    cases.push(...planCases(format, base, count, seed));
  }
  const selected = selectCases(cases);
  const results = await runCases(selected, {
    format,
    bases,
    workDir,
    children: settings.children(),
    // A load that takes longer is a hang (the largest valid crate here loads in ~0.1 s).
    caseTimeoutMs: settings.caseTimeoutMs(),
  });
  const tally = tallyResults(format, seed, results, (performance.now() - started) / 1000);
  reportTally(tally);
  return tally;
}

/** The one test of a format's fuzz file: at least 2,000 cases, and no failure of any kind. */
export function fuzzTest(format: Format, title: string, counts: Record<string, number>): void {
  let dir: string;
  beforeAll(async () => {
    dir = await scratchDir(`fuzz-${format}`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  describe(title, () => {
    it('every damaged crate gives exactly what was written or a typed error, in bounded time and memory', async () => {
      const tally = await fuzzFormat(format, counts, dir);
      expect(tally.cases).toBeGreaterThanOrEqual(settings.only() ? 1 : 2_000);
      expect(tally.failures.slice(0, 20).map((failure) => failure.text)).toEqual([]);
      expect(tally).toMatchObject({ wrongLoads: 0, hangs: 0, untypedErrors: 0 });
    });
  });
}
