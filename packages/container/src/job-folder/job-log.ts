import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
 * `==> attempt n <==` line, so one read shows every attempt; tailLines counts over all of them.
 */
export async function readJobLog(jobDir: string, options: LogOptions = {}): Promise<string> {
  const file = jobLogFile(jobDir, options.stream);
  const archived = await archivedAttempts(jobDir);
  if (archived.length === 0) return readLogFile(file, options);
  const name = basename(file);
  const current = (archived.at(-1) as number) + 1;
  const parts: string[] = [];
  for (const number of [...archived, current]) {
    const path = number === current ? file : join(jobDir, 'attempts', String(number), name);
    const text = await readFile(path, 'utf8').catch(() => '');
    parts.push(`==> attempt ${number} <==\n${text.endsWith('\n') || text === '' ? text : `${text}\n`}`);
  }
  const all = parts.join('');
  if (options.tailLines === undefined) return all;
  return all.replace(/\n$/, '').split('\n').slice(-options.tailLines).join('\n');
}

/** The numbers of the attempts archived under attempts/, in order ([] when there are none). */
async function archivedAttempts(jobDir: string): Promise<number[]> {
  const names = await readdir(join(jobDir, 'attempts')).catch(() => [] as string[]);
  return names
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/** What one process of a batch printed (its container's capture, stdout.log / stderr.log); '' before it starts. */
export function readProcessLog(processDir: string, options: LogOptions = {}): Promise<string> {
  return readLogFile(processLogFile(processDir, options.stream), options);
}
