/**
 * How long before a job's time limit its checkpoint warning (SIGUSR1) comes.
 *
 * The rule: the requested lead (default 120 s), but never more than a tenth of the limit, or, for
 * short limits, more than the larger of that tenth and `min(half the limit, 30 s)`:
 *   lead = min(requested, max(limit / 10, min(limit / 2, 30 s)))
 * So a 1-minute limit is warned 30 s before it, 2 and 5 minutes 30 s, 10 minutes 60 s, 20 minutes
 * and more 120 s. SLURM delivers `--signal=B:USR1@N` on a periodic check, up to about a minute
 * earlier than asked (`sbatch(1)`; ~30 s measured on the dev cluster): a Process with checkpoint()
 * then just saves and restarts earlier. A Process without checkpoint() is never stopped by it.
 */
export const DEFAULT_CHECKPOINT_LEAD_SECONDS = 120;
/** The lead is at most this share of a long time limit. */
export const MAX_CHECKPOINT_LEAD_FRACTION = 0.1;
/** A short limit may be warned up to this share of it before its end ... */
export const SHORT_LIMIT_LEAD_FRACTION = 0.5;
/** ... but never more than this many seconds (the tenth takes over from 5 minutes on). */
export const SHORT_LIMIT_LEAD_SECONDS = 30;
/** How much earlier than asked SLURM may deliver the signal (documentation; not part of the rule). */
export const SIGNAL_EARLY_DELIVERY_SECONDS = 60;

/**
 * Seconds before the limit at which the checkpoint signal is asked for; 0 means no signal (asked
 * for with 0, or a limit under 2 s). Without a time limit the requested (or default) lead is used
 * as it is.
 */
export function checkpointLeadSeconds(limitSeconds: number | undefined, requestedSeconds?: number): number {
  const requested = requestedSeconds ?? DEFAULT_CHECKPOINT_LEAD_SECONDS;
  if (requested <= 0) return 0;
  if (limitSeconds === undefined) return requested;
  const cap = Math.max(
    limitSeconds * MAX_CHECKPOINT_LEAD_FRACTION,
    Math.min(limitSeconds * SHORT_LIMIT_LEAD_FRACTION, SHORT_LIMIT_LEAD_SECONDS),
  );
  return Math.max(0, Math.floor(Math.min(requested, cap)));
}
