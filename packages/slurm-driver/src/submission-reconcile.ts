import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BATCH_FILES, JOB_FILES, readOutcome } from '@hpc/container';
import { asJobId } from '@hpc/core';
import type { CommandRunner } from './command-runner.ts';
import { SchedulerCommandError, SchedulerUnavailableError } from './errors.ts';
import { readJobRecord } from './job-record.ts';
import { isInFlight, type JobRegistry } from './job-registry.ts';
import type { StoredIntent } from './job-store.ts';
import { findAccountedSubmissions, findQueuedSubmissions, type TokenMatch } from './submission-lookup.ts';

export interface ReconcileOptions {
  /**
   * An intent is looked up once it is older than this (its submitter's sbatch has timed out by
   * then), or sooner when its submitter is this process or a dead one on this host. Default 40 s.
   */
  lookupAfterMs?: number;
  /** SLURM not knowing a token proves nothing until this long after the intent. Default 5 min. */
  graceMs?: number;
  /** One intent is looked up at most this often. Default 30 s. */
  retryMs?: number;
  commandTimeoutMs?: number;
  now?: () => number;
}

/** What one reconcile did, by token. */
export interface ReconcileReport {
  adopted: { token: string; id: string; jobDir: string }[];
  dropped: { token: string; jobDir: string }[];
  kept: { token: string; jobDir: string }[];
}

/**
 * Settles intents whose sbatch never answered: a submitter killed or interrupted while sbatch ran,
 * or an sbatch that timed out. Each is looked up by its token in this user's queue (one squeue)
 * and, for those not there, in accounting since the oldest intent (one sacct). A job that is found
 * is adopted (tracked under its id, exactly once); an intent SLURM still does not know after
 * `graceMs`, whose folder shows no sign of a run, is dropped with its folder. Nothing is asked while
 * no intent is due, so ordinary polls stay one squeue and at most one sacct.
 */
export class SubmissionReconciler {
  private readonly lastLookup = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly registry: JobRegistry,
    private readonly run: CommandRunner,
    private readonly options: ReconcileOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async settle(): Promise<ReconcileReport> {
    const report: ReconcileReport = { adopted: [], dropped: [], kept: [] };
    const now = this.now();
    const due = this.registry.intents().filter((intent) => this.isDue(intent, now));
    if (due.length === 0) return report;
    for (const intent of due) this.lastLookup.set(intent.token, now);
    const tokens = due.map((intent) => intent.token);
    const timeout = this.options.commandTimeoutMs;
    let found: Map<string, TokenMatch[]>;
    let accounted: Map<string, TokenMatch[]> | undefined;
    try {
      found = await findQueuedSubmissions(this.run, tokens, timeout);
      const missing = tokens.filter((token) => !found.has(token));
      if (missing.length > 0) {
        const oldest = Math.min(...due.map((intent) => Date.parse(intent.createdAt)));
        // A minute of slack: the submit time SLURM records comes after the intent, clocks differ.
        accounted = await findAccountedSubmissions(this.run, missing, new Date(oldest - 60_000), timeout);
      }
    } catch (error) {
      // SLURM did not answer: every intent stays for the next poll.
      if (error instanceof SchedulerUnavailableError || error instanceof SchedulerCommandError) return report;
      throw error;
    }
    for (const intent of due) {
      if (isBatchFolder(intent.jobDir)) {
        await this.dropBatch(intent, [
          ...(found.get(intent.token) ?? []),
          ...(accounted?.get(intent.token) ?? []),
        ]);
        report.dropped.push({ token: intent.token, jobDir: intent.jobDir });
        continue;
      }
      const match = found.get(intent.token)?.[0] ?? accounted?.get(intent.token)?.[0];
      const ranAs = match ? undefined : await this.idFromOutcome(intent);
      const id = match?.id ?? ranAs;
      if (id !== undefined) {
        await this.adopt(intent, id);
        report.adopted.push({ token: intent.token, id, jobDir: intent.jobDir });
      } else if (
        now - Date.parse(intent.createdAt) >= (this.options.graceMs ?? 300_000) &&
        !showsARun(intent.jobDir)
      ) {
        this.registry.abandon(intent);
        this.lastLookup.delete(intent.token);
        report.dropped.push({ token: intent.token, jobDir: intent.jobDir });
      } else report.kept.push({ token: intent.token, jobDir: intent.jobDir });
    }
    return report;
  }

  /**
   * A batch whose submitter died between its slices' sbatch calls: all or nothing, so the arrays
   * it queued (every slice's comment holds the batch's token) are cancelled in one scancel and the
   * folder goes. Nothing is dropped while scancel fails: the next poll tries again.
   */
  private async dropBatch(intent: StoredIntent, matches: readonly TokenMatch[]): Promise<void> {
    const ids = [...new Set(matches.map((match) => match.id))];
    try {
      if (ids.length > 0 && (await this.run('scancel', ids)).exitCode !== 0) return;
    } catch {
      return;
    }
    this.registry.abandon(intent);
    this.lastLookup.delete(intent.token);
  }

  private isDue(intent: StoredIntent, now: number): boolean {
    if (isInFlight(intent.token)) return false;
    const last = this.lastLookup.get(intent.token);
    if (last !== undefined && now - last < (this.options.retryMs ?? 30_000)) return false;
    const age = now - Date.parse(intent.createdAt);
    // A batch may stage for long before its first sbatch: only a dead submitter's, or an old one, is settled.
    if (isBatchFolder(intent.jobDir) && age < (this.options.graceMs ?? 300_000))
      return intent.host === hostname() && intent.pid !== process.pid && !isAlive(intent.pid);
    if (age >= (this.options.lookupAfterMs ?? 40_000)) return true;
    // A submitter on this host that is this process (its submitJob has returned) or is gone.
    return intent.host === hostname() && (intent.pid === process.pid || !isAlive(intent.pid));
  }

  private async adopt(intent: StoredIntent, id: string): Promise<void> {
    const record = readJobRecord(intent.jobDir);
    if (!record) return;
    await this.registry.confirm(
      { token: intent.token, jobDir: intent.jobDir, record },
      asJobId(id),
      'lookup',
    );
  }

  /** The job ran (its outcome says which id it had) although SLURM has let go of it. */
  private async idFromOutcome(intent: StoredIntent): Promise<string | undefined> {
    try {
      return (await readOutcome(intent.jobDir))?.jobId;
    } catch {
      return undefined;
    }
  }
}

/** A batch folder (submitJobs) has its manifest from staging on; a single job's never does. */
function isBatchFolder(jobDir: string): boolean {
  return existsSync(join(jobDir, BATCH_FILES.manifest));
}

/** Whether anything in the folder says the job started: SLURM's or the runner's files. */
function showsARun(jobDir: string): boolean {
  const started = [JOB_FILES.outcome, JOB_FILES.stdout, JOB_FILES.stderr, JOB_FILES.workDir];
  if (started.some((file) => existsSync(join(jobDir, file)))) return true;
  return [JOB_FILES.schedulerStdout, JOB_FILES.schedulerStderr].some((file) => {
    try {
      return statSync(join(jobDir, file)).size > 0;
    } catch {
      return false;
    }
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
