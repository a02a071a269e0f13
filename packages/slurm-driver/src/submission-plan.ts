import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

/**
 * A submission's token and folder, before anything exists: an interrupt guard set up with them
 * can undo begin() whenever the signal lands (abandon() removes what exists of them).
 */
export function planSubmission(name: string, jobsRoot: string): { token: string; jobDir: string } {
  const token = randomBytes(8).toString('hex');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return { token, jobDir: join(resolve(jobsRoot), `${folderName(name)}-${stamp}-${token}`) };
}

/** A folder name from the job name: letters, digits, '_', '.', '-' (at most 48). */
function folderName(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 48) || 'job'
  );
}
