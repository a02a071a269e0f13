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
