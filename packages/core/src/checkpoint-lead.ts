/**
 * How long before a job's time limit its checkpoint warning (SIGUSR1) is asked for.
 *
 * SLURM checks for due warnings every 30 s (its PERIODIC_TIMEOUT) and sends `--signal=B:USR1@N`
 * at the first check at which at most N + 30 s are left: the signal comes between N and N + 30 s
 * before the limit (measured here: 5–23 s early; `sbatch(1)` allows up to 60 s). A lead of half a
 * 1-minute limit would therefore warn at once. The rule:
 *
 *   lead = min(requested, max(limit / 10, min(limit / 6, 30 s)))
 *
 * with requested defaulting to 120 s: never more than a tenth of a long limit (20 minutes and more:
 * 120 s; 10 minutes: 60 s), and for short ones a sixth of the limit up to 30 s (1 minute: 10 s, so
 * the warning comes 20–50 s into the run; 2 minutes: 20 s; 3 to 5 minutes: 30 s). A Process with
 * checkpoint() just saves and restarts a little earlier; one without is never stopped by it.
 */
export const DEFAULT_CHECKPOINT_LEAD_SECONDS = 120;
/** The lead is at most this share of a long time limit. */
export const MAX_CHECKPOINT_LEAD_FRACTION = 0.1;
/** A short limit's lead is at most this share of it ... */
export const SHORT_LIMIT_LEAD_FRACTION = 1 / 6;
/** ... and at most this many seconds (the tenth takes over from 5 minutes on). */
export const SHORT_LIMIT_LEAD_SECONDS = 30;
/** How much earlier than asked SLURM may deliver the signal: its 30 s check (documentation allows 60). */
export const SIGNAL_EARLY_DELIVERY_SECONDS = 30;

/**
 * Seconds before the limit at which the checkpoint signal is asked for; 0 means no signal (asked
 * for with 0, or a limit under 6 s). Without a time limit the requested (or default) lead is used
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
