import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidJobSettingError, JobFailedError, type JobState } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandRunner, createCommandRunner } from '../src/command-runner.ts';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { eventually, rejectionOf, requireCluster } from './cluster-helpers.ts';
import { AddNumbers, ExitWith, Explode, SleepFor, Square } from './fixtures/slurm-processes.ts';

/** Every SLURM command a driver ran, in order. */
function countingRunner(): { run: CommandRunner; calls: string[] } {
  const real = createCommandRunner();
  const calls: string[] = [];
  return {
    calls,
    run: (command, args, options) => {
      calls.push(`${command} ${args.join(' ')}`);
      return real(command, args, options);
    },
  };
}

/** The jobs of `ids` squeue still holds in a state that is not final (pending, running, completing). */
function stillQueued(ids: readonly string[]): string {
  const result = execFileSync(
    'bash',
    ['-c', 'squeue -h -t PD,R,CG,CF,S -j "$1" -o "%i %T %r" 2>/dev/null || true', '_', ids.join(',')],
    { encoding: 'utf8', timeout: 20_000 },
  );
  return result.trim();
}

/**
 * Waits until squeue holds none of `ids`. outcome.json makes a job `completed` as soon as run()'s
 * result is saved, while SLURM may show its last task RUNNING or COMPLETING a moment longer; what
 * must never happen is a dependent left held or pending for good.
 */
async function drained(ids: readonly string[]): Promise<void> {
  let last = '';
  try {
    const empty = () => {
      last = stillQueued(ids);
      return last === '' ? true : undefined;
    };
    await eventually(empty, 20_000, 'squeue to drain');
  } catch {
    expect(last).toBe('');
  }
}

/** squeue no longer knows the job (the controller purged it: MinJobAge). */
function purged(id: string): boolean {
  const out = execFileSync('bash', ['-c', 'squeue -h -t all -j "$1" -o %i 2>&1 || true', '_', id], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return !out.includes(id) || /Invalid job id/i.test(out);
}

async function settled(driver: SLURMDriver, id: string, timeoutMs = 120_000): Promise<JobState> {
  return driver.waitForJob(id, { timeoutMs, pollIntervalMs: 500, maxPollIntervalMs: 2_000 });
}

function blocked(state: JobState) {
  if (state.status !== 'blocked') throw new Error(`expected blocked, got ${JSON.stringify(state)}`);
  return state;
}

describe('SLURMDriver dependencies on the real cluster', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-deps-int-'));
  const jobsRoot = join(home, 'slurm', 'jobs');
  const counted = countingRunner();
  let driver: SLURMDriver;

  beforeAll(() => {
    requireCluster();
    driver = new SLURMDriver({ home, run: counted.run, polling: { minIntervalMs: 300 } });
  });
  afterAll(() => driver?.close());

  it('a pipeline whose middle step fails: the last is blocked naming it, and nothing stays queued', async () => {
    const first = await driver.submitJob(new SleepFor(2), { name: 'dep-first' });
    const middle = await driver.submitJob(new Explode('middle broke'), {
      name: 'dep-middle',
      after: [first],
    });
    const last = await driver.submitJob(new AddNumbers(1, 2), { name: 'dep-last', after: [middle] });
    const sbatch = counted.calls.filter((call) => call.startsWith('sbatch'));
    expect(sbatch.at(-1)).toContain(`--dependency=afterok:${middle}`);
    expect(sbatch.at(-1)).toContain('--kill-on-invalid-dep=yes');
    const state = blocked(await settled(driver, last));
    expect(state).toMatchObject({
      upstream: middle,
      upstreamStatus: 'failed',
      upstreamDetail: 'process-error',
    });
    // SLURM cancels it (--kill-on-invalid-dep), or a poll that already sees the middle step failed does.
    expect(state.raw).toMatch(/^CANCELLED|; cancelled by @hpc$/);
    expect((await driver.checkJobStatus(middle)).status).toBe('failed');
    await drained([first, middle, last]);
    const error = await rejectionOf<JobFailedError>(driver.getResult(last));
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error.diagnosis).toMatch(new RegExp(`^Blocked: upstream ${middle} failed \\(process-error\\)`));
  }, 180_000);

  it('the same pipeline succeeding: each step starts after its upstream ended', async () => {
    const a = await driver.submitJob(new SleepFor(2), { name: 'dep-a' });
    const b = await driver.submitJob(new SleepFor(1), { name: 'dep-b', after: [a] });
    const c = await driver.submitJob(new AddNumbers(2, 3), { name: 'dep-c', after: [b] });
    expect((await driver.checkJobStatus(c)).status).toBe('pending');
    await settled(driver, c);
    const [sa, sb, sc] = await Promise.all([a, b, c].map((id) => driver.checkJobStatus(id)));
    expect([sa, sb, sc].map((s) => s?.status)).toEqual(['completed', 'completed', 'completed']);
    const time = (text: string | undefined) => Date.parse(text as string);
    // SLURM's times are whole seconds: "after" allows the same second.
    expect(Math.floor(time(sb?.startedAt) / 1000)).toBeGreaterThanOrEqual(
      Math.floor(time(sa?.endedAt) / 1000),
    );
    expect(Math.floor(time(sc?.startedAt) / 1000)).toBeGreaterThanOrEqual(
      Math.floor(time(sb?.endedAt) / 1000),
    );
    expect(await driver.getResult(c)).toMatchObject({ sum: 5 });
  }, 180_000);

  it('fans an array of 4 into one job', async () => {
    const fan = await driver.submitJobs(
      [1, 2, 3, 4].map((i) => new Square(i)),
      { name: 'dep-fan' },
    );
    const sink = await driver.submitJob(new SleepFor(2), { name: 'dep-sink', after: fan });
    expect(counted.calls.filter((call) => call.startsWith('sbatch')).at(-1)).toContain(
      `--dependency=afterok:${fan.join(':')}`,
    );
    // And fanned out again while the sink waits: a batch after it, every slice with the dependency.
    const again = await driver.submitJobs([new Square(7), new Square(8)], {
      name: 'dep-again',
      after: [sink],
    });
    const sbatch = counted.calls.filter((call) => call.startsWith('sbatch')).at(-1);
    expect(sbatch).toContain(`--dependency=afterok:${sink}`);
    expect(sbatch).toContain('--kill-on-invalid-dep=yes');
    expect((await settled(driver, sink)).status).toBe('completed');
    const sinkStart = Math.floor(Date.parse((await driver.checkJobStatus(sink)).startedAt as string) / 1000);
    for (const id of fan) {
      const state = await driver.checkJobStatus(id);
      expect(state.status).toBe('completed');
      expect(Math.floor(Date.parse(state.endedAt as string) / 1000)).toBeLessThanOrEqual(sinkStart);
    }
    const states = await driver.waitForJobs(again, { timeoutMs: 120_000, pollIntervalMs: 500 });
    expect([...states.values()].map((state) => state.status)).toEqual(['completed', 'completed']);
  }, 180_000);

  it('afterEach maps an upstream batch task to task (aftercorr): a failed upstream blocks only its own', async () => {
    const upstream = await driver.submitJobs([new Square(1), new Explode('u1 broke'), new Square(3)], {
      name: 'dep-up',
    });
    const down = await driver.submitJobs([new Square(10), new Square(11), new Square(12)], {
      name: 'dep-down',
      afterEach: upstream,
    });
    const arrayId = (upstream[0] as string).split('_')[0];
    expect(counted.calls.filter((call) => call.startsWith('sbatch')).at(-1)).toContain(
      `--dependency=aftercorr:${arrayId}`,
    );
    const states = new Map<string, JobState>(
      await driver.waitForJobs(down, { timeoutMs: 120_000, pollIntervalMs: 500 }),
    );
    expect(states.get(down[0] as string)?.status).toBe('completed');
    expect(blocked(states.get(down[1] as string) as JobState).upstream).toBe(upstream[1]);
    expect(states.get(down[2] as string)?.status).toBe('completed');
    await drained(down.map((id) => id.split('_')[0] as string));
  }, 180_000);

  it('afterEach on upstreams that are not one batch: per-task afterok (queued held, each task updated, released)', async () => {
    // Both upstreams must still be live while the dependents are set up (held, updated, released):
    // the failing one is held until then, the other runs long enough not to end (and be purged) first.
    const slow = await driver.submitJob(new SleepFor(8), { name: 'dep-each-a' });
    const broken = await driver.submitJob(new Explode('each broke'), {
      name: 'dep-each-b',
      slurmArgs: { hold: true },
    });
    const down = await driver.submitJobs([new Square(5), new Square(6)], {
      name: 'dep-each',
      afterEach: [slow, broken],
    });
    execFileSync('scontrol', ['release', broken], { timeout: 20_000 });
    const arrayId = (down[0] as string).split('_')[0] as string;
    expect(counted.calls.filter((call) => call.startsWith('sbatch')).at(-1)).toContain('--hold');
    expect(counted.calls).toContain(`scontrol update JobId=${arrayId}_0 Dependency=afterok:${slow}`);
    expect(counted.calls).toContain(`scontrol update JobId=${arrayId}_1 Dependency=afterok:${broken}`);
    expect(counted.calls).toContain(`scontrol release ${arrayId}`);
    const states = new Map<string, JobState>(
      await driver.waitForJobs(down, { timeoutMs: 120_000, pollIntervalMs: 500 }),
    );
    const first = states.get(down[0] as string) as JobState;
    expect(first.status).toBe('completed');
    const slowEnd = Math.floor(Date.parse((await driver.checkJobStatus(slow)).endedAt as string) / 1000);
    expect(Math.floor(Date.parse(first.startedAt as string) / 1000)).toBeGreaterThanOrEqual(slowEnd);
    expect(blocked(states.get(down[1] as string) as JobState)).toMatchObject({
      upstream: broken,
      upstreamStatus: 'failed',
    });
    await drained([arrayId]);
  }, 180_000);

  it('a dependent of an upstream that already failed (and SLURM purged) is blocked without sbatch, in every instance', async () => {
    const failed = await driver.submitJob(new ExitWith(2), { name: 'dep-failed' });
    const ended = await settled(driver, failed);
    if (ended.status !== 'failed') throw new Error(`expected ${failed} to fail: ${JSON.stringify(ended)}`);
    await eventually(() => (purged(failed) ? true : undefined), 60_000, `squeue to forget ${failed}`);
    // A new instance: the upstream's final state comes from its job.json, not from SLURM.
    const fresh = countingRunner();
    const second = new SLURMDriver({ home, run: fresh.run, storePath: join(home, 'second-index.sqlite') });
    try {
      const id = await second.submitJob(new AddNumbers(), { name: 'dep-blocked', after: [failed] });
      expect(id).toMatch(/^blocked-[0-9a-f]{16}$/);
      expect(fresh.calls.filter((call) => call.startsWith('sbatch'))).toEqual([]);
      const state = blocked(await second.checkJobStatus(id));
      expect(state).toMatchObject({
        upstream: failed,
        upstreamStatus: 'failed',
        upstreamDetail: ended.cause,
      });
      const error = await rejectionOf<JobFailedError>(second.getResult(id));
      expect(error.diagnosis).toContain(`Blocked: upstream ${failed} failed (${ended.cause})`);
      // A batch that depends on it: every process blocked, no sbatch either.
      const batch = await second.submitJobs([new AddNumbers(), new AddNumbers()], {
        name: 'dep-blocked-batch',
        after: [failed],
      });
      expect(batch).toHaveLength(2);
      expect(batch.every((process) => /^blocked-[0-9a-f]{16}-[01]$/.test(process))).toBe(true);
      expect(fresh.calls.filter((call) => call.startsWith('sbatch'))).toEqual([]);
      const batchStates = await second.waitForJobs(batch, { timeoutMs: 5_000 });
      expect([...batchStates.values()].map((s) => s.status)).toEqual(['blocked', 'blocked']);
      // afterNotOk on the same upstream is satisfied: submitted with no dependency left.
      const cleanup = await second.submitJob(new AddNumbers(4, 4), {
        name: 'dep-cleanup',
        afterNotOk: [failed],
      });
      expect(fresh.calls.filter((call) => call.startsWith('sbatch')).at(-1)).not.toContain('--dependency');
      await settled(second, cleanup);
      expect(await second.getResult(cleanup)).toMatchObject({ sum: 8 });
      // And a third instance lists the blocked job and knows its state without asking SLURM.
      const third = new SLURMDriver({ home, storePath: join(home, 'other-index.sqlite') });
      try {
        expect((await third.listJobs()).map((job) => job.id)).toContain(id);
        expect(blocked(await third.checkJobStatus(id)).upstream).toBe(failed);
      } finally {
        third.close();
      }
    } finally {
      second.close();
    }
  }, 180_000);

  it('refuses unknown ids and contradicting lists before anything is submitted', async () => {
    const before = readdirSync(jobsRoot).length;
    const calls = counted.calls.length;
    const unknown = await rejectionOf<InvalidJobSettingError>(
      driver.submitJob(new AddNumbers(), { after: ['999999999'] }),
    );
    expect(unknown).toBeInstanceOf(InvalidJobSettingError);
    expect(unknown.message).toMatch(/after\[0\].*999999999.*not tracked by the slurm driver/);
    const batch = await rejectionOf<InvalidJobSettingError>(
      driver.submitJobs([new AddNumbers()], { afterEach: ['999999998'] }),
    );
    expect(batch.problem).toBe('unknown-job');
    const known = (await driver.listJobs())[0]?.id as string;
    const cycle = await rejectionOf<InvalidJobSettingError>(
      driver.submitJob(new AddNumbers(), { after: [known], afterNotOk: [known] }),
    );
    expect(cycle.problem).toBe('dependency-cycle');
    const empty = await rejectionOf<InvalidJobSettingError>(
      driver.submitJob(new AddNumbers(), { afterAny: [''] }),
    );
    expect(empty.problem).toBe('missing-value');
    expect(counted.calls.slice(calls).filter((call) => call.startsWith('sbatch'))).toEqual([]);
    expect(readdirSync(jobsRoot).length).toBe(before);
  }, 60_000);
});
