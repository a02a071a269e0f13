import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, ESC, fixture, makeHome, runHpc } from './hpc-process.ts';

let home: string;

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
});
afterAll(() => cleanHome(home));

const MiB = 1024 ** 2;

describe('hpc show / hpc stats / progress (local driver)', () => {
  let id: string;

  it('status shows a running job’s progress', async () => {
    // 80 MB touched, ~600 ms of CPU with progress, then held 3 s.
    const submitted = await runHpc(
      ['submit', fixture('figures-process.ts'), '--args', '[80, 600, 3000]', '--slurm-arg', 'time=00:10:00'],
      { home },
    );
    expect(submitted.exitCode).toBe(0);
    id = submitted.stdout.trim();
    let status = '';
    for (let i = 0; i < 40 && !status.includes('fitting step 1000/1000'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      status = (await runHpc(['status', id], { home })).stdout;
    }
    expect(status).toMatch(
      new RegExp(`${id}\\s+FiguresProcess\\s+running \\[██████\\] 100% fitting step 1000/1000`),
    );
    const json = JSON.parse((await runHpc(['status', id, '--json'], { home })).stdout) as {
      jobs: { progress?: { done: number; total: number } }[];
    };
    expect(json.jobs[0]?.progress).toMatchObject({ done: 1000, total: 1000 });
  });

  it('show --json has the runner’s figures, the request and sane efficiency; ctx.jobId is the local id', async () => {
    await runHpc(['status', id, '--watch', '--interval', '0.2'], { home, timeoutMs: 20_000 });
    const result = await runHpc(['show', id, '--json'], { home });
    expect(result.exitCode).toBe(0);
    const job = JSON.parse(result.stdout);
    expect(job).toMatchObject({
      id,
      driver: 'local',
      name: 'FiguresProcess',
      state: { status: 'completed' },
    });
    expect(job.requested).toEqual({ timeLimitMs: 600_000 });
    expect(job.usage.peakRssBytes).toBeGreaterThan(80 * MiB);
    // The spin is timed by the clock: on a loaded machine it gets less CPU, never more than its wall.
    const cpuMs = job.usage.userCpuMs + job.usage.systemCpuMs;
    expect(cpuMs).toBeGreaterThan(100);
    expect(job.usage.wallMs).toBeGreaterThan(3000);
    expect(job.efficiency.cpu).toMatchObject({ cpus: 1, cpuMs, wallMs: job.usage.wallMs, from: 'runner' });
    expect(job.efficiency.cpu.ratio).toBeCloseTo(cpuMs / job.usage.wallMs, 9);
    expect(job.efficiency.cpu.ratio).toBeLessThan(0.6);
    expect(job.efficiency.memory).toBeUndefined(); // no memory asked for: nothing to compare with
    expect(job.efficiency.time.ratio).toBeCloseTo(job.usage.wallMs / 600_000, 6);
    expect(job.progress).toMatchObject({ done: 1000, total: 1000, message: 'fitting step' });
    expect(job.history.map((phase: { phase: string }) => phase.phase)).toEqual([
      'submitted',
      'started',
      'ended',
    ]);
    expect(job.logs.stdout.tail).toContain(`job ${id} burned`);
    expect(job.crateDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(job.failure).toBeUndefined();
  });

  it('show explains a failed job with its class, diagnosis and stack', async () => {
    const failing = await runHpc(
      [
        'submit',
        fixture('figures-process.ts'),
        '--args',
        '[8, 10, 0, "bad \\u001b]0;title\\u0007 input"]',
        '--wait',
      ],
      { home, timeoutMs: 20_000 },
    );
    expect(failing.exitCode).toBe(1);
    const failedId = (await runHpc(['status', '--json'], { home })).stdout
      .match(/"id": "(local-\d+)"/g)
      ?.at(-1)
      ?.slice(7, -1) as string;
    const text = await runHpc(['show', failedId], { home });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('failure   process-error');
    expect(text.stdout).toContain('run() threw');
    expect(text.stdout).toContain('figures-process.ts');
    expect(text.stdout).not.toContain(ESC);
    expect(text.stdout).toContain('\\x1b]0;title\\x07');
  });

  it('stats groups by class (json, csv) and suggests nothing under 5 runs', async () => {
    const json = JSON.parse((await runHpc(['stats', '--json'], { home })).stdout);
    expect(json.jobs).toBe(2);
    expect(json.classes[0]).toMatchObject({
      name: 'FiguresProcess',
      count: 2,
      states: { completed: 1, failed: 1 },
      suggestions: [],
    });
    expect(json.classes[0].peakBytes.runs).toBe(2);
    const csv = (await runHpc(['stats', '--csv'], { home })).stdout.trim().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toMatch(/^FiguresProcess,2,1,1,0,/);
    const both = await runHpc(['stats', '--csv', '--json'], { home });
    expect(both.exitCode).toBe(2);
  });

  it('show of a batch id names a process id to give instead; of an unknown id fails', async () => {
    const batch = await runHpc(
      ['submit', fixture('figures-process.ts'), '--each', fixture('figures-each.jsonl')],
      {
        home,
      },
    );
    expect(batch.exitCode).toBe(0);
    const batchId = batch.stdout.trim();
    const shown = await runHpc(['show', batchId], { home });
    expect(shown.exitCode).toBe(2);
    expect(shown.stderr).toContain(`show takes one process's id, e.g. ${batchId}_0`);
    const process = await runHpc(['show', `${batchId}_1`, '--json'], { home });
    expect(JSON.parse(process.stdout)).toMatchObject({ id: `${batchId}_1`, name: 'FiguresProcess' });
    const unknown = await runHpc(['show', 'local-999'], { home });
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('local-999');
  });
});
