import { formatBytes } from './byte-size.ts';
import { formatRunTime, type JobState } from './job-state.ts';
import { describeAttempt, type JobAttempt } from './long-jobs.ts';
import type { RemoteError } from './remote-error.ts';
import type { SuggestedResource } from './suggested-resources.ts';

/** What the job asked for, when the driver knows (from its submit options). */
export interface RequestedResources {
  memBytes?: number;
  timeLimitMs?: number;
  cpus?: number;
  /** `resources: 'suggested'`: which figures came from the class's history, and from how many runs. */
  suggested?: readonly SuggestedResource[];
}

/** Everything known about a job that ended without a result; every field but `state` is optional. */
export interface DiagnosisInput {
  state: JobState;
  remote?: RemoteError | undefined;
  exitCode?: number | undefined;
  stderrTail?: string | undefined;
  requested?: RequestedResources | undefined;
  /** Peak memory the job used, when measured (runner or accounting). */
  peakMemoryBytes?: number | undefined;
}

/**
 * One readable paragraph on why a job has no result, from everything known: what ended it (in
 * the scheduler's terms and ours), where and after how long against its limit, the remote error,
 * every attempt when there were several, what to change, and the last line of stderr.
 * For example: "Ran out of memory: peak 1.9 GiB of 2.0 GiB requested, on n2 after 41s (SLURM:
 * OUT_OF_MEMORY, exit 0). Attempts: 1 out-of-memory; 2 (mem 4G after out-of-memory) completed."
 */
export function diagnoseFailure(input: DiagnosisInput): string {
  const sentences = [
    `${whatEndedIt(input)}${whereAndWhen(input)}${schedulerWords(input)}.`,
    remoteSentence(input),
    attemptsSentence(input.state),
    fixSentence(input),
    stderrSentence(input.stderrTail),
  ];
  return sentences.filter((sentence): sentence is string => Boolean(sentence)).join(' ');
}

function whatEndedIt({ state, requested, peakMemoryBytes, remote, exitCode }: DiagnosisInput): string {
  switch (state.status) {
    case 'failed':
      switch (state.cause) {
        case 'out-of-memory': {
          const peak = peakMemoryBytes !== undefined ? `peak ${formatBytes(peakMemoryBytes)}` : undefined;
          const asked =
            requested?.memBytes !== undefined ? `${formatBytes(requested.memBytes)} requested` : undefined;
          const figures = peak && asked ? `${peak} of ${asked}` : (peak ?? asked);
          return `Ran out of memory${figures ? `: ${figures}` : ' (killed at its --mem limit)'}`;
        }
        case 'node-fail':
          return `Its node${state.node ? ` ${state.node}` : ''} failed while it ran`;
        case 'signal':
          return `Was killed by signal ${state.signal ?? '?'}`;
        case 'process-error':
          return 'run() threw';
        case 'infrastructure':
          return `Failed in @hpc's plumbing${state.message ? `: ${state.message}` : ''}`;
        default:
          if (remote) return 'run() threw';
          return `Exited with code ${exitCode ?? state.exitCode ?? '?'}`;
      }
    case 'timeout': {
      const limit = state.timeLimitMs ?? requested?.timeLimitMs;
      const ran = state.elapsedMs;
      if (limit !== undefined && ran !== undefined)
        return `Hit its time limit: ran ${formatRunTime(ran)} of its ${formatRunTime(limit)}`;
      return `Hit its time limit${limit !== undefined ? ` of ${formatRunTime(limit)}` : ''}`;
    }
    case 'cancelled':
      return `Was cancelled${state.by ? ` by ${state.by}` : ''} before it finished`;
    case 'preempted':
      return 'Was preempted: a higher-priority job took its node';
    case 'lost':
      return `Ended without recording an outcome (${state.reason})`;
    case 'blocked':
      return `Blocked: upstream ${state.upstream} ${state.upstreamStatus}${state.upstreamDetail ? ` (${state.upstreamDetail})` : ''}, so it never started`;
    case 'unknown':
      return `Its state is unknown (${state.reason})`;
    default:
      return `Has no result: it is ${state.status}`;
  }
}

function whereAndWhen({ state }: DiagnosisInput): string {
  if (state.status === 'blocked') return '';
  const parts: string[] = [];
  if (state.node && !(state.status === 'failed' && state.cause === 'node-fail'))
    parts.push(`on ${state.node}`);
  if (state.elapsedMs !== undefined && state.elapsedMs >= 1_000 && state.status !== 'timeout')
    parts.push(`after ${formatRunTime(state.elapsedMs)}`);
  return parts.length ? `, ${parts.join(' ')}` : '';
}

function schedulerWords({ state, exitCode }: DiagnosisInput): string {
  const code = exitCode ?? state.exitCode;
  const words = [
    state.raw ? `SLURM: ${state.raw}` : undefined,
    code !== undefined ? `exit ${code}` : undefined,
  ];
  const shown = words.filter(Boolean).join(', ');
  return shown ? ` (${shown})` : '';
}

function remoteSentence({ remote }: DiagnosisInput): string | undefined {
  if (!remote) return undefined;
  const message = oneLine(remote.message);
  return `The error was ${remote.name}${message ? `: ${message}` : ''}${/[.!?]$/.test(message) ? '' : '.'}`;
}

function attemptsSentence(state: JobState): string | undefined {
  const attempts = state.attempts ?? [];
  const parts: string[] = [];
  if (attempts.length > 1)
    parts.push(
      `Attempts: ${attempts
        .map((attempt) => `${describeAttempt(attempt, state.maxAttempts)} ${attemptEnd(attempt)}`.trim())
        .join('; ')}.`,
    );
  if (state.restarts) parts.push(`Restarted ${state.restarts}× from its checkpoint.`);
  // Kept as written ('retry not possible: …'): users and scripts search for those words.
  if (state.retryNote) parts.push(`${state.retryNote.replace(/\.$/, '')}.`);
  return parts.length ? parts.join(' ') : undefined;
}

function attemptEnd(attempt: JobAttempt): string {
  const where = attempt.node ? ` on ${attempt.node}` : '';
  if (!attempt.endedAs) return `${where} (running or queued)`.trim();
  return `${attempt.endedAs}${where}${attempt.endNote ? ` — ${attempt.endNote}` : ''}`;
}

/** What to change; a job whose retries ran out says so rather than suggesting the retry it had. */
function fixSentence({ state, requested }: DiagnosisInput): string | undefined {
  const retried = (state.attempts?.length ?? 0) > 1;
  switch (state.status) {
    case 'failed':
      if (state.cause === 'out-of-memory') {
        const more = requested?.memBytes !== undefined ? `mem=${suggestMore(requested.memBytes)}` : 'mem=8G';
        return retried
          ? `Its retries ran out; ask for more memory at once (${more}) or use less.`
          : `Ask for more memory (slurmArgs ${more}), or let it retry with more: retry: { maxAttempts: 2, on: ['out-of-memory'] }.`;
      }
      if (state.cause === 'node-fail')
        return retried
          ? 'Its retries ran out; check the nodes with sinfo.'
          : "Submit it again, or let it retry on another node: retry: { maxAttempts: 2, on: ['node-fail'] }.";
      return undefined;
    case 'timeout':
      return "Raise its limit (slurmArgs time=HH:MM:SS), or give the Process a checkpoint() so it is restarted where it stopped, or retry with a longer limit: retry: { on: ['timeout'] }.";
    case 'lost':
      return 'Look at its stderr below and at the job folder.';
    case 'blocked':
      return `See why ${state.upstream} ended ${state.upstreamStatus}; fix it and submit both again.`;
    default:
      return undefined;
  }
}

/** The job's own last stderr line; the node-runner's closing summary repeats the error, so it is passed over. */
function stderrSentence(tail: string | undefined): string | undefined {
  const last = tail
    ?.split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('node-runner: job failed'))
    .at(-1);
  return last ? `Last line of stderr: "${oneLine(last)}".` : undefined;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

/** Twice the request, in whole sbatch units: 2G → '4G', 300M → '600M'. */
function suggestMore(bytes: number): string {
  const doubled = bytes * 2;
  const gib = doubled / 1024 ** 3;
  return gib >= 1 ? `${Math.ceil(gib)}G` : `${Math.ceil(doubled / 1024 ** 2)}M`;
}
