import { existsSync } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileModes, isHpcError, makeDirectory, resolveSharing } from '@hpc/core';
import { defaultJobsRoot, defaultStorePath, shellQuote } from '@hpc/slurm-driver';
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

/**
 * The state folder, its job roots and the SLURM job index are readable by nobody else: job records
 * carry environment values (passwords, tokens) and crates carry the user's data. A home created
 * before @hpc made them private (0700/0600) may still be open to others. With HPC_SHARE=group the
 * group may read; only access for everyone else counts then.
 */
export async function checkStatePrivacy(home: string, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const group = resolveSharing(undefined, env) === 'group';
  const others = group ? 0o007 : 0o077;
  const index = defaultStorePath(home);
  const paths = [
    home,
    join(home, 'local'),
    join(home, 'local', 'jobs'),
    join(home, 'slurm'),
    defaultJobsRoot(home),
    dirname(index),
    index,
    `${index}-wal`,
  ];
  const open: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info && (info.mode & others) !== 0)
      open.push(`${path} (${(info.mode & 0o777).toString(8).padStart(4, '0')})`);
  }
  if (open.length === 0)
    return {
      name: 'state privacy',
      status: 'ok',
      detail: group
        ? `${home} is shared with your group only (HPC_SHARE=group)`
        : `${home} is private to you`,
    };
  return {
    name: 'state privacy',
    status: 'warn',
    detail: `${group ? 'users outside your group' : 'other users'} can open ${open.join(', ')}: job records hold environment values and crates hold your data`,
    fix: `chmod -R ${group ? 'o-rwx' : 'go-rwx'} ${shellQuote(home)}`,
  };
}

/**
 * The SLURM driver's job index opens and lists its jobs. The job folders are the record and the
 * index (per host, in a private folder of $TMPDIR) is only a cache: the driver rebuilds it from
 * the folders by itself when it is missing or damaged. What it cannot fix (an index folder that
 * is not safely yours, an unwritable one) fails here with the driver's own words.
 */
export async function checkJobStore(home: string): Promise<CheckResult> {
  const root = defaultJobsRoot(home);
  if (!existsSync(root)) return { name: 'job store', status: 'skip', detail: `no SLURM jobs yet (${root})` };
  const { SLURMDriver } = await import('@hpc/slurm-driver');
  const driver = new SLURMDriver({ home });
  try {
    const count = (await driver.listJobs()).length;
    return {
      name: 'job store',
      status: 'ok',
      detail: `${count} SLURM job${count === 1 ? '' : 's'} recorded in ${root}, indexed in ${driver.storePath}`,
    };
  } catch (error) {
    return {
      name: 'job store',
      status: 'fail',
      detail: (error as Error).message,
      fix: isHpcError(error, 'JobStoreError')
        ? 'see the message: the index is rebuilt from the job folders once its folder is usable'
        : 'check the permissions and free space of the home and of $TMPDIR',
    };
  } finally {
    driver.close();
  }
}
