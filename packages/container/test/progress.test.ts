import { statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobContainer, jobPaths, readProgress, readResult } from '@hpc/container';
import { Serializer } from '@hpc/serializer';
import { describe, expect, it } from 'vitest';
import { ProgressProcess } from '../../../test/fixtures/usage-processes.ts';

async function run(process: ProgressProcess) {
  const jobDir = await mkdtemp(join(tmpdir(), 'hpc-progress-'));
  const crate = join(jobDir, 'process.bin');
  await Serializer.serializeToFile(process, crate);
  return { jobDir, execution: new JobContainer(crate, { passThroughOutput: false }).execute() };
}

describe('ctx.progress()', () => {
  it('coalesces a thousand calls into about one write a second, and the outcome keeps the last value', async () => {
    const { jobDir, execution } = await run(new ProgressProcess(1000, 1500));
    // Each atomic write is a new file (a new inode): count them while the job runs.
    const seen = new Set<number>();
    let finished = false;
    void execution.finally(() => {
      finished = true;
    });
    while (!finished) {
      try {
        seen.add(statSync(jobPaths(jobDir).progress).ino);
      } catch {}
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const outcome = await execution;
    expect(outcome.status).toBe('ok');
    expect(seen.size).toBeGreaterThanOrEqual(1);
    expect(seen.size).toBeLessThanOrEqual(3);
    expect(outcome.progress).toMatchObject({ done: 1000, total: 1000, message: 'step 1000' });
    const onDisk = await readProgress(jobDir);
    expect(onDisk?.total).toBe(1000);
    expect(onDisk?.done).toBeGreaterThanOrEqual(1);
  });

  it('refuses a value that is not a count, naming the argument', async () => {
    const { jobDir, execution } = await run(new ProgressProcess(1, 10, Number.NaN));
    expect((await execution).status).toBe('ok');
    expect(await readResult(jobDir)).toMatch(
      /^refused: invalid option ctx\.progress\(done\) = NaN: expected a finite number ≥ 0/,
    );
  });
});
