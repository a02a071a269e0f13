import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobState, JobStatus } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchIdOf, resolveBatchIds } from '../src/batch-groups.ts';
import { readBatchLines } from '../src/batch-input.ts';
import type { JobView } from '../src/job-view.ts';
import { renderStatusTable } from '../src/status-table.ts';
import { createStyle } from '../src/terminal-style.ts';
import { pickRows } from '../src/watch-lines.ts';

const PLAIN = createStyle(false);

function view(id: string, status: JobStatus, name = 'Sweep'): JobView {
  return { id, driver: 'slurm', name, state: { status } as JobState };
}

describe('batch ids', () => {
  it('the array id is the part before the first _', () => {
    expect(batchIdOf('4711_3')).toBe('4711');
    expect(batchIdOf('4711_3+2')).toBe('4711');
    expect(batchIdOf('local-12_0')).toBe('local-12');
    expect(batchIdOf('4711')).toBeUndefined();
    expect(batchIdOf('local-12')).toBeUndefined();
  });

  it('a batch id stands for its processes, a packed task id for the processes of that task', () => {
    const tracked = ['4711_0+0', '4711_0+1', '4711_1+0', '47110_0', '4712'];
    const has = (id: string) => tracked.includes(id);
    expect(resolveBatchIds('4711', tracked, has)).toEqual(['4711_0+0', '4711_0+1', '4711_1+0']);
    expect(resolveBatchIds('4711_0', tracked, has)).toEqual(['4711_0+0', '4711_0+1']);
    expect(resolveBatchIds('4712', tracked, has)).toEqual(['4712']);
    expect(resolveBatchIds('471', tracked, has)).toEqual([]);
  });
});

describe('the status table', () => {
  const views = [
    view('4700', 'completed', 'Single'),
    view('4711_0+0', 'completed'),
    view('4711_0+1', 'failed'),
    view('4711_1+0', 'running'),
    view('4711_1+1', 'pending'),
    view('4712', 'running', 'Other'),
  ];

  it('shows a batch as one row with a progress bar and its counts, plain jobs as today', () => {
    const lines = renderStatusTable(views, PLAIN);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^4700\s+Single\s+completed/);
    expect(lines[2]).toMatch(
      /^4711\s+Sweep\s+\[█████░░░░░\] 2\/4 finished · 1 running · 1 pending · 1 completed · 1 failed/,
    );
    expect(lines[3]).toMatch(/^4712\s+Other\s+running/);
  });

  it('--expand: one row per process', () => {
    const lines = renderStatusTable(views, PLAIN, undefined, Date.now(), true);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(views.map((v) => v.id));
  });

  it('escapes a hostile class name in a batch row', () => {
    const lines = renderStatusTable([view('9_0', 'pending', 'Evil\u001b]0;pwned\u0007')], PLAIN);
    expect(lines.join('\n')).not.toContain('\u001b');
    expect(lines[1]).toContain('Evil\\x1b]0;pwned\\x07');
  });

  it('a watched frame keeps a batch whole when rows are cut to the terminal', () => {
    const many = [
      ...Array.from({ length: 50 }, (_, i) => view(`5000_${i}`, 'running')),
      view('5001', 'completed'),
    ];
    const kept = pickRows(many, 1, false);
    expect(kept).toHaveLength(50);
    expect(pickRows(many, 2, true)).toHaveLength(2);
  });
});

describe('reading --each', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hpc-each-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('10,000 lines are read fast, blank lines skipped, CRLF and a BOM accepted', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? `[${i}, "p${i}"]` : `{"x": ${i}}`));
    const file = join(dir, 'big.jsonl');
    await writeFile(file, `\uFEFF${lines.join('\r\n')}\r\n\r\n`);
    const started = performance.now();
    const read = await readBatchLines(file, dir);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(read).toHaveLength(10_000);
    expect(read[0]).toEqual({ line: 1, args: [{ x: 0 }] });
    expect(read[9_999]).toEqual({ line: 10_000, args: [9_999, 'p9999'] });
  });
});
