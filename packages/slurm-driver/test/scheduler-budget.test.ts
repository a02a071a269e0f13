import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/command-runner.ts';
import { budgetedRunner, DEFAULT_SCHEDULER_BUDGET, SchedulerBudget } from '../src/scheduler-budget.ts';

describe('SchedulerBudget (one token bucket for every scheduler call)', () => {
  it('lets a burst through at once, then spaces calls at the refill rate, in call order', async () => {
    const budget = new SchedulerBudget({ burst: 2, perSecond: 20 });
    const order: number[] = [];
    const started = performance.now();
    await Promise.all(
      [0, 1, 2, 3, 4].map((n) => budget.take(n % 2 ? 'squeue' : 'sacct').then(() => order.push(n))),
    );
    const elapsed = performance.now() - started;
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // Three calls past the burst at 20/s: at least ~150 ms.
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(budget.counts).toMatchObject({ total: 5, byCommand: { sacct: 3, squeue: 2 }, delayed: 3 });
  });

  it('refills while idle, never above the burst', async () => {
    const budget = new SchedulerBudget({ burst: 3, perSecond: 50 });
    for (let i = 0; i < 3; i++) await budget.take('squeue');
    await new Promise((resolve) => setTimeout(resolve, 200)); // 10 tokens' worth of idle time
    for (let i = 0; i < 3; i++) await budget.take('squeue');
    expect(budget.counts.delayed).toBe(0);
    await budget.take('squeue'); // the 4th after idling: the bucket held only 3
    expect(budget.counts.delayed).toBe(1);
  });

  it('budgetedRunner takes a token before each command', async () => {
    const calls: string[] = [];
    const run: CommandRunner = async (command, args) => {
      calls.push(command);
      return { command, args, exitCode: 0, stdout: '', stderr: '', durationMs: 0 };
    };
    const budget = new SchedulerBudget();
    const budgeted = budgetedRunner(run, budget);
    await budgeted('sbatch', ['--parsable']);
    await budgeted('scancel', ['1']);
    expect(calls).toEqual(['sbatch', 'scancel']);
    expect(budget.counts.byCommand).toEqual({ sbatch: 1, scancel: 1 });
    expect(budget.burst).toBe(DEFAULT_SCHEDULER_BUDGET.burst);
  });

  it('refuses a budget that could never let a call through, naming the setting', () => {
    expect(() => new SchedulerBudget({ perSecond: 0 })).toThrow(/schedulerBudget\.perSecond/);
    expect(() => new SchedulerBudget({ burst: 0.5 })).toThrow(/schedulerBudget\.burst.*at least 1/);
    expect(() => new SchedulerBudget({ perSecond: Number.NaN })).toThrow(/schedulerBudget\.perSecond/);
  });
});
