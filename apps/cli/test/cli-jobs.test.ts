import { copyFile, glob, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, ESC, fixture, makeHome, runHpc } from './hpc-process.ts';

let home: string;

/** The scheduler-captured stdout (job.out) of the local job whose job.json has this id. */
async function jobLogPath(root: string, id: string): Promise<string> {
  for await (const record of glob('**/job.json', { cwd: root })) {
    const text = await readFile(join(root, record), 'utf8');
    if ((JSON.parse(text) as { id?: string }).id === id) return join(root, dirname(record), 'job.out');
  }
  throw new Error(`no job.json with id ${id} under ${root}`);
}

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
});
afterAll(() => cleanHome(home));

describe('submit, watch, result, logs (local driver)', () => {
  let id: string;

  it('submit prints only the job id', async () => {
    const result = await runHpc(['submit', fixture('my-process.ts'), '--args', '["hello"]'], { home });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^local-\d+\n$/);
    id = result.stdout.trim();
  });

  it('status --watch ends by itself when the job has finished, without escape codes on a pipe', async () => {
    const result = await runHpc(['status', id, '--watch', '--interval', '0.2'], { home, timeoutMs: 20_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain(ESC);
    expect(result.stdout).toMatch(new RegExp(`${id}\\s+MyProcess\\s+completed`));
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('1 completed');
  });

  it('result prints the value run() returned', async () => {
    const result = await runHpc(['result', id], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe("{ data: 'hello', n: 0, sum: 0 }");
  });

  it('result --json gives the value as JSON', async () => {
    const result = await runHpc(['result', id, '--json'], { home });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id, ok: true, result: { data: 'hello', n: 0, sum: 0 } });
  });

  it('logs shows what the process printed, even though submit had returned long before', async () => {
    const result = await runHpc(['logs', id], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Process running hello');
    const tail = await runHpc(['logs', id, '--tail', '1'], { home });
    expect(tail.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('logs streams a log larger than the 1 MiB piece it reads at a time, byte for byte', async () => {
    const log = await jobLogPath(home, id);
    const line = 'row ✓ 数据 🧪\n';
    const big = line.repeat(Math.ceil((3 * 1024 * 1024) / Buffer.byteLength(line)));
    await writeFile(log, big);
    const result = await runHpc(['logs', id, '--raw'], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(big);
  });

  it('logs shows earlier attempts (archived in attempts/<n>/ by a retry or restart) first, each under its line', async () => {
    const log = await jobLogPath(home, id);
    const archive = join(dirname(log), 'attempts', '1');
    await mkdir(archive, { recursive: true });
    await writeFile(join(archive, 'job.out'), 'first attempt, no final newline');
    await writeFile(log, 'second attempt\n');
    try {
      const whole = await runHpc(['logs', id], { home });
      expect(whole.stdout).toBe(
        '==> attempt 1 <==\nfirst attempt, no final newline\n==> attempt 2 <==\nsecond attempt\n',
      );
      const tail = await runHpc(['logs', id, '--tail', '3'], { home });
      expect(tail.stdout).toBe('first attempt, no final newline\n==> attempt 2 <==\nsecond attempt\n');
    } finally {
      await rm(join(dirname(log), 'attempts'), { recursive: true });
    }
  });

  it('logs --follow prints what the job writes until it ends, and --tail with it only the last lines and what follows', async () => {
    const submitted = await runHpc(['submit', fixture('sleeping-process.ts'), '--args', '2500'], { home });
    const sleeper = submitted.stdout.trim();
    const followed = await runHpc(['logs', sleeper, '--follow'], { home, timeoutMs: 20_000 });
    expect(followed.exitCode).toBe(0);
    expect(followed.stdout).toBe('sleeping 2500 ms\nwoke up\n');
    const tailed = await runHpc(['logs', sleeper, '--follow', '--tail', '1'], { home, timeoutMs: 20_000 });
    expect(tailed.stdout).toBe('woke up\n');
  });

  it('status --json has a stable shape for scripts', async () => {
    const result = await runHpc(['status', '--json'], { home });
    expect(result.exitCode).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      summary: Record<string, number>;
      jobs: Record<string, unknown>[];
    };
    expect(parsed.summary.total).toBeGreaterThanOrEqual(1);
    expect(parsed.summary.completed).toBeGreaterThanOrEqual(1);
    const job = parsed.jobs.find((entry) => entry.id === id);
    expect(job).toMatchObject({
      id,
      driver: 'local',
      name: 'MyProcess',
      status: 'completed',
      description: 'completed',
      terminal: true,
      exitCode: 0,
    });
    expect(typeof job?.elapsedMs).toBe('number');
    expect(typeof job?.node).toBe('string');
    expect(job?.state).toMatchObject({ status: 'completed' });
  });
});

describe('status filters and ids from stdin (local driver)', () => {
  it('--state and --name keep only the matching jobs; a wrong state is a usage error naming the valid ones', async () => {
    const done = (
      await runHpc(['submit', fixture('my-process.ts'), '--args', '["f"]'], { home })
    ).stdout.trim();
    await runHpc(['status', done, '--watch', '--interval', '0.2'], { home, timeoutMs: 20_000 });
    const states = await runHpc(['status', '--state', 'completed', '--json'], { home });
    expect(states.exitCode).toBe(0);
    const jobs = (JSON.parse(states.stdout) as { jobs: { id: string; status: string }[] }).jobs;
    expect(jobs.map((job) => job.id)).toContain(done);
    expect(jobs.every((job) => job.status === 'completed')).toBe(true);

    const named = await runHpc(['status', '--name', 'My*', '--json'], { home });
    expect(
      (JSON.parse(named.stdout) as { jobs: { name: string }[] }).jobs.every((job) =>
        job.name.startsWith('My'),
      ),
    ).toBe(true);
    const none = await runHpc(['status', '--name', 'nothing-is-called-this?'], { home });
    expect(none.stdout).toBe('no tracked job matches the --state/--name filter\n');

    const wrong = await runHpc(['status', '--state', 'finished'], { home });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain(
      '--state "finished" is not a job state; use one or more of: pending, running',
    );
  });

  it("'-' reads ids from stdin", async () => {
    const listed = await runHpc(['status', '--state', 'completed', '--json'], { home });
    const ids = (JSON.parse(listed.stdout) as { jobs: { id: string }[] }).jobs.map((job) => job.id);
    const piped = await runHpc(['status', '-', '--json'], { home, input: `${ids.join('\n')}\n` });
    expect(piped.exitCode).toBe(0);
    expect((JSON.parse(piped.stdout) as { jobs: { id: string }[] }).jobs.map((job) => job.id)).toEqual(ids);
    const empty = await runHpc(['cancel', '-'], { home, input: '\n' });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain("'-' read no job ids from stdin");
  });
});

describe('a failing job', () => {
  it("the remote stack points at the user's own line in a .ts module, though the transform moved it", async () => {
    const submitted = await runHpc(['submit', fixture('shifted-lines-process.ts')], { home });
    const id = submitted.stdout.trim();
    await runHpc(['status', id, '--watch', '--interval', '0.2'], { home, timeoutMs: 20_000 });
    const result = await runHpc(['result', id], { home });
    expect(result.stderr).toContain('failed on line 18');
    expect(result.stderr).toMatch(
      /at ShiftedLinesProcess\.run \((?:file:\/\/)?\/.*shifted-lines-process\.ts:18:\d+\)/,
    );
  });

  it('result exits 1 and prints the remote error with its stack and cause, and the diagnosis', async () => {
    const submitted = await runHpc(['submit', fixture('failing-process.ts'), '--args', '"bad row 7"'], {
      home,
    });
    expect(submitted.exitCode).toBe(0);
    const id = submitted.stdout.trim();
    const watched = await runHpc(['status', id, '--watch', '--interval', '0.2'], { home, timeoutMs: 20_000 });
    expect(watched.exitCode).toBe(1);
    expect(watched.stdout).toContain('failed (process-error)');

    const result = await runHpc(['result', id], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `job ${id} failed (process-error): DataCheckError: validation failed: bad row 7`,
    );
    expect(result.stderr).toMatch(/at FailingProcess\.run \((?:file:\/\/)?\/.*failing-process\.ts:15:\d+\)/);
    expect(result.stderr).toContain('Caused by: RangeError: value 42 out of range');
    expect(result.stderr).toContain('exit code: 1 — run() threw');
    expect(result.stderr).toContain('about to fail: bad row 7');
    expect(result.stderr).toMatch(
      /run\(\) threw, on \S+ \(exit 1\)\. The error was DataCheckError: validation failed: bad\s+row\s+7\.\s+Last\s+line\s+of\s+stderr:\s+"about\s+to\s+fail:\s+bad\s+row\s+7"\./,
    );
    expect(result.stderr).not.toContain(ESC);

    const status = await runHpc(['status', id], { home });
    expect(status.stdout).toContain(`why ${id} has no result`);
    expect(status.stdout).toMatch(/The error was DataCheckError: validation failed: bad\s+row 7\./);

    const json = await runHpc(['result', id, '--json'], { home });
    expect(json.exitCode).toBe(1);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({
      id,
      ok: false,
      status: 'failed',
      exitCode: 1,
      error: { name: 'DataCheckError', cause: { name: 'RangeError' } },
      diagnosis: expect.stringContaining('The error was DataCheckError'),
    });
    expect(parsed.error.stack).toContain('failing-process.ts');
  });

  it('submit --wait prints the result (exit 0), or the failure (exit 1)', async () => {
    const ok = await runHpc(['submit', fixture('my-process.ts'), '--wait'], { home });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.trim()).toBe("{ data: 'Sample Data', n: 0, sum: 0 }");
    const failed = await runHpc(['submit', fixture('failing-process.ts'), '--wait', '--json'], { home });
    expect(failed.exitCode).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, error: { name: 'DataCheckError' } });
  });
});

describe('cancel', () => {
  it('cancels a running job (its state becomes cancelled) and reports finished ones', async () => {
    const submitted = await runHpc(['submit', fixture('sleeping-process.ts'), '--args', '60000'], { home });
    const id = submitted.stdout.trim();
    const running = await runHpc(['status', id, '--json'], { home });
    expect(JSON.parse(running.stdout).jobs[0].status).toBe('running');

    const cancelled = await runHpc(['cancel', id], { home });
    expect(cancelled.exitCode).toBe(0);
    expect(cancelled.stdout.trim()).toBe(`cancelled ${id}`);
    const watched = await runHpc(['status', id, '--watch', '--interval', '0.2', '--json'], {
      home,
      timeoutMs: 20_000,
    });
    const frames = watched.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(frames.at(-1)).toMatchObject({ done: true, jobs: [{ id, status: 'cancelled' }] });
    expect(watched.exitCode).toBe(1);

    const again = await runHpc(['cancel', id, 'local-4040'], { home });
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toContain(`${id} had already finished: cancelled`);
    expect(again.stderr).toContain('job local-4040 is not tracked by the local driver');

    const result = await runHpc(['result', id], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`job ${id} cancelled`);
  });

  it('cancel --all cancels every unfinished job', async () => {
    const a = (await runHpc(['submit', fixture('sleeping-process.ts')], { home })).stdout.trim();
    const b = (await runHpc(['submit', fixture('sleeping-process.ts')], { home })).stdout.trim();
    const result = await runHpc(['cancel', '--all', '--json'], { home });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).cancelled).toEqual([a, b]);
  });
});

describe('status --watch', () => {
  it('watches every unfinished job when given no ids, prints changes as lines, and stops when all are done', async () => {
    const ids = [];
    for (const ms of [1500, 2500])
      ids.push(
        (
          await runHpc(['submit', fixture('sleeping-process.ts'), '--args', String(ms)], { home })
        ).stdout.trim(),
      );
    const result = await runHpc(['status', '--watch', '--interval', '0.2'], { home, timeoutMs: 20_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain(ESC);
    for (const id of ids)
      expect(result.stdout).toMatch(
        new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${id}  SleepingProcess  completed$`, 'm'),
      );
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('2 completed');
  });

  it('with nothing unfinished, says so and exits 0', async () => {
    const result = await runHpc(['status', '--watch'], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^nothing to watch: all \d+ tracked jobs have finished$/m);
  });
});

describe('submit explains what is wrong with the module', () => {
  it('a missing file', async () => {
    const result = await runHpc(['submit', 'nope/missing.ts'], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^hpc submit: module file not found: nope\/missing\.ts \(looked at .*nope\/missing\.ts\)\n$/,
    );
  });

  it('several Process classes: asks for --export, which then works', async () => {
    const several = await runHpc(['submit', fixture('two-processes.js')], { home });
    expect(several.exitCode).toBe(2);
    expect(several.stderr).toContain(
      'exports several Processes (First, Second): choose one with --export First',
    );
    const chosen = await runHpc(['submit', fixture('two-processes.js'), '--export', 'Second', '--wait'], {
      home,
    });
    expect(chosen.exitCode).toBe(0);
    expect(chosen.stdout.trim()).toBe('second');
    const wrong = await runHpc(['submit', fixture('two-processes.js'), '--export', 'Third'], { home });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toContain("has no export named 'Third'; it exports: First, Second");
  });

  it('an unregistered class: says which line to add', async () => {
    const result = await runHpc(['submit', fixture('unregistered-process.js')], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Forgotten in');
    expect(result.stderr).toContain('registerProcess(Forgotten, { module: import.meta.url })');
  });

  it('a module that throws on import', async () => {
    const result = await runHpc(['submit', fixture('broken-module.ts')], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^hpc submit: importing .*broken-module\.ts failed: config file missing\n$/,
    );
  });

  it('works for a module in a folder without node_modules (the CLI provides @hpc/*)', async () => {
    const folder = join(home, 'lonely-project');
    await mkdir(folder, { recursive: true });
    await copyFile(fixture('my-process.ts'), join(folder, 'my-process.ts'));
    const result = await runHpc(['submit', 'my-process.ts', '--args', '["alone"]', '--wait', '--json'], {
      home,
      cwd: folder,
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, result: { data: 'alone' } });
  });
});

describe('submit --crate', () => {
  it('submits an existing crate with --import naming the module of its class', async () => {
    const first = await runHpc(['submit', fixture('my-process.ts'), '--args', '["from crate"]', '--wait'], {
      home,
    });
    expect(first.exitCode).toBe(0);
    const status = JSON.parse((await runHpc(['status', '--json'], { home })).stdout) as {
      jobs: { id: string; name: string }[];
    };
    const source = status.jobs.filter((job) => job.name === 'MyProcess').at(-1)?.id as string;
    const crate = join(home, 'local', 'jobs', source, 'process.bin');

    const missing = await runHpc(['submit', '--crate', crate], { home });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("cannot tell the compute node which module defines 'MyProcess'");

    const result = await runHpc(
      [
        'submit',
        '--crate',
        crate,
        '--import',
        fixture('my-process.ts'),
        '--name',
        'again',
        '--wait',
        '--json',
      ],
      { home },
    );
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, result: { data: 'from crate' } });
    const record = JSON.parse(
      await readFile(join(home, 'local', 'jobs', JSON.parse(result.stdout).id, 'job.json'), 'utf8'),
    );
    expect(record.name).toBe('again');
  });

  it('a missing crate file', async () => {
    const result = await runHpc(['submit', '--crate', 'nothing.bin'], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('crate file not found: nothing.bin');
  });
});
