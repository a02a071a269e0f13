import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  type PageGlobals,
  type RunningDashboard,
  rawGet,
  screenshot,
  startDashboardProcess,
} from './dashboard-browser.ts';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc } from './hpc-process.ts';

/**
 * `hpc dashboard` on the local driver, looked at in Debian's chromium (headless): jobs in several
 * states, a live change without reload, the job, batch and stats pages, the access checks, hostile
 * text shown as text; and `hpc report --html`, read with JavaScript off.
 */
let home: string;
let dashboard: RunningDashboard;
let browser: Browser;
const ids: Record<string, string> = {};

/** Submits and returns the id; with `wait`, once the job (or batch) has finished. */
const submit = async (args: string[], wait = true) => {
  const id = (await runHpc(['submit', ...args], { home })).stdout.trim().split('\n')[0] as string;
  if (wait) await runHpc(['status', id, '--watch', '--interval', '0.2'], { home, timeoutMs: 30_000 });
  return id;
};

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
  ids.completed = await submit([fixture('figures-process.ts'), '--args', '[16, 100, 0]']);
  ids.failed = await submit([fixture('hostile-process.ts')]);
  const inputs = join(home, 'inputs.jsonl');
  writeFileSync(inputs, '[8, 50, 0]\n[8, 50, 300]\n[8, 50, 600]\n');
  ids.batch = await submit([fixture('figures-process.ts'), '--each', inputs]);
  ids.running = await submit([fixture('sleeping-process.ts'), '--args', '[5000]'], false);
  dashboard = await startDashboardProcess(['--local', '--interval', '0.5'], {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    HPC_HOME: home,
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  await cleanHome(home);
});

describe('hpc dashboard in chromium (local driver)', () => {
  it('prints a 127.0.0.1 URL with a 32-byte token', () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  });

  it('shows every job with its state, and a running job completing arrives without reload', async () => {
    const page = await browser.newPage();
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await page.goto(dashboard.url);
    // The token moved into the cookie and out of the address bar.
    expect(page.url()).toBe(`${dashboard.base}/`);
    await page.waitForFunction(
      () => Number((globalThis as unknown as PageGlobals).document.body.dataset.updates) >= 1,
    );
    const states = async () =>
      page.$$eval('#jobs tbody tr', (rows) =>
        Object.fromEntries(rows.map((row) => [row.getAttribute('data-id'), row.getAttribute('data-status')])),
      );
    const before = await states();
    expect(before[ids.completed as string]).toBe('completed');
    expect(before[ids.failed as string]).toBe('failed');
    expect(before[ids.running as string]).toBe('running');
    for (const task of [0, 1, 2]) expect(before[`${ids.batch}_${task}`]).toBe('completed');
    expect(
      await page.$eval(
        `tr[data-id="${ids.running}"] .state`,
        (el) => (globalThis as unknown as PageGlobals).getComputedStyle(el).backgroundColor,
      ),
    ).not.toBe(
      await page.$eval(
        `tr[data-id="${ids.failed}"] .state`,
        (el) => (globalThis as unknown as PageGlobals).getComputedStyle(el).backgroundColor,
      ),
    );
    await screenshot(page, 'jobs-running');
    const shownNavigations = navigations;
    await page.waitForFunction(
      (id) =>
        (globalThis as unknown as PageGlobals).document
          .querySelector(`#jobs tr[data-id="${id}"]`)
          ?.getAttribute('data-status') === 'completed',
      { timeout: 20_000 },
      ids.running,
    );
    expect(navigations).toBe(shownNavigations);
    await screenshot(page, 'jobs-completed');
    // Filter by state and sort by column, in the page.
    await page.select('#filter-state', 'failed');
    expect(await page.$$eval('#jobs tbody tr', (rows) => rows.length)).toBe(1);
    await page.select('#filter-state', '');
    await page.click('th[data-column="id"]');
    const order = await page.$$eval('#jobs tbody tr', (rows) =>
      rows.map((row) => row.getAttribute('data-id')),
    );
    expect(order[0]).toBe(ids.running);
    await page.close();
  });

  it('the job page has what hpc show has, and hostile text stays text', async () => {
    const page = await browser.newPage();
    await page.goto(`${dashboard.url.replace('/?', `/job/${ids.failed}?`)}`);
    await page.waitForSelector('pre.show');
    const show = await page.$eval('pre.show', (el) => el.textContent ?? '');
    expect(show).toContain('failure');
    expect(show).toContain('process-error');
    expect(show).toContain('<script>window.__pwned=2</script>');
    expect(await page.$eval('#stdout', (el) => el.textContent)).toContain('log line <img src=x');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned)).toBeUndefined();
    expect(await page.$$eval('main img, main script', (els) => els.length)).toBe(0);
    await screenshot(page, 'job-failed');
    await page.close();
  });

  it('the batch page draws one Gantt bar and one memory bar per task', async () => {
    const page = await browser.newPage();
    await page.goto(`${dashboard.url.replace('/?', `/batch/${ids.batch}?`)}`);
    await page.waitForSelector('svg.gantt');
    expect(await page.$$eval('svg.gantt g.task', (els) => els.length)).toBe(3);
    expect(await page.$$eval('svg.gantt rect.run.s-completed', (els) => els.length)).toBe(3);
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.querySelectorAll('svg.memory g.mem').length === 3,
      {
        timeout: 10_000,
      },
    );
    const box = await page.$eval('svg.gantt', (el) => el.getBoundingClientRect().height);
    expect(box).toBeGreaterThan(40);
    await screenshot(page, 'batch');
    await page.goto(`${dashboard.base}/stats`);
    expect(await page.$$eval('#stats tbody tr', (rows) => rows.length)).toBe(3);
    expect(await page.$$eval('svg.stats-chart g.class-bar', (els) => els.length)).toBe(3);
    await screenshot(page, 'stats');
    await page.close();
  });

  it('refuses a wrong or missing token and a foreign Host header (403)', async () => {
    const cookie = `hpc_dashboard_${new URL(dashboard.base).port}=${new URL(dashboard.url).searchParams.get('token')}`;
    expect((await rawGet(`${dashboard.base}/`)).status).toBe(403);
    expect((await rawGet(`${dashboard.base}/?token=wrong`)).status).toBe(403);
    expect((await rawGet(`${dashboard.base}/api/jobs`, { cookie: `${cookie}x` })).status).toBe(403);
    const ok = await rawGet(`${dashboard.base}/api/jobs`, { cookie });
    expect(ok.status).toBe(200);
    const foreign = await rawGet(`${dashboard.base}/api/jobs`, { cookie, host: 'attacker.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body).not.toContain(ids.completed);
  });
});

describe('hpc report --html', () => {
  it('writes one static file (0600) that chromium shows with JavaScript off', async () => {
    const out = join(home, 'report.html');
    const result = await runHpc(['report', '--html', out], { home });
    expect(result.exitCode).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).not.toContain('<script');
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(false);
    await page.goto(`file://${out}`);
    const rows = await page.$$eval('#jobs tbody tr', (els) =>
      els.map((el) => el.getAttribute('data-status')),
    );
    expect(rows).toHaveLength(6);
    expect(rows.filter((status) => status === 'failed')).toHaveLength(1);
    expect(await page.$$eval(`#batch-${ids.batch} svg.gantt g.task`, (els) => els.length)).toBe(3);
    expect(await page.$eval(`#job-${ids.failed} pre.show`, (el) => el.textContent)).toContain(
      'process-error',
    );
    await screenshot(page, 'report');
    await page.close();
  });
});
