import type { Driver } from '@hpc/core';

/**
 * A local job that `hpc submit` started is owned by its host process (local-host.ts): ask the host
 * to cancel it, so the owner records the cancel. False when the driver is not the local one or no
 * host listens (the job was submitted by a library call, or its host has exited): cancel directly.
 */
export async function cancelThroughHost(driver: Driver, id: string): Promise<boolean> {
  if (driver.kind !== 'local') return false;
  const { LocalDriver, LocalJobHost } = await import('@hpc/local-driver');
  return driver instanceof LocalDriver && (await new LocalJobHost(driver).requestCancel(id));
}
