import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, makeHome, runHpc } from './hpc-process.ts';

let home: string;
let bareBin: string;

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
  // A PATH with node only: no SLURM commands.
  bareBin = join(home, 'bin');
  await mkdir(bareBin);
  await symlink(process.execPath, join(bareBin, 'node'));
});
afterAll(() => cleanHome(home));

describe('hpc doctor', () => {
  it('without SLURM: warns, says the local driver is used, checks Node, the runner and Blosc, exits 0', async () => {
    const result = await runHpc(['doctor', '--json'], {
      home,
      env: { PATH: bareBin, HPC_DRIVER: undefined },
    });
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      checks: { name: string; status: string; detail: string; fix?: string }[];
    };
    const check = (name: string) => report.checks.find((entry) => entry.name === name);
    expect(report.ok).toBe(true);
    expect(check('node')?.status).toBe('ok');
    expect(check('driver')?.detail).toBe('local (sbatch is not on PATH)');
    expect(check('state folder')?.status).toBe('ok');
    expect(check('node-runner')?.status).toBe('ok');
    expect(check('slurm commands')).toMatchObject({ status: 'warn' });
    expect(check('slurm commands')?.fix).toBeTruthy();
    expect(check('controller')?.status).toBe('skip');
    expect(check('blosc filter')?.status).toBe('ok');
    expect(check('blosc filter')?.detail).toMatch(/SIMD shuffle from .*hpc-serializer-.*blosc-simd-/);
  });

  it('warns, with what to do, when the SIMD Blosc plugin has no private folder (Blosc still works)', async () => {
    const temp = join(home, 'shared-tmp');
    const shared = join(temp, `hpc-serializer-${process.getuid?.() ?? 'user'}`);
    await mkdir(shared, { recursive: true });
    await chmod(shared, 0o777); // anyone could put a plugin there: it must not be used
    const result = await runHpc(['doctor', '--json'], { home, env: { PATH: bareBin, TMPDIR: temp } });
    const report = JSON.parse(result.stdout) as {
      checks: { name: string; status: string; detail: string; fix?: string }[];
    };
    const blosc = report.checks.find((entry) => entry.name === 'blosc filter');
    expect(blosc).toMatchObject({ status: 'warn' });
    expect(blosc?.detail).toContain('write and read back, without the SIMD shuffle');
    expect(blosc?.fix).toContain('TMPDIR');
  });

  it('an unwritable state folder fails with what to do (exit 1)', async () => {
    // A folder below a regular file can never be created (not even by root).
    const file = join(home, 'a-file');
    await writeFile(file, 'x');
    const blocked = join(file, 'hpc');
    const result = await runHpc(['doctor'], { home, env: { HPC_HOME: blocked, PATH: bareBin } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^FAIL state folder +${blocked} is not writable: ENOTDIR`, 'm'));
    expect(result.stdout).toContain('→ set HPC_HOME to a writable folder');
  });
});
