/**
 * Removes the folders of submissions that are being prepared when the process is interrupted
 * (Ctrl-C, SIGTERM, a closed terminal). Without it the default action ends the process at once and
 * leaves a half-made job folder. The listeners exist only while a submission is being prepared;
 * after the clean-up the signal is raised again when nobody else listens for it, so the process
 * still ends as the signal means. Clean-ups are synchronous: nothing else runs before the exit.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type GuardedSignal = (typeof SIGNALS)[number];

const cleanups = new Map<symbol, (signal: GuardedSignal) => void>();

function onSignal(signal: GuardedSignal): void {
  for (const cleanup of [...cleanups.values()]) {
    try {
      cleanup(signal);
    } catch {
      // Best effort: the process is ending.
    }
  }
  cleanups.clear();
  detach();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function detach(): void {
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

/**
 * Runs `cleanup` if one of SIGINT, SIGTERM or SIGHUP arrives before the returned release function
 * is called. Call release before the step that must not be undone (calling sbatch).
 */
export function onInterrupt(cleanup: (signal: GuardedSignal) => void): () => void {
  const key = Symbol('submission');
  if (cleanups.size === 0) for (const signal of SIGNALS) process.on(signal, onSignal);
  cleanups.set(key, cleanup);
  return () => {
    if (cleanups.delete(key) && cleanups.size === 0) detach();
  };
}
