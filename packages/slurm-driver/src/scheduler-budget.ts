import { InvalidOptionError } from '@hpc/core';
import type { CommandRunner } from './command-runner.ts';

/**
 * How many scheduler calls (sbatch, squeue, sacct, scancel, scontrol: every command of the driver)
 * this process may make: a token bucket. `burst` calls at once, then `perSecond` on average.
 * The default stays under SLURM's own rate limiter at its defaults (rl_enable: bucket 30, refill
 * 2/s per user, SLURM 23.02+), leaving room for the user's own squeue in a shell; sites that allow
 * less set theirs. `false` turns the budget off.
 */
export interface SchedulerBudgetOptions {
  burst?: number;
  perSecond?: number;
}

export const DEFAULT_SCHEDULER_BUDGET = { burst: 20, perSecond: 1.5 } as const;

/** What the budget has let through so far: the counter users and tests read (driver.schedulerCalls). */
export interface SchedulerCallCounts {
  total: number;
  byCommand: Record<string, number>;
  /** Calls that had to wait for a token, and how long they waited in all. */
  delayed: number;
  delayedMs: number;
}

export class SchedulerBudget {
  readonly burst: number;
  readonly perSecond: number;
  #tokens: number;
  #refilledAt: number;
  #queue: Promise<void> = Promise.resolve();
  readonly counts: SchedulerCallCounts = { total: 0, byCommand: {}, delayed: 0, delayedMs: 0 };

  constructor(
    options: SchedulerBudgetOptions = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = checked('burst', options.burst ?? DEFAULT_SCHEDULER_BUDGET.burst, 1);
    this.perSecond = checked('perSecond', options.perSecond ?? DEFAULT_SCHEDULER_BUDGET.perSecond, 0);
    this.#tokens = this.burst;
    this.#refilledAt = now();
  }

  /** Waits (in call order) until a token is free, then takes it and counts the call. */
  take(command: string): Promise<void> {
    const turn = this.#queue.then(() => this.#acquire(command));
    this.#queue = turn.catch(() => {});
    return turn;
  }

  async #acquire(command: string): Promise<void> {
    this.#refill();
    if (this.#tokens < 1) {
      const waitMs = Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000);
      this.counts.delayed++;
      this.counts.delayedMs += waitMs;
      await new Promise((resolve) => setTimeout(resolve, waitMs).unref?.());
      this.#refill();
    }
    this.#tokens -= 1;
    this.counts.total++;
    this.counts.byCommand[command] = (this.counts.byCommand[command] ?? 0) + 1;
  }

  #refill(): void {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#refilledAt) / 1000) * this.perSecond);
    this.#refilledAt = now;
  }
}

/** Every call of `run` first takes a token from `budget`. */
export function budgetedRunner(run: CommandRunner, budget: SchedulerBudget): CommandRunner {
  return async (command, args, options) => {
    await budget.take(command);
    return run(command, args, options);
  };
}

function checked(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (min === 0 && value === 0))
    throw new InvalidOptionError({
      option: `schedulerBudget.${name}`,
      value,
      allowed: `a number ${min === 0 ? 'above 0' : `of at least ${min}`} (scheduler calls ${name === 'perSecond' ? 'per second' : 'at once'})`,
      remedy: 'set it to what the site allows, or schedulerBudget: false to turn the budget off',
    });
  return value;
}
