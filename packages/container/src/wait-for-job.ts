import {
  isTerminalState,
  type JobState,
  JobUnreadableError,
  unreadableFileOf,
  type WaitOptions,
  WaitTimeoutError,
} from '@hpc/core';

/**
 * Polls `check` until the job reaches a terminal state, backing off from `pollIntervalMs` by
 * 1.5x per quiet poll up to `maxPollIntervalMs` and back to the start when the state changed; honours an AbortSignal and a timeout.
 * `wake` lets a driver cut a sleep short when it knows something changed (a child exited).
 * A job whose record or outcome cannot be read ends the wait with a JobUnreadableError naming the
 * file: those files are written whole (atomically), so a damaged one stays damaged until repaired.
 */
export async function waitForTerminalState(
  jobId: string,
  check: () => Promise<JobState>,
  options: WaitOptions & { wake?: () => Promise<unknown> } = {},
): Promise<JobState> {
  const started = Date.now();
  const first = options.pollIntervalMs ?? 200;
  let interval = first;
  const maxInterval = options.maxPollIntervalMs ?? 5_000;
  let last: JobState | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const state = await check();
    const changed =
      !last ||
      last.status !== state.status ||
      (last.status === 'pending' && state.status === 'pending' && last.reason !== state.reason);
    if (changed) options.onState?.(state);
    last = state;
    if (isTerminalState(state)) return state;
    const unreadable = unreadableFileOf(state);
    if (unreadable) throw new JobUnreadableError(jobId, unreadable);
    const remaining = options.timeoutMs === undefined ? interval : options.timeoutMs - (Date.now() - started);
    if (remaining <= 0) throw new WaitTimeoutError(jobId, options.timeoutMs ?? 0, state);
    await sleep(Math.min(interval, remaining), options.signal, options.wake?.());
    // Short while the job moves (it just started, it is requeued), longer while nothing happens.
    interval = changed ? first : Math.min(maxInterval, Math.ceil(interval * 1.5));
  }
}

/** Sleeps `ms`, rejecting when `signal` aborts; `wake` ends the sleep early. */
export function sleep(
  ms: number,
  signal: AbortSignal | undefined,
  wake: Promise<unknown> | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    wake?.then(done, done);
  });
}
