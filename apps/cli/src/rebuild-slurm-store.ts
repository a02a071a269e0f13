import { chmod, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { asJobId, fileModes, JOB_FILES, resolveSharing } from '@hpc/core';
import { JobStore } from '@hpc/slurm-driver';
import { slurmJobsRoot, slurmStorePath } from './slurm-store.ts';

export interface StoreRebuild {
  store: string;
  /** Where the damaged store (and its -wal/-shm files) went; undefined when there was none. */
  keptAs: string | undefined;
  /** Jobs recorded in the new store. */
  recorded: number;
  /** Job folders that were left out, with why (no job.json: sbatch never accepted the job). */
  skipped: string[];
}

interface FolderRecord {
  id: string;
  name: string;
  jobDir: string;
  submittedAt: string;
}

const SLURM_JOB_ID = /^\d+(_\d+)?$/;

/**
 * `hpc doctor --rebuild-store`: the job folders are the truth, the store only indexes them. The
 * damaged store is moved aside (kept for a post-mortem), a new one is created, and every job
 * folder whose job.json names a SLURM job id is recorded again; states are asked anew on the next
 * poll (finished jobs answer from their outcome files, the others from squeue and sacct). Run it
 * while no other hpc command uses the store.
 */
export async function rebuildSlurmStore(home: string, env: NodeJS.ProcessEnv): Promise<StoreRebuild> {
  const store = slurmStorePath(home);
  const root = slurmJobsRoot(home);
  const records: FolderRecord[] = [];
  const skipped: string[] = [];
  for (const name of (await readdir(root).catch(() => [] as string[])).sort()) {
    const jobDir = join(root, name);
    const found = await readFolderRecord(jobDir);
    if (typeof found === 'string') skipped.push(`${name} (${found})`);
    else records.push(found);
  }
  records.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt) || Number(a.id) - Number(b.id));

  const keptAs = await moveAside(store, `${store}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const fresh = new JobStore(store);
  try {
    for (const record of records) fresh.add({ ...record, id: asJobId(record.id) });
  } finally {
    fresh.close();
  }
  await chmod(store, fileModes(resolveSharing(undefined, env)).file);
  return { store, keptAs, recorded: records.length, skipped };
}

/** The job's id, name and submission time from its job.json, or why the folder is left out. */
async function readFolderRecord(jobDir: string): Promise<FolderRecord | string> {
  let record: { id?: unknown; name?: unknown; submittedAt?: unknown };
  try {
    record = JSON.parse(await readFile(join(jobDir, JOB_FILES.record), 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `no ${JOB_FILES.record}: never submitted`;
    return `${JOB_FILES.record} unreadable: ${code ?? (error as Error).message}`;
  }
  const id = String(record?.id ?? '');
  if (!SLURM_JOB_ID.test(id)) return `${JOB_FILES.record} names no SLURM job id`;
  return {
    id,
    name: typeof record.name === 'string' ? record.name : '',
    jobDir,
    submittedAt: typeof record.submittedAt === 'string' ? record.submittedAt : '',
  };
}

/** Renames the store and its WAL companions to `target`(-wal, -shm); undefined when there was no store. */
async function moveAside(store: string, target: string): Promise<string | undefined> {
  let moved: string | undefined;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      await rename(`${store}${suffix}`, `${target}${suffix}`);
      if (suffix === '') moved = target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return moved;
}
