import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  asFileWriteError,
  checkpointLeadSeconds,
  FileWriteError,
  fileModes,
  isHpcError,
  makeDirectory,
  resolveSharing,
  SIGNAL_EARLY_DELIVERY_SECONDS,
} from '../src/index.ts';

describe('file modes', () => {
  it('are private unless group sharing is asked for', () => {
    expect(fileModes('private')).toEqual({ file: 0o600, dir: 0o700 });
    expect(fileModes('group')).toEqual({ file: 0o640, dir: 0o750 });
    expect(resolveSharing(undefined, { HPC_SHARE: 'group' })).toBe('group');
    expect(resolveSharing(undefined, { HPC_SHARE: 'everyone' })).toBe('private');
    expect(resolveSharing('private', { HPC_SHARE: 'group' })).toBe('private');
  });

  it('makeDirectory gives every folder it creates the exact mode, whatever the umask', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hpc-modes-'));
    const previous = process.umask(0o077);
    try {
      const leaf = await makeDirectory(join(root, 'a', 'b', 'c'), 0o750);
      for (const folder of [join(root, 'a'), join(root, 'a', 'b'), leaf])
        expect((await stat(folder)).mode & 0o777).toBe(0o750);
      expect((await stat(root)).mode & 0o777).toBe(0o700); // existed: unchanged
    } finally {
      process.umask(previous);
    }
  });
});

describe('asFileWriteError', () => {
  it('says "no space left on device" and names the file', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const error = asFileWriteError(enospc, '/scratch/out.bin');
    expect(error).toBeInstanceOf(FileWriteError);
    expect(isHpcError(error, 'FileWriteError')).toBe(true);
    expect((error as FileWriteError).message).toBe(
      'cannot write /scratch/out.bin: no space left on device; free space on that file system or write somewhere else',
    );
    expect((error as FileWriteError).code).toBe('ENOSPC');
  });

  it('passes other errors through', () => {
    const plain = new TypeError('bad');
    expect(asFileWriteError(plain, '/x')).toBe(plain);
  });
});

describe('checkpointLeadSeconds', () => {
  it('is the requested lead capped by a tenth of the limit, or min(a sixth, 30 s) for short limits', () => {
    expect(checkpointLeadSeconds(undefined)).toBe(120);
    expect(checkpointLeadSeconds(undefined, 30)).toBe(30);
    expect(checkpointLeadSeconds(3600)).toBe(120);
    expect(checkpointLeadSeconds(1200)).toBe(120);
    expect(checkpointLeadSeconds(600)).toBe(60);
    expect(checkpointLeadSeconds(300)).toBe(30);
    expect(checkpointLeadSeconds(180)).toBe(30);
    expect(checkpointLeadSeconds(120)).toBe(20);
    // A 1-minute limit is warned 10 s before it: SLURM's 30 s check sends it 20-50 s into the run.
    expect(checkpointLeadSeconds(60)).toBe(10);
    expect(checkpointLeadSeconds(60, 5)).toBe(5);
    expect(checkpointLeadSeconds(5)).toBe(0);
    expect(checkpointLeadSeconds(3600, 0)).toBe(0);
    expect(checkpointLeadSeconds(3600, 900)).toBe(360);
  });

  it('leaves every limit of a minute or more a third of it before the earliest warning, and never shrinks', () => {
    let previous = 0;
    for (let limit = 1; limit <= 7200; limit++) {
      const lead = checkpointLeadSeconds(limit);
      if (limit >= 60) expect(limit - lead - SIGNAL_EARLY_DELIVERY_SECONDS).toBeGreaterThanOrEqual(limit / 3);
      expect(lead).toBeGreaterThanOrEqual(previous);
      previous = lead;
    }
  });
});
