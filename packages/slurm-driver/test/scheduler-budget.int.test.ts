import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { requireCluster } from './cluster-helpers.ts';
import { AddNumbers } from './fixtures/slurm-processes.ts';

/**
 * The scheduler budget on the real cluster: 1,000 tracked jobs (packed 100 per task, so only 10
 * Node starts) watched under a budget of one call per 10 s still converge, and the counter shows
 * every call the driver made.
 */
describe('SLURMDriver under a scheduler budget of 1 call per 10 s', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-budget-int-'));
  let driver: SLURMDriver;

  beforeAll(() => {
    requireCluster();
    driver = new SLURMDriver({ home, schedulerBudget: { burst: 2, perSecond: 0.1 } });
  });
  afterAll(() => {
    driver?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('1,000 jobs reach their final states, with no more calls than the budget allows', async () => {
    const started = performance.now();
    const ids = await driver.submitJobs(
      Array.from({ length: 1000 }, (_, i) => new AddNumbers(i, 1)),
      { name: 'budget-1000', processesPerTask: 100 },
    );
    const states = await driver.waitForJobs(ids, { timeoutMs: 240_000 });
    const elapsedS = (performance.now() - started) / 1000;
    expect([...states.values()].filter((state) => state.status === 'completed')).toHaveLength(1000);
    expect(await driver.getResult(ids[999] as string)).toMatchObject({ sum: 1000 });

    const calls = driver.schedulerCalls;
    expect(calls?.byCommand.sbatch).toBe(1);
    expect(calls?.byCommand.squeue ?? 0).toBeGreaterThanOrEqual(1);
    // burst + refill over the run, +1 for the call that was waiting when the clock stopped.
    expect(calls?.total).toBeLessThanOrEqual(2 + Math.ceil(elapsedS * 0.1) + 1);
    expect(calls?.delayed).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
