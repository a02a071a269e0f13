import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHpcError } from '@hpc/core';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandRelayPool } from '../src/command-relay.ts';
import { createCommandRunner } from '../src/command-runner.ts';

let bin: string;
let work: string;
const pool = new CommandRelayPool(2);
beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), 'hpc-relay-bin-'));
  work = await mkdtemp(join(tmpdir(), 'hpc-relay-cwd-'));
  // A stand-in sbatch that reports what it was given (failure injection by argument).
  await writeFile(
    join(bin, 'sbatch'),
    `#!/bin/bash
case "$1" in
  --sleep) sleep "$2" ;;
  --fail) echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1 ;;
esac
printf 'cwd=%s\\n' "$PWD"
for arg in "$@"; do printf 'arg=[%s]\\n' "$arg"; done
`,
  );
  await chmod(join(bin, 'sbatch'), 0o755);
});
afterAll(() => pool.close());

describe('CommandRelayPool', () => {
  it('runs the command with every argument intact, in the given folder, never through a shell', async () => {
    const hostile = ['$(touch /tmp/hpc-relay-pwned)', '`id`', 'a b;c', "it's", '--x=\n2', ''];
    const result = await pool.run([join(bin, 'sbatch'), ...hostile], work, 5_000);
    expect(result).toMatchObject({ exitCode: 0, stderr: '', timedOut: false });
    expect(result.stdout).toBe([`cwd=${work}`, ...hostile.map((arg) => `arg=[${arg}]`)].join('\n'));
    await expect(import('node:fs').then((fs) => fs.existsSync('/tmp/hpc-relay-pwned'))).resolves.toBe(false);
  });

  it('returns stderr and the exit code of a refusal', async () => {
    const result = await pool.run([join(bin, 'sbatch'), '--fail'], work, 5_000);
    expect(result).toMatchObject({ exitCode: 1, stdout: '' });
    expect(result.stderr).toMatch(/Invalid partition name specified/);
  });

  it('refuses anything but SLURM commands, and NUL bytes in arguments', async () => {
    expect(await pool.run(['rm', '-rf', work], work, 5_000)).toMatchObject({
      exitCode: 126,
      stderr: 'relay: refusing to run rm',
    });
    expect(await pool.run([join(bin, 'sbatch'), 'a\0b'], work, 5_000)).toMatchObject({ exitCode: 126 });
  });

  it('times out a hung command, and the next request gets a fresh relay', async () => {
    const hung = await pool.run([join(bin, 'sbatch'), '--sleep', '5'], work, 300);
    expect(hung).toMatchObject({ timedOut: true });
    expect((await pool.run([join(bin, 'sbatch'), 'after'], work, 5_000)).stdout).toMatch(/arg=\[after\]/);
  });

  it('answers concurrent requests each with its own result', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => pool.run([join(bin, 'sbatch'), `job-${i}`], work, 5_000)),
    );
    expect(results.map((result) => result.stdout.split('\n').at(-1))).toEqual(
      Array.from({ length: 12 }, (_, i) => `arg=[job-${i}]`),
    );
  });

  it('never keeps a program alive once its requests are answered', async () => {
    const started = Date.now();
    const run = await execa(
      process.execPath,
      [
        '--experimental-transform-types',
        '--no-warnings',
        '--input-type=module',
        '-e',
        `import { CommandRelayPool } from ${JSON.stringify(new URL('../src/command-relay.ts', import.meta.url).href)};
         const result = await new CommandRelayPool(2).run([${JSON.stringify(join(bin, 'sbatch'))}, 'x'], '/', 5000);
         console.log(result.exitCode);`,
      ],
      { timeout: 10_000 },
    );
    expect(run.stdout).toBe('0');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('createCommandRunner with relayed sbatch', () => {
  it('maps a missing command to SchedulerUnavailableError (not-installed)', async () => {
    const run = createCommandRunner({ binDir: join(work, 'nowhere') });
    const error = await run('sbatch', ['--parsable', 'x.sh']).catch((e: unknown) => e);
    expect(isHpcError(error, 'SchedulerUnavailableError')).toBe(true);
    expect((error as { reason: string }).reason).toBe('not-installed');
  });

  it('maps a hung sbatch to SchedulerUnavailableError (timeout)', async () => {
    const run = createCommandRunner({ binDir: bin, timeoutMs: 300 });
    const error = await run('sbatch', ['--sleep', '5']).catch((e: unknown) => e);
    expect((error as { reason: string }).reason).toBe('timeout');
  });
});
