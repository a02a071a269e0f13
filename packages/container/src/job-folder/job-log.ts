import { readFile } from 'node:fs/promises';
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

/** A job's scheduler-captured stdout or stderr (job.out / job.err); '' before the job writes any. */
export function readJobLog(jobDir: string, options: LogOptions = {}): Promise<string> {
  return readLogFile(jobLogFile(jobDir, options.stream), options);
}

/** What one process of a batch printed (its container's capture, stdout.log / stderr.log); '' before it starts. */
export function readProcessLog(processDir: string, options: LogOptions = {}): Promise<string> {
  return readLogFile(processLogFile(processDir, options.stream), options);
}
