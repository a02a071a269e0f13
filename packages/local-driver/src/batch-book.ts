import type { FileModes, JobId, JobState } from '@hpc/core';
import type { LocalBatchRecord } from './batch-record.ts';
import { batchProcessStates, type LiveTask } from './batch-states.ts';
import type { LiveJob } from './job-launch.ts';
import { writeJobRecord } from './job-record.ts';
import { type BatchProcess, findBatchProcess, readBatchRecord } from './local-batches.ts';
import { liveStatusOf } from './local-state.ts';

/**
 * The batches a LocalDriver knows: those this process submitted (their tasks are in its queue)
 * and, on demand, any other one in the jobs root (submitted by another process, seen by the CLI).
 */
export class BatchBook {
  private readonly held = new Map<string, LocalBatchRecord>();

  constructor(
    private readonly jobsRoot: () => string,
    private readonly live: ReadonlyMap<string, LiveJob>,
    private readonly isHeld: (id: string) => boolean = () => false,
  ) {}

  hold(batch: LocalBatchRecord): void {
    this.held.set(batch.id, batch);
  }

  /** The batch record, with a cancel another process recorded since. */
  async batchOf(batchId: string): Promise<LocalBatchRecord | undefined> {
    const held = this.held.get(batchId);
    if (held) return { ...held, ...(await this.cancelledOnDisk(held)) };
    return readBatchRecord(this.jobsRoot(), batchId).catch(() => undefined);
  }

  /** Another process (the CLI) may have cancelled a batch this one holds. */
  async cancelledOnDisk(batch: LocalBatchRecord): Promise<{ cancelledAt?: string }> {
    if (batch.cancelledAt) return { cancelledAt: batch.cancelledAt };
    const onDisk = await readBatchRecord(this.jobsRoot(), batch.id).catch(() => undefined);
    if (onDisk?.cancelledAt) batch.cancelledAt = onDisk.cancelledAt;
    return onDisk?.cancelledAt ? { cancelledAt: onDisk.cancelledAt } : {};
  }

  /** Records the batch as cancelled (its tasks that have not started never will). */
  async markCancelled(batch: LocalBatchRecord, modes: FileModes): Promise<LocalBatchRecord> {
    const cancelled = { ...batch, cancelledAt: batch.cancelledAt ?? new Date().toISOString() };
    await writeJobRecord(cancelled, modes.file);
    const held = this.held.get(batch.id);
    if (held) held.cancelledAt = cancelled.cancelledAt;
    return cancelled;
  }

  find(id: string): Promise<BatchProcess | undefined> {
    return findBatchProcess(id, (batchId) => this.batchOf(batchId));
  }

  /** Every process state of these batches. */
  async states(batchIds: Iterable<string>): Promise<Map<JobId, JobState>> {
    const states = new Map<JobId, JobState>();
    for (const batchId of batchIds) {
      const batch = await this.batchOf(batchId);
      if (batch)
        for (const [id, state] of await batchProcessStates(batch, this.liveTask)) states.set(id, state);
    }
    return states;
  }

  /** How this process sees a task: its live record, queued or running, if it holds it. */
  readonly liveTask: LiveTask = (taskId) => {
    const live = this.live.get(taskId);
    if (!live) return undefined;
    return { record: live.record, status: liveStatusOf(live, this.isHeld(taskId)) };
  };
}
