import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LogOptions } from '@hpc/core';
import { tailFile } from './file-tail.ts';
import { jobPaths } from './job-files.ts';

/** The file of a job's scheduler-captured stdout or stderr (job.out / job.err). */
export function jobLogFile(jobDir: string, stream: LogOptions['stream']): string {
  const paths = jobPaths(jobDir);
  return stream === 'stderr' ? paths.schedulerStderr : paths.schedulerStdout;
}

/** The file of what one process of a batch printed (its container's capture, stdout.log / stderr.log). */
export function processLogFile(processDir: string, stream: LogOptions['stream']): string {
  const paths = jobPaths(processDir);
  return stream === 'stderr' ? paths.stderr : paths.stdout;
}

/** A log file's text ('' while it does not exist), or its last `tailLines` lines. */
export function readLogFile(file: string, options: LogOptions = {}): Promise<string> {
  if (options.tailLines !== undefined) return tailFile(file, options.tailLines);
  return readFile(file, 'utf8').catch(() => '');
}

/**
 * A job's scheduler-captured stdout or stderr (job.out / job.err); '' before the job writes any.
 * A job resubmitted as a new attempt (a retry, a restart after a PreemptMode=CANCEL preemption) has
 * its earlier attempts' logs in attempts/<n>/ (archiveAttemptFiles): they come first, each under an
 * `==> attempt n <==` line (attemptLogHeader), so one read shows every attempt; tailLines counts
 * over all of them.
 */
export function readJobLog(jobDir: string, options: LogOptions = {}): Promise<string> {
  return readAttemptLogs(jobLogFile(jobDir, options.stream), options);
}

/** A log file with its earlier attempts' (see readJobLog); just the file when there are none. */
export async function readAttemptLogs(file: string, options: LogOptions = {}): Promise<string> {
  const files = attemptLogFiles(file);
  if (files.length === 1) return readLogFile(file, options);
  const parts: string[] = [];
  for (const { number, file: path } of files) {
    const text = await readFile(path, 'utf8').catch(() => '');
    parts.push(`${attemptLogHeader(number)}${text.endsWith('\n') || text === '' ? text : `${text}\n`}`);
  }
  const all = parts.join('');
  if (options.tailLines === undefined) return all;
  return all.replace(/\n$/, '').split('\n').slice(-options.tailLines).join('\n');
}

/** The line before each attempt's part of a log shown across attempts. */
export function attemptLogHeader(number: number): string {
  return `==> attempt ${number} <==\n`;
}

/**
 * A log file (job.out, job.err) and the same file of every earlier attempt archived beside it
 * (attempts/<n>/), oldest first, the current one last. Without archived attempts: just `file`,
 * numbered 1.
 */
export function attemptLogFiles(file: string): { number: number; file: string }[] {
  const dir = dirname(file);
  let names: string[];
  try {
    names = readdirSync(join(dir, 'attempts'));
  } catch {
    names = [];
  }
  const archived = names
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
  const current = (archived.at(-1) ?? 0) + 1;
  return [
    ...archived.map((number) => ({ number, file: join(dir, 'attempts', String(number), basename(file)) })),
    { number: current, file },
  ];
}

/** What one process of a batch printed (its container's capture, stdout.log / stderr.log); '' before it starts. */
export function readProcessLog(processDir: string, options: LogOptions = {}): Promise<string> {
  return readLogFile(processLogFile(processDir, options.stream), options);
}
