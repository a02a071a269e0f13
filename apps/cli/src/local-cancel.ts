import type { Driver } from '@hpc/core';
import { batchIdOf } from './batch-groups.ts';

/**
 * A local job (or batch) that `hpc submit` started is owned by its host process (local-host.ts,
 * local-batch-host.ts): ask the host to cancel it, so the owner records the cancel. False when
 * the driver is not the local one, no host listens (the job was submitted by a library call, or
 * its host has exited), or `id` is one process of a batch (the driver cancels that one directly,
 * through the batch folder's cancel markers): cancel directly.
 */
export async function cancelThroughHost(driver: Driver, id: string): Promise<boolean> {
  if (driver.kind !== 'local' || batchIdOf(id) !== undefined) return false;
  const { LocalDriver, LocalJobHost } = await import('@hpc/local-driver');
  return driver instanceof LocalDriver && (await new LocalJobHost(driver).requestCancel(id));
}
