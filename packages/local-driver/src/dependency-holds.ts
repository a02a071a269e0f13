import type { FileModes, JobState } from '@hpc/core';
import type { LocalBatchRecord } from './batch-record.ts';
import { taskRecordOf } from './batch-record.ts';
import { blockedNow, type CheckedDependencies, type DependencyGate, eachEdges } from './dependency-gate.ts';
import type { JobQueue, QueueGroup } from './job-queue.ts';
import { type LocalJobRecord, writeJobRecord } from './job-record.ts';

/** What holding a dependent needs from the driver. */
export interface HoldParts {
  queue: JobQueue;
  gate: DependencyGate;
  modes: FileModes;
}

/** The record fields a checked submission keeps (the CLI and tests read them). */
export function dependencyFields(checked: CheckedDependencies): Partial<LocalJobRecord> {
  return {
    ...(checked.edges.length ? { dependencies: checked.edges } : {}),
    ...(checked.afterEach ? { afterEach: checked.afterEach } : {}),
  };
}

/**
 * Queues a single job by its dependencies: blocked at once (recorded, never run), held until its
 * upstreams settle (then released, or recorded blocked), or queued now.
 */
export async function queueDependent(
  record: LocalJobRecord,
  checked: CheckedDependencies,
  parts: HoldParts,
): Promise<void> {
  const blocked = blockedNow(checked.settled);
  if (blocked) {
    const at = new Date().toISOString();
    Object.assign(record, {
      finalState: { ...blocked, submittedAt: record.submittedAt, endedAt: at },
      endedAt: at,
    });
    await writeJobRecord(record, parts.modes.file);
    return;
  }
  const held = checked.settled.decision === 'wait';
  parts.queue.add(record, undefined, held);
  if (held) void release(record, checked.edges, parts, (state) => blockRecord(record, state, parts));
}

/**
 * Queues a batch's tasks: each waits for the shared edges and its process's afterEach upstream
 * (one process per task); a task that can never run is recorded blocked in the batch record.
 */
export async function queueDependentBatch(
  batch: LocalBatchRecord,
  checked: CheckedDependencies,
  group: QueueGroup,
  parts: HoldParts,
): Promise<void> {
  const blocked = blockedNow(checked.settled);
  const each = eachEdges(checked.afterEach);
  for (let task = 0; task < batch.taskCount; task++) {
    if (blocked) {
      batch.blockedTasks = { ...batch.blockedTasks, [task]: blocked };
      continue;
    }
    const record = taskRecordOf(batch, task);
    const own = each[task];
    const edges = own ? [...checked.edges, own] : checked.edges;
    const held = edges.length > 0;
    parts.queue.add(record, group, held);
    if (held)
      void release(record, edges, parts, async (state) => {
        batch.blockedTasks = { ...batch.blockedTasks, [task]: state };
        await writeJobRecord(batch, parts.modes.file);
      });
  }
  if (blocked || checked.edges.length > 0 || checked.afterEach) await writeJobRecord(batch, parts.modes.file);
}

/** Waits for the edges to settle, then starts the job or records it blocked (unless it was cancelled meanwhile). */
async function release(
  record: LocalJobRecord,
  edges: CheckedDependencies['edges'],
  parts: HoldParts,
  block: (state: JobState) => Promise<void>,
): Promise<void> {
  const live = parts.queue.live.get(record.id);
  const decided = await parts.gate
    .whenSettled(edges, () => record.cancelledAt !== undefined || !parts.queue.isHeld(record.id))
    .catch((error: unknown) => {
      record.failure = `could not check its dependencies: ${(error as Error)?.message ?? String(error)}`;
      return undefined;
    });
  if (!parts.queue.isHeld(record.id)) return;
  if (decided === 'run') return parts.queue.release(record.id);
  record.endedAt = new Date().toISOString();
  // Written before it leaves the queue: until then a poll sees it held, never ended without a word ('lost').
  if (decided)
    await block({ ...decided, submittedAt: record.submittedAt, endedAt: record.endedAt }).catch(() => {});
  parts.queue.remove(record.id);
  live?.markExited();
}

async function blockRecord(record: LocalJobRecord, state: JobState, parts: HoldParts): Promise<void> {
  record.finalState = state;
  await writeJobRecord(record, parts.modes.file);
}
