import type { ForgetReport, JobId } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { wholeFolders } from '../src/clean-folders.ts';

/** A batch of one folder split over two SLURM arrays (4711, 4712), and a single job 4800. */
const folders: Record<string, JobId[]> = {
  '4711': ['4711_0', '4711_1', '4712_0'] as JobId[],
  '4712': ['4711_0', '4711_1', '4712_0'] as JobId[],
  '4800': ['4800'] as JobId[],
};
const driver = {
  async forgetJobs(ids: readonly string[]): Promise<ForgetReport> {
    const removed = new Map<string, JobId[]>();
    for (const id of ids) removed.set((folders[id] as JobId[]).join(), folders[id] as JobId[]);
    return {
      removed: [...removed.values()].map((all, n) => ({ id: ids[n] as string, ids: all, jobDir: `/d${n}` })),
      refused: [],
    };
  },
};
const batches = new Set(['4711', '4712']);

describe('clean removes a batch folder only when every array of it was chosen', () => {
  it('keeps both arrays of a batch when one of them is kept, and says why', async () => {
    const choice = { selected: ['4711', '4800'], kept: [{ id: '4712', reason: 'too-recent' as const }] };
    expect(await wholeFolders(driver, choice, batches)).toEqual(['4800']);
    expect(choice.kept).toContainEqual({ id: '4711', reason: 'shares-folder' });
  });

  it('removes the batch when all its arrays were chosen', async () => {
    const choice = { selected: ['4711', '4712', '4800'], kept: [] };
    expect(await wholeFolders(driver, choice, batches)).toEqual(['4711', '4712', '4800']);
    expect(choice.kept).toEqual([]);
  });

  it('asks no dry run when no batch was chosen (a job has a folder of its own)', async () => {
    let asked = 0;
    const counting = {
      async forgetJobs(): Promise<ForgetReport> {
        asked += 1;
        return { removed: [], refused: [] };
      },
    };
    expect(await wholeFolders(counting, { selected: ['4800'], kept: [] }, batches)).toEqual(['4800']);
    expect(asked).toBe(0);
  });
});
