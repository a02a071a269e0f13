import { readFile } from 'node:fs/promises';
import { jobPaths } from '@hpc/container';
import { type JobState, writeFileAtomic } from '@hpc/core';

/** What the local driver writes about a job in its folder (job.json), so any process can read it. */
export interface LocalJobRecord {
  id: string;
  driver: 'local';
  name: string;
  jobDir: string;
  crate: string;
  object: string | undefined;
  imports: string[];
  submittedAt: string;
  /** The driver process that owns the queue this job waits in. */
  ownerPid: number;
  timeLimitMs: number | undefined;
  env: Record<string, string>;
  pid?: number;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number | null;
  signal?: string | null;
  cancelledAt?: string;
  timedOutAt?: string;
  /** The terminal state, cached once the job is over and its runner gone. */
  finalState?: JobState;
}

export async function readJobRecord(jobDir: string): Promise<LocalJobRecord | undefined> {
  try {
    return JSON.parse(await readFile(jobPaths(jobDir).record, 'utf8')) as LocalJobRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeJobRecord(record: LocalJobRecord): Promise<void> {
  await writeFileAtomic(jobPaths(record.jobDir).record, `${JSON.stringify(record, null, 2)}\n`, {
    durable: false,
  });
}
