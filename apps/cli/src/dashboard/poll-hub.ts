import { readProgress } from '@hpc/container';
import { type Driver, isTerminalState, type JobDescription, type JobState, type TrackedJob } from '@hpc/core';
import type { JobView } from '../job-view.ts';
import { type DashboardRow, dashboardRow } from './job-rows.ts';

export interface PollHubOptions {
  intervalMs: number;
  /** Finished jobs described per poll for the table's efficiency column (file reads only). */
  describeBudget?: number;
  now?: () => number;
}

/** A job page unwatched this long stops being described at each poll. */
const WATCH_MS = 30_000;
/** A SLURM description without sacct's figures yet (sacct lags) is asked again after this. */
const INCOMPLETE_MS = 60_000;

/**
 * The dashboard's one view of the jobs. It asks the driver ONCE per interval
 * (checkAllJobStatuses: one squeue and at most one sacct for every job) and every page, table
 * and event stream is served from that answer, however many viewers there are. Descriptions of
 * finished jobs are cached (they never change); those of unfinished jobs someone is looking at
 * are refreshed right after the poll, while the driver's poll cache is fresh, so they cost no
 * scheduler call either.
 */
export class PollHub {
  views = new Map<string, JobView>();
  rows: DashboardRow[] = [];
  tracked = new Map<string, TrackedJob>();
  lastPollAt: string | undefined;
  lastError: string | undefined;
  polls = 0;
  private readonly described = new Map<string, { description: JobDescription; at: number }>();
  private readonly watched = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(
    private readonly driver: Driver,
    private readonly options: PollHubOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The first poll, then one every interval (the next starts once this one ended). */
  async start(): Promise<void> {
    await this.tick();
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.tick().finally(loop), this.options.intervalMs);
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  onPoll(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async tick(): Promise<void> {
    try {
      const states = (await this.driver.checkAllJobStatuses()) as Map<string, JobState>;
      this.tracked = new Map((await this.driver.listJobs()).map((job) => [String(job.id), job]));
      const views = new Map<string, JobView>();
      for (const [id, state] of states)
        views.set(id, {
          id,
          driver: this.driver.kind,
          name: state.name || this.tracked.get(id)?.name || '',
          state,
        });
      await this.addProgress(views);
      this.views = views;
      await this.describeWatched();
      await this.describeFinished();
      const now = this.now();
      this.rows = [...views.values()].map((view) =>
        dashboardRow(view, this.described.get(view.id)?.description, now),
      );
      this.lastError = undefined;
    } catch (error) {
      this.lastError = (error as Error).message; // shown on the pages; the last answer stays
    }
    this.polls++;
    this.lastPollAt = new Date(this.now()).toISOString();
    for (const listener of this.listeners) listener();
  }

  /** A job's description for its page: cached when finished, else the one made at the last poll. */
  async description(id: string): Promise<JobDescription | undefined> {
    const view = this.views.get(id);
    if (!view) return undefined;
    this.watched.set(id, this.now());
    const cached = this.described.get(id);
    if (cached && (isTerminalState(view.state) || cached.at >= this.now() - this.options.intervalMs * 2))
      return cached.description;
    // A finished job is described from its files (SLURM: at most one sacct, once, for its figures);
    // a local job always is (the local driver asks no scheduler).
    if (isTerminalState(view.state) || this.driver.kind === 'local') return this.describe(id);
    return undefined; // described at the next poll
  }

  /** A description already made (for a batch's memory chart): no new reads. */
  cachedDescription(id: string): JobDescription | undefined {
    return this.described.get(id)?.description;
  }

  private async describe(id: string): Promise<JobDescription | undefined> {
    try {
      const description = await this.driver.describeJob(id);
      this.described.set(id, { description, at: this.now() });
      return description;
    } catch {
      return undefined;
    }
  }

  private async describeWatched(): Promise<void> {
    const since = this.now() - WATCH_MS;
    for (const [id, at] of this.watched) {
      const view = this.views.get(id);
      if (at < since || !view) this.watched.delete(id);
      else if (!isTerminalState(view.state) || this.stale(id)) await this.describe(id);
    }
  }

  private stale(id: string): boolean {
    const cached = this.described.get(id);
    if (!cached) return true;
    const incomplete = this.driver.kind === 'slurm' && !cached.description.scheduler;
    return (
      !isTerminalState(cached.description.state) || (incomplete && cached.at < this.now() - INCOMPLETE_MS)
    );
  }

  /** A few finished jobs per poll, for the efficiency column; never one that would need sacct. */
  private async describeFinished(): Promise<void> {
    let budget = this.options.describeBudget ?? 100;
    for (const view of this.views.values()) {
      if (budget <= 0) return;
      if (!isTerminalState(view.state) || this.described.has(view.id)) continue;
      if (this.driver.kind !== 'local' && !view.state.scheduler) continue;
      budget--;
      await this.describe(view.id);
    }
  }

  private async addProgress(views: Map<string, JobView>): Promise<void> {
    const running = [...views.values()].filter((view) => view.state.status === 'running');
    await Promise.all(
      running.map(async (view) => {
        const jobDir = this.tracked.get(view.id)?.jobDir;
        const progress = jobDir ? await readProgress(jobDir).catch(() => undefined) : undefined;
        if (progress) view.progress = progress;
      }),
    );
  }
}
