import { chmod, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Who may read what @hpc writes: job folders, crates, results, outcomes, records, scripts and the
 * job store. Private by default (files 0600, folders 0700): job records carry environment values
 * and crates carry the user's data. Group-shared projects opt in with `HPC_SHARE=group` (or a
 * driver's `share` option): the group may read and traverse, never write.
 */
export type Sharing = 'private' | 'group';

export interface FileModes {
  file: number;
  dir: number;
}

export const FILE_MODES: Readonly<Record<Sharing, FileModes>> = {
  private: { file: 0o600, dir: 0o700 },
  group: { file: 0o640, dir: 0o750 },
};

/** The sharing setting: an explicit one, else $HPC_SHARE ('group' or 'private'), else private. */
export function resolveSharing(explicit?: Sharing, env: NodeJS.ProcessEnv = process.env): Sharing {
  if (explicit) return explicit;
  return env.HPC_SHARE === 'group' ? 'group' : 'private';
}

export function fileModes(sharing?: Sharing): FileModes {
  return FILE_MODES[resolveSharing(sharing)];
}

/**
 * mkdir -p with an exact mode on every folder it creates, whatever the umask (mkdir's own mode is
 * filtered by it). Folders that already exist keep their mode. Returns the folder's absolute path.
 */
export async function makeDirectory(path: string, mode: number = fileModes().dir): Promise<string> {
  const target = resolve(path);
  const first = await mkdir(target, { recursive: true, mode });
  if (first === undefined) return target;
  // Every folder from the first one created down to the target is new: give each the exact mode.
  for (let folder = target; ; folder = dirname(folder)) {
    await chmod(folder, mode);
    if (folder === first || dirname(folder) === folder) break;
  }
  return target;
}
