import { execa } from 'execa';
import { SchedulerUnavailableError } from './errors.ts';

/** What one scheduler command printed. Non-zero exits are returned, not thrown: callers know what they mean. */
export interface CommandResult {
  command: string;
  args: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  /** Working directory of the command (sbatch: the job's default directory). */
  cwd?: string;
  timeoutMs?: number;
}

/**
 * Runs one SLURM command ('sbatch', 'squeue', 'sacct', 'scancel', ...) with an argument array, never
 * through a shell. Throws SchedulerUnavailableError when the command is missing, times out, or
 * cannot reach the controller; otherwise resolves with the result, whatever the exit code.
 * Every scheduler call of the driver goes through one of these, so a wrapper can count them.
 */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options?: RunOptions,
) => Promise<CommandResult>;

export interface CommandRunnerOptions {
  /** Per-command time limit (default 30 s; SLURM's own client gives up after about 10 s). */
  timeoutMs?: number;
  /** Folder holding the SLURM commands (default: found on PATH). */
  binDir?: string;
  /** Environment added to every command. */
  env?: Record<string, string>;
}

/** SLURM client messages that mean the controller (or daemon) is not reachable. */
const UNREACHABLE = [
  /Unable to contact slurm controller/i,
  /Socket timed out on send\/recv operation/i,
  /Zero Bytes were transmitted or received/i,
  /Communication connection failure/i,
  /Unable to establish controller machine/i,
];

/** True when a command's stderr says SLURM's controller could not be contacted. */
export function isUnreachableMessage(stderr: string): boolean {
  return UNREACHABLE.some((pattern) => pattern.test(stderr));
}

export function createCommandRunner(options: CommandRunnerOptions = {}): CommandRunner {
  const defaultTimeoutMs = options.timeoutMs ?? 30_000;
  return async (command, args, runOptions = {}) => {
    const file = options.binDir ? `${options.binDir}/${command}` : command;
    const timeoutMs = runOptions.timeoutMs ?? defaultTimeoutMs;
    const started = performance.now();
    const result = await execa(file, args, {
      reject: false,
      timeout: timeoutMs,
      forceKillAfterDelay: 1_000,
      stdin: 'ignore',
      ...(runOptions.cwd ? { cwd: runOptions.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    const durationMs = Math.round(performance.now() - started);
    const stderr = String(result.stderr ?? '');
    if (result.timedOut) {
      throw new SchedulerUnavailableError(command, args, 'timeout', stderr, durationMs, { cause: result });
    }
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') {
      throw new SchedulerUnavailableError(command, args, 'not-installed', stderr, durationMs, {
        cause: result.cause,
      });
    }
    const exitCode = result.exitCode ?? -1;
    if (exitCode !== 0 && isUnreachableMessage(stderr)) {
      throw new SchedulerUnavailableError(command, args, 'unreachable', stderr, durationMs);
    }
    return { command, args, exitCode, stdout: String(result.stdout ?? ''), stderr, durationMs };
  };
}
