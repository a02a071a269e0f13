/**
 * How long before a job's time limit its checkpoint warning (SIGUSR1) comes. SLURM sends
 * `--signal=B:USR1@N` on a periodic check, up to about a minute before the N seconds asked for
 * (`sbatch(1)`; ~30 s measured on the dev cluster), so a fixed lead would stop short jobs at
 * once. The lead is therefore at most a fraction of the limit, and the warning is off when even
 * its earliest delivery could come before the job has had half of its time.
 */
export const DEFAULT_CHECKPOINT_LEAD_SECONDS = 120;
/** The lead is at most this share of the time limit. */
export const MAX_CHECKPOINT_LEAD_FRACTION = 0.1;
/** How much earlier than asked SLURM may deliver the signal. */
export const SIGNAL_EARLY_DELIVERY_SECONDS = 60;
/** Off when the earliest delivery would come before this share of the limit has passed. */
export const MIN_RUN_SHARE_BEFORE_SIGNAL = 0.5;

/**
 * Seconds before the limit at which the checkpoint signal is asked for; 0 means no signal.
 * `requestedSeconds` (the job's own setting) is capped by the fraction; without a time limit the
 * requested (or default) lead is used as it is.
 */
export function checkpointLeadSeconds(limitSeconds: number | undefined, requestedSeconds?: number): number {
  const requested = requestedSeconds ?? DEFAULT_CHECKPOINT_LEAD_SECONDS;
  if (requested <= 0) return 0;
  if (limitSeconds === undefined) return requested;
  const lead = Math.min(requested, Math.floor(limitSeconds * MAX_CHECKPOINT_LEAD_FRACTION));
  const earliest = limitSeconds - lead - SIGNAL_EARLY_DELIVERY_SECONDS;
  if (lead < 1 || earliest < limitSeconds * MIN_RUN_SHARE_BEFORE_SIGNAL) return 0;
  return lead;
}
