import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHpcError, type JobFailedError } from '@hpc/core';
import { Serializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJobRecord } from '../src/job-record.ts';
import { SLURM_JOB_FILES } from '../src/sbatch-script.ts';
import { SLURMDriver } from '../src/slurm-driver.ts';
import { rejectionOf, requireCluster, scontrol, waitForState } from './cluster-helpers.ts';
import { AddNumbers } from './fixtures/slurm-processes.ts';

/**
 * A job runs exactly the bytes that were submitted: the staged crate's digest is in job.json and on
 * the runner's command line, and the node-runner refuses a crate changed while the job was held.
 */
describe('SLURMDriver: the crate a job runs is the one submitted', () => {
  const home = mkdtempSync(join(tmpdir(), 'hpc-slurm-digest-'));
  let driver: SLURMDriver;
  const ids: string[] = [];

  beforeAll(() => {
    requireCluster();
    driver = new SLURMDriver({
      home,
      storePath: join(home, 'index.sqlite'),
      polling: { minIntervalMs: 200 },
    });
  });
  afterAll(async () => {
    for (const id of ids) await driver.cancelJob(id).catch(() => {});
    driver.close();
  });

  /** Submits a crate held, changes the job folder's copy with `change`, releases it, returns its end. */
  async function heldThenChanged(change: (crate: string, other: Uint8Array) => void) {
    const source = join(home, `source-${ids.length}.bin`);
    await Serializer.serializeToFile(new AddNumbers(2, 3), source);
    const id = await driver.submitJob(source, { slurmArgs: { hold: true } });
    ids.push(id);
    await waitForState(driver, id, (state) => state.status === 'pending');
    const jobDir = (await driver.listJobs()).find((job) => job.id === id)?.jobDir as string;
    const record = readJobRecord(jobDir);
    expect(record?.crateDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(join(jobDir, SLURM_JOB_FILES.script), 'utf8')).toContain(
      `'--crate-digest' '${record?.crateDigest}'`,
    );
    const otherFile = join(home, `other-${ids.length}.bin`);
    await Serializer.serializeToFile(new AddNumbers(40, 2), otherFile);
    change(join(jobDir, 'process.bin'), readFileSync(otherFile));
    scontrol('release', id);
    const state = await driver.waitForJob(id, { timeoutMs: 60_000 });
    return { id, state };
  }

  it('fails a held job whose crate was edited in place, or replaced, with crate-changed', async () => {
    const edited = await heldThenChanged((crate, other) => {
      const inode = statSync(crate).ino;
      const fd = openSync(crate, 'r+');
      writeSync(fd, other, 0, other.length, 0); // same file, new bytes (cat other > crate)
      closeSync(fd);
      expect(statSync(crate).ino).toBe(inode);
    });
    const replaced = await heldThenChanged((crate, other) => {
      writeFileSync(`${crate}.new`, other);
      renameSync(`${crate}.new`, crate); // a new file under the same name
    });
    for (const { id, state } of [edited, replaced]) {
      expect(state).toMatchObject({ status: 'failed', cause: 'infrastructure' });
      expect(state.raw).toContain('crate-changed');
      const error = await rejectionOf<JobFailedError>(driver.getResult(id));
      expect(isHpcError(error, 'JobFailedError')).toBe(true);
      expect(error.remote?.name).toBe('CrateChangedError');
      expect(error.remote?.message).toMatch(/changed after submission; resubmit/);
    }
  });

  it('runs an unchanged crate', async () => {
    const source = join(home, 'plain.bin');
    await Serializer.serializeToFile(new AddNumbers(20, 22), source);
    const id = await driver.submitJob(source);
    ids.push(id);
    expect(await driver.waitForJob(id, { timeoutMs: 60_000 })).toMatchObject({ status: 'completed' });
    expect(await driver.getResult(id)).toMatchObject({ sum: 42 });
  });
});
