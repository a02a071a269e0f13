import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHpcError, type JobFailedError, type JobId } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmissionRefusedError } from '../src/errors.ts';
import { SLURM_JOB_FILES } from '../src/sbatch-script.ts';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { userNameOfUid } from '../src/user-names.ts';
import {
  nodeScriptArgs,
  REPO_ROOT,
  rejectionOf,
  requireCluster,
  scontrol,
  waitForState,
} from './cluster-helpers.ts';
import {
  AddNumbers,
  AllocateMemory,
  ExitWith,
  Explode,
  ReadEnv,
  SleepFor,
  type WhereAmI,
} from './fixtures/slurm-processes.ts';
import { Greeter } from './fixtures/ts-user-module.ts';

/**
 * Every state for real, on the dev cluster (scripts/cluster/up.sh). The slow jobs (TIMEOUT with a
 * 1-minute limit, NODE_FAIL, OOM, cancel) are submitted first and checked later, so they overlap.
 * n3 is reserved for the NODE_FAIL test: the other jobs exclude it.
 */
describe('SLURMDriver on the real cluster', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-slurm-int-'));
  let driver: SLURMDriver;
  let n3Driver: SLURMDriver;
  const ids: Record<string, JobId> = {};

  beforeAll(async () => {
    requireCluster();
    driver = new SLURMDriver({
      home,
      defaults: { slurmArgs: { exclude: 'n3' } },
      polling: { minIntervalMs: 300 },
    });
    n3Driver = new SLURMDriver({ home, polling: { minIntervalMs: 300 } });
    // Slow ones first: they run while the quick tests do.
    ids.nodeFail = await n3Driver.submitJob(new SleepFor(600, true), {
      name: 'int-nodefail',
      slurmArgs: { nodelist: 'n3', 'no-requeue': true },
    });
    ids.oom = await driver.submitJob(new AllocateMemory(800), {
      name: 'int-oom',
      slurmArgs: { mem: '200M' },
    });
    ids.cancel = await driver.submitJob(new SleepFor(600, true), { name: 'int-cancel' });
  });

  afterAll(async () => {
    for (const id of Object.values(ids)) await driver?.cancelJob(id).catch(() => {});
    try {
      execFileSync('scontrol', ['update', 'nodename=n3', 'state=resume'], { stdio: 'ignore' });
    } catch {
      // Already back (ReturnToService=2).
    }
    driver?.close();
    n3Driver?.close();
  });

  it('runs a Process to completion and returns its result and logs', async () => {
    const id = await driver.submitJob(new AddNumbers(2, 3), { env: { HPC_TEST_MARK: 'x' } });
    const seen: string[] = [];
    const state = await driver.waitForJob(id, { timeoutMs: 60_000, onState: (s) => seen.push(s.status) });
    expect(state).toMatchObject({ status: 'completed', exitCode: 0 });
    const result = await driver.getResult<WhereAmI>(id);
    expect(result.sum).toBe(5);
    expect(result.jobId).toBe(id);
    expect(['n1', 'n2']).toContain(result.node);
    expect(await driver.logs(id)).toContain('adding 2 + 3');
    expect(seen.at(-1)).toBe('completed');
    const script = readFileSync(
      join((await driver.listJobs()).find((j) => j.id === id)?.jobDir ?? '', SLURM_JOB_FILES.script),
      'utf8',
    );
    expect(script).toContain("export HPC_TEST_MARK='x'");
  });

  it('reports run() throwing as failed, with the remote stack, cause and stderr tail', async () => {
    const id = await driver.submitJob(new Explode('kaboom from the node'));
    expect(await driver.waitForJob(id, { timeoutMs: 60_000 })).toMatchObject({
      status: 'failed',
      cause: 'process-error',
      exitCode: 1,
    });
    const error = await rejectionOf<JobFailedError>(driver.getResult(id));
    expect(isHpcError(error, 'JobFailedError')).toBe(true);
    expect(error.remote?.message).toBe('kaboom from the node');
    expect(error.remote?.stack).toContain('slurm-processes.ts');
    expect(error.remote?.cause?.name).toBe('RangeError');
    expect(error.exitCode).toBe(1);
    expect(error.stderrTail).toContain('about to explode');
    expect(error.stack).toContain('--- remote error ---');
  });

  it('reports a non-zero exit: around the container (no outcome) and through process.exit()', async () => {
    const hard = await driver.submitJob(new ExitWith(7, true));
    const soft = await driver.submitJob(new ExitWith(5, false));
    const hardState = await driver.waitForJob(hard, { timeoutMs: 60_000 });
    expect(hardState).toMatchObject({ status: 'failed', cause: 'exit-code', exitCode: 7 });
    expect(hardState.raw).toMatch(/^FAILED/);
    const softState = await driver.waitForJob(soft, { timeoutMs: 60_000 });
    expect(softState).toMatchObject({ status: 'failed', cause: 'infrastructure', exitCode: 2 });
    const error = await rejectionOf<JobFailedError>(driver.getResult(soft));
    expect(error.remote?.name).toBe('ExitCalledError');
  });

  it('loads a real environment module the test writes (Lmod), and fails cleanly on a missing one', async () => {
    const modules = join(home, 'modulefiles');
    mkdirSync(join(modules, 'labtool'), { recursive: true });
    writeFileSync(
      join(modules, 'labtool', '1.0.lua'),
      'setenv("LABTOOL_VERSION", "1.0")\nprepend_path("PATH", "/opt/labtool/1.0/bin")\n',
    );
    const id = await driver.submitJob(new ReadEnv(['LABTOOL_VERSION', 'LOADEDMODULES']), {
      modules: ['labtool/1.0'],
      modulePaths: [modules],
    });
    expect(await driver.waitForJob(id, { timeoutMs: 60_000 })).toMatchObject({ status: 'completed' });
    expect(await driver.getResult(id)).toMatchObject({
      LABTOOL_VERSION: '1.0',
      LOADEDMODULES: 'labtool/1.0',
    });

    const missing = await driver.submitJob(new ReadEnv([]), {
      modules: ['no-such-module'],
      modulePaths: [modules],
    });
    const state = await driver.waitForJob(missing, { timeoutMs: 60_000 });
    expect(state).toMatchObject({ status: 'failed', cause: 'infrastructure', exitCode: 3 });
    expect(await driver.logs(missing, { stream: 'stderr' })).toContain('module load no-such-module');
  });

  it('runs a class from a .ts user module (parameter properties)', async () => {
    const id = await driver.submitJob(new Greeter('cluster', '?'));
    expect(await driver.waitForJob(id, { timeoutMs: 60_000 })).toMatchObject({ status: 'completed' });
    expect(await driver.getResult(id)).toEqual({ text: 'hello cluster?', length: 14 });
  });

  it('shows pending reasons JobHeldUser and Dependency, then runs the held job once released', async () => {
    const held = await driver.submitJob(new AddNumbers(1, 1), { slurmArgs: { hold: true } });
    const dependent = await driver.submitJob(new AddNumbers(2, 2), {
      slurmArgs: { dependency: `afterok:${held}` },
    });
    expect(await waitForState(driver, held, (s) => s.status === 'pending')).toMatchObject({
      status: 'pending',
      reason: 'JobHeldUser',
    });
    expect(await waitForState(driver, dependent, (s) => s.status === 'pending')).toMatchObject({
      status: 'pending',
      reason: 'Dependency',
    });
    const all = await driver.checkAllJobStatuses();
    expect(all.get(held)).toMatchObject({
      status: 'pending',
      reason: 'JobHeldUser',
      raw: 'PENDING (JobHeldUser)',
    });
    scontrol('release', held);
    expect(await driver.waitForJob(dependent, { timeoutMs: 60_000 })).toMatchObject({ status: 'completed' });
    expect(await driver.getResult(held)).toMatchObject({ sum: 2 });
  });

  it('cancels a running job', async () => {
    await waitForState(driver, ids.cancel as string, (s) => s.status === 'running');
    await driver.cancelJob(ids.cancel as string);
    const state = await driver.waitForJob(ids.cancel as string, { timeoutMs: 60_000 });
    expect(state).toMatchObject({ status: 'cancelled', by: userNameOfUid(String(process.getuid?.())) });
    await driver.cancelJob(ids.cancel as string); // already finished: nothing to do
  });

  it('reports OUT_OF_MEMORY under --mem', async () => {
    const state = await driver.waitForJob(ids.oom as string, { timeoutMs: 90_000 });
    expect(state).toMatchObject({ status: 'failed', cause: 'out-of-memory' });
    expect(state.raw).toMatch(/OUT_OF_MEMORY/);
    const error = await rejectionOf<JobFailedError>(driver.getResult(ids.oom as string));
    expect(error.state.status).toBe('failed');
    expect(error.stderrTail).toMatch(/oom-kill|memory/i);
  });

  it('reports NODE_FAIL when the job’s node goes down', async () => {
    await waitForState(n3Driver, ids.nodeFail as string, (s) => s.status === 'running');
    scontrol('update', 'nodename=n3', 'state=down', 'reason=hpc-int-test');
    const state = await n3Driver.waitForJob(ids.nodeFail as string, { timeoutMs: 90_000 });
    expect(state).toMatchObject({ status: 'failed', cause: 'node-fail', node: 'n3' });
    // ReturnToService=2 brings n3 back by itself once its slurmd re-registers.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(scontrol('show', 'node', 'n3')).not.toMatch(/State=DOWN/);
  });

  it('turns sbatch refusals into SubmissionRefusedError with sbatch’s message', async () => {
    const tooBig = await rejectionOf<SubmissionRefusedError>(
      driver.submitJob(new AddNumbers(), { slurmArgs: { mem: '100G' } }),
    );
    expect(tooBig._tag).toBe('SubmissionRefusedError');
    expect(tooBig.stderr).toMatch(
      /Memory specification can not be satisfied|Requested node configuration is not available/,
    );
    const partition = await rejectionOf<SubmissionRefusedError>(
      driver.submitJob(new AddNumbers(), { slurmArgs: { partition: 'nosuch' } }),
    );
    expect(partition._tag).toBe('SubmissionRefusedError');
    expect(partition.message).toMatch(/Invalid partition name specified/);
    const invalid = await rejectionOf(
      driver.submitJob(new AddNumbers(), { slurmArgs: { mem: '1G\n#SBATCH --uid=0' } }),
    );
    expect(isHpcError(invalid, 'InvalidJobSettingError')).toBe(true);
  });

  it('hands hostile #SBATCH values to sbatch verbatim, executing nothing', async () => {
    const pwned = join(home, 'pwned');
    const comment = `$(touch ${pwned}) \`touch ${pwned}\` "dq" 'sq' ; # not a comment \\ end`;
    const id = await driver.submitJob(new AddNumbers(), {
      name: 'hostile',
      slurmArgs: { hold: true, comment },
    });
    const shown = scontrol('show', 'job', id);
    expect(shown).toContain(`Comment=${comment}`);
    await driver.cancelJob(id);
    expect(existsSync(pwned)).toBe(false);
  });

  it('keeps tracked jobs for a new SLURMDriver in a new process', async () => {
    const id = await driver.submitJob(new AddNumbers(20, 22));
    await driver.waitForJob(id, { timeoutMs: 60_000 });
    const script = `
      const { SLURMDriver } = await import(${JSON.stringify(`${REPO_ROOT}packages/slurm-driver/src/index.ts`)});
      const driver = new SLURMDriver();
      const jobs = await driver.listJobs();
      const state = await driver.checkJobStatus(${JSON.stringify(id)});
      const result = await driver.getResult(${JSON.stringify(id)});
      console.log(JSON.stringify({ count: jobs.length, has: jobs.some((j) => j.id === ${JSON.stringify(id)}), state: state.status, sum: result.sum }));
    `;
    const out = execFileSync(process.execPath, nodeScriptArgs(script), {
      encoding: 'utf8',
      env: { ...process.env, HPC_HOME: home },
      cwd: `${REPO_ROOT}packages/slurm-driver`,
    });
    const seen = JSON.parse(out.trim().split('\n').at(-1) as string);
    expect(seen).toMatchObject({ has: true, state: 'completed', sum: 42 });
    expect(seen.count).toBeGreaterThan(10);
  });
});
