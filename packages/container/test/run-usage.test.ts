import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobContainer, readOutcome } from '@hpc/container';
import { Serializer } from '@hpc/serializer';
import { describe, expect, it } from 'vitest';
import { HungryProcess } from '../../../test/fixtures/usage-processes.ts';

const MiB = 1024 * 1024;

describe('the figures every run records', () => {
  it('wall time, user and system CPU and peak memory of the run are in its outcome', async () => {
    const jobDir = await mkdtemp(join(tmpdir(), 'hpc-usage-'));
    const crate = join(jobDir, 'process.bin');
    await Serializer.serializeToFile(new HungryProcess(160, 250), crate);
    const before = process.memoryUsage.rss();
    const outcome = await new JobContainer(crate, { passThroughOutput: false }).execute();
    expect(outcome.status).toBe('ok');
    const usage = outcome.usage;
    if (!usage) throw new Error('no usage in the outcome');
    expect(usage.wallMs).toBeGreaterThanOrEqual(540);
    expect(usage.wallMs).toBeLessThanOrEqual(outcome.durationMs + 1);
    expect(usage.userCpuMs + usage.systemCpuMs).toBeGreaterThanOrEqual(200);
    expect(usage.peakRssBytes).toBeGreaterThanOrEqual(before + 150 * MiB);
    expect(usage.taskPeakRssBytes).toBeGreaterThanOrEqual(usage.peakRssBytes - 4 * MiB);
    expect((await readOutcome(jobDir))?.usage).toEqual(usage);
  });
});
