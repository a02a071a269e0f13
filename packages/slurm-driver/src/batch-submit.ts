import type { BatchPlan } from './batch-plan.ts';
import type { BatchSlice } from './batch-record.ts';
import type { CommandRunner } from './command-runner.ts';
import { runSbatch, type SbatchAnswer } from './sbatch-answer.ts';

/** What every slice's sbatch shares. */
export interface SliceContext {
  run: CommandRunner;
  scriptPath: string;
  batchDir: string;
  /** The batch's token; slice i > 0 carries `<token><i as 4 hex digits>` (its own lookup key). */
  token: string;
  processesPerTask: number;
  /** The user's own --comment and --dependency (the command line replaces the script's). */
  userComment?: string | undefined;
  userDependency?: string | undefined;
  /** Slice i's dependencies from after/afterAny/afterNotOk/afterEach (with --kill-on-invalid-dep=yes). */
  dependencyOf?: ((index: number) => string | undefined) | undefined;
  /** Slice i is queued held: its tasks get their own dependencies, then it is released (task-dependencies.ts). */
  held?: ((index: number) => boolean) | undefined;
  lookupTimeoutMs?: number | undefined;
}

/** How the slices went: all queued, or slice `failed` was not (with the answer saying why). */
export type SlicesOutcome =
  | { kind: 'queued'; slices: BatchSlice[] }
  | {
      kind: 'failed';
      slices: BatchSlice[];
      failed: number;
      answer: Exclude<SbatchAnswer, { kind: 'queued' }>;
      token: string;
    };

/** The token slice `index` carries in its comment (hpc:<token>): unique per slice. */
export function sliceToken(token: string, index: number): string {
  return index === 0 ? token : `${token}${index.toString(16).padStart(4, '0')}`;
}

/**
 * The sbatch options of one slice: its array (`0-<tasks-1>`, `%N` when the plan shares a
 * parallelism), its comment with the slice's token, and `afterany` on the slice it waits for.
 */
export function sliceOptions(
  plan: BatchPlan,
  index: number,
  queued: readonly BatchSlice[],
  context: Pick<SliceContext, 'token' | 'userComment' | 'userDependency' | 'dependencyOf' | 'held'>,
): string[] {
  const slice = plan.slices[index];
  if (!slice) throw new RangeError(`the plan has no slice ${index}`);
  const limit = slice.parallelism === undefined ? '' : `%${slice.parallelism}`;
  const mark = `hpc:${sliceToken(context.token, index)}`;
  const options = [
    `--array=${slice.tasks === 1 ? '0' : `0-${slice.tasks - 1}`}${limit}`,
    `--comment=${context.userComment ? `${context.userComment} ${mark}` : mark}`,
  ];
  const after = slice.after === undefined ? undefined : queued[slice.after]?.arrayId;
  if (slice.after !== undefined && after === undefined)
    throw new RangeError(`slice ${index} waits for slice ${slice.after}, which is not queued`);
  const own = context.dependencyOf?.(index);
  const dependencies = [context.userDependency, own, after && `afterany:${after}`].filter(Boolean);
  if (dependencies.length > 0) options.push(`--dependency=${dependencies.join(',')}`);
  if (own || context.held?.(index)) options.push('--kill-on-invalid-dep=yes');
  if (context.held?.(index)) options.push('--hold');
  return options;
}

/**
 * Submits the plan's slices in order, one sbatch each (the same script, the slice's first global
 * task as its argument), and stops at the first slice sbatch does not queue.
 */
export async function submitSlices(plan: BatchPlan, context: SliceContext): Promise<SlicesOutcome> {
  const slices: BatchSlice[] = [];
  for (const [index, planned] of plan.slices.entries()) {
    const offset = planned.firstProcess / context.processesPerTask;
    const answer = await runSbatch(
      context.run,
      context.scriptPath,
      context.batchDir,
      sliceToken(context.token, index),
      context.lookupTimeoutMs,
      { options: sliceOptions(plan, index, slices, context), scriptArgs: [String(offset)] },
    );
    if (answer.kind !== 'queued')
      return { kind: 'failed', slices, failed: index, answer, token: sliceToken(context.token, index) };
    slices.push({ arrayId: answer.id, offset, tasks: planned.tasks });
  }
  return { kind: 'queued', slices };
}

/** Cancels arrays in one scancel; true when scancel answered 0 (or there was nothing to cancel). */
export async function cancelArrays(run: CommandRunner, arrayIds: readonly string[]): Promise<boolean> {
  if (arrayIds.length === 0) return true;
  try {
    return (await run('scancel', [...arrayIds])).exitCode === 0;
  } catch {
    return false;
  }
}
