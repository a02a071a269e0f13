// Serializer vs JSON.stringify + fs.writeFile vs v8.serialize + fs.writeFile, and node-runner start-up.
//   node --expose-gc benchmarks/serializer.bench.mjs      (after a build)
// (a) a Process holding a 256 MiB Float64Array, (b) 10,000 small nested objects; one warm-up, then
// the median of 5 (a) or 21 (b) runs. The Serializer's times include its CRC-32s (written and
// verified on every read); the "CRC-32 alone" row is zlib.crc32 over the same bytes, what the
// checksums would cost as a separate pass (the Serializer computes them during the I/O instead).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { crc32 } from 'node:zlib';
import { Process, registerProcess } from '@hpc/process';
import { nodeRunnerPath } from '@hpc/runner';
import { Serializer } from '@hpc/serializer';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Millisecond-scale timings need more samples for a stable median. */
const SMALL_RUNS = 21;
const MIB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'hpc-bench-'));

class ArrayHolder extends Process {
  constructor(name = '', values = new Float64Array(0)) {
    super();
    this.name = name;
    this.values = values;
  }
  run() {
    return this.values.length;
  }
}
registerProcess(ArrayHolder, { id: 'bench/ArrayHolder' });

function bigProcess() {
  const values = new Float64Array((256 * MIB) / 8);
  let seed = 1;
  for (let i = 0; i < values.length; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    values[i] = Math.sin(i * 1e-5) * 1000 + ((seed >>> 0) / 2 ** 32 - 0.5) * 1e-3;
  }
  return new ArrayHolder('smooth', values);
}

function smallObjects() {
  return Array.from({ length: 10_000 }, (_, i) => ({
    id: i,
    name: `object-${i}`,
    tags: Array.from({ length: i % 7 }, (_, t) => `tag${t}`),
    score: i / 7,
    nested: { ok: i % 2 === 0, at: [i, i + 1] },
  }));
}

const methods = {
  'Serializer (atomic, fsync)': {
    write: (value, file) => Serializer.serializeToFile(value, file),
    read: (file) => Serializer.deserializeFromFile(file),
  },
  'Serializer (atomic, no fsync)': {
    write: (value, file) => Serializer.serializeToFile(value, file, { durable: false }),
    read: (file) => Serializer.deserializeFromFile(file),
  },
  'v8.serialize + fs.writeFile': {
    write: (value, file) => writeFile(file, v8.serialize(value)),
    read: async (file) => v8.deserialize(await readFile(file)),
  },
  'JSON.stringify + fs.writeFile': {
    write: (value, file) =>
      writeFile(
        file,
        JSON.stringify(value, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)),
      ),
    read: async (file) => JSON.parse(await readFile(file, 'utf8')),
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(label, value, bytes) {
  return measureWith(methods, label, value, bytes);
}

async function measureWith(methodSet, label, value, bytes) {
  const rows = [];
  for (const [name, method] of Object.entries(methodSet)) {
    const file = join(dir, `${label}-${name.replace(/\W+/g, '_')}`);
    const writes = [];
    const reads = [];
    let failure;
    // Large data: collect garbage before each timed step so one method's leftovers do not land on
    // the next. Not for small data: forced full GCs flush compiled code and penalize JS-heavy paths.
    const collect = bytes >= 64 * MIB;
    // One untimed warm-up per method (JIT, page cache), the same for every method.
    await Promise.resolve()
      .then(() => method.write(value, file))
      .then(() => method.read(file))
      .catch(() => {});
    const runs = collect ? RUNS : SMALL_RUNS;
    for (let run = 0; run < runs && !failure; run++) {
      try {
        if (collect) globalThis.gc?.();
        let t = performance.now();
        await method.write(value, file);
        writes.push(performance.now() - t);
        if (collect) globalThis.gc?.();
        t = performance.now();
        await method.read(file);
        reads.push(performance.now() - t);
      } catch (error) {
        failure = `${error.name}: ${error.message}`.slice(0, 60);
      }
    }
    if (failure) {
      rows.push({ data: label, method: name, write: `fails: ${failure}`, read: '', size: '', wms: NaN });
      continue;
    }
    const size = statSync(file).size;
    const w = median(writes);
    const r = median(reads);
    rows.push({
      data: label,
      method: name,
      write: `${(bytes / MIB / (w / 1000)).toFixed(0)} MB/s (${w.toFixed(1)} ms)`,
      read: `${(bytes / MIB / (r / 1000)).toFixed(0)} MB/s (${r.toFixed(1)} ms)`,
      size: `${(size / MIB).toFixed(2)} MiB`,
      wms: w,
      rms: r,
    });
    rmSync(file, { force: true });
  }
  return rows;
}

/** zlib.crc32 over `bytes` in the Serializer's 8 MiB pieces: the checksum cost as its own row. */
function crcRow(label, bytes, size) {
  const piece = 8 * MIB;
  const times = [];
  for (let run = 0; run <= (size >= 64 * MIB ? RUNS : SMALL_RUNS); run++) {
    const t = performance.now();
    let crc = 0;
    for (let offset = 0; offset < bytes.byteLength; offset += piece)
      crc = crc32(bytes.subarray(offset, offset + piece), crc);
    if (run > 0) times.push(performance.now() - t); // run 0 is the warm-up
  }
  const ms = median(times);
  const cell = `${(size / MIB / (ms / 1000)).toFixed(0)} MB/s (${ms.toFixed(1)} ms)`;
  return {
    data: label,
    method: 'CRC-32 alone (zlib.crc32, same bytes)',
    write: cell,
    read: cell,
    size: '',
    wms: ms,
    rms: ms,
  };
}

/** Spawn → exit (outcome written) of node-runner for a trivial Process, from a .mjs and a .ts user module. */
function runnerStartup() {
  const results = {};
  const modules = {
    'user module .mjs': ['trivial.mjs', 'export class Trivial extends Process { run() { return 1; } }'],
    'user module .ts': [
      'trivial.ts',
      'export class Trivial extends Process { constructor(public n: number = 1) { super(); } run(): number { return this.n; } }',
    ],
  };
  for (const [label, [name, body]] of Object.entries(modules)) {
    const jobDir = join(dir, `runner-${name}`);
    mkdirSync(jobDir, { recursive: true });
    const module = join(jobDir, name);
    writeFileSync(
      module,
      `import { Process, registerProcess } from '@hpc/process';\n${body}\nregisterProcess(Trivial, { id: 'bench/Trivial', module: import.meta.url });\n`,
    );
    const crate = join(jobDir, 'process.bin');
    // The crate is written by a runner-like process that has the class registered (not this one).
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
      import { registerProcess, Process } from '@hpc/process';
      import { Serializer } from '@hpc/serializer';
      class Trivial extends Process { run() { return 1; } }
      registerProcess(Trivial, { id: 'bench/Trivial' });
      await Serializer.serializeToFile(new Trivial(), ${JSON.stringify(crate)});
    `,
      ],
      { cwd: new URL('..', import.meta.url), stdio: 'inherit' },
    );
    const times = [];
    for (let i = 0; i < 11; i++) {
      rmSync(join(jobDir, 'outcome.json'), { force: true });
      const t = performance.now();
      execFileSync(process.execPath, [nodeRunnerPath, '--import', module, crate]);
      times.push(performance.now() - t);
      if (JSON.parse(readFileSync(join(jobDir, 'outcome.json'), 'utf8')).status !== 'ok')
        throw new Error('runner failed');
    }
    results[label] = median(times);
  }
  const bare = [];
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    bare.push(performance.now() - t);
  }
  results['bare `node -e 0`'] = median(bare);
  return results;
}

/** JSON cannot hold 256 MiB of doubles in one string; measure its throughput on a 32 MiB slice instead. */
async function jsonOnSlice(big) {
  const slice = new ArrayHolder('slice', big.values.subarray(0, (32 * MIB) / 8));
  const [row] = await measureWith(
    { 'JSON.stringify + fs.writeFile': methods['JSON.stringify + fs.writeFile'] },
    '(a) 32 MiB slice',
    slice,
    32 * MIB,
  );
  return row;
}

const big = bigProcess();
const rows = [...(await measure('(a) 256 MiB Float64Array', big, 256 * MIB))];
rows.push(crcRow('(a) 256 MiB Float64Array', new Uint8Array(big.values.buffer), 256 * MIB));
const jsonBig = rows.find((row) => row.data.startsWith('(a)') && row.method.startsWith('JSON'));
if (!Number.isFinite(jsonBig.wms)) {
  const slice = await jsonOnSlice(big);
  rows.push(slice);
  // Scale the slice's time to 256 MiB for the ratio (JSON's cost is linear in the data).
  jsonBig.wms = slice.wms * 8;
  jsonBig.rms = slice.rms * 8;
}
const small = smallObjects();
const smallBytes = v8.serialize(small).byteLength;
rows.push(...(await measure('(b) 10,000 small objects', small, smallBytes)));
rows.push(crcRow('(b) 10,000 small objects', v8.serialize(small), smallBytes));

console.log(
  `\nSerializer benchmark — median of ${RUNS} (a) / ${SMALL_RUNS} (b) runs, Node ${process.version}, files in ${tmpdir()}`,
);
console.log('| data | method | write | read | file size |');
console.log('|---|---|---|---|---|');
for (const row of rows)
  console.log(`| ${row.data} | ${row.method} | ${row.write} | ${row.read} | ${row.size} |`);
console.log('\nRatios (time vs plain v8.serialize; goal ≤ 1.2×) and vs JSON (goal ≥ 10× faster on (a)):');
for (const data of ['(a) 256 MiB Float64Array', '(b) 10,000 small objects']) {
  const of = (name) => rows.find((row) => row.data === data && row.method === name);
  const v8row = of('v8.serialize + fs.writeFile');
  const json = of('JSON.stringify + fs.writeFile');
  for (const name of ['Serializer (atomic, fsync)', 'Serializer (atomic, no fsync)']) {
    const ours = of(name);
    const vsJson =
      json && Number.isFinite(json.wms)
        ? `${(json.wms / ours.wms).toFixed(1)}× / ${(json.rms / ours.rms).toFixed(1)}× faster than JSON`
        : 'JSON failed';
    console.log(
      `  ${data}, ${name}: write ${(ours.wms / v8row.wms).toFixed(2)}×, read ${(ours.rms / v8row.rms).toFixed(2)}× of v8; ${vsJson}`,
    );
  }
  const crc = of('CRC-32 alone (zlib.crc32, same bytes)');
  const ours = of('Serializer (atomic, no fsync)');
  console.log(
    `  ${data}, checksums as a separate pass would cost ${((100 * crc.wms) / ours.wms).toFixed(0)}% of the write and ${((100 * crc.rms) / ours.rms).toFixed(0)}% of the read (no fsync)`,
  );
}
console.log('  (JSON on (a) is the 32 MiB slice time ×8: one JSON string cannot hold 256 MiB of doubles)');
console.log(
  '\nnode-runner, trivial process, spawn → exit with outcome written (median of 11; goal < 150 ms):',
);
for (const [label, ms] of Object.entries(runnerStartup())) console.log(`  ${label}: ${ms.toFixed(0)} ms`);
rmSync(dir, { recursive: true, force: true });
writeFileSync(1, '');
