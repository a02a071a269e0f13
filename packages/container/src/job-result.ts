import {
  isTerminalState,
  JobFailedError,
  JobNotFinishedError,
  type JobState,
  JobUnreadableError,
  type RequestedResources,
  unreadableFileOf,
} from '@hpc/core';
import { tailFile } from './job-folder/file-tail.ts';
import { jobPaths } from './job-folder/job-files.ts';
import { readOutcome, readResult } from './job-folder/outcome-files.ts';

/**
 * What getResult() means for any driver: the stored result of a completed job, or a
 * JobFailedError with the remote error (from the outcome), the scheduler's state, the exit code,
 * the tail of the job's stderr and, from all of it, the diagnosis paragraph.
 */
export async function resultOrFailure<T>(
  jobId: string,
  jobDir: string,
  state: JobState,
  requested?: RequestedResources,
): Promise<T> {
  const unreadable = unreadableFileOf(state);
  if (unreadable) throw new JobUnreadableError(jobId, unreadable);
  if (!isTerminalState(state)) throw new JobNotFinishedError(jobId, state);
  const outcome = await readOutcome(jobDir);
  if (state.status === 'completed' && outcome?.status === 'ok') return readResult<T>(jobDir);
  const paths = jobPaths(jobDir);
  const stderrTail = (await tailFile(paths.schedulerStderr)) || (await tailFile(paths.stderr));
  throw new JobFailedError({
    jobId,
    state,
    ...(outcome?.status === 'failed' ? { remote: outcome.error } : {}),
    ...(state.exitCode !== undefined ? { exitCode: state.exitCode } : {}),
    ...(stderrTail ? { stderrTail } : {}),
    ...(requested ? { requested } : {}),
    ...(outcome?.usage ? { peakMemoryBytes: outcome.usage.taskPeakRssBytes } : {}),
  });
}
