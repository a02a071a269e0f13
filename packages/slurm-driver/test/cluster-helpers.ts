import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isTerminalState, type JobState } from '@hpc/core';
import { isSlurmAvailable, type SLURMDriver } from '../src/index.ts';

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
