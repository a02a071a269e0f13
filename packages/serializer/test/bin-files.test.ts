import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFileFormat, Serializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountTmpfs, type Tmpfs } from '../../core/test/tmpfs.ts';
import { expectTagged } from './bin-helpers.ts';
import { NODE_SOURCE_FLAGS, SERIALIZER_ENTRY } from './hdf5-helpers.ts';

const MIB = 1 << 20;
const openDescriptors = async () => (await readdir('/proc/self/fd')).length;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-bin-files-'));
});

describe('reading paths that are not regular, readable files', () => {
  const readers = {
    deserializeFromFile: (file: string) => Serializer.deserializeFromFile(file),
    readManifest: (file: string) => Serializer.readManifest(file),
    detectFileFormat: (file: string) => detectFileFormat(file),
  };

  it('a folder and a FIFO: NotASerializedFileError at once (no hang), nothing left open', async () => {
    const folder = join(dir, 'folder.bin');
    await mkdir(folder);
    const fifo = join(dir, 'fifo.bin');
    execFileSync('mkfifo', [fifo]);
    const before = await openDescriptors();
    for (const [name, read] of Object.entries(readers)) {
      await expectTagged(read(folder), 'NotASerializedFileError', /it is a folder/);
      const started = Date.now();
      await expectTagged(read(fifo), 'NotASerializedFileError', /not a regular file \(a pipe/);
      expect(Date.now() - started, name).toBeLessThan(2000);
    }
    expect(await openDescriptors()).toBe(before);
  });

  it('a path no file can have (a NUL byte): FileReadError / FileWriteError, not a TypeError', async () => {
    const file = join(dir, 'a\0b.bin');
    for (const read of Object.values(readers)) await expectTagged(read(file), 'FileReadError', /cannot read/);
    await expectTagged(Serializer.serializeToFile({ a: 1 }, file), 'FileWriteError', /cannot write/);
  });

  it('a file this user may not read: FileReadError naming it, "permission denied"', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'hpc-bin-eacces-'));
    await chmod(shared, 0o755);
    const file = join(shared, 'private.bin');
    await Serializer.serializeToFile({ secret: 1 }, file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // Root reads everything: read it as 'nobody', from the sources, like any user process would.
    const script = `
      import { Serializer, detectFileFormat } from ${JSON.stringify(SERIALIZER_ENTRY)};
      const out = [];
      for (const read of [Serializer.deserializeFromFile, Serializer.readManifest, detectFileFormat]) {
        out.push(await read(${JSON.stringify(file)}).then(() => 'loaded', (e) => ({ tag: e._tag, message: e.message, code: e.code })));
      }
      console.log(JSON.stringify(out));`;
    const child = spawnSync(process.execPath, [...NODE_SOURCE_FLAGS, '--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    for (const outcome of JSON.parse(child.stdout)) {
      expect(outcome).toEqual({
        tag: 'FileReadError',
        code: 'EACCES',
        message: `cannot read ${file}: permission denied; check the file's permissions and its disk`,
      });
    }
  });
});

describe('Serializer on a full disk (a real 2 MiB tmpfs)', () => {
  let disk: Tmpfs;
  beforeAll(async () => {
    disk = await mountTmpfs('2m');
  });
  afterAll(async () => {
    await disk?.unmount();
  });

  it('FileWriteError "no space left on device" naming the file; the old crate loads, no temp file stays', async () => {
    const file = join(disk.dir, 'process.bin');
    const old = { values: new Float64Array(MIB / 8).fill(1) };
    await Serializer.serializeToFile(old, file);
    // 1.5 MiB is built in memory and written in one go; 9 MiB is streamed with the header last.
    for (const bytes of [1.5 * MIB, 9 * MIB]) {
      const error = await expectTagged(
        Serializer.serializeToFile({ values: new Float64Array(bytes / 8) }, file),
        'FileWriteError',
        /no space left on device/,
      );
      expect(error.code).toBe('ENOSPC');
      expect(error.file).toBe(file);
      expect(await readdir(disk.dir)).toEqual(['process.bin']);
      expect(await Serializer.deserializeFromFile(file)).toStrictEqual(old);
    }
  });
});

describe('Serializer file modes', () => {
  it('writes crates 0600 whatever the umask', async () => {
    for (const umask of [0, 0o077]) {
      const previous = process.umask(umask);
      try {
        for (const values of [new Float64Array(10), new Float64Array((9 * MIB) / 8)]) {
          const file = join(dir, `mode-${umask}-${values.length}.bin`);
          await Serializer.serializeToFile({ values }, file);
          expect((await stat(file)).mode & 0o777).toBe(0o600);
        }
      } finally {
        process.umask(previous);
      }
    }
  });
});
