import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileWriteError, isHpcError, writeFileAtomic } from '../src/index.ts';
import { FOREIGN_TEMP_MAX_AGE_MS, hostTag, parseTempFileName } from '../src/stale-temp-files.ts';
import { mountTmpfs, type Tmpfs } from './tmpfs.ts';

const MIB = 1 << 20;
const openDescriptors = async () => (await readdir('/proc/self/fd')).length;
const temps = async (folder: string) => (await readdir(folder)).filter((name) => name.includes('.tmp-'));

async function failure(promise: Promise<unknown>): Promise<FileWriteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isHpcError(error, 'FileWriteError'), `expected FileWriteError, got ${String(error)}`).toBe(true);
  return error as FileWriteError;
}

/** The three ways content reaches the file: one small blocking write, async pieces, a content writer. */
const WRITES = {
  small: (path: string, bytes: Uint8Array) => writeFileAtomic(path, bytes),
  large: (path: string, bytes: Uint8Array) =>
    writeFileAtomic(path, [bytes.subarray(0, 10), bytes.subarray(10)]),
  positional: (path: string, bytes: Uint8Array) =>
    writeFileAtomic(path, async (writeAt) => {
      await writeAt(bytes.subarray(10), 10); // out of order, as the Serializer writes its header last
      await writeAt(bytes.subarray(0, 10), 0);
    }),
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-atomic-'));
});

describe('writeFileAtomic file modes', () => {
  it('creates private files (0600) by default and exactly the asked mode, with umask 0 and 077', async () => {
    for (const umask of [0, 0o077]) {
      const previous = process.umask(umask);
      try {
        for (const [kind, write] of Object.entries(WRITES)) {
          const file = join(dir, `mode-${umask}-${kind}`);
          const bytes = new Uint8Array(kind === 'small' ? 100 : 5 * MIB).fill(7);
          await write(file, bytes);
          expect((await stat(file)).mode & 0o777, `${kind}, umask ${umask.toString(8)}`).toBe(0o600);
          expect(Buffer.compare(await readFile(file), bytes)).toBe(0);
          await writeFileAtomic(file, 'shared', { mode: 0o640 });
          expect((await stat(file)).mode & 0o777).toBe(0o640);
        }
      } finally {
        process.umask(previous);
      }
    }
  });
});

describe('writeFileAtomic failures', () => {
  it('gives a FileWriteError naming the file when the folder is missing or the target is a folder, leaving nothing open or behind', async () => {
    const before = await openDescriptors();
    const missing = await failure(writeFileAtomic(join(dir, 'no-such-folder', 'x.json'), '{}'));
    expect(missing.code).toBe('ENOENT');
    expect(missing.message).toContain(join(dir, 'no-such-folder', 'x.json'));
    const folder = join(dir, 'a-folder');
    await mkdir(folder);
    for (const write of Object.values(WRITES)) {
      const error = await failure(write(folder, new Uint8Array(5 * MIB)));
      expect(error.code).toBe('EISDIR');
      expect(error.file).toBe(folder);
    }
    expect(await temps(dir)).toEqual([]);
    expect(await openDescriptors()).toBe(before);
  });

  it('rethrows a failing content writer, removes its temp file and keeps the old file', async () => {
    const file = join(dir, 'keep.bin');
    await writeFileAtomic(file, 'old');
    const boom = new Error('content failed');
    await expect(
      writeFileAtomic(file, async (writeAt) => {
        await writeAt(new Uint8Array(1000), 0);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await temps(dir)).toEqual([]);
  });
});

describe('writeFileAtomic on a full disk (a real 2 MiB tmpfs)', () => {
  let disk: Tmpfs;
  beforeAll(async () => {
    disk = await mountTmpfs('2m');
  });
  afterAll(async () => {
    await disk?.unmount();
  });

  it('says "no space left on device" with the path, removes the temp file, keeps the old file and closes everything', async () => {
    const file = join(disk.dir, 'result.bin');
    const old = new Uint8Array(MIB).fill(1);
    await writeFileAtomic(file, old);
    const before = await openDescriptors();
    for (const [kind, write] of Object.entries(WRITES)) {
      const error = await failure(write(file, new Uint8Array(kind === 'small' ? 1.5 * MIB : 5 * MIB)));
      expect(error.code, kind).toBe('ENOSPC');
      expect(error.message).toBe(
        `cannot write ${file}: no space left on device; free space on that file system or write somewhere else`,
      );
      expect(await temps(disk.dir)).toEqual([]);
      expect(Buffer.compare(await readFile(file), old)).toBe(0);
    }
    expect(await openDescriptors()).toBe(before);
    await writeFileAtomic(file, new Uint8Array(0.9 * MIB)); // the space of the failed temps is free again
  });
});

describe('stale temp files of killed writers', () => {
  const host = hostTag();
  const deadPid = () => spawnSync('true').pid as number;
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);

  it('names temps after their writer (host, pid, random)', () => {
    expect(parseTempFileName(`.out.json.tmp-${host}-123-0a1b2c3d`, 'out.json')).toEqual({ host, pid: 123 });
    expect(parseTempFileName('.out.json.tmp-123-0a1b2c3d', 'out.json')).toEqual({
      host: undefined,
      pid: 123,
    });
    expect(parseTempFileName(`.out.json.tmp-${host}-123-0a1b2c3d`, 'out')).toBeUndefined();
    expect(parseTempFileName('.out.json.tmp-notes', 'out.json')).toBeUndefined();
    expect(parseTempFileName('.out.json.tmp-h-0-0a1b2c3d', 'out.json')).toBeUndefined();
  });

  it('removes, on the next write of that file, only temps whose writer is gone: a dead pid here, or a day old from elsewhere', async () => {
    const folder = await mkdtemp(join(dir, 'sweep-'));
    const live = spawn('sleep', ['30']);
    try {
      const dead = deadPid();
      const names = {
        deadHere: `.out.json.tmp-${host}-${dead}-00000001`,
        liveHere: `.out.json.tmp-${host}-${live.pid}-00000002`,
        mine: `.out.json.tmp-${host}-${process.pid}-00000003`,
        otherHostRecent: `.out.json.tmp-other_node-${dead}-00000004`,
        otherHostOld: `.out.json.tmp-other_node-${dead}-00000005`,
        unnamedHostOld: `.out.json.tmp-${dead}-00000006`,
        otherTarget: `.other.json.tmp-${host}-${dead}-00000007`,
        notATemp: '.out.json.tmp-notes',
      };
      for (const name of Object.values(names)) await writeFile(join(folder, name), 'x');
      const old = hoursAgo(FOREIGN_TEMP_MAX_AGE_MS / 3600_000 + 1);
      for (const name of [names.otherHostOld, names.unnamedHostOld])
        await utimes(join(folder, name), old, old);
      await writeFileAtomic(join(folder, 'out.json'), '{}');
      const left = new Set(await readdir(folder));
      expect(left.has('out.json')).toBe(true);
      for (const [what, name] of Object.entries(names)) {
        const swept = what === 'deadHere' || what === 'otherHostOld' || what === 'unnamedHostOld';
        expect(left.has(name), `${what} ${swept ? 'removed' : 'kept'}`).toBe(!swept);
      }
    } finally {
      live.kill();
    }
  });

  it('scans a large folder once per process, not on every write', async () => {
    const folder = await mkdtemp(join(dir, 'large-'));
    await Promise.all(
      Array.from({ length: 3000 }, (_, i) =>
        writeFile(join(folder, `output-file-with-a-longish-name-${i}.txt`), ''),
      ),
    );
    expect((await stat(folder)).size).toBeGreaterThan(64 * 1024);
    const first = `.big.bin.tmp-${host}-${deadPid()}-00000001`;
    await writeFile(join(folder, first), 'x');
    await writeFileAtomic(join(folder, 'big.bin'), 'a');
    expect(await temps(folder)).toEqual([]);
    const second = `.big.bin.tmp-${host}-${deadPid()}-00000002`;
    await writeFile(join(folder, second), 'x');
    await writeFileAtomic(join(folder, 'big.bin'), 'b');
    expect(await temps(folder)).toEqual([second]); // left for the next process's first write
  });
});
