import { chmod, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc } from './hpc-process.ts';

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
  it('--probe runs one tiny job through the driver and reads back the file it wrote (local driver)', async () => {
    const result = await runHpc(['doctor', '--probe', '--json'], {
      home,
      env: { PATH: bareBin, HPC_DRIVER: undefined },
      timeoutMs: 60_000,
    });
    const report = JSON.parse(result.stdout) as {
      checks: { name: string; status: string; detail: string }[];
    };
    const probe = report.checks.find((entry) => entry.name === 'probe job');
    expect(probe?.status).toBe('ok');
    expect(probe?.detail).toMatch(
      /^job local-\d+ ran on \S+ \(Node v\d+\.\d+\.\d+\) in \d+ s, imported the runner and wrote doctor-probe\.txt/,
    );
    expect(result.exitCode).toBe(0);
  });

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

describe('hpc doctor: who else can read the state folder', () => {
  type Report = { checks: { name: string; status: string; detail: string; fix?: string }[] };
  const privacy = async (stateHome: string, env: Record<string, string> = {}) => {
    const result = await runHpc(['doctor', '--json'], { home: stateHome, env: { PATH: bareBin, ...env } });
    return (JSON.parse(result.stdout) as Report).checks.find((check) => check.name === 'state privacy');
  };

  it("creates a missing state folder private (0700), not with the umask's 0755", async () => {
    const fresh = join(home, 'fresh', 'hpc');
    expect((await privacy(fresh))?.status).toBe('ok');
    expect((await stat(fresh)).mode & 0o777).toBe(0o700);
  });

  it('warns about a world- or group-readable home, its job folders, job records and SLURM index, with the chmod to run', async () => {
    const open = join(home, 'open-home');
    const tmp = join(home, 'open-tmp');
    await mkdir(tmp);
    // A real local job, and a SLURM job folder as the driver leaves it (private), to see where doctor looks.
    const submitted = await runHpc(['submit', fixture('my-process.ts'), '--wait', '--json'], { home: open });
    expect(submitted.exitCode).toBe(0);
    const localJob = join(open, 'local', 'jobs', (JSON.parse(submitted.stdout) as { id: string }).id);
    const slurmJob = join(open, 'slurm', 'jobs', 'MyProcess-20250101-000001-aaaa');
    await mkdir(slurmJob, { recursive: true, mode: 0o700 });
    const record = { id: '4101', driver: 'slurm', name: 'MyProcess', jobDir: slurmJob, submittedAt: 'x' };
    await writeFile(join(slurmJob, 'job.json'), JSON.stringify(record), { mode: 0o600 });
    await chmod(open, 0o755);
    await chmod(join(open, 'slurm'), 0o700);
    await chmod(join(open, 'slurm', 'jobs'), 0o700);
    await chmod(localJob, 0o750);
    await chmod(join(localJob, 'job.json'), 0o644);
    const env = { TMPDIR: tmp };
    expect((await privacy(open, env))?.detail).not.toContain('.sqlite');
    // The index doctor just opened, made readable as an older version might have left it.
    const indexFolder = join(tmp, `hpc-${process.getuid?.()}`);
    const [indexName] = (await readdir(indexFolder)).filter((name) => name.endsWith('.sqlite'));
    const index = join(indexFolder, indexName as string);
    await chmod(index, 0o644);

    const warned = await privacy(open, env);
    expect(warned?.status).toBe('warn');
    expect(warned?.detail).toContain(`${open} (0755)`);
    expect(warned?.detail).toContain(`${localJob} (0750)`);
    expect(warned?.detail).toContain(`${join(localJob, 'job.json')} (0644)`);
    expect(warned?.detail).toContain(`${index} (0644)`);
    expect(warned?.detail).not.toContain(`${join(open, 'local')} (`);
    expect(warned?.detail).not.toContain(slurmJob);
    expect(warned?.fix).toBe(`chmod -R go-rwx '${open}' '${index}'`);

    // HPC_SHARE=group asks for group access: then only what everyone else may do counts.
    const shared = await privacy(open, { ...env, HPC_SHARE: 'group' });
    expect(shared?.status).toBe('warn');
    expect(shared?.detail).toContain(`${open} (0755)`);
    expect(shared?.detail).not.toContain('(0750)');
    expect(shared?.fix).toBe(`chmod -R o-rwx '${open}' '${index}'`);

    await execa('chmod', ['-R', 'go-rwx', open, indexFolder]);
    expect(await privacy(open, env)).toMatchObject({ status: 'ok', detail: `${open} is private to you` });
  });
});
