import { basename } from 'node:path';
import { asJobId, type FileModes, type JobId, type JobState } from '@hpc/core';
import type { JobRecord } from './job-record.ts';
import { writeJobRecord } from './job-record.ts';
import type { JobRegistry } from './job-registry.ts';
import type { NewJob } from './job-store.ts';

/**
 * A submission that was never given to SLURM because an upstream it depends on had already ended
 * in a way that can never satisfy it. It still gets a job folder and a job.json (its final state
 * 'blocked', its ids), so checkJobStatus, getResult, listJobs and a new driver instance (a rebuilt
 * index) know it like any job. Its ids come from its token: `blocked-<token>`, for a batch one per
 * process `blocked-<token>-<i>`; SLURM's ids are digits, so the two never meet.
 */

/** The ids of a blocked submission: one, or `count` for a blocked batch. */
export function blockedIds(token: string, count: number | undefined): JobId[] {
  if (count === undefined) return [asJobId(`blocked-${token}`)];
  return Array.from({ length: count }, (_, index) => asJobId(`blocked-${token}-${index}`));
}

/** The job index rows of a blocked record, each with its final state. */
export function blockedRows(record: JobRecord, folder: string): NewJob[] {
  const state = record.finalState;
  return blockedIds(record.token, record.batch ? undefined : record.blockedCount).map((id, index) => ({
    id,
    name: record.name,
    jobDir: record.jobDir,
    submittedAt: record.submittedAt ?? record.createdAt,
    ...(index === 0 ? { folder } : {}),
    ...(state ? { state } : {}),
  }));
}

/**
 * Records a blocked submission: intent, then job.json with its ids and final state, then the index
 * rows, as a submission sbatch answered would be. `count`: a batch's processes.
 */
export async function recordBlocked(
  registry: JobRegistry,
  modes: FileModes,
  submission: { name: string; jobsRoot: string; count?: number | undefined },
  state: JobState,
  fields: Pick<JobRecord, 'dependencies' | 'afterEach'>,
): Promise<JobId[]> {
  const begun = await registry.begin(submission.name, submission.jobsRoot);
  const submittedAt = new Date().toISOString();
  const ids = blockedIds(begun.token, submission.count);
  const record: JobRecord = {
    ...begun.record,
    ...fields,
    id: ids[0] as string,
    idFrom: 'blocked',
    submittedAt,
    finalState: { ...state, submittedAt, endedAt: submittedAt },
    ...(submission.count !== undefined ? { blockedCount: submission.count } : {}),
  };
  try {
    await writeJobRecord(record, modes.file, false);
    registry.withStore((store) =>
      store.transaction(() => {
        store.removeIntent(begun.token, basename(record.jobDir), 'job');
        for (const row of blockedRows(record, basename(record.jobDir))) store.add(row);
      }),
    );
  } catch (error) {
    registry.abandon(begun);
    throw error;
  } finally {
    registry.release(begun);
  }
  return ids;
}
