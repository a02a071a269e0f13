import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../src/command-path.ts';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc } from './hpc-process.ts';

/**
 * `hpc status` and `--watch` while the scheduler does not answer: real jobs on the real dev
 * cluster, with squeue/sacct shims on PATH that fail the way a restarting slurmctld makes them
 * fail (failure injection on top of the cluster, no mock of it).
 */
let home: string;
let shims: string;
let env: Record<string, string | undefined>;

const UNREACHABLE =
  'echo "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" >&2; exit 1';

/** squeue and sacct fail while $HPC_TEST_DOWN exists, or for the first $HPC_TEST_FAIL_CALLS calls. */
async function writeShims(): Promise<void> {
  for (const command of ['squeue', 'sacct']) {
    const real = findOnPath(command);
    if (!real) throw new Error(`${command} is not on PATH: the integration tests need the dev cluster`);
    const script = [
      '#!/bin/sh',
      `if [ -e "$HPC_TEST_DOWN" ]; then ${UNREACHABLE}; fi`,
      'n=$(cat "$HPC_TEST_COUNTER" 2>/dev/null || echo 0); echo $((n + 1)) > "$HPC_TEST_COUNTER"',
      `if [ "$n" -lt "\${HPC_TEST_FAIL_CALLS:-0}" ]; then ${UNREACHABLE}; fi`,
      `exec ${real} "$@"`,
    ].join('\n');
    await writeFile(join(shims, command), `${script}\n`);
    await chmod(join(shims, command), 0o755);
  }
}

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
  shims = join(home, 'shims');
  await mkdir(shims);
  await writeShims();
  env = {
    HPC_DRIVER: undefined,
    PATH: `${shims}:${process.env.PATH ?? ''}`,
    HPC_TEST_DOWN: join(home, 'down'),
    HPC_TEST_COUNTER: join(home, 'calls'),
  };
});
afterAll(() => cleanHome(home));

describe('hpc status while the scheduler does not answer', () => {
  let done: string;
  let held: string;

  it('lists every job from the store: recorded final states as they are, the rest unknown with the reason', async () => {
    const quick = await runHpc(['submit', fixture('my-process.ts'), '--args', '["x"]'], { home, env });
    done = quick.stdout.trim();
    const watched = await runHpc(['status', done, '--watch', '--interval', '0.5'], {
      home,
      env,
      timeoutMs: 90_000,
    });
    expect(watched.exitCode).toBe(0);
    const hold = await runHpc(
      ['submit', fixture('my-process.ts'), '--args', '["y"]', '--slurm-arg', 'begin=now+600'],
      {
        home,
        env,
      },
    );
    expect(hold.exitCode).toBe(0);
    held = hold.stdout.trim();

    await writeFile(join(home, 'down'), '');
    const result = await runHpc(['status', '--json'], { home, env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /the scheduler did not answer \(.*Unable to contact slurm controller.*\).*1 of them as unknown/s,
    );
    const jobs = (
      JSON.parse(result.stdout) as { jobs: { id: string; status: string; state: { reason?: string } }[] }
    ).jobs;
    expect(jobs.find((job) => job.id === done)?.status).toBe('completed');
    const unknown = jobs.find((job) => job.id === held);
    expect(unknown?.status).toBe('unknown');
    expect(unknown?.state.reason).toMatch(/the scheduler did not answer/);

    const table = await runHpc(['status'], { home, env });
    expect(table.exitCode).toBe(1);
    expect(table.stdout).toContain(done);
    expect(table.stdout).toContain(held);
  });

  it('--watch shows the failure and keeps going until the jobs end', async () => {
    await runHpc(['cancel', held], { home, env: { ...env, HPC_TEST_DOWN: join(home, 'not-down') } });
    const sleeper = await runHpc(['submit', fixture('sleeping-process.ts'), '--args', '3000'], {
      home,
      env: { ...env, HPC_TEST_DOWN: join(home, 'not-down') },
    });
    expect(sleeper.exitCode).toBe(0);
    const id = sleeper.stdout.trim();
    await writeFile(join(home, 'calls'), '0');
    const result = await runHpc(['status', id, '--watch', '--interval', '0.5'], {
      home,
      env: { ...env, HPC_TEST_DOWN: join(home, 'not-down'), HPC_TEST_FAIL_CALLS: '4' },
      timeoutMs: 120_000,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/the scheduler did not answer .*still watching/);
    expect(result.stderr).toContain('the scheduler answers again');
    expect(result.stdout).toMatch(new RegExp(`${id}\\s+SleepingProcess\\s+completed`));
  });
});

const UP_SCRIPT = fileURLToPath(new URL('../../../scripts/cluster/up.sh', import.meta.url));
const SLURMCTLD_PID = '/run/slurm/slurmctld.pid';

function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('hpc status --watch across a real controller restart', () => {
  afterAll(() => {
    // Whatever happened, leave the cluster up for the next tests.
    execFileSync(UP_SCRIPT, { stdio: 'ignore' });
  });

  it('shows the error while slurmctld is down, keeps watching, and sees the job end once it is back', async () => {
    const real = { HPC_DRIVER: undefined };
    const sleeper = await runHpc(['submit', fixture('sleeping-process.ts'), '--args', '8000'], {
      home,
      env: real,
    });
    expect(sleeper.exitCode).toBe(0);
    const id = sleeper.stdout.trim();
    const watching = runHpc(['status', id, '--watch', '--interval', '0.5'], {
      home,
      env: real,
      timeoutMs: 150_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const pid = Number(readFileSync(SLURMCTLD_PID, 'utf8').trim());
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid)).toBe(false);
    // Down longer than the job runs (it ends while nobody can ask) and than squeue's own retries
    // (MessageTimeout=10: ~9 s per failed call, and the runner tries again before it gives up).
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    execFileSync(UP_SCRIPT, { stdio: 'ignore' });
    const result = await watching;
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/the scheduler did not answer .*still watching/);
    expect(result.stderr).toContain('the scheduler answers again');
    expect(result.stdout).toMatch(new RegExp(`${id}\\s+SleepingProcess\\s+completed`));
  }, 170_000);
});
