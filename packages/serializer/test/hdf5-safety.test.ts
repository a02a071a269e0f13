import { spawnSync } from 'node:child_process';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { isHpcError } from '@hpc/core';
import { registerClass, unregisterClass } from '@hpc/process';
import { ObjectSerializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNodeScript, SERIALIZER_ENTRY, withRawFile } from './hdf5-helpers.ts';

class Sample {
  label = 'sample';
}
registerClass(Sample, { id: 'hdf5-safety/Sample' });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-h5-safety-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function errorOf(
  promise: Promise<unknown>,
): Promise<{ _tag?: string; message: string } & Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isHpcError(error)) throw new Error(`expected an HpcError, got ${String(error)}`);
  return error as never;
}

/**
 * Writes an object group by hand, as a broken or hostile writer could: layout version 2 with
 * checksums that match (so what is checked is the structure itself), plus a 10-double dataset a0.
 */
async function writeCrafted(
  file: string,
  objectPath: string,
  structure: string,
  attrs: { version?: number; types?: string[] } = {},
) {
  await withRawFile(file, 'w', (f, h5) => {
    f.create_group(objectPath.slice(1));
    const g = f.get(objectPath) as InstanceType<typeof h5.Group>;
    g.create_attribute('hpc_format_version', attrs.version ?? 2, null, '<i');
    g.create_attribute('hpc_types', JSON.stringify(attrs.types ?? []));
    const bytes = Buffer.from(structure, 'utf8');
    g.create_attribute('hpc_structure_crc32', crc32(bytes), null, '<I');
    g.create_dataset({
      name: 'structure',
      data: new Uint8Array(bytes),
      shape: [bytes.byteLength],
      dtype: '<B',
    });
    const a0 = new Float64Array(10);
    g.create_dataset({ name: 'a0', data: a0, dtype: '<d' });
    (g.get('a0') as InstanceType<typeof h5.Group>).create_attribute(
      'hpc_crc32',
      Uint32Array.of(crc32(new Uint8Array(a0.buffer))),
      [1],
      '<I',
    );
  });
}

describe('typed errors name the file and the object path', () => {
  it('missing file, empty file, non-HDF5 file', async () => {
    const crate = new ObjectSerializer(join(dir, 'missing.h5'));
    expect((await errorOf(crate.load('/x')))._tag).toBe('FileMissingError');
    expect(await crate.list()).toEqual([]);
    expect(await crate.has('/x')).toBe(false);

    const empty = join(dir, 'empty.h5');
    await writeFile(empty, '');
    expect(await errorOf(new ObjectSerializer(empty).load('/x'))).toMatchObject({
      _tag: 'CorruptFileError',
      file: empty,
      objectPath: '/x',
    });

    const text = join(dir, 'text.h5');
    await writeFile(text, 'just some text, not HDF5 at all');
    const foreign = await errorOf(new ObjectSerializer(text).load('/x'));
    expect(foreign).toMatchObject({ _tag: 'NotASerializedFileError', file: text });
    // Writing into a foreign file is refused too, and leaves it as it was.
    expect((await errorOf(new ObjectSerializer(text).serialize({ a: 1 }, '/x')))._tag).toBe(
      'NotASerializedFileError',
    );
    expect(await readFile(text, 'utf8')).toBe('just some text, not HDF5 at all');
  });

  it('a truncated or damaged file gives CorruptFileError', async () => {
    const file = join(dir, 'good.h5');
    const crate = new ObjectSerializer(file);
    const data = new Float64Array(300_000).map((_, i) => Math.sin(i));
    await crate.serialize({ data }, '/obj');
    const { size } = await stat(file);

    const cut = join(dir, 'cut.h5');
    await copyFile(file, cut);
    await truncate(cut, Math.floor(size / 2));
    const truncated = await errorOf(new ObjectSerializer(cut).load('/obj'));
    expect(truncated).toMatchObject({ _tag: 'CorruptFileError', file: cut, objectPath: '/obj' });
    expect(truncated.message).toContain(`${cut}:/obj is corrupt`);

    const damaged = join(dir, 'damaged.h5');
    const bytes = await readFile(file);
    bytes.fill(0x5a, Math.floor(size * 0.3), Math.floor(size * 0.6));
    await writeFile(damaged, bytes);
    expect(await errorOf(new ObjectSerializer(damaged).load('/obj'))).toMatchObject({
      _tag: 'CorruptFileError',
      objectPath: '/obj',
    });
  });

  it('a wrong object path lists what is stored', async () => {
    const file = join(dir, 'paths.h5');
    const crate = new ObjectSerializer(file);
    await crate.serialize({ a: 1 }, '/runs/first');
    const error = await errorOf(crate.load('/runs/second'));
    expect(error).toMatchObject({
      _tag: 'ObjectNotFoundError',
      file,
      objectPath: '/runs/second',
      storedPaths: ['/runs/first'],
    });
    expect(error.message).toContain('/runs/first');
    expect((await errorOf(crate.load('/runs')))._tag).toBe('ObjectNotFoundError');
    expect((await errorOf(crate.load('/runs/first/structure')))._tag).toBe('ObjectNotFoundError');
    expect((await errorOf(crate.load('/runs/first/structure/below')))._tag).toBe('ObjectNotFoundError');
    expect(await crate.has('/runs/first/structure/below')).toBe(false);
    expect((await errorOf(crate.load('../x')))._tag).toBe('InvalidObjectPathError');
    expect((await errorOf(crate.serialize({}, '/runs/first/nested')))._tag).toBe('ObjectExistsError');
    expect((await errorOf(crate.serialize({}, '/runs/first/structure/x')))._tag).toBe('ObjectExistsError');
  });

  it('an unknown type id is refused before any data is read', async () => {
    const file = join(dir, 'types.h5');
    class Temporary {
      x = 1;
    }
    registerClass(Temporary, { id: 'hdf5-safety/Temporary' });
    await new ObjectSerializer(file).serialize({ t: new Temporary() }, '/obj');
    unregisterClass('hdf5-safety/Temporary');
    const error = await errorOf(new ObjectSerializer(file).load('/obj'));
    expect(error).toMatchObject({
      _tag: 'UnknownTypeError',
      file,
      objectPath: '/obj',
      typeId: 'hdf5-safety/Temporary',
    });
    expect(error.message).toContain('hdf5-safety/Sample');
  });

  it('a newer format version is refused', async () => {
    const file = join(dir, 'future.h5');
    await writeCrafted(file, '/obj', '{"a":1}', { version: 3 });
    expect(await errorOf(new ObjectSerializer(file).load('/obj'))).toMatchObject({
      _tag: 'UnsupportedFormatVersionError',
      file,
      objectPath: '/obj',
      version: 3,
    });
  });

  it('a damaged structure, forbidden keys and references outside the object are refused', async () => {
    const cases: [string, string, string[], string][] = [
      ['bad-json', '{"a":', [], 'CorruptFileError'],
      ['bad-tag', '{"a":{"$":"eval","v":"1"}}', [], 'CorruptFileError'],
      ['bad-ref', '{"a":{"$":"ref","i":7}}', [], 'CorruptFileError'],
      [
        'outside',
        '{"a":{"$":"ta","t":"Float64Array","n":10,"ds":"../other/arrays/0"}}',
        [],
        'CorruptFileError',
      ],
      ['absolute', '{"a":{"$":"ta","t":"Float64Array","n":10,"ds":"/a0"}}', [], 'CorruptFileError'],
      ['wrong-length', '{"a":{"$":"ta","t":"Float64Array","n":11,"ds":"a0"}}', [], 'CorruptFileError'],
      ['wrong-kind', '{"a":{"$":"ta","t":"Int32Array","n":10,"ds":"a0"}}', [], 'CorruptFileError'],
      ['bad-b64', '{"a":{"$":"ta","t":"Float64Array","n":10,"b64":"AAAA"}}', [], 'CorruptFileError'],
      [
        'proto',
        '{"$":"obj","c":"hdf5-safety/Sample","v":{"__proto__":{"x":1}}}',
        ['hdf5-safety/Sample'],
        'ForbiddenKeyError',
      ],
      [
        'ctor',
        '{"$":"obj","c":"hdf5-safety/Sample","v":{"constructor":1}}',
        ['hdf5-safety/Sample'],
        'ForbiddenKeyError',
      ],
      ['unlisted-type', '{"$":"obj","c":"nobody/Registered","v":{}}', [], 'UnknownTypeError'],
    ];
    for (const [name, structure, types, tag] of cases) {
      const file = join(dir, `crafted-${name}.h5`);
      await writeCrafted(file, '/obj', structure, { types });
      const error = await errorOf(new ObjectSerializer(file).load('/obj'));
      expect(error._tag, name).toBe(tag);
      expect(error.file, name).toBe(file);
    }
    // The well-formed reference to the stored dataset loads.
    const ok = join(dir, 'crafted-ok.h5');
    await writeCrafted(ok, '/obj', '{"a":{"$":"ta","t":"Float64Array","n":10,"ds":"a0"}}');
    expect(await new ObjectSerializer(ok).load('/obj')).toEqual({ a: new Float64Array(10) });
  });

  it('a huge array claim is refused before allocating', async () => {
    const file = join(dir, 'huge.h5');
    await writeCrafted(file, '/obj', '{"a":{"$":"ta","t":"Float64Array","n":10,"ds":"a0"}}');
    const error = await errorOf(new ObjectSerializer(file, { maxArrayBytes: 40 }).load('/obj'));
    expect(error).toMatchObject({ _tag: 'CorruptFileError', objectPath: '/obj' });
    expect(error.message).toContain('maxArrayBytes');
  });
});

describe('h5wasm runtime', () => {
  it('importing @hpc/serializer does not load h5wasm', async () => {
    const result = await runNodeScript(`
      import { registerHooks } from 'node:module';
      const urls = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); urls.push(r.url); return r; } });
      const m = await import(${JSON.stringify(SERIALIZER_ENTRY)});
      console.log(JSON.stringify({ has: typeof m.ObjectSerializer, h5wasm: urls.filter((u) => u.includes('/node_modules/') && u.includes('h5wasm')) }));
    `);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ has: 'function', h5wasm: [] });
  });

  it('ignores an HDF5_PLUGIN_PATH that points at native plugins', async () => {
    const native = join(dir, 'native-plugins');
    await mkdir(native, { recursive: true });
    // A native ELF shared object where h5wasm would look first; Debian's real folder too when present.
    await writeFile(
      join(native, 'libH5Zblosc.so'),
      Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(1024)]),
    );
    const debian = '/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins';
    const file = join(dir, 'plugin-path.h5');
    const result = await runNodeScript(
      `
      const { ObjectSerializer } = await import(${JSON.stringify(SERIALIZER_ENTRY)});
      const crate = new ObjectSerializer(${JSON.stringify(file)});
      const data = new Float64Array(100000).map((_, i) => i);
      await crate.serialize({ data }, '/blosc');
      const back = await crate.load('/blosc');
      console.log(back.data[99999]);
    `,
      { env: { HDF5_PLUGIN_PATH: `${native}:${debian}` } },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('99999');
  });
});

describe('nothing is lost', () => {
  it('SIGKILL in the middle of serializing into an existing file leaves the earlier objects intact', async () => {
    const file = join(dir, 'killed.h5');
    const crate = new ObjectSerializer(file);
    const earlier = new Float64Array(200_000).map((_, i) => i * 2);
    await crate.serialize({ earlier, label: 'first' }, '/first');
    await crate.serialize({ label: 'second' }, '/second');
    const before = await readFile(file);

    let pid = 0;
    const child = runNodeScript(
      `
      const { ObjectSerializer } = await import(${JSON.stringify(SERIALIZER_ENTRY)});
      const big = new Float64Array(48 * 1024 * 1024 / 8);
      let s = 12345;
      for (let i = 0; i < big.length; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; big[i] = s; }
      console.log('writing');
      await new ObjectSerializer(${JSON.stringify(file)}).serialize({ big }, '/third', { codec: 'gzip', level: 9 });
      console.log('finished');
    `,
      {
        onSpawn: (p) => {
          pid = p;
        },
      },
    );
    // Kill once the child is inside the write: its temp copy exists and is being filled.
    const deadline = Date.now() + 20_000;
    let sawTemp = false;
    while (Date.now() < deadline) {
      const names = await readdir(dir);
      const temp = names.find((n) => n.startsWith('.killed.h5.tmp-'));
      if (temp && (await stat(join(dir, temp)).catch(() => undefined))?.size) {
        sawTemp = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 150));
    process.kill(pid, 'SIGKILL');
    const result = await child;
    expect(sawTemp).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).not.toContain('finished');

    expect((await readFile(file)).equals(before)).toBe(true);
    expect(await crate.list()).toEqual(['/first', '/second']);
    const first = await crate.load<{ earlier: Float64Array }>('/first');
    expect(first.earlier).toEqual(earlier);
    // The killed writer's lock is stale (its pid is gone): the next writer takes over and cleans up.
    await crate.serialize({ label: 'third' }, '/third', { codec: 'none' });
    expect(await crate.list()).toEqual(['/first', '/second', '/third']);
    expect(
      (await readdir(dir)).filter((n) => n.startsWith('.killed.h5.tmp-') || n === 'killed.h5.lock'),
    ).toEqual([]);
  }, 60_000);

  it('two processes writing the same file at once both land, nothing corrupt', async () => {
    const file = join(dir, 'concurrent.h5');
    const writer = (name: string) =>
      runNodeScript(`
      const { ObjectSerializer } = await import(${JSON.stringify(SERIALIZER_ENTRY)});
      const crate = new ObjectSerializer(${JSON.stringify(file)});
      for (let i = 0; i < 6; i++) {
        await crate.serialize({ writer: ${JSON.stringify(name)}, i, data: new Float64Array(50000).fill(i) }, '/${name}/' + i);
      }
      console.log('done');
    `);
    const [a, b] = await Promise.all([writer('a'), writer('b')]);
    expect(a.stderr + b.stderr).toBe('');
    expect(a.stdout.trim() + b.stdout.trim()).toBe('donedone');
    const crate = new ObjectSerializer(file);
    const paths = await crate.list();
    expect(paths).toHaveLength(12);
    for (const path of paths) {
      const value = await crate.load<{ i: number; data: Float64Array }>(path);
      expect(value.data[49_999]).toBe(value.i);
    }
  }, 60_000);

  it('takes over an empty lock left by a writer killed while creating it, and removes asides of dead lock breakers', async () => {
    const file = join(dir, 'abandoned.h5');
    const crate = new ObjectSerializer(file, { lockTimeoutMs: 1_000 });
    await crate.serialize({ a: 1 }, '/a');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const deadHolder = JSON.stringify({ pid: deadPid, host: hostname(), token: 'dead', since: 'then' });
    const liveHolder = JSON.stringify({ pid: process.pid, host: hostname(), token: 'live', since: 'now' });
    // A waiter killed between moving a stale lock aside and removing it leaves the aside behind.
    await writeFile(`${file}.lock.stale-0123456789ab`, deadHolder);
    // Another waiter's race in progress (a live holder's aside) is not ours to remove.
    await writeFile(`${file}.lock.stale-ba9876543210`, liveHolder);
    // A writer killed between creating the lock and writing its holder leaves it empty.
    await writeFile(`${file}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    await crate.serialize({ b: 2 }, '/b');
    expect(await crate.list()).toEqual(['/a', '/b']);
    expect((await readdir(dir)).filter((n) => n.startsWith('abandoned.h5.lock'))).toEqual([
      'abandoned.h5.lock.stale-ba9876543210',
    ]);
    // A fresh empty lock is a writer filling it this instant: it is waited for, not broken.
    await writeFile(`${file}.lock`, '');
    const error = await errorOf(new ObjectSerializer(file, { lockTimeoutMs: 200 }).serialize({ c: 3 }, '/c'));
    expect(error).toMatchObject({ _tag: 'FileLockedError', file });
    await rm(`${file}.lock`);
  });

  it('a writer that cannot get the lock in time gets FileLockedError and the file is unchanged', async () => {
    const file = join(dir, 'locked.h5');
    const crate = new ObjectSerializer(file, { lockTimeoutMs: 200 });
    await crate.serialize({ a: 1 }, '/a');
    const before = await readFile(file);
    // A live holder: this test process itself, as another writer in another process would appear.
    await writeFile(
      `${file}.lock`,
      JSON.stringify({ pid: process.pid, host: hostname(), token: 'someone-else', since: 'now' }),
    );
    const error = await errorOf(crate.serialize({ b: 2 }, '/b'));
    expect(error).toMatchObject({ _tag: 'FileLockedError', file });
    expect(error.message).toContain(`pid ${process.pid}`);
    expect((await readFile(file)).equals(before)).toBe(true);
    await rm(`${file}.lock`);
  });
});
