import { isTerminalState } from '@hpc/core';
import { LocalDriver } from '@hpc/local-driver';

/** Cancels whatever a test left running under `root`: a failed test must not leave runners spinning. */
export async function cancelUnfinished(root: string): Promise<void> {
  const sweeper = new LocalDriver({ root, killGraceMs: 200 });
  for (const [id, state] of await sweeper.checkAllJobStatuses()) {
    if (!isTerminalState(state)) await sweeper.cancelJob(id).catch(() => {});
  }
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
