import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../src/command-path.ts';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc } from './hpc-process.ts';

/** Config-file defaults reach the real sbatch: what SLURM records for the job is what was asked. */
let home: string;
beforeAll(async () => {
  assertBuilt();
  if (!findOnPath('sbatch'))
    throw new Error('sbatch is not on PATH: the integration tests need the dev cluster');
  home = await makeHome();
});
afterAll(() => cleanHome(home));

describe('hpc submit with config files on SLURM', () => {
  it('applies the user defaults, the cluster section and the project file, flags winning; doctor shows them', async () => {
    await writeFile(
      join(home, 'config.json'),
      JSON.stringify({
        defaults: { slurmArgs: { time: '00:09:00' } },
        clusters: { lab: { slurmArgs: { mem: '300M' } } },
      }),
    );
    const project = join(home, 'project');
    await mkdir(project);
    await writeFile(
      join(project, '.hpc.json'),
      JSON.stringify({ defaults: { slurmArgs: { 'job-name': 'from-config' } } }),
    );
    const env = { HPC_DRIVER: undefined, HPC_HOME: home };
    const submitted = await runHpc(
      [
        'submit',
        fixture('my-process.ts'),
        '--args',
        '["c"]',
        '--slurm-arg',
        'time=00:04:00',
        '--slurm-arg',
        'begin=now+600',
      ],
      { home, env, cwd: project },
    );
    expect(submitted.stderr).toBe('');
    const id = submitted.stdout.trim();
    try {
      const shown = execFileSync('scontrol', ['show', 'job', id], { encoding: 'utf8' });
      expect(shown).toMatch(/TimeLimit=00:04:00/);
      expect(shown).toMatch(/MinMemoryNode=300M/);
      const doctor = await runHpc(['doctor', '--json'], { home, env, cwd: project });
      const config = (
        JSON.parse(doctor.stdout) as { checks: { name: string; detail: string }[] }
      ).checks.find((check) => check.name === 'config');
      expect(config?.detail).toContain(join(project, '.hpc.json'));
      expect(config?.detail).toContain('(cluster lab)');
      expect(config?.detail).toContain('"mem":"300M"');
    } finally {
      execFileSync('scancel', [id]);
    }
  });
});
