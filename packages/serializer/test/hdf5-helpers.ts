import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
