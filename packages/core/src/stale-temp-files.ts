import { readdirSync, statSync } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Temp files of atomic writes are named after their writer, `.<name>.tmp-<host>-<pid>-<random>`,
 * so that a later write to the same folder can tell a killed writer's leftover from a live
 * writer's file in progress, and remove only the former (220 SIGKILLed writers once left 296 MiB).
 */
const TEMP_MARK = '.tmp-';
/** Temps written on another host (whose pids we cannot check) are removed only when this old. */
export const FOREIGN_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/**
 * Folders up to this size (st_size of the folder: ~1,000-3,000 entries on ext4 and tmpfs) are
 * scanned on every write, with blocking calls: for a job folder those cost ~15 µs, where the
 * thread-pool round trips of async stat + readdir cost 75-180 µs (a 1 KB write: 660 µs, or ~6 ms
 * with fsync). Larger folders are scanned once per process, on its first write there, so a big
 * output folder costs one (async) readdir per run.
 */
const SMALL_FOLDER_BYTES = 64 * 1024;
const scannedLargeFolders = new Set<string>();

/** This host's name as it appears in temp names (no separators or control characters). */
export function hostTag(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9._]/g, '_')
      .slice(0, 64) || 'host'
  );
}

/**
 * The random part only keeps one process's concurrent temps apart (they are opened with O_EXCL, so
 * a clash fails rather than shares a file): Math.random, since loading node:crypto costs a short
 * job ~4 ms of start-up.
 */
export function tempFileName(name: string): string {
  const random = Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
  return `.${name}${TEMP_MARK}${hostTag()}-${process.pid}-${random}`;
}

interface TempWriter {
  /** undefined for temps named before hosts were recorded (`.<name>.tmp-<pid>-<random>`). */
  host: string | undefined;
  pid: number;
}

/** The writer of `entry` if it is a temp file of `name`'s atomic writes; undefined otherwise. */
export function parseTempFileName(entry: string, name: string): TempWriter | undefined {
  const prefix = `.${name}${TEMP_MARK}`;
  if (!entry.startsWith(prefix)) return undefined;
  const fields = entry.slice(prefix.length).split('-');
  const random = fields.pop();
  const pid = fields.pop();
  if (!random || !/^[0-9a-f]{8}$/.test(random) || !pid || !/^[1-9]\d{0,9}$/.test(pid)) return undefined;
  return { host: fields.length ? fields.join('-') : undefined, pid: Number(pid) };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's. Anything unexpected counts as alive: never remove a live file.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function isStale(folder: string, entry: string, writer: TempWriter, now: number): Promise<boolean> {
  if (writer.host === hostTag()) return writer.pid !== process.pid && !isRunning(writer.pid);
  const info = await lstat(join(folder, entry));
  return info.isFile() && now - info.mtimeMs > FOREIGN_TEMP_MAX_AGE_MS;
}

/**
 * Removes temp files of `name` left by writers that died: on this host, those whose pid no
 * longer runs; from other hosts (or unnamed ones), only those untouched for a day. Never throws:
 * sweeping is a courtesy, not part of the write.
 */
export async function sweepStaleTempFiles(folder: string, name: string): Promise<void> {
  try {
    const now = Date.now();
    for (const entry of await entriesToScan(folder)) {
      const writer = parseTempFileName(entry, name);
      if (!writer) continue;
      if (await isStale(folder, entry, writer, now).catch(() => false))
        await unlink(join(folder, entry)).catch(() => {});
    }
  } catch {
    // The folder is unreadable or gone: the write itself reports that.
  }
}

async function entriesToScan(folder: string): Promise<string[]> {
  if (statSync(folder).size <= SMALL_FOLDER_BYTES) return readdirSync(folder);
  if (scannedLargeFolders.has(folder)) return [];
  scannedLargeFolders.add(folder);
  return readdir(folder);
}
