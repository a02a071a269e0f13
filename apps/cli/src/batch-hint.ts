import { type Driver, isHpcError } from '@hpc/core';
import { batchIdOf, resolveBatchIds } from './batch-groups.ts';
import { UsageError } from './cli-errors.ts';

/**
 * `hpc result|logs <batch id>`: those take one process. When the driver refuses `id` as a job and
 * it is a batch's id, say so and name a process id to give instead (exit 2); any other
 * error is returned as it was.
 */
export async function explainBatchId(
  driver: Driver,
  id: string,
  error: unknown,
  command: string,
): Promise<unknown> {
  // The drivers refuse a batch id (local: InvalidOption) or do not know it (JobNotFoundError).
  if (!isHpcError(error, 'JobNotFoundError', 'InvalidOption')) return error;
  const states = await driver.checkAllJobStatuses().catch(() => undefined);
  if (!states) return error;
  const members = resolveBatchIds(id, states.keys(), () => false);
  if (!members.length) return error;
  return new UsageError(
    `${id} is a ${batchIdOf(id) === undefined ? 'batch' : 'packed task'} of ${members.length} processes: ${command} takes one process's id, e.g. ${members[0]} (list them with: hpc status ${id} --expand)`,
    command,
  );
}
