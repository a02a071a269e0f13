import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseMemoryRequest } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HungryProcess } from '../../../test/fixtures/usage-processes.ts';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { REPO_ROOT, requireCluster, scontrol } from './cluster-helpers.ts';

const MiB = 1024 ** 2;
const CLI = `${REPO_ROOT}apps/cli/dist/hpc.mjs`;
const run = promisify(execFile);

/**
 * `resources: 'suggested'` on the real cluster: five tiny runs of one class asking --mem=1500M and
 * 10 minutes, then one more with the suggestion: SLURM's own record of the request (scontrol's
 * MinMemoryNode and TimeLimit) is the suggested one, the job completes, and hpc show says so.
 */
describe("resources: 'suggested' on SLURM", () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-suggest-int-'));
  const asked = { mem: '1500M', time: '00:10:00', partition: 'debug' };
  let driver: SLURMDriver;

  beforeAll(async () => {
    requireCluster();
    driver = new SLURMDriver({ home, polling: { minIntervalMs: 300 } });
    const history = await driver.submitJobs(
      Array.from({ length: 5 }, () => new HungryProcess(16, 50)),
      { name: 'int-suggest', slurmArgs: asked },
    );
    const states = await driver.waitForJobs(history, { timeoutMs: 150_000 });
    expect([...states.values()].map((state) => state.status)).toEqual(Array(5).fill('completed'));
  }, 180_000);

  afterAll(() => {
    driver?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('submits with the suggested mem and time, and the job completes', { timeout: 120_000 }, async () => {
    const stats = (await driver.stats()).classes.find((c) => c.name === 'int-suggest');
    expect(stats?.peakBytes?.runs).toBe(5);
    const id = await driver.submitJob(new HungryProcess(16, 50), {
      name: 'int-suggest',
      slurmArgs: asked,
      resources: 'suggested',
    });
    const described = await driver.describeJob(id);
    const [mem, time] = described.requested.suggested ?? [];
    expect(mem?.text).toMatch(/^mem=\d+M suggested from 5 runs, asked 1500M$/);
    expect(time?.text).toBe('time=00:01:00 suggested from 5 runs, asked 00:10:00');
    const applied = parseMemoryRequest(mem?.applied as string) as number;
    // Never below the highest peak plus its margin; well under what was asked.
    expect(applied).toBeGreaterThanOrEqual((stats?.peakBytes?.max ?? Number.POSITIVE_INFINITY) * 1.2);
    expect(applied).toBeLessThan(1500 * MiB);

    // What SLURM itself holds as the request.
    const shown = scontrol('show', 'job', id, '--oneliner');
    expect(shown).toContain(`MinMemoryNode=${mem?.applied}`);
    expect(shown).toContain('TimeLimit=00:01:00');
    expect(await driver.waitForJob(id, { timeoutMs: 90_000 })).toMatchObject({ status: 'completed' });

    const env = { ...process.env, HPC_HOME: home, HPC_DRIVER: 'slurm' };
    const text = (await run(process.execPath, [CLI, 'show', id], { env, timeout: 60_000 })).stdout;
    expect(text).toContain(`mem=${mem?.applied} suggested from 5 runs, asked 1500M`);
  });
});
