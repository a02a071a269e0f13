import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JOB_FILES,
  type JobRecord,
  jobPaths,
  readRecordFile,
  readRecordFileSync,
  writeRecordFile,
} from '@hpc/container';
import { isHpcError } from '@hpc/core';
import { describe, expect, it } from 'vitest';

type TestRecord = JobRecord<'test', { id: string; attempts: number }>;

const unreadable = (file: string, detail: string, cause: unknown) =>
  new Error(`unreadable ${file}: ${detail}`, { cause });

describe('the job record protocol (job.json)', () => {
  it('writes a record atomically with the given mode and reads its text back, async and sync', async () => {
    const jobDir = await mkdtemp(join(tmpdir(), 'hpc-record-'));
    const record: TestRecord = { driver: 'test', name: 'job', jobDir, id: 't-1', attempts: 2 };
    await writeRecordFile(record, { mode: 0o600 });
    const file = join(jobDir, JOB_FILES.record);
    expect(jobPaths(jobDir).record).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(record);
    expect(JSON.parse((await readRecordFile(jobDir, unreadable)) ?? '')).toEqual(record);
    expect(JSON.parse(readRecordFileSync(jobDir, unreadable) ?? '')).toEqual(record);
  });

  it('reads a missing record as undefined, and other failures through the driver’s error', async () => {
    const jobDir = await mkdtemp(join(tmpdir(), 'hpc-record-'));
    expect(await readRecordFile(join(jobDir, 'gone'), unreadable)).toBeUndefined();
    expect(readRecordFileSync(join(jobDir, 'gone'), unreadable)).toBeUndefined();
    // A job "folder" that is a file: ENOTDIR is absent only when the driver says so.
    await writeFile(join(jobDir, 'plain'), 'x');
    const notAFolder = join(jobDir, 'plain');
    expect(readRecordFileSync(notAFolder, unreadable, { absent: ['ENOENT', 'ENOTDIR'] })).toBeUndefined();
    await expect(readRecordFile(notAFolder, unreadable)).rejects.toThrow(
      `unreadable ${join(notAFolder, JOB_FILES.record)}: `,
    );
  });

  it('names job.json in a FileWriteError when the folder is gone', async () => {
    const jobDir = join(await mkdtemp(join(tmpdir(), 'hpc-record-')), 'removed');
    const error = await writeRecordFile({ driver: 'test', name: 'job', jobDir }).catch((e: unknown) => e);
    expect(isHpcError(error, 'FileWriteError') && error.file).toBe(jobPaths(jobDir).record);
  });
});
