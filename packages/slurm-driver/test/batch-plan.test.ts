import { describe, expect, it } from 'vitest';
import { planBatch, processesOfTask } from '../src/batch-plan.ts';

const limits = { maxArraySize: 1001, maxJobCount: 10_000 };

describe('planBatch', () => {
  it('one array when the tasks fit, one per MaxArraySize slice beyond', () => {
    expect(planBatch({ processes: 1000, processesPerTask: 1, limits }).slices).toEqual([
      { firstProcess: 0, processes: 1000, tasks: 1000 },
    ]);
    const plan = planBatch({ processes: 2500, processesPerTask: 1, limits });
    expect(plan.slices.map((s) => [s.firstProcess, s.tasks])).toEqual([
      [0, 1001],
      [1001, 1001],
      [2002, 498],
    ]);
    expect(plan.tasks).toBe(2500);
  });

  it('packs processes into tasks; the last task holds the rest', () => {
    const plan = planBatch({ processes: 45, processesPerTask: 20, limits });
    expect(plan.slices).toEqual([{ firstProcess: 0, processes: 45, tasks: 3 }]);
    const slice = plan.slices[0] as (typeof plan.slices)[0];
    expect(processesOfTask(slice, 0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(processesOfTask(slice, 2, 20)).toEqual([40, 41, 42, 43, 44]);
    expect(processesOfTask(slice, 3, 20)).toEqual([]);
    // 30,000 processes by 10 = 3,000 tasks in 3 slices; every process is in exactly one task.
    const big = planBatch({ processes: 30_000, processesPerTask: 10, limits });
    const seen = big.slices.flatMap((s) =>
      Array.from({ length: s.tasks }, (_, t) => processesOfTask(s, t, 10)).flat(),
    );
    expect(seen).toEqual(Array.from({ length: 30_000 }, (_, i) => i));
  });

  it('shares the parallelism between slices, never more than asked in total', () => {
    const plan = planBatch({ processes: 2500, processesPerTask: 1, parallelism: 50, limits });
    const shares = plan.slices.map((s) => s.parallelism ?? 0);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(50);
    expect(shares.every((share) => share >= 1)).toBe(true);
    expect(
      planBatch({ processes: 10, processesPerTask: 1, parallelism: 50, limits }).slices[0]?.parallelism,
    ).toBe(10);
    // Fewer slots than arrays: groups of 2 arrays, each after the one two before.
    const chained = planBatch({ processes: 4000, processesPerTask: 1, parallelism: 2, limits });
    expect(chained.slices.map((s) => [s.parallelism, s.after])).toEqual([
      [1, undefined],
      [1, undefined],
      [1, 0],
      [1, 1],
    ]);
  });

  it('refuses a batch the controller cannot hold and says how to pack it', () => {
    expect(() => planBatch({ processes: 20_000, processesPerTask: 1, limits, queuedJobs: 100 })).toThrow(
      /20000 array tasks.*room for 9900.*processesPerTask: 3 or more/,
    );
    expect(() => planBatch({ processes: 5, processesPerTask: 1, limits, queuedJobs: 10_000 })).toThrow(
      /wait until the queue drains/,
    );
  });
});
