/** A runner is started in its own process group, so signals reach whatever it spawned too. */

export function isAlive(pid: number): boolean {
  return probe(pid);
}

/** Any process left in the group led by `pid`. */
export function isGroupAlive(pid: number): boolean {
  return probe(-pid) || probe(pid);
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * SIGTERM to the group (the runner checkpoints and records the interruption), then SIGKILL if
 * anything is left after `graceMs`. Resolves once the group is gone or killed, so a cancel
 * holds even when the caller exits right after it.
 */
export async function terminateProcessGroup(pid: number, graceMs: number): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isGroupAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (isGroupAlive(pid)) signalGroup(pid, 'SIGKILL');
}

function probe(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
