import { join } from 'node:path';

/**
 * A local job's folder, `<root>/jobs/<id>`: only the CLI's own host of a local job (local-host.ts)
 * uses it, for its control socket and to wait for the runner's start.
 *
 * TODO(local-driver): take the folder from the driver (a TrackedJob's jobDir) once it offers a call
 * for one job, so the CLI no longer mirrors the local driver's layout here.
 */
export function localJobDir(localRoot: string, jobId: string): string {
  return join(localRoot, 'jobs', jobId);
}

/** The local driver's state folder, when `driver` is one (its `root`). */
export function localRootOf(driver: { kind: string }): string | undefined {
  const root = (driver as { root?: unknown }).root;
  return driver.kind === 'local' && typeof root === 'string' ? root : undefined;
}
