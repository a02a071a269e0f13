import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles, workspacePackages } from './workspace.ts';

/** The developers' guide: modules by concept, none over 400 lines, the median at most 120. */
const MAX_LINES = 400;
const MAX_MEDIAN = 120;

const sizes = workspacePackages()
  .flatMap((p) => sourceFiles(p.dir))
  .map((file) => ({ file, lines: readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1 }));

describe('module size', () => {
  it(`no source file is over ${MAX_LINES} lines`, () => {
    const over = sizes.filter((s) => s.lines > MAX_LINES).map((s) => `${s.file}: ${s.lines}`);
    expect(over).toEqual([]);
  });

  it(`the median source file is at most ${MAX_MEDIAN} lines`, () => {
    const sorted = sizes.map((s) => s.lines).sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median =
      sorted.length % 2
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    expect(sorted.length).toBeGreaterThan(50);
    expect(median).toBeLessThanOrEqual(MAX_MEDIAN);
  });
});
