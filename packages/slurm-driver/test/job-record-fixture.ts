import { JOB_RECORD_VERSION, type JobRecord, writeJobRecord } from '../src/job-record.ts';

/** The job.json of a checkpointing counter job `id` in `jobDir` (maxRestarts 3), for restart tests. */
export async function writeCounterRecord(
  jobDir: string,
  id: string,
  extra: Partial<JobRecord> = {},
): Promise<void> {
  const record: JobRecord = {
    version: JOB_RECORD_VERSION,
    driver: 'slurm',
    token: '0123456789abcdef',
    name: 'counter',
    jobDir,
    createdAt: '2026-12-03T07:00:00Z',
    submittedAt: '2026-12-03T07:00:01Z',
    host: 'login',
    pid: 1,
    id,
    maxRestarts: 3,
    ...extra,
  };
  await writeJobRecord(record, 0o600, false);
}
