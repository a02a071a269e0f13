#!/usr/bin/env node
// ObjectSerializer (h5wasm + Blosc) against v8.serialize and Debian's native h5py + Blosc.
//
//   source scripts/env.sh && hpc_use_toolchain && pnpm turbo run build
//   node --expose-gc benchmarks/hdf5-serializer.bench.mjs [--mib 256] [--reps 3] [--dir /tmp]
//
// Prints one Markdown table. Medians of --reps runs after one uncounted warm-up (ours and h5py
// alike). The checksum row runs the default again with the CRC-32s switched off through an
// internal switch (HPC_SERIALIZER_BENCHMARK_NO_CHECKSUMS=1, set around that row only: never
// for real use, the files it writes do not load with checksums on). Writes are not fsynced (durable: false), like h5py and v8-to-file; reads come from the
// page cache. Needs the built package (dist, with the
// hdf5-read-worker entry) and /usr/bin/python3 with h5py + the Debian Blosc plugin.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'packages/serializer/dist/index.js');
const { ObjectSerializer } = await import(pathToFileURL(dist).href);

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg.startsWith('--')) args[arg.slice(2)] = process.argv[++i];
}
const MIB = Number(args.mib ?? 256);
const REPS = Number(args.reps ?? 3);
const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'hpc-h5-bench-'));
const PYTHON = '/usr/bin/python3';
const CHUNK_BYTES = 4 << 20;
/** Runs of the 10,000-small-objects case (each a few milliseconds). */
const SMALL_REPS = 21;
const gc = globalThis.gc ?? (() => {});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mibs = (bytes, ms) => Math.round(bytes / 2 ** 20 / (ms / 1000));

function data(kind, n) {
  const out = new Float64Array(n);
  let s = 2463534242;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    if (kind === 'smooth') out[i] = Math.sin(i * 1e-5) * 1000 + (next() - 0.5) * 1e-3;
    else if (kind === 'arange') out[i] = i;
    else out[i] = next() + next() / 2 ** 32; // uniform [0, 1) with 53 random bits
  }
  return out;
}

async function time(fn) {
  gc();
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function measure(write, read, file, bytes, check) {
  // One warm-up write and read, not counted (as for h5py below).
  rmSync(file, { force: true });
  await time(write);
  await time(read);
  const w = [];
  const r = [];
  for (let rep = 0; rep < REPS; rep++) {
    rmSync(file, { force: true });
    w.push(await time(write));
    let back;
    r.push(
      await time(async () => {
        back = await read();
      }),
    );
    if (rep === 0) check(back);
  }
  return { write: mibs(bytes, median(w)), read: mibs(bytes, median(r)), ratio: bytes / statSync(file).size };
}

function sameBits(a, b) {
  if (
    !Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    )
  )
    throw new Error('round trip differs');
}

const PY_BENCH = `
import sys, time, json, os, statistics, h5py, numpy as np
raw, out, reps, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
a = np.fromfile(raw, dtype='<f8')
w, r = [], []
for rep in range(reps + 1):  # the first is a warm-up, not counted
    if os.path.exists(out): os.remove(out)
    t = time.perf_counter()
    with h5py.File(out, 'w') as f:
        f.create_dataset('x', data=a, chunks=(chunk,), compression=32001, compression_opts=(0, 0, 0, 0, 5, 1, 1))
    written = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    with h5py.File(out, 'r') as f:
        b = f['x'][()]
    if rep > 0:
        w.append(written)
        r.append((time.perf_counter() - t) * 1000)
    assert np.array_equal(a.view('u8'), b.view('u8'))
print(json.dumps({'write': statistics.median(w), 'read': statistics.median(r), 'size': os.path.getsize(out)}))
`;

const KINDS = ['smooth', 'arange', 'random'];
const DEFAULT_METHOD = `ours blosc-lz4 (default; read: ${Math.min(4, availableParallelism())} threads)`;
const NO_CHECKSUMS = 'ours blosc-lz4 (default), checksums off';
const CHECKSUM_SWITCH = 'HPC_SERIALIZER_BENCHMARK_NO_CHECKSUMS';
const METHODS = [
  { name: 'ours blosc-lz4 (default; read: 1 thread)', codec: 'blosc-lz4', readThreads: 1 },
  { name: DEFAULT_METHOD, codec: 'blosc-lz4' },
  { name: NO_CHECKSUMS, codec: 'blosc-lz4', checksumsOff: true },
  { name: 'ours blosc-zstd level 1', codec: 'blosc-zstd' },
  { name: 'ours blosc2-lz4 (not readable by Debian 12)', codec: 'blosc2-lz4' },
  { name: 'ours gzip level 1', codec: 'gzip', level: 1 },
  { name: 'ours none', codec: 'none' },
];

const n = (MIB * 2 ** 20) / 8;
const bytes = n * 8;
const rows = new Map();
const put = (method, kind, cell) => {
  if (!rows.has(method)) rows.set(method, {});
  rows.get(method)[kind] = cell;
};

// The first calls in a process also grow the wasm heaps, start the worker threads and fault in
// fresh memory: reported on their own row, then three more rounds before anything is measured.
const firstCalls = {};
{
  const array = data('smooth', n);
  const file = join(dir, 'first.h5');
  const crate = new ObjectSerializer(file, { durable: false });
  for (let round = 0; round < 4; round++) {
    rmSync(file, { force: true });
    const write = await time(() => crate.serialize({ data: array }, '/x'));
    const read = await time(() => crate.load('/x'));
    if (round === 0) Object.assign(firstCalls, { write: mibs(bytes, write), read: mibs(bytes, read) });
  }
  rmSync(file, { force: true });
}

for (const kind of KINDS) {
  const array = data(kind, n);
  const file = join(dir, `${kind}.h5`);
  for (const method of METHODS) {
    const options = {
      codec: method.codec,
      ...(method.level === undefined ? {} : { level: method.level }),
      chunkBytes: CHUNK_BYTES,
    };
    const writer = new ObjectSerializer(file, { durable: false });
    const reader = new ObjectSerializer(file, {
      durable: false,
      ...(method.readThreads ? { readThreads: method.readThreads } : {}),
    });
    if (method.checksumsOff) process.env[CHECKSUM_SWITCH] = '1';
    const result = await measure(
      () => writer.serialize({ data: array }, '/x', options),
      () => reader.load('/x'),
      file,
      bytes,
      (back) => sameBits(back.data, array),
    );
    delete process.env[CHECKSUM_SWITCH];
    put(method.name, kind, result);
    process.stderr.write(`${kind} ${method.name}: ${JSON.stringify(result)}\n`);
  }
  const v8file = join(dir, `${kind}.v8`);
  const v8result = await measure(
    () => writeFileSync(v8file, v8.serialize(array)),
    () => v8.deserialize(readFileSync(v8file)),
    v8file,
    bytes,
    (back) => sameBits(back, array),
  );
  put('v8.serialize → file', kind, v8result);

  // Debian's native h5py + Blosc lz4 (c5, byte shuffle), same data, same 4 MiB chunks.
  const raw = join(dir, `${kind}.raw`);
  writeFileSync(raw, Buffer.from(array.buffer));
  const py = execFileSync(
    PYTHON,
    ['-c', PY_BENCH, raw, join(dir, `${kind}-py.h5`), String(REPS), String(CHUNK_BYTES / 8)],
    { encoding: 'utf8' },
  );
  const { write, read, size } = JSON.parse(py);
  put('h5py 3.7 + native Blosc lz4 c5 shuffle (Debian)', kind, {
    write: mibs(bytes, write),
    read: mibs(bytes, read),
    ratio: bytes / size,
  });
  rmSync(raw);
  process.stderr.write(`${kind} h5py: ${py}`);
}

// 10,000 small objects {id, name, tags, score}: one ObjectSerializer object vs JSON vs one HDF5 group each.
const records = Array.from({ length: 10_000 }, (_, i) => ({
  id: i,
  name: `record-${i}-${'x'.repeat(i % 17)}`,
  tags: Array.from({ length: i % 7 }, (_, k) => `tag${k}`),
  score: i / 7,
}));
const small = {};
{
  // Ours and JSON alternate, 21 times each after a warm-up: these runs take milliseconds, so a
  // busy moment of the machine would otherwise land on one side only.
  const file = join(dir, 'small.h5');
  const jsonFile = join(dir, 'small.json');
  const crate = new ObjectSerializer(file, { durable: false });
  const ours = { w: [], r: [] };
  const json = { w: [], r: [] };
  for (let rep = 0; rep <= SMALL_REPS; rep++) {
    rmSync(file, { force: true });
    const ourWrite = await time(() => crate.serialize(records, '/records'));
    let back;
    const ourRead = await time(async () => {
      back = await crate.load('/records');
    });
    if (JSON.stringify(back) !== JSON.stringify(records)) throw new Error('small objects differ');
    const jsonWrite = await time(() => writeFileSync(jsonFile, JSON.stringify(records)));
    const jsonRead = await time(() => JSON.parse(readFileSync(jsonFile, 'utf8')));
    if (rep === 0) continue; // the warm-up
    ours.w.push(ourWrite);
    ours.r.push(ourRead);
    json.w.push(jsonWrite);
    json.r.push(jsonRead);
  }
  small.ours = { write: median(ours.w), read: median(ours.r), size: statSync(file).size };
  small.json = { write: median(json.w), read: median(json.r), size: statSync(jsonFile).size };
}
{
  // One group per object with 4 attributes, through h5wasm directly: the layout we avoid. An
  // instance of its own (another URL): ObjectSerializer's instances open only their own files.
  const { default: h5 } = await import(
    `${pathToFileURL(join(root, 'packages/serializer/node_modules/h5wasm/dist/node/hdf5_hl.js')).href}?instance=bench`
  );
  await h5.ready;
  const file = join(dir, 'small-groups.h5');
  const w = [];
  const r = [];
  for (let rep = 0; rep < REPS; rep++) {
    rmSync(file, { force: true });
    w.push(
      await time(() => {
        const f = new h5.File(file, 'w', { libver: ['v108', 'v110'] });
        try {
          for (const record of records) {
            const g = f.create_group(`r${record.id}`);
            g.create_attribute('id', record.id, null, '<q');
            g.create_attribute('name', record.name);
            if (record.tags.length) g.create_attribute('tags', record.tags);
            g.create_attribute('score', record.score, null, '<d');
          }
        } finally {
          f.close();
        }
      }),
    );
    r.push(
      await time(() => {
        const f = new h5.File(file, 'r');
        try {
          const out = [];
          for (const name of f.keys()) {
            const attrs = f.get(name).attrs;
            out.push({
              id: attrs.id.value,
              name: attrs.name.value,
              tags: attrs.tags?.value ?? [],
              score: attrs.score.value,
            });
          }
          return out;
        } finally {
          f.close();
        }
      }),
    );
  }
  small.groups = { write: median(w), read: median(r), size: statSync(file).size };
}

// Cold load of a small object in a fresh process (wall time of the whole process).
const coldFile = join(dir, 'cold.h5');
await new ObjectSerializer(coldFile, { durable: false }).serialize(
  { name: 'small', values: Float64Array.from({ length: 100_000 }, (_, i) => i), tags: ['a'] },
  '/task',
);
const coldScript = `const { ObjectSerializer } = await import(${JSON.stringify(pathToFileURL(dist).href)}); const v = await new ObjectSerializer(${JSON.stringify(coldFile)}).load('/task'); if (v.values.length !== 100000) process.exit(1);`;
const wall = (argv) => {
  const t = performance.now();
  const result = spawnSync(process.execPath, argv, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`cold run failed: ${argv.join(' ')}`);
  return performance.now() - t;
};
const cold = [];
const bare = [];
for (let rep = 0; rep < 11; rep++) {
  bare.push(wall(['-e', '0']));
  cold.push(wall(['--input-type=module', '-e', coldScript]));
}

// The table.
const cell = (c) =>
  c ? `${c.write} / ${c.read} (${c.ratio >= 10 ? c.ratio.toFixed(0) : c.ratio.toFixed(2)})` : '';
const lines = [];
lines.push(`| ${MIB} MiB Float64Array: write / read MiB/s (compression ratio) | ${KINDS.join(' | ')} |`);
lines.push(`|---|${KINDS.map(() => '---').join('|')}|`);
for (const [method, cells] of rows)
  lines.push(`| ${method} | ${KINDS.map((k) => cell(cells[k])).join(' | ')} |`);
const h5py = rows.get('h5py 3.7 + native Blosc lz4 c5 shuffle (Debian)');
for (const method of [...rows.keys()].filter((m) => m.startsWith('ours blosc-lz4') && m !== NO_CHECKSUMS)) {
  const ours = rows.get(method);
  lines.push(
    `| ${method.replace('ours ', '')} ÷ h5py | ${KINDS.map((k) => `${(ours[k].write / h5py[k].write).toFixed(2)}× / ${(ours[k].read / h5py[k].read).toFixed(2)}× (ratio ${(ours[k].ratio / h5py[k].ratio).toFixed(3)}×)`).join(' | ')} |`,
  );
}
{
  const on = rows.get(DEFAULT_METHOD);
  const off = rows.get(NO_CHECKSUMS);
  lines.push(
    `| checksum cost: default with CRC-32s ÷ without (write / read) | ${KINDS.map((k) => `${(on[k].write / off[k].write).toFixed(2)}× / ${(on[k].read / off[k].read).toFixed(2)}×`).join(' | ')} |`,
  );
}
const ms = (x) => x.toFixed(1);
lines.push(
  `| **10,000 small objects**: write ms / read ms (file KiB), medians of ${SMALL_REPS}, ours and JSON alternating | | | |`,
);
lines.push(
  `| ours (one object, tagged JSON) | ${ms(small.ours.write)} / ${ms(small.ours.read)} (${Math.round(small.ours.size / 1024)}) | ${(small.ours.write / small.json.write).toFixed(2)}× / ${(small.ours.read / small.json.read).toFixed(2)}× JSON | |`,
);
lines.push(
  `| JSON.stringify → file | ${ms(small.json.write)} / ${ms(small.json.read)} (${Math.round(small.json.size / 1024)}) | | |`,
);
lines.push(
  `| h5wasm, one group + 4 attributes per object | ${ms(small.groups.write)} / ${ms(small.groups.read)} (${Math.round(small.groups.size / 1024)}) | ${(small.groups.write / small.ours.write).toFixed(0)}× / ${(small.groups.read / small.ours.read).toFixed(0)}× ours | |`,
);
lines.push(
  `| **first** serialize / load in the process (smooth, default; not in the medians above) | ${firstCalls.write} / ${firstCalls.read} MiB/s | | |`,
);
lines.push(
  `| **cold load** of a small object, fresh process (median of 11) | ${Math.round(median(cold))} ms | node -e 0: ${Math.round(median(bare))} ms | |`,
);
console.log(lines.join('\n'));
console.log(
  `\n${new Date().toISOString()}, Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} at the end; medians of ${REPS} after one warm-up each`,
);
rmSync(dir, { recursive: true, force: true });
