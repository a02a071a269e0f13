import {
  asJobId,
  diagnoseFailure,
  failureClassOf,
  isTerminalState,
  type JobDescription,
  type JobState,
  jobEfficiency,
  jobHistory,
  type RunOutcome,
} from '@hpc/core';
import { tailFile } from './job-folder/file-tail.ts';
import type { JobRecordCommon } from './job-folder/job-record.ts';
import { readOutcome } from './job-folder/outcome-files.ts';
import { readProgress } from './progress-writer.ts';

/** What a driver knows about one job; describeJobFolder reads the rest from its folder. */
export interface DescribeJobInput {
  id: string;
  driver: string;
  name: string;
  /** The folder holding its outcome.json and progress.json (a batch process's own). */
  jobDir: string;
  state: JobState;
  /** Its job.json (a batch process: its batch's), for the request, crate and digest. */
  record?: JobRecordCommon | undefined;
  scriptPath?: string | undefined;
  /** The driver's log file of each stream (logFile()). */
  logFile: (stream: 'stdout' | 'stderr') => Promise<string>;
  /** Times the driver itself recorded (the local driver's start and end). */
  times?: { startedAt?: string | undefined; endedAt?: string | undefined };
  /** Lines of each log shown (default 10). */
  tailLines?: number;
  now?: number;
}

/**
 * driver.describeJob() for any driver: the state, its history, requested against used (the
 * runner's figures and SLURM's, with efficiency), progress, the failure's class and diagnosis,
 * the remote error, the logs' last lines (read from their ends: a huge log costs nothing), the
 * job script, the crate and its digest, and the attempts.
 */
export async function describeJobFolder(input: DescribeJobInput): Promise<JobDescription> {
  const { state, record } = input;
  const outcome = await readOutcome(input.jobDir).catch((): RunOutcome | undefined => undefined);
  const [stdoutFile, stderrFile] = await Promise.all([input.logFile('stdout'), input.logFile('stderr')]);
  const lines = input.tailLines ?? 10;
  const [stdoutTail, stderrTail] = await Promise.all([tailFile(stdoutFile, lines), tailFile(stderrFile, 20)]);
  const requested = record?.requested ?? {};
  const progress = outcome ? outcome.progress : await readProgress(input.jobDir);
  const remoteError = outcome?.status === 'failed' ? outcome.error : undefined;
  const failureClass = failureClassOf(state);
  const attempts =
    state.attempts ?? (record as { attempts?: JobDescription['attempts'] } | undefined)?.attempts;
  // SLURM's node name (n1) over the host name the runner saw (one machine may hold several nodes).
  const node = state.scheduler?.nodes ?? state.node ?? outcome?.host;
  const description: JobDescription = {
    id: asJobId(input.id),
    driver: input.driver,
    name: input.name,
    state,
    history: jobHistory(
      {
        submittedAt: record?.submittedAt ?? state.submittedAt,
        // sacct gives a job cancelled before it ran its cancel time as Start (and Elapsed 0, no node).
        startedAt: neverRan(state, outcome)
          ? undefined
          : (state.startedAt ?? outcome?.startedAt ?? input.times?.startedAt),
        endedAt: state.endedAt ?? outcome?.finishedAt ?? input.times?.endedAt,
      },
      state,
      input.now ?? Date.now(),
    ),
    ...(state.status === 'pending' && state.reason ? { pendingReason: state.reason } : {}),
    ...(node ? { node } : {}),
    requested,
    ...(outcome?.usage ? { usage: outcome.usage } : {}),
    ...(state.scheduler ? { scheduler: state.scheduler } : {}),
    efficiency: jobEfficiency({ usage: outcome?.usage, scheduler: state.scheduler, requested }),
    ...(progress ? { progress } : {}),
    ...(remoteError ? { remoteError } : {}),
    logs: {
      stdout: { file: stdoutFile, tail: stdoutTail },
      stderr: { file: stderrFile, tail: stderrTail.split('\n').slice(-lines).join('\n') },
    },
    jobDir: input.jobDir,
    ...(input.scriptPath ? { scriptPath: input.scriptPath } : {}),
    ...(record?.crate ? { crate: record.crate } : {}),
    ...(record?.object ? { object: record.object } : {}),
    ...(record?.crateDigest ? { crateDigest: record.crateDigest } : {}),
    ...(attempts && attempts.length > 0 ? { attempts } : {}),
  };
  if (failureClass) {
    const peak = outcome?.usage?.peakRssBytes ?? state.scheduler?.maxRssBytes;
    description.failure = {
      class: failureClass,
      diagnosis: diagnoseFailure({
        state,
        remote: remoteError,
        exitCode: state.exitCode,
        stderrTail,
        requested,
        peakMemoryBytes: peak,
      }),
    };
  }
  return description;
}

function neverRan(state: JobState, outcome: RunOutcome | undefined): boolean {
  return (
    !outcome &&
    isTerminalState(state) &&
    !state.node &&
    !state.scheduler?.nodes &&
    (state.elapsedMs ?? 0) === 0
  );
}
