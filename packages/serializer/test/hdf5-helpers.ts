import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isHpcError } from '@hpc/core';
import { type H5File, type H5Wasm, loadH5Runtime } from '../src/hdf5/h5wasm-runtime.ts';

/** The package's source entry, importable from a child script anywhere on disk. */
export const SERIALIZER_ENTRY = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), '../src/index.ts'),
).href;

/** Node flags that let a child run the workspace's TypeScript sources directly. */
export const NODE_SOURCE_FLAGS = [
  '--conditions=@hpc/source',
  '--experimental-transform-types',
  '--no-warnings',
];

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs an ES module given as text in a fresh Node process. */
export function runNodeScript(
  source: string,
  options: { env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_SOURCE_FLAGS, '--input-type=module', '-e', source], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = captureOutput(child);
    child.on('error', reject);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.on('close', (code, signal) => resolve({ code, signal, ...output }));
  });
}

/**
 * Opens a file in the package's reading h5wasm instance, as a test looks at (or crafts) files
 * outside ObjectSerializer: its guard lets the instance open only the files it is told about.
 */
export async function withRawFile<T>(
  file: string,
  mode: 'r' | 'w' | 'a',
  use: (opened: H5File, h5: H5Wasm) => T,
): Promise<T> {
  const { h5, guard } = await loadH5Runtime();
  const release = guard.allow([file]);
  try {
    const opened = new h5.File(file, mode);
    try {
      return use(opened, h5);
    } finally {
      opened.close();
    }
  } finally {
    release();
  }
}

/** Debian's Python, which sees Debian's python3-h5py (the `python3` first on PATH may not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * Helpers for writing crates with h5py (layout version 2, checksums included), prefixed to every
 * script runH5py runs: `put_object(f, path, tree)` writes an object group and its structure,
 * `checksum(dataset, values)` gives a dataset its hpc_crc32, `ta(name, n)` a structure reference.
 */
const H5PY_PRELUDE = `
import sys, json, zlib, h5py, numpy as np
def crcs(values, unit):
    raw = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder('<')).view('u1')
    step = unit * values.dtype.itemsize
    return np.array([zlib.crc32(raw[i:i + step]) for i in range(0, raw.size, step)], dtype='<u4')
def checksum(dataset, values):
    dataset.attrs['hpc_crc32'] = crcs(values, dataset.chunks[0] if dataset.chunks else max(len(values), 1))
def put_object(f, path, tree, types=()):
    g = f.require_group(path)
    g.attrs['hpc_format_version'] = np.int32(2)
    g.attrs['hpc_types'] = json.dumps(list(types))
    header = [None, json.dumps(list(types)), None, None]  # hpc_type, hpc_types, hpc_codec, hpc_created_at
    g.attrs['hpc_header_crc32'] = np.uint32(zlib.crc32(json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode()))
    text = json.dumps(tree).encode()
    g.create_dataset('structure', data=np.frombuffer(text, dtype='u1'))
    g.attrs['hpc_structure_crc32'] = np.uint32(zlib.crc32(text))
    return g
def ta(name, n, kind='Float64Array'):
    return {'$': 'ta', 't': kind, 'n': n, 'ds': name}
`;

/** Runs a Python script with h5py (and the helpers above); its arguments are sys.argv[1:]. */
export function runH5py(script: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(DEBIAN_PYTHON, ['-c', H5PY_PRELUDE + script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = captureOutput(child);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output.stdout);
      else reject(new Error(`h5py script failed (${code}): ${output.stderr}`));
    });
  });
}

/** The typed error a promise rejects with (fails the test for anything else, or a success). */
export async function typedErrorOf(
  promise: Promise<unknown>,
): Promise<{ _tag: string; message: string } & Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isHpcError(error)) throw new Error(`expected an HpcError, got ${String(error)}`, { cause: error });
  return error as never;
}

/** Collects a child's stdout and stderr as text while it runs. */
function captureOutput(child: ChildProcessByStdio<null, Readable, Readable>): {
  stdout: string;
  stderr: string;
} {
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output.stderr += chunk;
  });
  return output;
}
