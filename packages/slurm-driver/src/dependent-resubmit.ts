import type { JobId, JobState } from '@hpc/core';
import { type ResubmitContext, resubmit } from './attempt-resubmit.ts';
import { reopenedUpdate } from './attempt-retries.ts';
import type { DependentResubmission } from './dependent-states.ts';
import { currentAttempt } from './job-attempts.ts';
import { readJobRecord } from './job-record.ts';
import type { StateUpdate } from './job-store.ts';
import { userNameOfUid } from './user-names.ts';

/**
 * A dependent SLURM cancelled because an upstream's attempt failed, while the upstream was retried
 * under its one id (dependent-states.ts): a new attempt of the dependent (cause 'upstream-retried',
 * not counted against its own retries), as safe as any resubmission (attempt-resubmit.ts), queued
 * with `--dependency` on the upstreams' SLURM ids now, or with none once they have all satisfied it.
 */

/** Options the dependent's SLURM dependency lives in, replaced on each new attempt. */
const DEPENDENCY_OPTIONS = ['dependency', 'kill-on-invalid-dep'];

export async function resubmitDependents(
  requests: readonly DependentResubmission[],
  context: ResubmitContext,
  setAttempt: (id: JobId, schedulerId: string, state: JobState) => void,
): Promise<Map<string, StateUpdate>> {
  const updates = new Map<string, StateUpdate>();
  for (const request of requests) {
    const update = await resubmitOne(request, context, setAttempt).catch(() => undefined);
    if (update) updates.set(request.id, update);
  }
  return updates;
}

async function resubmitOne(
  request: DependentResubmission,
  context: ResubmitContext,
  setAttempt: (id: JobId, schedulerId: string, state: JobState) => void,
): Promise<StateUpdate | undefined> {
  const record = readJobRecord(request.jobDir);
  if (!record) return undefined;
  const current = currentAttempt(record);
  // One sbatch refusal ends it: the cancel stands, with sbatch's words.
  if (current.cause === 'upstream-retried' && current.endedAs) return ended(request, current.endNote);
  const schedulerId = current.schedulerId ?? record.id;
  const cancel = schedulerId === undefined ? undefined : await whoCancelled(context, schedulerId);
  if (cancel === undefined) return undefined; // Not in accounting yet: the next poll asks again.
  if (cancel !== 'slurm') {
    const { state } = request;
    const byUser: JobState = state.status === 'cancelled' ? { ...state, by: cancel } : state;
    return { id: request.id, state: byUser, final: true, missingSince: undefined };
  }
  const options = Object.fromEntries(
    Object.entries(current.options ?? record.resources ?? {}).filter(
      ([key]) => !DEPENDENCY_OPTIONS.includes(key),
    ),
  );
  if (request.spec) Object.assign(options, { dependency: request.spec, 'kill-on-invalid-dep': 'yes' });
  const result = await resubmit(context, {
    jobDir: request.jobDir,
    cause: 'upstream-retried',
    after: `its upstream ${request.upstream} was retried`,
    changed: request.spec ? { dependency: request.spec } : {},
    options,
  });
  const why = request.spec
    ? `waits for ${request.spec}, its upstream ${request.upstream} having been retried`
    : `its upstreams were done after a retry of ${request.upstream}`;
  switch (result.kind) {
    case 'queued': {
      const update = reopenedUpdate(
        request,
        result.record,
        result.attempt,
        `attempt ${result.attempt.number} submitted: ${why}`,
      );
      setAttempt(request.id, result.attempt.schedulerId as string, update.state);
      return update;
    }
    case 'uncertain':
      return reopenedUpdate(
        request,
        result.record,
        result.attempt,
        'its sbatch did not answer; looking it up by its token',
      );
    case 'refused':
      return ended(request, result.attempt.endNote);
    case 'claimed-elsewhere':
      return undefined;
  }
}

/** 'slurm' when sacct says a plain CANCELLED (its own cancel), the user's name for `CANCELLED by <uid>`. */
async function whoCancelled(context: ResubmitContext, schedulerId: string): Promise<string | undefined> {
  const args = ['-X', '-n', '-P', '-j', schedulerId, '-o', 'State'];
  const timeout = context.commandTimeoutMs === undefined ? {} : { timeoutMs: context.commandTimeoutMs };
  const result = await context.run('sacct', args, timeout);
  const state = result.exitCode === 0 ? result.stdout.trim().split('\n')[0]?.trim() : undefined;
  if (state === 'CANCELLED') return 'slurm';
  const by = /^CANCELLED by (\S+)$/.exec(state ?? '')?.[1];
  return by === undefined ? undefined : userNameOfUid(by);
}

function ended(request: DependentResubmission, note: string | undefined): StateUpdate {
  const retryNote = `not submitted again after its upstream ${request.upstream} was retried: ${note ?? 'sbatch refused it'}`;
  return { id: request.id, state: { ...request.state, retryNote }, final: true, missingSince: undefined };
}
