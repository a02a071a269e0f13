#!/usr/bin/env node
// A Float64Array larger than h5wasm's 2 GiB wasm heap, through ObjectSerializer, with peak memory.
//
//   source scripts/env.sh && hpc_use_toolchain && pnpm turbo run build
//   node benchmarks/hdf5-big-array.mjs [--gib 3] [--dir /tmp]
//
// Writes and reads in separate fresh processes so each peak RSS (getrusage maxrss) is its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(join(root, 'packages/serializer/dist/index.js')).href;
const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg.startsWith('--')) args[arg.slice(2)] = process.argv[++i];
}

if (args.child) {
  const { ObjectSerializer } = await import(dist);
  const n = Number(args.n);
  const crate = new ObjectSerializer(args.file, { durable: false });
  const started = performance.now();
  if (args.child === 'write') {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.sin(i * 1e-5) * 1000 + (i % 1000) * 1e-6;
    const t = performance.now();
    await crate.serialize({ name: 'big', values }, '/big');
    report(performance.now() - t);
  } else {
    const { values } = await crate.load('/big');
    const elapsed = performance.now() - started;
    let bad = values.length === n ? 0 : 1;
    for (let i = 0; i < n; i += 4099) if (values[i] !== Math.sin(i * 1e-5) * 1000 + (i % 1000) * 1e-6) bad++;
    if (values[n - 1] !== Math.sin((n - 1) * 1e-5) * 1000 + ((n - 1) % 1000) * 1e-6) bad++;
    if (bad) throw new Error(`${bad} values differ`);
    report(elapsed);
  }
  function report(ms) {
    console.log(JSON.stringify({ ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
  }
} else {
  const gib = Number(args.gib ?? 3);
  const n = Math.floor((gib * 2 ** 30) / 8);
  const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'hpc-h5-big-'));
  const file = join(dir, 'big.h5');
  const run = (mode) => {
    const result = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', mode, '--n', String(n), '--file', file],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    if (result.status !== 0) throw new Error(`${mode} failed: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  try {
    const write = run('write');
    const size = statSync(file).size;
    const read = run('read');
    const bytes = n * 8;
    const gb = (x) => (x / 2 ** 30).toFixed(2);
    console.log(`| ${gib} GiB Float64Array (smooth), blosc-lz4 | MiB/s | peak RSS GiB | peak RSS ÷ array |`);
    console.log('|---|---|---|---|');
    console.log(
      `| serialize (fresh process; includes the array itself) | ${Math.round(bytes / 2 ** 20 / (write.ms / 1000))} | ${gb(write.maxRssBytes)} | ${(write.maxRssBytes / bytes).toFixed(2)}× |`,
    );
    console.log(
      `| load (fresh process) | ${Math.round(bytes / 2 ** 20 / (read.ms / 1000))} | ${gb(read.maxRssBytes)} | ${(read.maxRssBytes / bytes).toFixed(2)}× |`,
    );
    console.log(`\nfile ${gb(size)} GiB (ratio ${(bytes / size).toFixed(2)}); ${new Date().toISOString()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
