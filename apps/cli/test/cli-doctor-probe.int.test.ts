import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../src/command-path.ts';
import { assertBuilt, cleanHome, makeHome, runHpc } from './hpc-process.ts';

/** `hpc doctor --probe` on the real dev cluster: the job runs on a compute node and writes back. */
let home: string;
beforeAll(async () => {
  assertBuilt();
  if (!findOnPath('sbatch'))
    throw new Error('sbatch is not on PATH: the integration tests need the dev cluster');
  home = await makeHome();
});
afterAll(() => cleanHome(home));

describe('hpc doctor --probe on SLURM', () => {
  it('checks squeue and sacct, then proves a node sees Node, the runner and the job folder', async () => {
    const result = await runHpc(['doctor', '--probe', '--json'], {
      home,
      env: { HPC_DRIVER: undefined },
      timeoutMs: 200_000,
    });
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      checks: { name: string; status: string; detail: string }[];
    };
    const check = (name: string) => report.checks.find((entry) => entry.name === name);
    expect(check('queue')).toMatchObject({ status: 'ok' });
    expect(check('accounting')).toMatchObject({ status: 'ok' });
    expect(check('probe job')?.status).toBe('ok');
    expect(check('probe job')?.detail).toMatch(/^job \d+ ran on n[1-3] \(Node v\d+/);
    expect(result.exitCode).toBe(0);
    // The probe is forgotten: it is not among the user's tracked jobs.
    const status = await runHpc(['status', '--json'], { home, env: { HPC_DRIVER: undefined } });
    expect((JSON.parse(status.stdout) as { jobs: unknown[] }).jobs).toHaveLength(0);
  });
});
