import { randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileModes } from '@hpc/core';
import { FileLockedError } from '../hdf5-errors.ts';

/**
 * A write lock beside the file (`<file>.lock`, created with O_EXCL), because h5wasm takes no HDF5
 * file locks. Writers wait for it; readers need none (writers replace the file by rename).
 * A lock left by a killed process on this host is detected (its pid is gone) and taken over; so is
 * an empty lock older than EMPTY_LOCK_GRACE_MS (its writer died between creating and filling it).
 *
 * The lock file's own operations are synchronous: each is a few microseconds of metadata work,
 * where a round trip through libuv's thread pool costs ~0.1 ms, and they sit next to h5wasm's
 * writes, which are synchronous anyway. Waiting for another writer stays asynchronous.
 */
export interface LockOptions {
  /** How long to wait for another writer (default 60 s). 0: fail at once. */
  timeoutMs?: number;
}

interface LockHolder {
  pid: number;
  host: string;
  token: string;
  since: string;
}

export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

/** An empty lock this old was abandoned: filling it takes microseconds after its creation. */
const EMPTY_LOCK_GRACE_MS = 5_000;

export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

export async function acquireFileLock(file: string, options: LockOptions = {}): Promise<HeldLock> {
  const path = lockPathFor(file);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    token: randomBytes(8).toString('hex'),
    since: new Date().toISOString(),
  };
  let delayMs = 10;
  for (;;) {
    if (tryCreateLock(path, me)) {
      removeAbandonedAsides(path);
      return { path, release: async () => releaseLock(path, me.token) };
    }
    const holder = readHolder(path);
    if (holder ? isDeadOnThisHost(holder) : isOldEmptyLock(path)) {
      breakStaleLock(path, holder);
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}` : 'unknown holder';
      throw new FileLockedError(file, path, who, waited);
    }
    await sleep(Math.min(delayMs, Math.max(1, timeoutMs - waited)));
    delayMs = Math.min(delayMs * 2, 250);
  }
}

/** Creates the lock file with O_EXCL; false when another writer holds it. */
function tryCreateLock(path: string, me: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', fileModes().file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify(me));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string')
      return parsed as LockHolder;
  } catch {
    // Being written this instant, or removed: treat as held and look again.
  }
  return undefined;
}

function isOldEmptyLock(path: string): boolean {
  try {
    const stats = statSync(path);
    return stats.size === 0 && Date.now() - stats.mtimeMs > EMPTY_LOCK_GRACE_MS;
  } catch {
    return false;
  }
}

function isDeadOnThisHost(holder: LockHolder): boolean {
  if (holder.host !== hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Moves the stale lock aside under a unique name, then checks it really was the stale one (two
 * waiters may race here); if a live lock was moved instead, it is linked back.
 */
function breakStaleLock(path: string, stale: LockHolder | undefined): void {
  const aside = `${path}${ASIDE_MARK}${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  const moved = readHolder(aside);
  if (moved && moved.token !== stale?.token) ignoreErrors(() => linkSync(aside, path));
  ignoreErrors(() => unlinkSync(aside));
}

const ASIDE_MARK = '.stale-';

/**
 * A waiter killed inside breakStaleLock leaves its aside copy behind. The new holder removes the
 * asides whose holder is dead; a live holder's aside is another waiter's race in progress, which
 * that waiter links back itself.
 */
function removeAbandonedAsides(path: string): void {
  const prefix = `${basename(path)}${ASIDE_MARK}`;
  let names: string[];
  try {
    names = readdirSync(dirname(path)).filter((name) => name.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of names) {
    const aside = join(dirname(path), name);
    const holder = readHolder(aside);
    if (holder ? isDeadOnThisHost(holder) : isOldEmptyLock(aside)) ignoreErrors(() => unlinkSync(aside));
  }
}

function releaseLock(path: string, token: string): void {
  const holder = readHolder(path);
  if (holder?.token === token) ignoreErrors(() => unlinkSync(path));
}

function ignoreErrors(action: () => void): void {
  try {
    action();
  } catch {
    // Already gone, or not ours to change: nothing to undo.
  }
}
