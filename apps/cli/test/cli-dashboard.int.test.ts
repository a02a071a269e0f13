import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../src/command-path.ts';
import {
  launchChromium,
  openEventStream,
  type PageGlobals,
  type RunningDashboard,
  rawGet,
  screenshot,
  startDashboardProcess,
} from './dashboard-browser.ts';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc } from './hpc-process.ts';

/**
 * `hpc dashboard` against the real dev cluster, looked at in chromium: jobs in several states,
 * and the scheduler calls counted by squeue/sacct shims on PATH: ten event streams (plus page
 * loads) cost what one does. No skipping: without sbatch this file fails.
 */
let home: string;
let env: Record<string, string>;
let callLog: string;
let dashboard: RunningDashboard;
let browser: Browser;
const ids: Record<string, string> = {};

async function schedulerCalls(): Promise<{ squeue: number; sacct: number }> {
  const lines = (await readFile(callLog, 'utf8').catch(() => '')).split('\n');
  return {
    squeue: lines.filter((line) => line === 'squeue').length,
    sacct: lines.filter((line) => line === 'sacct').length,
  };
}

/** runHpc's environment defaults to the local driver: this one lets sbatch on PATH choose SLURM. */
const slurmEnv = () => ({ ...env, HPC_DRIVER: undefined });

const submit = async (args: string[]) => {
  const result = await runHpc(['submit', ...args, '--slurm-arg', 'mem=200M'], { home, env: slurmEnv() });
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout.trim();
};

beforeAll(async () => {
  assertBuilt();
  if (!findOnPath('sbatch'))
    throw new Error(
      'sbatch is not on PATH: the integration tests need the dev cluster (scripts/cluster/up.sh)',
    );
  home = await makeHome();
  const shims = join(home, 'shims');
  await mkdir(shims);
  callLog = join(home, 'scheduler-calls.log');
  for (const command of ['squeue', 'sacct']) {
    const real = findOnPath(command);
    if (!real) throw new Error(`${command} is not on PATH`);
    await writeFile(
      join(shims, command),
      `#!/bin/sh\necho ${command} >> "$HPC_TEST_CALL_LOG"\nexec ${real} "$@"\n`,
    );
    await chmod(join(shims, command), 0o755);
  }
  env = {
    PATH: `${shims}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? '/root',
    HPC_HOME: home,
    HPC_TEST_CALL_LOG: callLog,
  };
  ids.completed = await submit([fixture('my-process.ts'), '--args', '["dash"]']);
  ids.failed = await submit([fixture('failing-process.ts')]);
  ids.running = await submit([fixture('sleeping-process.ts'), '--args', '[120000]']);
  const waited = await runHpc(['status', ids.completed, ids.failed, '--watch', '--interval', '1'], {
    home,
    env: slurmEnv(),
    timeoutMs: 120_000,
  });
  expect(waited.stdout).toContain('failed');
  dashboard = await startDashboardProcess(['--interval', '1'], env);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  if (ids.running) await runHpc(['cancel', ids.running], { home, env: slurmEnv() });
  await browser?.close();
  await dashboard?.stop();
  await cleanHome(home);
});

describe('hpc dashboard on SLURM', () => {
  it('the table shows the SLURM jobs in their states', async () => {
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    const statusOf = (id: string) =>
      page
        .$eval(`#jobs tr[data-id="${id}"]`, (row) => row.getAttribute('data-status'))
        .catch(() => undefined);
    await page.waitForFunction(
      (id) =>
        (globalThis as unknown as PageGlobals).document
          .querySelector(`#jobs tr[data-id="${id}"]`)
          ?.getAttribute('data-status') === 'running',
      { timeout: 60_000 },
      ids.running,
    );
    expect(await statusOf(ids.completed as string)).toBe('completed');
    expect(await statusOf(ids.failed as string)).toBe('failed');
    await screenshot(page, 'slurm-jobs');
    await page.goto(`${dashboard.base}/job/${ids.failed}`);
    await page.waitForSelector('pre.show');
    expect(await page.$eval('pre.show', (el) => el.textContent)).toContain('validation failed: bad input');
    await page.close();
  }, 90_000);

  it('ten event streams and page loads cost the scheduler calls of one stream', async () => {
    const cookie = `hpc_dashboard_${new URL(dashboard.base).port}=${new URL(dashboard.url).searchParams.get('token')}`;
    const window = async (clients: number) => {
      const streams = Array.from({ length: clients }, () => openEventStream(dashboard.base, cookie));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await writeFile(callLog, '');
      const started = Date.now();
      while (Date.now() - started < 10_000) {
        if (clients > 1) {
          // Pages too are served from the last poll: never a scheduler call of their own.
          expect((await rawGet(`${dashboard.base}/job/${ids.running}`, { cookie })).status).toBe(200);
          expect((await rawGet(`${dashboard.base}/api/jobs`, { cookie })).status).toBe(200);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const calls = await schedulerCalls();
      for (const stream of streams) stream.close();
      expect(Math.min(...streams.map((stream) => stream.updates()))).toBeGreaterThanOrEqual(5);
      return calls;
    };
    const one = await window(1);
    const ten = await window(10);
    console.log(
      `scheduler calls in 10 s: 1 stream ${JSON.stringify(one)}, 10 streams ${JSON.stringify(ten)}`,
    );
    // One poll a second: about 10 squeue either way (a poll more or less, by phase).
    expect(one.squeue).toBeGreaterThanOrEqual(5);
    expect(one.squeue).toBeLessThanOrEqual(11);
    expect(Math.abs(ten.squeue - one.squeue)).toBeLessThanOrEqual(1);
    expect(ten.sacct).toBeLessThanOrEqual(ten.squeue);
    expect(Math.abs(ten.sacct - one.sacct)).toBeLessThanOrEqual(1);
  }, 60_000);
});
