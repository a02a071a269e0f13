import { execa } from 'execa';
import { CommandRelayPool } from './command-relay.ts';
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
  /** Environment added for this command (squeue: SLURM_BITSTR_LEN=0). */
  env?: Record<string, string>;
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
  /**
   * Commands run through long-lived relay shells instead of a new process each time (default
   * ['sbatch']: submission is the hot path). [] runs everything directly.
   */
  relayCommands?: readonly string[];
  /** Relay shells at most (default 4). */
  relaySize?: number;
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

/** True when sacct's stderr says this cluster keeps no accounting (squeue is then the only source). */
export function isAccountingDisabled(stderr: string): boolean {
  return /accounting storage is disabled|accounting_storage\/none/i.test(stderr);
}

export function createCommandRunner(options: CommandRunnerOptions = {}): CommandRunner {
  const defaultTimeoutMs = options.timeoutMs ?? 30_000;
  const relayed = new Set(options.relayCommands ?? ['sbatch']);
  const relays = new CommandRelayPool(options.relaySize ?? 4, options.env);
  return async (command, args, runOptions = {}) => {
    const file = options.binDir ? `${options.binDir}/${command}` : command;
    const timeoutMs = runOptions.timeoutMs ?? defaultTimeoutMs;
    const started = performance.now();
    let raw: RawResult | undefined;
    if (relayed.has(command) && !runOptions.env) {
      const result = await relays.run([file, ...args], runOptions.cwd ?? process.cwd(), timeoutMs);
      // A relay that died for its own reasons is not the scheduler's fault: run the command directly.
      if (result.exitCode >= 0 || result.timedOut) raw = { ...result, missing: result.exitCode === 127 };
    }
    const env = runOptions.env ? { ...options.env, ...runOptions.env } : options.env;
    raw ??= await runDirectly(file, args, timeoutMs, runOptions.cwd, env);
    const durationMs = Math.round(performance.now() - started);
    if (raw.timedOut) throw new SchedulerUnavailableError(command, args, 'timeout', raw.stderr, durationMs);
    if (raw.missing)
      throw new SchedulerUnavailableError(command, args, 'not-installed', raw.stderr, durationMs);
    if (raw.exitCode !== 0 && isUnreachableMessage(raw.stderr)) {
      throw new SchedulerUnavailableError(command, args, 'unreachable', raw.stderr, durationMs);
    }
    return { command, args, exitCode: raw.exitCode, stdout: raw.stdout, stderr: raw.stderr, durationMs };
  };
}

interface RawResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The command does not exist. */
  missing: boolean;
}

async function runDirectly(
  file: string,
  args: readonly string[],
  timeoutMs: number,
  cwd: string | undefined,
  env: Record<string, string> | undefined,
): Promise<RawResult> {
  const result = await execa(file, args, {
    reject: false,
    timeout: timeoutMs,
    forceKillAfterDelay: 1_000,
    stdin: 'ignore',
    ...(cwd ? { cwd } : {}),
    ...(env ? { env } : {}),
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    timedOut: result.timedOut,
    missing: (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT',
  };
}
