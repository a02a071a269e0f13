import { describe, expect, it } from 'vitest';
import { diagnoseFailure, JobFailedError, type JobState } from '../src/index.ts';

const GiB = 1024 ** 3;

describe('diagnoseFailure', () => {
  it('out of memory: peak against the request, node, SLURM words, and the retry that would help', () => {
    const state: JobState = {
      status: 'failed',
      cause: 'out-of-memory',
      raw: 'OUT_OF_MEMORY',
      node: 'n2',
      elapsedMs: 41_000,
      exitCode: 0,
    };
    const text = diagnoseFailure({ state, requested: { memBytes: 2 * GiB }, peakMemoryBytes: 1.9 * GiB });
    expect(text).toBe(
      "Ran out of memory: peak 1.9 GiB of 2.0 GiB requested, on n2 after 41s (SLURM: OUT_OF_MEMORY, exit 0). Ask for more memory (slurmArgs mem=4G), or let it retry with more: retry: { maxAttempts: 2, on: ['out-of-memory'] }.",
    );
  });

  it('lists every attempt and does not suggest the retry the job already had', () => {
    const state: JobState = {
      status: 'failed',
      cause: 'out-of-memory',
      maxAttempts: 2,
      attempts: [
        {
          number: 1,
          cause: 'submitted',
          schedulerId: '10',
          endedAs: 'failed',
          node: 'n1',
          endNote: 'out of memory',
        },
        { number: 2, cause: 'retry', after: 'out-of-memory', changed: { mem: '600M' }, endedAs: 'failed' },
      ],
    };
    const text = diagnoseFailure({ state, requested: { memBytes: 600 * 1024 ** 2 } });
    expect(text).toContain(
      'Attempts: attempt 1/2 failed on n1 — out of memory; attempt 2/2 (mem 600M after out-of-memory) failed.',
    );
    expect(text).toContain('Its retries ran out; ask for more memory at once (mem=2G)');
    expect(text).not.toContain('retry: {');
  });

  it('timeout: how long it ran against its limit, and the three ways out', () => {
    const text = diagnoseFailure({
      state: { status: 'timeout', timeLimitMs: 120_000, elapsedMs: 123_000, node: 'n1', raw: 'TIMEOUT' },
    });
    expect(text).toMatch(/^Hit its time limit: ran 2m03s of its 2m, on n1 \(SLURM: TIMEOUT\)\./);
    expect(text).toContain('checkpoint()');
  });

  it('run() threw: the remote error in one line and the last stderr line', () => {
    const text = diagnoseFailure({
      state: { status: 'failed', cause: 'process-error', exitCode: 1 },
      remote: { name: 'DataCheckError', message: 'bad\nrow 7', stack: '' },
      stderrTail: 'loading\nabout to fail: row 7\n\n',
    });
    expect(text).toBe(
      'run() threw (exit 1). The error was DataCheckError: bad row 7. Last line of stderr: "about to fail: row 7".',
    );
  });

  it('blocked: names the upstream and how it ended', () => {
    const text = diagnoseFailure({
      state: { status: 'blocked', upstream: '4711', upstreamStatus: 'failed' },
    });
    expect(text).toBe(
      'Blocked: upstream 4711 failed, so it never started. See why 4711 ended failed; fix it and submit both again.',
    );
  });

  it('blocked: says how the upstream failed, and what SLURM said', () => {
    const text = diagnoseFailure({
      state: {
        status: 'blocked',
        upstream: '4711',
        upstreamStatus: 'failed',
        upstreamDetail: 'out-of-memory',
        raw: 'CANCELLED (DependencyNeverSatisfied)',
      },
    });
    expect(text).toMatch(
      /^Blocked: upstream 4711 failed \(out-of-memory\), so it never started \(SLURM: CANCELLED \(DependencyNeverSatisfied\)\)\./,
    );
  });

  it('is what JobFailedError carries, in its stack too', () => {
    const error = new JobFailedError({ jobId: '7', state: { status: 'lost', reason: 'no outcome.json' } });
    expect(error.diagnosis).toMatch(/^Ended without recording an outcome \(no outcome\.json\)\./);
    expect(error.stack).toContain(`--- diagnosis ---\n${error.diagnosis}`);
    expect(error.attempts).toEqual([]);
  });
});

describe('diagnoseFailure leaves out noise', () => {
  it("a sub-second run's time and the node-runner's own closing line", () => {
    const text = diagnoseFailure({
      state: { status: 'failed', cause: 'exit-code', exitCode: 3, elapsedMs: 400 },
      stderrTail: 'fit diverged\nnode-runner: job failed (exit-called): ExitCalledError: exit(3)\n',
    });
    expect(text).toBe('Exited with code 3 (exit 3). Last line of stderr: "fit diverged".');
  });
});
