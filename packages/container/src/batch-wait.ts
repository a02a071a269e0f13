import {
  asJobId,
  type BatchResult,
  isTerminalState,
  type JobId,
  JobNotFoundError,
  type JobState,
  JobUnreadableError,
  unreadableFileOf,
  type WaitOptions,
  WaitTimeoutError,
} from '@hpc/core';
import { sleep } from './wait-for-job.ts';

/** One status round trip for every tracked job (a driver's checkAllJobStatuses). */
export type PollAll = () => Promise<Map<JobId, JobState>>;

interface Pace {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
}

/**
 * Yields each job's terminal state as it is first seen, polling all of them together (one round
 * trip per poll, backing off 1.5x per quiet poll to maxPollIntervalMs, back to the start after a
 * change). Ends when every job is terminal; AbortSignal and timeoutMs honoured. An id the answer
 * lacks is an error at once (JobNotFoundError from `missing`).
 */
export async function* terminalStates(
  ids: readonly string[],
  poll: PollAll,
  options: WaitOptions & Partial<Pace> & { missing: (id: string) => Error },
): AsyncGenerator<[JobId, JobState]> {
  const open = new Set(ids.map((id) => asJobId(id)));
  const started = Date.now();
  const first = options.pollIntervalMs ?? 1_000;
  let interval = first;
  while (open.size > 0) {
    options.signal?.throwIfAborted();
    const states = await poll();
    let changed = false;
    for (const id of [...open]) {
      const state = states.get(id);
      if (!state) throw options.missing(id);
      if (isTerminalState(state)) {
        open.delete(id);
        changed = true;
        yield [id, state];
        continue;
      }
      const unreadable = unreadableFileOf(state);
      if (unreadable) throw new JobUnreadableError(id, unreadable);
    }
    if (open.size === 0) return;
    const remaining = options.timeoutMs === undefined ? interval : options.timeoutMs - (Date.now() - started);
    if (remaining <= 0) {
      const [id] = open;
      throw new WaitTimeoutError(id as string, options.timeoutMs ?? 0, states.get(id as JobId) as JobState);
    }
    await sleep(Math.min(interval, remaining), options.signal, undefined);
    interval = changed ? first : Math.min(options.maxPollIntervalMs ?? 10_000, Math.ceil(interval * 1.5));
  }
}

/** waitForJobs(): every job's terminal state, by id, in the order given. */
export async function waitForAll(
  ids: readonly string[],
  poll: PollAll,
  options: WaitOptions & Partial<Pace> & { missing: (id: string) => Error },
): Promise<Map<JobId, JobState>> {
  const ended = new Map<JobId, JobState>();
  for await (const [id, state] of terminalStates(ids, poll, options)) ended.set(id, state);
  return new Map(ids.map((id) => [asJobId(id), ended.get(asJobId(id)) as JobState]));
}

/** results(): each job's value (or the error getResult throws) as it finishes. */
export async function* resultsAsTheyFinish<T>(
  ids: readonly string[],
  poll: PollAll,
  getResult: (id: JobId) => Promise<T>,
  options: WaitOptions & Partial<Pace> & { missing: (id: string) => Error },
): AsyncGenerator<BatchResult<T>> {
  for await (const [id, state] of terminalStates(ids, poll, options)) {
    try {
      yield { id, state, value: await getResult(id) };
    } catch (error) {
      yield { id, state, error: error as Error };
    }
  }
}

/**
 * A driver's results() and waitForJobs(), from its one-round-trip poll over some ids and its
 * getResult: both drivers' are these, with their own pace.
 */
export function pollingWaiters(
  kind: string,
  pace: Pace,
  poll: (ids: readonly string[]) => Promise<Map<JobId, JobState>>,
  getResult: (id: JobId) => Promise<unknown>,
) {
  const paced = (options: WaitOptions) => ({
    ...pace,
    ...options,
    missing: (id: string) => new JobNotFoundError(id, kind),
  });
  return {
    results: <T>(ids: readonly string[], options: WaitOptions = {}): AsyncIterable<BatchResult<T>> =>
      resultsAsTheyFinish<T>(
        ids,
        () => poll(ids),
        (id) => getResult(id) as Promise<T>,
        paced(options),
      ),
    waitForJobs: (ids: readonly string[], options: WaitOptions = {}): Promise<Map<JobId, JobState>> =>
      waitForAll(ids, () => poll(ids), paced(options)),
  };
}
