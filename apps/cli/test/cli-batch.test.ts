import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, ESC, fixture, makeHome, runHpc } from './hpc-process.ts';

let home: string;
const SWEEP = fixture('sweep-process.ts');

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
});
afterAll(() => cleanHome(home));

async function inputs(name: string, text: string): Promise<string> {
  const file = join(home, name);
  await writeFile(file, text);
  return file;
}

interface StatusJson {
  summary: Record<string, number>;
  jobs: { id: string; status: string; batch?: string; name: string }[];
  batches: { id: string; count: number; finished: number; summary: Record<string, number>; ids: string[] }[];
}

async function statusJson(args: string[] = []): Promise<StatusJson> {
  const result = await runHpc(['status', ...args, '--json'], { home });
  return JSON.parse(result.stdout) as StatusJson;
}

describe('hpc submit --each: bad input is refused before anything is submitted (exit 2)', () => {
  const cases: [string, string, string, string[], RegExp][] = [
    [
      'an empty file',
      'empty.jsonl',
      '',
      [],
      /empty\.jsonl holds no process: it is empty or only blank lines/,
    ],
    ['only blank lines', 'blank.jsonl', '\n  \n\n', [], /blank\.jsonl holds no process/],
    [
      'a line that is not JSON',
      'notjson.jsonl',
      '[1]\n\n{oops\n',
      [],
      /notjson\.jsonl:3: not JSON .*'\{oops'/,
    ],
    [
      'a constructor that throws',
      'throws.jsonl',
      '[1]\n[2]\n[-4]\n',
      [],
      /throws\.jsonl:3: new SweepProcess\(-4\) threw: x must be a number >= 0, got -4/,
    ],
    [
      '--parallelism 0',
      'p0.jsonl',
      '[1]\n',
      ['--parallelism', '0'],
      /--parallelism expects a positive whole number, got '0'/,
    ],
    [
      '--per-task 1.5',
      'pt.jsonl',
      '[1]\n',
      ['--per-task', '1.5'],
      /--per-task expects a positive whole number, got '1\.5'/,
    ],
    [
      '--per-task too large',
      'big.jsonl',
      '[1]\n',
      ['--per-task', '99999999'],
      /--per-task expects at most 4000000/,
    ],
  ];
  for (const [what, name, text, extra, message] of cases) {
    it(what, async () => {
      const file = await inputs(name, text);
      const result = await runHpc(['submit', SWEEP, '--each', file, ...extra], { home });
      expect(result.stderr).toMatch(message);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe('');
    });
  }

  it('options that need --each, or that conflict with it', async () => {
    const file = await inputs('one.jsonl', '[1]\n');
    const perTask = await runHpc(['submit', SWEEP, '--per-task', '2'], { home });
    expect(perTask.stderr).toContain('--per-task only applies with --each <file.jsonl>');
    expect(perTask.exitCode).toBe(2);
    const both = await runHpc(['submit', SWEEP, '--each', file, '--args', '[1]'], { home });
    expect(both.stderr).toContain('give --args or --each, not both');
    expect(both.exitCode).toBe(2);
    const crate = await runHpc(['submit', '--crate', file, '--each', file], { home });
    expect(crate.stderr).toContain('--each only applies to a module, not to --crate');
    expect(crate.exitCode).toBe(2);
    const missing = await runHpc(['submit', SWEEP, '--each', 'nope.jsonl'], { home });
    expect(missing.stderr).toContain('--each file not found: nope.jsonl');
    expect(missing.exitCode).toBe(1);
  });

  it('submitted nothing', async () => {
    expect((await statusJson()).jobs).toEqual([]);
  });
});

describe('a batch on the local driver', () => {
  let batch: string;

  it('submit prints the batch id on stdout and the count on stderr', async () => {
    const file = await inputs('squares.jsonl', '[0]\n[1]\n\n2\n[3]\n[4]\n');
    const result = await runHpc(['submit', SWEEP, '--each', file, '--per-task', '2', '--parallelism', '2'], {
      home,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^local-\d+\n$/);
    batch = result.stdout.trim();
    expect(result.stderr).toContain(
      `submitted 5 processes as batch ${batch} (${batch}_0+0 … ${batch}_2+0; local driver)`,
    );
  });

  it('status --watch <batch> follows all its processes and ends by itself', async () => {
    const result = await runHpc(['status', batch, '--watch', '--interval', '0.2'], {
      home,
      timeoutMs: 30_000,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain(ESC);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('5 completed');
  });

  it('status shows the batch as one row with a progress bar; --expand lists its processes', async () => {
    const table = await runHpc(['status'], { home });
    expect(table.exitCode).toBe(0);
    const rows = table.stdout.split('\n').filter((line) => line.startsWith(batch));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/SweepProcess\s+\[█{10}\] 5\/5 finished · 5 completed/);
    const expanded = await runHpc(['status', batch, '--expand'], { home });
    const ids = expanded.stdout.split('\n').flatMap((line) => /^(local-\d+_\S+)/.exec(line)?.[1] ?? []);
    expect(ids).toEqual([`${batch}_0+0`, `${batch}_0+1`, `${batch}_1+0`, `${batch}_1+1`, `${batch}_2+0`]);
    const task = await runHpc(['status', `${batch}_1`], { home });
    const taskIds = task.stdout.split('\n').flatMap((line) => /^(local-\d+_\S+)/.exec(line)?.[1] ?? []);
    expect(taskIds).toEqual([`${batch}_1+0`, `${batch}_1+1`]);
  });

  it('status --json keeps every process in jobs (with batch) and adds batches', async () => {
    const parsed = await statusJson();
    const members = parsed.jobs.filter((job) => job.batch === batch);
    expect(members).toHaveLength(5);
    expect(members[0]).toMatchObject({ id: `${batch}_0+0`, name: 'SweepProcess', status: 'completed' });
    expect(parsed.batches).toEqual([
      {
        id: batch,
        driver: 'local',
        name: 'SweepProcess',
        count: 5,
        finished: 5,
        summary: expect.objectContaining({ total: 5, completed: 5 }),
        ids: members.map((job) => job.id),
      },
    ]);
  });

  it('result and logs take a process id', async () => {
    const result = await runHpc(['result', `${batch}_1+1`], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe('9');
    const logs = await runHpc(['logs', `${batch}_1+1`], { home });
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toContain('square 3 (batch index 3)');
    expect(logs.stdout).not.toContain('square 2');
    const whole = await runHpc(['result', batch], { home });
    expect(whole.stderr).toContain(
      `${batch} is a batch of 5 processes: result takes one process's id, e.g. ${batch}_0+0`,
    );
    expect(whole.exitCode).toBe(2);
  });

  it('submit --each --json lists every id; --wait waits for all', async () => {
    const file = await inputs('json.jsonl', '[5]\n[6]\n[7]\n');
    const result = await runHpc(['submit', SWEEP, '--each', file, '--json', '--wait'], { home });
    expect(result.exitCode).toBe(0);
    const parsed = JSON.parse(result.stdout);
    const id = parsed.batches[0] as string;
    expect(parsed).toEqual({
      batches: [id],
      count: 3,
      ids: [`${id}_0`, `${id}_1`, `${id}_2`],
      driver: 'local',
      summary: { completed: 3 },
    });
    expect((await runHpc(['result', `${id}_2`], { home })).stdout.trim()).toBe('49');
    const human = await runHpc(['submit', SWEEP, '--each', file, '--wait'], { home });
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/^local-\d+\n$/);
    expect(human.stderr.trimEnd().split('\n').at(-1)).toBe('3 completed');
  });
});

describe('hpc cancel <batch>', () => {
  it('cancels every unfinished process of the batch', async () => {
    const file = await inputs('sleepers.jsonl', '[1, 60000]\n[2, 60000]\n[3, 60000]\n');
    const submitted = await runHpc(['submit', SWEEP, '--each', file, '--parallelism', '1'], { home });
    expect(submitted.exitCode).toBe(0);
    const batch = submitted.stdout.trim();
    const cancelled = await runHpc(['cancel', batch], { home });
    expect(cancelled.stdout.trim()).toBe(`cancelled ${batch} (batch: 3 unfinished of 3 processes)`);
    expect(cancelled.exitCode).toBe(0);
    const watched = await runHpc(['status', batch, '--watch', '--interval', '0.2', '--json'], {
      home,
      timeoutMs: 30_000,
    });
    const last = JSON.parse(watched.stdout.trim().split('\n').at(-1) as string);
    expect(last.done).toBe(true);
    expect(last.batches[0]).toMatchObject({ id: batch, count: 3, finished: 3 });
    expect(last.batches[0].summary.cancelled).toBe(3);
    const again = await runHpc(['cancel', batch], { home });
    expect(again.stdout).toContain(`${batch} had already finished: all 3 of its processes had ended`);
  });

  it('a process id cancels that process only; the others of its task still run', async () => {
    const file = await inputs('packed.jsonl', '[1, 1500]\n[2, 1500]\n[3, 1500]\n');
    const submitted = await runHpc(['submit', SWEEP, '--each', file, '--per-task', '3'], { home });
    const batch = submitted.stdout.trim();
    const cancelled = await runHpc(['cancel', `${batch}_0+1`], { home });
    expect(cancelled.stdout.trim()).toBe(`cancelled ${batch}_0+1`);
    expect(cancelled.exitCode).toBe(0);
    const watched = await runHpc(['status', batch, '--watch', '--interval', '0.2'], {
      home,
      timeoutMs: 30_000,
    });
    expect(watched.stdout).toMatch(
      new RegExp(`${batch}\\s+SweepProcess\\s+\\[█{10}\\] 3/3 finished · 2 completed · 1 cancelled`),
    );
    expect(watched.exitCode).toBe(1);
    const parsed = await statusJson([batch]);
    expect(parsed.jobs.map((job) => job.status)).toEqual(['completed', 'cancelled', 'completed']);
  });
});
