import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOfFile, stageJob } from '@hpc/container';
import { findUnsafeCharacter, isCrateDigest, isHpcError } from '@hpc/core';
import { ObjectSerializer, Serializer } from '@hpc/serializer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Measurement, SumProcess } from '../../../test/fixtures/processes.ts';
import { mountTmpfs } from '../../../test/fixtures/tmpfs.ts';
import { UnplacedProcess } from '../../../test/fixtures/trust-processes.ts';

let base: string;
let jobsRoot: string;
let umaskBefore: number;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'hpc-stage-'));
  jobsRoot = join(base, 'jobs');
  umaskBefore = process.umask();
});
afterEach(() => {
  process.umask(umaskBefore);
});

const sha256 = async (file: string) =>
  `sha256:${createHash('sha256')
    .update(await readFile(file))
    .digest('hex')}`;
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('stageJob', () => {
  for (const umask of [0o000, 0o077]) {
    it(`copies a crate file (never a link) with its SHA-256, private whatever the umask (${umask.toString(8).padStart(3, '0')})`, async () => {
      process.umask(umask);
      const original = join(base, 'mine.bin');
      await Serializer.serializeToFile(
        new SumProcess(new Measurement('orig', new Float64Array([1, 2]))),
        original,
      );
      const staged = await stageJob(original, { jobsRoot });
      expect(isCrateDigest(staged.crateDigest)).toBe(true);
      expect(staged.crateDigest).toBe(await sha256(original));
      expect(await digestOfFile(staged.crate)).toBe(staged.crateDigest);
      const [copy, source] = [await stat(staged.crate), await stat(original)];
      expect(copy.ino).not.toBe(source.ino);
      expect(copy.nlink).toBe(1);
      expect(await modeOf(staged.crate)).toBe(0o600);
      expect(await modeOf(staged.jobDir)).toBe(0o700);
      expect(await modeOf(jobsRoot)).toBe(0o700);

      // Editing the original in place afterwards cannot reach the staged job.
      const before = await readFile(staged.crate);
      await writeFile(original, 'edited after submission');
      expect((await readFile(staged.crate)).equals(before)).toBe(true);
    });
  }

  it('copies a crate of several read chunks byte for byte', async () => {
    const original = join(base, 'large.bin');
    const values = Float64Array.from({ length: 1_300_000 }, (_, i) => i * 0.5);
    await Serializer.serializeToFile(new SumProcess(new Measurement('large', values)), original);
    expect((await stat(original)).size).toBeGreaterThan(10_000_000);
    const staged = await stageJob(original, { jobsRoot });
    expect((await readFile(staged.crate)).equals(await readFile(original))).toBe(true);
    expect(staged.crateDigest).toBe(await sha256(original));
  });

  it('hashes a Process crate as it writes it, and the digest is the file it wrote', async () => {
    process.umask(0);
    const staged = await stageJob(new SumProcess(new Measurement('p', new Float64Array(100_000).fill(2))), {
      jobsRoot,
    });
    expect(staged.typeIds).toEqual(['fixtures/SumProcess', 'fixtures/Measurement']);
    expect(staged.crateDigest).toBe(await sha256(staged.crate));
    expect(await modeOf(staged.crate)).toBe(0o600);
    expect(await modeOf(staged.jobDir)).toBe(0o700);
  });

  it('copies an HDF5 crate whole, with the object path and the digest', async () => {
    const file = join(base, 'crates.h5');
    const crates = new ObjectSerializer(file);
    await crates.serialize(new SumProcess(new Measurement('h', new Float64Array([3]))), '/one');
    const staged = await stageJob({ crate: file, object: '/one' }, { jobsRoot });
    expect(staged.object).toBe('/one');
    expect(staged.crateDigest).toBe(await sha256(file));
    expect((await readFile(staged.crate)).equals(await readFile(file))).toBe(true);
  });

  it('shares with the group when asked: folders 0750, files 0640', async () => {
    process.umask(0o022);
    const staged = await stageJob(new SumProcess(), { jobsRoot, share: 'group' });
    expect(await modeOf(staged.jobDir)).toBe(0o750);
    expect(await modeOf(staged.crate)).toBe(0o640);
    process.umask(0o077);
    const original = join(base, 'mine.bin');
    await Serializer.serializeToFile(new SumProcess(), original);
    const copied = await stageJob(original, { jobsRoot, share: 'group' });
    expect(await modeOf(copied.crate)).toBe(0o640);
    expect(await modeOf(copied.jobDir)).toBe(0o750);
  });

  it('refuses control and bidi characters in the name before any folder exists', async () => {
    for (const name of ['evil\u202Egpj.exe', 'line\nbreak', 'esc\u001b[31m', 'zero\u200Bwidth']) {
      const error = await stageJob(new SumProcess(), { jobsRoot, name }).catch((e: unknown) => e);
      expect(isHpcError(error, 'InvalidJobSettingError'), String(error)).toBe(true);
      expect(error).toMatchObject({ setting: 'name' });
      expect(findUnsafeCharacter(String(error))).toBeUndefined();
    }
    const badImport = await stageJob(new SumProcess(), { jobsRoot, imports: ['./a\u202E.js'] }).catch(
      (e: unknown) => e,
    );
    expect(badImport).toMatchObject({ _tag: 'InvalidJobSettingError', setting: 'imports[0]' });
    expect(existsSync(jobsRoot)).toBe(false);
  });

  it('leaves no folder when staging is refused or fails', async () => {
    const missingModule = await stageJob(new UnplacedProcess(), { jobsRoot }).catch((e: unknown) => e);
    expect(isHpcError(missingModule, 'MissingModuleError')).toBe(true);
    const unserializable = await stageJob(Object.assign(new SumProcess(), { callback: () => 1 }), {
      jobsRoot,
    }).catch((e: unknown) => e);
    expect(isHpcError(unserializable, 'UnsupportedValueError')).toBe(true);
    const missingCrate = await stageJob(join(base, 'absent.bin'), { jobsRoot }).catch((e: unknown) => e);
    expect(isHpcError(missingCrate, 'FileMissingError')).toBe(true);
    expect(existsSync(jobsRoot) ? await readdir(jobsRoot) : []).toEqual([]);
  });

  it('removes the job folder it made when the copy fails (a disk too small), and says why', async () => {
    const disk = await mountTmpfs(1 << 20);
    try {
      const big = join(base, 'big.bin');
      await Serializer.serializeToFile(
        new SumProcess(new Measurement('big', new Float64Array(1 << 18))),
        big,
      );
      const smallRoot = join(disk.path, 'jobs');
      const error = await stageJob(big, { jobsRoot: smallRoot }).catch((e: unknown) => e);
      expect(error).toMatchObject({ _tag: 'FileWriteError', code: 'ENOSPC' });
      expect(String(error)).toMatch(/no space left on device/);
      expect(await readdir(smallRoot)).toEqual([]);

      // A folder that existed before keeps what it had, and only that.
      const existing = join(disk.path, 'existing');
      await mkdir(existing);
      await writeFile(join(existing, 'keep'), 'mine');
      await expect(stageJob(big, { jobsRoot: smallRoot, jobDir: existing })).rejects.toThrow(/no space left/);
      expect(await readdir(existing)).toEqual(['keep']);
    } finally {
      await disk.unmount();
    }
  });
});
