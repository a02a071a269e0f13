import { readFile } from 'node:fs/promises';
import type { LogOptions } from '@hpc/core';
import { tailFile } from './file-tail.ts';
import { jobPaths } from './job-files.ts';

/** A job's scheduler-captured stdout or stderr (job.out / job.err); '' before the job writes any. */
export async function readJobLog(jobDir: string, options: LogOptions = {}): Promise<string> {
  const paths = jobPaths(jobDir);
  const file = options.stream === 'stderr' ? paths.schedulerStderr : paths.schedulerStdout;
  if (options.tailLines !== undefined) return tailFile(file, options.tailLines);
  return readFile(file, 'utf8').catch(() => '');
}

/** What one process of a batch printed (its container's capture, stdout.log / stderr.log); '' before it starts. */
export async function readProcessLog(processDir: string, options: LogOptions = {}): Promise<string> {
  const paths = jobPaths(processDir);
  const file = options.stream === 'stderr' ? paths.stderr : paths.stdout;
  if (options.tailLines !== undefined) return tailFile(file, options.tailLines);
  return readFile(file, 'utf8').catch(() => '');
}
