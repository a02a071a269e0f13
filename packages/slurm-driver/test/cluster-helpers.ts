import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTerminalState, type JobState } from '@hpc/core';
import { shellQuote } from '../src/shell-quote.ts';
import { isSlurmAvailable } from '../src/slurm-available.ts';
import type { SLURMDriver } from '../src/slurm-driver.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const UP_SCRIPT = `${REPO_ROOT}scripts/cluster/up.sh`;

/** Integration tests fail (never skip) without a cluster: the test command starts it with up.sh. */
export function requireCluster(): void {
  if (!isSlurmAvailable()) {
    throw new Error(
      'sbatch is not on PATH: install SLURM and start the dev cluster with scripts/cluster/up.sh',
    );
  }
  try {
    execFileSync('scontrol', ['ping'], { encoding: 'utf8', timeout: 20_000 });
  } catch (error) {
    throw new Error(
      `the SLURM controller does not answer 'scontrol ping'; run scripts/cluster/up.sh (${(error as Error).message})`,
    );
  }
}

/** Polls the driver until the job's state satisfies `accept` (or is terminal when it does not). */
export async function waitForState(
  driver: SLURMDriver,
  id: string,
  accept: (state: JobState) => boolean,
  timeoutMs = 60_000,
): Promise<JobState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await driver.checkJobStatus(id);
    if (accept(state)) return state;
    if (isTerminalState(state))
      throw new Error(`job ${id} ended ${JSON.stringify(state)} before reaching the wanted state`);
    if (Date.now() > deadline)
      throw new Error(`job ${id} still ${JSON.stringify(state)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

export function scontrol(...args: string[]): string {
  return execFileSync('scontrol', args, { encoding: 'utf8', timeout: 20_000 });
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejectionOf<E = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** node's arguments to run module code from the sources (`.ts`, the '@hpc/source' condition). */
export function nodeScriptArgs(code: string): string[] {
  return [
    '--experimental-transform-types',
    '--no-warnings',
    '--conditions=@hpc/source',
    '--input-type=module',
    '-e',
    code,
  ];
}

/** `node -e <module code>` from the package folder, in its own process group (kill(-pid) ends its children too). */
export function spawnNodeScript(code: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, nodeScriptArgs(code), {
    cwd: `${REPO_ROOT}packages/slurm-driver`,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the exit code and signal once the child has exited, with what it printed. */
export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** Ends a child's whole process group (relay shells and fake commands it left behind). */
export function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * A folder of SLURM commands for failure injection on top of the real cluster: the real squeue,
 * sacct, scancel and scontrol, and an `sbatch` that is the given bash script (it can call the real
 * one as "$REAL_SBATCH" "$@").
 */
export function fakeSlurmBin(sbatchScript: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hpc-fake-slurm-'));
  for (const command of ['squeue', 'sacct', 'scancel', 'scontrol']) {
    symlinkSync(
      execFileSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim(),
      join(dir, command),
    );
  }
  const real = execFileSync('bash', ['-c', 'command -v sbatch'], { encoding: 'utf8' }).trim();
  writeFileSync(join(dir, 'sbatch'), `#!/bin/bash\nREAL_SBATCH=${shellQuote(real)}\n${sbatchScript}\n`, {
    mode: 0o755,
  });
  return dir;
}

/** Polls until `check` returns a value (not undefined), or fails after timeoutMs. */
export async function eventually<T>(
  check: () => T | undefined,
  timeoutMs = 30_000,
  what = 'the condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A field once slurmdbd has it: right after a job ends, ReqMem can read '16?' (or nothing) for a moment. */
export async function sacctSettled(id: string, field: string): Promise<string> {
  for (let tries = 0; ; tries++) {
    const value = sacct(id, field);
    if ((value !== '' && !value.includes('?')) || tries >= 30) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** One field of sacct's record of a job. */
export function sacct(id: string, field: string): string {
  return execFileSync('sacct', ['-X', '-n', '-P', '-j', id, '-o', field], { encoding: 'utf8' }).trim();
}
