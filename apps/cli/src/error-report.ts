import { isHpcError } from '@hpc/core';
import type { Output } from './cli-context.ts';
import { EXIT_CODES, type ExitCode } from './exit-codes.ts';
import { shown, shownLines } from './output-safety.ts';

/**
 * Usage errors exit 2 (including a submit setting the driver refuses before anything is staged,
 * such as an unknown --slurm-arg); everything else that reaches the top is a failed operation (1).
 */
export function exitCodeFor(error: unknown): ExitCode {
  return isHpcError(error, 'UsageError', 'InvalidJobSettingError') ? EXIT_CODES.usage : EXIT_CODES.failed;
}

/**
 * Writes an error the way a terminal user wants it: one line, `hpc: <what happened>`. With
 * --debug, the tag, the stack and every cause follow. An error we did not anticipate (no @hpc
 * tag) says how to see more. Messages and stacks carry data (job names, remote errors, file
 * contents), so their control characters are shown escaped.
 */
export function reportError(error: unknown, stderr: Output, debug: boolean, command = ''): void {
  const { style } = stderr;
  const prefix = command ? `hpc ${command}` : 'hpc';
  stderr.write(`${style.red(`${prefix}:`)} ${shown(oneLine(messageOf(error)))}\n`);
  if (debug) {
    stderr.write(`${style.dim(shownLines(describeChain(error)))}\n`);
  } else if (!isHpcError(error) && error instanceof Error) {
    stderr.write(style.dim('(run again with --debug for the stack)\n'));
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The stack of an error and of each `cause`, as Node prints them but with tags. */
export function describeChain(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return `${'  '.repeat(depth)}${String(error)}`;
  const tag = isHpcError(error) ? ` [${(error as { _tag: string })._tag}]` : '';
  const stack = (error.stack ?? `${error.name}: ${error.message}`).replace(/^/gm, '  '.repeat(depth));
  let text = `${stack}${tag}`;
  if (error.cause !== undefined && depth < 8)
    text += `\n${'  '.repeat(depth)}Caused by:\n${describeChain(error.cause, depth + 1)}`;
  return text;
}
