import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Process, registerClass, registerProcess } from '@hpc/process';
import { ObjectSerializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runH5py, typedErrorOf } from './hdf5-helpers.ts';

/**
 * Hostile crates, made with Debian's h5py the way an attacker (or a careless script) would: each
 * is refused with its typed error before any of its data is read, and no message shows bytes of
 * another file.
 */
class Job extends Process<number> {
  async run() {
    return 1;
  }
}
registerProcess(Job, { id: 'hdf5-hostile/Job' });
class Labels extends Map<string, number> {}
registerClass(Labels, { id: 'hdf5-hostile/Labels' });
class Row extends Array<number> {}
registerClass(Row, { id: 'hdf5-hostile/Row' });

const SECRET = 'TOP-SECRET-CONTENT-'.repeat(60);
let dir: string;
let secret: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-h5-hostile-'));
  secret = join(dir, 'secret.bin');
  await writeFile(secret, SECRET);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A crate built by `script` (h5py, helpers of hdf5-helpers.ts; sys.argv[1] is the file, [2] the folder). */
async function crate(name: string, script: string): Promise<string> {
  const file = join(dir, name);
  await runH5py(`f = h5py.File(sys.argv[1], 'w')\n${script}\nf.close()`, file, dir, secret);
  return file;
}

function expectNoSecret(error: { message: string }) {
  expect(error.message).not.toContain('TOP-SECRET');
}

describe('a loader reads only its own file', () => {
  it('external raw storage (H5Pset_external) pointing at another file is refused, naming the dataset', async () => {
    // The checksum matches the other file's bytes: only the file-system guard stops this read.
    for (const where of ['absolute', 'relative']) {
      const file = await crate(
        `external-${where}.h5`,
        `
import os
target = sys.argv[3] if '${where}' == 'absolute' else os.path.relpath(sys.argv[3], os.getcwd())
values = np.frombuffer(open(sys.argv[3], 'rb').read()[:800], dtype='<f8')
g = put_object(f, 'obj', {'v': ta('arrays/0', 100)})
ds = g.create_dataset('arrays/0', shape=(100,), dtype='<f8', external=[(target, 0, 800)])
checksum(ds, values)`,
      );
      const serializer = new ObjectSerializer(file);
      for (const attempt of [serializer.load('/obj'), serializer.readArray('/obj', 'v', { count: 3 })]) {
        const error = await typedErrorOf(attempt);
        expect(error, where).toMatchObject({ _tag: 'ExternalReferenceError', file, objectPath: '/obj' });
        expect(error.message).toContain('dataset /obj/arrays/0 reads from another file');
        expect(error.message).toContain('secret.bin');
        expectNoSecret(error);
      }
    }
  });

  it('a virtual dataset is refused before it is read', async () => {
    const file = await crate(
      'virtual.h5',
      `
with h5py.File(sys.argv[2] + '/source.h5', 'w') as s:
    s['data'] = np.arange(100, dtype='<f8')
g = put_object(f, 'obj', {'v': ta('arrays/0', 100)})
layout = h5py.VirtualLayout(shape=(100,), dtype='<f8')
layout[:] = h5py.VirtualSource(sys.argv[2] + '/source.h5', 'data', shape=(100,))
g.create_group('arrays').create_virtual_dataset('0', layout)
checksum(g['arrays/0'], np.arange(100, dtype='<f8'))`,
    );
    const error = await typedErrorOf(new ObjectSerializer(file).load('/obj'));
    expect(error).toMatchObject({ _tag: 'ExternalReferenceError', entry: '/obj/arrays/0' });
    expect(error.message).toContain('is a virtual dataset');
    expect(error.message).toContain('source.h5');
  });

  it('external links are refused on the way to the object and inside it, and list() skips them', async () => {
    const other = join(dir, 'other.h5');
    await runH5py(
      `
with h5py.File(sys.argv[1], 'w') as f:
    put_object(f, 'real', {'v': ta('arrays/0', 10)})
    checksum(f.create_dataset('real/arrays/0', data=np.zeros(10)), np.zeros(10))`,
      other,
    );
    const file = await crate(
      'external-links.h5',
      `
f['linked'] = h5py.ExternalLink(sys.argv[2] + '/other.h5', '/real')
f['runs'] = h5py.ExternalLink(sys.argv[2] + '/other.h5', '/')
g = put_object(f, 'obj', {'v': ta('arrays/0', 10)})
g['arrays'] = h5py.ExternalLink(sys.argv[2] + '/other.h5', '/real/arrays')`,
    );
    const serializer = new ObjectSerializer(file);
    const direct = await typedErrorOf(serializer.load('/linked'));
    expect(direct).toMatchObject({ _tag: 'ExternalReferenceError', entry: '/linked' });
    expect(direct.message).toContain('is an external link to "/real" in another file');
    expect((await typedErrorOf(serializer.load('/runs/real'))).entry).toBe('/runs');
    const inside = await typedErrorOf(serializer.load('/obj'));
    expect(inside).toMatchObject({ _tag: 'ExternalReferenceError', entry: '/obj/arrays' });
    expect(await serializer.list()).toEqual(['/obj']);
    expect(await serializer.has('/linked')).toBe(false);
  });

  it('soft links are refused: one leaving the object, and one that is the path to it', async () => {
    const file = await crate(
      'soft-links.h5',
      `
other = put_object(f, 'other', {'v': ta('arrays/0', 10)})
checksum(other.create_dataset('arrays/0', data=np.ones(10)), np.ones(10))
g = put_object(f, 'obj', {'v': ta('arrays/0', 10)})
g.create_group('arrays')['0'] = h5py.SoftLink('/other/arrays/0')
f['alias'] = h5py.SoftLink('/other')`,
    );
    const serializer = new ObjectSerializer(file);
    const leaving = await typedErrorOf(serializer.load('/obj'));
    expect(leaving).toMatchObject({ _tag: 'ExternalReferenceError', entry: '/obj/arrays/0' });
    expect(leaving.message).toContain('is a soft link to "/other/arrays/0"');
    expect((await typedErrorOf(serializer.load('/alias'))).entry).toBe('/alias');
    expect((await typedErrorOf(serializer.readArray('/alias', 'v'))).entry).toBe('/alias');
    expect(await serializer.load('/other')).toEqual({ v: new Float64Array(10).fill(1) });
    expect(await serializer.list()).toEqual(['/obj', '/other']);
  });

  it('a named datatype where a dataset is expected is refused', async () => {
    const file = await crate(
      'datatype.h5',
      `
g = put_object(f, 'obj', {'v': ta('arrays/0', 10)})
g.create_group('arrays')['0'] = np.dtype('<f8')`,
    );
    const error = await typedErrorOf(new ObjectSerializer(file).load('/obj'));
    expect(error).toMatchObject({ _tag: 'CorruptFileError', objectPath: '/obj' });
    expect(error.message).toContain('dataset /obj/arrays/0 is a datatype, not a dataset');
  });

  it('a compact dataset (data inside its header) is this file and loads', async () => {
    const file = await crate(
      'compact.h5',
      `
g = put_object(f, 'obj', {'v': ta('arrays/0', 100)})
values = np.arange(100, dtype='<f8')
dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
dcpl.set_layout(h5py.h5d.COMPACT)
space = h5py.h5s.create_simple((100,))
ds = h5py.h5d.create(g.create_group('arrays').id, b'0', h5py.h5t.IEEE_F64LE, space, dcpl=dcpl)
ds.write(h5py.h5s.ALL, h5py.h5s.ALL, values)
checksum(g['arrays/0'], values)`,
    );
    const loaded = await new ObjectSerializer(file).load<{ v: Float64Array }>('/obj');
    expect(loaded.v).toEqual(Float64Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('not a regular file', () => {
  it('a FIFO in place of the crate is refused at once, never opened blocking', async () => {
    const fifo = join(dir, 'pipe.h5');
    execFileSync('mkfifo', [fifo]);
    const error = await typedErrorOf(new ObjectSerializer(fifo).load('/x'));
    expect(error._tag).toBe('NotASerializedFileError');
    expect(error.message).toContain('not a regular file');
  });
});

describe('cycles and sizes', () => {
  it('a group hard-linked into itself: every walk ends, at once', async () => {
    const file = await crate(
      'cycle.h5',
      `
a = f.create_group('a')
a['self'] = a
f['a/b'] = f['/']
g = put_object(f, 'a/obj', {'v': ta('arrays/0', 10)})
checksum(g.create_dataset('arrays/0', data=np.ones(10)), np.ones(10))
g['arrays/loop'] = g
put_object(f, 'other', {'x': 1})`,
    );
    const serializer = new ObjectSerializer(file);
    const started = Date.now();
    expect(await serializer.list()).toEqual(['/a/obj', '/other']);
    expect(await serializer.has('/a/self/self/self/obj')).toBe(true);
    expect(await serializer.has('/a/self/missing')).toBe(false);
    const missing = await typedErrorOf(serializer.load('/missing'));
    expect(missing).toMatchObject({ _tag: 'ObjectNotFoundError', storedPaths: ['/a/obj', '/other'] });
    // The link back up inside the object is a hard link: the object is still all its own.
    expect(await serializer.load('/a/obj')).toEqual({ v: new Float64Array(10).fill(1) });
    expect((await serializer.info('/a/obj')).arrays.map((array) => array.name)).toEqual(['arrays/0']);
    // A rewrite cannot copy a group reached twice faithfully: refused, file unchanged.
    const rewrite = await typedErrorOf(serializer.delete('/other'));
    expect(rewrite).toMatchObject({ _tag: 'CannotRewriteError' });
    expect(rewrite.message).toContain('a second link to a group');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a small file declaring a huge array is refused before anything is allocated', async () => {
    // 2^31 doubles (16 GiB) in 4096 chunks never written (they would read as zeros), with the
    // checksums of zero chunks, so only the size bound stops it; and the same uncompressed.
    const file = await crate(
      'huge.h5',
      `
zeros = np.zeros(1 << 19)
chunk_crc = zlib.crc32(zeros.tobytes())
for name, kw in (('blosc', dict(compression=32001, compression_opts=(0, 0, 0, 0, 5, 1, 1))), ('plain', {})):
    g = put_object(f, name, {'v': ta('arrays/0', 1 << 31)})
    ds = g.create_dataset('arrays/0', shape=(1 << 31,), dtype='<f8', chunks=(1 << 19,), **kw)
    ds.attrs['hpc_crc32'] = np.full(4096, chunk_crc, dtype='<u4')`,
    );
    const serializer = new ObjectSerializer(file);
    const before = process.memoryUsage().rss;
    const compressed = await typedErrorOf(serializer.load('/blosc'));
    expect(compressed).toMatchObject({ _tag: 'CorruptFileError', objectPath: '/blosc' });
    expect(compressed.message).toContain('raise maxCompressionRatio');
    expect((await typedErrorOf(serializer.readArray('/blosc', 'v', { start: 5, count: 10 })))._tag).toBe(
      'CorruptFileError',
    );
    const plain = await typedErrorOf(serializer.load('/plain'));
    expect(plain.message).toMatch(
      /uncompressed datasets declare 171798692\d\d bytes, more than the \d+-byte file/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
  });
});

describe('revival checks what the body is', () => {
  it('a Process id on an array body (and other mismatched bodies) is refused', async () => {
    const cases: [string, unknown][] = [
      ['process-as-array', { $: 'obj', c: 'hdf5-hostile/Job', a: [1, 2] }],
      ['map-as-array', { $: 'obj', c: 'hdf5-hostile/Labels', a: [['k', 1]] }],
      ['array-as-fields', { $: 'obj', c: 'hdf5-hostile/Row', v: { 0: 1 } }],
      ['two-bodies', { $: 'obj', c: 'hdf5-hostile/Job', v: {}, a: [] }],
    ];
    const file = await crate(
      'bodies.h5',
      cases
        .map(
          ([name, tree]) => `put_object(f, '${name}', json.loads(${JSON.stringify(JSON.stringify(tree))}))`,
        )
        .join('\n'),
    );
    const serializer = new ObjectSerializer(file);
    for (const [name] of cases) {
      const error = await typedErrorOf(serializer.load(`/${name}`));
      expect(error, name).toMatchObject({ _tag: 'CorruptFileError', objectPath: `/${name}` });
    }
    expect((await typedErrorOf(serializer.load('/process-as-array'))).message).toContain(
      "an instance of 'hdf5-hostile/Job' is stored as an array, but that class's instances are fields",
    );
  });
});
