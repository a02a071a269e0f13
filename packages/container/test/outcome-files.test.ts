import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyLoadError, JobContainer, jobPaths, readOutcome } from '@hpc/container';
import { FileWriteError, isHpcError } from '@hpc/core';
import {
  CorruptFileError,
  FileMissingError,
  FileReadError,
  ForbiddenKeyError,
  NotASerializedFileError,
  ObjectNotFoundError,
  Serializer,
  UnknownTypeError,
  UnsupportedFormatVersionError,
} from '@hpc/serializer';
import { describe, expect, it } from 'vitest';
import { SleepProcess } from '../../../test/fixtures/processes.ts';

describe('readOutcome', () => {
  it('throws a typed error naming the file for a truncated, garbled or foreign outcome.json', async () => {
    const jobDir = await mkdtemp(join(tmpdir(), 'hpc-outcome-'));
    const crate = join(jobDir, 'process.bin');
    await Serializer.serializeToFile(new SleepProcess(1), crate);
    await new JobContainer(crate, { passThroughOutput: false }).execute();
    const file = jobPaths(jobDir).outcome;
    const whole = await readFile(file, 'utf8');
    const cases: [string, RegExp][] = [
      [whole.slice(0, whole.length / 2), /not valid JSON/],
      ['\u0000\u0001garbage', /not valid JSON/],
      ['[1, 2]', /not an outcome record/],
      [whole.replace('"version": 1', '"version": 99'), /outcome version 99; this @hpc reads 1/],
    ];
    for (const [text, why] of cases) {
      await writeFile(file, text);
      const error = await readOutcome(jobDir).catch((e: unknown) => e);
      expect(isHpcError(error, 'OutcomeUnreadableError'), String(error)).toBe(true);
      expect(error).toMatchObject({ file });
      expect(String(error)).toMatch(why);
    }
  });

  it('is undefined while there is no outcome', async () => {
    expect(await readOutcome(await mkdtemp(join(tmpdir(), 'hpc-outcome-')))).toBeUndefined();
  });
});

describe('classifyLoadError', () => {
  it("gives every loader error its reason, and 'internal' only to untyped errors", () => {
    const file = '/jobs/x/process.bin';
    const cases: [unknown, string][] = [
      [new FileMissingError(file), 'crate-missing'],
      [Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), 'crate-missing'],
      [new CorruptFileError(file, 'checksum mismatch in array 0'), 'crate-corrupt'],
      [new NotASerializedFileError(file, 'the file is empty'), 'crate-corrupt'],
      [new UnsupportedFormatVersionError(file, 9, 2), 'crate-corrupt'],
      [new ForbiddenKeyError(file, '__proto__', 'x/Y'), 'crate-corrupt'],
      [new UnknownTypeError(file, 'x/Y', []), 'unknown-type'],
      [new ObjectNotFoundError(file, '/missing', []), 'object-missing'],
      [new FileWriteError(file, 'EIO', 'read'), 'io-error'],
      [new FileReadError(file, 'EACCES'), 'io-error'],
      [Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), 'io-error'],
      [new RangeError('Maximum call stack size exceeded'), 'internal'],
      ['a thrown string', 'internal'],
    ];
    for (const [error, reason] of cases) expect(classifyLoadError(error), String(error)).toBe(reason);
  });

  it('records a crate that is a folder or empty as crate-corrupt (it is not a crate)', async () => {
    const jobDir = await mkdtemp(join(tmpdir(), 'hpc-classify-'));
    await mkdir(join(jobDir, 'process.bin'));
    const folder = await new JobContainer(join(jobDir, 'process.bin'), {
      passThroughOutput: false,
    }).execute();
    expect(folder).toMatchObject({ status: 'failed', reason: 'crate-corrupt' });
    expect(folder.status === 'failed' && folder.error.message).toMatch(/process\.bin.*folder/);
    const other = await mkdtemp(join(tmpdir(), 'hpc-classify-'));
    await writeFile(join(other, 'process.bin'), '');
    const empty = await new JobContainer(join(other, 'process.bin'), { passThroughOutput: false }).execute();
    expect(empty).toMatchObject({ status: 'failed', reason: 'crate-corrupt' });
  });
});
