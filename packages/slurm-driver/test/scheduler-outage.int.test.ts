import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHpcError } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchedulerUnavailableError } from '../src/errors.ts';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { requireCluster, UP_SCRIPT, waitForState } from './cluster-helpers.ts';
import { AddNumbers } from './fixtures/slurm-processes.ts';

const SLURMCTLD_PID = '/run/slurm/slurmctld.pid';
const COMMAND_TIMEOUT_MS = 20_000;

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The controller stops (killed by its pid file) and comes back (scripts/cluster/up.sh). */
describe('SLURMDriver when the controller is down', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-slurm-outage-'));
  let driver: SLURMDriver;

  beforeAll(() => {
    requireCluster();
    driver = new SLURMDriver({ home, commandTimeoutMs: COMMAND_TIMEOUT_MS, polling: { minIntervalMs: 0 } });
  });

  afterAll(() => {
    // Whatever happened, leave the cluster up for the next tests.
    execFileSync(UP_SCRIPT, { stdio: 'ignore' });
    driver?.close();
  });

  it('throws SchedulerUnavailableError within the command timeout, then recovers after a restart', async () => {
    const held = await driver.submitJob(new AddNumbers(3, 4), { slurmArgs: { hold: true } });
    await waitForState(driver, held, (s) => s.status === 'pending');

    const pid = Number(readFileSync(SLURMCTLD_PID, 'utf8').trim());
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid)).toBe(false);

    for (const attempt of [
      () => driver.checkAllJobStatuses(),
      () => driver.submitJob(new AddNumbers(1, 2)),
    ]) {
      const started = Date.now();
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e as SchedulerUnavailableError,
      );
      expect(isHpcError(error, 'SchedulerUnavailableError')).toBe(true);
      expect(error?.message).toMatch(/slurmctld|controller/);
      expect(Date.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS + 2_000);
    }

    execFileSync(UP_SCRIPT, { stdio: 'ignore' });
    expect(await waitForState(driver, held, (s) => s.status === 'pending')).toMatchObject({
      reason: 'JobHeldUser',
    });
    const id = await driver.submitJob(new AddNumbers(1, 2));
    expect(await driver.waitForJob(id, { timeoutMs: 60_000 })).toMatchObject({ status: 'completed' });
    expect(await driver.getResult(id)).toMatchObject({ sum: 3 });
    execFileSync('scontrol', ['release', held]);
    expect(await driver.waitForJob(held, { timeoutMs: 60_000 })).toMatchObject({ status: 'completed' });
  });
});
