import { requestProcessCancel } from '@hpc/container';
import {
  blockedState,
  type DependencyEdge,
  type FileModes,
  InvalidJobSettingError,
  type JobId,
  type JobState,
  normalizeAfterEach,
  refuseUnknownUpstreams,
  settleDependencies,
} from '@hpc/core';
import type { BatchPlan } from './batch-plan.ts';
import type { SLURMBatchOptions } from './batch-preparation.ts';
import { schedulerIdOf } from './batch-status.ts';
import { recordBlocked } from './blocked-record.ts';
import type { CommandRunner } from './command-runner.ts';
import {
  checkedEdges,
  type DependencyResolution,
  dependencySpecOf,
  resolveDependencies,
} from './dependency-resolution.ts';
import { resubmitDependents } from './dependent-resubmit.ts';
import { refineDependents } from './dependent-states.ts';
import type { SLURMSubmitOptions } from './job-preparation.ts';
import type { JobRegistry } from './job-registry.ts';
import type { StateUpdate } from './job-store.ts';
import type { StatusPoller } from './status-poller.ts';

/** What a batch does about its dependencies (after/afterAny/afterNotOk for all, afterEach per process). */
export type BatchDependencies =
  | { blocked: { edge: DependencyEdge; upstreamState: JobState }; record: BatchDependencyRecord }
  | {
      blocked?: undefined;
      /** Slice i's dependency list for sbatch ('afterok:1,aftercorr:4711'), if it has one. */
      sliceDependency: (index: number) => string | undefined;
      /** Slice i's per-task dependencies (its own upstream's, by task), when aftercorr cannot say them. */
      taskDependencies: (index: number) => (string | undefined)[] | undefined;
      /** Processes whose afterEach upstream can never satisfy them: marked cancelled before sbatch. */
      blockedProcesses: number[];
      record: BatchDependencyRecord;
    };

type BatchDependencyRecord = { dependencies?: DependencyEdge[]; afterEach?: string[] };

/**
 * The SLURM driver's dependencies, in one place: settling them before a submission (blocked, or
 * what sbatch gets), recording a blocked submission, and the status path's check of dependents.
 */
export class DependencySubmissions {
  constructor(
    private readonly registry: JobRegistry,
    private readonly run: CommandRunner,
    private readonly modes: FileModes,
    private readonly poller: StatusPoller,
    private readonly commandTimeoutMs?: number,
  ) {}

  resolve(settings: SLURMSubmitOptions): Promise<DependencyResolution> {
    return resolveDependencies(settings, this.registry, () => this.poller.poll({ force: true }));
  }

  /** Records a submission that can never run (never given to SLURM): its id, 'blocked' from the start. */
  async block(
    submission: { name: string; jobsRoot: string; count?: number },
    resolution: { blocked: { edge: DependencyEdge; upstreamState: JobState }; record: BatchDependencyRecord },
  ): Promise<JobId> {
    return (await this.blockAll(submission, resolution))[0] as JobId;
  }

  async blockAll(
    submission: { name: string; jobsRoot: string; count?: number },
    {
      blocked,
      record,
    }: { blocked: { edge: DependencyEdge; upstreamState: JobState }; record: BatchDependencyRecord },
  ): Promise<JobId[]> {
    const state = blockedState(blocked.edge, blocked.upstreamState, {
      raw: `never submitted: ${blocked.edge.upstream} had already ended ${blocked.upstreamState.status}`,
    });
    const ids = await recordBlocked(this.registry, this.modes, submission, state, record);
    this.poller.invalidate();
    return ids;
  }

  /**
   * The status path: dependents SLURM cancelled (or left pending) for an upstream that failed are
   * 'blocked'; those of an upstream retried under its id are submitted again (dependent-resubmit.ts).
   */
  refine(updates: StateUpdate[], states: ReadonlyMap<JobId, JobState>): Promise<StateUpdate[]> {
    const context = {
      run: this.run,
      modes: this.modes,
      ...(this.commandTimeoutMs !== undefined ? { commandTimeoutMs: this.commandTimeoutMs } : {}),
    };
    return refineDependents(
      updates,
      states,
      (id) => this.registry.withStore((store) => store.get(id)),
      this.run,
      (requests) =>
        resubmitDependents(requests, context, (id, schedulerId, state) =>
          this.registry.withStore((store) => store.setAttempt(id, schedulerId, state)),
        ),
    );
  }

  /**
   * A batch's dependencies: the shared lists settle as one job's would (blocked: every process
   * is); afterEach per process. Open afterEach upstreams must map task to task onto one upstream
   * array per slice (process i of the slice waits for task i: SLURM's `aftercorr`); a process
   * whose upstream already failed is marked cancelled before sbatch, and reported blocked.
   */
  async resolveBatch(
    settings: SLURMBatchOptions,
    shape: { count: number; processesPerTask: number },
    plan: BatchPlan,
  ): Promise<BatchDependencies> {
    const { count, processesPerTask } = shape;
    const edges = checkedEdges(settings, this.registry);
    const afterEach = normalizeAfterEach(settings.afterEach, count);
    const eachEdges = (afterEach ?? []).map(
      (upstream, index): DependencyEdge => ({ kind: 'after', upstream, option: `afterEach[${index}]` }),
    );
    refuseUnknownUpstreams(eachEdges, (id) => this.registry.get(id) !== undefined, 'slurm');
    const record: BatchDependencyRecord = {
      ...(edges.length ? { dependencies: edges } : {}),
      ...(afterEach ? { afterEach } : {}),
    };
    if (edges.length === 0 && !afterEach)
      return {
        sliceDependency: () => undefined,
        taskDependencies: () => undefined,
        blockedProcesses: [],
        record,
      };
    const states = await this.poller.poll({ force: true });
    const stateOf = (id: string) => states.get(id as JobId) ?? this.registry.get(id)?.state;
    const shared = settleDependencies(edges, stateOf);
    if (shared.decision === 'blocked')
      return { blocked: { edge: shared.edge, upstreamState: shared.upstreamState }, record };
    const sharedSpec = shared.decision === 'wait' ? dependencySpecOf(shared.open, this.registry) : '';
    const each = eachEdges.map((edge) => settleDependencies([edge], stateOf));
    const blockedProcesses = each.flatMap((settled, index) =>
      settled.decision === 'blocked' ? [index] : [],
    );
    const corr = plan.slices.map((slice) => this.correspondence(slice, afterEach, each, processesPerTask));
    return {
      sliceDependency: (index) => {
        const mapped = corr[index];
        return (
          [sharedSpec, typeof mapped === 'string' ? mapped : undefined].filter(Boolean).join(',') || undefined
        );
      },
      taskDependencies: (index) => {
        const mapped = corr[index];
        return typeof mapped === 'object' ? mapped : undefined;
      },
      blockedProcesses,
      record,
    };
  }

  /** Marks the processes that can never run, before any slice is queued. */
  async markBlocked(batchDir: string, processes: readonly number[]): Promise<void> {
    for (const index of processes) await requestProcessCancel(batchDir, index, this.modes);
  }

  /**
   * `aftercorr:<array>` for a slice whose open afterEach upstreams are that array's tasks in order;
   * otherwise (one process per task) each waiting task's own `afterok:<upstream>`.
   */
  private correspondence(
    slice: BatchPlan['slices'][number],
    afterEach: readonly string[] | undefined,
    each: readonly ReturnType<typeof settleDependencies>[],
    processesPerTask: number,
  ): string | (string | undefined)[] | undefined {
    if (!afterEach) return undefined;
    const first = slice.firstProcess;
    const last = first + slice.processes;
    if (!each.slice(first, last).some((settled) => settled.decision === 'wait')) return undefined;
    const arrays = new Set<string>();
    let mapped = processesPerTask === 1;
    for (let index = first; mapped && index < last; index++) {
      const upstream = afterEach[index] as string;
      const match = /^(\d+)_(\d+)$/.exec(upstream);
      const job = this.registry.get(upstream);
      mapped = Boolean(match && job?.batchIndex !== undefined && Number(match[2]) === index - first);
      if (match) arrays.add(match[1] as string);
    }
    if (mapped && arrays.size === 1) return `aftercorr:${[...arrays][0]}`;
    if (processesPerTask === 1)
      return each.slice(first, last).map((settled, at) => {
        if (settled.decision !== 'wait') return undefined;
        const job = this.registry.get(afterEach[first + at] as string);
        return `afterok:${job ? schedulerIdOf(job) : afterEach[first + at]}`;
      });
    throw new InvalidJobSettingError(
      'afterEach',
      `with processesPerTask ${processesPerTask}`,
      'invalid-value',
      'on SLURM, afterEach upstreams that have not ended need one process per task (processesPerTask 1), unless they have all ended',
    );
  }
}
