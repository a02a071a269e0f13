import { InvalidJobSettingError } from './job-errors.ts';
import { isTerminalState, type JobState, type JobStatus } from './job-state.ts';
import type { JobDependencies } from './long-jobs.ts';
import { describeUnsafeCharacter, findUnsafeCharacter } from './safe-text.ts';

/**
 * Dependencies between jobs, checked and decided the same way by every driver: normalize the
 * options (refuse what cannot be an id), refuse ids the driver does not track, and decide from the
 * upstreams' states whether a dependent waits, runs, or can never run ('blocked').
 */

/** The three lists of JobDependencies, by their SLURM names. */
export const DEPENDENCY_KINDS = ['after', 'afterAny', 'afterNotOk'] as const;
export type DependencyKind = (typeof DEPENDENCY_KINDS)[number];

/** One upstream of one dependent: start after `upstream` ended the way `kind` asks. */
export interface DependencyEdge {
  kind: DependencyKind;
  upstream: string;
  /** Where the user wrote it, for messages: 'after[1]', 'afterEach[3]'. */
  option: string;
}

/** SLURM's word for each kind. */
export const SLURM_DEPENDENCY_TYPE: Readonly<Record<DependencyKind, string>> = {
  after: 'afterok',
  afterAny: 'afterany',
  afterNotOk: 'afternotok',
};

/**
 * The dependencies of one submission as edges, each id trimmed and checked: a list of non-empty
 * strings without control or invisible characters. The same id twice in one list counts once; in
 * `after` and `afterNotOk` at once it can never be satisfied and is refused; with `afterAny` the
 * stricter list keeps it. Throws InvalidJobSettingError naming the option and the id.
 */
export function normalizeDependencies(options: JobDependencies): DependencyEdge[] {
  const edges = new Map<string, DependencyEdge>();
  for (const kind of DEPENDENCY_KINDS) {
    const list = options[kind];
    if (list === undefined) continue;
    for (const [index, upstream] of dependencyIds(kind, list).entries()) {
      const option = `${kind}[${index}]`;
      const seen = edges.get(upstream);
      if (!seen || seen.kind === kind) {
        if (!seen) edges.set(upstream, { kind, upstream, option });
        continue;
      }
      if (seen.kind === 'afterAny') edges.set(upstream, { kind, upstream, option });
      else if (kind !== 'afterAny')
        throw new InvalidJobSettingError(
          option,
          upstream,
          'dependency-cycle',
          `job ${upstream} is also in ${seen.option}: a job cannot wait for it to both complete and fail; keep it in one list`,
        );
    }
  }
  return [...edges.values()];
}

/**
 * submitJobs' `afterEach`: one id per process (`count` of them), each checked as in
 * normalizeDependencies. Throws InvalidJobSettingError naming 'afterEach[i]'.
 */
export function normalizeAfterEach(afterEach: unknown, count: number): string[] | undefined {
  if (afterEach === undefined) return undefined;
  const ids = dependencyIds('afterEach', afterEach);
  if (ids.length !== count)
    throw new InvalidJobSettingError(
      'afterEach',
      `a list of ${ids.length}`,
      'invalid-value',
      `give one upstream id per process: the batch has ${count} processes`,
    );
  return ids;
}

/**
 * Refuses an edge whose upstream this driver does not track (a typo, another driver's id, a job
 * it forgot) before anything is submitted. `known` is asked once per upstream.
 */
export function refuseUnknownUpstreams(
  edges: readonly Pick<DependencyEdge, 'upstream' | 'option'>[],
  known: (id: string) => boolean,
  driver: string,
): void {
  for (const edge of edges) {
    if (!known(edge.upstream))
      throw new InvalidJobSettingError(
        edge.option,
        edge.upstream,
        'unknown-job',
        `job ${edge.upstream} is not tracked by the ${driver} driver; depend only on ids its submitJob/submitJobs returned (see 'hpc status')`,
      );
  }
}

/** What a dependent does now, given its upstreams' states. */
export type DependencySettlement =
  /** Every dependency is satisfied: it may start. */
  | { decision: 'run' }
  /** Some upstreams have not ended: these edges are still open (what SLURM's --dependency gets). */
  | { decision: 'wait'; open: DependencyEdge[] }
  /** An upstream ended in a way that can never satisfy its edge: the dependent never starts. */
  | { decision: 'blocked'; edge: DependencyEdge; upstreamState: JobState };

/**
 * The one dependency decision, for the SLURM and the local driver alike (and for dependents of a
 * retried upstream: a retry makes the upstream's state open again, and it says 'wait'). An
 * upstream whose state is not known (undefined, 'unknown') or not final is open. 'blocked' names
 * the first edge that can never be satisfied, in the order given.
 */
export function settleDependencies(
  edges: readonly DependencyEdge[],
  stateOf: (upstream: string) => JobState | undefined,
): DependencySettlement {
  const open: DependencyEdge[] = [];
  for (const edge of edges) {
    const state = stateOf(edge.upstream);
    if (!state || !isTerminalState(state)) {
      open.push(edge);
      continue;
    }
    if (!satisfiedBy(edge.kind, state.status)) return { decision: 'blocked', edge, upstreamState: state };
  }
  return open.length === 0 ? { decision: 'run' } : { decision: 'wait', open };
}

/** Whether an upstream that ended `status` satisfies an edge of `kind`. */
export function satisfiedBy(kind: DependencyKind, status: JobStatus): boolean {
  if (kind === 'afterAny') return true;
  return kind === 'after' ? status === 'completed' : status !== 'completed';
}

/**
 * The 'blocked' state of a dependent whose edge can never be satisfied: it names the upstream and
 * how it ended ('failed', with its cause in `upstreamDetail`: 'out-of-memory').
 */
export function blockedState(
  edge: Pick<DependencyEdge, 'kind' | 'upstream'>,
  upstreamState: JobState,
  details: { raw?: string; endedAt?: string } = {},
): JobState {
  const detail = upstreamDetailOf(upstreamState);
  return {
    ...details,
    status: 'blocked',
    upstream: edge.upstream,
    upstreamStatus: upstreamState.status,
    ...(detail ? { upstreamDetail: detail } : {}),
    dependency: edge.kind,
  };
}

/** What a failed upstream's state adds to its status: its cause, or who cancelled it. */
function upstreamDetailOf(state: JobState): string | undefined {
  if (state.status === 'failed') return state.cause;
  if (state.status === 'cancelled') return state.by ? `by ${state.by}` : undefined;
  if (state.status === 'blocked') return `by ${state.upstream}`;
  return undefined;
}

function dependencyIds(option: string, list: unknown): string[] {
  if (!Array.isArray(list))
    throw new InvalidJobSettingError(option, list, 'invalid-value', 'pass a list of job ids (strings)');
  return list.map((value, index) => {
    const setting = `${option}[${index}]`;
    if (typeof value !== 'string')
      throw new InvalidJobSettingError(
        setting,
        value,
        'not-a-string',
        'a job id is a string (as submitJob returned it)',
      );
    const id = value.trim();
    if (id === '')
      throw new InvalidJobSettingError(
        setting,
        value,
        'missing-value',
        'pass the id of a job, not an empty string',
      );
    const unsafe = findUnsafeCharacter(id);
    if (unsafe)
      throw new InvalidJobSettingError(
        setting,
        value,
        unsafe.kind === 'control' ? 'control-character' : 'format-character',
        `a job id has no ${describeUnsafeCharacter(unsafe)}; pass the id as submitJob returned it`,
      );
    return id;
  });
}
