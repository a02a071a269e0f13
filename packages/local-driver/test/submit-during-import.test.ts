import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refuseSubmitDuringImport, SubmitDuringImportError, whileImportingJobModules } from '@hpc/core';
import { LocalDriver } from '@hpc/local-driver';
import { describe, expect, it } from 'vitest';
import { SelfSubmitting } from '../../../test/fixtures/self-submitting.ts';
import { cancelUnfinished } from './helpers.ts';

describe('a module that submits at its top level', () => {
  it('is refused in the job instead of starting a job from every job', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hpc-self-submit-'));
    try {
      const driver = new LocalDriver({ root });
      const id = await driver.submitJob(new SelfSubmitting(), {
        env: { HPC_TEST_SELF_SUBMIT_ROOT: root, HPC_TEST_IN_JOB: '1' },
      });
      const final = await driver.waitForJob(id, { timeoutMs: 60_000 });
      expect(final).toMatchObject({ status: 'failed', cause: 'infrastructure', exitCode: 2 });
      await expect(driver.getResult(id)).rejects.toThrow(/submitted a job while the node-runner imported it/);
      // The one job the test submitted, and no other.
      expect((await readdir(join(root, 'jobs'))).filter((name) => name.startsWith('local-'))).toEqual([id]);
    } finally {
      await cancelUnfinished(root);
    }
  });

  it('is refused only while the imports run', async () => {
    expect(() => refuseSubmitDuringImport()).not.toThrow();
    await whileImportingJobModules('local-7', async () => {
      expect(() => refuseSubmitDuringImport()).toThrow(SubmitDuringImportError);
      expect(() => refuseSubmitDuringImport()).toThrow(/job local-7/);
    });
    expect(() => refuseSubmitDuringImport()).not.toThrow();
    await expect(
      whileImportingJobModules('local-8', async () => {
        throw new Error('import failed');
      }),
    ).rejects.toThrow('import failed');
    expect(() => refuseSubmitDuringImport()).not.toThrow();
  });
});
