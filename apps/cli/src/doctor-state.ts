import { existsSync } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileModes, makeDirectory, resolveSharing } from '@hpc/core';
import { JobStore, shellQuote } from '@hpc/slurm-driver';
import type { CheckResult } from './doctor-checks.ts';
import { damagedStoreError, slurmJobsRoot, slurmStorePath } from './slurm-store.ts';

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
 * The state folder, its job roots and the SLURM store are readable by nobody else: job records
 * carry environment values (passwords, tokens) and crates carry the user's data. A home created
 * before @hpc made them private (0700/0600) may still be open to others. With HPC_SHARE=group the
 * group may read; only access for everyone else counts then.
 */
export async function checkStatePrivacy(home: string, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const group = resolveSharing(undefined, env) === 'group';
  const others = group ? 0o007 : 0o077;
  const store = slurmStorePath(home);
  const paths = [
    home,
    join(home, 'local'),
    join(home, 'local', 'jobs'),
    join(home, 'slurm'),
    slurmJobsRoot(home),
    store,
    `${store}-wal`,
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
 * The SLURM job store opens and lists its jobs. A damaged one fails with the command that
 * rebuilds it; with `rebuild` (hpc doctor --rebuild-store) it is rebuilt from the job folders.
 * A healthy store is never rebuilt: it remembers final states that squeue has forgotten.
 */
export async function checkJobStore(
  home: string,
  env: NodeJS.ProcessEnv,
  rebuild: boolean,
): Promise<CheckResult> {
  const file = slurmStorePath(home);
  if (!existsSync(file)) {
    return { name: 'job store', status: 'skip', detail: `no SLURM job store yet (${file})` };
  }
  try {
    const store = new JobStore(file);
    try {
      const count = store.list().length;
      return {
        name: 'job store',
        status: 'ok',
        detail: `${file} tracks ${count} SLURM job${count === 1 ? '' : 's'}${rebuild ? ' (healthy: not rebuilt)' : ''}`,
      };
    } finally {
      store.close();
    }
  } catch (error) {
    const damaged = damagedStoreError(error);
    if (!damaged)
      return {
        name: 'job store',
        status: 'fail',
        detail: `${file} cannot be opened: ${(error as Error).message}`,
        fix: 'check its permissions and the free space of its disk',
      };
    if (!rebuild)
      return {
        name: 'job store',
        status: 'fail',
        detail: `${file} is damaged (${damaged.errstr})`,
        fix: `rebuild it from the job folders in ${slurmJobsRoot(home)}: hpc doctor --rebuild-store`,
      };
    const { rebuildSlurmStore } = await import('./rebuild-slurm-store.ts');
    const result = await rebuildSlurmStore(home, env);
    const skipped = result.skipped.length ? `; left out ${result.skipped.join(', ')}` : '';
    return {
      name: 'job store',
      status: 'ok',
      detail: `rebuilt ${file} with ${result.recorded} job${result.recorded === 1 ? '' : 's'} from ${slurmJobsRoot(home)}${result.keptAs ? `; the damaged store is kept as ${result.keptAs}` : ''}${skipped}`,
    };
  }
}
