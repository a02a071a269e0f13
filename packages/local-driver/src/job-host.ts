import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HOST_SOCKET, requestHostCancel, serveHostControl } from './host-control.ts';
import type { LocalDriver } from './local-driver.ts';
import { waitForRecordOnDisk } from './record-wait.ts';

/**
 * What a job's *host* needs from the local driver: a process that owns a LocalDriver and
 * supervises one job long after its submitter left (the CLI's `hpc submit` starts one per job).
 * The host serves cancel requests on a socket in the job folder; any other process asks it to
 * cancel through `requestCancel`, falling back to `driver.cancelJob` when no host listens.
 * Callers never need the driver's folder layout.
 */
export class LocalJobHost {
  constructor(readonly driver: LocalDriver) {}

  /** The job's control socket (it exists only while the job's host listens). */
  socketPath(id: string): string {
    return join(this.driver.jobDirOf(id), HOST_SOCKET);
  }

  /** True once the runner's start (its pid) is in the job's record on disk; false after `timeoutMs`. */
  waitForStart(id: string, timeoutMs = 10_000): Promise<boolean> {
    return waitForRecordOnDisk(this.driver.jobDirOf(id), (record) => record.pid !== undefined, timeoutMs);
  }

  /** True once the driver has recorded on disk how the runner ended; false after `timeoutMs`. */
  waitForRecordedEnd(id: string, timeoutMs = 5_000): Promise<boolean> {
    return waitForRecordOnDisk(this.driver.jobDirOf(id), (record) => record.endedAt !== undefined, timeoutMs);
  }

  /** Host side: cancels the job (through this driver) when asked; returns what stops serving. */
  serveCancel(id: string): Promise<() => Promise<void>> {
    return serveHostControl(this.socketPath(id), () => this.driver.cancelJob(id));
  }

  /**
   * Client side: true when the job's host took the cancel, false when no host listens (the job
   * was submitted by a library call, or its host has exited). LocalHostError when it failed.
   */
  requestCancel(id: string): Promise<boolean> {
    return requestHostCancel(this.socketPath(id));
  }

  /** Notes what went wrong while hosting a job (the host has no terminal): `<root>/host-errors.log`. */
  async logError(id: string, error: unknown): Promise<void> {
    const log = join(this.driver.root, 'host-errors.log');
    await appendFile(
      log,
      `${new Date().toISOString()} ${id}: ${(error as Error)?.stack ?? String(error)}\n`,
    ).catch(() => {});
  }
}
