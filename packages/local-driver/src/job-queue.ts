import { type LaunchSettings, type LiveJob, runJob } from './job-launch.ts';
import type { LocalJobRecord } from './job-record.ts';

/** Where a queued job belongs: a batch with its own limit of tasks at once, or none. */
export interface QueueGroup {
  id: string;
  parallelism: number | undefined;
  /** Asked right before the job starts: a reason not to start it (its batch was cancelled). */
  refuse?: () => Promise<string | undefined>;
  /** Called once the job's runner is over, before its slot is freed (a batch task: its processes' retries). */
  afterRun?: (live: LiveJob) => Promise<void>;
}

/**
 * This driver process's queue: jobs and batch tasks start in submission order, at most
 * `concurrency` at once, and at most a batch's `parallelism` of its tasks at once; a task held back
 * by its batch's limit lets later jobs pass. Whatever happens to one job, the queue goes on.
 */
export class JobQueue {
  readonly live = new Map<string, LiveJob>();
  private readonly waiting: { id: string; group: QueueGroup | undefined }[] = [];
  private running = 0;
  private readonly runningByGroup = new Map<string, number>();
  /** Jobs waiting for their upstreams (dependency-gate.ts): queued, but not started until released. */
  private readonly held = new Set<string>();

  constructor(
    private readonly concurrency: number,
    /** How its jobs are launched (read at each start: the driver's settings may be read late). */
    readonly settings: () => LaunchSettings,
  ) {}

  /** Queues a job under `key` (its id unless told: a batch process's retry shares its id with its task). */
  add(record: LocalJobRecord, group?: QueueGroup, held = false, key = record.id): void {
    if (held) this.held.add(key);
    let markExited: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    this.live.set(key, { record, exited, markExited });
    this.waiting.push({ id: key, group });
  }

  /** Takes a job out of the queue before it started; false when it is not waiting. */
  remove(id: string): boolean {
    const at = this.waiting.findIndex((entry) => entry.id === id);
    if (at < 0) return false;
    this.waiting.splice(at, 1);
    this.held.delete(id);
    return true;
  }

  isHeld(id: string): boolean {
    return this.held.has(id);
  }

  /** A held job's upstreams are settled: it may start. */
  release(id: string): void {
    this.held.delete(id);
    this.start();
  }

  start(): void {
    let at = 0;
    while (this.running < this.concurrency && at < this.waiting.length) {
      const { id, group } = this.waiting[at] as { id: string; group: QueueGroup | undefined };
      if (
        this.held.has(id) ||
        (group?.parallelism !== undefined && (this.runningByGroup.get(group.id) ?? 0) >= group.parallelism)
      ) {
        at++;
        continue;
      }
      this.waiting.splice(at, 1);
      const live = this.live.get(id);
      if (live) void this.launch(live, group);
    }
  }

  private async launch(live: LiveJob, group: QueueGroup | undefined): Promise<void> {
    this.running++;
    if (group) this.runningByGroup.set(group.id, (this.runningByGroup.get(group.id) ?? 0) + 1);
    try {
      const refused = await group?.refuse?.();
      if (refused) {
        live.record.cancelledAt ??= refused;
        live.record.endedAt ??= refused;
        return;
      }
      await runJob(live, this.settings());
    } catch (error) {
      // runJob records its job's failures itself; this keeps an unforeseen one from ending the driver.
      live.record.failure ??= `the local driver failed while running it: ${(error as Error)?.message ?? String(error)}`;
      live.record.endedAt ??= new Date().toISOString();
    } finally {
      await group?.afterRun?.(live).catch(() => {});
      this.running--;
      if (group) this.runningByGroup.set(group.id, (this.runningByGroup.get(group.id) ?? 1) - 1);
      live.markExited();
      this.start();
    }
  }
}
