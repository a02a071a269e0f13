import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isHpcError } from '@hpc/core';
import { Process, registerClass, registerProcess } from '@hpc/process';
import { ObjectSerializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Interop with readers we did not write: Debian's python3-h5py (HDF5 1.10) with
 * hdf5-filter-plugin-blosc-serial, and h5dump. CI installs them (scripts/install-deps.sh); these
 * tests fail, not skip, when they are missing.
 */
const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const H5DUMP = 'h5dump';
const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/python/read_hpc_h5.py');
const PORTABLE_CODECS = ['blosc-lz4', 'blosc-zstd', 'blosc-blosclz', 'gzip', 'none'] as const;

class Trace {
  constructor(public samples: Float64Array = new Float64Array(0)) {}
}
registerClass(Trace, { id: 'interop/Trace' });

class Fit extends Process<number> {
  constructor(
    public name = '',
    public values = new Float64Array(0),
  ) {
    super();
  }
  traces: Trace[] = [];
  async run() {
    return this.values.length;
  }
}
registerProcess(Fit, { id: 'interop/Fit' });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-h5-interop-'));
  // Fail loudly when the independent readers are missing: CI installs them.
  await run(PYTHON, ['-c', 'import h5py, numpy']).catch((error: unknown) => {
    throw new Error(
      `${PYTHON} cannot import h5py/numpy: apt-get install python3-h5py python3-numpy (scripts/install-deps.sh)`,
      { cause: error },
    );
  });
  await run(H5DUMP, ['--version']).catch((error: unknown) => {
    throw new Error('h5dump is missing: apt-get install hdf5-tools (scripts/install-deps.sh)', {
      cause: error,
    });
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function python(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(PYTHON, ['-c', script, ...args], { maxBuffer: 64 << 20 });
  return stdout;
}

function xorshift(seed: number) {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** One array per kind, with the values that expose lost precision: int64 beyond 2^53 and 2^32. */
function arraysOfEveryKind(n: number) {
  const random = xorshift(7);
  return {
    f64: Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1e-3) * 1000 + random() * 1e-3),
    f32: Float32Array.from({ length: n }, (_, i) => Math.cos(i * 1e-2)),
    i8: Int8Array.from({ length: n }, (_, i) => (i % 256) - 128),
    u8: Uint8Array.from({ length: n }, (_, i) => i % 256),
    i16: Int16Array.from({ length: n }, (_, i) => (i * 7) % 65536),
    u16: Uint16Array.from({ length: n }, (_, i) => (i * 13) % 65536),
    i32: Int32Array.from({ length: n }, (_, i) => (i * 2_654_435_761) | 0),
    u32: Uint32Array.from({ length: n }, (_, i) => (i * 2_654_435_761) >>> 0),
    i64: BigInt64Array.from({ length: n }, (_, i) =>
      i % 3 === 0 ? 2n ** 62n + BigInt(i) : i % 3 === 1 ? -(2n ** 63n) + BigInt(i) : BigInt(i) * 2n ** 33n,
    ),
    u64: BigUint64Array.from({ length: n }, (_, i) => 2n ** 64n - 1n - BigInt(i)),
    clamped: Uint8ClampedArray.from({ length: n }, (_, i) => (i * 3) % 256),
    // Blosc cannot shrink these: stored as Blosc's uncompressed frames, which readers still decode.
    noise: Uint8Array.from({ length: n }, () => Math.floor(random() * 256)),
  };
}

const NUMPY_DTYPES: Record<string, string> = {
  f64: '<f8',
  f32: '<f4',
  i8: '|i1',
  u8: '|u1',
  i16: '<i2',
  u16: '<u2',
  i32: '<i4',
  u32: '<u4',
  i64: '<i8',
  u64: '<u8',
  clamped: '|u1',
  noise: '|u1',
};

/** 20 MiB + 3 elements of smooth doubles: several 4 MiB chunks and a short last one. */
function bigSmoothArray(): Float64Array {
  return Float64Array.from({ length: (20 << 17) + 3 }, (_, i) => Math.sin(i * 1e-5) * 1e3);
}

function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

describe('our files, read by h5py and h5dump bit-for-bit', () => {
  const n = 70_000; // several 64 KiB chunks per array, plus a partial one
  const arrays = arraysOfEveryKind(n);
  const names = Object.keys(arrays) as (keyof typeof arrays)[];
  let file: string;

  beforeAll(async () => {
    file = join(dir, 'ours.h5');
    const crate = new ObjectSerializer(file);
    for (const codec of PORTABLE_CODECS) {
      await crate.serialize(arrays, `/codecs/${codec}`, { codec, chunkBytes: 64 << 10 });
    }
    // A view into a larger buffer: h5wasm 0.8 wrote the whole backing buffer.
    const backing = Float64Array.from({ length: 10_000 }, (_, i) => i);
    await crate.serialize({ view: backing.subarray(100, 5100) }, '/view');
    // Large enough to be compressed on worker threads (>= 16 MiB), with a partial last chunk.
    await crate.serialize({ big: bigSmoothArray() }, '/big');
    await writeFile(join(dir, 'big.bin'), bytesOf(bigSmoothArray()));
    for (const name of names) await writeFile(join(dir, `${name}.bin`), bytesOf(arrays[name]));
  });

  it('h5py reads every array of every portable codec with the right dtype and identical bytes', async () => {
    const out = await python(
      `
import sys, json, h5py, numpy as np
file, ref_dir, names, codecs = sys.argv[1], sys.argv[2], sys.argv[3].split(','), sys.argv[4].split(',')
result = {}
with h5py.File(file, 'r') as f:
    for codec in codecs:
        g = f['/codecs/' + codec]
        tree = json.loads(g['structure'][()].tobytes())
        for name in names:
            ds = g[tree[name]['ds']]
            data = ds[()]
            ref = open(f'{ref_dir}/{name}.bin', 'rb').read()
            result[f'{codec}/{name}'] = [data.dtype.str, data.tobytes() == ref, [fl for fl in ds._filters]]
    view = f['/view']
    vt = json.loads(view['structure'][()].tobytes())
    v = view[vt['view']['ds']][()]
    result['view'] = [int(v[0]), int(v[-1]), len(v)]
    big = f['/big'][json.loads(f['/big/structure'][()].tobytes())['big']['ds']]
    result['big'] = [big.dtype.str, big[()].tobytes() == open(f'{ref_dir}/big.bin', 'rb').read(), [fl for fl in big._filters]]
    i64 = f['/codecs/blosc-lz4'][json.loads(f['/codecs/blosc-lz4/structure'][()].tobytes())['i64']['ds']]
    result['int64-first'] = str(int(i64[0]))
print(json.dumps(result))
`,
      file,
      dir,
      names.join(','),
      PORTABLE_CODECS.join(','),
    );
    const result = JSON.parse(out) as Record<string, [string, boolean, string[]]>;
    for (const codec of PORTABLE_CODECS) {
      for (const name of names) {
        const [dtype, equal, filters] = result[`${codec}/${name}`] as [string, boolean, string[]];
        expect(dtype, `${codec}/${name}`).toBe(NUMPY_DTYPES[name]);
        expect(equal, `${codec}/${name} bytes`).toBe(true);
        if (codec.startsWith('blosc')) expect(filters).toContain('32001');
        if (codec === 'gzip') expect(filters).toContain('gzip');
      }
    }
    // 2^62 survives (h5wasm 0.8 stored int64 with 32-bit precision: h5py read 0).
    expect(result['int64-first']).toBe(String(2n ** 62n));
    expect(result.view).toEqual([100, 5099, 5000]);
    expect(result.big).toEqual(['<f8', true, ['32001']]);
  });

  it('h5dump dumps every array of every portable codec to identical bytes', async () => {
    for (const codec of PORTABLE_CODECS) {
      for (const [index, name] of names.entries()) {
        const out = join(dir, `dump-${codec}-${name}.bin`);
        const dataset = `/codecs/${codec}/arrays/${index}`;
        await run(H5DUMP, ['-d', dataset, '-b', 'LE', '-o', out, file]);
        expect((await readFile(out)).equals(bytesOf(arrays[name])), `${dataset} (${name})`).toBe(true);
      }
    }
  });

  it('the shipped Python example reads our objects, classes and shared references included', async () => {
    const crateFile = join(dir, 'example.h5');
    const fit = new Fit(
      'example',
      Float64Array.from({ length: 50_000 }, (_, i) => i / 2),
    );
    const shared = new Trace(Float64Array.from({ length: 10 }, (_, i) => i));
    fit.traces = [shared, shared, new Trace(Float64Array.from({ length: 40_000 }, (_, i) => -i))];
    const crate = new ObjectSerializer(crateFile);
    await crate.serialize(fit, '/fits/example');
    await crate.serialize(
      { when: new Date(0), big: 2n ** 70n, nan: Number.NaN, tags: new Set(['a']) },
      '/meta',
    );

    const { stdout: listing } = await run(PYTHON, [EXAMPLE, crateFile]);
    expect(listing.trim().split('\n')).toEqual(['/fits/example', '/meta']);
    const { stdout: printed } = await run(PYTHON, [EXAMPLE, crateFile, '/fits/example']);
    const summary = JSON.parse(printed);
    expect(summary.class).toBe('interop/Fit');
    expect(summary.name).toBe('example');
    expect(summary.values).toBe('<float64 array, shape (50000,)>');
    expect(summary.traces[0].class).toBe('interop/Trace');

    const checked = await python(
      `
import sys, json
sys.path.insert(0, sys.argv[2])
from read_hpc_h5 import load
fit = load(sys.argv[1], '/fits/example')
meta = load(sys.argv[1], '/meta')
print(json.dumps({
  'type': fit.type_id, 'sum': float(fit['values'].sum()), 'shared': fit['traces'][0] is fit['traces'][1],
  'last': float(fit['traces'][2]['samples'][-1]), 'big': str(meta['big']), 'year': meta['when'].year, 'tags': meta['tags'],
}))
`,
      crateFile,
      dirname(EXAMPLE),
    );
    expect(JSON.parse(checked)).toEqual({
      type: 'interop/Fit',
      sum: fit.values.reduce((a, b) => a + b, 0),
      shared: true,
      last: -39_999,
      big: String(2n ** 70n),
      year: 1970,
      tags: ['a'],
    });
  });
  it('the shipped Python example verifies the checksums: a flipped chunk byte or structure byte is a ChecksumError', async () => {
    const crateFile = join(dir, 'example-crc.h5');
    const values = Float64Array.from({ length: 40_000 }, (_, i) => i + 0.5);
    // Uncompressed, so the bytes can be found; chunked (a dataset larger than a slice is).
    await new ObjectSerializer(crateFile, { sliceBytes: 64 << 10 }).serialize(
      { values, marker: 'distinctive' },
      '/obj',
      {
        codec: 'none',
        chunkBytes: 64 << 10,
      },
    );
    const good = await readFile(crateFile);
    const flipped = async (marker: Buffer, name: string) => {
      const bytes = Buffer.from(good);
      const at = bytes.indexOf(marker);
      bytes[at] = (bytes[at] as number) ^ 0x01;
      const file = join(dir, name);
      await writeFile(file, bytes);
      return run(PYTHON, [EXAMPLE, file, '/obj']).then(
        () => 'loaded',
        (error: { stderr: string }) => error.stderr,
      );
    };
    // Element 20,000 sits in chunk 2 (8192 doubles per 64 KiB chunk).
    const chunk = await flipped(Buffer.from(Float64Array.of(20_000.5).buffer), 'example-chunk.h5');
    expect(chunk).toContain('ChecksumError');
    expect(chunk).toContain('chunk 2 of /obj/arrays/0');
    const structure = await flipped(Buffer.from('distinctive'), 'example-structure.h5');
    expect(structure).toContain('ChecksumError');
    expect(structure).toContain('the structure');
    const { stdout } = await run(PYTHON, [EXAMPLE, crateFile, '/obj']);
    expect(JSON.parse(stdout).marker).toBe('distinctive');
  });
});

describe('files written by h5py load through our reader', () => {
  const n = 100_000;
  const variants = {
    'blosc-lz4': 'dict(compression=32001, compression_opts=(0, 0, 0, 0, 5, 1, 1))',
    'blosc-zstd': 'dict(compression=32001, compression_opts=(0, 0, 0, 0, 3, 2, 5))',
    'blosc-lz4hc': 'dict(compression=32001, compression_opts=(0, 0, 0, 0, 5, 1, 2))',
    gzip: "dict(compression='gzip', compression_opts=4)",
    'shuffle-gzip': "dict(compression='gzip', shuffle=True)",
    plain: 'dict()',
    contiguous: 'None',
  } as const;
  let file: string;

  beforeAll(async () => {
    file = join(dir, 'from-h5py.h5');
    await python(
      `
import sys, json, zlib, h5py, numpy as np
file, ref_dir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
variants = {${Object.entries(variants)
        .map(([k, v]) => `'${k}': ${v}`)
        .join(', ')}}
data = np.sin(np.arange(n) * 1e-3) * 1000 + np.random.default_rng(1).random(n) * 1e-3
ints = (np.arange(n, dtype='<i8') - n // 2) * (2 ** 40)
data.astype('<f8').tofile(f'{ref_dir}/py-f64.bin'); ints.tofile(f'{ref_dir}/py-i64.bin')
def crcs(arr, unit):  # layout version 2: the CRC-32 of each chunk's little-endian bytes
    raw = arr.astype(arr.dtype.newbyteorder('<')).view('u1')
    step = unit * arr.dtype.itemsize
    return np.array([zlib.crc32(raw[i:i + step]) for i in range(0, raw.size, step)], dtype='<u4')
with h5py.File(file, 'w') as f:
    def put(path, kw, codec_label):
        g = f.create_group(path)
        g.attrs['hpc_format_version'] = np.int32(2)
        g.attrs['hpc_types'] = '[]'
        for name, arr in (('arrays/0', data), ('arrays/1', ints)):
            if kw is None: g.create_dataset(name, data=arr)
            else: g.create_dataset(name, data=arr, chunks=(16384,), **kw)
            g[name].attrs['hpc_crc32'] = crcs(arr, n if kw is None else 16384)
        tree = {'codec': codec_label, 'data': {'$': 'ta', 't': 'Float64Array', 'n': n, 'ds': 'arrays/0'},
                'ints': {'$': 'ta', 't': 'BigInt64Array', 'n': n, 'ds': 'arrays/1'}, 'nested': {'list': [1, 'two', None]}}
        text = json.dumps(tree).encode()
        g.create_dataset('structure', data=np.frombuffer(text, dtype='u1'))
        g.attrs['hpc_structure_crc32'] = np.uint32(zlib.crc32(text))
    for label, kw in variants.items():
        put('/py/' + label, kw, label)
    put('/py-bad/blosc-zlib', dict(compression=32001, compression_opts=(0, 0, 0, 0, 5, 1, 4)), 'blosc-zlib')
`,
      file,
      dir,
      String(n),
    );
  });

  it('Blosc (lz4, zstd, lz4hc), gzip, shuffle+gzip, chunked and contiguous plain datasets load bit-for-bit', async () => {
    const crate = new ObjectSerializer(file);
    const f64 = await readFile(join(dir, 'py-f64.bin'));
    const i64 = await readFile(join(dir, 'py-i64.bin'));
    expect(await crate.list()).toEqual([
      ...Object.keys(variants)
        .map((k) => `/py/${k}`)
        .sort(),
      '/py-bad/blosc-zlib',
    ]);
    for (const label of Object.keys(variants)) {
      const value = await crate.load<{
        codec: string;
        data: Float64Array;
        ints: BigInt64Array;
        nested: unknown;
      }>(`/py/${label}`);
      expect(value.codec).toBe(label);
      expect(bytesOf(value.data).equals(f64), label).toBe(true);
      expect(bytesOf(value.ints).equals(i64), label).toBe(true);
      expect(value.nested).toEqual({ list: [1, 'two', null] });
      const part = await crate.readArray(`/py/${label}`, 'ints', { start: 50_000, count: 3 });
      expect([...part]).toEqual([0n, 2n ** 40n, 2n ** 41n]);
    }
  });

  it('delete rewrites an h5py-written file keeping the other objects readable by us and by h5py', async () => {
    const copy = join(dir, 'from-h5py-copy.h5');
    await copyFile(file, copy);
    const crate = new ObjectSerializer(copy);
    // The zlib dataset cannot be read, so removing any other object (which copies it) is refused.
    const before = await readFile(copy);
    const refused = await crate.delete('/py/plain').catch((e: unknown) => e);
    expect(isHpcError(refused) && refused._tag).toBe('CannotRewriteError');
    expect((await readFile(copy)).equals(before)).toBe(true);
    // Removing the unreadable object itself works; everything else survives the rewrite.
    expect(await crate.delete('/py-bad/blosc-zlib')).toBe(true);
    expect(await crate.delete('/py/contiguous')).toBe(true);
    const f64 = await readFile(join(dir, 'py-f64.bin'));
    const remaining = Object.keys(variants).filter((k) => k !== 'contiguous');
    expect(await crate.list()).toEqual(remaining.map((k) => `/py/${k}`).sort());
    for (const label of remaining) {
      const value = await crate.load<{ data: Float64Array }>(`/py/${label}`);
      expect(bytesOf(value.data).equals(f64), label).toBe(true);
    }
    const out = await python(
      `
import sys, json, h5py, numpy as np
ref = np.fromfile(sys.argv[2], dtype='<f8')
with h5py.File(sys.argv[1], 'r') as f:
    print(json.dumps({k: bool(np.array_equal(f['/py/' + k + '/arrays/0'][()], ref)) for k in f['/py']}))
`,
      copy,
      join(dir, 'py-f64.bin'),
    );
    expect(JSON.parse(out)).toEqual(Object.fromEntries(remaining.map((k) => [k, true])));
  });

  it('Blosc with the zlib codec is refused with a typed error instead of aborting the wasm module', async () => {
    const crate = new ObjectSerializer(file);
    const error = await crate.load('/py-bad/blosc-zlib').catch((e: unknown) => e);
    expect(isHpcError(error) && error._tag).toBe('UnsupportedCodecError');
    expect((error as Error).message).toContain('zlib');
    // The library is still alive.
    expect((await crate.load<{ codec: string }>('/py/plain')).codec).toBe('plain');
  });
});
