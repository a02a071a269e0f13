import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
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
