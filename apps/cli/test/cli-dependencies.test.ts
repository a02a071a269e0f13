import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc } from './hpc-process.ts';

let home: string;

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
});
afterAll(() => cleanHome(home));

async function submit(args: string[]): Promise<string> {
  const result = await runHpc(['submit', ...args], { home });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return result.stdout.trim();
}

describe('hpc submit --after (local driver)', () => {
  it('a dependent of a failed job is blocked, and hpc status says by which', async () => {
    const upstream = await submit([fixture('failing-process.ts'), '--args', '"bad row 7"']);
    await runHpc(['status', upstream, '--watch', '--interval', '0.2'], { home, timeoutMs: 20_000 });
    const dependent = await submit([fixture('my-process.ts'), '--after', upstream]);
    const status = await runHpc(['status', dependent], { home });
    expect(status.stdout).toContain(`blocked by ${upstream} (failed: process-error)`);
    expect(status.stdout).toContain(
      `Blocked: upstream ${upstream} failed (process-error), so it never started`,
    );
    const result = await runHpc(['result', dependent], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`blocked by ${upstream}`);
  });

  it('a dependent of a running job waits (pending, Dependency), then runs', async () => {
    const upstream = await submit([fixture('sleeping-process.ts'), '--args', '1500']);
    const dependent = await submit([fixture('my-process.ts'), '--after-any', upstream]);
    const waiting = await runHpc(['status', dependent], { home });
    expect(waiting.stdout).toContain('pending (Dependency)');
    const watched = await runHpc(['status', dependent, '--watch', '--interval', '0.2'], {
      home,
      timeoutMs: 30_000,
    });
    expect(watched.exitCode).toBe(0);
    expect(watched.stdout).toMatch(new RegExp(`${dependent}\\s+MyProcess\\s+completed`));
  });

  it('refuses an id the driver does not track, before submitting', async () => {
    const result = await runHpc(['submit', fixture('my-process.ts'), '--after', 'local-99999'], { home });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/after\[0\].*local-99999.*not tracked by the local driver/);
  });
});
