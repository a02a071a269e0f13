import { inspect } from 'node:util';
import {
  describeJobState,
  formatRemoteError,
  isHpcError,
  type JobFailedError,
  type JobState,
} from '@hpc/core';
import type { CliContext } from './cli-context.ts';
import { formatDuration } from './human-units.ts';
import { elapsedMs } from './job-view.ts';
import { toJsonValue } from './json-value.ts';
import { shown, shownLines, toSafeJson } from './output-safety.ts';
import { wrapText } from './status-diagnosis.ts';

/**
 * A finished job's result on stdout: strings as they are, other values as Node shows them (or
 * JSON), with control characters escaped. Node's own colours are not used: an Error's stack in a
 * result is printed raw by util.inspect, so its output is escaped as a whole.
 */
export function printResult(ctx: CliContext, jobId: string, value: unknown, json: boolean): void {
  if (json) {
    ctx.stdout.write(`${toSafeJson({ id: jobId, ok: true, result: toJsonValue(value) })}\n`);
    return;
  }
  const text = shownLines(
    typeof value === 'string'
      ? value
      : inspect(value, {
          depth: 8,
          colors: false,
          maxArrayLength: 100,
          maxStringLength: 10_000,
          breakLength: ctx.stdout.columns ?? 100,
        }),
  );
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * A failed job as the user needs it: what happened in one line, then the scheduler's diagnosis
 * (state, SLURM's own words, exit code, node, time), the remote error with its stack and causes,
 * and the tail of the job's stderr. Text to stderr; with --json, one document on stdout.
 */
export function printJobFailure(ctx: CliContext, error: JobFailedError, json: boolean): void {
  if (json) {
    ctx.stdout.write(
      `${toSafeJson({
        id: error.jobId,
        ok: false,
        status: error.state.status,
        description: describeJobState(error.state),
        exitCode: error.exitCode ?? error.state.exitCode ?? null,
        error: error.remote ?? null,
        stderrTail: error.stderrTail ?? null,
        diagnosis: error.diagnosis,
        state: error.state,
      })}\n`,
    );
    return;
  }
  const { style } = ctx.stderr;
  const out: string[] = [];
  const id = shown(error.jobId);
  const title = style.red(`job ${id} ${shown(describeJobState(error.state))}`);
  out.push(error.remote ? `${title}: ${shown(`${error.remote.name}: ${error.remote.message}`)}` : title);
  out.push(
    '',
    style.bold('diagnosis'),
    ...wrapText(shown(error.diagnosis), (ctx.stderr.columns ?? 100) - 2).map((line) => `  ${line}`),
    '',
    ...facts(error.state, error.exitCode).map((line) => `  ${line}`),
  );
  if (error.remote)
    out.push('', style.bold('remote error'), shownLines(formatRemoteError(error.remote, '  ')));
  if (error.stderrTail)
    out.push(
      '',
      style.bold('stderr (last lines)'),
      ...error.stderrTail.split('\n').map((line) => `  ${style.dim(shown(line))}`),
    );
  out.push('', style.dim(`full logs: hpc logs ${id} --stderr`));
  ctx.stderr.write(`${out.join('\n')}\n`);
}

/** The failed job's facts under its diagnosis; every piece of the state is scheduler or file data. */
function facts(state: JobState, exitCode: number | undefined): string[] {
  const lines = [
    `state:     ${shown(describeJobState(state))}${state.raw ? `   (scheduler: ${shown(state.raw)})` : ''}`,
  ];
  const code = exitCode ?? state.exitCode;
  if (code !== undefined)
    lines.push(
      `exit code: ${code}${state.signal !== undefined ? ` (signal ${state.signal})` : ''}${exitMeaning(code)}`,
    );
  if (state.node) lines.push(`node:      ${shown(state.node)}`);
  const ran = elapsedMs(state);
  if (ran !== undefined) lines.push(`ran for:   ${formatDuration(ran)}`);
  return lines;
}

function exitMeaning(code: number): string {
  if (code === 1) return ' — run() threw';
  if (code === 2) return ' — infrastructure failure (crate, import, signal)';
  return '';
}

/** True for the error getResult throws when a job ended without a result. */
export function isJobFailedError(error: unknown): error is JobFailedError {
  return isHpcError(error, 'JobFailedError');
}
