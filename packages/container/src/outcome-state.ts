import type { JobState, RunOutcome } from '@hpc/core';

/**
 * The job state an outcome file proves. Drivers check it before asking the scheduler: it is the
 * job's own word, written last, and it carries the remote error.
 */
export function stateFromOutcome(outcome: RunOutcome): JobState {
  const times = {
    startedAt: outcome.startedAt,
    endedAt: outcome.finishedAt,
    elapsedMs: outcome.durationMs,
    node: outcome.host,
  };
  if (outcome.status === 'ok') return { status: 'completed', exitCode: 0, ...times };
  if (outcome.kind === 'process') {
    return {
      status: 'failed',
      cause: 'process-error',
      exitCode: 1,
      message: `${outcome.error.name}: ${outcome.error.message}`,
      ...times,
    };
  }
  if (outcome.reason === 'cancelled') return { status: 'cancelled', by: 'request', ...times };
  return {
    status: 'failed',
    cause: 'infrastructure',
    exitCode: 2,
    message: `${outcome.reason}: ${outcome.error.name}: ${outcome.error.message}`,
    ...times,
  };
}
