import type { RequestedResources } from './failure-diagnosis.ts';
import type { JobEfficiency } from './job-efficiency.ts';
import type { JobId } from './job-id.ts';
import { isTerminalState, type JobState } from './job-state.ts';
import type { JobAttempt } from './long-jobs.ts';
import type { RemoteError } from './remote-error.ts';
import type { JobProgress, RunUsage } from './run-outcome.ts';
import type { SchedulerUsage } from './scheduler-usage.ts';

/** One step of a job's life; `durationMs` runs to the next step (for the current one: to now). */
export interface JobPhase {
  phase: 'submitted' | 'started' | 'ended';
  at: string;
  durationMs?: number;
}

/** The end of one of the job's logs. */
export interface JobLogTail {
  file: string;
  /** Its last lines ('' when empty or not written yet). */
  tail: string;
}

/** Everything known about one job, for one screen (`hpc show`, driver.describeJob). */
export interface JobDescription {
  id: JobId;
  driver: string;
  name: string;
  state: JobState;
  /** submitted → started → ended, with how long each phase took. */
  history: JobPhase[];
  /** Why it waits, while pending. */
  pendingReason?: string;
  node?: string;
  /** What it asked for (its submit options); absent fields: the site's defaults. */
  requested: RequestedResources;
  /** What the node-runner measured (outcome.json). */
  usage?: RunUsage;
  /** What SLURM's accounting says (sacct), when it has it. */
  scheduler?: SchedulerUsage;
  efficiency: JobEfficiency;
  /** The last ctx.progress(): progress.json while it runs, the outcome's afterwards. */
  progress?: JobProgress;
  /** For a job that ended without a result: its class ('out-of-memory', 'timeout', ...) and the diagnosis paragraph. */
  failure?: { class: string; diagnosis: string };
  /** The error run() threw (or the plumbing's), with its stack. */
  remoteError?: RemoteError;
  logs: { stdout: JobLogTail; stderr: JobLogTail };
  jobDir: string;
  scriptPath?: string;
  crate?: string;
  object?: string;
  crateDigest?: string;
  /** Every attempt behind the id, when there was more than one. */
  attempts?: readonly JobAttempt[];
}

/** The job's steps from its known times; the last one's duration runs to `now` unless the job is over. */
export function jobHistory(
  times: { submittedAt?: string | undefined; startedAt?: string | undefined; endedAt?: string | undefined },
  state: Pick<JobState, 'status'>,
  now: number,
): JobPhase[] {
  const steps: JobPhase[] = [];
  if (times.submittedAt) steps.push({ phase: 'submitted', at: times.submittedAt });
  // A pending job's start time is SLURM's estimate (squeue %S), possibly in the future: not a step yet.
  const waiting = state.status === 'pending' || state.status === 'requeued';
  if (times.startedAt && !waiting && !(Date.parse(times.startedAt) > now))
    steps.push({ phase: 'started', at: times.startedAt });
  if (times.endedAt) steps.push({ phase: 'ended', at: times.endedAt });
  steps.forEach((step, index) => {
    const next = steps[index + 1];
    const until = next
      ? Date.parse(next.at)
      : step.phase === 'ended' || isTerminalState(state)
        ? Number.NaN
        : now;
    const duration = until - Date.parse(step.at);
    if (Number.isFinite(duration) && duration >= 0) step.durationMs = duration;
  });
  return steps;
}

/** A finished job's failure class: the failure's cause, or how it ended; undefined while running or completed. */
export function failureClassOf(state: JobState): string | undefined {
  if (!isTerminalState(state) || state.status === 'completed') return undefined;
  return state.status === 'failed' ? state.cause : state.status;
}
