import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Process } from '@hpc/process';
import { InputFileError, UsageError } from './cli-errors.ts';
import { shown } from './output-safety.ts';
import { type ProcessExport, processFromArgs } from './user-module.ts';

/** One process of `--each`: its constructor arguments and where they came from (1-based line). */
export interface BatchLine {
  line: number;
  args: unknown[];
}

/** How much of a bad line an error message quotes. */
const QUOTED_CHARS = 80;

/**
 * Reads `--each <file>`: one JSON value per line, the constructor's arguments exactly like
 * `--args` (an array is spread, anything else is the one argument). Blank lines are skipped. The
 * file is streamed line by line, so 10,000 lines cost what parsing them costs. A line that is not
 * JSON, or a file without any line, is a usage error naming file:line.
 */
export async function readBatchLines(file: string, cwd: string): Promise<BatchLine[]> {
  const path = resolve(cwd, file);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new InputFileError(`--each file not found: ${file} (looked at ${path})`, file);
  const lines: BatchLine[] = [];
  const reader = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const text of reader) {
    number++;
    const trimmed = number === 1 ? text.replace(/^\uFEFF/, '').trim() : text.trim();
    if (trimmed === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new UsageError(
        `${file}:${number}: not JSON (each line holds one process's constructor arguments, e.g. ["x", 3]): ${quote(trimmed)}: ${(error as Error).message}`,
        'submit',
      );
    }
    lines.push({ line: number, args: Array.isArray(value) ? value : [value] });
  }
  if (lines.length === 0)
    throw new UsageError(
      `${file} holds no process: it is empty or only blank lines (write one JSON line of constructor arguments per process)`,
      'submit',
    );
  return lines;
}

/** Builds one Process per line; a constructor that throws is a usage error naming its line. */
export function buildBatch(found: ProcessExport, lines: readonly BatchLine[], file: string): Process[] {
  if (found.kind === 'instance')
    throw new UsageError(
      `--each cannot be used: the module exports '${found.exportName}' as a ready instance, not a class to construct per line`,
      'submit',
    );
  const processes: Process[] = [];
  for (const { line, args } of lines) {
    try {
      processes.push(processFromArgs(found.ctor, args));
    } catch (error) {
      throw new UsageError(`${file}:${line}: ${(error as Error)?.message ?? String(error)}`, 'submit');
    }
  }
  return processes;
}

function quote(text: string): string {
  const cut = text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}…` : text;
  return `'${shown(cut)}'`;
}
