import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, ESC, fixture, makeHome, runHpc } from './hpc-process.ts';

let home: string;
const jobDir = (id: string) => join(home, 'local', 'jobs', id);

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
});
afterAll(() => cleanHome(home));

async function submitDone(args: string[]): Promise<string> {
  const result = await runHpc(['submit', ...args, '--wait', '--json'], { home, timeoutMs: 30_000 });
  expect(result.exitCode).toBe(0);
  return (JSON.parse(result.stdout) as { id: string }).id;
}

describe('hpc forget and hpc clean (local driver)', () => {
  let first: string;
  let second: string;
  let batch: string;
  let sleeper: string;

  beforeAll(async () => {
    first = await submitDone([fixture('my-process.ts'), '--args', '["a"]']);
    second = await submitDone([fixture('my-process.ts'), '--args', '["b"]']);
    const inputs = join(home, 'inputs.jsonl');
    await writeFile(inputs, '1\n2\n3\n');
    const submitted = await runHpc(['submit', fixture('sweep-process.ts'), '--each', inputs], { home });
    batch = submitted.stdout.trim();
    const watched = await runHpc(['status', batch, '--watch', '--interval', '0.2'], {
      home,
      timeoutMs: 30_000,
    });
    expect(watched.exitCode).toBe(0);
    sleeper = (
      await runHpc(['submit', fixture('sleeping-process.ts'), '--args', '60000'], { home })
    ).stdout.trim();
  }, 90_000);

  it('refuses bad durations and states as usage errors naming the flag', async () => {
    const missing = await runHpc(['clean'], { home });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('hpc clean: missing --older-than');
    for (const bad of ['30', '1y', '1d12h', 'soon']) {
      const result = await runHpc(['clean', '--older-than', bad], { home });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`--older-than "${bad}" is not a duration`);
    }
    const state = await runHpc(['clean', '--older-than', '1d', '--state', 'finished'], { home });
    expect(state.exitCode).toBe(2);
    expect(state.stderr).toMatch(/^hpc clean: --state "finished" is not a job state/);
  });

  it('clean --dry-run says what would go and what is kept, and removes nothing', async () => {
    const result = await runHpc(['clean', '--older-than', '0s', '--dry-run'], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      `would forget 3: ${first} ${second} ${batch} (3 processes)\nkept 1 not finished: ${sleeper}\n`,
    );
    expect(existsSync(jobDir(first)) && existsSync(jobDir(batch))).toBe(true);
    const recent = await runHpc(['clean', '--older-than', '30d'], { home });
    expect(recent.stdout).toBe(
      `nothing forgotten\nkept 1 not finished: ${sleeper}\nkept 3 ended too recently: ${first} ${second} ${batch}\n`,
    );
  });

  it('forget refuses a running job and a process of a batch (exit 1), saying what to do', async () => {
    const result = await runHpc(['forget', sleeper, `${batch}_1`], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(`kept ${batch}_1: ${batch}_1 is one part of a batch of 3 processes`);
    expect(result.stdout).toContain(`hpc forget ${batch}`);
    expect(result.stdout).toContain(
      `kept ${sleeper}: ${sleeper} was not forgotten: it is running; cancel it`,
    );
    expect(existsSync(jobDir(sleeper))).toBe(true);
  });

  it('an id from stdin, shown escaped when it is hostile', async () => {
    const hostile = await runHpc(['forget', `local-1\u001b[2J`], { home });
    expect(hostile.exitCode).toBe(1);
    expect(hostile.stdout).not.toContain(ESC);
    expect(hostile.stdout).toContain('\\x1b[2J');
    const piped = await runHpc(['forget', '-', '--json'], { home, input: `${first}\n` });
    expect(piped.exitCode).toBe(0);
    expect(JSON.parse(piped.stdout)).toEqual({
      dryRun: false,
      removed: [{ id: first, processes: 1, ids: [first], jobDir: jobDir(first) }],
      refused: [],
    });
    expect(existsSync(jobDir(first))).toBe(false);
  });

  it('clean with --state and --name removes only what matches; status no longer shows it; ids are not reused', async () => {
    const result = await runHpc(['clean', '--older-than', '0s', '--state', 'completed', '--name', 'Sweep*'], {
      home,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`forgot 1: ${batch} (3 processes)\n`);
    const status = await runHpc(['status', '--json'], { home });
    const ids = (JSON.parse(status.stdout) as { jobs: { id: string }[] }).jobs.map((job) => job.id);
    expect(ids).toEqual([second, sleeper]);
    await runHpc(['cancel', sleeper], { home });
    const json = await runHpc(['clean', '--older-than', '0s', '--json'], { home });
    expect(JSON.parse(json.stdout)).toMatchObject({ removed: [{ id: second }, { id: sleeper }], kept: [] });
    const next = await submitDone([fixture('my-process.ts'), '--args', '["c"]']);
    expect(Number(next.slice('local-'.length))).toBe(Number(sleeper.slice('local-'.length)) + 1);
  }, 60_000);
});
