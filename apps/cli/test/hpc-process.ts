import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The built CLI: tests run the real program, as users do. */
export const HPC_BIN = fileURLToPath(new URL('../dist/hpc.mjs', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const ESC = '\u001b';

/** The example user module every package's tests share. */
const SHARED_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

export function fixture(name: string): string {
  return join(name === 'my-process.ts' ? SHARED_FIXTURES : FIXTURES, name);
}

export function assertBuilt(): void {
  if (!existsSync(HPC_BIN))
    throw new Error(`${HPC_BIN} is missing: build first (pnpm turbo run build --filter @hpc/cli)`);
}

export interface RunOptions {
  home: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** Text piped to the command's stdin (default: none, stdin ignored). */
  input?: string;
}

/**
 * Runs `hpc <args>` as a separate process with only the environment given here (no colour
 * variables from the test runner leak in), against the local driver unless env says otherwise.
 */
export async function runHpc(args: readonly string[], options: RunOptions) {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    HPC_HOME: options.home,
    HPC_DRIVER: 'local',
  };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const started = performance.now();
  const result = await execa(process.execPath, [HPC_BIN, ...args], {
    env,
    extendEnv: false,
    reject: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    stripFinalNewline: false,
    timeout: options.timeoutMs ?? 30_000,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    durationMs: performance.now() - started,
  };
}

export async function makeHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'hpc-cli-test-'));
}

/** Cancels whatever is still running in `home` (its host processes), then removes it. */
export async function cleanHome(home: string): Promise<void> {
  await runHpc(['cancel', '--all'], { home }).catch(() => {});
  await rm(home, { recursive: true, force: true });
}

/** Runs hpc on a real pseudo-terminal (80x24), through a tiny Python pty helper, no shell. */
export async function runOnTerminal(args: readonly string[], options: RunOptions) {
  const result = await execa(
    'python3',
    [fixture('run-in-pty.py'), '80', '24', process.execPath, HPC_BIN, ...args],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        HPC_HOME: options.home,
        HPC_DRIVER: 'local',
        TERM: 'xterm-256color',
        ...options.env,
      },
      extendEnv: false,
      reject: false,
      timeout: options.timeoutMs ?? 30_000,
    },
  );
  return { exitCode: result.exitCode, output: String(result.stdout) };
}
