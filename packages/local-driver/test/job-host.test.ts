import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDriver, LocalJobHost } from '@hpc/local-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForeverProcess } from '../../../test/fixtures/processes.ts';
import { cancelUnfinished } from './helpers.ts';

const FIXTURES = new URL('../../../test/fixtures/processes.ts', import.meta.url).href;
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-local-host-'));
});
afterEach(() => cancelUnfinished(root));

describe('LocalJobHost', () => {
  it('waits for the runner on disk, serves cancel on the job’s socket, and says when no host listens', async () => {
    const driver = new LocalDriver({ root, killGraceMs: 500 });
    const host = new LocalJobHost(driver);
    const id = await driver.submitJob(new ForeverProcess(), { imports: [FIXTURES] });
    expect(host.socketPath(id)).toBe(join(driver.jobDirOf(id), 'host.sock'));
    expect(await host.waitForStart(id)).toBe(true);
    // Another process (here: another driver on the same root) finds no host yet.
    const other = new LocalJobHost(new LocalDriver({ root }));
    expect(await other.requestCancel(id)).toBe(false);
    const stop = await host.serveCancel(id);
    try {
      expect(await other.requestCancel(id)).toBe(true);
      expect((await driver.waitForJob(id, { timeoutMs: 10_000 })).status).toBe('cancelled');
      expect(await host.waitForRecordedEnd(id)).toBe(true);
    } finally {
      await stop();
    }
    expect(existsSync(host.socketPath(id))).toBe(false);
  });
});
