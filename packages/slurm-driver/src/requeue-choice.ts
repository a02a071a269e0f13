import type { SubmitTarget } from '@hpc/container';
import type { RetryPolicy } from '@hpc/core';
import { Process } from '@hpc/process';

/**
 * Whether a job script says `--requeue` or `--no-requeue`. Restarts from a checkpoint need
 * `--requeue` (`scontrol requeue`, preemption with PreemptMode=REQUEUE). But with it, and SLURM's
 * default JobRequeue=1, SLURM requeues a node-failed job itself, under its id, possibly onto the
 * same node once it is back: a retry policy listing 'node-fail' (which excludes that node) never
 * sees the failure. So a job whose policy takes node failures and whose processes cannot
 * checkpoint gets `--no-requeue`; everything else keeps `--requeue`. The user's slurmArgs win.
 */
export function requeueChoice(
  targets: readonly SubmitTarget[],
  retry: RetryPolicy | undefined,
): true | 'never' {
  const takesNodeFailures = retry !== undefined && retry.maxAttempts > 1 && retry.on.includes('node-fail');
  return takesNodeFailures && !targets.some(mayCheckpoint) ? 'never' : true;
}

/**
 * A task of packed processes is never requeued by SLURM: run again, it would run its finished
 * processes again too. A node failure, a preemption or a requeue ends it, and each unfinished
 * process reports that (and is retried on its own when its policy says so).
 */
export const PACKED_TASK_REQUEUE = 'never';

/** A Process with a checkpoint() method; a crate or container (its class unknown here) may have one. */
function mayCheckpoint(target: SubmitTarget): boolean {
  return !(target instanceof Process) || typeof target.checkpoint === 'function';
}
