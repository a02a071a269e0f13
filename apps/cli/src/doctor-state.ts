import { existsSync } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { jobPaths } from '@hpc/container';
import { fileModes, isHpcError, makeDirectory, resolveSharing, type TrackedJob } from '@hpc/core';
import { defaultLocalRoot, LocalDriver } from '@hpc/local-driver';
import { defaultJobsRoot, SLURMDriver, shellQuote } from '@hpc/slurm-driver';
import type { CheckResult } from './doctor-checks.ts';

/** The state folder exists (created private if it did not) and can be written. */
export async function checkStateFolder(home: string, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  try {
    await makeDirectory(home, fileModes(resolveSharing(undefined, env)).dir);
    const probe = join(home, `.doctor-${process.pid}`);
    await writeFile(probe, 'ok', { mode: 0o600 });
    await rm(probe);
    return { name: 'state folder', status: 'ok', detail: `${home} is writable` };
  } catch (error) {
    return {
      name: 'state folder',
      status: 'fail',
      detail: `${home} is not writable: ${(error as Error).message}`,
      fix: 'set HPC_HOME to a writable folder that the compute nodes can also see (e.g. on the shared home or scratch)',
    };
  }
}

/** What the state checks learn from the drivers: their jobs (for their folders) and the SLURM index. */
export interface StateSurvey {
  localRoot: string;
  slurmJobsRoot: string;
  jobs: TrackedJob[];
  /** The SLURM driver's job index, when there are SLURM job folders. */
  slurmIndex: string | undefined;
  /** The 'job store' check. */
  store: CheckResult;
}

/**
 * Asks both drivers, with their own defaults for `home`, for their jobs (no scheduler call: the
 * SLURM driver answers from its index, rebuilding it from the job folders when it is missing or
 * corrupt). The SLURM index is opened only when SLURM job folders exist.
 */
export async function surveyState(home: string): Promise<StateSurvey> {
  const localRoot = defaultLocalRoot(home);
  const slurmJobsRoot = defaultJobsRoot(home);
  const jobs = await new LocalDriver({ root: localRoot }).listJobs().catch(() => [] as TrackedJob[]);
  if (!existsSync(slurmJobsRoot)) {
    const store: CheckResult = {
      name: 'job store',
      status: 'skip',
      detail: `no SLURM job folders yet (${slurmJobsRoot})`,
    };
    return { localRoot, slurmJobsRoot, jobs, slurmIndex: undefined, store };
  }
  const driver = new SLURMDriver({ home });
  try {
    const slurmJobs = await driver.listJobs();
    jobs.push(...slurmJobs);
    const store = storeCheck(driver, slurmJobs.length);
    return { localRoot, slurmJobsRoot, jobs, slurmIndex: driver.storePath, store };
  } catch (error) {
    if (!isHpcError(error, 'JobStoreError')) throw error;
    const store: CheckResult = {
      name: 'job store',
      status: 'fail',
      detail: `the SLURM job index ${error.file} cannot be used: ${error.detail}`,
      fix: error.remedy,
    };
    return { localRoot, slurmJobsRoot, jobs, slurmIndex: undefined, store };
  } finally {
    driver.close();
  }
}

/** The SLURM index answered: how many jobs, whether it had to be rebuilt, which job records cannot be read. */
function storeCheck(driver: SLURMDriver, count: number): CheckResult {
  const rebuilt = driver.indexRebuiltAfter;
  const detail = `${driver.storePath} indexes ${count} SLURM job${count === 1 ? '' : 's'} from ${driver.jobsRoot}${
    rebuilt ? ` (it was damaged: ${rebuilt.detail}; rebuilt from the job folders)` : ''
  }`;
  const unreadable = driver.unreadableRecords;
  if (unreadable.length === 0) return { name: 'job store', status: 'ok', detail };
  return {
    name: 'job store',
    status: 'warn',
    detail: `${detail}; ${unreadable.length} job record${unreadable.length === 1 ? '' : 's'} cannot be read, so ${unreadable.length === 1 ? 'its job is' : 'their jobs are'} not tracked: ${unreadable.map(({ file, message }) => `${file} (${message})`).join(', ')}`,
    fix: 'repair or remove those job.json files',
  };
}

/**
 * The state folder, the drivers' job roots, every job folder and its job.json, and the SLURM index
 * (its folder and files) are readable by nobody else: job records carry environment values
 * (passwords, tokens) and crates carry the user's data. A home created before @hpc made them
 * private (0700/0600) may still be open to others. With HPC_SHARE=group the group may read; only
 * access for everyone else counts then.
 */
export async function checkStatePrivacy(
  home: string,
  env: NodeJS.ProcessEnv,
  survey: StateSurvey,
): Promise<CheckResult> {
  const group = resolveSharing(undefined, env) === 'group';
  const paths = [home, survey.localRoot, survey.slurmJobsRoot];
  for (const job of survey.jobs) paths.push(job.jobDir, jobPaths(job.jobDir).record);
  if (survey.slurmIndex) {
    paths.push(dirname(survey.slurmIndex));
    for (const suffix of ['', '-wal', '-shm']) paths.push(`${survey.slurmIndex}${suffix}`);
  }
  const open = await openToOthers(paths, group ? 0o007 : 0o077);
  if (open.length === 0)
    return {
      name: 'state privacy',
      status: 'ok',
      detail: group
        ? `${home} is shared with your group only (HPC_SHARE=group)`
        : `${home} is private to you`,
    };
  // The index, and job folders placed elsewhere (submit's jobsRoot), are outside the home.
  const outside = open.filter(({ path }) => relative(home, path).startsWith('..'));
  return {
    name: 'state privacy',
    status: 'warn',
    detail: `${group ? 'users outside your group' : 'other users'} can open ${open.map(({ path, mode }) => `${path} (${mode})`).join(', ')}: job records hold environment values and crates hold your data`,
    fix: `chmod -R ${group ? 'o-rwx' : 'go-rwx'} ${[home, ...outside.map(({ path }) => path)].map(shellQuote).join(' ')}`,
  };
}

/** The paths that exist and grant any of `bits`, with their mode ('0755'); stat calls in batches, in order. */
async function openToOthers(
  paths: readonly string[],
  bits: number,
): Promise<{ path: string; mode: string }[]> {
  const open: { path: string; mode: string }[] = [];
  for (let start = 0; start < paths.length; start += STAT_BATCH) {
    const batch = paths.slice(start, start + STAT_BATCH);
    const infos = await Promise.all(batch.map((path) => stat(path).catch(() => undefined)));
    batch.forEach((path, index) => {
      const mode = infos[index]?.mode;
      if (mode !== undefined && (mode & bits) !== 0)
        open.push({ path, mode: (mode & 0o777).toString(8).padStart(4, '0') });
    });
  }
  return open;
}

/** Files stat'ed at once: a home with 10,000 jobs has 20,000 paths to look at. */
const STAT_BATCH = 64;
