import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOfFile, JobContainer, jobPaths, readCheckpointRecord, readResult } from '@hpc/container';
import { Serializer } from '@hpc/serializer';
import { beforeEach, describe, expect, it } from 'vitest';
import { CounterProcess, HandOverProcess } from '../../../test/fixtures/checkpoint-processes.ts';

/** The node side of checkpoint and requeue: save the object at the signal, resume from it next run. */
let jobDir: string;
beforeEach(async () => {
  jobDir = await mkdtemp(join(tmpdir(), 'hpc-checkpoint-'));
});

async function submitted(process: unknown) {
  const crate = jobPaths(jobDir).crate;
  await Serializer.serializeToFile(process, crate);
  return { crate, crateDigest: await digestOfFile(crate) };
}

/** One run of the job; `signal` is sent once `afterMs` have passed. */
async function runOnce(
  crate: string,
  options: ConstructorParameters<typeof JobContainer>[1],
  signal?: { afterMs: number; kind: 'warn' | 'term' },
) {
  const container = new JobContainer(crate, { passThroughOutput: false, ...options });
  const running = container.execute();
  if (signal) {
    await new Promise((resolve) => setTimeout(resolve, signal.afterMs));
    await (signal.kind === 'warn' ? container.warnOfTimeLimit() : container.terminate());
  }
  return running;
}

describe('checkpoint for a restart', () => {
  it('saves the object at the warning, binds it to the submission, and the next run resumes with ctx.restarts', async () => {
    const { crate, crateDigest } = await submitted(new CounterProcess(30, 20));
    const options = { crateDigest, restart: { maxRestarts: 3 } };
    const first = await runOnce(crate, options, { afterMs: 150, kind: 'warn' });
    expect(first).toMatchObject({
      status: 'failed',
      reason: 'signalled',
      interruption: 'time-limit',
      checkpoint: {
        signal: 'SIGUSR1',
        reason: 'time-limit',
        saved: true,
        restarts: 1,
        requeue: 'driver-requeue',
      },
    });
    expect(first.checkpoint?.checkpointMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(first.checkpoint?.signalAt as string)).toBe(Date.parse(first.warnedAt as string));
    const record = await readCheckpointRecord(jobDir);
    expect(record).toMatchObject({ crate: 'checkpoint-1.bin', restarts: 1, submittedDigest: crateDigest });
    expect(await digestOfFile(join(jobDir, 'checkpoint-1.bin'))).toBe(record?.digest);
    // The submitted crate is untouched; the saved one holds the fields as they were.
    expect(await digestOfFile(crate)).toBe(crateDigest);
    const saved = (await Serializer.deserializeFromFile(join(jobDir, 'checkpoint-1.bin'))) as CounterProcess;
    expect(saved.checkpoints).toBe(1);
    expect(saved.count).toBeGreaterThan(0);
    expect(saved.count).toBeLessThan(30);

    const second = await runOnce(crate, options, { afterMs: 150, kind: 'term' });
    expect(second.checkpoint).toMatchObject({
      signal: 'SIGTERM',
      reason: 'preempted',
      saved: true,
      restarts: 2,
    });
    expect(await readdir(jobDir)).not.toContain('checkpoint-1.bin');

    const third = await runOnce(crate, options);
    expect(third.status).toBe('ok');
    const result = await readResult(jobDir);
    expect(result).toEqual({ count: 30, sum: (30 * 29) / 2, restartsSeen: [0, 1, 2] });
  });

  it('runs the Process checkpoint() returns instead', async () => {
    const { crate, crateDigest } = await submitted(new HandOverProcess(5));
    const options = { crateDigest, restart: { maxRestarts: 1 } };
    expect((await runOnce(crate, options, { afterMs: 100, kind: 'warn' })).checkpoint?.saved).toBe(true);
    expect((await runOnce(crate, options)).status).toBe('ok');
    expect(await readResult(jobDir)).toEqual({ count: 8, sum: 5 + 6 + 7, restartsSeen: [1] });
  });

  it('leaves the last crate as it was when checkpoint() throws, and saves nothing past maxRestarts', async () => {
    const { crate, crateDigest } = await submitted(new CounterProcess(1000, 20, true));
    const failing = await runOnce(
      crate,
      { crateDigest, restart: { maxRestarts: 3 } },
      { afterMs: 100, kind: 'warn' },
    );
    expect(failing).toMatchObject({
      reason: 'signalled',
      interruption: 'time-limit',
      checkpoint: {
        saved: false,
        error: expect.stringMatching(/checkpoint\(\) threw: Error: this checkpoint fails/),
      },
    });
    expect(await readCheckpointRecord(jobDir)).toBeUndefined();
    expect((await readdir(jobDir)).filter((name) => name.startsWith('checkpoint'))).toEqual([]);
    expect(await digestOfFile(crate)).toBe(crateDigest);

    const fine = await submitted(new CounterProcess(1000, 20));
    const none = await runOnce(
      fine.crate,
      { crateDigest: fine.crateDigest, restart: { maxRestarts: 0 } },
      {
        afterMs: 100,
        kind: 'warn',
      },
    );
    expect(none.checkpoint).toMatchObject({ saved: false, error: 'no restart left (maxRestarts 0)' });
  });

  it('refuses a checkpoint record saved for another submission, or a saved crate changed since', async () => {
    const { crate, crateDigest } = await submitted(new CounterProcess(1000, 20));
    const options = { crateDigest, restart: { maxRestarts: 3 } };
    await runOnce(crate, options, { afterMs: 100, kind: 'warn' });
    const record = JSON.parse(await readFile(jobPaths(jobDir).checkpoint, 'utf8'));
    const other = `sha256:${'0'.repeat(64)}`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(jobPaths(jobDir).checkpoint, JSON.stringify({ ...record, submittedDigest: other }));
    expect(await runOnce(crate, options)).toMatchObject({
      reason: 'crate-changed',
      error: { message: expect.stringMatching(/saved for another submission/) },
    });
    await writeFile(jobPaths(jobDir).checkpoint, JSON.stringify(record));
    await Serializer.serializeToFile(new CounterProcess(1, 1), join(jobDir, record.crate));
    expect(await runOnce(crate, options)).toMatchObject({ reason: 'crate-changed' });
  });
});
