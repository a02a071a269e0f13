import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { requireCluster, scontrol, waitForState } from './cluster-helpers.ts';
import { SleepThenSayWhere, type WhereAmI } from './fixtures/slurm-processes.ts';

/**
 * A node taken down mid-job on the real cluster: SLURM ends the job NODE_FAIL, and a retry policy
 * listing 'node-fail' resubmits it under the same id with the node added to --exclude. Only the
 * node the job runs on is taken down, for the seconds until SLURM reports NODE_FAIL, and resumed.
 * n1 is left alone (everyone's default): the job excludes it, so it lands on n2 or n3.
 */
describe('SLURMDriver: a retry after NODE_FAIL', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-slurm-nodefail-retry-'));
  let driver: SLURMDriver;
  let down: string | undefined;
  let id: string | undefined;

  beforeAll(() => {
    requireCluster();
    driver = new SLURMDriver({ home, polling: { minIntervalMs: 300 } });
  });
  afterAll(async () => {
    if (down) resume(down);
    if (id) await driver?.cancelJob(id).catch(() => {});
    driver?.close();
  });

  function resume(node: string): void {
    try {
      scontrol('update', `nodename=${node}`, 'state=resume');
    } catch {
      // Already back (ReturnToService=2 returns it once its slurmd registers again).
    }
    down = undefined;
  }
  const sacctState = (jobId: string) =>
    execFileSync('sacct', ['-X', '-n', '-P', '-o', 'State', '-j', jobId], { encoding: 'utf8' }).trim();
  const othersOn = (node: string, own: string) =>
    execFileSync('squeue', ['-h', '-w', node, '-o', '%i'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() && line.trim() !== own);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('retries on another node, the failed one excluded, and completes under the first id', {
    timeout: 360_000,
  }, async () => {
    id = await driver.submitJob(new SleepThenSayWhere(40), {
      name: 'retry-nodefail',
      slurmArgs: { exclude: 'n1' },
      retry: { maxAttempts: 2, on: ['node-fail'] },
    });
    // The policy takes node failures and the Process cannot checkpoint: the script says
    // --no-requeue, so SLURM (JobRequeue=1) does not requeue the node-failed job itself.
    const script = readFileSync((await driver.describeJob(id)).scriptPath as string, 'utf8');
    expect(script).toMatch(/^#SBATCH --no-requeue$/m);
    const running = await waitForState(driver, id, (state) => state.status === 'running', 240_000);
    const failedNode = running.node as string;
    expect(['n2', 'n3']).toContain(failedNode);
    // Mid-run: run() has started (it says so in job.out).
    for (let i = 0; i < 60 && !(await driver.logs(id)).includes('sleeping'); i++) await sleep(500);
    // Spare the other users' jobs where we can: a few seconds for the node to be ours alone.
    for (let i = 0; i < 20 && othersOn(failedNode, id).length > 0; i++) await sleep(500);
    const downAt = Date.now();
    try {
      down = failedNode;
      scontrol('update', `nodename=${failedNode}`, 'state=down', 'reason=hpc-int-nodefail-retry');
      // SLURM's own final state of the first attempt, as accounting recorded it.
      const deadline = Date.now() + 60_000;
      while (sacctState(id) !== 'NODE_FAIL' && Date.now() < deadline) await sleep(500);
      expect(sacctState(id)).toBe('NODE_FAIL');
    } finally {
      resume(failedNode);
      console.info(`${failedNode} was down (until resumed) for ${Date.now() - downAt} ms`);
    }

    const retried = await waitForState(driver, id, (state) => (state.attempts?.length ?? 0) >= 2, 60_000);
    const second = retried.attempts?.[1]?.schedulerId as string;
    expect(second).toMatch(/^\d+$/);
    expect(second).not.toBe(id);
    // The retry was submitted with the failed node excluded (SLURM's view of the new job).
    const excluded = /ExcNodeList=(\S+)/.exec(scontrol('show', 'job', second))?.[1] ?? '(none)';
    expect(scontrol('show', 'hostnames', excluded).split('\n').filter(Boolean).sort()).toEqual(
      ['n1', failedNode].sort(),
    );

    const state = await driver.waitForJob(id, { timeoutMs: 240_000, maxPollIntervalMs: 2_000 });
    expect(state).toMatchObject({ status: 'completed', maxAttempts: 2 });
    const where = await driver.getResult<WhereAmI>(id);
    const otherNode = failedNode === 'n2' ? 'n3' : 'n2';
    expect(where).toMatchObject({ node: otherNode, jobId: second });
    expect(state.attempts).toMatchObject([
      {
        number: 1,
        cause: 'submitted',
        schedulerId: id,
        node: failedNode,
        endedAs: 'failed',
        endNote: expect.stringContaining('node-fail'),
      },
      {
        number: 2,
        cause: 'retry',
        after: 'node-fail',
        mechanism: 'resubmitted',
        schedulerId: second,
        changed: { exclude: `n1,${failedNode}` },
        node: otherNode,
        endedAs: 'completed',
      },
    ]);
    expect(sacctState(second)).toBe('COMPLETED');
    // Both attempts' logs under the one id.
    const log = await driver.logs(id);
    expect(log).toMatch(
      new RegExp(`==> attempt 1 <==[^]*on ${failedNode}\\n[^]*==> attempt 2 <==[^]*on ${otherNode}\\n`),
    );
  });
});
