import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JobDescription, JobId } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HungryProcess } from '../../../test/fixtures/usage-processes.ts';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { REPO_ROOT, requireCluster } from './cluster-helpers.ts';
import { AllocateMemory, ReadEnv } from './fixtures/slurm-processes.ts';

const MiB = 1024 ** 2;
const CLI = `${REPO_ROOT}apps/cli/dist/hpc.mjs`;
const run = promisify(execFile);

/**
 * Resource figures on the real cluster: a job that touches 150 MiB and burns ~2 s of CPU on 2
 * CPUs has the runner's figures and SLURM's (MaxRSS from the batch step, TotalCPU), its request,
 * and seff's efficiencies; a job failing in setup keeps its own name and sacct's figures.
 */
describe('job figures, describeJob and hpc show on SLURM', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-figures-int-'));
  let driver: SLURMDriver;
  const ids: Record<string, JobId> = {};

  beforeAll(async () => {
    requireCluster();
    driver = new SLURMDriver({ home, polling: { minIntervalMs: 300 } });
    ids.hungry = await driver.submitJob(new HungryProcess(150, 2000), {
      name: 'int-figures',
      slurmArgs: { 'cpus-per-task': 2, mem: '400M', time: '00:05:00' },
    });
    ids.setup = await driver.submitJob(new ReadEnv([]), {
      name: 'int-setup-fail',
      modules: ['no-such-module'],
    });
    ids.oom = await driver.submitJob(new AllocateMemory(800), {
      name: 'int-figures-oom',
      slurmArgs: { mem: '200M' },
    });
    const batch = await driver.submitJobs([new HungryProcess(64, 300), new HungryProcess(64, 300)], {
      name: 'int-figures-batch',
    });
    ids.batchProcess = batch[1] as JobId;
  }, 60_000);

  afterAll(() => {
    driver?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("has the runner's figures, SLURM's MaxRSS/TotalCPU, the request and sane efficiency", async () => {
    expect(await driver.waitForJob(ids.hungry as string, { timeoutMs: 90_000 })).toMatchObject({
      status: 'completed',
    });
    let job: JobDescription | undefined;
    // sacct lags a job's end by a few seconds: describeJob asks it until the batch step's MaxRSS is there.
    for (let i = 0; i < 30 && !job?.scheduler?.maxRssBytes; i++) {
      if (i) await new Promise((resolve) => setTimeout(resolve, 1000));
      job = await driver.describeJob(ids.hungry as string);
    }
    if (!job) throw new Error('no description');
    expect(job).toMatchObject({
      id: ids.hungry,
      driver: 'slurm',
      name: 'int-figures',
      state: { status: 'completed' },
    });
    expect(job.requested).toEqual({ cpus: 2, memBytes: 400 * MiB, timeLimitMs: 300_000 });
    expect(job.usage?.peakRssBytes).toBeGreaterThan(150 * MiB);
    // The spin is timed by the clock: a loaded machine gives it less CPU (2 cores, shared).
    const cpuMs = (job.usage?.userCpuMs ?? 0) + (job.usage?.systemCpuMs ?? 0);
    expect(cpuMs).toBeGreaterThan(200);
    expect(job.scheduler).toMatchObject({
      source: 'sacct',
      allocCpus: 2,
      reqMemBytes: 400 * MiB,
      timeLimitMs: 300_000,
    });
    expect(job.scheduler?.maxRssBytes).toBeGreaterThan(100 * MiB);
    // sacct measures the same process (plus the job script's shell): the same CPU within a margin.
    expect(job.scheduler?.totalCpuMs).toBeGreaterThan(cpuMs * 0.7);
    expect(job.scheduler?.totalCpuMs).toBeLessThan(cpuMs * 1.5 + 500);
    // seff: up to ~2 s of CPU on 2 CPUs over ~2.5 s; ~200 MiB of 400M; seconds of a 5-minute limit.
    const wallMs = job.usage?.wallMs ?? 0;
    expect(job.efficiency.cpu).toMatchObject({ cpus: 2, cpuMs, wallMs, from: 'runner' });
    expect(job.efficiency.cpu?.ratio).toBeCloseTo(cpuMs / (2 * wallMs), 9);
    expect(job.efficiency.cpu?.ratio).toBeGreaterThan(0.02);
    expect(job.efficiency.cpu?.ratio).toBeLessThan(0.55);
    expect(job.efficiency.memory?.ratio).toBeGreaterThan(0.35);
    expect(job.efficiency.memory?.ratio).toBeLessThan(1);
    expect(job.efficiency.time?.ratio).toBeLessThan(0.1);
    expect(job.history.map((phase) => phase.phase)).toEqual(['submitted', 'started', 'ended']);
    expect(job.scriptPath).toMatch(/job\.sbatch$/);
    expect(job.crateDigest).toMatch(/^sha256:/);
    // Kept: the next description needs no sacct.
    expect((await driver.checkJobStatus(ids.hungry as string)).scheduler?.maxRssBytes).toBe(
      job.scheduler?.maxRssBytes,
    );
  }, 120_000);

  it("keeps a setup failure's own name and the poll's sacct figures; show explains it", async () => {
    const state = await driver.waitForJob(ids.setup as string, { timeoutMs: 90_000 });
    expect(state).toMatchObject({ status: 'failed', cause: 'infrastructure', name: 'int-setup-fail' });
    expect(state.scheduler).toMatchObject({ source: 'sacct', allocCpus: 1 });
    expect((await driver.listJobs()).find((job) => job.id === ids.setup)?.name).toBe('int-setup-fail');
    const job = await driver.describeJob(ids.setup as string);
    expect(job.failure?.class).toBe('infrastructure');
    expect(job.failure?.diagnosis).toContain('module load');
  }, 120_000);

  it('an OOM job: class, diagnosis with the peak, SLURM figures from the poll', async () => {
    const state = await driver.waitForJob(ids.oom as string, { timeoutMs: 90_000 });
    expect(state).toMatchObject({ status: 'failed', cause: 'out-of-memory', name: 'int-figures-oom' });
    // The poll's sacct row: ReqMem can still be empty in the first seconds after the end (seen once).
    expect(state.scheduler).toMatchObject({ source: 'sacct', allocCpus: 1 });
    expect([undefined, 200 * MiB]).toContain(state.scheduler?.reqMemBytes);
    const job = await driver.describeJob(ids.oom as string);
    expect(job.failure?.class).toBe('out-of-memory');
    expect(job.failure?.diagnosis).toMatch(/^Ran out of memory/);
    expect(job.failure?.diagnosis).toContain('200.0 MiB requested');
    expect(job.requested).toEqual({ memBytes: 200 * MiB });
  }, 120_000);

  it("a batch process: its own runner figures, its task's SLURM figures asked for by describeJob", async () => {
    expect(await driver.waitForJob(ids.batchProcess as string, { timeoutMs: 90_000 })).toMatchObject({
      status: 'completed',
    });
    let job: JobDescription | undefined;
    for (let i = 0; i < 30 && !job?.scheduler?.maxRssBytes; i++) {
      if (i) await new Promise((resolve) => setTimeout(resolve, 1000));
      job = await driver.describeJob(ids.batchProcess as string);
    }
    expect(job?.name).toBe('int-figures-batch');
    expect(job?.usage?.peakRssBytes).toBeGreaterThan(64 * MiB);
    // sacct samples every JobAcctGatherFrequency (2 s here): a sub-second task shows about its shell's RSS.
    expect(job?.scheduler?.maxRssBytes).toBeGreaterThan(0);
    expect(job?.scheduler?.totalCpuMs).toBeGreaterThan(0);
    expect(job?.scheduler?.allocCpus).toBe(1);
    expect(job?.logs.stdout.file).toMatch(/p\/1\/stdout\.log$/);
  }, 120_000);

  it('hpc show <id> --json and hpc stats --json parse', async () => {
    const env = { ...process.env, HPC_HOME: home, HPC_DRIVER: 'slurm' };
    const shown = await run(process.execPath, [CLI, 'show', ids.hungry as string, '--json'], {
      env,
      timeout: 60_000,
    });
    const job = JSON.parse(shown.stdout) as JobDescription;
    expect(job).toMatchObject({ id: ids.hungry, name: 'int-figures', requested: { cpus: 2 } });
    expect(job.scheduler?.maxRssBytes).toBeGreaterThan(100 * MiB);
    const text = await run(process.execPath, [CLI, 'show', ids.hungry as string], { env, timeout: 60_000 });
    expect(text.stdout).toMatch(/cpus\s+2\s+/);
    expect(text.stdout).toContain('sacct     MaxRSS');
    const stats = JSON.parse(
      (await run(process.execPath, [CLI, 'stats', '--json'], { env, timeout: 60_000 })).stdout,
    );
    expect(stats.classes.map((group: { name: string }) => group.name).sort()).toEqual([
      'int-figures',
      'int-figures-batch',
      'int-figures-oom',
      'int-setup-fail',
    ]);
  }, 120_000);
});
