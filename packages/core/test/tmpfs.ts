import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  unmount(): Promise<void>;
}

/**
 * A real, small file system that fills up: the disk-full tests need ENOSPC from the kernel, not
 * a fake. The tests run as root (CI and the dev machine); if mounting fails the test fails with
 * the reason, rather than skipping the disk-full cases.
 */
export async function mountTmpfs(size = '2m'): Promise<Tmpfs> {
  const dir = await mkdtemp(join(tmpdir(), 'hpc-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const why = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    throw new Error(
      `the disk-full tests need a ${size} tmpfs, but \`mount -t tmpfs\` failed as uid ${process.getuid?.()}: ${why} (run the tests as root, e.g. in the CI container)`,
    );
  }
  return {
    dir,
    async unmount() {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
