/** One format's whole fuzz run: valid crates, seeded mutations, loads in child processes, the tally. */
import { type FuzzCase, planCases, type ShapeBase, selectCases, writeBase } from './fuzz-cases.ts';
import type { Format } from './fuzz-child.ts';
import { runCases } from './fuzz-pool.ts';
import { reportTally, type Tally, tallyResults } from './fuzz-tally.ts';
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
