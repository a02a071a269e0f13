import { join } from 'node:path';

/**
 * The names of the files in a job folder, fixed so every tool finds them: the container writes
 * the crate's run (outcome, result, its own logs, work folder), the scheduler or the local driver
 * captures the job's output, and the driver keeps its record. The one place these names are spelt.
 */
export const JOB_FILES = {
  crate: 'process.bin',
  outcome: 'outcome.json',
  result: 'result.bin',
  stdout: 'stdout.log',
  stderr: 'stderr.log',
  /** The scheduler's (or local driver's) capture of the whole job's stdout / stderr. */
  schedulerStdout: 'job.out',
  schedulerStderr: 'job.err',
  /** The driver's record of the job (submit options, ids), JSON: see job-record.ts. */
  record: 'job.json',
  /** What run() reported last through ctx.progress() (progress-writer.ts). */
  progress: 'progress.json',
  /** Which crate the next run loads after a checkpoint, with its digest (checkpoint-record.ts). */
  checkpoint: 'checkpoint.json',
  workDir: 'work',
} as const;

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
    progress: join(jobDir, JOB_FILES.progress),
    checkpoint: join(jobDir, JOB_FILES.checkpoint),
  };
}
export type JobPaths = ReturnType<typeof jobPaths>;
