import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandRunner } from '../src/command-runner.ts';
import type { SchedulerUnavailableError } from '../src/errors.ts';
import { isSlurmAvailable } from '../src/slurm-available.ts';

/** Tiny real programs standing in for SLURM commands, for failures the real cluster gives only sometimes. */
const binDir = mkdtempSync(join(tmpdir(), 'hpc-fake-slurm-'));
function program(name: string, body: string): void {
  writeFileSync(join(binDir, name), `#!/bin/bash\n${body}\n`);
  chmodSync(join(binDir, name), 0o755);
}
program(
  'squeue',
  'echo "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" >&2; exit 1',
);
program(
  'sbatch',
  'echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1',
);
program('sacct', 'exec sleep 5');
program('scancel', 'printf "%s\\n" "$@"');

async function rejection(promise: Promise<unknown>): Promise<SchedulerUnavailableError> {
  try {
    await promise;
  } catch (error) {
    return error as SchedulerUnavailableError;
  }
  throw new Error('expected a rejection');
}

describe('createCommandRunner', () => {
  const run = createCommandRunner({ binDir, timeoutMs: 300 });

  it('passes arguments as an array, verbatim (no shell)', async () => {
    const result = await run('scancel', ['$(touch /tmp/x)', 'a b', "'"]);
    expect(result.stdout).toBe("$(touch /tmp/x)\na b\n'");
    expect(result.exitCode).toBe(0);
  });

  it("turns 'Unable to contact slurm controller' into SchedulerUnavailableError", async () => {
    const error = await rejection(run('squeue', ['-h']));
    expect(error._tag).toBe('SchedulerUnavailableError');
    expect(error.reason).toBe('unreachable');
    expect(error.stderr).toContain('Unable to contact slurm controller');
    expect(error.message).toMatch(/is slurmctld running/);
  });

  it('returns other non-zero exits for the caller to judge', async () => {
    const result = await run('sbatch', ['--parsable', 'x']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Invalid partition name');
  });

  it('gives up after the time limit', async () => {
    const started = Date.now();
    const error = await rejection(run('sacct', []));
    expect(error.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports a missing command as not installed', async () => {
    const error = await rejection(createCommandRunner({ binDir: join(binDir, 'nowhere') })('sbatch', []));
    expect(error.reason).toBe('not-installed');
    expect(error.message).toMatch(/not on PATH/);
  });
});

describe('isSlurmAvailable', () => {
  it('looks for sbatch on PATH or in binDir', () => {
    expect(isSlurmAvailable({ binDir })).toBe(true);
    expect(isSlurmAvailable({ path: `/nonexistent:${binDir}` })).toBe(true);
    expect(isSlurmAvailable({ path: '/nonexistent' })).toBe(false);
  });
});
