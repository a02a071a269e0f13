import { join } from 'node:path';
import { JOB_FILES } from '@hpc/core';

/** Every file of one job folder, from the folder's path. */
export function jobPaths(jobDir: string) {
  return {
    jobDir,
    crate: join(jobDir, JOB_FILES.crate),
    outcome: join(jobDir, JOB_FILES.outcome),
    result: join(jobDir, JOB_FILES.result),
    stdout: join(jobDir, JOB_FILES.stdout),
    stderr: join(jobDir, JOB_FILES.stderr),
    workDir: join(jobDir, JOB_FILES.workDir),
    schedulerStdout: join(jobDir, JOB_FILES.schedulerStdout),
    schedulerStderr: join(jobDir, JOB_FILES.schedulerStderr),
    record: join(jobDir, JOB_FILES.record),
  };
}
export type JobPaths = ReturnType<typeof jobPaths>;
