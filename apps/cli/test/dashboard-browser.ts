import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { HPC_BIN } from './hpc-process.ts';

/** Screenshots land here (gitignored); each path is printed so a human can look. */
export const SCREENSHOTS = fileURLToPath(new URL('./output/dashboard/', import.meta.url));

/** Debian's chromium, headless: no browser download (scripts/install-deps.sh installs it). */
export async function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless=new'],
    headless: true,
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

export interface RunningDashboard {
  url: string;
  base: string;
  child: ResultPromise;
  stop(): Promise<void>;
}

/** `hpc dashboard` as its own process, as users run it; resolves with the URL it prints. */
export async function startDashboardProcess(
  args: readonly string[],
  env: Record<string, string>,
): Promise<RunningDashboard> {
  const child = execa(process.execPath, [HPC_BIN, 'dashboard', ...args], {
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 300_000,
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    void child.then(() => reject(new Error(`hpc dashboard ended before printing its URL: ${err}`)));
  });
  return {
    url,
    base: url.slice(0, url.indexOf('/?token=')),
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await child;
    },
  };
}

/** A raw GET with chosen headers (fetch() would not let a test forge Host). */
export function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An SSE stream held open, counting the updates it received. */
export function openEventStream(base: string, cookie: string): { updates: () => number; close: () => void } {
  let updates = 0;
  const req = request(`${base}/events?topic=jobs`, { headers: { cookie } }, (res) => {
    res.on('data', (chunk: Buffer) => {
      updates += chunk.toString().split('event: update').length - 1;
    });
  });
  req.on('error', () => {});
  req.end();
  return { updates: () => updates, close: () => req.destroy() };
}

/**
 * The little of the browser's globals that the page-side callbacks (page.$eval, waitForFunction)
 * use, typed here because the tests compile without the DOM library. They run in chromium:
 * `(globalThis as unknown as PageGlobals).document` is the page's document there.
 */
export interface PageGlobals {
  document: {
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
    querySelectorAll(selector: string): { length: number };
    body: { dataset: Record<string, string | undefined> };
  };
  getComputedStyle(element: unknown): { backgroundColor: string };
  __pwned?: number;
}
