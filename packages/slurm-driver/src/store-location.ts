import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  statfsSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { JobStoreError } from './errors.ts';

/**
 * Where job folders go by default, and where every job folder is (or has a pointer): the record
 * every host shares, `<home>/slurm/jobs`.
 */
export function defaultJobsRoot(home: string): string {
  return join(home, 'slurm', 'jobs');
}

/**
 * Where the job index lives by default: a per-user private folder on this host's own temporary
 * file system (`$TMPDIR/hpc-<uid>/`), one file per host and @hpc home. `~/.hpc` is usually on NFS,
 * shared by several login nodes, where SQLite's WAL mode is unsafe (its shared-memory index needs
 * one host) and locks are unreliable; the job folders under the home are the record and the index
 * is only a cache of them, rebuilt when it is missing (a reboot cleared /tmp) or corrupt.
 */
export function defaultStorePath(home: string): string {
  const uid = process.getuid?.() ?? 'user';
  const key = createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16);
  const host = hostname().replace(/[^A-Za-z0-9_.-]+/g, '-') || 'host';
  return join(tmpdir(), `hpc-${uid}`, `slurm-index-${host}-${key}.sqlite`);
}

/**
 * Makes `folder` a private folder of this user (created 0700), refusing one that another user
 * created or can write into (a shared /tmp lets anyone make `hpc-<uid>` first).
 */
export function ensurePrivateFolder(folder: string, mode: number, file: string, jobsRoot: string): void {
  try {
    mkdirSync(folder, { recursive: true, mode });
  } catch (error) {
    throw new JobStoreError(file, 'unwritable', (error as Error).message, jobsRoot, { cause: error });
  }
  const stat = lstatSync(folder);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
    throw new JobStoreError(
      file,
      'unsafe-folder',
      `${folder} is ${stat.isSymbolicLink() ? 'a symbolic link' : stat.isDirectory() ? `owned by uid ${stat.uid}` : 'not a folder'}, not a private folder of yours`,
      jobsRoot,
    );
  }
  if ((stat.mode & 0o777) !== mode) chmodSync(folder, mode);
}

/** Creates the (empty) index file with the exact mode before SQLite opens it; SQLite's journal and WAL files copy it. */
export function createPrivateFile(file: string, mode: number): void {
  const fd = openSync(file, 'a', mode);
  try {
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

/** statfs magic numbers of network and cluster file systems (linux/magic.h and the vendors'). */
const NETWORK_FILE_SYSTEMS = new Set([
  0x6969, // NFS
  0xff534d42, // CIFS
  0xfe534d42, // SMB2
  0x517b, // SMB
  0x47504653, // GPFS
  0x0bd00bd0, // Lustre
  0x5346414f, // AFS
  0x65735546, // FUSE (sshfs, and others that may be remote)
  0x00c36400, // CephFS
]);

/**
 * SQLite's journal mode for a folder: WAL on a local file system (fast, readers never block), the
 * rollback journal where several hosts could reach the file (WAL's shared memory needs one host).
 */
export function journalModeFor(folder: string): 'WAL' | 'DELETE' {
  try {
    return NETWORK_FILE_SYSTEMS.has(Number(statfsSync(existingParent(folder)).type)) ? 'DELETE' : 'WAL';
  } catch {
    return 'DELETE';
  }
}

/** The folder itself, or its nearest parent that exists (the file system a new folder will be on). */
function existingParent(folder: string): string {
  for (let current = folder; dirname(current) !== current; current = dirname(current)) {
    if (existsSync(current)) return current;
  }
  return folder;
}
