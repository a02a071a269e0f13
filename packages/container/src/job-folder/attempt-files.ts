import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_FILES } from './job-files.ts';

/** The files a run writes: moved aside before a retry so the next attempt starts clean. */
const ATTEMPT_FILES = [
  JOB_FILES.outcome,
  JOB_FILES.result,
  JOB_FILES.stdout,
  JOB_FILES.stderr,
  JOB_FILES.progress,
  JOB_FILES.schedulerStdout,
  JOB_FILES.schedulerStderr,
];

/** Moves attempt `number`'s files to `attempts/<number>/` of the job folder, where they stay readable. */
export function archiveAttemptFiles(jobDir: string, number: number, dirMode: number): void {
  const target = join(jobDir, 'attempts', String(number));
  mkdirSync(target, { recursive: true, mode: dirMode });
  for (const name of ATTEMPT_FILES) {
    const from = join(jobDir, name);
    if (existsSync(from)) renameSync(from, join(target, name));
  }
}
